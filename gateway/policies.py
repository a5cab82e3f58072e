"""Every policy object of the relay core, built from the settings in this one place.

The policies have no defaults of their own: each value's single source is its settings class, so what an
operator reads in ``check-config`` is what the relay does.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.bots.availability import business_hours
from gateway.relay.model import Button
from gateway.relay.outbox import DeliveryPolicy
from gateway.relay.policy import BotPolicy, ConversationPolicy, ExtrasPolicy
from gateway.relay.timers import TimerPolicy
from gateway.settings import Settings


@dataclass(frozen=True, slots=True)
class Policies:
    bot: BotPolicy
    conversation: ConversationPolicy
    extras: ExtrasPolicy
    delivery: DeliveryPolicy
    timers: TimerPolicy


def policies_from(settings: Settings) -> Policies:
    bot, relay, hours = settings.bot, settings.relay, settings.hours
    weekly = business_hours(hours)
    return Policies(
        bot=BotPolicy(
            agent_request_payload=bot.agent_request_payload,
            unavailable_text=bot.unavailable_text,
            offer_agent_title=bot.offer_agent_title,
            empty_replies_before_offer=bot.empty_replies_before_offer,
            thinking_after_s=bot.thinking_after_s,
        ),
        conversation=ConversationPolicy(
            hours=weekly,
            # Empty: the weekly hours in words (only said outside them, so only with hours).
            closed_text=hours.closed_text or (weekly.closed_text() if weekly else ""),
            queue_notice_text=relay.queue_notice_text,
            keep_waiting_payload=relay.keep_waiting_payload,
            back_to_bot_payload=relay.back_to_bot_payload,
        ),
        extras=ExtrasPolicy(
            typing_interval_s=settings.limits.typing_interval_s,
            call_timeout_s=settings.attachments.fetch_timeout_s,
        ),
        delivery=DeliveryPolicy(
            open_max_attempts=relay.open_max_attempts,
            retry_base_s=relay.retry_base_s,
            retry_cap_s=relay.retry_cap_s,
            no_agent_text=relay.no_agent_text,
            undeliverable_text=relay.undeliverable_text,
        ),
        timers=TimerPolicy(
            inactivity_timeout_s=relay.inactivity_timeout_s,
            inactivity_warning_s=relay.inactivity_warning_s,
            inactivity_warning_text=relay.inactivity_warning_text,
            queue_offer_after_s=relay.queue_offer_after_s,
            queue_offer_text=relay.queue_offer_text,
            offer_buttons=(
                Button(relay.keep_waiting_title, relay.keep_waiting_payload),
                Button(relay.back_to_bot_title, relay.back_to_bot_payload),
            ),
            max_queue_wait_s=relay.max_queue_wait_s,
            queue_timeout_text=relay.queue_timeout_text,
            overflow_queue_id=relay.overflow_queue_id,
            overflow_after_s=relay.overflow_after_s,
            overflow_text=relay.overflow_text,
        ),
    )
