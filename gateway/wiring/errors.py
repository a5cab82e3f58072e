"""The one error start-up ends with when a setting that passed validation cannot be used."""

from __future__ import annotations


class StartupError(Exception):
    """A setting that passed validation but cannot be used; the message names it."""
