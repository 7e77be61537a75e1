#!/bin/bash
# Interop: weftd's gRPC control plane (TLS, bearer token) called by a Python client on Debian's
# python3-grpcio, with code generated here by the system protoc and grpc_python_plugin; the
# standard health check and server reflection answer it too (control_python_client.py).
#
# Usage (from Bazel): control_python_test.sh WEFTD CLIENT_PY WEFTCTL PROTO... (paths under idl/)
# weftctl is checked over the same TLS listeners.
# Every wait is bounded by a polling limit; nothing sleeps for a fixed time.
set -euo pipefail

WEFTD="$1"
CLIENT="$2"
WEFTCTL="$3"
shift 3
TMP="${TEST_TMPDIR:-$(mktemp -d)}"
TOKEN="python-interop-token-0123456789"

fail() {
  echo "FAIL: $*" >&2
  for f in weftd.out weftd.err protoc.err; do
    if [[ -s "$TMP/$f" ]]; then
      echo "--- $f" >&2
      cat "$TMP/$f" >&2
    fi
  done
  exit 1
}

for tool in /usr/bin/python3 /usr/bin/protoc /usr/bin/grpc_python_plugin openssl; do
  command -v "$tool" >/dev/null || fail "$tool is missing (python3-grpcio, protobuf-compiler-grpc)"
done

# The proto root is idl/: copy the files under their import paths, then generate.
mkdir -p "$TMP/gen"
for proto in "$@"; do
  mkdir -p "$TMP/$(dirname "$proto")"
  cp "$proto" "$TMP/$proto"
done
(cd "$TMP/idl" && /usr/bin/protoc -I. -I/usr/include --python_out="$TMP/gen" \
  --grpc_out="$TMP/gen" --plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin \
  weft/control/v1/control.proto weft/config/v1/config.proto) 2>"$TMP/protoc.err" ||
  fail "protoc failed"

# A certificate for localhost, self-signed, so it is its own CA.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>"$TMP/req.err" || fail "openssl req failed"

# Starts weftd with `$1` as the control listener's tls block; sets WEFTD_PID and PORT.
start_weftd() {
  rm -rf "$TMP/data"
  cat >"$TMP/weft.conf" <<CONF
data_dir: "$TMP/data"
loops: 1
listeners {
  wire { endpoint: "tcp:0:interface=127.0.0.1" }
  control {
    endpoint: "tcp:0:interface=127.0.0.1"
    tls { $1 }
  }
  http { enabled: false }
  smtp { enabled: false }
  imap { enabled: false }
  pop3 { enabled: false }
  ssh { enabled: false }
  irc { enabled: false }
}
auth { require_auth: true tokens: "$TOKEN" }
services { name: "demo.Calculator" }
CONF
  chmod 600 "$TMP/weft.conf"
  : >"$TMP/weftd.out"
  : >"$TMP/weftd.err"
  "$WEFTD" --config "$TMP/weft.conf" >>"$TMP/weftd.out" 2>>"$TMP/weftd.err" &
  WEFTD_PID=$!
  trap 'kill -KILL $WEFTD_PID 2>/dev/null || true' EXIT
  for _ in $(seq 1 400); do
    grep -q '^weftd: ready$' "$TMP/weftd.out" && break
    kill -0 "$WEFTD_PID" 2>/dev/null || fail "weftd exited before ready"
    sleep 0.05
  done
  grep -q '^weftd: ready$' "$TMP/weftd.out" || fail "weftd not ready after 20 s"
  PORT=$(sed -n 's/^weftd: control listening on tls:\([0-9]*\):.*/\1/p' "$TMP/weftd.out")
  [[ -n "$PORT" ]] || fail "no control port in weftd's output"
}

# SIGTERM: weftd must drain and exit 0.
stop_weftd() {
  kill -TERM "$WEFTD_PID"
  local status=0
  wait "$WEFTD_PID" || status=$?
  trap - EXIT
  [[ "$status" -eq 0 ]] || fail "weftd exited with $status after SIGTERM"
}

# TLS and a bearer token.
start_weftd "cert_file: \"$TMP/cert.pem\" key_file: \"$TMP/key.pem\""
/usr/bin/python3 "$CLIENT" "$TMP/gen" "$PORT" "$TOKEN" "$TMP/cert.pem" || fail "python client"
# weftctl over TLS with the token: the listing shows the route the Python client put.
"$WEFTCTL" --endpoint "127.0.0.1:$PORT" --tls-ca "$TMP/cert.pem" --token "$TOKEN" routes \
  >"$TMP/weftctl.out" 2>"$TMP/weftctl.err" || fail "weftctl over TLS: $(cat "$TMP/weftctl.err")"
grep -q '^demo.Calculator.Add  topic calc.audit  no$' "$TMP/weftctl.out" ||
  fail "weftctl routes over TLS: $(cat "$TMP/weftctl.out")"
stop_weftd

# Mutual TLS: a client certificate signed by the CA (here the self-signed one) authenticates.
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=operator" \
  -keyout "$TMP/client.key" -out "$TMP/client.csr" 2>>"$TMP/req.err" || fail "client csr"
openssl x509 -req -in "$TMP/client.csr" -CA "$TMP/cert.pem" -CAkey "$TMP/key.pem" \
  -CAcreateserial -days 2 -out "$TMP/client.pem" 2>>"$TMP/req.err" || fail "client cert"
start_weftd "cert_file: \"$TMP/cert.pem\" key_file: \"$TMP/key.pem\" client_ca_file: \"$TMP/cert.pem\""
/usr/bin/python3 "$CLIENT" "$TMP/gen" "$PORT" --mtls "$TMP/cert.pem" "$TMP/client.pem" \
  "$TMP/client.key" || fail "python client (mutual TLS)"
# weftctl with its client certificate needs no token; without one it cannot get in.
"$WEFTCTL" --endpoint "127.0.0.1:$PORT" --tls-ca "$TMP/cert.pem" --tls-cert "$TMP/client.pem" \
  --tls-key "$TMP/client.key" status >"$TMP/weftctl.out" 2>"$TMP/weftctl.err" ||
  fail "weftctl over mutual TLS: $(cat "$TMP/weftctl.err")"
grep -q '^loops    1$' "$TMP/weftctl.out" || fail "weftctl status: $(cat "$TMP/weftctl.out")"
STATUS=0
"$WEFTCTL" --endpoint "127.0.0.1:$PORT" --tls-ca "$TMP/cert.pem" status \
  >"$TMP/weftctl.out" 2>"$TMP/weftctl.err" || STATUS=$?
[[ "$STATUS" -eq 3 ]] || fail "weftctl without a client certificate exited $STATUS"
stop_weftd
echo "PASS"
