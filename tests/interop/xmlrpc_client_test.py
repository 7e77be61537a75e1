#!/usr/bin/python3
"""Interop: Python's xmlrpc.client against the real weftd's XML-RPC endpoint (POST /RPC2).

Starts broker/weftd (demo.Calculator and demo.Types, HTTP on port 0) and checks: positional and
struct params, faults and their codes, every XML-RPC type through demo.Types.Echo (int, i8,
boolean, string, double, dateTime.iso8601, base64, struct, array, nil), MultiCall with a fault
among successes, system.listMethods / methodSignature / methodHelp, and that a malformed body
and a billion-laughs DOCTYPE get a fault, not a crash. Ends with SIGTERM and requires exit 0.
Run by Bazel from the runfiles root (see tests/interop/BUILD).
"""

import datetime
import http.client
import os
import socket
import sys
import unittest
import xmlrpc.client

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
    for cached in PROXIES.values():
        cached("close")()
    code = WEFTD.stop()
    if code != 0:
        raise AssertionError("weftd exited %d on SIGTERM; stderr:\n%s" %
                             (code, WEFTD.stderr_text()))


# One ServerProxy per set of options, kept for the whole run: its transport keeps the HTTP/1.1
# connection alive between calls, so most calls here also exercise keep-alive.
PROXIES = {}


def proxy(**kwargs):
    key = tuple(sorted(kwargs.items()))
    if key not in PROXIES:
        PROXIES[key] = xmlrpc.client.ServerProxy("http://127.0.0.1:%d/RPC2" % WEFTD.port,
                                                 **kwargs)
    return PROXIES[key]


def post_raw(body):
    """POSTs `body` to /RPC2 on a new connection; returns (status, body bytes)."""
    connection = http.client.HTTPConnection("127.0.0.1", WEFTD.port, timeout=10)
    try:
        connection.request("POST", "/RPC2", body=body, headers={"Content-Type": "text/xml"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class CalculatorTest(unittest.TestCase):
    def test_add_positional(self):
        self.assertEqual(proxy().demo.Calculator.Add(2, 3), {"sum": 5})

    def test_add_struct(self):
        self.assertEqual(proxy().demo.Calculator.Add({"a": -7, "b": 3}), {"sum": -4})

    def test_add_int64_from_strings_beyond_32_bits(self):
        # Python refuses to send ints outside 32 bits; int64 fields take decimal strings, and
        # the reply's <i8> loads as a Python int.
        self.assertEqual(proxy().demo.Calculator.Add("4294967296", "5000000000"),
                         {"sum": 9294967296})

    def test_divide(self):
        self.assertEqual(proxy().demo.Calculator.Divide(7, 2), {"quotient": 3, "remainder": 1})

    def test_divide_by_zero_is_a_fault(self):
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            proxy().demo.Calculator.Divide(1, 0)
        self.assertEqual(caught.exception.faultCode, INVALID_PARAMS)
        self.assertIn("division by zero", caught.exception.faultString)

    def test_add_overflow_is_a_fault(self):
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            proxy().demo.Calculator.Add("9223372036854775807", 1)
        self.assertEqual(caught.exception.faultCode, INVALID_PARAMS)  # OUT_OF_RANGE
        self.assertIn("integer overflow", caught.exception.faultString)

    def test_unknown_method_is_method_not_found(self):
        for name in ("demo.Calculator.Nope", "demo.Nope.Add", "nope"):
            with self.subTest(name=name):
                with self.assertRaises(xmlrpc.client.Fault) as caught:
                    getattr(proxy(), name)(1, 2)
                self.assertEqual(caught.exception.faultCode, METHOD_NOT_FOUND)

    def test_wrong_param_type_is_invalid_params(self):
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            proxy().demo.Calculator.Add(1.5, 2)
        self.assertEqual(caught.exception.faultCode, INVALID_PARAMS)

    def test_unknown_struct_member_is_invalid_params(self):
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            proxy().demo.Calculator.Add({"a": 1, "c": 2})
        self.assertEqual(caught.exception.faultCode, INVALID_PARAMS)

    def test_too_many_positional_params_is_invalid_params(self):
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            proxy().demo.Calculator.Add(1, 2, 3)
        self.assertEqual(caught.exception.faultCode, INVALID_PARAMS)


# Proto3 defaults of demo.AllTypes as the gateway writes them: scalars always, unset messages and
# the unset optional field omitted (xmlrpc_mapping.h).
DEFAULTS = {
    "int32_value": 0, "int64_value": 0, "uint32_value": 0, "uint64_value": 0,
    "sint32_value": 0, "bool_value": False, "double_value": 0.0, "float_value": 0.0,
    "string_value": "", "bytes_value": xmlrpc.client.Binary(b""), "color": "COLOR_UNSPECIFIED",
    "int32_list": [], "string_list": [], "nested_list": [], "counts": {},
}


def with_defaults(**fields):
    expected = dict(DEFAULTS)
    expected.update(fields)
    return expected


class TypesEchoTest(unittest.TestCase):
    def echo(self, *params, **kwargs):
        return proxy(allow_none=True, **kwargs).demo.Types.Echo(*params)

    def test_empty_struct_echoes_defaults(self):
        self.assertEqual(self.echo({}), DEFAULTS)

    def test_every_type_round_trips(self):
        sent = {
            "int32_value": -2147483648,                             # <int>
            "int64_value": "9007199254740993",                      # string -> <i8>
            "uint32_value": "4294967295",                           # string -> <i8>
            "uint64_value": "9223372036854775807",                  # string -> <i8>
            "sint32_value": 2147483647,
            "bool_value": True,                                     # <boolean>
            "double_value": 0.1,                                    # <double>
            "float_value": 1.5,
            "string_value": "h\u00e9llo <&> \u2603 \t end",         # <string>, escaped
            "bytes_value": xmlrpc.client.Binary(b"\x00\xff\n\x80"),  # <base64>
            "color": "COLOR_BLUE",
            "nested": {"name": "inner", "value": -3},               # <struct>
            "int32_list": [1, -2, 3],                               # <array>
            "string_list": ["a", ""],
            "nested_list": [{"name": "x", "value": 1}, {}],
            "counts": {"one": 1, "minus": -1},
            "timestamp": xmlrpc.client.DateTime("20260101T10:00:00"),  # <dateTime.iso8601>
            "optional_int32": 0,
        }
        got = self.echo(sent)
        expected = dict(sent)
        expected.update({
            "int64_value": 9007199254740993,
            "uint32_value": 4294967295,
            "uint64_value": 9223372036854775807,
            "nested_list": [{"name": "x", "value": 1}, {"name": "", "value": 0}],
        })
        self.assertEqual(got, expected)
        self.assertIsInstance(got["bytes_value"], xmlrpc.client.Binary)
        self.assertIsInstance(got["timestamp"], xmlrpc.client.DateTime)
        self.assertIs(got["bool_value"], True)

    def test_wide_ints_are_written_as_i8_and_int32_range_as_int(self):
        body = xmlrpc.client.dumps(({"int64_value": "9007199254740993", "uint32_value": "7"},),
                                   "demo.Types.Echo").encode()
        status, reply = post_raw(body)
        self.assertEqual(status, 200)
        self.assertIn(b"<name>int64_value</name><value><i8>9007199254740993</i8></value>", reply)
        self.assertIn(b"<name>uint32_value</name><value><int>7</int></value>", reply)

    def test_uint64_above_int64_comes_back_as_a_decimal_string(self):
        got = self.echo({"uint64_value": "18446744073709551615"})
        self.assertEqual(got["uint64_value"], "18446744073709551615")

    def test_negative_int64_from_an_int_and_a_string(self):
        self.assertEqual(self.echo({"int64_value": -5})["int64_value"], -5)
        self.assertEqual(self.echo({"int64_value": "-9223372036854775808"})["int64_value"],
                         -9223372036854775808)

    def test_double_extremes(self):
        for value in (-0.0, 1e100, 5e-324, 1.7976931348623157e308, 2.0 ** 53 + 2):
            with self.subTest(value=value):
                got = self.echo({"double_value": value})["double_value"]
                self.assertEqual(got, value)
                self.assertEqual(str(got), str(value))

    def test_float_rounds_to_float_precision_with_shortest_digits(self):
        self.assertEqual(self.echo({"float_value": 0.1})["float_value"], 0.1)
        self.assertEqual(self.echo({"float_value": 3})["float_value"], 3.0)

    def test_enum_by_number(self):
        self.assertEqual(self.echo({"color": 2})["color"], "COLOR_GREEN")

    def test_datetime_objects_and_use_builtin_types(self):
        when = datetime.datetime(2026, 12, 7, 23, 59, 58)
        got = self.echo({"timestamp": when, "bytes_value": b"raw"}, use_builtin_types=True)
        self.assertEqual(got["timestamp"], when)
        self.assertEqual(got["bytes_value"], b"raw")

    def test_datetime_forms(self):
        cases = (
            # No zone is UTC; an explicit zone is honoured; second 60 is the next minute's 0.
            ("20260101T10:00:00", "20260101T10:00:00"),
            ("2026-01-01T10:00:00Z", "20260101T10:00:00"),
            ("20260101T10:00:00+02:00", "20260101T08:00:00"),
            ("20260101T000000-0130", "20260101T01:30:00"),
            ("20261231T23:59:60", "20270101T00:00:00"),
        )
        for sent, want in cases:
            with self.subTest(sent=sent):
                got = self.echo({"timestamp": xmlrpc.client.DateTime(sent)})["timestamp"]
                self.assertEqual(got.value, want)
        got = self.echo({"timestamp": xmlrpc.client.DateTime("20260101T10:00:00.25")})
        self.assertTrue(got["timestamp"].value.startswith("20260101T10:00:00.25"), got)
        got = self.echo({"timestamp": {"seconds": "1767261600", "nanos": 0}})
        self.assertEqual(got["timestamp"].value, "20260101T10:00:00")

    def test_bad_datetime_is_a_fault_but_not_a_parse_error(self):
        # The XML is well formed, so not -32700; the dateTime breaks XML-RPC's rules (-32600)
        # or cannot be the field's value (-32602).
        for sent in ("20260230T10:00:00", "20260101T24:00:00", "not a date"):
            with self.subTest(sent=sent):
                with self.assertRaises(xmlrpc.client.Fault) as caught:
                    self.echo({"timestamp": xmlrpc.client.DateTime(sent)})
                self.assertIn(caught.exception.faultCode, (INVALID_REQUEST, INVALID_PARAMS),
                              caught.exception.faultString)

    def test_line_ends_and_markup_in_strings(self):
        # XML turns a raw CR LF into LF (Python sends CR unescaped); LF and tabs survive.
        got = self.echo({"string_value": "a\r\nb\nc\td ]]> </string>", "string_list": ["\n"]})
        self.assertEqual(got["string_value"], "a\nb\nc\td ]]> </string>")
        self.assertEqual(got["string_list"], ["\n"])

    def test_nil_leaves_fields_unset(self):
        got = self.echo({"nested": None, "optional_int32": None, "timestamp": None,
                         "string_value": None})
        self.assertEqual(got, DEFAULTS)
        self.assertNotIn("optional_int32", got)

    def test_json_names_are_accepted(self):
        got = self.echo({"int32Value": 4, "stringList": ["j"], "optionalInt32": 9})
        self.assertEqual(got, with_defaults(int32_value=4, string_list=["j"], optional_int32=9))

    def test_positional_params_follow_field_order(self):
        got = self.echo(7, "8", "9", "10", -11, True, 2.5)
        self.assertEqual(got, with_defaults(int32_value=7, int64_value=8, uint32_value=9,
                                            uint64_value=10, sint32_value=-11, bool_value=True,
                                            double_value=2.5))

    def test_out_of_range_int32_string_is_invalid_params(self):
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self.echo({"uint32_value": "4294967296"})
        self.assertEqual(caught.exception.faultCode, INVALID_PARAMS)

    def test_wrong_type_inside_a_list_is_invalid_params(self):
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self.echo({"int32_list": [1, "two"]})
        self.assertEqual(caught.exception.faultCode, INVALID_PARAMS)

    def test_unknown_enum_name_is_invalid_params(self):
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self.echo({"color": "COLOR_PURPLE"})
        self.assertEqual(caught.exception.faultCode, INVALID_PARAMS)


class MultiCallTest(unittest.TestCase):
    def test_successes_and_a_fault_in_order(self):
        multicall = xmlrpc.client.MultiCall(proxy(allow_none=True))
        multicall.demo.Calculator.Add(1, 2)
        multicall.demo.Calculator.Divide(1, 0)
        multicall.demo.Types.Echo({"string_value": "in a multicall"})
        multicall.demo.Nope.Nope()
        multicall.demo.Calculator.Divide({"dividend": 9, "divisor": 4})
        results = multicall()
        self.assertEqual(results[0], {"sum": 3})
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            results[1]
        self.assertEqual(caught.exception.faultCode, INVALID_PARAMS)
        self.assertIn("division by zero", caught.exception.faultString)
        self.assertEqual(results[2], with_defaults(string_value="in a multicall"))
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            results[3]
        self.assertEqual(caught.exception.faultCode, METHOD_NOT_FOUND)
        self.assertEqual(results[4], {"quotient": 2, "remainder": 1})

    def test_nested_and_malformed_entries_fail_only_their_slot(self):
        calls = [
            {"methodName": "demo.Calculator.Add", "params": [1, 2]},
            {"methodName": "system.multicall", "params": [[]]},
            {"params": [1, 2]},
            "not a struct",
            {"methodName": "system.listMethods", "params": []},
        ]
        results = proxy().system.multicall(calls)
        self.assertEqual(len(results), 5)
        self.assertEqual(results[0], [{"sum": 3}])
        for i in (1, 2, 3):
            self.assertIsInstance(results[i], dict, results[i])
            self.assertIsInstance(results[i].get("faultCode"), int, results[i])
            self.assertIsInstance(results[i].get("faultString"), str, results[i])
        self.assertIn("demo.Types.Echo", results[4][0])

    def test_empty_multicall(self):
        self.assertEqual(list(xmlrpc.client.MultiCall(proxy())()), [])


class IntrospectionTest(unittest.TestCase):
    def test_list_methods(self):
        methods = proxy().system.listMethods()
        for name in ("demo.Calculator.Add", "demo.Calculator.Divide", "demo.Types.Echo",
                     "system.listMethods", "system.methodSignature", "system.methodHelp",
                     "system.multicall"):
            self.assertIn(name, methods)
        self.assertEqual(len(methods), len(set(methods)))

    def test_method_signature(self):
        self.assertEqual(proxy().system.methodSignature("demo.Calculator.Add"),
                         [["struct", "i8", "i8"]])
        self.assertEqual(proxy().system.methodSignature("demo.Types.Echo"), [[
            "struct", "int", "i8", "i8", "i8", "int", "boolean", "double", "double", "string",
            "base64", "string", "struct", "array", "array", "array", "struct",
            "dateTime.iso8601", "int"]])

    def test_system_method_signatures(self):
        self.assertEqual(proxy().system.methodSignature("system.listMethods"), [["array"]])
        self.assertEqual(proxy().system.methodSignature("system.methodSignature"),
                         [["array", "string"]])
        self.assertEqual(proxy().system.methodSignature("system.multicall"), [["array", "array"]])

    def test_method_help(self):
        text = proxy().system.methodHelp("demo.Calculator.Divide")
        self.assertIsInstance(text, str)
        self.assertIn("DivideRequest", text)
        self.assertIn("divisor", text)
        self.assertTrue(proxy().system.methodHelp("system.multicall"))

    def test_signature_of_unknown_method_is_method_not_found(self):
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            proxy().system.methodSignature("demo.Nope.Nope")
        self.assertEqual(caught.exception.faultCode, METHOD_NOT_FOUND)


class HostileInputTest(unittest.TestCase):
    def assert_fault(self, body, *codes):
        """POSTs `body`; requires a 200 holding a fault whose code is one of `codes`."""
        status, reply = post_raw(body)
        self.assertEqual(status, 200, reply)
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            xmlrpc.client.loads(reply)
        self.assertIn(caught.exception.faultCode, codes, caught.exception.faultString)
        return caught.exception

    def assert_still_serving(self):
        self.assertTrue(WEFTD.alive())
        self.assertEqual(proxy().demo.Calculator.Add(1, 1), {"sum": 2})

    def test_malformed_xml_is_a_parse_fault(self):
        self.assert_fault(b"<?xml version='1.0'?><methodCall><methodName>demo.Calculator.Add"
                          b"</methodName><params><param><value><int>1</int></value></param>",
                          PARSE_ERROR)
        self.assert_fault(b"not xml at all", PARSE_ERROR)
        self.assert_still_serving()

    def test_billion_laughs_is_refused(self):
        entities = "".join('<!ENTITY lol%d "%s">' % (i, "&lol%d;" % (i - 1) * 10)
                           for i in range(1, 10))
        body = ('<?xml version="1.0"?><!DOCTYPE methodCall [<!ENTITY lol0 "lol">%s]>'
                "<methodCall><methodName>demo.Types.Echo</methodName><params><param><value>"
                "<struct><member><name>string_value</name><value><string>&lol9;</string>"
                "</value></member></struct></value></param></params></methodCall>") % entities
        # Refused as a policy, before any entity is declared: either code is fair.
        fault = self.assert_fault(body.encode(), PARSE_ERROR, INVALID_REQUEST)
        self.assertIn("DOCTYPE", fault.faultString)
        self.assert_still_serving()

    def test_external_entity_is_refused(self):
        body = (b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                b"<methodCall><methodName>demo.Types.Echo</methodName><params><param><value>"
                b"<string>&x;</string></value></param></params></methodCall>")
        fault = self.assert_fault(body, PARSE_ERROR, INVALID_REQUEST)
        self.assertNotIn("root:", fault.faultString)
        self.assert_still_serving()

    # The xmlrpc-epi interoperability codes the gateway follows: -32700 "parse error. not well
    # formed", -32600 "server error. invalid xml-rpc. not conforming to spec". A well-formed
    # document that breaks XML-RPC's rules is therefore -32600 (or, for a value, -32602), never
    # -32700.
    def call_with(self, value):
        return (b'<?xml version="1.0"?><methodCall><methodName>demo.Calculator.Add</methodName>'
                b"<params><param><value>%s</value></param></params></methodCall>" % value)

    def test_wrong_root_element_is_invalid_request(self):
        self.assert_fault(b'<?xml version="1.0"?><methodResponse/>', INVALID_REQUEST)
        self.assert_still_serving()

    def test_wrong_grammar_is_invalid_request(self):
        self.assert_fault(self.call_with(b"<int>1</int><int>2</int>"), INVALID_REQUEST)
        self.assert_still_serving()

    def test_scalars_xmlrpc_does_not_allow_are_not_parse_errors(self):
        for value in (b"<int>99999999999</int>", b"<boolean>2</boolean>", b"<double>nan</double>"):
            with self.subTest(value=value):
                self.assert_fault(self.call_with(value), INVALID_REQUEST, INVALID_PARAMS)
        self.assert_still_serving()

    def test_unimplemented_extension_type_is_invalid_request(self):
        self.assert_fault(self.call_with(b"<i1>1</i1>"), INVALID_REQUEST)
        self.assert_still_serving()

if __name__ == "__main__":
    unittest.main(verbosity=2)
