"""Property-based: requests generated from ``/openapi.json`` against the running gateway.

schemathesis draws requests for every documented operation, valid ones and ones that break the
document (negative), and sends them over a real socket to a gateway wired to the 8x8 emulator. Some
carry a real session (token and conversation id), one of them already escalated to the emulator, some
the real metrics token, and some webhook events are signed with the emulator's own key, so the
generated traffic reaches past authentication into the relay. Every answer must be documented: no 5xx,
a documented status, content type, headers and body; and input the document calls invalid must be
refused with a 4xx.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from typing import Any

import aiohttp
import requests
import schemathesis
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.emulator.handle import Emulator
from gateway.emulator.signing import random_id
from tests.openapi.conftest import METRICS_TOKEN
from tests.openapi.support import Session, escalated_session, signed_headers, start_session, until_ready

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
EXAMPLES = int(os.environ.get("GATEWAY_OPENAPI_EXAMPLES", "400"))
"""Generated requests per run (about 15 s); raise it locally for a longer search."""

REJECTED = [400, 401, 403, 404, 405, 406, 409, 415, 422, 428, 429]
"""schemathesis's default statuses for refused invalid input."""
MOSTLY = st.sampled_from([True, True, True, False])
EVENT_TYPES = ["QUEUED", "AGENT_JOINED", "TEXT", "TRANSFER", "AGENT_LEFT", "WEB_HOOK_VERIFY"]


def _signed_webhook(
    cc: Emulator, cc_conversation_id: str, base_url: str
) -> Callable[[Case[Any], Any], requests.PreparedRequest]:
    """Sign a generated event with the emulator's key, as 8x8 would deliver it."""

    def prepare(case: Case[Any], draw: Any) -> requests.PreparedRequest:
        event = dict(case.body) if isinstance(case.body, dict) else {}
        # Steer towards events the relay applies: known types with their fields, for the escalated
        # conversation, at any time an integer can say; other fields are as generated.
        if draw(MOSTLY):
            event["eventType"] = draw(st.sampled_from(EVENT_TYPES))
            for name in ("agentId", "agentName", "queueId", "message"):
                if event.get(name) is None and draw(MOSTLY):
                    event[name] = draw(
                        st.text(max_size=8) if name == "message" else st.sampled_from(["a1", "q"])
                    )
        if draw(MOSTLY):
            event["conversationId"] = cc_conversation_id
        if draw(MOSTLY):
            event["timestamp"] = draw(st.integers())
        body = json.dumps(event).encode()
        event_id = draw(st.sampled_from(["dup-1", "dup-2"]) | st.builds(random_id))
        headers = signed_headers(cc, body, event_id)
        return requests.Request("POST", base_url + case.formatted_path, headers=headers, data=body).prepare()

    return prepare


def fuzz(document: dict[str, Any], base_url: str, cc: Emulator, sessions: list[Session], cc_id: str) -> None:
    # 413 is how the gateway refuses an over-long text or body, which the document calls invalid.
    config = schemathesis.Config.from_dict(
        {"checks": {"negative_data_rejection": {"expected-statuses": [*REJECTED, 413]}}}
    )
    schema = schemathesis.openapi.from_dict(document, config=config)
    strategies: list[st.SearchStrategy[Case[Any]]] = []
    for path, item in document["paths"].items():
        for method in item:
            op = schema[path][method.upper()]
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                strategies.append(op.as_strategy(generation_mode=mode))
                for s in sessions if "{id}" in path else []:
                    if s.escalated and not path.endswith("/messages"):
                        continue  # kept waiting for an agent, so signed events apply to it
                    strategies.append(
                        op.as_strategy(
                            generation_mode=mode,
                            path_parameters={"id": s.conversation_id},
                            headers=s.auth,
                        )
                    )
            if path == "/metrics":
                strategies.append(op.as_strategy(headers={"Authorization": f"Bearer {METRICS_TOKEN}"}))
    plain = st.one_of(strategies)
    signed = schema["/webhooks/8x8"]["POST"].as_strategy()
    sign = _signed_webhook(cc, cc_id, base_url)

    with requests.Session() as http:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        @given(st.data())
        def run(data: st.DataObject) -> None:
            if data.draw(st.sampled_from([False, False, True]), label="signed event"):
                case = data.draw(signed)
                request = sign(case, data.draw)
                response = http.send(request, timeout=10)
                case.validate_response(response, checks=CHECKS)
            else:
                data.draw(plain).call_and_validate(base_url=base_url, session=http, checks=CHECKS, timeout=10)

        run()


async def test_generated_requests_get_documented_answers_and_no_5xx(
    http: aiohttp.ClientSession, api_gateway: TestServer, cc: Emulator
) -> None:
    await until_ready(http, api_gateway)
    escalated, cc_id = await escalated_session(http, api_gateway, cc)
    sessions = [await start_session(http, api_gateway), escalated]
    async with http.get(api_gateway.make_url("/openapi.json")) as resp:
        document = await resp.json()
    base_url = str(api_gateway.make_url("/")).rstrip("/")
    # schemathesis calls are blocking; the gateway answers them on this loop meanwhile.
    await asyncio.to_thread(fuzz, document, base_url, cc, sessions, cc_id)
