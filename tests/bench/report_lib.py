"""What the benchmark reports share: reading the runners' raw `key=value` lines, medians and
their spread, paired ratios against a peer, and the cells and verdicts of the tables.

Used by rpc_bench_report.py and http_bench_report.py (run from this directory, which Python puts
on the module path).
"""

import statistics


def parse(path):
    """Returns {(server, scenario): {rep: {key: value}}}."""
    runs = {}
    with open(path) as lines:
        for line in lines:
            fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
            if "server" in fields and "scenario" in fields:
                key = (fields["server"], fields["scenario"])
                runs.setdefault(key, {})[fields.get("rep", "1")] = fields
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
    found = values(reps, key)
    if len(found) < 2 or not statistics.median(found):
        return None
    return (max(found) - min(found)) / 2 / statistics.median(found)


def fmt(value, digits=0, suffix=""):
    return "–" if value is None else "{:,.{}f}{}".format(value, digits, suffix)


def with_spread(reps, key, digits):
    cell = fmt(median(reps, key), digits)
    noise = spread(reps, key)
    return cell if noise is None else "{} ±{:.0f}%".format(cell, noise * 100)


def paired_ratio(mine, theirs, key):
    """Median over repetitions of mine[key] / theirs[key], with (min, max); or None."""
    ratios = []
    for rep, fields in (mine or {}).items():
        a, b = number(fields, key), number((theirs or {}).get(rep, {}), key)
        if a is not None and b:
            ratios.append(a / b)
    if not ratios:
        return None
    return statistics.median(ratios), min(ratios), max(ratios)


def ratio_cell(ratio):
    return "–" if ratio is None else "{:.2f}x".format(ratio[0])


def verdict(ratio, limit, lower_is_better):
    if ratio is None:
        return "no data"
    value, low, high = ratio
    ok = value <= limit if lower_is_better else value >= limit
    return "{:.2f}x ({:.2f}-{:.2f}), target {} {:g}x: **{}**".format(
        value, low, high, "<=" if lower_is_better else ">=", limit, "met" if ok else "missed")
