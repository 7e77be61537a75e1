#!/bin/bash
# Interop: Weft's TLS server (examples/echo/echo_server on a tls: endpoint) against the OpenSSL
# command-line client. Checks that a line is echoed over a verified TLS session, that ALPN is
# negotiated, and that an ALPN mismatch fails the handshake with no_application_protocol.
#
# Usage (from Bazel): tls_echo_s_client_test.sh PATH_TO_ECHO_SERVER
# Every wait is bounded by `timeout` or a polling limit; nothing sleeps for a fixed time.
set -euo pipefail

ECHO_SERVER="$1"
TMP="${TEST_TMPDIR:-$(mktemp -d)}"
WAIT_SECONDS=10

fail() {
  echo "FAIL: $*" >&2
  for f in server.out server.err client.err alpn.out alpn.err mismatch.out mismatch.err; do
    if [[ -s "$TMP/$f" ]]; then
      echo "--- $f" >&2
      cat "$TMP/$f" >&2
    fi
  done
  exit 1
}

# A self-signed certificate for localhost, made with the openssl CLI.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>"$TMP/req.err" || fail "openssl req failed"

# Endpoint strings use ':' as a separator; escape it in paths.
escape() { printf '%s' "$1" | sed 's/[\\:]/\\&/g'; }
ENDPOINT="tls:0:interface=127.0.0.1:cert=$(escape "$TMP/cert.pem"):key=$(escape "$TMP/key.pem"):alpn=weft-echo,http/1.1"

# The files exist before the server starts, so the port poll below never reads a missing file
# (the background shell opens its redirections only when it is scheduled).
: >"$TMP/server.out"
: >"$TMP/server.err"
"$ECHO_SERVER" "$ENDPOINT" >>"$TMP/server.out" 2>>"$TMP/server.err" &
SERVER_PID=$!
CLIENT_PID=""
cleanup() {
  if [[ -n "$CLIENT_PID" ]]; then kill "$CLIENT_PID" 2>/dev/null || true; fi
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}
trap cleanup EXIT

PORT=""
for _ in $(seq 1 $((WAIT_SECONDS * 20))); do
  PORT="$(sed -n 's/^listening on tls:\([0-9][0-9]*\):.*/\1/p' "$TMP/server.out")"
  [[ -n "$PORT" ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || fail "echo_server exited early"
  sleep 0.05
done
[[ -n "$PORT" ]] || fail "echo_server did not report its port"
echo "echo_server listening on 127.0.0.1:$PORT"

S_CLIENT=(openssl s_client -connect "127.0.0.1:$PORT" -servername localhost
  -CAfile "$TMP/cert.pem" -verify_return_error -verify_hostname localhost)

# 1. Echo one line through a verified session. -quiet keeps stdout to the echoed bytes only.
coproc CLIENT { exec timeout "$WAIT_SECONDS" "${S_CLIENT[@]}" -quiet -alpn weft-echo 2>"$TMP/client.err"; }
LINE="hello weft over tls $$"
printf '%s\n' "$LINE" >&"${CLIENT[1]}"
REPLY_LINE=""
IFS= read -r -t "$WAIT_SECONDS" REPLY_LINE <&"${CLIENT[0]}" || fail "no echo within ${WAIT_SECONDS}s"
[[ "$REPLY_LINE" == "$LINE" ]] || fail "echo mismatch: got '$REPLY_LINE'"
kill "$CLIENT_PID" 2>/dev/null || true
wait "$CLIENT_PID" 2>/dev/null || true
CLIENT_PID=""
echo "echo ok"

# 2. ALPN: the server's first protocol the client offers.
timeout "$WAIT_SECONDS" "${S_CLIENT[@]}" -alpn "http/1.1,weft-echo" </dev/null \
  >"$TMP/alpn.out" 2>"$TMP/alpn.err" || fail "s_client with -alpn failed"
grep -q "^ALPN protocol: weft-echo$" "$TMP/alpn.out" || fail "ALPN weft-echo not negotiated"
grep -q "Verify return code: 0 (ok)" "$TMP/alpn.out" || fail "certificate not verified"
echo "alpn ok"

# 3. No protocol in common: the handshake fails with a no_application_protocol alert.
if timeout "$WAIT_SECONDS" "${S_CLIENT[@]}" -alpn "imap" </dev/null \
  >"$TMP/mismatch.out" 2>"$TMP/mismatch.err"; then
  fail "handshake with an unknown ALPN protocol succeeded"
fi
grep -q "no application protocol" "$TMP/mismatch.err" || fail "expected no_application_protocol"
echo "alpn mismatch ok"

# The server survived all of it.
kill -0 "$SERVER_PID" 2>/dev/null || fail "echo_server died"
echo "PASS"
