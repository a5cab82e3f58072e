"""The bench's printed summary: each target's medians side by side, ratios to the floor, CPU per process."""

from __future__ import annotations

from typing import Any

TARGETS = {"rps_ratio_min": 0.8, "p99_ratio_max": 1.5, "idle_rss_mb_max": 300.0}


def say(text: str) -> None:
    print(text, flush=True)


def _row(label: str, values: list[str], note: str = "") -> None:
    say(f"  {label:22}" + "".join(f"{v:>18}" for v in values) + (f"  {note}" if note else ""))


def report_roundtrip(rt: dict[str, Any]) -> None:
    med: dict[str, dict[str, float]] = rt["median"]
    names = list(med)  # floor first, then each gateway
    floor = med["floor"]
    n = rt.get("instances", 1)
    say(
        f"Round trips: {rt['sessions']} sessions x {rt['messages']} (median of {len(rt['runs']['floor'])}); "
        f"gateway: {n} instance{'s' if n > 1 else ''} on {rt.get('store', 'sqlite')}"
    )
    _row("", names)

    def line(label: str, key: str, fmt: str, note: str = "") -> None:
        if all(key in med[t] for t in names):
            _row(label, [format(med[t][key], fmt) for t in names], note)
        elif any(key in med[t] for t in names):
            _row(label, [format(med[t][key], fmt) if key in med[t] else "" for t in names], note)

    def ratio(label: str, key: str, note: str = "") -> None:
        _row(label, ["1.00", *(f"{med[t][key] / floor[key]:.2f}" for t in names[1:])], note)

    line("round trips/s", "rps", ".1f")
    ratio("  x floor", "rps", f"target >= {TARGETS['rps_ratio_min']}")
    line("p50 ms", "p50_ms", ".2f")
    line("p99 ms", "p99_ms", ".2f")
    ratio("  x floor", "p99_ms", f"target <= {TARGETS['p99_ratio_max']}")
    line("relay CPU ms/rt", "server_cpu_ms_per_rt", ".3f", "the floor's or the gateway's own processes")
    ratio("  x floor", "server_cpu_ms_per_rt", "target <= 2")
    line("  of which kernel", "server_sys_cpu_ms_per_rt", ".3f", "system time: socket I/O, fsync")
    line("Redis CPU ms/rt", "redis_cpu_ms_per_rt", ".3f")
    line("Redis requests/rt", "redis_requests_per_rt", ".1f", "read events: a pipeline's commands count once")
    line("Redis commands/rt", "redis_commands_per_rt", ".1f", "those run inside scripts included")
    line("emulator CPU ms/rt", "emulator_cpu_ms_per_rt", ".3f")
    line("load gen CPU ms/rt", "load_cpu_ms_per_rt", ".3f")
    if ab := rt.get("ratio_last_to_first"):
        first, last = names[1], names[-1]
        say(
            f"  A/B, {last} / {first}: CPU per round trip {ab['server_cpu_ms_per_rt']:.3f}, "
            f"round trips/s {ab['rps']:.3f}, p99 {ab['p99_ms']:.3f}"
        )


def report_memory(mem: dict[str, Any]) -> None:
    for name, one in mem.get("by_gateway", {"": mem}).items():
        say(f"Memory (gateway RSS with idle sessions, sockets open){' ' + name if name else ''}:")
        for p in one["points"]:
            say(f"  {p['open']:>6} sessions  {p['rss_mb']:8.1f} MB")
        say(
            f"  per session: {one['per_session_kb']:.1f} KB   "
            f"target: 10,000 under {TARGETS['idle_rss_mb_max']:.0f} MB"
        )


def report_escalation(esc_all: dict[str, Any]) -> None:
    for name, esc in esc_all.get("by_gateway", {"": esc_all}).items():
        say(
            f"Escalation ({esc['transcript_lines']}-line transcript, {esc['sessions']} handoffs one at a time)"
            f"{' ' + name if name else ''}:"
        )
        say(f"  handoff -> conversation created: mean {esc['mean_ms']:.2f} ms, p50 {esc['p50_ms']:.2f} ms")
        say(
            f"  emulator's create call (as the gateway timed it): mean {esc['emulator_create_mean_ms']:.2f} ms"
        )
        say(f"  the gateway's own cost: mean {esc['gateway_cost_mean_ms']:.2f} ms")


def report(results: dict[str, Any]) -> None:
    say("")
    if rt := results.get("roundtrip"):
        report_roundtrip(rt)
    if mem := results.get("memory"):
        report_memory(mem)
    if esc := results.get("escalation"):
        report_escalation(esc)
