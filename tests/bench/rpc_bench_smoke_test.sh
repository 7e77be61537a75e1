#!/usr/bin/env bash
# Smoke test of the unary-call benchmark tools against the real servers: weftd (demo.Calculator
# over the native wire protocol, only the wire listener, on an ephemeral port), the gRPC server,
# the Perspective Broker server and the bare epoll echo each start and print their port;
# rpc_loadgen (Weft and gRPC drivers), pb_calculator_client.py and echo_loadgen complete every
# scenario with checked sums; a call weftd refuses fails the run with its status; weftd and the
# gRPC server exit 0 on SIGTERM; rpc_bench_report.py renders the table. Short loopback runs; no
# timing is asserted.
set -euo pipefail

bin="tests/bench"
weftd="broker/weftd"
work="${TEST_TMPDIR:-$(mktemp -d)}"
python=/usr/bin/python3
pids=()
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop_all EXIT

start() {  # start NAME LISTEN_PREFIX COMMAND...: sets port and pid
  local name="$1" prefix="$2" out="$work/$1.log"
  shift 2
  "$@" >"$out" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 400); do
    if grep -q "^${prefix}tcp:[0-9]*:interface=127.0.0.1$" "$out"; then
      port="$(sed -n "s/^${prefix}tcp:\([0-9]*\).*/\1/p" "$out" | head -1)"
      pid="${pids[-1]}"
      return 0
    fi
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.05
  done
  echo "FAIL: $name did not start"; cat "$out"; exit 1
}

stop() {  # stop NAME PID: SIGTERM, then the exit status must be 0
  kill -TERM "$2"
  if ! wait "$2"; then echo "FAIL: $1 did not exit 0 on SIGTERM"; cat "$work/$1.log"; exit 1; fi
}

expect() {  # expect LINE KEY...: each key=value present and numeric
  local line="$1"; shift
  for key in "$@"; do
    if ! grep -qE "(^| )$key=[0-9.]+( |$)" <<<"$line"; then
      echo "FAIL: no $key in: $line"; exit 1
    fi
  done
}

raw="$work/raw.txt"
: >"$raw"
run_all() {  # run_all SERVER SCENARIOS CLIENT...: the scenarios, results appended to raw
  local server="$1" scenarios="$2" name conns in_flight line; shift 2
  for name in $scenarios; do
    case "$name" in
    c1) conns=1 in_flight=1 ;;
    c64) conns=1 in_flight=64 ;;
    k64) conns=64 in_flight=1 ;;
    esac
    local args=(--target="tcp:$port:interface=127.0.0.1" --conns="$conns" --warmup=0.1s
      --duration=0.3s --server_pid="$pid" --server_core=0)
    [[ $server == epoll ]] || args+=(--in_flight="$in_flight")
    line="$("$@" "${args[@]}" | sed 's/ msgs=/ calls=/; s/msgs_per_s=/calls_per_s=/;
      s/_per_msg=/_per_call=/g')"
    expect "$line" calls calls_per_s p50_us p99_us server_cpu_ticks server_cpu_us_per_call
    echo "server=$server scenario=$name rep=1 $line" >>"$raw"
  done
}

# weftd: the real broker, as run_rpc_bench.sh runs it.
[[ -x $weftd ]] || { echo "FAIL: $weftd is missing"; exit 1; }
mkdir -p "$work/weft-data"
cat >"$work/weft.conf" <<EOF
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
data_dir: "$work/weft-data"
EOF
start weftd "weftd: wire listening on " "$weftd" --config "$work/weft.conf" --loops 1
weftd_pid="$pid"
run_all weft "c1 c64 k64" "$bin/rpc_loadgen" --protocol=weft
if "$bin/rpc_loadgen" --protocol=weft --target="$port" --weft_method=Nope --duration=0.1s \
  2>"$work/err.txt"; then
  echo "FAIL: a call weftd refuses did not fail the run"; exit 1
fi
grep -q 'code 5' "$work/err.txt" || { echo "FAIL: unexpected error:"; cat "$work/err.txt"; exit 1; }
stop weftd "$weftd_pid"

start grpc "listening on " "$bin/grpc_calculator_server" tcp:0:interface=127.0.0.1
grpc_pid="$pid"
run_all grpc "c1 c64 k64" "$bin/rpc_loadgen" --protocol=grpc
stop grpc "$grpc_pid"

start epoll "listening on " "$bin/epoll_echo_server" tcp:0:interface=127.0.0.1
run_all epoll "c1 k64" "$bin/echo_loadgen" --mode=pingpong --msg_size=48

if "$python" -c 'import twisted.spread.pb' 2>/dev/null; then
  start pb "listening on " "$python" "$bin/pb_calculator_server.py" tcp:0:interface=127.0.0.1
  run_all pb "c1 c64 k64" "$python" "$bin/pb_calculator_client.py"
else
  echo "note: $python has no twisted; Perspective Broker skipped"
fi

table="$("$python" "$bin/rpc_bench_report.py" "$raw")"
for want in '| Weft (weftd, wire) | 1 conn, 64 in flight |' '| gRPC C++ async | 64 conns, 1' \
  '| bare epoll echo (limit) | 1 conn, 1 in flight |' 'calls/s ÷ gRPC: '; do
  grep -qF "$want" <<<"$table" || { echo "FAIL: no '$want' in:"; echo "$table"; exit 1; }
done
echo "$table"
echo PASS
