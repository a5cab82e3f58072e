"""Texts from the domain's ``utter_*`` responses, the handoff only where a person can take over, and an
active form closed on handoff: what a Rasa team sees when it drops bot_actions into its own bot."""

from __future__ import annotations

from typing import Any

import pytest

from bot_actions import BotActionsConfig
from tests.bot_actions.builders import DOMAIN, RunAction, action_call, entity

HANDOFF = "action_handoff_to_agent"


def with_responses(**responses: list[dict[str, Any]]) -> dict[str, Any]:
    return {**DOMAIN, "responses": {**DOMAIN["responses"], **responses}}


def said(result: dict[str, Any]) -> list[tuple[str | None, str | None]]:
    """(response name, text) of every response that is not a bare custom payload."""
    return [(r["response"], r["text"]) for r in result["responses"] if not r["custom"]]


@pytest.mark.parametrize("channel", [None, "rest", "socketio", "WEB"])
async def test_no_handoff_where_no_person_can_take_over(run_action: RunAction, channel: str | None) -> None:
    result = await run_action(action_call(HANDOFF, channel=channel))

    assert result["events"] == []
    assert all(not r["custom"] for r in result["responses"])
    assert said(result) == [(None, BotActionsConfig().not_available_text)]


async def test_handoff_channels_are_configurable(run_action: RunAction) -> None:
    config = BotActionsConfig(handoff_channels=("web", "facebook"), not_available_text="")

    on_facebook = await run_action(action_call(HANDOFF, channel="facebook"), config)
    on_rest = await run_action(action_call(HANDOFF, channel="rest"), config)
    anywhere = await run_action(action_call(HANDOFF, channel=None), BotActionsConfig(handoff_channels=("*",)))

    assert [e["event"] for e in on_facebook["events"]] == ["slot", "pause"]
    assert on_rest == {"events": [], "responses": []}  # empty text: says nothing
    assert [e["event"] for e in anywhere["events"]] == ["slot", "pause"]


async def test_not_available_text_from_the_domain(run_action: RunAction) -> None:
    domain = with_responses(utter_handoff_not_available=[{"text": "Call us instead."}])

    result = await run_action(action_call(HANDOFF, channel="rest", domain=domain))

    assert said(result) == [("utter_handoff_not_available", None)]


async def test_connecting_text_from_the_domain_then_the_payload(run_action: RunAction) -> None:
    domain = with_responses(utter_handoff_connecting=[{"text": "Un momento..."}])

    result = await run_action(action_call(HANDOFF, domain=domain))

    assert said(result) == [("utter_handoff_connecting", None)]
    assert result["responses"][1]["custom"]["handoff"]["reason"] == "customer_asked"


async def test_builtin_text_when_the_domain_lacks_the_response(run_action: RunAction) -> None:
    result = await run_action(action_call(HANDOFF, domain=with_responses(utter_other=[{"text": "x"}])))

    assert said(result) == [(None, "Connecting you to a human agent...")]


@pytest.mark.parametrize(
    ("outcome", "response"),
    [
        ("completed", "utter_handback_completed"),
        ("cancelled", "utter_handback_cancelled"),
        ("failed", "utter_handback_failed"),
        ("abandoned", "utter_handback_abandoned"),
        ("weird", "utter_handback_completed"),
    ],
)
async def test_handback_response_by_outcome_with_its_values(
    run_action: RunAction, outcome: str, response: str
) -> None:
    names = ("completed", "cancelled", "failed", "abandoned")
    domain = with_responses(**{f"utter_handback_{n}": [{"text": f"{n} {{agent_name}}"}] for n in names})
    entities = [entity("outcome", outcome), entity("agent_name", "Bob"), entity("duration_s", 42)]
    call = action_call("action_hand_back", intent="agent_left", entities=entities, domain=domain)

    result = await run_action(call)

    (message,) = result["responses"]
    assert (message["response"], message["text"]) == (response, None)
    # Rasa fills {agent_name}, {duration_s} and {reason} of the response from these.
    assert (message["agent_name"], message["duration_s"], message["reason"]) == ("Bob", "42", "")


async def test_offer_from_the_domain_brings_its_own_buttons(run_action: RunAction) -> None:
    domain = with_responses(
        utter_offer_agent=[{"text": "A person?", "buttons": [{"title": "Yes", "payload": "/human_handoff"}]}]
    )

    result = await run_action(action_call("action_offer_agent", domain=domain))

    (message,) = result["responses"]
    assert (message["response"], message["text"], message["buttons"]) == ("utter_offer_agent", None, [])


async def test_handoff_during_a_form_deactivates_it_before_pausing(run_action: RunAction) -> None:
    result = await run_action(action_call(HANDOFF, active_loop="order_form"))

    assert [(e["event"], e.get("name"), e.get("value")) for e in result["events"]] == [
        ("active_loop", None, None),
        ("slot", "requested_slot", None),
        ("slot", "handoff_requested", True),
        ("pause", None, None),
    ]


async def test_no_form_no_form_events(run_action: RunAction) -> None:
    result = await run_action(action_call(HANDOFF))

    assert [e["event"] for e in result["events"]] == ["slot", "pause"]
