"""Every Chat Gateway route, relative to :data:`~gateway.emulator.chat_gateway.auth.PREFIX`, named
``cgw_<operation>`` (the names fault injection uses), plus the pre-signed file URL outside the prefix."""

from __future__ import annotations

from . import attachments, card_actions, conversations, indicators, messages, setup

API_ROUTES = [*setup.ROUTES, *conversations.ROUTES, *messages.ROUTES, *attachments.ROUTES, *indicators.ROUTES]
FILE_ROUTES = [("GET", "/files/{token}/{name}", attachments.presigned_download, "cgw_download_presigned")]
# Outside the prefix: the pre-signed file URLs and the card actions (8x8 publishes them under /api/v1).
OUTSIDE_ROUTES = [*FILE_ROUTES, *card_actions.ROUTES]
