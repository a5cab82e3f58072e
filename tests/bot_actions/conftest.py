from __future__ import annotations

import os
from typing import Any

import pytest
from rasa_sdk.executor import ActionExecutor

from bot_actions import ActionHandBack, ActionHandoffToAgent, ActionOfferAgent, BotActionsConfig
from tests.bot_actions.builders import RunAction


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No BOT_ACTIONS_* from the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.upper().startswith("BOT_ACTIONS_"):
            monkeypatch.delenv(name)


@pytest.fixture
def run_action() -> RunAction:
    """Run one action call through rasa-sdk's ActionExecutor, the way the embedded bot does.

    With ``config=None`` the classes are registered (built with no arguments, config read from the env);
    otherwise instances built with that config.
    """

    async def run(call: dict[str, Any], config: BotActionsConfig | None = None) -> dict[str, Any]:
        executor = ActionExecutor()
        for cls in (ActionHandoffToAgent, ActionHandBack, ActionOfferAgent):
            executor.register_action(cls if config is None else cls(config))
        result = await executor.run(call)
        assert result is not None
        dumped: dict[str, Any] = result.model_dump()
        return dumped

    return run
