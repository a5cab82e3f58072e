"""The real rasa-sdk action server (``python -m rasa_sdk --actions bot_actions``) over HTTP.

Rasa calls this server, not our Python objects: package discovery, the JSON the server writes and its error
statuses (shared/specs/rasa.md section 3) are what Rasa 3.6.21 sees, so they are checked on the wire.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.bot_actions.builders import action_call, entity
from tests.support.action_server import get_json, running_action_server


def get(url: str) -> tuple[int, Any]:
    return get_json(url)


def post(url: str, body: bytes) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.loads(err.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a running action server; BOT_ACTIONS_CONTEXT_SLOTS=order_id shows env config reaches it."""
    log_path = tmp_path_factory.mktemp("action_server") / "server.log"
    with running_action_server(log_path, {"BOT_ACTIONS_CONTEXT_SLOTS": "order_id"}) as base:
        yield base


def test_lists_exactly_the_package_actions(server: str) -> None:
    status, body = get(f"{server}/actions")

    assert status == 200
    assert sorted(a["name"] for a in body) == [
        "action_check_agent_availability",
        "action_hand_back",
        "action_handoff_to_agent",
        "action_offer_agent",
    ]


def test_handoff_reply_carries_payload_text_and_pause(server: str) -> None:
    call = action_call(
        "action_handoff_to_agent",
        metadata={"queue_id": "vip", "customer": {"name": "Ann", "language": "en"}},
        slots={"handoff_reason": "billing_dispute", "customer_email": "ann@example.com", "order_id": 1234},
    )

    status, body = post(f"{server}/webhook", json.dumps(call).encode())

    assert status == 200
    assert body["events"] == [
        {"event": "slot", "timestamp": None, "name": "handoff_requested", "value": True},
        {"event": "pause", "timestamp": None},
    ]
    text, payload = body["responses"]
    assert text["text"] == "Connecting you to a human agent..."
    assert text["custom"] == {}
    assert payload["text"] is None
    assert payload["custom"] == {
        "handoff": {
            "reason": "billing_dispute",
            "queue_id": "vip",
            "customer": {"name": "Ann", "language": "en", "email": "ann@example.com"},
            "context": {"intent": "human_handoff", "confidence": "0.9731", "order_id": "1234"},
        }
    }


def test_hand_back_reply_speaks_for_the_outcome_and_clears_slots(server: str) -> None:
    call = action_call(
        "action_hand_back",
        text="EXTERNAL: agent_left",
        intent="agent_left",
        confidence=1.0,
        entities=[entity("outcome", "failed"), entity("reason", "no_agents")],
        slots={"handoff_requested": True, "handoff_queue": "vip"},
    )

    status, body = post(f"{server}/webhook", json.dumps(call).encode())

    assert status == 200
    assert [r["text"] for r in body["responses"]] == [
        "Sorry, no agent could be reached right now. I'm here again if you need anything, "
        "or you can try again later."
    ]
    assert [(e["event"], e["name"], e["value"]) for e in body["events"]] == [
        ("slot", "handoff_requested", None),
        ("slot", "handoff_reason", None),
        ("slot", "handoff_queue", None),
    ]


def test_offer_reply_has_the_handoff_button(server: str) -> None:
    status, body = post(f"{server}/webhook", json.dumps(action_call("action_offer_agent")).encode())

    assert status == 200
    assert body["events"] == []
    assert [r["buttons"] for r in body["responses"]] == [
        [{"title": "Talk to an agent", "payload": "/human_handoff"}]
    ]


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        pytest.param(b"", 400, {"error": "Invalid body request"}, id="empty-body"),
        pytest.param(  # Sanic's own 400, not rasa-sdk's (shared/specs/rasa.md says otherwise)
            b"{not json",
            400,
            {"description": "Bad Request", "status": 400, "message": "Failed when parsing body as json"},
            id="not-json",
        ),
        pytest.param(
            json.dumps(action_call("action_nope")).encode(),
            404,
            {"error": "No registered action found for name 'action_nope'.", "action_name": "action_nope"},
            id="unknown-action",
        ),
    ],
)
def test_bad_requests_get_the_documented_status(server: str, body: bytes, status: int, expected: Any) -> None:
    assert post(f"{server}/webhook", body) == (status, expected)


def test_tracker_without_sender_id_is_a_500_naming_the_key(server: str) -> None:
    call = action_call("action_handoff_to_agent")
    del call["tracker"]["sender_id"]

    status, body = post(f"{server}/webhook", json.dumps(call).encode())

    assert status == 500
    assert body["error"] == "'sender_id'"
    assert body["request_body"] == call


def test_missing_domain_asks_rasa_to_retry_with_it(server: str) -> None:
    call = action_call("action_handoff_to_agent")
    del call["domain"]

    status, body = post(f"{server}/webhook", json.dumps(call).encode())

    assert status == 449
    assert body["action_name"] == "action_handoff_to_agent"


def test_call_without_next_action_answers_null(server: str) -> None:
    call = action_call("action_handoff_to_agent")
    del call["next_action"]

    assert post(f"{server}/webhook", json.dumps(call).encode()) == (200, None)
