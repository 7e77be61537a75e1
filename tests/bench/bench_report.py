#!/usr/bin/python3
"""Turns the raw result lines of run_echo_bench.sh into the markdown table of docs/benchmarks.md.

    /usr/bin/python3 tests/bench/bench_report.py RAW_FILE

Each raw line is `server=S scenario=C rep=N` followed by the key=value line that echo_loadgen or
idle_conns printed (or `error=...`). Every metric is the median over repetitions. A ratio against
libuv is the median of per-repetition ratios: repetitions are interleaved, so the servers of one
repetition ran within seconds of each other and share that moment's machine noise.
Part of //tests/bench.
"""

import statistics
import sys

SCENARIOS = [
    ("pp1", "pingpong 1 conn"),
    ("pp64", "pingpong 64 conns"),
    ("pp1000", "pingpong 1000 conns"),
    ("stream", "stream 64 KiB"),
    ("idle", "idle {conns} conns"),
]
SERVERS = ["weft", "libuv", "epoll", "twisted"]
BASELINE = "libuv"


def parse(path):
    """Returns {(server, scenario): {rep: {key: value}}}."""
    runs = {}
    with open(path) as lines:
        for line in lines:
            fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
            if "server" not in fields or "scenario" not in fields:
                continue
            runs.setdefault((fields["server"], fields["scenario"]), {})[fields.get("rep", "1")] = fields
    return runs


def number(fields, key):
    try:
        return float(fields[key])
    except (KeyError, ValueError):
        return None


def values(reps, key):
    return [v for v in (number(f, key) for f in reps.values()) if v is not None]


def median(reps, key):
    found = values(reps, key)
    return statistics.median(found) if found else None


def spread(reps, key):
    """Half the min-max range, relative to the median: the noise across repetitions."""
    found = values(reps, key)
    if len(found) < 2 or not statistics.median(found):
        return None
    return (max(found) - min(found)) / 2 / statistics.median(found)


def paired_ratios(reps, base_reps, key):
    ratios = []
    for rep, fields in reps.items():
        mine, theirs = number(fields, key), number(base_reps.get(rep, {}), key)
        if mine is not None and theirs:
            ratios.append(mine / theirs)
    return ratios


def paired_ratio(reps, base_reps, key):
    ratios = paired_ratios(reps, base_reps, key)
    return statistics.median(ratios) if ratios else None


def fmt(value, digits=0, suffix=""):
    if value is None:
        return "–"
    return "{:,.{}f}{}".format(value, digits, suffix)


def ratio(value):
    return "–" if value is None else "{:.2f}x".format(value)


def row(server, scenario, label, reps, base):
    errors = [f["error"] for f in reps.values() if "error" in f]
    if errors and len(errors) == len(reps):
        return "| {} | {} | failed: {} |{}".format(server, label, errors[0], " |" * 9)
    if scenario == "idle":
        cells = ["–"] * 8 + [fmt(median(reps, "bytes_per_conn")),
                             ratio(paired_ratio(reps, base, "bytes_per_conn"))]
    else:
        unit = "mb" if scenario == "stream" else "msg"
        cpu_key = "server_cpu_us_per_" + unit
        cpu = median(reps, cpu_key)
        noise = spread(reps, cpu_key)
        cpu_cell = fmt(cpu, 1 if unit == "mb" else 2, " µs/MB" if unit == "mb" else "")
        if noise is not None:
            cpu_cell += " ±{:.0f}%".format(noise * 100)
        tput_key = "mb_per_s" if unit == "mb" else "msgs_per_s"
        cells = [
            fmt(median(reps, "msgs_per_s")) if unit == "msg" else "–",
            fmt(median(reps, "p50_us"), 1) if unit == "msg" else "–",
            fmt(median(reps, "p99_us"), 1) if unit == "msg" else "–",
            fmt(median(reps, "server_cpu_pct"), 0, "%"),
            cpu_cell,
            ratio(paired_ratio(reps, base, cpu_key)),
            ratio(paired_ratio(reps, base, tput_key)),
            fmt(median(reps, "mb_per_s")) if unit == "mb" else "–",
            "–",
            "–",
        ]
    return "| {} | {} | {} |".format(server, label, " | ".join(cells))


def targets(runs):
    """The issue's acceptance targets for Weft against libuv."""
    checks = []

    def check(scenario, key, limit, better_low, what):
        mine, base = runs.get(("weft", scenario)), runs.get((BASELINE, scenario))
        value = paired_ratio(mine, base, key) if mine and base else None
        if value is None:
            checks.append("- {}: no data".format(what))
            return
        ok = value <= limit if better_low else value >= limit
        each = paired_ratios(mine, base, key)
        checks.append("- {}: {:.2f}x (target {} {:.2f}x; repetitions {:.2f}x to {:.2f}x) **{}**".format(
            what, value, "<=" if better_low else ">=", limit, min(each), max(each),
            "PASS" if ok else "MISS"))

    for scenario, conns in (("pp64", 64), ("pp1000", 1000)):
        check(scenario, "server_cpu_us_per_msg", 0.95, True,
              "CPU/msg at {} conns vs libuv".format(conns))
        check(scenario, "msgs_per_s", 1.0, False, "msgs/s at {} conns vs libuv".format(conns))
    check("stream", "mb_per_s", 1.0, False, "stream MB/s vs libuv")
    check("idle", "bytes_per_conn", 1.1, True, "bytes per idle conn vs libuv")
    return checks


def main(argv):
    if len(argv) != 2:
        print("usage: bench_report.py RAW_FILE", file=sys.stderr)
        return 2
    runs = parse(argv[1])
    servers = [s for s in SERVERS if any(k[0] == s for k in runs)]
    servers += sorted({k[0] for k in runs} - set(servers))
    print("| server | scenario | msgs/s | p50 µs | p99 µs | server CPU | CPU µs/msg "
          "(±noise) | CPU ÷ libuv | tput ÷ libuv | MB/s | bytes/idle conn | mem ÷ libuv |")
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for scenario, label in SCENARIOS:
        for server in servers:
            reps = runs.get((server, scenario))
            if reps:
                conns = next(iter(reps.values())).get("conns", "?")
                print(row(server, scenario, label.format(conns=conns), reps,
                          runs.get((BASELINE, scenario), {})))
    all_runs = [f for reps in runs.values() for f in reps.values()]
    noisy = sum(1 for f in all_runs if f.get("noisy") == "1")
    retried = sum(1 for f in all_runs if int(f.get("attempts", "1")) > 1)
    print()
    print("{} runs; {} retried because other work shared the cores; {} still noisy.".format(
        len(all_runs), retried, noisy))
    if "weft" in servers and BASELINE in servers:
        print()
        print("Targets (Weft vs libuv, median of paired repetitions):")
        print()
        print("\n".join(targets(runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
