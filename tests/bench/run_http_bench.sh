#!/usr/bin/env bash
# HTTP gateway benchmark (issue 6, Benchmark): weftd's HTTP gateway against nginx for small
# responses and against Twisted (twisted.web) for JSON-RPC and XML-RPC calls of
# demo.Calculator.Add, in the same run, loaded by wrk. Builds weftd with --config=opt and prints
# the markdown table of docs/benchmarks.md ("HTTP gateway"). Run from anywhere in the repo
# (./weft bench http calls it):
#
#   tests/bench/run_http_bench.sh [--reps N] [--seconds S] [--warmup S]
#       [--servers "weft nginx twisted"]
#       [--scenarios "health-100 health-1000 jsonrpc-100 xmlrpc-100"]
#       [--no-build] [--weftd PATH] [--strict] [--markdown FILE] [--raw FILE]
#
# A scenario is KIND-CONNECTIONS: wrk -t1 keeps CONNECTIONS keep-alive connections busy with
#   health   GET /healthz (weft, nginx, and Twisted's hello as a reference up to 100 connections)
#   jsonrpc  POST /jsonrpc, the JSON-RPC 2.0 call of http_jsonrpc_add.lua (weft, twisted)
#   xmlrpc   POST /RPC2, the XML-RPC methodCall of http_xmlrpc_add.lua (weft, twisted)
# Servers:
#   weft     //broker:weftd --config <generated> --loops 1: only the HTTP listener, on an
#            ephemeral loopback port, hosting demo.Calculator in process
#   nginx    Debian's nginx, one process (master_process off) as the current user, from a
#            generated nginx.conf in the run's temp dir: `return 200 "ok\n"` on /healthz,
#            access log off, keep-alive without a request limit
#   twisted  tests/bench/twisted_jsonrpc_server.py under /usr/bin/python3: twisted.web with the
#            hello, a JSON-RPC resource (stdlib json) and twisted.web.xmlrpc.XMLRPC
# Every server is checked with http_bench_check.py before the first run (a wrong answer leaves it
# out); wrk itself does not look at bodies, but counts non-2xx answers and socket errors.
#
# Servers run pinned to CPU $SERVER_CPU (default 0), wrk to $CLIENT_CPU (default 1). The servers
# start once and stay up; each repetition runs every scenario against every server in turn,
# rotating the order. Each run is an unmeasured wrk run of --warmup seconds, then the measured
# one of --seconds (whole seconds: wrk's unit). Server CPU per request is utime+stime of the
# server process (all threads, /proc/PID/stat) read before and after the measured wrk run,
# divided by the requests wrk completed. The machine may be shared: each run first waits for
# other work to leave the two cores alone, and a disturbed run is retried (MAX_OTHER,
# QUIET_WAIT, MAX_ATTEMPTS, MAX_MINUTES in the environment; tests/bench/bench_lib.sh).
# --weftd uses that binary instead of building one; --strict exits 1 when a server was left out
# or any run failed or got a non-2xx answer or a socket error (http_bench_smoke_test uses it).
# Defaults: 3 repetitions x (1 s warm-up + 5 s measured), about 3-4 minutes.
set -euo pipefail

REPS=3
SECONDS_PER_RUN=5
WARMUP=1
SERVERS="weft nginx twisted"
SCENARIOS="health-100 health-1000 jsonrpc-100 xmlrpc-100"
BUILD=1
WEFTD=""
STRICT=0
MARKDOWN=""
RAW=""
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-1}"
MAX_OTHER="${MAX_OTHER:-10}"      # % of a core used by other processes before a run is retried
MAX_ATTEMPTS="${MAX_ATTEMPTS:-3}"
QUIET_WAIT="${QUIET_WAIT:-30}"    # seconds to wait for a quiet machine before each run
MAX_MINUTES="${MAX_MINUTES:-10}"  # after this, no more waiting or retrying
PYTHON=/usr/bin/python3 # Debian's, which has python3-twisted.
NGINX="${NGINX:-/usr/sbin/nginx}"

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
  --weftd) WEFTD="$2"; shift 2 ;;
  --strict) STRICT=1; shift ;;
  --markdown) MARKDOWN="$2"; shift 2 ;;
  --raw) RAW="$2"; shift 2 ;;
  -h | --help) usage 0 ;;
  *) echo "run_http_bench: unknown argument '$1'" >&2; usage 2 ;;
  esac
done
for value in "$SECONDS_PER_RUN" "$WARMUP"; do
  [[ $value =~ ^[0-9]+$ ]] || { echo "run_http_bench: wrk takes whole seconds" >&2; exit 2; }
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
[[ -z $WEFTD || $WEFTD == /* ]] || WEFTD="$ROOT/$WEFTD"
WORK="$(mktemp -d "${TEST_TMPDIR:-/tmp}/weft-http-bench.XXXXXX")"
RAW="${RAW:-$WORK/raw.txt}"
: >"$RAW"
declare -A PID PORT MISSING
log() { echo "run_http_bench: $*" >&2; }
command -v wrk >/dev/null || { log "wrk is not installed (apt-get install wrk)"; exit 1; }

# SIGTERM lets weftd drain; nginx (master_process off) and Twisted exit on it too.
cleanup() {
  for server in "${!PID[@]}"; do
    kill -TERM "${PID[$server]}" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# --- weftd: build, then copy it so concurrent builds cannot swap it mid-run. -----------------
mkdir -p "$WORK/bin"
if [[ " $SERVERS " == *" weft "* ]]; then
  if [[ -z $WEFTD && $BUILD == 1 ]]; then
    log "building (bazel build --config=opt //broker:weftd)"
    bazel build --config=opt //broker:weftd >&2 || MISSING[weft]="//broker:weftd does not build"
  fi
  if [[ -z $WEFTD ]]; then
    WEFTD="$(bazel info --config=opt bazel-bin 2>/dev/null)/broker/weftd"
  fi
  if [[ -x $WEFTD ]]; then cp "$WEFTD" "$WORK/bin/weftd"; fi
fi

# --- Servers. -------------------------------------------------------------------------------
# weftd's config: only the HTTP listener (ephemeral loopback port), demo.Calculator hosted in
# process, everything else at its default (docs/configuration.md, docs/http.md).
write_weft_config() {
  mkdir -p "$WORK/weft-data"
  cat >"$WORK/weft.conf" <<EOF
listeners {
  wire { enabled: false }
  control { enabled: false }
  http { endpoint: "tcp:0:interface=127.0.0.1" }
  smtp { enabled: false }
  imap { enabled: false }
  pop3 { enabled: false }
  ssh { enabled: false }
  irc { enabled: false }
}
services { name: "demo.Calculator" }
data_dir: "$WORK/weft-data"
EOF
}

# nginx cannot report an ephemeral port, so it gets one that was free a moment ago.
free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# One process, as the current user, every path in the run's temp dir. keepalive_requests is
# raised from its default (1000) so that, like weftd, nginx never closes a busy connection.
write_nginx_config() {
  local dir="$WORK/nginx"
  mkdir -p "$dir/temp"
  cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/temp/body;
  proxy_temp_path $dir/temp/proxy;
  fastcgi_temp_path $dir/temp/fastcgi;
  uwsgi_temp_path $dir/temp/uwsgi;
  scgi_temp_path $dir/temp/scgi;
  keepalive_requests 1000000000;
  server {
    listen 127.0.0.1:$1 backlog=1024;
    location = /healthz {
      default_type text/plain;
      return 200 "ok\n";
    }
  }
}
EOF
}

# Starts server $1 pinned to SERVER_CPU and waits until it listens; sets PID[$1] and
# LAUNCHED_PORT.
launch() {
  local server="$1" out="$WORK/$1.log" port="" re=""
  LAUNCHED_PORT=""
  case "$server" in
  weft)
    [[ -x $WORK/bin/weftd ]] || { MISSING[weft]="${MISSING[weft]:-weftd is missing}"; return 1; }
    write_weft_config
    taskset -c "$SERVER_CPU" "$WORK/bin/weftd" --config "$WORK/weft.conf" --loops 1 >"$out" 2>&1 &
    re='^weftd: http listening on tcp:\([0-9][0-9]*\).*' ;;
  nginx)
    [[ -x $NGINX ]] || { MISSING[nginx]="$NGINX is missing"; return 1; }
    port="$(free_port)"
    write_nginx_config "$port"
    taskset -c "$SERVER_CPU" "$NGINX" -p "$WORK/nginx/" -c "$WORK/nginx/nginx.conf" \
      -e "$WORK/nginx/error.log" >"$out" 2>&1 & ;;
  twisted)
    taskset -c "$SERVER_CPU" "$PYTHON" "$ROOT/tests/bench/twisted_jsonrpc_server.py" \
      tcp:0:interface=127.0.0.1:backlog=1024 >"$out" 2>&1 &
    re='^listening on tcp:\([0-9][0-9]*\).*' ;;
  *) log "unknown server '$server'"; return 1 ;;
  esac
  PID[$server]=$!
  for _ in $(seq 1 200); do
    if [[ -n $re ]]; then
      port="$(sed -n "s/$re/\\1/p" "$out" | head -1)"
      [[ -n $port ]] && { LAUNCHED_PORT="$port"; return 0; }
    elif (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      LAUNCHED_PORT="$port"
      return 0
    fi
    kill -0 "${PID[$server]}" 2>/dev/null || break
    sleep 0.05
  done
  return 1
}

# The request kinds a server takes part in.
kinds_of() {
  case "$1" in
  nginx) echo health ;;
  *) echo health jsonrpc xmlrpc ;;
  esac
}

# For bench_lib's start_servers: starts server $1 and checks its answers; on failure leaves it out
# (MISSING says why).
start_server() {
  local server="$1" port="" problems=""
  local check=("$PYTHON" "$ROOT/tests/bench/http_bench_check.py")
  # shellcheck disable=SC2046 # kinds_of prints a word list
  if launch "$server" && port="$LAUNCHED_PORT" &&
    problems="$("${check[@]}" "$port" $(kinds_of "$server"))"; then
    PORT[$server]="$port"
    log "$server: pid ${PID[$server]}, port $port, answers checked"
    return 0
  fi
  if [[ -n $port ]]; then
    log "WARNING: $server answered wrongly; leaving it out:"
    echo "$problems" | sed 's/^/  /' >&2
    MISSING[$server]="${MISSING[$server]:-wrong answers: $(echo "$problems" | head -1)}"
  else
    log "WARNING: $server did not start; leaving it out. Its output:"
    sed 's/^/  /' "$WORK/$server.log" >&2 2>/dev/null || true
    MISSING[$server]="${MISSING[$server]:-did not start}"
  fi
  if [[ -n ${PID[$server]:-} ]]; then
    kill "${PID[$server]}" 2>/dev/null || true
    unset "PID[$server]"
  fi
  return 1
}

# --- One run. -----------------------------------------------------------------------------
# utime+stime of process $1, in clock ticks.
process_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# Busy ticks of the two benchmark cores: "all" (with interrupts, as bench_lib's cores_busy_pct)
# and "tasks" (user+nice+system only).
core_ticks() {
  grep -E "^cpu($SERVER_CPU|$CLIENT_CPU) " /proc/stat |
    awk '{ all += $2 + $3 + $4 + $7 + $8 + $9; tasks += $2 + $3 + $4 } END { print all, tasks }'
}

# wrk's duration ("in 5.10s", "in 900.00ms") in seconds.
to_seconds() {
  awk -v t="$1" 'BEGIN { n = t + 0; if (t ~ /ms$/) n /= 1000; else if (t ~ /us$/) n /= 1e6;
    else if (t ~ /m$/) n *= 60; print n }'
}

# Prints the key=value result of scenario $2 against server $1; nothing on failure, "skip" when
# the server has no such scenario.
measure() {
  local server="$1" scenario="$2" kind="${2%-*}" conns="${2##*-}" path script=()
  case "$kind" in
  health) path=/healthz ;;
  jsonrpc) path=/jsonrpc script=(-s "$ROOT/tests/bench/http_jsonrpc_add.lua") ;;
  xmlrpc) path=/RPC2 script=(-s "$ROOT/tests/bench/http_xmlrpc_add.lua") ;;
  *) log "unknown scenario '$scenario'"; echo skip; return 0 ;;
  esac
  if [[ " $(kinds_of "$server") " != *" $kind "* ]] ||
    [[ $server == twisted && $kind == health && $conns -gt 100 ]]; then
    echo skip
    return 0
  fi
  local wrk=(timeout 120 taskset -c "$CLIENT_CPU" wrk -t1 "-c$conns" --latency "${script[@]}")
  local url="http://127.0.0.1:${PORT[$server]}$path" pid="${PID[$server]}"
  if ((WARMUP > 0)); then
    "${wrk[@]}" "-d${WARMUP}s" "$url" >/dev/null 2>>"$WORK/client.log" || true
  fi
  local cpu0 cores0 t0 out cpu1 cores1 t1
  cpu0="$(process_ticks "$pid")" cores0="$(core_ticks)" t0="$(date +%s.%N)"
  # `times` after wrk: the second line is the CPU time of this subshell's children (wrk).
  out="$("${wrk[@]}" "-d${SECONDS_PER_RUN}s" "$url" 2>>"$WORK/client.log"; times)"
  cpu1="$(process_ticks "$pid" 2>/dev/null)" || return 0
  cores1="$(core_ticks)" t1="$(date +%s.%N)"
  echo "$out" >>"$WORK/wrk.log"
  local requests elapsed
  requests="$(sed -n 's/^ *\([0-9][0-9]*\) requests in \([0-9.]*[a-z]*\),.*/\1/p' <<<"$out")"
  elapsed="$(sed -n 's/^ *[0-9][0-9]* requests in \([0-9.]*[a-z]*\),.*/\1/p' <<<"$out")"
  [[ -n $requests && $requests -gt 0 ]] || return 0
  awk -v kind="$kind" -v conns="$conns" -v requests="$requests" \
    -v elapsed="$(to_seconds "$elapsed")" \
    -v cpu="$((cpu1 - cpu0))" -v cores0="$cores0" -v cores1="$cores1" -v t0="$t0" -v t1="$t1" \
    -v hz="$(getconf CLK_TCK)" -v out="$out" '
    function to_ms(v) { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /[0-9]s$/) n *= 1000;
      return n }
    function clock(v,   m) { split(v, m, /m|s/); return m[1] * 60 + m[2] }
    BEGIN {
      lines = split(out, line, "\n"); non2xx = 0; errors = 0; p50 = "na"; p99 = "na"
      for (i = 1; i <= lines; i++) {
        split(line[i], f, " ")
        if (f[1] == "50%") p50 = to_ms(f[2])
        if (f[1] == "99%") p99 = to_ms(f[2])
        if (line[i] ~ /Non-2xx or 3xx responses:/) non2xx = f[5]
        if (line[i] ~ /Socket errors:/) { gsub(/,/, "", line[i]); split(line[i], e, " ")
          errors = e[4] + e[6] + e[8] + e[10] }
        if (line[i] ~ /^[0-9]+m[0-9.]+s [0-9]+m[0-9.]+s$/) { times++; if (times == 2) {
          split(line[i], c, " "); client = clock(c[1]) + clock(c[2]) } }
      }
      window = t1 - t0; split(cores0, a, " "); split(cores1, b, " ")
      server_s = cpu / hz; all_s = (b[1] - a[1]) / hz; tasks_s = (b[2] - a[2]) / hz
      other_busy = (all_s - server_s - client) * 100 / window
      other_tasks = tasks_s - server_s - client; if (other_tasks < 0) other_tasks = 0
      printf "kind=%s conns=%d requests=%d requests_per_s=%.1f p50_ms=%s p99_ms=%s", kind, conns,
        requests, requests / elapsed, p50, p99
      printf " non2xx=%d socket_errors=%d server_cpu_ticks=%d server_cpu_pct=%.1f", non2xx,
        errors, cpu, server_s * 100 / window
      printf " server_cpu_us_per_req=%.3f client_cpu_pct=%.1f other_busy_pct=%.1f",
        server_s * 1e6 / requests, client * 100 / window, other_busy
      printf " other_tasks_pct=%.1f\n", other_tasks * 100 / window
    }'
}

# shellcheck source=tests/bench/bench_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

# --- Run. ----------------------------------------------------------------------------------
write_machine_notes
start_servers

# shellcheck disable=SC2086 # SCENARIOS is a word list.
run_rotating $SCENARIOS

# --- Report. -------------------------------------------------------------------------------
report=("$PYTHON" "$ROOT/tests/bench/http_bench_report.py" "$RAW")
for server in "${!MISSING[@]}"; do report+=(--missing "$server=${MISSING[$server]}"); done
{
  echo "Machine: $(tr '\n' ';' <"$WORK/machine.txt" | sed 's/;$//; s/;/; /g')"
  echo
  "${report[@]}"
} | tee "${MARKDOWN:-/dev/null}"
log "raw results: $RAW"

if ((STRICT)); then
  status=0
  if [[ -n "${!MISSING[*]}" ]]; then log "strict: left out: ${!MISSING[*]}"; status=1; fi
  if grep -qE 'error=|non2xx=[1-9]|socket_errors=[1-9]' "$RAW"; then
    log "strict: a run failed or got bad answers:"
    grep -E 'error=|non2xx=[1-9]|socket_errors=[1-9]' "$RAW" >&2 || true
    status=1
  fi
  exit "$status"
fi
