"""The Rasa stand-in as the ``standin`` fixture serves it: the stand-in and its base URL, and its token."""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.rasa_standin import RasaStandIn

TOKEN = "standin-secret-token"


@dataclass(frozen=True)
class StandIn:
    rasa: RasaStandIn
    url: str
