"""The relay's policies for tests that build a ``Relay`` themselves: from the gateway's own settings classes,
so a test never carries a second copy of a default."""

from __future__ import annotations

from typing import Any

from gateway.policies import Policies, policies_from
from gateway.settings import Settings


def policies_for_tests(**groups: Any) -> Policies:
    """The policies of the default settings, with whole settings groups replaced, e.g.
    ``policies_for_tests(hours=HoursSettings(weekly="mon 09:00-10:00"))``. Reads no environment."""
    return policies_from(Settings.model_construct(**groups))
