"""Card numbers (Luhn-valid only) and e-mails are removed from what the agent sees; other numbers stay."""

from __future__ import annotations

from gateway.relay.redaction import CUT_MARK, MAX_SCANNED_CHARS, luhn_valid, redactor


def test_valid_card_numbers_are_removed_other_digits_stay() -> None:
    redact = redactor(["card"])
    assert redact("card 4111 1111 1111 1111 ok") == "card [card number removed] ok"
    assert redact("4111-1111-1111-1111") == "[card number removed]"
    assert redact("order 4111 1111 1111 1112") == "order 4111 1111 1111 1112"  # fails Luhn
    assert redact("call +44 20 7946 0958") == "call +44 20 7946 0958"


def test_emails_and_custom_patterns() -> None:
    redact = redactor(["email"], [r"\bACC-\d{6}\b"])
    assert redact("mail ann.b+x@example.co.uk about ACC-123456") == "mail [email removed] about [removed]"


def test_nothing_configured_changes_nothing() -> None:
    assert redactor([])("4111 1111 1111 1111 a@b.com") == "4111 1111 1111 1111 a@b.com"


def test_luhn() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")


def test_the_linear_email_pattern_finds_what_the_old_one_found() -> None:
    redact = redactor(["email"])
    assert redact("x-ann@a.io, (bob@b.example.org).") == "[email removed], ([email removed])."
    assert redact("to:-.+c@d.ef") == "to:[email removed]"
    assert redact("no@domain and a@b.") == "no@domain and a@b."


def test_text_beyond_the_scan_cap_never_reaches_the_agent_unscanned() -> None:
    redact = redactor(["email"])
    long = "a" * MAX_SCANNED_CHARS + " ann@example.com"
    assert redact(long) == "a" * MAX_SCANNED_CHARS + CUT_MARK
