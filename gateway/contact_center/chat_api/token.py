"""OAuth client-credentials token for the Chat API: cached, refreshed before expiry, one fetch at a time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from pydantic import BaseModel, ConfigDict, ValidationError

from gateway.contact_center.chat_api.errors import ChatApiUnavailable, error_for


class TokenResponse(BaseModel):
    """Spec §2: every value is a string, ``expires_in`` included; unknown fields are harmless."""

    model_config = ConfigDict(extra="ignore")
    access_token: str
    expires_in: int  # pydantic reads "1799" as 1799


@dataclass(frozen=True, slots=True)
class Token:
    value: str
    expires_at: float  # monotonic seconds


class TokenProvider:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_key: str,
        api_secret: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session
        self._authorization = aiohttp.encode_basic_auth(api_key, api_secret)
        self._clock = clock
        self._token: Token | None = None
        self._lock = asyncio.Lock()
        self.last_obtained: float | None = None  # wall-clock time of the last successful fetch (readiness)

    def _fresh(self, token: Token | None) -> bool:
        return token is not None and self._clock() < token.expires_at

    def current(self) -> str | None:
        """The token held, while it is valid (no await: what nearly every call finds)."""
        token = self._token
        return token.value if token is not None and self._clock() < token.expires_at else None

    async def get(self) -> str:
        """A valid token; concurrent callers share one fetch."""
        token = self._token
        if token is not None and self._fresh(token):
            return token.value
        async with self._lock:
            if self._token is not None and self._fresh(self._token):
                return self._token.value
            self._token = await self._fetch()
            return self._token.value

    def invalidate(self, value: str) -> None:
        """Forget ``value`` after a 401, unless another caller already replaced it."""
        if self._token is not None and self._token.value == value:
            self._token = None

    async def _fetch(self) -> Token:
        try:
            async with self._session.post(
                "oauth/v2/token",
                headers={"Authorization": self._authorization},
                data={"grant_type": "client_credentials"},
            ) as resp:
                body = await resp.json(content_type=None)
                if resp.status != 200:
                    raise error_for(resp.status, body, operation="token")
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise ChatApiUnavailable(f"token: {type(exc).__name__}") from exc
        except ValueError as exc:  # not JSON
            raise ChatApiUnavailable("token: the answer is not JSON") from exc
        try:
            parsed = TokenResponse.model_validate(body)
        except ValidationError as exc:
            raise ChatApiUnavailable(f"token: unexpected answer ({exc.error_count()} errors)") from exc
        # Refresh ahead of expiry: 60 s early for real lifetimes, a fifth early for short test ones.
        margin = min(60.0, parsed.expires_in / 5)
        self.last_obtained = time.time()
        return Token(value=parsed.access_token, expires_at=self._clock() + parsed.expires_in - margin)
