"""docs/architecture.md is a map that stays true: what it names exists, and no module is missing from it."""

from __future__ import annotations

from tests.docs.code_map import ROOT, check

ARCHITECTURE = ROOT / "docs" / "architecture.md"


def test_every_module_class_and_function_the_map_names_exists_and_every_module_is_on_it() -> None:
    problems = check(ARCHITECTURE.read_text())
    assert problems == [], "\n".join(problems)


WRONG_MAP = """
## Layout

```
gateway/
  app.py                build_app
  relay/
    machine.py          decide
    vanished.py         a module that was split away
```

`Relay.customer_says` and `Relay.no_such_method`, `NoSuchPort.commit`, `frames.no_such_helper`,
`_no_such_private`, `relay/vanished.py`, `NoSuchEvent`.
"""


def test_a_map_naming_what_is_gone_or_missing_a_module_is_refused() -> None:
    problems = check(WRONG_MAP)
    for expected in [
        "layout: gateway/relay/vanished.py: no such file or folder",
        "layout: gateway/relay/outbox.py is not on the map",
        "layout: gateway/cli.py is not on the map",
        "`Relay.no_such_method`: Relay has no no_such_method",
        "`NoSuchPort.commit`: no class NoSuchPort in gateway/",
        "`frames.no_such_helper`: no no_such_helper in any frames.py",
        "`_no_such_private`: no such function or method in gateway/",
        "`relay/vanished.py`: no such file or folder",
        "`NoSuchEvent`: no such class or name in gateway/",
    ]:
        assert expected in problems, f"not reported: {expected}\n" + "\n".join(problems)
    assert not any("customer_says" in p or "machine.py" in p for p in problems), "\n".join(problems)
