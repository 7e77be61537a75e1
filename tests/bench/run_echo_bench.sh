#!/usr/bin/env bash
# Echo benchmark: Weft's reactor against libuv, a bare epoll loop and Twisted (issue "reactor
# must beat libuv"). Builds with --config=opt, runs every scenario against every server, prints
# the markdown table of docs/benchmarks.md. Run from anywhere in the repo (./weft bench calls it):
#
#   tests/bench/run_echo_bench.sh [--reps N] [--seconds S] [--warmup S] [--servers "weft libuv"]
#       [--scenarios "pp1 pp64 pp1000 stream idle"] [--idle-conns N] [--no-build]
#       [--markdown FILE] [--raw FILE]
#
# Servers run pinned to CPU $SERVER_CPU (default 0), the load generator to $CLIENT_CPU (default
# 1). All servers are started once and stay up; each repetition runs every scenario against every
# server in turn (the order rotates), so the servers compared in one repetition ran seconds
# apart and share the machine's noise. The idle scenario runs first, on fresh servers, once.
# Server CPU per message comes from utime+stime in /proc/PID/stat, sampled by the load
# generator at the edges of its measured window (after warm-up and connection set-up). The
# machine is shared: each run first waits for other work to leave the two cores alone, and a run
# disturbed anyway is retried (see run_scenario; MAX_OTHER, QUIET_WAIT, MAX_ATTEMPTS and
# MAX_MINUTES in the environment tune this). Results are only meaningful on a quiet machine: the
# report counts the runs that stayed noisy.
# Defaults: 5 repetitions x (0.5 s warm-up + 1 s measured) per scenario and server, about 3 min.
set -euo pipefail

REPS=5
SECONDS_PER_RUN=1
WARMUP=0.5
SERVERS="weft libuv epoll twisted"
SCENARIOS="pp1 pp64 pp1000 stream idle"
IDLE_CONNS=10000
BUILD=1
MARKDOWN=""
RAW=""
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-1}"
MAX_OTHER="${MAX_OTHER:-10}"       # % of a core used by other processes before a run is retried
MAX_ATTEMPTS="${MAX_ATTEMPTS:-3}"
QUIET_WAIT="${QUIET_WAIT:-30}"   # seconds to wait for a quiet machine before each run
MAX_MINUTES="${MAX_MINUTES:-10}" # after this, no more waiting or retrying
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
  --idle-conns) IDLE_CONNS="$2"; shift 2 ;;
  --no-build) BUILD=0; shift ;;
  --markdown) MARKDOWN="$2"; shift 2 ;;
  --raw) RAW="$2"; shift 2 ;;
  -h | --help) usage 0 ;;
  *) echo "run_echo_bench: unknown argument '$1'" >&2; usage 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
WORK="$(mktemp -d /tmp/weft-echo-bench.XXXXXX)"
RAW="${RAW:-$WORK/raw.txt}"
: >"$RAW"
declare -A PID PORT
log() { echo "run_echo_bench: $*" >&2; }

cleanup() {
  for server in "${!PID[@]}"; do
    kill "${PID[$server]}" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# --- Build, then copy the binaries so concurrent builds cannot swap them mid-run. -------------
BENCH_TARGETS=(//tests/bench:echo_loadgen //tests/bench:idle_conns
  //tests/bench:uv_echo_server //tests/bench:epoll_echo_server)
if [[ $BUILD == 1 ]]; then
  log "building (bazel build --config=opt)"
  bazel build --config=opt "${BENCH_TARGETS[@]}" >&2
  if [[ " $SERVERS " == *" weft "* ]] &&
    ! bazel build --config=opt //examples/echo:echo_server >&2; then
    log "WARNING: //examples/echo:echo_server does not build; leaving Weft out"
    SERVERS="${SERVERS//weft/}"
  fi
fi
BIN="$(bazel info --config=opt bazel-bin 2>/dev/null)"
mkdir -p "$WORK/bin"
for binary in tests/bench/echo_loadgen tests/bench/idle_conns tests/bench/uv_echo_server \
  tests/bench/epoll_echo_server examples/echo/echo_server; do
  if [[ -x "$BIN/$binary" ]]; then cp "$BIN/$binary" "$WORK/bin/"; fi
done

# --- File descriptors: the idle scenario holds IDLE_CONNS sockets on each side. ----------------
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (($(ulimit -n) < IDLE_CONNS + 256)); then
  IDLE_CONNS=$(($(ulimit -n) - 256))
  log "WARNING: ulimit -Hn is $(ulimit -Hn); idle scenario reduced to $IDLE_CONNS connections"
fi

server_command() {
  local endpoint="tcp:0:interface=127.0.0.1:backlog=1024"
  case "$1" in
  weft) echo "$WORK/bin/echo_server $endpoint --loops 1" ;;
  libuv) echo "$WORK/bin/uv_echo_server $endpoint" ;;
  epoll) echo "$WORK/bin/epoll_echo_server $endpoint" ;;
  twisted) echo "$PYTHON $ROOT/tests/bench/twisted_echo.py $endpoint" ;;
  *) return 1 ;;
  esac
}

# Starts server $1 pinned to SERVER_CPU and waits for its "listening on" line.
start_server() {
  local server="$1" command out="$WORK/$1.log"
  command="$(server_command "$server")" || { log "unknown server '$server'"; return 1; }
  if [[ ! -x "${command%% *}" ]]; then
    log "WARNING: ${command%% *} is missing; leaving $server out"
    return 1
  fi
  # shellcheck disable=SC2086 # the command is a word list by construction
  taskset -c "$SERVER_CPU" $command >"$out" 2>&1 &
  PID[$server]=$!
  for _ in $(seq 1 200); do
    if grep -q '^listening on tcp:' "$out"; then
      PORT[$server]="$(sed -n 's/^listening on tcp:\([0-9]*\).*/\1/p' "$out" | head -1)"
      log "$server: pid ${PID[$server]}, port ${PORT[$server]}"
      return 0
    fi
    if ! kill -0 "${PID[$server]}" 2>/dev/null; then break; fi
    sleep 0.05
  done
  log "WARNING: $server did not start; leaving it out. Its output:"
  sed 's/^/  /' "$out" >&2
  kill "${PID[$server]}" 2>/dev/null || true
  unset "PID[$server]"
  return 1
}

# Prints one result line of scenario $2 against server $1, or nothing on failure.
measure() {
  local server="$1" scenario="$2"
  local target="--target=tcp:${PORT[$server]}:interface=127.0.0.1"
  local client=(timeout 120 taskset -c "$CLIENT_CPU")
  local window=(--server_pid="${PID[$server]}" --server_core="$SERVER_CPU"
    --warmup="${WARMUP}s" --duration="${SECONDS_PER_RUN}s")
  case "$scenario" in
  pp*) "${client[@]}" "$WORK/bin/echo_loadgen" "$target" --mode=pingpong \
    --conns="${scenario#pp}" "${window[@]}" ;;
  stream) "${client[@]}" "$WORK/bin/echo_loadgen" "$target" --mode=stream "${window[@]}" ;;
  idle) "${client[@]}" "$WORK/bin/idle_conns" "$target" --conns="$IDLE_CONNS" \
    --server_pid="${PID[$server]}" ;;
  esac 2>>"$WORK/client.log" | grep -m1 '^mode=' || true
}

# shellcheck source=tests/bench/bench_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

# --- Run. ----------------------------------------------------------------------------------
write_machine_notes
start_servers

if [[ " $SCENARIOS " == *" idle "* ]]; then
  for server in "${RUNNING[@]}"; do run_scenario "$server" idle 1; done
fi
busy=()  # idle ran above.
for scenario in $SCENARIOS; do [[ $scenario == idle ]] || busy+=("$scenario"); done
run_rotating "${busy[@]}"

# --- Report. -------------------------------------------------------------------------------
{
  echo "Machine: $(tr '\n' ';' <"$WORK/machine.txt" | sed 's/;$//; s/;/; /g')"
  echo
  "$PYTHON" "$ROOT/tests/bench/bench_report.py" "$RAW"
} | tee "${MARKDOWN:-/dev/null}"
log "raw results: $RAW"
