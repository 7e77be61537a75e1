#!/usr/bin/python3
"""Turns the raw result lines of run_rpc_bench.sh into the markdown tables of docs/benchmarks.md.

    /usr/bin/python3 tests/bench/rpc_bench_report.py RAW_FILE [--weft-missing REASON]

Each raw line is `server=S scenario=C rep=N` followed by the key=value line that rpc_loadgen,
pb_calculator_client.py or echo_loadgen printed (or `error=...`). Every metric is the median over
repetitions; "±" is half the min-max range across repetitions, relative to the median. Ratios
are medians of per-repetition ratios (repetitions are interleaved, so the servers compared in one
repetition ran seconds apart). The per-row ratio columns compare each server with gRPC, the
peer of the issue's main target; the targets list compares Weft with gRPC and with Perspective
Broker. Without Weft results the Weft row says "not yet measured" (with REASON). Part of
//tests/bench.
"""

import argparse
import sys

from report_lib import fmt, median, paired_ratio, parse, ratio_cell, verdict, with_spread

SCENARIOS = [
    ("c1", "1 conn, 1 in flight"),
    ("c64", "1 conn, 64 in flight"),
    ("k64", "64 conns, 1 in flight each"),
]
SERVERS = ["weft", "grpc", "pb", "epoll"]
LABELS = {
    "weft": "Weft (weftd, wire)",
    "grpc": "gRPC C++ async",
    "pb": "Twisted PB",
    "epoll": "bare epoll echo (limit)",
}
COLUMNS = 10


def row(server, label, reps, grpc):
    errors = [f["error"] for f in reps.values() if "error" in f]
    name = LABELS.get(server, server)
    if errors and len(errors) == len(reps):
        return "| {} | {} | failed: {} |{}".format(name, label, errors[0], " |" * (COLUMNS - 3))
    cells = [
        fmt(median(reps, "calls_per_s"), 0),
        fmt(median(reps, "p50_us"), 1),
        fmt(median(reps, "p99_us"), 1),
        with_spread(reps, "server_cpu_us_per_call", 2),
        fmt(median(reps, "server_cpu_pct"), 0, "%"),
        fmt(median(reps, "client_cpu_pct"), 0, "%"),
        ratio_cell(paired_ratio(reps, grpc, "calls_per_s")),
        ratio_cell(paired_ratio(reps, grpc, "server_cpu_us_per_call")),
    ]
    return "| {} | {} | {} |".format(name, label, " | ".join(cells))


def table(runs, weft_missing):
    servers = [s for s in SERVERS if any(k[0] == s for k in runs)]
    servers += sorted({k[0] for k in runs} - set(servers))
    lines = [
        "| server | scenario | calls/s | p50 µs | p99 µs | server CPU µs/call (±noise) "
        "| server CPU | client CPU | calls/s ÷ gRPC | CPU/call ÷ gRPC |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for scenario, label in SCENARIOS:
        if "weft" not in servers and any(k[1] == scenario for k in runs):
            reason = "not yet measured" + (" ({})".format(weft_missing) if weft_missing else "")
            lines.append("| {} | {} | {} |{}".format(
                LABELS["weft"], label, reason, " – |" * (COLUMNS - 3)))
        for server in servers:
            reps = runs.get((server, scenario))
            if reps:
                lines.append(row(server, label, reps, runs.get(("grpc", scenario))))
    return lines


def targets(runs):
    """Issue 3: >= 2x gRPC's calls/s and p99 no worse at every concurrency; >= 20x Twisted PB.

    PB's client is Python and sets the pace, so PB is also compared by server CPU per call (the
    project's rule when the load generator is the bottleneck): Weft's must be <= 1/20 of PB's.
    """
    checks = [
        ("grpc", "calls_per_s", 2.0, False, "calls/s ÷ gRPC"),
        ("grpc", "p99_us", 1.0, True, "p99 ÷ gRPC"),
        ("grpc", "server_cpu_us_per_call", 0.5, True, "server CPU/call ÷ gRPC"),
        ("pb", "calls_per_s", 20.0, False, "calls/s ÷ PB"),
        ("pb", "server_cpu_us_per_call", 0.05, True, "server CPU/call ÷ PB"),
    ]
    lines = []
    for scenario, label in SCENARIOS:
        weft = runs.get(("weft", scenario))
        if not weft:
            continue
        for peer, key, limit, lower_is_better, what in checks:
            ratio = paired_ratio(weft, runs.get((peer, scenario)), key)
            lines.append("- {}, {}: {}".format(label, what, verdict(ratio, limit,
                                                                    lower_is_better)))
        lines += limit_lines(runs, scenario, label)
    return lines


def limit_lines(runs, scenario, label):
    """What the bare epoll echo, which no server answering one call per round trip can beat,
    reaches against the same peers: when it misses a target, so must every server."""
    echo = runs.get(("epoll", scenario))
    if not echo:
        return []
    cells = []
    for peer, name in (("grpc", "gRPC"), ("pb", "PB")):
        tput = paired_ratio(echo, runs.get((peer, scenario)), "calls_per_s")
        cpu = paired_ratio(echo, runs.get((peer, scenario)), "server_cpu_us_per_call")
        if tput and cpu:
            cells.append("calls/s ÷ {} {:.2f}x, CPU/call ÷ {} {:.2f}x".format(
                name, tput[0], name, cpu[0]))
    return ["- {}, physical limit (bare epoll echo): {}".format(label, "; ".join(cells))]


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw")
    parser.add_argument("--weft-missing", default="")
    args = parser.parse_args(argv[1:])
    runs = parse(args.raw)
    print("\n".join(table(runs, args.weft_missing)))
    all_runs = [f for reps in runs.values() for f in reps.values()]
    noisy = sum(1 for f in all_runs if f.get("noisy") == "1")
    retried = sum(1 for f in all_runs if int(f.get("attempts", "1")) > 1)
    failed = sum(1 for f in all_runs if "error" in f)
    print()
    print("{} runs: {} retried because other work shared the cores, {} still noisy, {} failed. "
          "Client CPU near 100% means the load generator set the pace; server CPU µs/call stays "
          "comparable.".format(len(all_runs), retried, noisy, failed))
    lines = targets(runs)
    if lines:
        print()
        print("Targets (issue 3; Weft ÷ peer, median of paired repetitions, range in brackets; "
              "the CPU/call lines are the server comparison where the client sets the pace):")
        print()
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
