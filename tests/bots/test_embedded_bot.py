"""The embedded bot: the hand-back rule follows ``GATEWAY_BOT__HANDBACK_INTENT`` (as with Rasa), and a rule
that names an action the bot does not have stops start-up with one line naming the rule, instead of failing
the first customer who reaches it."""

from __future__ import annotations

from pathlib import Path

from gateway.bots.embedded import EmbeddedBot
from gateway.bots.rules import RuleSet
from gateway.relay.model import ConversationId, Customer, Handback, Outcome
from tests.support.process import failed_start_up, gateway_env

RULES = """
fallback = "Sorry?"

[[rules]]
intent = "human_handoff"
keywords = ["agent"]
action = "action_handoff_to_agent"

[[rules]]
intent = "agent_left"
text = "agent_left rule"

[[rules]]
intent = "back_from_agent"
action = "action_hand_back"
"""


def rules(tmp_path: Path, text: str = RULES) -> RuleSet:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    return RuleSet.load(path)


async def test_handback_runs_the_configured_intents_rule(tmp_path: Path) -> None:
    bot = EmbeddedBot(rules(tmp_path), handback_intent="back_from_agent")

    reply = await bot.resume(ConversationId("c1"), Customer(), Handback(Outcome.FAILED))

    assert [m.text for m in reply.messages] == [
        "Sorry, no agent could be reached right now. I'm here again if you need anything, "
        "or you can try again later."
    ]


async def test_default_handback_intent_is_agent_left(tmp_path: Path) -> None:
    bot = EmbeddedBot(rules(tmp_path))

    reply = await bot.resume(ConversationId("c1"), Customer(), Handback(Outcome.COMPLETED))

    assert [m.text for m in reply.messages] == ["agent_left rule"]


async def test_no_rule_for_the_handback_intent_means_silence(tmp_path: Path) -> None:
    bot = EmbeddedBot(rules(tmp_path), handback_intent="nobody_has_this")

    reply = await bot.resume(ConversationId("c1"), Customer(), Handback(Outcome.COMPLETED))

    assert reply.messages == ()


async def test_rule_with_an_unknown_action_stops_start_up_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES + '\n[[rules]]\nintent = "refund"\naction = "action_refund"\n')
    env = gateway_env(
        GATEWAY_BOT__RULES_FILE=str(path),
        GATEWAY_STORE__URL=f"sqlite:///{tmp_path / 'gw.db'}",
        GATEWAY_PORT="0",
    )
    lines = await failed_start_up(env, tmp_path)
    assert len(lines) == 1, lines
    assert lines[0].endswith(
        "rule 'refund' names unknown action 'action_refund' "
        "(known: action_hand_back, action_handoff_to_agent, action_offer_agent)"
    )
    assert "GATEWAY_BOT__RULES_FILE" in lines[0]
