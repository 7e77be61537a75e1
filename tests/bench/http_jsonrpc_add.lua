-- wrk script of the HTTP gateway benchmark (tests/bench/run_http_bench.sh): every request is the
-- same JSON-RPC 2.0 call of demo.Calculator.Add (idl/demo/calculator.proto), POSTed to the URL
-- given on wrk's command line (/jsonrpc on weftd and on the Twisted peer). Only static fields are
-- set, so wrk builds the request once and keeps its fast path (no Lua per request).
-- http_bench_check.py reads wrk.body from here to check each server's answer before a run.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[{"jsonrpc":"2.0","method":"demo.Calculator.Add","params":{"a":2,"b":3},"id":1}]]
