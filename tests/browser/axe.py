"""axe-core in the page under test: WCAG 2.0/2.1 A and AA rules plus axe's best practices.

axe walks open shadow roots, so the widget inside its ``<chat-gateway-widget>`` is audited with the host
page around it (a landmark the widget adds would clash with the page's own, and axe says so).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Page

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

SETTLED = """() => {
  const root = document.querySelector("chat-gateway-widget")?.shadowRoot;
  const animations = root ? [...root.querySelectorAll("*")].flatMap((el) => el.getAnimations()) : [];
  return Promise.all(animations.map((a) => a.finished));
}"""

RUN = """async (tags) => {
  const result = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })),
  }));
}"""


async def violations(page: Page, axe_script: Path) -> list[dict[str, Any]]:
    """What axe finds wrong on the page as it is now (each rule once, with the elements it failed)."""
    # Colours are judged once the panel's opening animation (160 ms of fading in) has run.
    await page.evaluate(SETTLED)
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.add_script_tag(path=str(axe_script))
    found: list[dict[str, Any]] = await page.evaluate(RUN, TAGS)
    return found


def describe(found: list[dict[str, Any]]) -> str:
    lines = []
    for v in found:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"    {n['target']}: {n['summary']}" for n in v["nodes"][:4])
    return "\n".join(lines)
