#!/usr/bin/env bash
# Interop: curl (Debian's) against the real weftd's HTTP gateway, plus raw bash sockets for what
# curl cannot do (a slow client). Three weftd instances, each on port 0 with only the http
# listener besides wire, demo.Calculator and demo.Types hosted, stopped with SIGTERM and required
# to exit 0:
#   plain:  keep-alive (two URLs, one connection), chunked upload, Expect: 100-continue (and the
#           413 that replaces 100 for an oversized body), HEAD, 404, 405, 413 over
#           `max_body_bytes: 2048`, 431, 408 for a slow client after `request_timeout_ms: 300`,
#           /metrics;
#   tls:    HTTPS with a self-signed certificate made by `openssl req`, curl --cacert;
#   auth:   require_auth with a token: 401 + WWW-Authenticate without it, 200 with it, /healthz
#           open.
# Every check runs and reports; the test fails at the end if any failed. Every wait is bounded
# (curl --max-time, `timeout`, polling limits); nothing sleeps a fixed time as synchronization.
#
# Usage (from Bazel, in the runfiles root): http_curl_test.sh [PATH_TO_WEFTD]
set -uo pipefail

WEFTD="${1:-broker/weftd}"
TMP="${TEST_TMPDIR:-$(mktemp -d)}"
WAIT_SECONDS=20
CURL=(curl --silent --show-error --max-time 10)
FAILURES=0
PID=""
PORT=""
NAME=""

fail() {
  echo "FAIL: $*" >&2
  FAILURES=$((FAILURES + 1))
}
ok() { echo "ok: $*"; }
# check DESCRIPTION COMMAND...: runs COMMAND, reports ok or FAIL.
check() {
  local what="$1"
  shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}
# has FILE PATTERN (grep -E) / has_not FILE PATTERN, printing FILE when they fail.
has() {
  grep -qE -- "$2" "$1" && return 0
  echo "--- no /$2/ in $1:" >&2
  head -c 4000 "$1" >&2
  echo >&2
  return 1
}
has_not() {
  grep -qE -- "$2" "$1" || return 0
  echo "--- unexpected /$2/ in $1:" >&2
  head -c 4000 "$1" >&2
  echo >&2
  return 1
}
equals() {  # equals WHAT GOT WANT
  [[ "$2" == "$3" ]] && return 0
  echo "--- $1: got '$2', want '$3'" >&2
  return 1
}

cleanup() {
  if [[ -n "$PID" ]]; then kill -KILL "$PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

# start_weftd NAME HTTP_LISTENER_BODY EXTRA_CONFIG: starts weftd, sets PID and PORT.
start_weftd() {
  NAME="$1"
  local dir="$TMP/$1"
  mkdir -p "$dir/data"
  (
    umask 077  # weftd refuses a config holding tokens that others can read.
    cat >"$dir/weft.conf" <<CONF
data_dir: "$dir/data"
listeners {
  wire { endpoint: "tcp:0:interface=127.0.0.1" }
  http { $2 }
  control { enabled: false }
  smtp { enabled: false }
  imap { enabled: false }
  pop3 { enabled: false }
  ssh { enabled: false }
  irc { enabled: false }
}
services { name: "demo.Calculator" }
services { name: "demo.Types" }
$3
CONF
  )
  : >"$dir/out"
  : >"$dir/err"
  "$WEFTD" --config "$dir/weft.conf" >>"$dir/out" 2>>"$dir/err" &
  PID=$!
  for _ in $(seq 1 $((WAIT_SECONDS * 20))); do
    grep -q '^weftd: ready$' "$dir/out" && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
  done
  PORT="$(sed -n 's/^weftd: http listening on [a-z]*:\([0-9][0-9]*\).*/\1/p' "$dir/out")"
  if ! grep -q '^weftd: ready$' "$dir/out" || [[ -z "$PORT" ]]; then
    echo "FAIL: weftd ($NAME) did not start" >&2
    cat "$dir/out" "$dir/err" >&2
    exit 1
  fi
  echo "weftd ($NAME) http on 127.0.0.1:$PORT"
}

# stop_weftd: SIGTERM, bounded wait, exit status must be 0.
stop_weftd() {
  kill -TERM "$PID"
  local status=""
  for _ in $(seq 1 $((WAIT_SECONDS * 20))); do
    if ! kill -0 "$PID" 2>/dev/null; then
      wait "$PID"
      status=$?
      break
    fi
    sleep 0.05
  done
  if [[ -z "$status" ]]; then
    kill -KILL "$PID"
    wait "$PID" 2>/dev/null
    status="killed"
  fi
  PID=""
  if [[ "$status" == 0 ]]; then ok "weftd ($NAME) exits 0 on SIGTERM"; else
    fail "weftd ($NAME) exit status on SIGTERM: $status"
    cat "$TMP/$NAME/err" >&2
  fi
}

# send3 BYTES: writes BYTES (printf %b escapes) to fd 3 in one write(2). (bash's printf would
# write line by line, and a server that answers and closes after the first line would then kill
# the shell with SIGPIPE.)
send3() {
  printf '%b' "$@" >"$TMP/send3.bin"
  cat "$TMP/send3.bin" >&3
}

jsonrpc() {  # jsonrpc METHOD PARAMS ID: a JSON-RPC request body
  printf '{"jsonrpc":"2.0","method":"%s","params":%s,"id":%s}' "$1" "$2" "$3"
}

# --- plain --------------------------------------------------------------------------------------
start_weftd plain 'endpoint: "tcp:0:interface=127.0.0.1"' \
  'http { max_body_bytes: 2048 request_timeout_ms: 300 idle_timeout_ms: 1000 }'
BASE="http://127.0.0.1:$PORT"
W="$TMP/plain"

# Keep-alive: two URLs in one invocation share one connection.
jsonrpc demo.Calculator.Add '{"a":2,"b":3}' 1 >"$W/add.json"
"${CURL[@]}" -v -H 'Content-Type: application/json' --data-binary @"$W/add.json" \
  -o "$W/ka1.body" -o "$W/ka2.body" -w '%{http_code} %{num_connects}\n' \
  "$BASE/jsonrpc" "$BASE/jsonrpc" >"$W/ka.out" 2>"$W/ka.err"
check "keep-alive: both answers right" \
  equals "keep-alive bodies" "$(cat "$W/ka1.body") $(cat "$W/ka2.body")" \
  '{"jsonrpc":"2.0","result":{"sum":"5"},"id":1} {"jsonrpc":"2.0","result":{"sum":"5"},"id":1}'
check "keep-alive: second transfer made no new connection (%{num_connects})" \
  equals "status and num_connects" "$(tr '\n' ' ' <"$W/ka.out")" "200 1 200 0 "
check "keep-alive: curl -v says it re-used the connection" \
  has "$W/ka.err" 'Re-using existing connection'

# Chunked upload from stdin.
jsonrpc demo.Calculator.Divide '{"dividend":17,"divisor":5}' '"chunked"' |
  "${CURL[@]}" -v -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' \
    --data-binary @- "$BASE/jsonrpc" >"$W/chunked.body" 2>"$W/chunked.err"
check "chunked upload: sent chunked" has "$W/chunked.err" '^> Transfer-Encoding: chunked'
check "chunked upload: answered" equals "chunked body" "$(cat "$W/chunked.body")" \
  '{"jsonrpc":"2.0","result":{"quotient":"3","remainder":"2"},"id":"chunked"}'

# Chunked upload over max_body_bytes: 413.
{
  printf '{"jsonrpc":"2.0","method":"demo.Types.Echo","params":{"stringValue":"'
  head -c 3000 /dev/zero | tr '\0' 'c'
  printf '"},"id":1}'
} >"$W/big.json"
code="$("${CURL[@]}" -H 'Transfer-Encoding: chunked' --data-binary @- -o "$W/chunked413.body" \
  -w '%{http_code}' "$BASE/jsonrpc" <"$W/big.json")"
check "chunked upload over max_body_bytes: 413" equals "status" "$code" 413

# Expect: 100-continue with a body of 1.5 KiB (under the 2048 limit).
PAD="$(head -c 1500 /dev/zero | tr '\0' 'p')"
jsonrpc demo.Types.Echo "{\"stringValue\":\"$PAD\"}" 3 >"$W/expect.json"
"${CURL[@]}" -v -H 'Expect: 100-continue' -H 'Content-Type: application/json' \
  --expect100-timeout 5 --data-binary @"$W/expect.json" -w '%{http_code}' \
  -o "$W/expect.body" "$BASE/jsonrpc" >"$W/expect.code" 2>"$W/expect.err"
check "100-continue: request carried Expect" has "$W/expect.err" '^> Expect: 100-continue'
check "100-continue: server sent 100 Continue" has "$W/expect.err" '^< HTTP/1.1 100 Continue'
check "100-continue: final answer 200" equals "status" "$(cat "$W/expect.code")" 200
check "100-continue: body echoed" has "$W/expect.body" "\"stringValue\":\"$PAD\""

# Expect: 100-continue with a Content-Length over the limit: 413 instead of 100.
"${CURL[@]}" -v -H 'Expect: 100-continue' --expect100-timeout 5 --data-binary @"$W/big.json" \
  -w '%{http_code}' -o "$W/expect413.body" "$BASE/jsonrpc" >"$W/expect413.code" \
  2>"$W/expect413.err"
check "100-continue over max_body_bytes: 413" equals "status" "$(cat "$W/expect413.code")" 413
check "100-continue over max_body_bytes: no 100 Continue" \
  has_not "$W/expect413.err" '^< HTTP/1.1 100'

# 413 for a Content-Length body over max_body_bytes (no Expect).
code="$("${CURL[@]}" -H 'Expect:' --data-binary @"$W/big.json" -o /dev/null -w '%{http_code}' \
  "$BASE/jsonrpc")"
check "body over max_body_bytes: 413" equals "status" "$code" 413

# HEAD /healthz: the GET's headers and Content-Length, no body.
"${CURL[@]}" -I -o "$W/head.headers" "$BASE/healthz"
check "HEAD /healthz: 200" has "$W/head.headers" '^HTTP/1.1 200'
check "HEAD /healthz: Content-Length of the GET body" has "$W/head.headers" '^Content-Length: 3'
# No body after HEAD's headers: on one raw connection, a GET right behind the HEAD must start
# right after HEAD's empty line (a stray body would come first).
head_then_get() {
  exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
  send3 'HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n' \
    'GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n'
  timeout 5 cat <&3 >"$W/head_get.out"
  local status=$?
  exec 3<&-
  [[ $status == 0 ]] || { echo "--- the server did not close within 5 s" >&2; return 1; }
  local after_head
  after_head="$(awk 'BEGIN { RS = "\r\n" } seen { print; exit } $0 == "" { seen = 1 }' \
    "$W/head_get.out")"
  equals "line after HEAD's header section" "$after_head" "HTTP/1.1 200 OK" || return 1
  equals "status lines" "$(grep -c '^HTTP/1.1 200' "$W/head_get.out")" 2 || return 1
  equals "last bytes" "$(tail -c 3 "$W/head_get.out" | od -An -c | tr -s ' ')" " o k \n"
}
check "HEAD /healthz: no body (a pipelined GET follows at once)" head_then_get
check "GET /healthz: ok" equals "GET /healthz" "$("${CURL[@]}" "$BASE/healthz")" ok

# 404 and 405 (with Allow).
code="$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$BASE/nope")"
check "GET /nope: 404" equals "status" "$code" 404
code="$("${CURL[@]}" -D "$W/405a.headers" -o /dev/null -w '%{http_code}' "$BASE/jsonrpc")"
check "GET /jsonrpc: 405" equals "status" "$code" 405
check "GET /jsonrpc: Allow: POST" has "$W/405a.headers" '^Allow: POST'
code="$("${CURL[@]}" -D "$W/405b.headers" -o /dev/null -w '%{http_code}' -X PUT \
  --data-binary @"$W/add.json" "$BASE/RPC2")"
check "PUT /RPC2: 405" equals "status" "$code" 405
code="$("${CURL[@]}" -D "$W/405c.headers" -o /dev/null -w '%{http_code}' -d x "$BASE/healthz")"
check "POST /healthz: 405" equals "status" "$code" 405
check "POST /healthz: Allow: GET, HEAD" has "$W/405c.headers" '^Allow: GET, HEAD'

# 431: a header section over 64 KiB, and more than 100 field lines.
BIG_VALUE="$(head -c 70000 /dev/zero | tr '\0' 'h')"
code="$("${CURL[@]}" -D "$W/431a.headers" -o /dev/null -w '%{http_code}' \
  -H "X-Big: $BIG_VALUE" "$BASE/healthz")"
check "70 KB header: 431" equals "status" "$code" 431
check "431 closes the connection" has "$W/431a.headers" '^Connection: close'
MANY=()
for i in $(seq 1 120); do MANY+=(-H "X-Field-$i: $i"); done
code="$("${CURL[@]}" -o /dev/null -w '%{http_code}' "${MANY[@]}" "$BASE/healthz")"
check "120 header fields: 431" equals "status" "$code" 431

# More error statuses, each closing the connection: 414 for a 9 KB target, 505 for HTTP/2.0,
# 501 for a transfer coding other than chunked, 417 for an unknown expectation, 400 for
# Transfer-Encoding with Content-Length (request smuggling).
LONG_PATH="/$(head -c 9000 /dev/zero | tr '\0' 'a')"
code="$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$BASE$LONG_PATH")"
check "9 KB request-target: 414" equals "status" "$code" 414
raw_status() {  # raw_status BYTES: the status code of the server's answer to BYTES, which closes
  exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
  send3 "$1"
  timeout 5 cat <&3 >"$W/raw.out"
  local status=$?
  exec 3<&-
  [[ $status == 0 ]] || echo "--- the server did not close within 5 s" >&2
  head -1 "$W/raw.out" | cut -d' ' -f2
}
check "HTTP/2.0 request line: 505" equals "status" \
  "$(raw_status 'GET /healthz HTTP/2.0\r\nHost: t\r\n\r\n')" 505
check "Transfer-Encoding: gzip, chunked: 501" equals "status" \
  "$(raw_status 'POST /jsonrpc HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n')" \
  501
code="$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H 'Expect: something-else' \
  --data-binary @"$W/add.json" "$BASE/jsonrpc")"
check "Expect: something-else: 417" equals "status" "$code" 417
SMUGGLE='POST /jsonrpc HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n'
SMUGGLE+='Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
check "Transfer-Encoding with Content-Length: 400" equals "status" "$(raw_status "$SMUGGLE")" 400
check "HTTP/1.1 without Host: 400" equals "status" \
  "$(raw_status 'GET /healthz HTTP/1.1\r\n\r\n')" 400

# Connection: close from the client, and HTTP/1.0 (curl -0) without keep-alive: the server
# answers with Connection: close, and curl sees the connection closed (no re-use).
"${CURL[@]}" -v -H 'Connection: close' -o /dev/null -o /dev/null -w '%{num_connects} ' \
  "$BASE/healthz" "$BASE/healthz" >"$W/close.out" 2>"$W/close.err"
check "Connection: close: answered with Connection: close" has "$W/close.err" '^< Connection: close'
check "Connection: close: a new connection for the second URL" \
  equals "num_connects" "$(cat "$W/close.out")" "1 1 "
code="$("${CURL[@]}" -0 -D "$W/http10.headers" -o "$W/http10.body" \
  -w '%{http_code} %{http_version}' \
  "$BASE/healthz")"
check "HTTP/1.0: 200 ok" equals "status" "$code $(cat "$W/http10.body")" "200 1.1 ok"
check "HTTP/1.0: Connection: close" has "$W/http10.headers" '^Connection: close'

# Idle timeout (idle_timeout_ms: 1000): after an answer, a silent keep-alive connection is closed
# by the server, no sooner than the timeout; `timeout` bounds the wait at 5 s.
idle_close() {
  local start end elapsed_ms
  exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
  send3 'GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n'
  start="$(date +%s%N)"
  timeout 5 cat <&3 >"$W/idle.out"
  local status=$?
  end="$(date +%s%N)"
  exec 3<&-
  elapsed_ms=$(((end - start) / 1000000))
  echo "idle connection: closed after ${elapsed_ms} ms (cat status $status)"
  [[ $status == 0 ]] || { echo "--- the server did not close within 5 s" >&2; return 1; }
  equals "answer before the close" "$(head -1 "$W/idle.out" | tr -d '\r')" "HTTP/1.1 200 OK" ||
    return 1
  ((elapsed_ms >= 900)) || { echo "--- closed before the 1000 ms idle timeout" >&2; return 1; }
}
check "idle keep-alive connection closed after idle_timeout_ms" idle_close

# Slow client: half a request line, then nothing. The server must answer 408 and close once
# request_timeout_ms (300) has passed; `timeout` bounds the wait at 5 s.
slow_client() {
  local start end elapsed_ms
  exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
  start="$(date +%s%N)"
  send3 'POST /jsonrpc HT'
  timeout 5 cat <&3 >"$W/slow.out"
  local status=$?
  end="$(date +%s%N)"
  exec 3<&-
  elapsed_ms=$(((end - start) / 1000000))
  echo "slow client: closed after ${elapsed_ms} ms (cat status $status)"
  [[ $status == 0 ]] || { echo "--- the server did not close within 5 s" >&2; return 1; }
  has "$W/slow.out" '^HTTP/1.1 408' || return 1
  has "$W/slow.out" '^Connection: close' || return 1
  ((elapsed_ms >= 250)) || { echo "--- closed before the 300 ms timeout" >&2; return 1; }
}
check "slow client: 408 and close after request_timeout_ms" slow_client

# The server survived all of that and still answers.
code="$("${CURL[@]}" -o "$W/after.body" -w '%{http_code}' --data-binary @"$W/add.json" \
  "$BASE/jsonrpc")"
check "still serving after the errors" equals "status" "$code" 200

# /metrics in Prometheus text format.
"${CURL[@]}" -D "$W/metrics.headers" -o "$W/metrics.txt" "$BASE/metrics"
check "/metrics: 200" has "$W/metrics.headers" '^HTTP/1.1 200'
check "/metrics: text/plain" has "$W/metrics.headers" '^Content-Type: text/plain'
check "/metrics: weft_http_requests_total is a counter" \
  has "$W/metrics.txt" '^# TYPE weft_http_requests_total counter$'
# Five JSON-RPC POSTs were answered 200 so far (two keep-alive, chunked, 100-continue, the last).
check "/metrics: JSON-RPC 2xx counted exactly" \
  has "$W/metrics.txt" '^weft_http_requests_total\{path="/jsonrpc",code="2xx"\} 5$'
check "/metrics: 4xx counted" \
  has "$W/metrics.txt" '^weft_http_requests_total\{[^}]*code="4xx"[^}]*\} [1-9][0-9]*$'
# Every line is a comment (# HELP / # TYPE) or `name{labels} value` (Prometheus text 0.0.4).
awk '!/^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* / &&
     !/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})? -?[0-9][0-9.e+-]*$/' \
  "$W/metrics.txt" >"$W/metrics.bad"
check "/metrics: every line well formed" equals "malformed lines" "$(head -5 "$W/metrics.bad")" ""
stop_weftd

# --- tls ----------------------------------------------------------------------------------------
W="$TMP/tls"
mkdir -p "$W"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$W/key.pem" -out "$W/cert.pem" 2>"$W/req.err" || {
  cat "$W/req.err" >&2
  fail "openssl req"
}
TLS_SETTINGS="tls { cert_file: \"$W/cert.pem\" key_file: \"$W/key.pem\" }"
start_weftd tls "endpoint: \"tcp:0:interface=127.0.0.1\" $TLS_SETTINGS" ''
"${CURL[@]}" -v --cacert "$W/cert.pem" -H 'Content-Type: application/json' \
  --data-binary "$(jsonrpc demo.Calculator.Add '[40,2]' 7)" -o "$W/https.body" \
  "https://localhost:$PORT/jsonrpc" 2>"$W/https.err"
check "https: verified TLS session" has "$W/https.err" 'SSL certificate verify ok'
check "https: JSON-RPC answered" equals "https body" "$(cat "$W/https.body")" \
  '{"jsonrpc":"2.0","result":{"sum":"42"},"id":7}'
check "https: HTTP/1.1 (curl offers h2 too)" has "$W/https.err" '^> POST /jsonrpc HTTP/1.1'
# Over TLS: a chunked upload with Expect: 100-continue, then a second URL on the same connection.
"${CURL[@]}" -v --cacert "$W/cert.pem" -H 'Transfer-Encoding: chunked' -H 'Expect: 100-continue' \
  --expect100-timeout 5 --data-binary @- -o "$W/tls1.body" -o "$W/tls2.body" \
  -w '%{http_code} %{num_connects} ' "https://localhost:$PORT/jsonrpc" \
  "https://localhost:$PORT/jsonrpc" >"$W/tls.out" 2>"$W/tls.err" \
  <<<"$(jsonrpc demo.Types.Echo '{"stringValue":"over tls"}' 8)"
check "https: 100 Continue for a chunked upload" has "$W/tls.err" '^< HTTP/1.1 100 Continue'
check "https: two transfers, one connection" equals "status and num_connects" \
  "$(cat "$W/tls.out")" "200 1 200 0 "
check "https: chunked body echoed" has "$W/tls1.body" '"stringValue":"over tls"'
check "https: second transfer (curl re-sends the body) echoed" \
  has "$W/tls2.body" '"stringValue":"over tls"'
check "https: /healthz by IP (subjectAltName IP)" equals "GET /healthz" \
  "$("${CURL[@]}" --cacert "$W/cert.pem" "https://127.0.0.1:$PORT/healthz")" ok
if "${CURL[@]}" --max-time 5 -o /dev/null "https://localhost:$PORT/healthz" \
  2>"$W/untrusted.err"; then
  fail "https without --cacert: the self-signed certificate was accepted"
else
  ok "https without --cacert is refused"
fi
stop_weftd

# --- auth ---------------------------------------------------------------------------------------
W="$TMP/auth"
TOKEN="interop-curl-token-0123456789"
start_weftd auth 'endpoint: "tcp:0:interface=127.0.0.1"' \
  "auth { require_auth: true tokens: \"$TOKEN\" }"
BASE="http://127.0.0.1:$PORT"
code="$("${CURL[@]}" -D "$W/401.headers" -o /dev/null -w '%{http_code}' \
  --data-binary "$(jsonrpc demo.Calculator.Add '[1,2]' 1)" "$BASE/jsonrpc")"
check "auth: no token: 401" equals "status" "$code" 401
check "auth: 401 carries WWW-Authenticate: Bearer" has "$W/401.headers" '^WWW-Authenticate: Bearer'
code="$("${CURL[@]}" -o /dev/null -w '%{http_code}' \
  -H 'Authorization: Bearer wrong-token-0123456789' \
  --data-binary "$(jsonrpc demo.Calculator.Add '[1,2]' 1)" "$BASE/jsonrpc")"
check "auth: wrong token: 401" equals "status" "$code" 401
code="$("${CURL[@]}" -o "$W/ok.body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
  --data-binary "$(jsonrpc demo.Calculator.Add '[1,2]' 1)" "$BASE/jsonrpc")"
check "auth: right token: 200" equals "status" "$code" 200
check "auth: right token: answered" equals "body" "$(cat "$W/ok.body")" \
  '{"jsonrpc":"2.0","result":{"sum":"3"},"id":1}'
code="$("${CURL[@]}" -o /dev/null -w '%{http_code}' --oauth2-bearer "$TOKEN" "$BASE/metrics")"
check "auth: /metrics with token (--oauth2-bearer): 200" equals "status" "$code" 200
code="$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$BASE/metrics")"
check "auth: /metrics without token: 401" equals "status" "$code" 401
code="$("${CURL[@]}" -o /dev/null -w '%{http_code}' -d '<methodCall/>' "$BASE/RPC2")"
check "auth: /RPC2 without token: 401" equals "status" "$code" 401
code="$("${CURL[@]}" -o "$W/healthz.body" -w '%{http_code}' "$BASE/healthz")"
check "auth: /healthz without token: 200" equals "status" "$code" 200
stop_weftd

if ((FAILURES > 0)); then
  echo "FAILED: $FAILURES check(s)" >&2
  exit 1
fi
echo PASS
