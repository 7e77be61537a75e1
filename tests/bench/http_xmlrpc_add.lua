-- wrk script of the HTTP gateway benchmark (tests/bench/run_http_bench.sh): every request is the
-- same XML-RPC methodCall of demo.Calculator.Add with two <int> params (field a, then b, by
-- declaration order on weftd), POSTed to the URL given on wrk's command line (/RPC2 on weftd and
-- on the Twisted peer). Only static fields are set, so wrk builds the request once and keeps its
-- fast path (no Lua per request). http_bench_check.py reads wrk.body from here to check each
-- server's answer before a run.
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/xml"
wrk.body = [[<?xml version="1.0"?>
<methodCall><methodName>demo.Calculator.Add</methodName><params><param><value><int>2</int></value></param><param><value><int>3</int></value></param></params></methodCall>]]
