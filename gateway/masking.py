"""Settings as ``check-config`` shows them: every secret masked, credentials inside URLs too."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import SecretStr

from gateway.settings import Settings

_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^/@:]*)(?::[^/@]*)?@", re.I)


def masked_url(text: str) -> str:
    """``redis://user:secret@host`` -> ``redis://user:**********@host``; a lone user part (often a
    token, ``https://token@host``) is masked too."""

    def mask(m: re.Match[str]) -> str:
        has_password = m[0].count(":") > m["scheme"].count(":")
        user = m["user"] if has_password else "**********"
        return f"{m['scheme']}{user}:**********@" if has_password else f"{m['scheme']}{user}@"

    return _URL_CREDENTIALS.sub(mask, text)


def masked(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return "**********" if value.get_secret_value() else ""
    if isinstance(value, str):
        return masked_url(value)
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [masked(v) for v in value]
    return value


def effective_settings(settings: Settings) -> dict[str, Any]:
    """The settings as JSON-ready data, every secret masked."""
    data = masked(settings.model_dump(mode="python"))
    return masked(json.loads(json.dumps(data, default=str)))  # type: ignore[no-any-return]
