"""The widget as each reader's settings ask: less motion, large text, zoom, right-to-left.

WCAG 2.1 AA asks that text can be resized to 200% without losing content or function (1.4.4), that
content reflows at 320 CSS pixels (1.4.10, a 1280-pixel screen at 400%; 200% page zoom is tested here),
and the widget honours the reader's wish for less motion. Arabic (``data-lang="ar"``) lays out mirrored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Locator, Page, expect

from tests.browser.axe import describe, violations
from tests.browser.pages import CustomerWidget, Watch
from tests.support.browser import HostPage, Screenshots

pytestmark = pytest.mark.browser

ANIMATION = "el => getComputedStyle(el).animationName"
# Text cut off by its box: wider than it shows, or taller (e.g. an ellipsis or a fixed height).
CLIPPED = "el => el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1"


def panel_controls(page: Page) -> list[Locator]:
    """What must stay whole while waiting for an agent: the heading, its buttons, the banner, the composer."""
    ids = ["chat-subtitle", "chat-end", "chat-close", "chat-cancel", "chat-input", "chat-send"]
    panel = page.get_by_test_id("chat-panel")
    return [panel.locator("h2"), panel.locator(".banner-text"), *(page.get_by_test_id(i) for i in ids)]


async def fully_shown(page: Page, controls: list[Locator]) -> None:
    size = page.viewport_size
    assert size is not None
    for control in controls:
        await expect(control).to_be_in_viewport(ratio=1)
        box = await control.bounding_box()
        assert box is not None, control
        assert box["x"] >= 0, control
        assert box["x"] + box["width"] <= size["width"] + 1, control
        assert box["y"] + box["height"] <= size["height"] + 1, control
        assert not await control.evaluate(CLIPPED), f"{control} is cut off"


async def test_reduced_motion_turns_the_opening_animation_off(browser: Browser, shop: TestServer) -> None:
    cases: list[tuple[Literal["no-preference", "reduce"], str]] = [
        ("no-preference", "cgw-open"),
        ("reduce", "none"),
    ]
    for motion, expected in cases:
        context = await browser.new_context(reduced_motion=motion)
        page = await context.new_page()
        await page.goto(str(shop.make_url("/")))
        widget = CustomerWidget(page)
        await widget.open()
        assert await widget.panel.evaluate(ANIMATION) == expected, motion
        await context.close()


@pytest.mark.timeout(90)
async def test_text_at_200_percent_and_page_zoom_at_200_percent_lose_nothing(
    browser: Browser, shop: TestServer, axe_script: Path, shots: Screenshots
) -> None:
    # Text size 200% (the browser's font size setting: the root font size doubles), on a laptop screen.
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    watch = Watch.on(page)
    await page.goto(str(shop.make_url("/")))
    await page.evaluate("document.documentElement.style.fontSize = '200%'")
    widget = CustomerWidget(page)
    await widget.open()
    assert (
        await page.locator("chat-gateway-widget .widget").evaluate("el => getComputedStyle(el).fontSize")
        == "30px"
    )
    await widget.say("billing")
    await widget.button("Talk to a person").click()
    await expect(widget.banner).to_contain_text("Waiting in queue Billing")
    await shots(page, "text-200")
    await fully_shown(page, panel_controls(page))
    found = await violations(page, axe_script)
    assert not found, describe(found)
    assert watch.errors == []
    await context.close()

    # Page zoom 200% on the same screen: 640x400 CSS pixels; the panel takes the whole window.
    context = await browser.new_context(viewport={"width": 640, "height": 400}, device_scale_factor=2)
    page = await context.new_page()
    await page.goto(str(shop.make_url("/")))
    widget = CustomerWidget(page)
    await widget.open()
    await widget.say("billing")
    await widget.button("Talk to a person").click()
    await expect(widget.banner).to_contain_text("Waiting in queue Billing")
    await shots(page, "zoom-200")
    await fully_shown(page, panel_controls(page))
    assert await page.evaluate("document.documentElement.scrollWidth") <= 640
    await context.close()


async def test_arabic_is_laid_out_right_to_left(
    browser: Browser, host_page: HostPage, axe_script: Path, shots: Screenshots
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    watch = Watch.on(page)
    await page.goto(await host_page('data-lang="ar"'))
    widget = CustomerWidget(page)
    await expect(widget.launcher).to_be_visible()
    launcher = await widget.launcher.bounding_box()
    assert launcher is not None
    assert launcher["x"] + launcher["width"] < 200  # bottom left, the mirror of bottom right
    await widget.open()
    root = page.locator("chat-gateway-widget .widget")
    await expect(root).to_have_attribute("dir", "rtl")
    await expect(root).to_have_attribute("lang", "ar")
    await expect(widget.input).to_have_accessible_name("رسالتك")
    await widget.say("hello")
    await widget.sees("bot", "virtual assistant")
    await shots(page, "arabic")
    panel = await widget.panel.bounding_box()
    mine = await widget.bubble("customer", "hello").bounding_box()
    bot = await widget.bubble("bot").last.bounding_box()
    assert panel is not None
    assert mine is not None
    assert bot is not None
    assert panel["x"] < 200  # the panel opens on the left too
    assert mine["x"] < bot["x"]  # the customer's own lines on the left, the other side's on the right
    found = await violations(page, axe_script)
    assert not found, describe(found)

    # The shop is another site than the gateway: the transcript still downloads (CORS with the token).
    await page.get_by_test_id("chat-end").click()
    await page.get_by_test_id("chat-end-confirm").click()
    async with page.expect_download() as info:
        await page.get_by_test_id("chat-download").click()
    text = (await (await info.value).path()).read_text(encoding="utf-8")
    assert "] You: hello\n" in text
    assert text.rstrip().endswith("-- Chat ended --")
    assert watch.errors == []
