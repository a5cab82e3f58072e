"""Configuration: the typed settings tree and the embedded bot's rules file."""

from config.settings import Settings

__all__ = ["Settings"]
