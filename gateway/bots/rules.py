"""The embedded bot's rule file (TOML): keywords -> a reply text with buttons, or a rasa-sdk action."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

_WORDS = re.compile(r"[\w']+")
_INTENT = re.compile(r"/([\w-]+)")


class RuleButton(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str = Field(min_length=1)
    payload: str = Field(min_length=1)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    intent: str = Field(min_length=1, pattern=r"^[\w-]+$")
    keywords: tuple[str, ...] = ()
    text: str | None = None
    buttons: tuple[RuleButton, ...] = ()
    action: str | None = None

    @model_validator(mode="after")
    def _text_or_action(self) -> Rule:
        if (self.text is None) == (self.action is None):
            raise ValueError(f"rule {self.intent!r} needs exactly one of 'text' and 'action'")
        return self


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    fallback: str = Field(min_length=1)
    rules: tuple[Rule, ...] = ()

    @classmethod
    def load(cls, path: Path) -> RuleSet:
        with path.open("rb") as f:
            return cls.model_validate(tomllib.load(f))

    def by_intent(self, intent: str) -> Rule | None:
        return next((r for r in self.rules if r.intent == intent), None)

    def match(self, text: str) -> Rule | None:
        """A line starting with ``/intent`` names its rule; otherwise the first rule with a keyword in it."""
        stripped = text.strip()
        if stripped.startswith("/"):
            found = _INTENT.match(stripped)
            return self.by_intent(found[1]) if found else None
        lowered = stripped.lower()
        words = set(_WORDS.findall(lowered))
        for rule in self.rules:
            for keyword in rule.keywords:
                kw = keyword.lower()
                if (" " in kw and kw in lowered) or kw in words:
                    return rule
        return None
