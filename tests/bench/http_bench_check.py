#!/usr/bin/python3
"""Checks that a server answers the HTTP gateway benchmark's requests correctly.

    /usr/bin/python3 tests/bench/http_bench_check.py PORT KIND...

KIND is one of the benchmark's request kinds, each sent twice on one keep-alive connection to
127.0.0.1:PORT (the standard library's http.client, independent of the servers):

- `health`: GET /healthz must answer 200 with the body `ok` plus a newline.
- `jsonrpc`: POST /jsonrpc with the body of http_jsonrpc_add.lua must answer 200 with the
  JSON-RPC 2.0 result `{"sum": 5}` and id 1 (sum as a number or, by protobuf's JSON mapping of
  int64, a string).
- `xmlrpc`: POST /RPC2 with the body of http_xmlrpc_add.lua must answer 200 with a methodResponse
  whose one param is the struct `{sum: 5}`.

The request bodies are read from the wrk scripts next to this file, so the check and the load
send the same bytes. Prints one line per failure and exits 1 if any; exits 0 silently otherwise.
run_http_bench.sh runs it before measuring (a server that fails is left out), and
http_bench_smoke_test.sh runs the whole runner. Part of //tests/bench.
"""

import http.client
import json
import os
import re
import sys
import xml.parsers.expat
import xmlrpc.client

HERE = os.path.dirname(os.path.abspath(__file__))


def lua_body(name):
    with open(os.path.join(HERE, name)) as script:
        match = re.search(r"wrk\.body = \[\[(.*?)\]\]", script.read(), re.S)
    if not match:
        raise SystemExit("http_bench_check: no wrk.body in " + name)
    return match.group(1).encode()


def check_health(status, body):
    if status != 200 or body != b"ok\n":
        return "want 200 'ok\\n'"
    return None


def check_jsonrpc(status, body):
    try:
        answer = json.loads(body)
        ok = (status == 200 and answer.get("jsonrpc") == "2.0" and answer.get("id") == 1
              and str(answer["result"]["sum"]) == "5")
    except (ValueError, KeyError, TypeError, AttributeError):
        ok = False
    return None if ok else "want 200 with result {sum: 5} and id 1"


def check_xmlrpc(status, body):
    try:
        params, _ = xmlrpc.client.loads(body)
        ok = status == 200 and len(params) == 1 and params[0] == {"sum": 5}
    # A fault raises xmlrpc.client.Fault; a body that is not XML, ExpatError.
    except (xmlrpc.client.Error, xml.parsers.expat.ExpatError, ValueError, TypeError):
        ok = False
    return None if ok else "want 200 with the struct {sum: 5}"


KINDS = {
    "health": ("GET", "/healthz", None, None, check_health),
    "jsonrpc": ("POST", "/jsonrpc", "http_jsonrpc_add.lua", "application/json", check_jsonrpc),
    "xmlrpc": ("POST", "/RPC2", "http_xmlrpc_add.lua", "text/xml", check_xmlrpc),
}


def check(port, kind):
    method, path, script, content_type, judge = KINDS[kind]
    body = lua_body(script) if script else None
    headers = {"Content-Type": content_type} if content_type else {}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for attempt in (1, 2):  # The second request checks keep-alive.
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            problem = judge(response.status, answer)
            if problem:
                return "{} {} (request {}): {}; got {} {!r}".format(
                    method, path, attempt, problem, response.status, answer[:300])
    except (OSError, http.client.HTTPException) as e:
        return "{} {}: {}".format(method, path, e)
    finally:
        connection.close()
    return None


def main(argv):
    if len(argv) < 3 or any(kind not in KINDS for kind in argv[2:]):
        print("usage: http_bench_check.py PORT {}...".format("|".join(KINDS)), file=sys.stderr)
        return 2
    failures = [f for f in (check(int(argv[1]), kind) for kind in argv[2:]) if f]
    for failure in failures:
        print("http_bench_check: port {}: {}".format(argv[1], failure))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
