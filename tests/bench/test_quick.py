"""``python -m bench --quick`` runs end to end: emulator, floor, gateway and load generator as processes.

A smoke test of the benchmark's plumbing only; it asserts no speed (numbers live in bench/, not in tests).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
