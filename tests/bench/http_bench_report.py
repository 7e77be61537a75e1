#!/usr/bin/python3
"""Turns the raw result lines of run_http_bench.sh into the markdown table of docs/benchmarks.md.

    /usr/bin/python3 tests/bench/http_bench_report.py RAW_FILE [--missing SERVER=REASON]...

Each raw line is `server=S scenario=KIND-CONNS rep=N` followed by the key=value fields that
run_http_bench.sh's `measure` derived from one wrk run (or `error=...`). Every metric is the
median over repetitions; "±" is half the min-max range across repetitions, relative to the
median. Each scenario has one peer: nginx for `health` (small responses), Twisted for `jsonrpc`
and `xmlrpc`. Ratios are medians of per-repetition ratios against that peer (repetitions are
interleaved, so the servers compared in one repetition ran seconds apart). The targets are
issue 6's: Weft's requests/s at least nginx's on /healthz, and Weft's server CPU per JSON-RPC
and XML-RPC call at most 0.1x Twisted's. A server left out is listed with REASON. Part of
//tests/bench.
"""

import argparse
import sys

from report_lib import fmt, median, number, paired_ratio, parse, ratio_cell, verdict, with_spread

KINDS = {
    "health": ("GET /healthz", "nginx"),
    "jsonrpc": ("JSON-RPC Add", "twisted"),
    "xmlrpc": ("XML-RPC Add", "twisted"),
}
SERVERS = ["weft", "nginx", "twisted"]
LABELS = {
    "weft": "Weft (weftd, HTTP gateway)",
    "nginx": "nginx (1 worker)",
    "twisted": "Twisted (twisted.web)",
}
PEER_NAMES = {"nginx": "nginx", "twisted": "Twisted"}
# (kind, key, limit, lower_is_better, what): issue 6's targets.
TARGETS = [
    ("health", "requests_per_s", 1.0, False, "requests/s ÷ nginx"),
    ("jsonrpc", "server_cpu_us_per_req", 0.1, True, "server CPU/call ÷ Twisted"),
    ("xmlrpc", "server_cpu_us_per_req", 0.1, True, "server CPU/call ÷ Twisted"),
]
COLUMNS = 10


def split_scenario(scenario):
    kind, _, conns = scenario.rpartition("-")
    return kind, int(conns) if conns.isdigit() else 0


def scenario_order(scenario):
    kind, conns = split_scenario(scenario)
    return (list(KINDS).index(kind) if kind in KINDS else len(KINDS), kind, conns)


def row(server, scenario, reps, peer_reps):
    kind, conns = split_scenario(scenario)
    what = "{} | {:,}".format(KINDS.get(kind, (kind,))[0], conns)
    errors = [f["error"] for f in reps.values() if "error" in f]
    name = LABELS.get(server, server)
    if errors and len(errors) == len(reps):
        return "| {} | {} | failed: {} |{}".format(name, what, errors[0], " |" * (COLUMNS - 4))
    cells = [
        fmt(median(reps, "requests_per_s"), 0),
        fmt(median(reps, "p99_ms"), 2),
        with_spread(reps, "server_cpu_us_per_req", 2),
        fmt(median(reps, "server_cpu_pct"), 0, "%"),
        fmt(median(reps, "client_cpu_pct"), 0, "%"),
        ratio_cell(paired_ratio(reps, peer_reps, "requests_per_s")),
        ratio_cell(paired_ratio(reps, peer_reps, "server_cpu_us_per_req")),
    ]
    return "| {} | {} | {} |".format(name, what, " | ".join(cells))


def table(runs, missing):
    servers = [s for s in SERVERS if any(k[0] == s for k in runs)]
    servers += sorted({k[0] for k in runs} - set(servers))
    lines = [
        "| server | request | connections | requests/s | p99 ms | server CPU µs/req (±noise) "
        "| server CPU | wrk CPU | req/s ÷ peer | CPU/req ÷ peer |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for scenario in sorted({k[1] for k in runs}, key=scenario_order):
        kind, conns = split_scenario(scenario)
        peer = KINDS.get(kind, ("", ""))[1]
        if "weft" in missing:
            lines.append("| {} | {} | {:,} | not measured ({}) |{}".format(
                LABELS["weft"], KINDS.get(kind, (kind,))[0], conns, missing["weft"],
                " – |" * (COLUMNS - 4)))
        for server in servers:
            reps = runs.get((server, scenario))
            if reps:
                lines.append(row(server, scenario, reps, runs.get((peer, scenario))))
    return lines


def targets(runs):
    lines = []
    for scenario in sorted({k[1] for k in runs}, key=scenario_order):
        kind, conns = split_scenario(scenario)
        weft = runs.get(("weft", scenario))
        if not weft or kind not in KINDS:
            continue
        peer = KINDS[kind][1]
        theirs = runs.get((peer, scenario))
        label = "{}, {:,} connections".format(KINDS[kind][0], conns)
        for target_kind, key, limit, lower_is_better, what in TARGETS:
            if target_kind == kind:
                lines.append("- {}, {}: {}".format(
                    label, what, verdict(paired_ratio(weft, theirs, key), limit, lower_is_better)))
        # The other measure, for context: where wrk sets the pace, CPU per request compares the
        # servers; where the server does, requests/s does.
        other = "server_cpu_us_per_req" if kind == "health" else "requests_per_s"
        ratio = paired_ratio(weft, theirs, other)
        if ratio:
            lines.append("  (also: {} ÷ {} {:.2f}x ({:.2f}-{:.2f}))".format(
                "server CPU/req" if kind == "health" else "requests/s", PEER_NAMES[peer], *ratio))
    return lines


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw")
    parser.add_argument("--missing", action="append", default=[], metavar="SERVER=REASON")
    args = parser.parse_args(argv[1:])
    missing = dict(m.split("=", 1) for m in args.missing if "=" in m)
    runs = parse(args.raw)
    print("\n".join(table(runs, missing)))
    for server, reason in sorted(missing.items()):
        if server != "weft":
            print("\n{} was left out: {}.".format(LABELS.get(server, server), reason))
    all_runs = [f for reps in runs.values() for f in reps.values()]
    noisy = sum(1 for f in all_runs if f.get("noisy") == "1")
    retried = sum(1 for f in all_runs if int(f.get("attempts", "1")) > 1)
    failed = sum(1 for f in all_runs if "error" in f)
    bad = sum(1 for f in all_runs if (number(f, "non2xx") or 0) + (number(f, "socket_errors") or 0))
    print()
    print("{} runs: {} retried because other work shared the cores, {} still noisy, {} failed, "
          "{} with non-2xx answers or socket errors. The peer is nginx for GET /healthz and "
          "Twisted for the RPC calls. wrk CPU near 100% means wrk set the pace; server CPU "
          "µs/req stays comparable.".format(len(all_runs), retried, noisy, failed, bad))
    lines = targets(runs)
    if lines:
        print()
        print("Targets (issue 6; Weft ÷ peer, median of paired repetitions, range in brackets):")
        print()
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
