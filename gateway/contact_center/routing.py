"""One ``ContactCenter`` over both 8x8 APIs, so an operator can switch without stranding conversations.

New conversations go to the selected API (``GATEWAY_CONTACT_CENTER``). Everything later about a stored
conversation — customer lines, leave, a re-escalation that reuses it, typing, files — goes to the API that
opened it, told apart by its id: Chat Gateway ids are qualified ``cgw:``, Chat API ids are bare (as every
id stored before Chat Gateway existed is). Each API's webhook receiver keeps running while its settings
group is configured, so 8x8's events for those conversations still arrive.
"""

from __future__ import annotations

from typing import Literal

from gateway.contact_center.core.ids import is_chat_gateway_id
from gateway.contact_center.unconfigured import NoContactCenter
from gateway.relay.errors import ContactCenterRejected
from gateway.relay.model import CcConversationId
from gateway.relay.ports import ContactCenter, ContactCenterExtras, HistoryLine, NotReady, OpenRequest

Api = Literal["chat_api", "chat_gateway"]

_SETTINGS = {"chat_api": "GATEWAY_CHAT_API__*", "chat_gateway": "GATEWAY_CHAT_GATEWAY__*"}


class ApiGone(ContactCenterRejected):
    """The conversation lives on an API whose settings were removed."""


class _Gone(NoContactCenter):
    """The API that opened a stored conversation, after its settings were removed: it offers nothing."""

    def __init__(self, api: Api) -> None:
        self._api = api

    def _error(self) -> ApiGone:
        return ApiGone(
            f"the conversation was opened on the {api_label(self._api)}, which is no longer configured "
            f"({_SETTINGS[self._api]})"
        )

    async def post_message(
        self, cc_conversation_id: CcConversationId, line: HistoryLine, *, idempotency_key: str
    ) -> None:
        raise self._error()

    async def customer_left(self, cc_conversation_id: CcConversationId, *, idempotency_key: str) -> None:
        raise self._error()


def api_label(api: Api) -> str:
    return "8x8 Chat Gateway" if api == "chat_gateway" else "8x8 Chat API"


def api_of(cc_conversation_id: CcConversationId) -> Api:
    return "chat_gateway" if is_chat_gateway_id(cc_conversation_id) else "chat_api"


class ContactCenterRouter:
    def __init__(
        self,
        selected: Api,
        *,
        chat_api: ContactCenter | None = None,
        chat_gateway: ContactCenter | None = None,
    ) -> None:
        self.selected = selected
        self._adapters: dict[Api, ContactCenter] = {
            "chat_api": chat_api or _Gone("chat_api"),
            "chat_gateway": chat_gateway or _Gone("chat_gateway"),
        }
        self._new: ContactCenter = (
            chat_gateway if selected == "chat_gateway" else chat_api
        ) or NoContactCenter()

    def for_api(self, api: Api) -> ContactCenter:
        return self._adapters[api]

    def adapter_for(self, cc_conversation_id: CcConversationId) -> ContactCenter:
        return self._adapters[api_of(cc_conversation_id)]

    async def readiness(self) -> NotReady | None:
        """Only the API new escalations use decides (the other may be on its way out)."""
        return await self._new.readiness()

    async def open_conversation(self, request: OpenRequest, *, idempotency_key: str) -> CcConversationId:
        return await self._new.open_conversation(request, idempotency_key=idempotency_key)

    async def post_message(
        self, cc_conversation_id: CcConversationId, line: HistoryLine, *, idempotency_key: str
    ) -> None:
        await self.adapter_for(cc_conversation_id).post_message(
            cc_conversation_id, line, idempotency_key=idempotency_key
        )

    async def customer_left(self, cc_conversation_id: CcConversationId, *, idempotency_key: str) -> None:
        await self.adapter_for(cc_conversation_id).customer_left(
            cc_conversation_id, idempotency_key=idempotency_key
        )

    def can_reuse(self, cc_conversation_id: CcConversationId) -> bool:
        return self.adapter_for(cc_conversation_id).can_reuse(cc_conversation_id)

    def extras(self, cc_conversation_id: CcConversationId | None = None) -> ContactCenterExtras | None:
        if cc_conversation_id is None:
            return self._new.extras()
        return self.adapter_for(cc_conversation_id).extras(cc_conversation_id)
