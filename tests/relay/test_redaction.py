"""Card numbers (Luhn-valid only) and e-mails are removed from what the agent sees; other numbers stay."""

from __future__ import annotations

from gateway.relay.redaction import luhn_valid, redactor


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
