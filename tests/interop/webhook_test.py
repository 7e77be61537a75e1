#!/usr/bin/python3
"""Interop: webhook route targets (docs/http.md "Webhooks") against the real weftd.

The test starts Python's http.server on a free loopback port (plain, and wrapped in Python's ssl
with a CA and certificate made by `openssl req` in the test), then weftd (weftd_http.py) with a
webhook route for demo.Greeter, which no in-process service hosts, and calls
demo.Greeter.SayHello through the HTTP gateway's JSON-RPC. It checks the JSON the server
received and the headers sent with it, the reply mapped back, a 503/502-then-200 sequence
retried and succeeding, a 500 and a 400 not retried (the 400 mapped to -32602, the body in the
message), a server that never answers ending in DEADLINE_EXCEEDED (-32000) after max_attempts
attempt timeouts, HTTPS verified with ca_file, a wrong CA refused (UNAVAILABLE, -32001, with the
certificate error), and, at start (exit 2), a webhook for a service hosted in process and a
CA file that does not load.
Every weftd must exit 0 on SIGTERM. No fixed sleeps: waits are bounded socket timeouts.
"""

import http.client
import http.server
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weftd_http  # noqa: E402  (needs the path above)

SECRET = "Bearer webhook-secret-0123456789"
INVALID_PARAMS = -32602
INTERNAL = -32603
DEADLINE_EXCEEDED = -32000
UNAVAILABLE = -32001
ATTEMPT_TIMEOUT_MS = 700


class ScriptedServer:
    """An HTTP/1.1 JSON server on 127.0.0.1:0 answering from a script of replies.

    Each reply is (status, body) or HANG (hold the request unanswered until close()). With the
    script empty it greets: {"message": "Hello, <name>!"}. Every request is recorded."""

    HANG = "hang"

    def __init__(self, context=None):
        self.requests = []
        self.client_ports = []
        self.script = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.lock:
                    outer.requests.append((self.path, dict(self.headers), body))
                    outer.client_ports.append(self.client_address[1])
                    reply = outer.script.pop(0) if outer.script else None
                if reply == ScriptedServer.HANG:
                    outer.release.wait(30)
                    self.close_connection = True
                    return
                if reply is None:
                    name = json.loads(body).get("name", "")
                    reply = (200, json.dumps({"message": "Hello, %s!" % name, "extra": [1]}))
                status, text = reply
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if context is not None:
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def push(self, *replies):
        with self.lock:
            self.script.extend(replies)

    def take_requests(self):
        with self.lock:
            requests, self.requests = self.requests, []
            self.client_ports = []
            return requests

    def ports(self):
        with self.lock:
            return list(self.client_ports)

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def route(url, extra=""):
    return ('routes {\n  target: "demo.Greeter"\n  webhook {\n    url: "%s"\n'
            "    timeout_ms: %d\n    max_attempts: 3\n    initial_backoff_ms: 10\n"
            '    max_backoff_ms: 50\n    headers { name: "Authorization" value: "%s" }\n%s'
            "  }\n}\n" % (url, ATTEMPT_TIMEOUT_MS, SECRET, extra))


def say_hello(port, name):
    """demo.Greeter.SayHello over JSON-RPC; returns the decoded response object."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        body = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "demo.Greeter.SayHello",
                           "params": {"name": name}})
        connection.request("POST", "/jsonrpc", body=body,
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return json.loads(response.read())
    finally:
        connection.close()


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_ca(directory, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", name + ".key", "-out", name + ".pem", "-days", "2",
            "-subj", "/CN=Weft webhook test " + name, cwd=directory)


def make_pki(directory):
    """A CA, a server certificate it issued for localhost, and an unrelated CA."""
    make_ca(directory, "ca")
    make_ca(directory, "other-ca")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost",
            cwd=directory)
    with open(os.path.join(directory, "san.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext",
            cwd=directory)
    return {name: os.path.join(directory, name)
            for name in ("ca.pem", "other-ca.pem", "server.pem", "server.key")}


class WebhookTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        socket.setdefaulttimeout(20)
        cls.server = ScriptedServer()
        # Three loops: calls read on any loop reach the peer on the home loop and back.
        cls.weftd = weftd_http.Weftd(
            "loops: 3\n" + route("http://127.0.0.1:%d/hooks/greet?v=1" % cls.server.port))

    @classmethod
    def tearDownClass(cls):
        code = cls.weftd.stop()
        cls.server.close()
        if code != 0:
            raise AssertionError("weftd exited %d; stderr:\n%s" % (code, cls.weftd.stderr_text()))
        if SECRET in cls.weftd.stderr_text() + cls.weftd.stdout:
            raise AssertionError("weftd printed a webhook header value")

    def setUp(self):
        self.server.take_requests()

    def test_request_json_and_reply_mapped_back(self):
        response = say_hello(self.weftd.port, "ann")
        self.assertEqual(response, {"jsonrpc": "2.0", "id": 7,
                                    "result": {"message": "Hello, ann!"}})
        requests = self.server.take_requests()
        self.assertEqual(len(requests), 1)
        path, headers, body = requests[0]
        self.assertEqual(path, "/hooks/greet?v=1")
        self.assertEqual(json.loads(body), {"name": "ann"})
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual(headers["X-Weft-Method"], "demo.Greeter.SayHello")
        self.assertEqual(headers["Authorization"], SECRET)
        self.assertEqual(headers["Host"], "127.0.0.1:%d" % self.server.port)
        # The gateway's default deadline (router.default_call_timeout_ms, 30 s) travels along.
        self.assertTrue(0 < int(headers["X-Weft-Timeout-Ms"]) <= 30000, headers)

    def test_unavailable_and_bad_gateway_are_retried(self):
        self.server.push((503, '{"error":"busy"}'), (502, "bad gateway"))
        response = say_hello(self.weftd.port, "bob")
        self.assertEqual(response.get("result"), {"message": "Hello, bob!"}, response)
        requests = self.server.take_requests()
        self.assertEqual(len(requests), 3)
        self.assertTrue(all(json.loads(body) == {"name": "bob"} for _, _, body in requests))

    def test_bad_request_is_not_retried_and_is_invalid_params(self):
        self.server.push((400, '{"error":"name is required"}'))
        response = say_hello(self.weftd.port, "")
        self.assertEqual(response["error"]["code"], INVALID_PARAMS, response)
        self.assertIn('HTTP 400: {"error":"name is required"}', response["error"]["message"])
        self.assertEqual(len(self.server.take_requests()), 1)

    def test_internal_server_error_is_not_retried(self):
        self.server.push((500, "oops"))
        response = say_hello(self.weftd.port, "carl")
        self.assertEqual(response["error"]["code"], INTERNAL, response)
        self.assertIn("HTTP 500: oops", response["error"]["message"])
        self.assertEqual(len(self.server.take_requests()), 1)

    def test_server_that_never_answers_is_deadline_exceeded(self):
        self.server.push(ScriptedServer.HANG, ScriptedServer.HANG, ScriptedServer.HANG)
        start = time.monotonic()
        response = say_hello(self.weftd.port, "dana")
        elapsed = time.monotonic() - start
        self.assertEqual(response["error"]["code"], DEADLINE_EXCEEDED, response)
        self.assertEqual(len(self.server.take_requests()), 3)
        # Three attempts of timeout_ms each, plus short backoffs; well under the 30 s deadline.
        self.assertGreaterEqual(elapsed, 3 * ATTEMPT_TIMEOUT_MS / 1000.0 - 0.05)
        self.assertLess(elapsed, 10)

    def test_connection_reused_across_calls(self):
        for name in ("e1", "e2", "e3"):
            self.assertIn("result", say_hello(self.weftd.port, name))
        # Every request from the same client port: weftd reused its kept-alive connection.
        ports = self.server.ports()
        self.assertEqual(len(ports), 3)
        self.assertEqual(len(set(ports)), 1, ports)


class WebhookHttpsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        socket.setdefaulttimeout(20)
        cls.dir = tempfile.mkdtemp(prefix="webhook-pki.", dir=os.environ.get("TEST_TMPDIR"))
        cls.pki = make_pki(cls.dir)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cls.pki["server.pem"], cls.pki["server.key"])
        cls.server = ScriptedServer(context)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def start_weftd(self, ca_file):
        url = "https://localhost:%d/secure" % self.server.port
        weftd = weftd_http.Weftd(route(url, '    ca_file: "%s"\n' % ca_file))
        self.addCleanup(self.stop, weftd)
        return weftd

    def stop(self, weftd):
        code = weftd.stop()
        self.assertEqual(code, 0, weftd.stderr_text())

    def test_https_verified_with_ca_file(self):
        weftd = self.start_weftd(self.pki["ca.pem"])
        response = say_hello(weftd.port, "tls")
        self.assertEqual(response.get("result"), {"message": "Hello, tls!"}, response)
        path, headers, body = self.server.take_requests()[-1]
        self.assertEqual(path, "/secure")
        self.assertEqual(headers["Host"], "localhost:%d" % self.server.port)

    def test_wrong_ca_is_refused(self):
        weftd = self.start_weftd(self.pki["other-ca.pem"])
        self.server.take_requests()
        response = say_hello(weftd.port, "mallory")
        self.assertEqual(response["error"]["code"], UNAVAILABLE, response)
        self.assertIn("certificate verify failed", response["error"]["message"])
        self.assertEqual(self.server.take_requests(), [])


class WebhookConfigTest(unittest.TestCase):
    def test_webhook_for_an_in_process_service_fails_at_start(self):
        directory = tempfile.mkdtemp(prefix="webhook-conf.", dir=os.environ.get("TEST_TMPDIR"))
        path = os.path.join(directory, "weft.conf")
        with open(path, "w") as f:
            f.write('data_dir: "%s/data"\nservices { name: "demo.Calculator" }\n'
                    'routes { target: "demo.Calculator" webhook { url: "http://127.0.0.1:9/" } }\n'
                    % directory)
        done = subprocess.run([weftd_http.WEFTD, "--config", path], capture_output=True,
                              timeout=20)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn(b"routes[0].target: 'demo.Calculator' is hosted in process (services[0])",
                      done.stderr)

    def test_unreadable_ca_file_fails_at_start(self):
        directory = tempfile.mkdtemp(prefix="webhook-conf.", dir=os.environ.get("TEST_TMPDIR"))
        path = os.path.join(directory, "weft.conf")
        with open(path, "w") as f:
            f.write('data_dir: "%s/data"\nlisteners { wire { endpoint: "tcp:0" } '
                    'http { enabled: false } control { enabled: false } }\n'
                    'routes { target: "demo.Greeter" webhook { url: "https://127.0.0.1:9/" '
                    'ca_file: "%s/missing.pem" } }\n' % (directory, directory))
        done = subprocess.run([weftd_http.WEFTD, "--config", path], capture_output=True,
                              timeout=20)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn(b"config: routes[0].webhook.ca_file: tls:", done.stderr)


if __name__ == "__main__":
    unittest.main()
