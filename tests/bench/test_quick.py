"""``python -m bench --quick`` runs end to end: emulator, floor, gateway and load generator as processes.

Smoke tests of the benchmark's plumbing only (also two gateway instances on one Redis); it asserts no speed (numbers live in bench/, not in tests).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import cli as bench_cli
from tests.support.redis_server import redis_server_binary

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(120)
def test_quick_run_measures_every_part(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", f"--json={out}", f"--workdir={tmp_path / 'work'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(out.read_text())
    roundtrip = results["roundtrip"]
    for target in ("floor", "gateway"):
        (run,) = roundtrip["runs"][target]
        assert run["round_trips"] == run["sessions"] * run["messages"] > 0
        assert run["p99_ms"] >= run["p50_ms"] > 0
    assert set(roundtrip["ratio_gateway_to_floor"]) == {"rps", "p50", "p99", "cpu_per_rt"}
    points = results["memory"]["points"]
    assert [p["open"] for p in points] == [0, *results["plan"]["idle_counts"]]
    assert all(p["rss_mb"] > 0 for p in points)
    escalation = results["escalation"]
    assert len(escalation["handoff_to_created_ms"]) == escalation["sessions"] > 0
    assert escalation["emulator_create_mean_ms"] > 0
    for heading in ("Round trips:", "Memory", "Escalation"):
        assert heading in done.stdout


@pytest.mark.timeout(120)
def test_quick_round_trips_on_two_instances_sharing_a_redis(tmp_path: Path) -> None:
    redis_server_binary()  # skipped without redis-server on a developer machine, failed in CI
    out = tmp_path / "results.json"
    argv = ["--quick", "--parts=roundtrip", "--store=redis", "--instances=2"]
    done = subprocess.run(
        [sys.executable, "-m", "bench", *argv, f"--json={out}", f"--workdir={tmp_path / 'work'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    roundtrip = json.loads(out.read_text())["roundtrip"]
    assert (roundtrip["store"], roundtrip["instances"]) == ("redis", 2)
    (run,) = roundtrip["runs"]["gateway"]
    assert run["instances"] == 2
    assert run["round_trips"] == run["sessions"] * run["messages"] > 0
    assert run["redis_cpu_ms_per_rt"] > 0
    logs = sorted((tmp_path / "work").glob("*-gateway.log"))
    assert len(logs) == 2
    # Both instances served customers; 8x8's web-hook reached only the last one started, so the agent's
    # lines for the first one's customers crossed over through Redis.
    first, last = (log.read_text() for log in logs)
    assert '"session_started"' in first
    assert '"session_started"' in last
    assert '"webhook_received"' not in first
    assert '"webhook_received"' in last
    assert "gateway: 2 instances on redis" in done.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--instances=2"], "several --instances share one store only on Redis; add --store redis"),
        (["--store=redis", "--instances=2"], "--instances above 1 measures round trips only"),
        (["--instances=0"], "--instances must be at least 1"),
    ],
)
def test_options_the_bench_cannot_honour_are_refused(argv: list[str], message: str) -> None:
    with pytest.raises(SystemExit, match=re.escape(message)):
        bench_cli.main(argv)


@pytest.mark.timeout(120)
def test_two_checkouts_are_compared_in_one_invocation(tmp_path: Path) -> None:
    """``--gateway-src`` twice: the floor and both gateways each round, CPU per round trip of every process."""
    out = tmp_path / "results.json"
    argv = ["--quick", "--parts=roundtrip", f"--gateway-src={ROOT}", f"--gateway-src={ROOT}"]
    done = subprocess.run(
        [sys.executable, "-m", "bench", *argv, f"--json={out}", f"--workdir={tmp_path / 'work'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    roundtrip = json.loads(out.read_text())["roundtrip"]
    a, b = f"gateway:{ROOT.name}", f"gateway:{ROOT.name}#2"
    assert list(roundtrip["runs"]) == ["floor", a, b]
    for target in (a, b):
        (run,) = roundtrip["runs"][target]
        assert run["round_trips"] == run["sessions"] * run["messages"] > 0
        assert run["server_cpu_ms_per_rt"] > 0
        assert run["load_cpu_ms_per_rt"] > 0
    assert set(roundtrip["ratios_to_floor"]) == {a, b}
    assert roundtrip["ratio_last_to_first"]["server_cpu_ms_per_rt"] > 0
    assert len(list((tmp_path / "work").glob("*-gateway.log"))) == 2
    assert f"A/B, {b} / {a}" in done.stdout
