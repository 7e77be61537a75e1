#!/usr/bin/env bash
# Deterministic per-message costs of the echo servers, to explain the timing table of
# run_echo_bench.sh where machine noise hides a few percent:
#   - system calls per message (or per MB), by kind, from kernel tracepoints (perf stat), or from
#     strace -c when perf cannot attach (strace slows the server, so batching differs);
#   - user-space instructions per message and heap allocations per message, from callgrind (the
#     server runs under valgrind for a second pass; a traffic-free run is subtracted).
#
#   tests/bench/profile_echo.sh [--servers "weft libuv epoll"] [--mode pingpong|stream]
#       [--conns N] [--seconds S] [--no-build]
#
# Needs the binaries built by run_echo_bench.sh's build step (it runs the same one), perf
# (linux-perf) and valgrind. Part of //tests/bench; see docs/benchmarks.md.
set -euo pipefail

SERVERS="weft libuv epoll"
MODE=pingpong
CONNS=64
SECONDS_PER_RUN=5
BUILD=1
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-1}"
while [[ $# -gt 0 ]]; do
  case "$1" in
  --servers) SERVERS="$2"; shift 2 ;;
  --mode) MODE="$2"; shift 2 ;;
  --conns) CONNS="$2"; shift 2 ;;
  --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
  --no-build) BUILD=0; shift ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
WORK="$(mktemp -d /tmp/weft-echo-profile.XXXXXX)"
log() { echo "profile_echo: $*" >&2; }
SERVER_PID=""
cleanup() { if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT

if [[ $BUILD == 1 ]]; then
  bazel build --config=opt //tests/bench:echo_loadgen //tests/bench:uv_echo_server \
    //tests/bench:epoll_echo_server //examples/echo:echo_server >&2
fi
BIN="$(bazel info --config=opt bazel-bin 2>/dev/null)"
mkdir -p "$WORK/bin"
for binary in tests/bench/echo_loadgen tests/bench/uv_echo_server tests/bench/epoll_echo_server \
  examples/echo/echo_server; do
  if [[ -x "$BIN/$binary" ]]; then cp "$BIN/$binary" "$WORK/bin/"; fi
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

server_command() {
  local endpoint="tcp:0:interface=127.0.0.1:backlog=1024"
  case "$1" in
  weft) echo "$WORK/bin/echo_server $endpoint --loops 1" ;;
  libuv) echo "$WORK/bin/uv_echo_server $endpoint" ;;
  epoll) echo "$WORK/bin/epoll_echo_server $endpoint" ;;
  *) return 1 ;;
  esac
}

# Starts "$@" pinned to SERVER_CPU; sets SERVER_PID and PORT.
start() {
  local out="$WORK/server.log"
  taskset -c "$SERVER_CPU" "$@" >"$out" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    PORT="$(sed -n 's/^listening on tcp:\([0-9]*\).*/\1/p' "$out" | head -1)"
    if [[ -n $PORT ]]; then return 0; fi
    sleep 0.05
  done
  log "server did not start: $*"
  cat "$out" >&2
  return 1
}

stop() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# The whole load-generator run is the measured window (no warm-up): the counts cover exactly it.
loadgen() {
  taskset -c "$CLIENT_CPU" "$WORK/bin/echo_loadgen" --target="$PORT" --mode="$MODE" \
    --conns="$CONNS" --warmup=0s --duration="${1}s"
}

# Units of work in a loadgen result line: messages, or MB for stream.
units() {
  if [[ $MODE == stream ]]; then
    sed -n 's/.* bytes=\([0-9]*\).*/\1/p' <<<"$1" | awk '{ print $1 / 1e6 }'
  else
    sed -n 's/.* msgs=\([0-9]*\).*/\1/p' <<<"$1"
  fi
}

SYSCALLS=(epoll_wait recvfrom read sendto write writev epoll_ctl)
syscall_counts() {
  local server="$1" command result events
  command="$(server_command "$server")"
  # shellcheck disable=SC2086
  start $command
  events="raw_syscalls:sys_enter$(printf ',syscalls:sys_enter_%s' "${SYSCALLS[@]}")"
  if perf stat -x, -e "$events" -p "$SERVER_PID" -o "$WORK/perf.txt" -- true 2>/dev/null; then
    result="$(perf stat -x, -e "$events" -p "$SERVER_PID" -o "$WORK/perf.txt" -- \
      taskset -c "$CLIENT_CPU" "$WORK/bin/echo_loadgen" --target="$PORT" --mode="$MODE" \
      --conns="$CONNS" --warmup=0s --duration="${SECONDS_PER_RUN}s")"
    sed -i 's/raw_syscalls:sys_enter/all/; s/syscalls:sys_enter_//' "$WORK/perf.txt"
  else
    log "perf cannot attach; counting with strace -c (slower server, different batching)"
    strace -c -f -o "$WORK/strace.txt" -p "$SERVER_PID" &
    local strace_pid=$!
    sleep 0.5
    result="$(loadgen "$SECONDS_PER_RUN")"
    kill -INT "$strace_pid"
    wait "$strace_pid" || true
    awk '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ { print $4 ",," $NF } /total/ { print $3 ",,all" }' \
      "$WORK/strace.txt" >"$WORK/perf.txt"
  fi
  stop
  local n
  n="$(units "$result")"
  printf 'server=%s units=%s' "$server" "$n"
  for name in all "${SYSCALLS[@]}"; do
    awk -F, -v name="$name" -v n="$n" '$3 == name && n > 0 { printf " %s=%.3f", name, $1 / n }' \
      "$WORK/perf.txt"
  done
}

# Instructions (Ir) and calls to malloc/operator new in a callgrind output file.
callgrind_totals() {
  /usr/bin/python3 - "$1" <<'PY'
import re, sys
names, current, mallocs, total = {}, None, 0, 0
alloc = re.compile(r"^(malloc|calloc|realloc|operator new(\[\])?\(.*\))$")
for line in open(sys.argv[1], errors="replace"):
    if line.startswith(("fn=", "cfn=")):
        m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line.strip())
        if m:
            if m.group(2):
                names[m.group(1)] = m.group(2)
            current = names.get(m.group(1), "") if line.startswith("cfn=") else None
    elif line.startswith("calls=") and current is not None:
        if alloc.match(current):
            mallocs += int(line.split("=")[1].split()[0])
        current = None
    elif line.startswith("totals:") or line.startswith("summary:"):
        total = int(line.split()[1])
print(total, mallocs)
PY
}

callgrind_run() {  # $1 server, $2 seconds of traffic (0: none); prints "instructions mallocs units"
  local command out="$WORK/callgrind.$1.$2" result="" n=0
  command="$(server_command "$1")"
  # shellcheck disable=SC2086
  start valgrind --tool=callgrind --callgrind-out-file="$out" $command
  if [[ $2 != 0 ]]; then
    result="$(loadgen "$2")"
    n="$(units "$result")"
  fi
  callgrind_control -d "$SERVER_PID" >/dev/null 2>&1 || true
  for _ in $(seq 1 100); do [[ -s "$out.1" ]] && break; sleep 0.1; done
  sleep 0.5
  stop
  echo "$(callgrind_totals "$out.1") $n"
}

unit_name=msg
[[ $MODE == stream ]] && unit_name=MB
echo "| server | syscalls/$unit_name | epoll_wait | recv | send | epoll_ctl | user instructions/$unit_name | mallocs/$unit_name |"
echo "|---|--:|--:|--:|--:|--:|--:|--:|"
for server in $SERVERS; do
  if ! server_command "$server" >/dev/null || [[ ! -x "$(server_command "$server" | cut -d' ' -f1)" ]]; then
    log "skipping $server: no binary"
    continue
  fi
  log "$server: counting system calls"
  counts="$(syscall_counts "$server")"
  log "$server: $counts"
  log "$server: callgrind (idle, then ${SECONDS_PER_RUN}s of traffic)"
  read -r idle_ir idle_mallocs _ <<<"$(callgrind_run "$server" 0)"
  read -r ir mallocs n <<<"$(callgrind_run "$server" "$SECONDS_PER_RUN")"
  /usr/bin/python3 - "$counts" "$idle_ir" "$idle_mallocs" "$ir" "$mallocs" "$n" <<'PY'
import sys
counts = dict(f.split("=") for f in sys.argv[1].split())
idle_ir, idle_mallocs, ir, mallocs, n = (float(x) for x in sys.argv[2:])
get = lambda *keys: sum(float(counts.get(k, 0)) for k in keys)
print("| {} | {:.2f} | {:.3f} | {:.2f} | {:.2f} | {:.4f} | {:,.0f} | {:.3f} |".format(
    counts["server"], get("all"), get("epoll_wait"), get("recvfrom", "read"),
    get("sendto", "write", "writev"), get("epoll_ctl"), (ir - idle_ir) / n,
    (mallocs - idle_mallocs) / n))
PY
done
log "work files: $WORK"
