"""The relay's policies come from the settings, in one place (``gateway.policies.policies_from``).

Issue 20: ``ConversationPolicy.closed_text`` had a default of its own that differed from
``HoursSettings.closed_text``'s, so what an operator read in the settings was not what a relay built
elsewhere said. The policy classes now have no defaults, and every value is the setting's.
"""

from __future__ import annotations

import dataclasses

import pytest

from gateway.policies import policies_from
from gateway.relay.hours import BusinessHours
from gateway.relay.model import Button
from gateway.relay.outbox import DeliveryPolicy
from gateway.relay.policy import BotPolicy, ConversationPolicy, ExtrasPolicy
from gateway.relay.timers import TimerPolicy
from tests.support.gateway import SettingsFactory


@pytest.mark.parametrize("policy", [BotPolicy, ConversationPolicy, ExtrasPolicy, DeliveryPolicy, TimerPolicy])
def test_a_policy_has_no_default_of_its_own(policy: type) -> None:
    defaulted = [
        f.name
        for f in dataclasses.fields(policy)
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
    ]
    assert defaulted == []


def test_every_policy_value_is_the_settings(make_settings: SettingsFactory) -> None:
    settings = make_settings(
        bot={
            "agent_request_payload": "/human",
            "unavailable_text": "The assistant is down.",
            "offer_agent_title": "A person, please",
            "empty_replies_before_offer": 5,
            "thinking_after_s": 1.5,
        },
        relay={
            "queue_notice_text": "Queued for {queue}.",
            "keep_waiting_payload": "/stay",
            "back_to_bot_payload": "/back",
            "keep_waiting_title": "Stay",
            "back_to_bot_title": "Back",
            "open_max_attempts": 3,
            "no_agent_text": "Nobody here.",
            "inactivity_warning_text": "Hello?",
        },
        hours={"weekly": "mon 09:00-10:00", "timezone": "Europe/London", "closed_text": "Closed, sorry."},
        limits={"typing_interval_s": 4.0},
        attachments={"fetch_timeout_s": 7.0},
    )

    policies = policies_from(settings)

    assert policies.bot == BotPolicy(
        agent_request_payload="/human",
        unavailable_text="The assistant is down.",
        offer_agent_title="A person, please",
        empty_replies_before_offer=5,
        thinking_after_s=1.5,
    )
    assert policies.conversation == ConversationPolicy(
        hours=BusinessHours.parse("mon 09:00-10:00", "Europe/London"),
        closed_text="Closed, sorry.",
        queue_notice_text="Queued for {queue}.",
        keep_waiting_payload="/stay",
        back_to_bot_payload="/back",
    )
    assert policies.extras == ExtrasPolicy(typing_interval_s=4.0, call_timeout_s=7.0)
    assert policies.delivery.open_max_attempts == 3
    assert policies.delivery.no_agent_text == "Nobody here."
    assert policies.timers.inactivity_warning_text == "Hello?"
    assert policies.timers.offer_buttons == (Button("Stay", "/stay"), Button("Back", "/back"))


def test_the_closed_text_is_the_hours_settings_and_by_default_the_hours_in_words(
    make_settings: SettingsFactory,
) -> None:
    weekly = {"weekly": "mon-fri 08:00-18:00", "timezone": "UTC"}
    by_default = policies_from(make_settings(hours=weekly)).conversation
    assert by_default.closed_text == (
        "Our agents are available Monday to Friday 08:00-18:00 (UTC). The assistant is here to help meanwhile."
    )
    configured = policies_from(make_settings(hours={**weekly, "closed_text": "We are closed."})).conversation
    assert configured.closed_text == "We are closed."
    assert policies_from(make_settings()).conversation.hours is None  # around the clock: never closed
