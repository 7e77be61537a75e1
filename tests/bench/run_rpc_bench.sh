#!/usr/bin/env bash
# Unary-call benchmark (issue 3, Benchmark): weftd serving demo.Calculator over Weft's native wire
# protocol, against gRPC C++ and Twisted Perspective Broker serving the same Add (idl/demo), with
# a bare epoll echo as the physical limit. Builds with --config=opt, runs every scenario against
# every server, prints the markdown table of docs/benchmarks.md ("Unary calls"). Run from
# anywhere in the repo (./weft bench rpc calls it):
#
#   tests/bench/run_rpc_bench.sh [--reps N] [--seconds S] [--warmup S]
#       [--servers "weft grpc pb epoll"] [--scenarios "c1 c64 k64"] [--no-build]
#       [--markdown FILE] [--raw FILE]
#
# Scenarios: c1 = 1 connection, 1 call in flight; c64 = 1 connection, 64 calls in flight; k64 =
# 64 connections, 1 call in flight on each. Servers:
#   weft  //broker:weftd --config <generated> --loops 1: only the wire listener, on an ephemeral
#         loopback port, hosting demo.Calculator in process (left out, and the table says so,
#         while //broker:weftd does not build)
#   grpc  tests/bench/grpc_calculator_server: async completion queue, one polling thread
#   pb    tests/bench/pb_calculator_server.py under /usr/bin/python3 (Twisted's epoll reactor)
#   epoll tests/bench/epoll_echo_server, a bare epoll echo of ECHO_SIZE-byte messages (default
#         48, about a Call frame), one in flight per connection: the floor of one loopback round
#         trip. Runs c1 and k64 only (echo_loadgen keeps one message in flight per connection).
# Load: rpc_loadgen (Weft and gRPC drivers), pb_calculator_client.py (Perspective Broker) and
# echo_loadgen (epoll), all printing the same key=value fields.
#
# Servers run pinned to CPU $SERVER_CPU (default 0), load generators to $CLIENT_CPU (default 1).
# The servers start once and stay up; each repetition runs every scenario against every server
# in turn, rotating the order. Server CPU per call is utime+stime of all the server's threads
# (/proc/PID/stat) over the measured window (after warm-up and connection set-up), so it is
# comparable where a client sets the pace (client CPU near 100%). The machine may be shared:
# each run first waits for other work to leave the two cores alone, and a disturbed run is
# retried (MAX_OTHER, QUIET_WAIT, MAX_ATTEMPTS, MAX_MINUTES in the environment).
# Defaults: 5 repetitions x (0.5 s warm-up + 2 s measured), about 4 minutes.
set -euo pipefail

REPS=5
SECONDS_PER_RUN=2
WARMUP=0.5
SERVERS="weft grpc pb epoll"
SCENARIOS="c1 c64 k64"
BUILD=1
MARKDOWN=""
RAW=""
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-1}"
ECHO_SIZE="${ECHO_SIZE:-48}"
MAX_OTHER="${MAX_OTHER:-10}"      # % of a core used by other processes before a run is retried
MAX_ATTEMPTS="${MAX_ATTEMPTS:-3}"
QUIET_WAIT="${QUIET_WAIT:-30}"    # seconds to wait for a quiet machine before each run
MAX_MINUTES="${MAX_MINUTES:-10}"  # after this, no more waiting or retrying
PYTHON=/usr/bin/python3 # Debian's, which has python3-twisted.

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
  *) echo "run_rpc_bench: unknown argument '$1'" >&2; usage 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
WORK="$(mktemp -d /tmp/weft-rpc-bench.XXXXXX)"
RAW="${RAW:-$WORK/raw.txt}"
: >"$RAW"
declare -A PID PORT
log() { echo "run_rpc_bench: $*" >&2; }

# SIGTERM lets weftd drain and the gRPC server shut down; the exit status is not judged here
# (rpc_bench_smoke_test checks it).
cleanup() {
  for server in "${!PID[@]}"; do
    kill -TERM "${PID[$server]}" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# --- Build, then copy the binaries so concurrent builds cannot swap them mid-run. -------------
BENCH_TARGETS=(//tests/bench:rpc_loadgen //tests/bench:grpc_calculator_server
  //tests/bench:echo_loadgen //tests/bench:epoll_echo_server)
WEFT_TARGET=//broker:weftd
WEFT_MISSING=""
if [[ $BUILD == 1 ]]; then
  log "building (bazel build --config=opt)"
  bazel build --config=opt "${BENCH_TARGETS[@]}" >&2
  if [[ " $SERVERS " == *" weft "* ]] && ! bazel build --config=opt "$WEFT_TARGET" >&2; then
    log "WARNING: $WEFT_TARGET does not build; the Weft row is not measured"
    WEFT_MISSING="$WEFT_TARGET does not build"
    SERVERS="${SERVERS//weft/}"
  fi
fi
BIN="$(bazel info --config=opt bazel-bin 2>/dev/null)"
mkdir -p "$WORK/bin"
for binary in tests/bench/rpc_loadgen tests/bench/grpc_calculator_server \
  tests/bench/echo_loadgen tests/bench/epoll_echo_server broker/weftd; do
  if [[ -x "$BIN/$binary" ]]; then cp "$BIN/$binary" "$WORK/bin/"; fi
done

# The broker's config: only the wire listener (ephemeral loopback port), demo.Calculator hosted
# in process, everything else at its default (docs/configuration.md).
mkdir -p "$WORK/weft-data"
cat >"$WORK/weft.conf" <<EOF
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
data_dir: "$WORK/weft-data"
EOF

server_command() {
  local endpoint="tcp:0:interface=127.0.0.1"
  case "$1" in
  weft) echo "$WORK/bin/weftd --config $WORK/weft.conf --loops 1" ;;
  grpc) echo "$WORK/bin/grpc_calculator_server $endpoint --threads=1" ;;
  pb) echo "$PYTHON $ROOT/tests/bench/pb_calculator_server.py $endpoint" ;;
  epoll) echo "$WORK/bin/epoll_echo_server $endpoint" ;;
  *) return 1 ;;
  esac
}

# The line each server prints once it listens; \1 is the port.
listen_re() {
  case "$1" in
  weft) echo '^weftd: wire listening on tcp:\([0-9][0-9]*\).*' ;;
  *) echo '^listening on tcp:\([0-9][0-9]*\).*' ;;
  esac
}

# Starts server $1 pinned to SERVER_CPU and waits for its "listening on" line.
start_server() {
  local server="$1" command out="$WORK/$1.log" re port
  command="$(server_command "$server")" || { log "unknown server '$server'"; return 1; }
  if [[ ! -x "${command%% *}" ]]; then
    log "WARNING: ${command%% *} is missing; leaving $server out"
    [[ $server == weft ]] && WEFT_MISSING="${command%% *} is missing"
    return 1
  fi
  re="$(listen_re "$server")"
  # shellcheck disable=SC2086 # the command is a word list by construction
  taskset -c "$SERVER_CPU" $command >"$out" 2>&1 &
  PID[$server]=$!
  for _ in $(seq 1 200); do
    port="$(sed -n "s/$re/\\1/p" "$out" | head -1)"
    if [[ -n $port ]]; then
      PORT[$server]="$port"
      log "$server: pid ${PID[$server]}, port $port"
      return 0
    fi
    if ! kill -0 "${PID[$server]}" 2>/dev/null; then break; fi
    sleep 0.05
  done
  log "WARNING: $server did not start; leaving it out. Its output:"
  sed 's/^/  /' "$out" >&2
  [[ $server == weft ]] && WEFT_MISSING="weftd did not start"
  kill "${PID[$server]}" 2>/dev/null || true
  unset "PID[$server]"
  return 1
}

# Prints one result line of scenario $2 against server $1; nothing on failure, "skip" when the
# server has no such scenario.
measure() {
  local server="$1" scenario="$2" conns in_flight
  case "$scenario" in
  c1) conns=1 in_flight=1 ;;
  c64) conns=1 in_flight=64 ;;
  k64) conns=64 in_flight=1 ;;
  *) log "unknown scenario '$scenario'"; echo skip; return 0 ;;
  esac
  if [[ $server == epoll && $in_flight != 1 ]]; then echo skip; return 0; fi
  local common=(--target="tcp:${PORT[$server]}:interface=127.0.0.1" --conns="$conns"
    --warmup="${WARMUP}s" --duration="${SECONDS_PER_RUN}s"
    --server_pid="${PID[$server]}" --server_core="$SERVER_CPU")
  local client=(timeout 120 taskset -c "$CLIENT_CPU")
  case "$server" in
  pb) "${client[@]}" "$PYTHON" "$ROOT/tests/bench/pb_calculator_client.py" "${common[@]}" \
    --in_flight="$in_flight" ;;
  # The echo's fields, renamed to the call's (one echoed message = one call).
  epoll) "${client[@]}" "$WORK/bin/echo_loadgen" "${common[@]}" --mode=pingpong \
    --msg_size="$ECHO_SIZE" | sed 's/^mode=pingpong /protocol=epoll_echo /; s/ msgs=/ calls=/;
      s/msgs_per_s=/calls_per_s=/; s/_per_msg=/_per_call=/g' ;;
  *) "${client[@]}" "$WORK/bin/rpc_loadgen" --protocol="$server" "${common[@]}" \
    --in_flight="$in_flight" ;;
  esac 2>>"$WORK/client.log" | grep -m1 '^protocol=' || true
}

# shellcheck source=tests/bench/bench_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

# --- Run. ----------------------------------------------------------------------------------
write_machine_notes
start_servers

# shellcheck disable=SC2086 # SCENARIOS is a word list.
run_rotating $SCENARIOS

# --- Report. -------------------------------------------------------------------------------
report=("$PYTHON" "$ROOT/tests/bench/rpc_bench_report.py" "$RAW")
[[ -z $WEFT_MISSING ]] || report+=(--weft-missing "$WEFT_MISSING")
{
  echo "Machine: $(tr '\n' ';' <"$WORK/machine.txt" | sed 's/;$//; s/;/; /g')"
  echo
  "${report[@]}"
} | tee "${MARKDOWN:-/dev/null}"
log "raw results: $RAW"
