"""The floor: the least work any relay between a customer WebSocket and the Chat API must do.

A bare aiohttp app, run as its own process (``python -m bench.floor``). It speaks the part of the customer
protocol the load generator uses: ``start`` gets a ``session`` frame; the first ``message`` opens a Chat API
conversation (``POST /conversations``, no transcript); every later one is ``POST
/conversations/{id}/messages`` with the bearer token. Webhooks are checked as any honest relay must (tenant,
RS256 detached JWS over the CRC-32 payload, with the emulator's JWK) and written to the socket as ``state``
and ``message`` frames. No bot, no storage, no acks, no retries: the ratio gateway/floor is the price of all
of those.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import signal
import zlib
from typing import Any

import aiohttp
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey, RSAPublicNumbers
from cryptography.hazmat.primitives.hashes import SHA256


def _b64(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


class Floor:
    def __init__(self, args: argparse.Namespace) -> None:
        self._api = f"vcc/{args.region}/chat/v2/tenant/{args.tenant_id}/"
        self._region = args.region
        self._tenant_id = args.tenant_id
        self._key, self._secret = args.api_key, args.api_secret
        self._queue_id = args.queue_id
        self.http = aiohttp.ClientSession(
            base_url=args.emulator.rstrip("/") + "/", timeout=aiohttp.ClientTimeout(total=10)
        )
        self._headers: dict[str, str] = {}
        self._channel_id = ""
        self._keys: dict[str, RSAPublicKey] = {}
        self._kids: dict[str, str] = {}  # protected header as sent -> kid
        self.sockets: dict[str, web.WebSocketResponse] = {}
        self._early: dict[str, list[str]] = {}  # frames for conversations whose create has not returned

    async def set_up(self, public_url: str) -> None:
        async with self.http.post(
            "oauth/v2/token",
            headers={"Authorization": aiohttp.BasicAuth(self._key, self._secret).encode()},
            data={"grant_type": "client_credentials"},
        ) as resp:
            token = (await resp.json(content_type=None))["access_token"]
        self._headers = {"Authorization": f"Bearer {token}"}
        hook = await self._call("POST", "web-hooks", {"name": "floor", "uri": f"{public_url}/webhooks/8x8"})
        channel = await self._call(
            "POST",
            "channels",
            {
                "name": "floor",
                "webHookId": hook["id"],
                "routingOptions": {"type": "queue", "id": self._queue_id},
            },
        )
        self._channel_id = channel["id"]

    async def _call(self, method: str, path: str, body: dict[str, Any]) -> Any:
        async with self.http.request(method, self._api + path, json=body, headers=self._headers) as resp:
            raw = await resp.read()
            if resp.status >= 300:
                raise RuntimeError(f"{method} {path}: {resp.status} {raw[:200]!r}")
            return json.loads(raw) if raw else None

    async def open(self, ws: web.WebSocketResponse, customer_id: str) -> str:
        body = {"channelId": self._channel_id, "customer": {"customerId": customer_id, "firstName": "Bench"}}
        cc_id: str = (await self._call("POST", "conversations", body))["conversationId"]
        self.sockets[cc_id] = ws
        for frame in self._early.pop(cc_id, []):
            await ws.send_str(frame)
        return cc_id

    async def post(self, cc_id: str, text: str) -> None:
        await self._call("POST", f"conversations/{cc_id}/messages", {"text": text, "authorType": "user"})

    async def _public_key(self, kid: str) -> RSAPublicKey:
        key = self._keys.get(kid)
        if key is None:
            async with self.http.get(f"vcc/{self._region}/chat/v2/jwk/{kid}/public") as resp:
                jwk = await resp.json()
            numbers = RSAPublicNumbers(
                int.from_bytes(_b64(jwk["e"]), "big"), int.from_bytes(_b64(jwk["n"]), "big")
            )
            key = self._keys[kid] = numbers.public_key()
        return key

    async def verified(self, raw: bytes, headers: Any) -> bool:
        try:
            if headers["x-8x8-tenant-id"] != self._tenant_id:
                return False
            protected, empty, sig = headers["x-8x8-signature"].split(".")
            kid = self._kids.get(protected)
            if kid is None:
                header = json.loads(_b64(protected))
                if empty or header.get("alg") != "RS256" or header.get("b64") is not False:
                    return False
                kid = self._kids[protected] = str(header["kid"])
            payload = {
                "checksum": zlib.crc32(raw),
                "cid": headers["x-8x8-customer-id"],
                "eid": headers["x-8x8-event-id"],
                "retry": int(headers["x-8x8-retry"]),
                "tid": headers["x-8x8-tenant-id"],
                "tt": int(headers["x-8x8-transmission-time"]),
            }
            signed = protected.encode() + b"." + json.dumps(payload, separators=(",", ":")).encode()
            (await self._public_key(kid)).verify(_b64(sig), signed, PKCS1v15(), SHA256())
        except (KeyError, ValueError, InvalidSignature):
            return False
        return True

    async def deliver(self, cc_id: str, frame: dict[str, Any]) -> None:
        data = json.dumps(frame)
        ws = self.sockets.get(cc_id)
        if ws is None:
            self._early.setdefault(cc_id, []).append(data)
        elif not ws.closed:
            await ws.send_str(data)


floor_key = web.AppKey("floor", Floor)
FRAMES = {"QUEUED": "queued", "AGENT_JOINED": "agent", "AGENT_LEFT": "bot"}


async def webhook(request: web.Request) -> web.Response:
    floor = request.app[floor_key]
    raw = await request.read()
    event = json.loads(raw)
    kind = event.get("eventType")
    if kind == "WEB_HOOK_VERIFY":  # 8x8 does not sign it (docs/8x8.md); it carries no data
        return web.Response(status=200)
    if not await floor.verified(raw, request.headers):
        return web.Response(status=401)
    if kind == "TEXT":
        frame = {"type": "message", "author": "agent", "text": event["message"]}
    elif kind in FRAMES:
        frame = {"type": "state", "state": FRAMES[kind]}
    else:
        return web.Response()
    await floor.deliver(event["conversationId"], frame)
    return web.Response()


async def chat_socket(request: web.Request) -> web.WebSocketResponse:
    floor = request.app[floor_key]
    ws = web.WebSocketResponse(max_msg_size=1024 * 1024)
    await ws.prepare(request)
    cc_id: str | None = None
    customer_id = f"floor-{id(ws):x}"
    try:
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            if frame.get("type") == "start":
                await ws.send_str(
                    json.dumps(
                        {
                            "type": "session",
                            "session": customer_id,
                            "conversation_id": customer_id,
                            "state": "bot",
                        }
                    )
                )
            elif frame.get("type") == "message":
                if cc_id is None:
                    cc_id = await floor.open(ws, customer_id)
                else:
                    await floor.post(cc_id, frame["text"])
    finally:
        if cc_id is not None:
            floor.sockets.pop(cc_id, None)
    return ws


async def serve(args: argparse.Namespace) -> None:
    floor = Floor(args)
    app = web.Application()
    app[floor_key] = floor
    app.router.add_get("/chat/ws", chat_socket)
    app.router.add_post("/webhooks/8x8", webhook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await floor.set_up(f"http://127.0.0.1:{args.port}")
        print(f"floor listening on http://127.0.0.1:{args.port}", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()
        await floor.http.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--emulator", required=True, help="the Chat API base URL")
    parser.add_argument("--region", default="us")
    parser.add_argument("--tenant-id", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--api-secret", required=True)
    parser.add_argument("--queue-id", required=True)
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop")
    args = parser.parse_args(argv)
    if args.uvloop:
        import uvloop

        uvloop.run(serve(args))
    else:
        asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
