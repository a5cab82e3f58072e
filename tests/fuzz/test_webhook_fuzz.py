"""Random webhook bodies and headers against ``/webhooks/8x8`` on a real gateway (issue #7, item 2).

Never a 5xx. A refusal is ``application/problem+json`` with its status, and changes nothing: not the
conversation (state and entries, read as its customer reads them), not the stored contact-center events.
Bodies signed with 8x8's key but carrying any fields of any type are either accepted or refused as
malformed; whatever is accepted leaves the conversation readable (REST answers 200).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.contact_center.core.receiver import is_verify
from gateway.contact_center.core.signature import REQUIRED_HEADERS
from gateway.keys import store_key
from tests.fuzz.harness import FuzzTarget
from tests.fuzz.test_ws_fuzz import json_values

OURS = "<the fuzz conversation>"
EVENT_TYPES = [
    *["TEXT"] * 4,
    "QUEUED",
    "AGENT_JOINED",
    "TRANSFER",
    "AGENT_LEFT",
    "WEB_HOOK_VERIFY",
    "CUSTOMER_LEFT",
]
timestamps = (
    st.sampled_from(
        [0, -1, 1, -(2**63), 2**53, 2**63 - 1, 2**64, 10**30, 253_402_300_800_000]
    )  # 253…: year 10000
    | st.integers(min_value=2**40, max_value=2**70)
    | st.integers(min_value=1_600_000_000_000, max_value=2_000_000_000_000)
    | st.floats()
    | json_values
)


@st.composite
def event_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed event for the fuzz conversation, then up to three fields dropped or made anything."""
    event: dict[str, Any] = {
        "notificationVersion": "v2.0",
        "eventType": draw(st.sampled_from(EVENT_TYPES)),
        "conversationId": draw(st.sampled_from([OURS, OURS, OURS, "unknown-conversation"])),
        "timestamp": draw(timestamps),
        "agentId": "fuzz-agent",
        "agentName": draw(st.text(max_size=20)),
        "queueId": "101",
        "queueName": draw(st.text(max_size=20)),
        "message": draw(st.text(min_size=1, max_size=50)),
    }
    for key in draw(st.lists(st.sampled_from(sorted(event)), max_size=3, unique=True)):
        if draw(st.booleans()):
            del event[key]
        else:
            event[key] = draw(json_values)
    return event


bodies = (
    event_bodies().map(json.dumps)
    | event_bodies().map(json.dumps)
    | json_values.map(json.dumps)
    | st.text(max_size=100)
    | st.binary(max_size=100)
)
header_values = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E)
    | st.characters(min_codepoint=0xA0, max_codepoint=0xFF),
    max_size=40,
)
# Each signed header left alone, dropped, or replaced by anything; None: leave all alone.
mutations = st.dictionaries(st.sampled_from(sorted(REQUIRED_HEADERS)), st.none() | header_values, max_size=4)


def _body_bytes(body: str | bytes, cc_id: str) -> bytes:
    if isinstance(body, bytes):
        return body
    return body.replace(json.dumps(OURS)[1:-1], cc_id).encode()


async def _post(target: FuzzTarget, body: bytes, headers: dict[str, str]) -> tuple[int, str, str]:
    async with target.http.post(f"{target.url}/webhooks/8x8", data=body, headers=headers) as resp:
        return resp.status, resp.content_type, await resp.text()


async def _stored(target: FuzzTarget) -> tuple[dict[str, Any], list[str]]:
    snapshot = await target.snapshot()
    pending = await target.app[store_key].pending_inbound()
    return snapshot, sorted(e.event_id for e in pending)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies, mutation=mutations)
def test_random_webhooks_never_5xx_and_refusals_change_nothing(
    target: FuzzTarget, body: str | bytes, mutation: dict[str, str | None]
) -> None:
    raw = _body_bytes(body, target.cc_id)
    headers = target.signed_headers(raw, event_id=f"fuzz-{uuid.uuid4().hex}")
    changed = {k: v for k, v in mutation.items() if v != headers[k]}
    for name, value in changed.items():
        if value is None:
            del headers[name]
        else:
            headers[name] = value
    target.run(target.with_agent())
    before = target.run(_stored(target))
    status, content_type, text = target.run(_post(target, raw, headers))
    assert status < 500, (status, text)
    if changed and not (is_verify(raw) and "x-8x8-signature" in changed):
        # A signed header was tampered with. (A WEB_HOOK_VERIFY without its signature is answered 200: 8x8
        # documents only "answer 2xx", and it carries no data.)
        assert 400 <= status < 500, (changed, status, text)
    if status >= 300:
        assert content_type == "application/problem+json", (status, content_type)
        problem = json.loads(text)
        assert problem["status"] == status
        assert isinstance(problem["title"], str)
        assert target.run(_stored(target)) == before
    else:
        target.run(target.settled())  # accepted: applied, and the conversation still reads fine
