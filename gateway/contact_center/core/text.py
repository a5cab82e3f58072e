"""Text limits both APIs share: lines over 4,096 characters are split, at most 200 history items (the most
recent, the first saying how many were left out), property values cut at 255, 8x8's language codes."""

from __future__ import annotations

from gateway.relay.model import Author
from gateway.relay.ports import HistoryLine

MAX_HISTORY = 200
MAX_TEXT = 4096
MAX_VALUE = 255
LANGUAGES = frozenset(
    [
        "en",
        "ru",
        "de",
        "ja",
        "es",
        "fr",
        "pt",
        "it",
        "pl",
        "hr",
        "nl",
        "ar",
        "da",
        "ko",
        "no",
        "sv",
        "vi",
        "cy",
        "th",
        "zh-CN",
        "zh-TW",
    ]
)


def author_type(author: Author) -> str:
    """8x8's author type of a line the gateway posts: the bot's, or the customer's (``user``)."""
    return "bot" if author is Author.BOT else "user"


def cc_language(language: str | None) -> str | None:
    """``en-US`` -> ``en``, ``zh-cn`` -> ``zh-CN``; None when 8x8 has no such language."""
    if not language:
        return None
    lang = language.strip().replace("_", "-")
    for candidate in (lang, lang.lower(), lang.split("-")[0].lower()):
        if candidate in LANGUAGES:
            return candidate
    if lang.lower() in ("zh-cn", "zh-hans"):
        return "zh-CN"
    if lang.lower() in ("zh-tw", "zh-hant"):
        return "zh-TW"
    return None


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` characters, at whitespace where possible."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind(" ", limit // 2, limit)
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip(" ")
    if text:
        pieces.append(text)
    return pieces


def history_pieces(lines: tuple[HistoryLine, ...] | list[HistoryLine]) -> list[tuple[str, str]]:
    """(author type, text) of every line in order, long lines split, the most recent 200 kept."""
    items = [(author_type(line.author), piece) for line in lines for piece in split_text(line.text)]
    if len(items) > MAX_HISTORY:
        left_out = len(items) - (MAX_HISTORY - 1)
        items = [("bot", f"[{left_out} earlier messages are not shown]"), *items[-(MAX_HISTORY - 1) :]]
    return items
