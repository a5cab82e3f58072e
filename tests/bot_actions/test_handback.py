"""action_hand_back and action_offer_agent through ActionExecutor. After an escalation the bot must tell the
customer how it ended and forget the old handoff, or the next escalation would carry a stale reason/queue."""

from __future__ import annotations

from typing import Any

import pytest

from bot_actions import BotActionsConfig
from tests.bot_actions.builders import RunAction, action_call, entity

HAND_BACK = "action_hand_back"
CLEARED = [
    {"event": "slot", "timestamp": None, "name": "handoff_requested", "value": None},
    {"event": "slot", "timestamp": None, "name": "handoff_reason", "value": None},
    {"event": "slot", "timestamp": None, "name": "handoff_queue", "value": None},
]
HANDED_BACK = {"handoff_requested": True, "handoff_reason": "billing", "handoff_queue": "vip"}


def texts(result: dict[str, Any]) -> list[str | None]:
    return [r["text"] for r in result["responses"]]


def hand_back_call(
    *, metadata: dict[str, Any] | None = None, entities: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return action_call(
        HAND_BACK,
        text="/agent_left",
        intent="agent_left",
        confidence=1.0,
        metadata=metadata,
        entities=entities,
        slots=HANDED_BACK,
    )


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ("completed", "The agent has left the chat. I'm here again if you need anything."),
        ("cancelled", "OK, I've stopped looking for an agent. I'm here again if you need anything."),
        (
            "failed",
            "Sorry, no agent could be reached right now. I'm here again if you need anything, "
            "or you can try again later.",
        ),
        ("abandoned", "Welcome back! I'm here again if you need anything."),
        (
            "FAILED ",
            "Sorry, no agent could be reached right now. I'm here again if you need anything, "
            "or you can try again later.",
        ),
    ],
)
async def test_says_the_text_for_the_outcome_in_metadata(
    run_action: RunAction, outcome: str, expected: str
) -> None:
    metadata = {"handback": {"outcome": outcome, "agent_name": "Jo", "duration_s": 312}}

    result = await run_action(hand_back_call(metadata=metadata))

    assert texts(result) == [expected]
    assert result["events"] == CLEARED


@pytest.mark.parametrize("outcome", [None, "transferred", 3])
async def test_missing_or_unknown_outcome_gets_the_plain_hand_back_text(
    run_action: RunAction, outcome: Any
) -> None:
    result = await run_action(hand_back_call(metadata={"handback": {"outcome": outcome}}))

    assert texts(result) == ["The agent has left the chat. I'm here again if you need anything."]
    assert result["events"] == CLEARED


async def test_entities_override_metadata(run_action: RunAction) -> None:
    config = BotActionsConfig(handback_failed_text="failed: {reason} / {agent_name}")
    metadata = {"handback": {"outcome": "completed", "agent_name": "Jo", "reason": "x"}}
    entities = [entity("outcome", "failed"), entity("reason", "closed_hours")]

    result = await run_action(hand_back_call(metadata=metadata, entities=entities), config)

    assert texts(result) == ["failed: closed_hours / Jo"]


async def test_entities_alone_as_sent_by_trigger_intent(run_action: RunAction) -> None:
    config = BotActionsConfig(handback_text="{agent_name} left after {duration_s} s.")
    entities = [entity("outcome", "completed"), entity("agent_name", "Sam"), entity("duration_s", 95)]

    result = await run_action(hand_back_call(entities=entities), config)

    assert texts(result) == ["Sam left after 95 s."]


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Bye from {agent_name}.", "Bye from ."),  # known placeholder, unknown value: empty
        ("Thanks {customer}!", "Thanks {customer}!"),  # not a placeholder: as written
        ("Braces { are {{fine}}", "Braces { are {{fine}}"),
        ("Index {0}", "Index {0}"),
        ("Attr {agent_name.upper}", "Attr {agent_name.upper}"),  # no attribute lookups
    ],
)
async def test_placeholders_never_break_the_hand_back(
    run_action: RunAction, template: str, expected: str
) -> None:
    result = await run_action(hand_back_call(), BotActionsConfig(handback_text=template))

    assert texts(result) == [expected]
    assert result["events"] == CLEARED


async def test_empty_text_says_nothing_but_still_clears(run_action: RunAction) -> None:
    result = await run_action(hand_back_call(), BotActionsConfig(handback_text=""))

    assert result["responses"] == []
    assert result["events"] == CLEARED


async def test_clears_the_configured_slots(run_action: RunAction) -> None:
    config = BotActionsConfig(requested_slot="escalated", reason_slot="why", queue_slot="team")

    result = await run_action(hand_back_call(), config)

    assert [(e["name"], e["value"]) for e in result["events"]] == [
        ("escalated", None),
        ("why", None),
        ("team", None),
    ]


async def test_offer_agent_button_sends_the_handoff_intent(run_action: RunAction) -> None:
    result = await run_action(action_call("action_offer_agent", text="hmm", intent="nlu_fallback"))

    assert result["events"] == []
    [offer] = result["responses"]
    assert offer["text"] == "Would you like to talk to a human agent?"
    assert offer["buttons"] == [{"title": "Talk to an agent", "payload": "/human_handoff"}]
    assert offer["custom"] == {}


async def test_offer_agent_is_configurable(run_action: RunAction) -> None:
    config = BotActionsConfig(
        offer_text="", offer_button_title="Mensch bitte", handoff_intent="talk_to_human"
    )

    [offer] = (await run_action(action_call("action_offer_agent"), config))["responses"]

    assert offer["text"] is None
    assert offer["buttons"] == [{"title": "Mensch bitte", "payload": "/talk_to_human"}]
