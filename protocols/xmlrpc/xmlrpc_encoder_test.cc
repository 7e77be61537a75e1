#include "protocols/xmlrpc/xmlrpc_encoder.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "protocols/xmlrpc/date_time.h"
#include "protocols/xmlrpc/xmlrpc_decoder.h"
#include "protocols/xmlrpc/xmlrpc_types.h"
#include "tests/testing/status_matchers.h"

namespace weft::protocols::xmlrpc {
namespace {

// A DateTime with these fields and no fraction or zone.
DateTime At(int32_t year, int32_t month, int32_t day, int32_t hour = 0, int32_t minute = 0,
            int32_t second = 0) {
  DateTime t;
  t.year = year;
  t.month = month;
  t.day = day;
  t.hour = hour;
  t.minute = minute;
  t.second = second;
  return t;
}

using ::testing::HasSubstr;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

// The <value> XML a writer makes with `write`, or the error.
template <typename Write>
std::string Written(Write write) {
  std::string out;
  ValueWriter writer(out);
  write(writer);
  return writer.status().ok() ? out : writer.status().ToString();
}

std::string StringXml(absl::string_view text) {
  return Written([&](ValueWriter& w) { w.AppendString(text); });
}

std::string DoubleText(double value) {
  const std::string xml = Written([&](ValueWriter& w) { w.AppendDouble(value); });
  constexpr absl::string_view kOpen = "<value><double>";
  constexpr absl::string_view kClose = "</double></value>";
  absl::string_view text = xml;
  if (!absl::ConsumePrefix(&text, kOpen) || !absl::ConsumeSuffix(&text, kClose)) return xml;
  return std::string(text);
}

// A struct of every type: {"nil": nil, "yes": true, "int": -7, "wide": 2^40, "pi": 3.25,
// "text": "<&> é", "blob": b"\0\1\2", "when": dateTime(20260125T12:00:00), "list": [1, "a"],
// "empty": {}}.
void BuildEveryType(ValueTree& tree) {
  tree.BeginStruct();
  tree.AddMember("nil");
  tree.AddNil();
  tree.AddMember("yes");
  tree.AddBoolean(true);
  tree.AddMember("int");
  tree.AddInt(-7);
  tree.AddMember("wide");
  tree.AddInt(int64_t{1} << 40);
  tree.AddMember("pi");
  tree.AddDouble(3.25);
  tree.AddMember("text");
  tree.AddString("<&> \xC3\xA9");
  tree.AddMember("blob");
  tree.AddBase64(absl::string_view("\0\1\2", 3));
  tree.AddMember("when");
  tree.AddDateTime("20260125T12:00:00");
  tree.AddMember("list");
  tree.BeginArray();
  tree.AddInt(1);
  tree.AddString("a");
  tree.End();
  tree.AddMember("empty");
  tree.BeginStruct();
  tree.End();
  tree.End();
}

// EncodeResponse() of BuildEveryType(). Python 3.11 reads it with
//   xmlrpc.client.loads(body, use_builtin_types=True)
// as ({'nil': None, 'yes': True, 'int': -7, 'wide': 1099511627776, 'pi': 3.25, 'text': '<&> é',
//      'blob': b'\x00\x01\x02', 'when': datetime.datetime(2026, 1, 25, 12, 0), 'list': [1, 'a'],
//      'empty': {}},), None
constexpr absl::string_view kEveryTypeResponse =
    "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>"
    "<member><name>nil</name><value><nil/></value></member>"
    "<member><name>yes</name><value><boolean>1</boolean></value></member>"
    "<member><name>int</name><value><int>-7</int></value></member>"
    "<member><name>wide</name><value><i8>1099511627776</i8></value></member>"
    "<member><name>pi</name><value><double>3.25</double></value></member>"
    "<member><name>text</name><value><string>&lt;&amp;&gt; \xC3\xA9</string></value></member>"
    "<member><name>blob</name><value><base64>AAEC</base64></value></member>"
    "<member><name>when</name><value><dateTime.iso8601>20260125T12:00:00</dateTime.iso8601>"
    "</value></member>"
    "<member><name>list</name><value><array><data><value><int>1</int></value>"
    "<value><string>a</string></value></data></array></value></member>"
    "<member><name>empty</name><value><struct></struct></value></member>"
    "</struct></value></param></params></methodResponse>";

TEST(ValueWriterTest, WritesEveryScalar) {
  EXPECT_EQ(Written([](ValueWriter& w) { w.AppendNil(); }), "<value><nil/></value>");
  EXPECT_EQ(Written([](ValueWriter& w) { w.AppendBoolean(false); }),
            "<value><boolean>0</boolean></value>");
  EXPECT_EQ(Written([](ValueWriter& w) { w.AppendInt(42); }), "<value><int>42</int></value>");
  EXPECT_EQ(Written([](ValueWriter& w) { w.AppendDouble(2.5); }),
            "<value><double>2.5</double></value>");
  EXPECT_EQ(StringXml("hi"), "<value><string>hi</string></value>");
  EXPECT_EQ(StringXml(""), "<value><string></string></value>");
  EXPECT_EQ(Written([](ValueWriter& w) { w.AppendBase64("you can't read this!"); }),
            "<value><base64>eW91IGNhbid0IHJlYWQgdGhpcyE=</base64></value>");
  EXPECT_EQ(Written([](ValueWriter& w) { w.AppendDateTime(At(1998, 7, 17, 14, 8, 55)); }),
            "<value><dateTime.iso8601>19980717T14:08:55</dateTime.iso8601></value>");
}

TEST(ValueWriterTest, WritesIntsBeyond32BitsAsI8) {
  EXPECT_EQ(Written([](ValueWriter& w) { w.AppendInt(std::numeric_limits<int32_t>::max()); }),
            "<value><int>2147483647</int></value>");
  EXPECT_EQ(Written([](ValueWriter& w) { w.AppendInt(std::numeric_limits<int32_t>::min()); }),
            "<value><int>-2147483648</int></value>");
  EXPECT_EQ(Written([](ValueWriter& w) { w.AppendInt(int64_t{1} << 31); }),
            "<value><i8>2147483648</i8></value>");
  EXPECT_EQ(Written([](ValueWriter& w) { w.AppendInt(std::numeric_limits<int64_t>::min()); }),
            "<value><i8>-9223372036854775808</i8></value>");
}

TEST(ValueWriterTest, WritesBase64OfEveryLengthWithPadding) {
  EXPECT_EQ(Written([](ValueWriter& w) { w.AppendBase64(""); }),
            "<value><base64></base64></value>");
  EXPECT_EQ(Written([](ValueWriter& w) { w.AppendBase64("a"); }),
            "<value><base64>YQ==</base64></value>");
  EXPECT_EQ(Written([](ValueWriter& w) { w.AppendBase64("ab"); }),
            "<value><base64>YWI=</base64></value>");
  EXPECT_EQ(Written([](ValueWriter& w) { w.AppendBase64("\xfb\xff\xbf"); }),
            "<value><base64>+/+/</base64></value>");
}

TEST(ValueWriterTest, WritesDoublesInDecimalNotationWithFewestDigits) {
  EXPECT_EQ(DoubleText(1.0), "1.0");
  EXPECT_EQ(DoubleText(0.1), "0.1");
  EXPECT_EQ(DoubleText(-0.0), "-0.0");
  EXPECT_EQ(DoubleText(1e-7), "0.0000001");
  EXPECT_EQ(DoubleText(123456789012345680.0), "123456789012345680.0");
  EXPECT_EQ(DoubleText(-1234.5678), "-1234.5678");
  EXPECT_EQ(DoubleText(0.000123), "0.000123");
  EXPECT_EQ(DoubleText(1.7976931348623157e308),
            absl::StrCat("17976931348623157", std::string(292, '0'), ".0"));
  EXPECT_EQ(DoubleText(1e100), absl::StrCat("1", std::string(100, '0'), ".0"));
  EXPECT_EQ(DoubleText(std::numeric_limits<double>::denorm_min()),
            absl::StrCat("0.", std::string(323, '0'), "5"));
  EXPECT_EQ(DoubleText(-2.2250738585072014e-308),
            absl::StrCat("-0.", std::string(307, '0'), "22250738585072014"));
}

TEST(ValueWriterTest, RefusesNanAndInfinities) {
  EXPECT_EQ(DoubleText(std::numeric_limits<double>::infinity()),
            "INVALID_ARGUMENT: xmlrpc: double inf has no XML-RPC representation");
  EXPECT_THAT(DoubleText(-std::numeric_limits<double>::infinity()), HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(DoubleText(std::nan("")), HasSubstr("INVALID_ARGUMENT"));
}

TEST(ValueWriterTest, DoublesReadBackBitForBit) {
  XmlRpcDecoder decoder;
  MethodResponse response;
  std::mt19937_64 random(7);
  for (int i = 0; i < 2000; ++i) {
    uint64_t bits = random();
    double value;
    std::memcpy(&value, &bits, sizeof(value));
    if (!std::isfinite(value)) continue;
    ValueTree tree;
    tree.AddDouble(value);
    std::string body;
    ASSERT_THAT(EncodeResponse(tree.root(), body), IsOk());
    ASSERT_THAT(decoder.ParseResponse(body, response), IsOk()) << body;
    ASSERT_EQ(response.value(), tree.root()) << body;
  }
}

TEST(ValueWriterTest, EscapesMarkupAndCarriageReturn) {
  EXPECT_EQ(StringXml("a<b>&c\r\n\td"),
            "<value><string>a&lt;b&gt;&amp;c&#13;\n\td</string></value>");
  EXPECT_EQ(StringXml("]]>"), "<value><string>]]&gt;</string></value>");
  EXPECT_EQ(StringXml("\"'"), "<value><string>\"'</string></value>");
}

TEST(ValueWriterTest, KeepsValidUtf8) {
  const std::string text =
      "\xC3\xA9\xE2\x98\xBA\xF0\x9F\x98\x80\xC2\x80\xEF\xBF\xBD\xF4\x8F\xBF\xBF";
  EXPECT_EQ(StringXml(text), absl::StrCat("<value><string>", text, "</string></value>"));
}

TEST(ValueWriterTest, RefusesCharactersXmlCannotCarry) {
  EXPECT_EQ(StringXml(absl::string_view("a\0b", 3)),
            "INVALID_ARGUMENT: xmlrpc: string holds U+0000 at byte 1, which XML 1.0 cannot carry");
  EXPECT_EQ(StringXml("\x1f"),
            "INVALID_ARGUMENT: xmlrpc: string holds U+001F at byte 0, which XML 1.0 cannot carry");
  for (absl::string_view bad :
       {"\x80", "\xC3", "\xC3\x28", "\xC0\x80", "\xE0\x80\x80", "\xED\xA0\x80", "\xEF\xBF\xBE",
        "\xEF\xBF\xBF", "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80", "\xFF"}) {
    EXPECT_THAT(StringXml(absl::StrCat("ok", bad)),
                HasSubstr("xmlrpc: string holds invalid UTF-8 or U+FFFE/U+FFFF at byte 2"))
        << absl::CHexEscape(bad);
  }
}

TEST(ValueWriterTest, RefusesBadMemberNamesAndDateTimes) {
  EXPECT_EQ(Written([](ValueWriter& w) {
              w.BeginStruct();
              w.BeginMember("\x01");
            }),
            "INVALID_ARGUMENT: xmlrpc: member name holds U+0001 at byte 0, which XML 1.0 cannot "
            "carry");
  EXPECT_EQ(Written([](ValueWriter& w) { w.AppendDateTime(At(2026, 2, 30)); }),
            "INVALID_ARGUMENT: xmlrpc: dateTime day out of range");
}

TEST(ValueWriterTest, KeepsTheFirstError) {
  std::string out;
  ValueWriter writer(out);
  writer.AppendDouble(std::nan(""));
  writer.AppendString(absl::string_view("\0", 1));
  writer.AppendInt(1);
  EXPECT_THAT(writer.status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("double")));
}

TEST(EncodeResponseTest, WritesEveryTypeAsPythonReadsIt) {
  ValueTree tree;
  BuildEveryType(tree);
  std::string out;
  ASSERT_THAT(EncodeResponse(tree.root(), out), IsOk());
  EXPECT_EQ(out, kEveryTypeResponse);
}

TEST(EncodeResponseTest, StreamingWithValueWriterGivesTheSameBytes) {
  std::string out;
  AppendResponseBegin(out);
  ValueWriter w(out);
  w.BeginStruct();
  w.BeginMember("nil");
  w.AppendNil();
  w.EndMember();
  w.BeginMember("yes");
  w.AppendBoolean(true);
  w.EndMember();
  w.BeginMember("int");
  w.AppendInt(-7);
  w.EndMember();
  w.BeginMember("wide");
  w.AppendInt(int64_t{1} << 40);
  w.EndMember();
  w.BeginMember("pi");
  w.AppendDouble(3.25);
  w.EndMember();
  w.BeginMember("text");
  w.AppendString("<&> \xC3\xA9");
  w.EndMember();
  w.BeginMember("blob");
  w.AppendBase64(absl::string_view("\0\1\2", 3));
  w.EndMember();
  w.BeginMember("when");
  w.AppendDateTime(At(2026, 1, 25, 12));
  w.EndMember();
  w.BeginMember("list");
  w.BeginArray();
  w.AppendInt(1);
  w.AppendString("a");
  w.EndArray();
  w.EndMember();
  w.BeginMember("empty");
  w.BeginStruct();
  w.EndStruct();
  w.EndMember();
  w.EndStruct();
  AppendResponseEnd(out);
  ASSERT_THAT(w.status(), IsOk());
  EXPECT_EQ(out, kEveryTypeResponse);
}

TEST(EncodeResponseTest, RoundTripsThroughTheDecoder) {
  ValueTree tree;
  BuildEveryType(tree);
  std::string out;
  ASSERT_THAT(EncodeResponse(tree.root(), out), IsOk());
  XmlRpcDecoder decoder;
  MethodResponse response;
  ASSERT_THAT(decoder.ParseResponse(out, response), IsOk());
  EXPECT_EQ(response.value(), tree.root());
  EXPECT_FALSE(response.fault.has_value());
}

TEST(EncodeResponseTest, LeavesOutputUnchangedOnError) {
  ValueTree tree;
  tree.BeginArray();
  tree.AddInt(1);
  tree.AddString(absl::string_view("\0", 1));
  tree.End();
  std::string out = "earlier bytes";
  EXPECT_THAT(EncodeResponse(tree.root(), out),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("U+0000")));
  EXPECT_EQ(out, "earlier bytes");
}

TEST(EncodeFaultTest, WritesTheSpecShape) {
  std::string out;
  EncodeFault(Fault{4, "Too many parameters."}, out);
  EXPECT_EQ(out,
            "<?xml version=\"1.0\"?><methodResponse><fault><value><struct>"
            "<member><name>faultCode</name><value><int>4</int></value></member>"
            "<member><name>faultString</name><value><string>Too many parameters.</string>"
            "</value></member></struct></value></fault></methodResponse>");
  XmlRpcDecoder decoder;
  MethodResponse response;
  ASSERT_THAT(decoder.ParseResponse(out, response), IsOk());
  EXPECT_EQ(response.fault, (Fault{4, "Too many parameters."}));
}

TEST(EncodeFaultTest, ReplacesWhatXmlCannotCarry) {
  std::string out;
  EncodeFault(Fault{-32700, absl::StrCat("bad <", absl::string_view("\0", 1), "\xFF> \r")}, out);
  XmlRpcDecoder decoder;
  MethodResponse response;
  ASSERT_THAT(decoder.ParseResponse(out, response), IsOk()) << out;
  EXPECT_EQ(response.fault, (Fault{-32700, "bad <\xEF\xBF\xBD\xEF\xBF\xBD> \r"}));
}

TEST(EncodeCallTest, WritesAMethodCall) {
  ValueTree params;
  params.BeginArray();
  params.AddInt(1);
  params.AddInt(2);
  params.End();
  std::string out;
  ASSERT_THAT(EncodeCall("demo.Calculator.Add", params.root(), out), IsOk());
  EXPECT_EQ(out,
            "<?xml version=\"1.0\"?><methodCall><methodName>demo.Calculator.Add</methodName>"
            "<params><param><value><int>1</int></value></param><param><value><int>2</int>"
            "</value></param></params></methodCall>");
  XmlRpcDecoder decoder;
  MethodCall call;
  ASSERT_THAT(decoder.ParseCall(out, call), IsOk());
  EXPECT_EQ(call.method_name, "demo.Calculator.Add");
  EXPECT_EQ(call.params(), params.root());
}

TEST(EncodeCallTest, RefusesBadNamesParamsAndValues) {
  ValueTree tree;
  const uint32_t empty = tree.BeginArray();
  tree.End();
  const uint32_t scalar = tree.AddInt(1);
  const uint32_t bad = tree.BeginArray();
  tree.AddString("\x02");
  tree.End();
  std::string out = "x";
  EXPECT_THAT(EncodeCall("a b", tree.value(empty), out),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("methodName")));
  EXPECT_THAT(EncodeCall("a", tree.value(scalar), out),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "xmlrpc: the params of a methodCall must be an array"));
  EXPECT_THAT(EncodeCall("a", tree.value(bad), out),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("U+0002")));
  EXPECT_EQ(out, "x");
  EXPECT_THAT(EncodeCall("a", tree.value(empty), out), IsOk());
  EXPECT_EQ(out,
            "x<?xml version=\"1.0\"?><methodCall><methodName>a</methodName><params></params>"
            "</methodCall>");
}

}  // namespace
}  // namespace weft::protocols::xmlrpc
