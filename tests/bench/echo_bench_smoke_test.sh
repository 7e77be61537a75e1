#!/usr/bin/env bash
# Smoke test of the echo benchmark tools: each baseline server starts and prints its port, the
# load generator completes every mode against it with verified echoes, idle_conns reports memory,
# and bench_report.py renders the table. Short runs on loopback; no timing is asserted.
set -euo pipefail

bin="tests/bench"
work="${TEST_TMPDIR:-$(mktemp -d)}"
pids=()
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop_all EXIT

start() {
  local name="$1" out="$work/$1.log"
  "$bin/$1" tcp:0:interface=127.0.0.1 >"$out" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    if grep -q '^listening on tcp:[0-9]*:interface=127.0.0.1$' "$out"; then
      port="$(sed -n 's/^listening on tcp:\([0-9]*\).*/\1/p' "$out")"
      pid="${pids[-1]}"
      return 0
    fi
    sleep 0.05
  done
  echo "FAIL: $name did not start"; cat "$out"; exit 1
}

expect() {  # expect LINE KEY...: each key=value present and not na
  local line="$1"; shift
  for key in "$@"; do
    if ! grep -qE "(^| )$key=[0-9.]+( |$)" <<<"$line"; then
      echo "FAIL: no $key in: $line"; exit 1
    fi
  done
}

raw="$work/raw.txt"
for server in epoll_echo_server uv_echo_server; do
  start "$server"
  common=(--target="tcp:$port:interface=127.0.0.1" --warmup=0.1s --duration=0.3s
    --server_pid="$pid" --server_core=0)
  line="$("$bin/echo_loadgen" "${common[@]}" --mode=pingpong --conns=8)"
  expect "$line" msgs msgs_per_s p50_us p99_us server_cpu_ticks
  echo "server=$server scenario=pp64 rep=1 $line" >>"$raw"
  line="$("$bin/echo_loadgen" "${common[@]}" --mode=stream)"
  expect "$line" bytes mb_per_s
  echo "server=$server scenario=stream rep=1 $line" >>"$raw"
  line="$("$bin/idle_conns" --target="$port" --conns=200 --server_pid="$pid" | head -1)"
  expect "$line" rss_before_kib rss_after_kib bytes_per_conn
  echo "server=$server scenario=idle rep=1 $line" >>"$raw"
done

if [[ -x /usr/bin/python3 ]]; then
  table="$(/usr/bin/python3 "$bin/bench_report.py" "$raw")"
  grep -q '| epoll_echo_server | pingpong 64 conns |' <<<"$table" || {
    echo "FAIL: bench_report.py output:"; echo "$table"; exit 1
  }
fi
echo PASS
