"""Customer sockets subscribed straight to a ``Hub``, on a real port, with the rest of the channel left out.

``GET /ws?conversation=c1&sent_seq=0`` subscribes the socket (``&send_buffer=N`` sets its kernel send
buffer); its first frame is ``{"type": "subscribed", "id": <subscriber id>}``, sent through the
subscriber's own queue, so once the client has read it the hub knows the socket (and the id is the
``origin`` that socket's lines carry).
"""

from __future__ import annotations

from socket import SO_SNDBUF, SOL_SOCKET

from aiohttp import web

from gateway.channels.web.frames import dumps
from gateway.channels.web.hub import Hub
from gateway.relay.model import ConversationId
from tests.support.customer import CustomerSocket


def hub_app(hub: Hub) -> web.Application:
    async def socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        if "send_buffer" in request.query and request.transport is not None:
            sock = request.transport.get_extra_info("socket")
            sock.setsockopt(SOL_SOCKET, SO_SNDBUF, int(request.query["send_buffer"]))
        conversation_id = ConversationId(request.query["conversation"])
        sent_seq = int(request.query.get("sent_seq", "0"))
        subscriber = hub.subscribe(ws, conversation_id, sent_seq=sent_seq, transport=request.transport)
        subscriber.notify(dumps({"type": "subscribed", "id": subscriber.id}))
        try:
            async for _ in ws:
                pass
        finally:
            hub.unsubscribe(subscriber)
        return ws

    app = web.Application()
    app.router.add_get("/ws", socket)
    return app


async def subscribed(customer: CustomerSocket) -> str:
    """Wait until the hub has the socket; its subscriber id."""
    frame = await customer.expect("subscribed")
    return str(frame["id"])
