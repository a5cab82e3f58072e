"""Take docs/images/demo.png: the widget on the demo shop and the agent console, side by side.

    ./run demo --port 18480 --emulator-port 18481 &      # a fresh demo (one conversation in the console)
    .venv/bin/python docs/images/take_screenshot.py http://127.0.0.1:18480/ http://127.0.0.1:18481/console \
        docs/images/demo.png

Plays one chat in headless Chromium (Debian's, as the browser tests use): hello, asks for an agent, the agent
accepts and asks, the customer answers. Then puts the two pages' screenshots into one PNG (under 200 KB).
"""

import asyncio
import base64
import sys
from pathlib import Path

from playwright.async_api import async_playwright, expect

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
TIMEOUT_MS = 15_000


async def main(customer_url: str, console_url: str, out: Path) -> None:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        cust = await (await browser.new_context(viewport={"width": 680, "height": 570})).new_page()
        agent = await (await browser.new_context(viewport={"width": 1100, "height": 570})).new_page()
        await cust.goto(customer_url)
        await cust.get_by_test_id("chat-launcher").click()
        say = cust.get_by_test_id("chat-input")
        await say.fill("hello")
        await cust.get_by_test_id("chat-send").click()
        bot = cust.locator('[data-testid="chat-message"][data-author="bot"]').first
        await expect(bot).to_be_visible(timeout=TIMEOUT_MS)
        await say.fill("My parcel has not arrived. Can I talk to an agent?")
        await cust.get_by_test_id("chat-send").click()
        await expect(cust.get_by_test_id("chat-banner")).to_contain_text("queue", timeout=TIMEOUT_MS)
        await agent.goto(console_url)
        waiting = agent.get_by_test_id("conversation-list").locator("li").first
        await expect(waiting).to_be_visible(timeout=TIMEOUT_MS)
        await waiting.click()
        await agent.get_by_test_id("accept").click()
        await agent.get_by_test_id("reply-input").fill(
            "Hi, this is Alice. Sorry to hear that: what is the order number?"
        )
        await agent.get_by_test_id("reply-send").click()
        answer = cust.locator('[data-testid="chat-message"][data-author="agent"]').first
        await expect(answer).to_contain_text("order number", timeout=TIMEOUT_MS)
        await say.fill("It is A-1042, ordered last Monday")
        await cust.get_by_test_id("chat-send").click()
        await expect(agent.get_by_test_id("history")).to_contain_text("A-1042", timeout=TIMEOUT_MS)
        for page in (cust, agent):
            await page.evaluate("document.activeElement && document.activeElement.blur()")
        await asyncio.sleep(0.5)
        shots = [await cust.screenshot(), await agent.screenshot()]
        images = "".join(f'<img src="data:image/png;base64,{base64.b64encode(s).decode()}">' for s in shots)
        both = await (await browser.new_context(viewport={"width": 1800, "height": 578})).new_page()
        await both.set_content(
            f"<body style='margin:0;background:#888;display:flex;gap:8px;padding:4px'>{images}</body>"
        )
        await both.screenshot(path=str(out), full_page=True)
        await browser.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], Path(sys.argv[3])))
