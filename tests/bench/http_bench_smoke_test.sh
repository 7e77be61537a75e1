#!/usr/bin/env bash
# Smoke test of the HTTP gateway benchmark (run_http_bench.sh): the real runner, with every
# server (weftd's HTTP gateway, nginx, the Twisted server) and every request kind, 1-second wrk
# runs at low connection counts. --strict makes the runner fail when a server did not start,
# answered the checker (http_bench_check.py) wrongly, or got a non-2xx answer or a socket error
# under wrk; the table must then have every row. Also checks that the checker rejects a server
# that does not answer as weftd does. No timing is asserted.
set -euo pipefail

bench="tests/bench"
work="${TEST_TMPDIR:-$(mktemp -d)}"
python=/usr/bin/python3
if ! command -v wrk >/dev/null; then
  echo "FAIL: wrk is not installed (./weft test installs it)"
  exit 1
fi

servers="weft nginx twisted"
if ! "$python" -c 'import twisted.web.xmlrpc' 2>/dev/null; then
  echo "note: $python has no twisted; the Twisted server is skipped"
  servers="${servers/twisted/}"
fi
if [[ ! -x /usr/sbin/nginx ]]; then
  echo "note: nginx is not installed; skipped"
  servers="${servers/nginx/}"
fi

# No waiting for a quiet machine, no retries: this is about the tools, not the numbers.
if ! QUIET_WAIT=0 MAX_ATTEMPTS=1 MAX_MINUTES=2 bash "$bench/run_http_bench.sh" --no-build \
  --weftd broker/weftd --reps 1 --seconds 1 --warmup 0 --servers "$servers" \
  --scenarios "health-4 health-16 jsonrpc-4 xmlrpc-4" --strict --raw "$work/raw.txt" \
  --markdown "$work/table.md" >"$work/out.txt" 2>&1; then
  echo "FAIL: run_http_bench.sh --strict failed:"; cat "$work/out.txt"; exit 1
fi

want=('| Weft (weftd, HTTP gateway) | GET /healthz | 4 |'
  '| Weft (weftd, HTTP gateway) | GET /healthz | 16 |'
  '| Weft (weftd, HTTP gateway) | JSON-RPC Add | 4 |'
  '| Weft (weftd, HTTP gateway) | XML-RPC Add | 4 |'
  'Targets (issue 6')
[[ $servers == *nginx* ]] && want+=('| nginx (1 worker) | GET /healthz | 4 |'
  '| nginx (1 worker) | GET /healthz | 16 |')
[[ $servers == *twisted* ]] && want+=('| Twisted (twisted.web) | GET /healthz | 4 |'
  '| Twisted (twisted.web) | JSON-RPC Add | 4 |' '| Twisted (twisted.web) | XML-RPC Add | 4 |')
for line in "${want[@]}"; do
  grep -qF "$line" "$work/table.md" || { echo "FAIL: no '$line' in:"; cat "$work/out.txt"; exit 1; }
done
if grep -q 'failed:' "$work/table.md"; then
  echo "FAIL: a run failed:"; cat "$work/out.txt"; exit 1
fi

# The checker must reject wrong answers: Python's http.server has no /healthz, /jsonrpc or /RPC2.
"$python" -u -m http.server --bind 127.0.0.1 0 --directory "$work" >"$work/plain.log" 2>&1 &
plain=$!
trap 'kill $plain 2>/dev/null || true' EXIT
port=""
for _ in $(seq 1 200); do
  port="$(sed -n 's/.* port \([0-9][0-9]*\).*/\1/p' "$work/plain.log" | head -1)"
  [[ -n $port ]] && break
  sleep 0.05
done
[[ -n $port ]] || { echo "FAIL: http.server did not start"; cat "$work/plain.log"; exit 1; }
for kind in health jsonrpc xmlrpc; do
  if "$python" "$bench/http_bench_check.py" "$port" "$kind" >"$work/check.txt"; then
    echo "FAIL: http_bench_check.py accepted a server without $kind"; exit 1
  fi
  grep -q 'http_bench_check: port' "$work/check.txt" || { cat "$work/check.txt"; exit 1; }
done

cat "$work/table.md"
echo PASS
