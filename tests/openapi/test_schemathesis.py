"""Property-based: requests generated from ``/openapi.json`` against the running gateway.

schemathesis draws requests for every documented operation, valid ones and ones that break the
document (negative), and sends them over a real socket to a gateway wired to the 8x8 emulator. Some
carry a real session (token and conversation id), one of them already escalated to the emulator, some
the real metrics token, some webhook events (Chat API v2 and Chat Gateway) are signed with the
emulator's own key, and some uploads are real files of allowed types (each then fetched at its link), so
the generated traffic reaches past authentication into the relay. Every answer must be documented: no 5xx,
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
from tests.openapi.support import Session, escalated_session, signed_headers, start_session, until_ready
from tests.support.openapi_gateway import METRICS_TOKEN

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
CGW_WEBHOOK = "/webhooks/8x8/chat-gateway"
CGW_EVENTS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "QUEUED": st.fixed_dictionaries({"queueId": st.sampled_from(["101", "102"])}),
    "MEMBERS_CHANGED": st.fixed_dictionaries(
        {
            "memberType": st.sampled_from(["agent", "user"]),
            "change": st.sampled_from(["joined", "left", "moved"]),
            "id": st.sampled_from(["a1", "a2"]),
        }
    ),
    "TRANSFER": st.just({}),
    "MESSAGE": st.fixed_dictionaries(
        {
            "isEcho": st.booleans(),
            "sender": st.fixed_dictionaries(
                {"id": st.just("a1"), "type": st.sampled_from(["agent", "user"])}
            ),
            "text": st.text(max_size=8),
        },
        optional={
            "attachments": st.lists(
                st.fixed_dictionaries(
                    {
                        "id": st.just("f1"),
                        "type": st.just("file"),
                        "fileName": st.sampled_from(["a.png", "b"]),
                    }
                ),
                max_size=2,
            )
        },
    ),
    "ACTIVITY": st.fixed_dictionaries(
        {
            "name": st.sampled_from(["typing", "read-receipts", "quickReply/action"]),
            "value": st.one_of(
                st.just({"users": [{"id": "a1", "type": "agent"}]}),
                st.just({"users": []}),
                st.builds(
                    lambda ms: [{"timestamp": ms, "users": [{"id": "a1", "type": "agent"}]}], st.integers()
                ),
            ),
        }
    ),
    "CONVERSATION_UPDATE": st.just({"state": "active"}),
    "WEB_HOOK_VERIFY": st.just({}),
}
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f8a0a00000000049454e44ae426082"
)
FILES = [
    ("image/png", "pixel.png", PNG),
    ("application/pdf", "doc.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
    ("text/plain", "note.txt", "a note, with ü\n".encode()),
]
"""Small files of allowed types whose content is what they claim."""


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


def _signed_chat_gateway_event(
    cc: Emulator, base_url: str
) -> Callable[[Case[Any], Any], requests.PreparedRequest]:
    """A generated Chat Gateway event, mostly steered to a known type with its fields, signed like 8x8's."""

    def prepare(case: Case[Any], draw: Any) -> requests.PreparedRequest:
        event = dict(case.body) if isinstance(case.body, dict) else {}
        if draw(MOSTLY):
            event["eventType"] = kind = draw(st.sampled_from(sorted(CGW_EVENTS)))
            event["data"] = draw(CGW_EVENTS[kind])
        if draw(MOSTLY):
            event["conversationId"] = draw(st.sampled_from(["cgw-1", "cgw-2"]))
        if draw(MOSTLY):
            event["timestamp"] = draw(st.integers(min_value=0, max_value=2**53))
        body = json.dumps(event).encode()
        event_id = draw(st.sampled_from(["dup-1", "dup-2"]) | st.builds(random_id))
        headers = signed_headers(cc, body, event_id)
        return requests.Request("POST", base_url + CGW_WEBHOOK, headers=headers, data=body).prepare()

    return prepare


def _valid_upload(case: Case[Any], draw: Any, base_url: str) -> requests.PreparedRequest:
    """A file of an allowed type, raw or as multipart, for a session that may send files."""
    media, name, data = draw(st.sampled_from(FILES))
    client_id = draw(st.sampled_from(["f-1", "f-2"]) | st.builds(random_id))
    url = base_url + case.formatted_path
    headers = dict(case.headers or {})
    if draw(st.booleans()):
        headers["Content-Type"] = media
        query = {"filename": name, "client_id": client_id}
        return requests.Request("POST", url, headers=headers, params=query, data=data).prepare()
    fields = {"client_id": client_id, "text": draw(st.text(max_size=8))}
    files = {"file": (name, data, media)}
    return requests.Request("POST", url, headers=headers, data=fields, files=files).prepare()


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
                    if s.escalated and path.endswith(("/cancel", "/leave")):
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
    signed_cgw = schema[CGW_WEBHOOK]["POST"].as_strategy()
    sign_cgw = _signed_chat_gateway_event(cc, base_url)
    escalated = next(s for s in sessions if s.escalated)
    serve = schema["/chat/files/{key}/{name}"]["GET"]
    upload = schema["/chat/sessions/{id}/attachments"]["POST"].as_strategy(
        path_parameters={"id": escalated.conversation_id}, headers=escalated.auth
    )

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
            kind = data.draw(
                st.sampled_from(["plain"] * 6 + ["v2 event", "cgw event", "upload"]), label="kind"
            )
            if kind != "plain":
                case = data.draw({"v2 event": signed, "cgw event": signed_cgw, "upload": upload}[kind])
                if kind == "v2 event":
                    request = sign(case, data.draw)
                elif kind == "cgw event":
                    request = sign_cgw(case, data.draw)
                else:
                    request = _valid_upload(case, data.draw, base_url)
                response = http.send(request, timeout=10)
                case.validate_response(response, checks=CHECKS)
                if kind == "upload" and response.status_code == 202:
                    file = response.json()["attachment"]
                    served = serve.Case(path_parameters={"key": file["id"], "name": file["name"]})
                    got = served.call_and_validate(base_url=base_url, session=http, checks=CHECKS, timeout=10)
                    assert got.status_code == 200
                    assert got.headers["content-type"][0].startswith(file["content_type"])
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
