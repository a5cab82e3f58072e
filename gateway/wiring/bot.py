"""The bot: the embedded rule bot, or Rasa's REST channel when ``GATEWAY_BOT__URL`` is a URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from gateway.bots.embedded import EmbeddedBot
from gateway.bots.rasa import RasaBot
from gateway.bots.rules import RuleSet
from gateway.keys import bot_key, metrics_key, settings_key
from gateway.relay.ports import Bot
from gateway.settings import Settings
from gateway.wiring.errors import StartupError


def load_embedded_bot(settings: Settings) -> Bot:
    try:
        return EmbeddedBot(
            RuleSet.load(settings.bot.rules_file), handback_intent=settings.bot.handback_intent
        )
    except (OSError, ValueError) as exc:
        raise StartupError(f"GATEWAY_BOT__RULES_FILE: cannot use {settings.bot.rules_file}: {exc}") from exc


@asynccontextmanager
async def bot_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    if settings.bot.url == "embedded":
        app[bot_key] = load_embedded_bot(settings)
        yield
        return
    rasa = await RasaBot.open(settings.bot, observe_resume=app[metrics_key].bot_resume)
    if (refused := await rasa.check_token()) is not None:
        await rasa.close()
        raise StartupError(refused)
    app[bot_key] = rasa
    yield
    await rasa.close()
