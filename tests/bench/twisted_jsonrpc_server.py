#!/usr/bin/python3
"""Twisted peer of the HTTP gateway benchmark (issue 6): twisted.web serving the same three paths.

    /usr/bin/python3 tests/bench/twisted_jsonrpc_server.py [tcp:PORT[:interface=ADDR]]

One `twisted.web.server.Site` on Twisted's epoll reactor (its default on Linux, installed
explicitly so the choice is visible), with the paths weftd's HTTP gateway serves:

- `GET /healthz`: 200 `ok\\n` (text/plain), a plain `Resource`: Twisted's "hello".
- `POST /jsonrpc`: JSON-RPC 2.0 on a `twisted.web.resource.Resource`, encoded and decoded with
  the standard library's `json`. One method, `demo.Calculator.Add`, the same as
  demo.Calculator's Add (idl/demo/calculator.proto): params `{"a": A, "b": B}` or `[A, B]`
  (integers), result `{"sum": A + B}`. Requests, notifications (no answer; a body of
  notifications only gets 204) and batches; errors -32700, -32600, -32601 and -32602.
- `POST /RPC2`: Twisted's own `twisted.web.xmlrpc.XMLRPC` resource, with `demo.Calculator.Add`
  reached through sub-handlers (`demo`, then `Calculator`, then `xmlrpc_Add(a, b)`), returning
  the struct `{sum}` as weftd does.

Like nginx in the benchmark, the site writes no access log, and each connection sets TCP_NODELAY
as Weft's listener does. The channel is the plain `HTTPChannel` (Twisted's default wraps it to
negotiate HTTP/2 over TLS, which plaintext never uses). Defaults to tcp:0:interface=127.0.0.1;
once listening it prints `listening on tcp:<port>:interface=<addr>`, the convention of every
server in tests/bench. Run it with Debian's /usr/bin/python3, which has python3-twisted. Part of
//tests/bench.
"""

import json
import sys

from twisted.internet import epollreactor

epollreactor.install()

from twisted.internet import endpoints, reactor  # noqa: E402
from twisted.web import http, resource, server, xmlrpc  # noqa: E402

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602


class InvalidParams(Exception):
    pass


def _integer(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParams("a and b must be integers")
    return value


def calculator_add(params):
    if isinstance(params, dict) and set(params) <= {"a", "b"}:
        a, b = params.get("a", 0), params.get("b", 0)
    elif isinstance(params, list) and len(params) <= 2:
        a, b = (list(params) + [0, 0])[:2]
    else:
        raise InvalidParams("params must be {a, b} or [a, b]")
    return {"sum": _integer(a) + _integer(b)}


METHODS = {"demo.Calculator.Add": calculator_add}


def _error(code, message, request_id=None):
    return {"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": request_id}


def _answer(call):
    """The response object for one request object, or None for a notification."""
    if (not isinstance(call, dict) or call.get("jsonrpc") != "2.0"
            or not isinstance(call.get("method"), str)
            or not isinstance(call.get("params", []), (list, dict))):
        return _error(INVALID_REQUEST, "invalid request")
    method = METHODS.get(call["method"])
    if "id" not in call:
        if method is not None:
            try:
                method(call.get("params", {}))
            except InvalidParams:
                pass
        return None
    if method is None:
        return _error(METHOD_NOT_FOUND, "method not found", call["id"])
    try:
        return {"jsonrpc": "2.0", "result": method(call.get("params", {})), "id": call["id"]}
    except InvalidParams as e:
        return _error(INVALID_PARAMS, str(e), call["id"])


class JsonRpc(resource.Resource):
    isLeaf = True

    def render_POST(self, request):
        try:
            body = json.loads(request.content.read())
        except ValueError:
            answer = _error(PARSE_ERROR, "parse error")
        else:
            if isinstance(body, list):
                answer = [a for a in map(_answer, body) if a is not None] if body else \
                    _error(INVALID_REQUEST, "empty batch")
            else:
                answer = _answer(body)
        if answer is None or answer == []:
            request.setResponseCode(http.NO_CONTENT)
            return b""
        request.setHeader(b"content-type", b"application/json")
        return json.dumps(answer, separators=(",", ":")).encode()


class Hello(resource.Resource):
    isLeaf = True

    def render_GET(self, request):
        request.setHeader(b"content-type", b"text/plain")
        return b"ok\n"


class Calculator(xmlrpc.XMLRPC):
    def xmlrpc_Add(self, a, b):
        return {"sum": a + b}


def xmlrpc_root():
    root = xmlrpc.XMLRPC()
    demo = xmlrpc.XMLRPC()
    demo.putSubHandler("Calculator", Calculator())
    root.putSubHandler("demo", demo)
    return root


class NoDelayChannel(http.HTTPChannel):
    def connectionMade(self):
        self.transport.setTcpNoDelay(True)
        http.HTTPChannel.connectionMade(self)


class BenchSite(server.Site):
    protocol = NoDelayChannel
    noisy = False

    def log(self, request):
        pass  # No access log, as nginx runs with access_log off.


def make_site():
    root = resource.Resource()
    root.putChild(b"healthz", Hello())
    root.putChild(b"jsonrpc", JsonRpc())
    root.putChild(b"RPC2", xmlrpc_root())
    return BenchSite(root)


def _listening(port):
    host = port.getHost()
    print("listening on tcp:%d:interface=%s" % (host.port, host.host), flush=True)


_exit_code = [0]


def _failed(failure):
    print("twisted_jsonrpc_server: %s" % failure.getErrorMessage(), file=sys.stderr, flush=True)
    _exit_code[0] = 1
    reactor.stop()


def main(argv):
    if len(argv) > 2:
        print("usage: twisted_jsonrpc_server.py [tcp:PORT[:interface=ADDR]]", file=sys.stderr)
        return 2
    text = argv[1] if len(argv) == 2 else "tcp:0"
    if ":interface=" not in text:
        text += ":interface=127.0.0.1"  # Weft's rule: binding beyond loopback is explicit.
    endpoint = endpoints.serverFromString(reactor, text)
    endpoint.listen(make_site()).addCallbacks(_listening, _failed)
    reactor.run()
    return _exit_code[0]


if __name__ == "__main__":
    sys.exit(main(sys.argv))
