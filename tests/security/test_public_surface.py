"""What an anonymous visitor can learn or reach, and the defaults an operator is warned about.

Issue 19, findings 8, 10, 12 and 13: ``serve`` warns while any site may open sessions; ``check-config``
masks credentials inside URLs; ``demo`` and ``emulator`` refuse a non-loopback host without
``--public``; ``/readyz`` tells the public only which part fails (the reason goes to the metrics token
or the metrics port); the ``Server`` header names no versions; the demo shop page is ``demo``'s only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import unused_port
from pytest_aiohttp import AiohttpServer

from gateway.app import build_app
from gateway.cli import main
from tests.support.gateway import SettingsFactory
from tests.support.process import gateway_env, start_gateway_process


def _unreachable_chat_api(port: int) -> dict[str, object]:
    return {
        "base_url": f"http://127.0.0.1:{port}/secret-tenant-path/",
        "region": "eu",
        "tenant_id": "acme-secret-tenant",
        "api_key": "k",
        "api_secret": "s",
        "queue_id": "101",
        "channel_id": "ch",
    }


async def test_readyz_names_the_failing_part_and_keeps_the_reason_for_the_operator(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, http: aiohttp.ClientSession
) -> None:
    metrics_port = unused_port()
    settings = make_settings(
        chat_api=_unreachable_chat_api(unused_port()), metrics={"token": "ops", "port": metrics_port}
    )
    gateway = await aiohttp_server(build_app(settings))
    async with http.get(gateway.make_url("/readyz")) as resp:
        assert resp.status == 503
        public = await resp.text()
    assert json.loads(public)["failed"] == ["chat_api"]
    assert json.loads(public)["detail"] == "not ready: chat_api"
    assert "127.0.0.1" not in public
    assert "secret" not in public
    async with http.get(gateway.make_url("/readyz"), headers={"Authorization": "Bearer wrong"}) as resp:
        assert json.loads(await resp.text())["detail"] == "not ready: chat_api"
    async with http.get(f"http://127.0.0.1:{metrics_port}/readyz") as resp:
        assert resp.status == 503
        assert "chat_api: " in (await resp.json())["detail"]
        assert (await resp.json())["detail"] != "not ready: chat_api"


async def test_the_server_header_names_no_versions_and_serve_has_no_demo_page(
    aiohttp_server: AiohttpServer, make_settings: SettingsFactory, http: aiohttp.ClientSession
) -> None:
    gateway = await aiohttp_server(build_app(make_settings()))
    for path in ("/healthz", "/widget.js", "/no/such/page"):
        async with http.get(gateway.make_url(path)) as resp:
            assert resp.headers["Server"] == "chat-gateway", path
    for path in ("/", "/static/index.html"):
        async with http.get(gateway.make_url(path)) as resp:
            assert resp.status == 404, path
    demo = await aiohttp_server(build_app(make_settings(), demo_page=True))
    async with http.get(demo.make_url("/")) as resp:
        assert resp.status == 200
        assert "demo shop" in await resp.text()


def test_check_config_masks_credentials_inside_urls(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("GATEWAY_STORE__URL", "redis://default:hunter2@redis.internal:6379/0")
    monkeypatch.setenv("GATEWAY_BOT__URL", "https://rasa-token-xyz@rasa.internal/")
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "hunter2" not in out
    assert "rasa-token-xyz" not in out
    shown = json.loads(out)
    assert shown["store"]["url"] == "redis://default:**********@redis.internal:6379/0"
    assert shown["bot"]["url"] == "https://**********@rasa.internal/"


@pytest.mark.parametrize("command", ["demo", "emulator"])
def test_demo_and_emulator_refuse_a_public_host_without_public(command: str) -> None:
    with pytest.raises(SystemExit) as refused:
        main([command, "--host", "0.0.0.0", "--port", str(unused_port())])
    assert "--public" in str(refused.value)
    assert "credentials" in str(refused.value)


async def test_serve_warns_while_any_origin_may_open_sessions(tmp_path: Path) -> None:
    async def warnings(**settings: str) -> str:
        port = unused_port()
        env = gateway_env(
            GATEWAY_PORT=str(port), GATEWAY_STORE__URL=f"sqlite:///{tmp_path / f'{port}.db'}", **settings
        )
        proc = await start_gateway_process(env, tmp_path)
        assert proc.stdout is not None
        assert proc.stderr is not None
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert b"listening" in line
        finally:
            proc.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 10)
        return (await proc.stderr.read()).decode()

    said = await warnings()
    assert "allowed_origins_any" in said
    assert "GATEWAY_WEB__ALLOWED_ORIGINS" in said
    assert "allowed_origins_any" not in await warnings(GATEWAY_WEB__ALLOWED_ORIGINS="https://shop.example")
