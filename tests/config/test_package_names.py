"""The installed packages never shadow a user's own top-level modules (issue: a `config` package)."""

import subprocess
import sys
from pathlib import Path

import gateway


def test_a_users_config_module_is_found_before_ours(tmp_path: Path) -> None:
    (tmp_path / "config.py").write_text('settings = "the user\'s own"\n')
    script = (
        "import config, gateway.app, gateway.settings\n"
        "print(config.__file__)\n"
        "print(config.settings)\n"
        "print(gateway.settings.Settings.__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    module_file, settings, settings_class = done.stdout.splitlines()
    assert Path(module_file) == tmp_path / "config.py"
    assert settings == "the user's own"
    assert settings_class == "Settings"


def test_the_default_rules_ship_inside_the_gateway_package() -> None:
    from gateway.settings import DEFAULT_RULES

    assert DEFAULT_RULES.is_file()
    assert Path(gateway.__file__).parent in DEFAULT_RULES.parents
    # The checkout's config/ folder shows the same file to a reader.
    checkout_copy = Path(__file__).parents[2] / "config" / "bot_rules.toml"
    assert checkout_copy.resolve() == DEFAULT_RULES.resolve()
