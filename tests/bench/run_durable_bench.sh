#!/usr/bin/env bash
# Durable-message benchmark (issue 4, Benchmark): calls that a durable route commits to the store
# (fsync on) before answering, against the same calls on the non-durable path, in the same run,
# on SQLite and on PostgreSQL. Builds with --config=opt and prints the markdown table of
# docs/benchmarks.md ("Durable messages"). Run from anywhere in the repo (./weft bench durable
# calls it):
#
#   tests/bench/run_durable_bench.sh [--reps N] [--seconds S] [--warmup S]
#       [--servers "sqlite postgres"] [--scenarios "plain64 durable1 durable8 durable64"]
#       [--no-build] [--markdown FILE] [--raw FILE]
#
# Servers: weftd --loops 1 hosting demo.Calculator, with a durable route that sends calls to the
# unregistered name bench.DurableCalculator through queue "bench" (ordered, the default) to
# demo.Calculator; `sqlite` stores in a file under the run's temp dir (WAL, synchronous=FULL),
# `postgres` in a throwaway PostgreSQL server (Debian's, run as the postgres user, fsync and
# synchronous_commit on) started for the run. Scenarios (rpc_loadgen, Weft wire protocol, one
# call in flight per connection): plain64 = 64 connections calling demo.Calculator.Add, the
# non-durable path; durableN = N connections calling bench.DurableCalculator.Add, each answered
# only after its commit. Group commit lets one transaction carry every call that arrived while
# the previous one synced.
#
# weftd (and PostgreSQL's processes) run pinned to CPU $SERVER_CPU (default 0), the load
# generator to $CLIENT_CPU (default 1). Defaults: 5 repetitions x (0.5 s warm-up + 2 s).
set -euo pipefail

REPS=5
SECONDS_PER_RUN=2
WARMUP=0.5
SERVERS="sqlite postgres"
SCENARIOS="plain64 durable1 durable8 durable64"
BUILD=1
MARKDOWN=""
RAW=""
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-1}"
MAX_OTHER="${MAX_OTHER:-10}"
MAX_ATTEMPTS="${MAX_ATTEMPTS:-3}"
QUIET_WAIT="${QUIET_WAIT:-30}"
MAX_MINUTES="${MAX_MINUTES:-10}"

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit "${1:-0}"
}

while [[ $# -gt 0 ]]; do
  case "$1" in
  --reps) REPS="$2"; shift 2 ;;
  --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
  --warmup) WARMUP="$2"; shift 2 ;;
  --servers) SERVERS="$2"; shift 2 ;;
  --scenarios) SCENARIOS="$2"; shift 2 ;;
  --no-build) BUILD=0; shift ;;
  --markdown) MARKDOWN="$2"; shift 2 ;;
  --raw) RAW="$2"; shift 2 ;;
  -h | --help) usage 0 ;;
  *) echo "run_durable_bench: unknown argument '$1'" >&2; usage 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
WORK="$(mktemp -d /tmp/weft-durable-bench.XXXXXX)"
chmod 755 "$WORK"
RAW="${RAW:-$WORK/raw.txt}"
: >"$RAW"
declare -A PID PORT
log() { echo "run_durable_bench: $*" >&2; }
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
PG_DIR="$WORK/pg"

cleanup() {
  for server in "${!PID[@]}"; do kill -TERM "${PID[$server]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -f $PG_DIR/postmaster.pid ]]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR" -m fast stop >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

if [[ $BUILD == 1 ]]; then
  log "building (bazel build --config=opt)"
  bazel build --config=opt //tests/bench:rpc_loadgen //broker:weftd >&2
fi
BIN="$(bazel info --config=opt bazel-bin 2>/dev/null)"
mkdir -p "$WORK/bin"
cp "$BIN/tests/bench/rpc_loadgen" "$BIN/broker/weftd" "$WORK/bin/"

# A throwaway PostgreSQL for the postgres server, on a free loopback port, pinned with weftd.
start_postgres() {
  [[ -x $PG_BIN/initdb ]] || { log "WARNING: PostgreSQL is not installed"; return 1; }
  mkdir -p "$PG_DIR" && chown postgres "$PG_DIR"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR" -A trust -U weft >/dev/null
  PG_PORT="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  taskset -c "$SERVER_CPU" runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR" -w -l "$PG_DIR/log" \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on" \
    start >/dev/null
}

write_config() {
  local name="$1" store="$2"
  mkdir -p "$WORK/$name-data"
  cat >"$WORK/$name.conf" <<EOF
listeners {
  wire { endpoint: "tcp:0:interface=127.0.0.1" }
  control { enabled: false }
  http { enabled: false }
  smtp { enabled: false }
  imap { enabled: false }
  pop3 { enabled: false }
  ssh { enabled: false }
  irc { enabled: false }
}
services { name: "demo.Calculator" }
data_dir: "$WORK/$name-data"
routes { target: "bench.DurableCalculator" service: "demo.Calculator" durable { queue: "bench" } }
$store
EOF
}

start_server() {
  local server="$1" out="$WORK/$1.log" port
  case "$server" in
  sqlite) write_config sqlite "" ;;
  postgres)
    start_postgres || return 1
    write_config postgres "store { postgres { conninfo: \"host=127.0.0.1 port=$PG_PORT dbname=postgres user=weft\" } }"
    ;;
  *) log "unknown server '$server'"; return 1 ;;
  esac
  taskset -c "$SERVER_CPU" "$WORK/bin/weftd" --config "$WORK/$server.conf" --loops 1 >"$out" 2>&1 &
  PID[$server]=$!
  for _ in $(seq 1 200); do
    port="$(sed -n 's/^weftd: wire listening on tcp:\([0-9][0-9]*\).*/\1/p' "$out" | head -1)"
    if [[ -n $port ]]; then
      PORT[$server]="$port"
      log "$server: pid ${PID[$server]}, port $port"
      return 0
    fi
    kill -0 "${PID[$server]}" 2>/dev/null || break
    sleep 0.05
  done
  log "WARNING: $server did not start; leaving it out. Its output:"
  sed 's/^/  /' "$out" >&2
  return 1
}

measure() {
  local server="$1" scenario="$2" conns service accepted=false
  case "$scenario" in
  plain64) conns=64 service=demo.Calculator ;;
  durable*) conns="${scenario#durable}" service=bench.DurableCalculator accepted=true ;;
  *) log "unknown scenario '$scenario'"; echo skip; return 0 ;;
  esac
  timeout 120 taskset -c "$CLIENT_CPU" "$WORK/bin/rpc_loadgen" --protocol=weft \
    --target="tcp:${PORT[$server]}:interface=127.0.0.1" --conns="$conns" --in_flight=1 \
    --weft_service="$service" --weft_accepted_only="$accepted" --warmup="${WARMUP}s" --duration="${SECONDS_PER_RUN}s" \
    --server_pid="${PID[$server]}" --server_core="$SERVER_CPU" \
    2>>"$WORK/client.log" | grep -m1 '^protocol=' || true
}

# shellcheck source=tests/bench/bench_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

write_machine_notes
start_servers
for rep in $(seq 1 "$REPS"); do
  for scenario in $SCENARIOS; do
    for server in "${RUNNING[@]}"; do run_scenario "$server" "$scenario" "$rep"; done
  done
done

# Medians per server and scenario, and each durable scenario against plain64 on the same store.
{
  echo "Machine: $(tr '\n' ';' <"$WORK/machine.txt" | sed 's/;$//; s/;/; /g')"
  echo
  echo "| store | scenario | calls/s (median) | x non-durable | p99 µs | server CPU µs/call |"
  echo "|---|---|---|---|---|---|"
  awk '
    function field(name,   re) { re = name "=[^ ]*"; if (match($0, re)) return substr($0, RSTART + length(name) + 1, RLENGTH - length(name) - 1); return "" }
    function median(list,   n, a, i, j, t) {
      n = split(list, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    field("calls_per_s") != "" {
      key = field("server") SUBSEP field("scenario")
      rate[key] = rate[key] " " field("calls_per_s"); p99[key] = p99[key] " " field("p99_us")
      cpu[key] = cpu[key] " " field("server_cpu_us_per_call")
      if (!(key in seen)) { seen[key] = 1; order[++n] = key }
    }
    END {
      for (i = 1; i <= n; i++) {
        split(order[i], k, SUBSEP); base = k[1] SUBSEP "plain64"
        r = median(rate[order[i]]); ratio = (base in rate) ? sprintf("%.2f", r / median(rate[base])) : "-"
        printf "| %s | %s | %.0f | %s | %.0f | %.1f |\n", k[1], k[2], r, ratio, median(p99[order[i]]), median(cpu[order[i]])
      }
    }' "$RAW"
} | tee "${MARKDOWN:-/dev/null}"
log "raw results: $RAW"
