"""action_handoff_to_agent through rasa-sdk's ActionExecutor: the gateway escalates on exactly this payload
(shared/design.md, Bot contract), so its shape, its strings-only values and the pause are the contract."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import ActionExecutor

from bot_actions import ActionHandoffToAgent, BotActionsConfig, BotActionsConfigError
from tests.bot_actions.builders import RunAction, action_call

HANDOFF = "action_handoff_to_agent"


def handoff_of(result: dict[str, Any]) -> dict[str, Any]:
    customs = [r["custom"] for r in result["responses"] if r["custom"]]
    assert len(customs) == 1
    assert list(customs[0]) == ["handoff"]
    handoff: dict[str, Any] = customs[0]["handoff"]
    return handoff


async def test_payload_has_the_exact_contract_shape(run_action: RunAction) -> None:
    call = action_call(
        HANDOFF,
        metadata={
            "queue_id": "vip",
            "customer": {"name": "Ann", "email": "ann@example.com", "language": "en"},
        },
    )

    result = await run_action(call)

    assert handoff_of(result) == {
        "reason": "customer_asked",
        "queue_id": "vip",
        "customer": {"name": "Ann", "email": "ann@example.com", "language": "en"},
        "context": {"intent": "human_handoff", "confidence": "0.9731"},
    }


async def test_connecting_text_comes_first_then_the_payload_alone(run_action: RunAction) -> None:
    result = await run_action(action_call(HANDOFF))

    first, second = result["responses"]
    assert first["text"] == "Connecting you to a human agent..."
    assert first["custom"] == {}
    assert second["text"] is None
    assert second["buttons"] == []
    assert set(second["custom"]) == {"handoff"}


async def test_marks_the_handoff_and_pauses_the_bot(run_action: RunAction) -> None:
    result = await run_action(action_call(HANDOFF))

    assert result["events"] == [
        {"event": "slot", "timestamp": None, "name": "handoff_requested", "value": True},
        {"event": "pause", "timestamp": None},
    ]


async def test_slots_filled_in_the_conversation_override_channel_metadata(run_action: RunAction) -> None:
    call = action_call(
        HANDOFF,
        metadata={"customer": {"name": "Ann", "email": "old@example.com", "language": "en", "plan": "gold"}},
        slots={"customer_name": "Ann Smith", "customer_email": "ann@example.com", "customer_language": None},
    )

    customer = handoff_of(await run_action(call))["customer"]

    assert customer == {"name": "Ann Smith", "email": "ann@example.com", "language": "en", "plan": "gold"}


async def test_customer_from_slots_alone_when_metadata_has_none(run_action: RunAction) -> None:
    call = action_call(HANDOFF, slots={"customer_name": "Bob", "customer_language": "de"})

    assert handoff_of(await run_action(call))["customer"] == {"name": "Bob", "language": "de"}


async def test_customer_values_are_strings_and_none_or_empty_are_dropped(run_action: RunAction) -> None:
    metadata = {
        "customer": {"name": None, "email": "", "age": 42, "vip": True, "tags": ["a", "b"], 7: "seven"}
    }

    customer = handoff_of(await run_action(action_call(HANDOFF, metadata=metadata)))["customer"]

    assert customer == {"age": "42", "vip": "true", "tags": '["a","b"]', "7": "seven"}


@pytest.mark.parametrize(
    ("slots", "metadata", "expected"),
    [
        pytest.param({"handoff_queue": "billing"}, {"queue_id": "vip"}, "billing", id="slot-wins"),
        pytest.param({}, {"queue_id": "vip"}, "vip", id="metadata"),
        pytest.param({"handoff_queue": ""}, {"queue_id": "vip"}, "vip", id="empty-slot-ignored"),
        pytest.param({}, {"queue_id": 12}, "12", id="stringified"),
        pytest.param({}, {}, None, id="none"),
    ],
)
async def test_queue_id_precedence(
    run_action: RunAction, slots: dict[str, Any], metadata: dict[str, Any], expected: str | None
) -> None:
    handoff = handoff_of(await run_action(action_call(HANDOFF, slots=slots, metadata=metadata)))

    assert "queue_id" in handoff
    assert handoff["queue_id"] == expected


@pytest.mark.parametrize(
    ("slots", "expected"),
    [({"handoff_reason": "billing_dispute"}, "billing_dispute"), ({}, "customer_asked")],
)
async def test_reason_from_slot_else_customer_asked(
    run_action: RunAction, slots: dict[str, Any], expected: str
) -> None:
    assert handoff_of(await run_action(action_call(HANDOFF, slots=slots)))["reason"] == expected


async def test_context_slots_are_stringified_and_unset_ones_skipped(run_action: RunAction) -> None:
    config = BotActionsConfig(context_slots=("order_id", "amount", "items", "angry", "missing", "intent"))
    slots = {"order_id": "A-17", "amount": 12.5, "items": [1, 2], "angry": False, "intent": "spoofed"}

    context = handoff_of(await run_action(action_call(HANDOFF, slots=slots), config))["context"]

    assert context == {
        "intent": "human_handoff",
        "confidence": "0.9731",
        "order_id": "A-17",
        "amount": "12.5",
        "items": "[1,2]",
        "angry": "false",
    }


async def test_context_leaves_out_what_the_latest_message_lacks(run_action: RunAction) -> None:
    no_confidence = handoff_of(await run_action(action_call(HANDOFF, confidence=None)))
    no_intent = handoff_of(await run_action(action_call(HANDOFF, intent=None)))

    assert no_confidence["context"] == {"intent": "human_handoff"}
    assert no_intent["context"] == {}


async def test_bare_tracker_still_gives_a_complete_payload(run_action: RunAction) -> None:
    call = {
        "next_action": HANDOFF,
        "domain": {"slots": {}},
        "tracker": {"sender_id": "c1", "latest_message": {"metadata": {"channel": "web"}}},
    }

    result = await run_action(call)

    assert handoff_of(result) == {"reason": "customer_asked", "queue_id": None, "customer": {}, "context": {}}
    assert [e["event"] for e in result["events"]] == ["slot", "pause"]


async def test_slot_names_and_text_come_from_the_config(run_action: RunAction) -> None:
    config = BotActionsConfig(
        connecting_text="Un momento...",
        default_reason="escalated",
        requested_slot="escalated",
        reason_slot="why",
        queue_slot="team",
        customer_name_slot="full_name",
        customer_email_slot="mail",
        customer_language_slot="lang",
    )
    slots = {"why": "refund", "team": "refunds", "full_name": "Eve", "mail": "e@example.com", "lang": "es"}
    slots |= {"handoff_reason": "ignored", "handoff_queue": "ignored", "customer_name": "ignored"}

    result = await run_action(action_call(HANDOFF, slots=slots), config)

    assert result["responses"][0]["text"] == "Un momento..."
    handoff = handoff_of(result)
    assert (handoff["reason"], handoff["queue_id"]) == ("refund", "refunds")
    assert handoff["customer"] == {"name": "Eve", "email": "e@example.com", "language": "es"}
    assert result["events"][0] == {"event": "slot", "timestamp": None, "name": "escalated", "value": True}


async def test_empty_connecting_text_sends_only_the_payload(run_action: RunAction) -> None:
    result = await run_action(action_call(HANDOFF), BotActionsConfig(connecting_text=""))

    assert len(result["responses"]) == 1
    assert result["responses"][0]["text"] is None
    assert "handoff" in result["responses"][0]["custom"]


async def test_no_arg_action_reads_env_when_it_runs_not_when_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_ACTIONS_CONTEXT_SLOTS", "[not json")
    executor = ActionExecutor()
    executor.register_action(ActionHandoffToAgent)  # built with no arguments while the env is invalid
    monkeypatch.setenv("BOT_ACTIONS_CONNECTING_TEXT", "Hold on")
    monkeypatch.setenv("BOT_ACTIONS_CONTEXT_SLOTS", "order_id, tier")

    result = await executor.run(action_call(HANDOFF, slots={"order_id": "A-1", "tier": "gold"}))

    assert result is not None
    assert result.responses[0]["text"] == "Hold on"
    assert handoff_of(result.model_dump())["context"] == {
        "intent": "human_handoff",
        "confidence": "0.9731",
        "order_id": "A-1",
        "tier": "gold",
    }


async def test_bad_env_value_fails_the_run_naming_the_variable(
    run_action: RunAction, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOT_ACTIONS_CONTEXT_SLOTS", "[secret-value")

    with pytest.raises(BotActionsConfigError, match=r"^BOT_ACTIONS_CONTEXT_SLOTS: ") as info:
        await run_action(action_call(HANDOFF))

    assert "secret-value" not in str(info.value)
