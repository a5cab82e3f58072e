"""Every Chat Gateway route, relative to :data:`~gateway.emulator.chat_gateway.auth.PREFIX`, named
``cgw_<operation>`` (the names fault injection uses), plus the pre-signed file URL outside the prefix."""

from __future__ import annotations

from . import attachments, conversations, indicators, messages, setup

API_ROUTES = [*setup.ROUTES, *conversations.ROUTES, *messages.ROUTES, *attachments.ROUTES, *indicators.ROUTES]
FILE_ROUTES = [("GET", "/files/{token}/{name}", attachments.presigned_download, "cgw_download_presigned")]
