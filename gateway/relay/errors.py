"""The gateway's exception tree. Adapters translate foreign errors into these at their edge.

GatewayError
├── CustomerError                 bad input from a customer: an error frame or a problem+json, no state change
│   ├── UnknownSession            no session for this token (or a forged one)
│   ├── WrongState                the request does not apply now (e.g. cancel while with the bot)
│   └── RateLimited               too many messages
├── StaleConversation             the store refused a change made from an out-of-date copy (retry)
├── StoreUnavailable              transient: the store cannot be reached right now (retry; a retried
│                                 change is applied once)
├── BotUnavailable                the bot timed out, refused or answered nonsense
└── ContactCenterError
    ├── ContactCenterUnavailable  transient: retry with backoff and the same Idempotency-Key
    └── ContactCenterRejected     permanent: the request will never succeed as it is
        └── ContactCenterNotConfigured
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.relay.model import State


class GatewayError(Exception):
    """Root of every error the gateway raises on purpose."""


class CustomerError(GatewayError):
    code = "invalid_frame"


class UnknownSession(CustomerError):
    code = "unknown_session"


class WrongState(CustomerError):
    code = "wrong_state"


class RateLimited(CustomerError):
    code = "rate_limited"


class InvalidInput(CustomerError):
    """The request breaks a rule of the relay's (e.g. a ``client_id`` too long)."""

    code = "invalid_frame"


class TooLarge(CustomerError):
    """More than a limit allows (e.g. the files of one conversation beyond its quota)."""

    code = "too_long"


class IllegalTransition(GatewayError):
    """The event does not apply in the conversation's current state (raised by the machine).

    The relay turns it into ``WrongState`` for a customer, and records and ignores a contact-center or
    bot event that arrived too late.
    """

    def __init__(self, state: State, event: object) -> None:
        super().__init__(f"{type(event).__name__} is not allowed in state {state.value}")
        self.state = state
        self.event = event


class StaleConversation(GatewayError):
    """Another writer changed the conversation since it was loaded."""


class DuplicateEvent(GatewayError):
    """A change would store a contact-center event whose id is stored already; nothing was applied."""


class StoreUnavailable(GatewayError):
    """The store could not be reached (e.g. Redis restarting); retry later."""


class BotUnavailable(GatewayError):
    pass


class ContactCenterError(GatewayError):
    pass


class ContactCenterUnavailable(ContactCenterError):
    """Transient: the call may succeed if retried."""


class ContactCenterRejected(ContactCenterError):
    """Permanent: retrying the same call will not help."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ContactCenterNotConfigured(ContactCenterRejected):
    def __init__(self) -> None:
        super().__init__("no contact center is configured")
