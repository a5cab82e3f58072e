"""The gateway's exception tree. Adapters translate foreign errors into these at their edge.

GatewayError
├── CustomerError                 bad input from a customer: an error frame or a problem+json, no state change
│   ├── UnknownSession            no session for this token (or a forged one)
│   ├── WrongState                the request does not apply now (e.g. cancel while with the bot)
│   ├── RateLimited               too many messages
│   ├── InvalidInput              a rule of the relay's broken (e.g. a client_id over 128 characters)
│   ├── TooLarge                  beyond a limit (e.g. the files of one conversation beyond their quota)
│   └── ...                       the web channel's own: FrameError, UploadTimeout, UnsupportedType,
│                                 FileNotFound, and an unauthorised request (channels/web)
├── IllegalTransition             the machine refuses an event in the conversation's state; the relay makes
│                                 it WrongState for a customer, and records and ignores a late webhook event
├── StaleConversation             the store refused a change made from an out-of-date copy (retry)
├── DuplicateEvent                a webhook event whose id is stored already: nothing was applied
├── StoreUnavailable              transient: the store cannot be reached right now (retry; a retried
│                                 change is applied once)
├── LeaseLost                     (store/redis_leases) another instance took over work this one held
├── BotUnavailable                the bot timed out, refused or answered nonsense
└── ContactCenterError
    ├── ContactCenterUnavailable  transient: retry with backoff and the same Idempotency-Key
    │   └── Unavailable           (contact_center/core/errors) 8x8's answer, ``ambiguous`` or not
    ├── ContactCenterGaveUp       still unavailable after the outbox's last attempt to open a conversation
    └── ContactCenterRejected     permanent: the request will never succeed as it is
        ├── ContactCenterNotConfigured
        ├── ApiGone               (contact_center/routing) the API that opened the conversation is gone
        └── Rejected, Unauthorized  (contact_center/core/errors) 8x8's refusals

Where they become answers, one place per edge:
- the customer's REST and WebSocket edge: ``channels/web/problems.error_answer`` (a CustomerError's own code;
  anything else ``unavailable``), used by ``rest.problem_middleware`` and ``ws`` frame handling;
- 8x8's webhook edge: ``contact_center/core/receiver.WebhookReceiver.handle`` (refusals by status; a
  GatewayError while storing: ``503``, so 8x8 delivers again);
- the outbox (``relay/outbox``): Unavailable is retried, Rejected and GaveUp are told to the customer.

Programming errors and corrupt stored data raise built-ins (``TypeError``, ``ValueError``), never these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.relay.model import State


class GatewayError(Exception):
    """Root of every error the gateway raises on purpose."""


class CustomerError(GatewayError):
    """The customer's request cannot be taken; ``code`` is the protocol's error code (design.md)."""

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


class RepeatedClientId(GatewayError):
    """A change would store a customer line whose ``client_id`` is stored already; nothing was applied."""


class StoreUnavailable(GatewayError):
    """The store could not be reached (e.g. Redis restarting); retry later."""


class BotUnavailable(GatewayError):
    """The bot timed out, refused, or answered something that is not an answer."""


class ContactCenterError(GatewayError):
    """Anything the contact center did or did not do; see the subclasses."""


class ContactCenterUnavailable(ContactCenterError):
    """Transient: the call may succeed if retried."""


class ContactCenterGaveUp(ContactCenterError):
    """Still unavailable after the last attempt the caller allows (the outbox opening a conversation)."""


class ContactCenterRejected(ContactCenterError):
    """Permanent: retrying the same call will not help."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ContactCenterNotConfigured(ContactCenterRejected):
    """No contact center is configured: every escalation fails at once, plainly."""

    def __init__(self) -> None:
        super().__init__("no contact center is configured")
