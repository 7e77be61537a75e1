#!/usr/bin/python3
"""Interop: a JSON-RPC 2.0 client from Debian (python3-jsonrpclib-pelix) and raw HTTP requests
against the real weftd's JSON-RPC endpoint (POST /jsonrpc).

Starts broker/weftd (demo.Calculator and demo.Types, HTTP on port 0) and checks: calls by name
and by position, error codes, notifications, jsonrpclib's batches (MultiCall), every JSON type
through demo.Types.Echo; then raw bodies: a batch mixing calls, a notification and invalid
entries (answers in order, the notification absent), the empty array, an all-notification
batch (204, no body), parse errors (-32700, id null), several requests on one kept-alive
connection, and three requests pipelined on one socket answered in order. Ends with SIGTERM and
requires exit 0. Run by Bazel from the runfiles root (see tests/interop/BUILD).
"""

import http.client
import json
import os
import socket
import sys
import unittest

import jsonrpclib
from jsonrpclib.jsonrpc import ProtocolError, TransportError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weftd_http  # noqa: E402  (needs the path above)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602

WEFTD = None


def setUpModule():
    global WEFTD
    socket.setdefaulttimeout(10)  # Every client socket: a hung server fails, never hangs.
    WEFTD = weftd_http.Weftd()


def tearDownModule():
    if PROXY:
        PROXY[0]("close")()
    code = WEFTD.stop()
    if code != 0:
        raise AssertionError("weftd exited %d on SIGTERM; stderr:\n%s" %
                             (code, WEFTD.stderr_text()))


# One ServerProxy for the whole run: its transport keeps the HTTP/1.1 connection alive between
# calls (and reconnects if the server closed it).
PROXY = []


def proxy():
    if not PROXY:
        PROXY.append(jsonrpclib.ServerProxy("http://127.0.0.1:%d/jsonrpc" % WEFTD.port))
    return PROXY[0]


def call(method, params, rpc_id):
    request = {"jsonrpc": "2.0", "method": method, "params": params}
    if rpc_id is not None:
        request["id"] = rpc_id
    return request


def error(code, rpc_id):
    """The parts of an error response the tests compare (the message is checked apart)."""
    return {"jsonrpc": "2.0", "error": {"code": code}, "id": rpc_id}


def strip_messages(response):
    """`response` with each error's message and data removed, after checking the message is a
    non-empty string."""
    items = response if isinstance(response, list) else [response]
    for item in items:
        if "error" in item:
            assert isinstance(item["error"].get("message"), str) and item["error"]["message"], item
            item["error"] = {"code": item["error"]["code"]}
    return response


class Post:
    """POSTs to /jsonrpc on one kept-alive http.client connection."""

    def __init__(self):
        self.connection = http.client.HTTPConnection("127.0.0.1", WEFTD.port, timeout=10)

    def __call__(self, body, content_type="application/json"):
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        self.connection.request("POST", "/jsonrpc", body=body,
                                headers={"Content-Type": content_type})
        response = self.connection.getresponse()
        data = response.read()
        return response, data

    def close(self):
        self.connection.close()


class ClientTest(unittest.TestCase):
    def test_add_by_name(self):
        # int64 is a JSON string in protobuf's JSON mapping.
        self.assertEqual(proxy().demo.Calculator.Add(a=2, b=3), {"sum": "5"})

    def test_add_by_position(self):
        self.assertEqual(proxy().demo.Calculator.Add(2, 3), {"sum": "5"})

    def test_int64_params_as_strings_and_numbers(self):
        self.assertEqual(proxy().demo.Calculator.Add(a="9223372036854775806", b=1),
                         {"sum": "9223372036854775807"})

    def test_default_valued_fields_are_printed(self):
        self.assertEqual(proxy().demo.Calculator.Divide(dividend=6, divisor=3),
                         {"quotient": "2", "remainder": "0"})

    def assert_error(self, code, text, function, *args, **kwargs):
        with self.assertRaises(ProtocolError) as caught:
            function(*args, **kwargs)
        got_code, message = caught.exception.args[0][:2]
        self.assertEqual(got_code, code, message)
        if text:
            self.assertIn(text, message)

    def test_divide_by_zero_is_invalid_params(self):
        self.assert_error(INVALID_PARAMS, "division by zero", proxy().demo.Calculator.Divide, 1, 0)

    def test_add_overflow_is_invalid_params(self):
        self.assert_error(INVALID_PARAMS, "integer overflow", proxy().demo.Calculator.Add,
                          a="9223372036854775807", b=1)

    def test_unknown_methods_are_method_not_found(self):
        self.assert_error(METHOD_NOT_FOUND, "", proxy().demo.Calculator.Nope, 1)
        self.assert_error(METHOD_NOT_FOUND, "", proxy().demo.Nope.Add, 1)
        self.assert_error(METHOD_NOT_FOUND, "", proxy().rpc.discover)

    def test_bad_params_are_invalid_params(self):
        self.assert_error(INVALID_PARAMS, "", proxy().demo.Calculator.Add, a=1, c=2)
        self.assert_error(INVALID_PARAMS, "", proxy().demo.Calculator.Add, a="one")
        self.assert_error(INVALID_PARAMS, "", proxy().demo.Calculator.Add, 1, 2, 3)
        self.assert_error(INVALID_PARAMS, "", proxy().demo.Calculator.Add, [1], 2)

    def test_notification_gets_204_and_the_next_call_works(self):
        # The server answers a lone notification with 204 No Content and no body, as JSON-RPC
        # over HTTP has it. jsonrpclib-pelix 0.4.2 takes any status but 200 for a transport
        # error, so the 204 shows up as a TransportError carrying it.
        with self.assertRaises(TransportError) as caught:
            proxy()._notify.demo.Calculator.Add(1, 2)
        self.assertEqual(caught.exception.args[1], 204)
        # It also leaves that response unread on its kept-alive http.client connection, which
        # then refuses the next request (ResponseNotReady): start a new one.
        proxy()("close")()
        self.assertEqual(proxy().demo.Calculator.Add(1, 2), {"sum": "3"})

    def test_multicall_is_a_batch_answered_in_order(self):
        batch = jsonrpclib.MultiCall(proxy())
        batch.demo.Calculator.Add(1, 2)
        batch.demo.Calculator.Divide(1, 0)
        batch._notify.demo.Calculator.Add(4, 4)
        batch.demo.Calculator.Divide(dividend=9, divisor=4)
        results = batch()
        self.assertEqual(len(results), 3)
        self.assertEqual(results[0], {"sum": "3"})
        with self.assertRaises(ProtocolError) as caught:
            results[1]
        self.assertEqual(caught.exception.args[0][0], INVALID_PARAMS)
        self.assertEqual(results[2], {"quotient": "2", "remainder": "1"})

    def test_every_json_type_round_trips(self):
        sent = {
            "int32Value": -2147483648,
            "int64Value": "-9223372036854775808",
            "uint32Value": 4294967295,
            "uint64Value": "18446744073709551615",
            "sint32Value": -7,
            "boolValue": True,
            "doubleValue": 0.1,
            "floatValue": 1.5,
            "stringValue": "h\u00e9llo \"quoted\" \\ \u2603 \U0001F600 \u0000 end",
            "bytesValue": "AP8KgA==",
            "color": "COLOR_BLUE",
            "nested": {"name": "inner", "value": 3},
            "int32List": [1, -2, 3],
            "stringList": ["a", ""],
            "nestedList": [{"name": "x", "value": 1}, {"name": "", "value": 0}],
            "counts": {"one": 1, "": -1},
            "timestamp": "2026-01-01T10:00:00.500Z",
            "optionalInt32": 0,
        }
        self.assertEqual(proxy().demo.Types.Echo(**sent), sent)

    def test_proto_field_names_and_enum_numbers_are_accepted(self):
        got = proxy().demo.Types.Echo(int32_value=4, color=2, int64_value=12)
        self.assertEqual(got["int32Value"], 4)
        self.assertEqual(got["int64Value"], "12")
        self.assertEqual(got["color"], "COLOR_GREEN")
        self.assertEqual(got["stringList"], [])
        self.assertEqual(got["counts"], {})
        self.assertNotIn("nested", got)
        self.assertNotIn("timestamp", got)


class RawTest(unittest.TestCase):
    def setUp(self):
        self.post = Post()

    def tearDown(self):
        self.post.close()

    def post_json(self, body, status=200):
        response, data = self.post(body)
        self.assertEqual(response.status, status, data)
        if status == 204:
            return response, data
        self.assertTrue(response.getheader("Content-Type", "").startswith("application/json"))
        return response, json.loads(data)

    def test_mixed_batch_is_answered_in_order_without_the_notification(self):
        batch = [
            call("demo.Calculator.Add", {"a": 1, "b": 2}, 1),
            call("demo.Calculator.Add", [5, 5], None),                 # notification
            call("demo.Calculator.Divide", [1, 0], "two"),
            {"foo": "boo"},                                            # invalid entry
            call("demo.Nope.Add", [], 5),
            1,                                                         # not an object
            call("demo.Types.Echo", {"stringValue": "x"}, None),       # notification
            call("demo.Calculator.Divide", {"dividend": 7, "divisor": 2}, 7),
            {"jsonrpc": "2.0", "method": "demo.Calculator.Add", "params": "bar", "id": 9},
        ]
        _, got = self.post_json(batch)
        self.assertEqual(strip_messages(got), [
            {"jsonrpc": "2.0", "result": {"sum": "3"}, "id": 1},
            error(INVALID_PARAMS, "two"),
            error(INVALID_REQUEST, None),
            error(METHOD_NOT_FOUND, 5),
            error(INVALID_REQUEST, None),
            {"jsonrpc": "2.0", "result": {"quotient": "3", "remainder": "1"}, "id": 7},
            error(INVALID_REQUEST, 9),
        ])

    def test_empty_batch_is_one_invalid_request(self):
        _, got = self.post_json(b"[]")
        self.assertEqual(strip_messages(got), error(INVALID_REQUEST, None))

    def test_all_notification_batch_is_204_without_body(self):
        for body in ([call("demo.Calculator.Add", [1, 2], None),
                      call("demo.Calculator.Divide", [1, 0], None),
                      call("demo.Nope.Nope", [], None)],
                     call("demo.Calculator.Add", [1, 2], None)):
            with self.subTest(body=body):
                response, data = self.post_json(body, status=204)
                self.assertEqual(data, b"")
                self.assertIsNone(response.getheader("Content-Length"))

    def test_parse_errors_have_id_null(self):
        for body in (b'{"jsonrpc": "2.0", "method": "foo", "params": "bar", "baz]',
                     b'[{"jsonrpc": "2.0", "method": "demo.Calculator.Add", "params": [1,2], '
                     b'"id": 1}, {"jsonrpc": "2.0", "method"]',
                     b"", b"\xff\xfe", b'{"jsonrpc":"2.0","method":"x","id":1} trailing'):
            with self.subTest(body=body):
                _, got = self.post_json(body)
                self.assertEqual(strip_messages(got), error(PARSE_ERROR, None))

    def test_invalid_requests(self):
        for body, rpc_id in ((b'{"jsonrpc": "2.0", "method": 1, "params": "bar"}', None),
                             (b'{"jsonrpc": "1.0", "method": "demo.Calculator.Add", "id": 3}', 3),
                             (b'{"method": "demo.Calculator.Add", "id": 3}', 3),
                             (b"[1,2,3]", None)):
            with self.subTest(body=body):
                _, got = self.post_json(body)
                if isinstance(got, list):
                    self.assertEqual(strip_messages(got), [error(INVALID_REQUEST, None)] * 3)
                else:
                    self.assertEqual(strip_messages(got), error(INVALID_REQUEST, rpc_id))

    def test_ids_are_echoed_exactly(self):
        _, data = self.post(b'{"jsonrpc":"2.0","method":"demo.Calculator.Add","params":[1,1],'
                            b'"id":123456789012345678901234567890}')
        self.assertTrue(data.endswith(b'"id":123456789012345678901234567890}'), data)
        _, got = self.post_json(
            {"jsonrpc": "2.0", "method": "demo.Calculator.Add", "params": [1, 1], "id": None})
        self.assertEqual(got, {"jsonrpc": "2.0", "result": {"sum": "2"}, "id": None})

    def test_request_object_rules(self):
        cases = (
            # Escaped method name, a fractional id echoed as written, a byte order mark.
            (b'{"jsonrpc":"2.0","method":"demo.\\u0043alculator.Add","params":[1,2],"id":1.50}',
             b'{"jsonrpc":"2.0","result":{"sum":"3"},"id":1.50}'),
            (b'\xef\xbb\xbf{"jsonrpc":"2.0","method":"demo.Calculator.Add","params":[2,2],'
             b'"id":"b"}',
             b'{"jsonrpc":"2.0","result":{"sum":"4"},"id":"b"}'),
            # Unknown members are ignored; params may be omitted (all fields default).
            (b'{"jsonrpc":"2.0","method":"demo.Calculator.Add","id":2,"trace":"x"}',
             b'{"jsonrpc":"2.0","result":{"sum":"0"},"id":2}'),
        )
        for body, want in cases:
            with self.subTest(body=body):
                response, data = self.post(body)
                self.assertEqual((response.status, data), (200, want))

    def test_duplicate_members_and_bad_ids_are_invalid_requests(self):
        for body, rpc_id in (
                (b'{"jsonrpc":"2.0","method":"demo.Calculator.Add","method":"x","id":4}', 4),
                (b'{"jsonrpc":"2.0","method":"demo.Calculator.Add","params":[1],"params":[2],'
                 b'"id":5}', 5),
                (b'{"jsonrpc":"2.0","method":"demo.Calculator.Add","id":{"a":1}}', None),
                (b'{"jsonrpc":"2.0","method":"demo.Calculator.Add","params":null,"id":6}', 6),
                (b'{}', None), (b'"just a string"', None)):
            with self.subTest(body=body):
                _, got = self.post_json(body)
                self.assertEqual(strip_messages(got), error(INVALID_REQUEST, rpc_id))

    def test_limits_are_invalid_requests(self):
        too_many = [call("demo.Calculator.Add", [i, 0], i) for i in range(129)]
        too_deep = b"[" * 65 + b"]" * 65
        for body in (json.dumps(too_many).encode(), too_deep):
            with self.subTest(body=body[:40]):
                _, got = self.post_json(body)
                self.assertEqual(strip_messages(got), error(INVALID_REQUEST, None))
        # 128 entries are fine, answered in order.
        _, got = self.post_json(too_many[:128])
        self.assertEqual([item["result"]["sum"] for item in got], [str(i) for i in range(128)])
        self.assertEqual([item["id"] for item in got], list(range(128)))

    def test_keep_alive_reuses_one_connection(self):
        first_socket = None
        for i in range(5):
            response, got = self.post_json(call("demo.Calculator.Add", [i, 1], i))
            self.assertEqual(got, {"jsonrpc": "2.0", "result": {"sum": str(i + 1)}, "id": i})
            self.assertNotEqual((response.getheader("Connection") or "").lower(), "close")
            if first_socket is None:
                first_socket = self.post.connection.sock
                local = first_socket.getsockname()
            # http.client reconnects (a new socket) if the server closed the connection.
            self.assertIs(self.post.connection.sock, first_socket)
            self.assertEqual(self.post.connection.sock.getsockname(), local)


def read_response(stream):
    """Reads one HTTP/1.1 response framed by Content-Length from a binary file object; returns
    (status, headers dict with lower-case names, body)."""
    status_line = stream.readline()
    if not status_line:
        raise AssertionError("connection closed before a response")
    status = int(status_line.split()[1])
    headers = {}
    while True:
        line = stream.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    body = stream.read(int(headers.get("content-length", "0")))
    return status, headers, body


class PipeliningTest(unittest.TestCase):
    def test_three_requests_written_back_to_back_are_answered_in_order(self):
        def post(body):
            body = json.dumps(body).encode()
            return (b"POST /jsonrpc HTTP/1.1\r\nHost: weft\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

        requests = (post(call("demo.Calculator.Add", [40, 2], 1)) +
                    post([call("demo.Calculator.Divide", [1, 0], 2),
                          call("demo.Types.Echo", {"stringValue": "pipelined"}, 3)]) +
                    b"GET /healthz HTTP/1.1\r\nHost: weft\r\n\r\n")
        with socket.create_connection(("127.0.0.1", WEFTD.port), timeout=10) as sock:
            sock.sendall(requests)
            stream = sock.makefile("rb")
            status, _, body = read_response(stream)
            self.assertEqual(status, 200)
            self.assertEqual(json.loads(body),
                             {"jsonrpc": "2.0", "result": {"sum": "42"}, "id": 1})
            status, _, body = read_response(stream)
            self.assertEqual(status, 200)
            got = strip_messages(json.loads(body))
            self.assertEqual(got[0], error(INVALID_PARAMS, 2))
            self.assertEqual(got[1]["id"], 3)
            self.assertEqual(got[1]["result"]["stringValue"], "pipelined")
            status, _, body = read_response(stream)
            self.assertEqual((status, body), (200, b"ok\n"))
            # The connection is still open for more.
            sock.sendall(post(call("demo.Calculator.Add", [1, 1], 4)))
            status, _, body = read_response(stream)
            self.assertEqual(json.loads(body), {"jsonrpc": "2.0", "result": {"sum": "2"}, "id": 4})

    def test_more_requests_than_max_pipelined_are_all_answered_in_order(self):
        # 200 requests in one write, past max_pipelined (default 32): the server stops reading
        # while its queue is full and resumes as answers go out, losing and reordering nothing.
        count = 200
        requests = b"".join(
            b"POST /jsonrpc HTTP/1.1\r\nHost: weft\r\nContent-Length: %d\r\n\r\n%s" % (
                len(body), body)
            for body in (json.dumps(call("demo.Calculator.Add", [i, 1000], i)).encode()
                         for i in range(count)))
        with socket.create_connection(("127.0.0.1", WEFTD.port), timeout=10) as sock:
            sock.sendall(requests)
            stream = sock.makefile("rb")
            for i in range(count):
                status, _, body = read_response(stream)
                self.assertEqual(status, 200)
                self.assertEqual(json.loads(body),
                                 {"jsonrpc": "2.0", "result": {"sum": str(i + 1000)}, "id": i})

    def test_http_1_0_closes_unless_keep_alive_is_asked(self):
        body = json.dumps(call("demo.Calculator.Add", [1, 2], 1)).encode()
        request = b"POST /jsonrpc HTTP/1.0\r\nContent-Length: %d\r\n%s\r\n" + body
        with socket.create_connection(("127.0.0.1", WEFTD.port), timeout=10) as sock:
            sock.sendall(request % (len(body), b"Connection: keep-alive\r\n"))
            stream = sock.makefile("rb")
            status, headers, got = read_response(stream)
            self.assertEqual((status, headers.get("connection", "").lower()), (200, "keep-alive"))
            sock.sendall(request % (len(body), b""))
            status, headers, got = read_response(stream)
            self.assertEqual(status, 200)
            self.assertEqual(json.loads(got)["result"], {"sum": "3"})
            self.assertEqual(stream.read(), b"")  # Closed after the answer.


if __name__ == "__main__":
    unittest.main(verbosity=2)
