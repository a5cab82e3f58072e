"""Keys of the resources only the wiring shares between its contexts (the rest are in ``gateway.keys`` and
``gateway.contact_center.keys``)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from gateway.policies import Policies
from gateway.relay.ports import Fanout, Leases


@dataclass(frozen=True, slots=True)
class Peers:
    """How this instance reaches customers' sockets and claims work: alone on its store (SQLite: its own hub,
    every claim its own) or beside other instances (Redis: entries fan out through Redis, work is leased)."""

    fanout: Fanout
    leases: Leases
    shared: bool


peers_key = web.AppKey("peers", Peers)
policies_key = web.AppKey("policies", Policies)
