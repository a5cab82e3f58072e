"""8x8 Contact Center Chat Gateway v1 (the Chat API's successor) behind the ``ContactCenter`` port.

See specs/chat-gateway-v1.md. Conversation ids this adapter hands the core are prefixed ``cgw:`` so that a
stored conversation remembers which API opened it (``gateway.contact_center.routing``).
"""
