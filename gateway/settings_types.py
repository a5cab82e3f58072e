"""What every settings group shares: the group base, comma lists, and the names of regions and APIs."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic_settings import NoDecode

Region = Literal["us", "eu", "ca", "ap"]
Api = Literal["chat_api", "chat_gateway"]
"""The two 8x8 APIs: Chat Gateway v1 (the default) and Chat API v2 (legacy, for tenants that still have it)."""
HandbackMode = Literal["trigger_intent", "message"]


def split_commas(value: object) -> object:
    """``a, b,c`` from an environment variable -> ["a", "b", "c"]; lists pass through."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


CommaList = Annotated[list[str], NoDecode, BeforeValidator(split_commas)]
"""A list read from one variable, comma-separated."""


class Group(BaseModel):
    """A settings group: unknown names are refused, and it never changes once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)
