#include "protocols/xmlrpc/xmlrpc_decoder.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "protocols/xmlrpc/date_time.h"
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

// Exactly what Python 3.11 sends for
//   xmlrpc.client.dumps((1, "a", 2.5, True, None, xmlrpc.client.Binary(b"\0\1"), {"a": [1, 2]}),
//                       "demo.Calculator.Add", allow_none=True)
constexpr absl::string_view kPythonRequest =
    "<?xml version='1.0'?>\n<methodCall>\n<methodName>demo.Calculator.Add</methodName>\n"
    "<params>\n<param>\n<value><int>1</int></value>\n</param>\n<param>\n"
    "<value><string>a</string></value>\n</param>\n<param>\n<value><double>2.5</double></value>\n"
    "</param>\n<param>\n<value><boolean>1</boolean></value>\n</param>\n<param>\n"
    "<value><nil/></value></param>\n<param>\n<value><base64>\nAAE=\n</base64></value>\n</param>\n"
    "<param>\n<value><struct>\n<member>\n<name>a</name>\n<value><array><data>\n"
    "<value><int>1</int></value>\n<value><int>2</int></value>\n</data></array></value>\n"
    "</member>\n</struct></value>\n</param>\n</params>\n</methodCall>\n";

std::string CallWith(absl::string_view value_xml) {
  return absl::StrCat("<methodCall><methodName>demo.Echo</methodName><params><param>", value_xml,
                      "</param></params></methodCall>");
}

std::vector<ValueRef> Params(const MethodCall& call) {
  std::vector<ValueRef> params;
  for (ValueRef param : call.params().elements()) params.push_back(param);
  return params;
}

class XmlRpcDecoderTest : public ::testing::Test {
 protected:
  // The DebugString() of the single param of a call holding `value_xml`, or the error.
  std::string Parse(absl::string_view value_xml) {
    const absl::Status status = decoder_.ParseCall(CallWith(value_xml), call_);
    if (!status.ok()) return status.ToString();
    EXPECT_EQ(call_.params().size(), 1u);
    return Param().DebugString();
  }
  ValueRef Param() const { return *call_.params().elements().begin(); }

  XmlRpcDecoder decoder_;
  MethodCall call_;
};

TEST_F(XmlRpcDecoderTest, ParsesWhatPythonSends) {
  ASSERT_THAT(decoder_.ParseCall(kPythonRequest, call_), IsOk());
  EXPECT_EQ(call_.method_name, "demo.Calculator.Add");
  const std::vector<ValueRef> params = Params(call_);
  ASSERT_EQ(params.size(), 7u);
  EXPECT_EQ(params[0].int_value(), 1);
  EXPECT_EQ(params[1].string_value(), "a");
  EXPECT_EQ(params[2].double_value(), 2.5);
  EXPECT_TRUE(params[3].bool_value());
  EXPECT_EQ(params[4].type(), ValueType::kNil);
  EXPECT_EQ(params[5].type(), ValueType::kBase64);
  EXPECT_EQ(params[5].string_value(), absl::string_view("\0\1", 2));
  EXPECT_EQ(params[6].DebugString(), R"({"a": [1, 2]})");
  EXPECT_EQ(call_.params().DebugString(),
            R"([1, "a", 2.5, true, nil, b"\x00\x01", {"a": [1, 2]}])");
}

TEST_F(XmlRpcDecoderTest, ParsesEveryScalarType) {
  EXPECT_EQ(Parse("<value><int>-42</int></value>"), "-42");
  EXPECT_EQ(Parse("<value><i4>2147483647</i4></value>"), "2147483647");
  EXPECT_EQ(Parse("<value><boolean>0</boolean></value>"), "false");
  EXPECT_EQ(Parse("<value><boolean>1</boolean></value>"), "true");
  EXPECT_EQ(Parse("<value><string>hi there</string></value>"), "\"hi there\"");
  EXPECT_EQ(Parse("<value><double>-0.125</double></value>"), "-0.125");
  EXPECT_EQ(Parse("<value><dateTime.iso8601>19980717T14:08:55</dateTime.iso8601></value>"),
            "dateTime(19980717T14:08:55)");
  EXPECT_EQ(Parse("<value><base64>eW91IGNhbid0IHJlYWQgdGhpcyE=</base64></value>"),
            "b\"you can\\'t read this!\"");
  EXPECT_EQ(Parse("<value><nil/></value>"), "nil");
  EXPECT_EQ(Parse("<value><nil></nil></value>"), "nil");
}

TEST_F(XmlRpcDecoderTest, ReadsI8AsA64BitInt) {
  EXPECT_EQ(Parse("<value><i8>9223372036854775807</i8></value>"), "9223372036854775807");
  EXPECT_EQ(Parse("<value><i8>-9223372036854775808</i8></value>"), "-9223372036854775808");
  EXPECT_EQ(Param().type(), ValueType::kInt);
  EXPECT_EQ(Parse("<value><i8>5</i8></value>"), "5");
}

TEST_F(XmlRpcDecoderTest, ReadsApacheNamespacedNilAndI8) {
  EXPECT_EQ(Parse("<value><ex:nil/></value>"), "nil");
  EXPECT_EQ(Parse("<value><ex:i8>4294967296</ex:i8></value>"), "4294967296");
  const std::string apache =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><methodResponse "
      "xmlns:ex=\"http://ws.apache.org/xmlrpc/namespaces/extensions\"><params><param><value>"
      "<ex:nil/></value></param></params></methodResponse>";
  MethodResponse response;
  ASSERT_THAT(decoder_.ParseResponse(apache, response), IsOk());
  EXPECT_EQ(response.value().type(), ValueType::kNil);
}

TEST_F(XmlRpcDecoderTest, UntypedValueIsAString) {
  EXPECT_EQ(Parse("<value>plain</value>"), "\"plain\"");
  EXPECT_EQ(Param().type(), ValueType::kString);
  EXPECT_EQ(Parse("<value>  spaced out \n</value>"), "\"  spaced out \\n\"");
  EXPECT_EQ(Parse("<value></value>"), "\"\"");
  EXPECT_EQ(Parse("<value/>"), "\"\"");
  EXPECT_EQ(Parse("<value>a &amp; b</value>"), "\"a & b\"");
}

TEST_F(XmlRpcDecoderTest, TypedValueMayBeIndented) {
  EXPECT_EQ(Parse("<value>\n  <int>5</int>\n</value>"), "5");
  EXPECT_EQ(Parse("<value>\n  <string> x </string>\n</value>"), "\" x \"");
}

TEST_F(XmlRpcDecoderTest, StringsKeepWhitespaceEntitiesAndCdata) {
  EXPECT_EQ(Parse("<value><string> a\tb\n</string></value>"), "\" a\\tb\\n\"");
  EXPECT_EQ(Parse("<value><string>&lt;&gt;&amp;&quot;&apos;</string></value>"), "\"<>&\\\"\\'\"");
  EXPECT_EQ(Parse("<value><string>&#x263A;&#13;&#65;</string></value>"), "\"\\xe2\\x98\\xba\\rA\"");
  EXPECT_EQ(Parse("<value><string><![CDATA[<b>&amp;</b>]]></string></value>"), "\"<b>&amp;</b>\"");
  EXPECT_EQ(Parse("<value><string></string></value>"), "\"\"");
  EXPECT_EQ(Parse("<value><string/></value>"), "\"\"");
}

TEST_F(XmlRpcDecoderTest, XmlNormalizesLineEndingsInText) {
  // A raw CR (Python sends "\r\n" unescaped) reaches the service as LF; only &#13; survives.
  EXPECT_EQ(Parse("<value><string>a\r\nb\rc</string></value>"), "\"a\\nb\\nc\"");
}

TEST_F(XmlRpcDecoderTest, NumbersBooleansAndDatesMayBePadded) {
  EXPECT_EQ(Parse("<value><int> 42\n</int></value>"), "42");
  EXPECT_EQ(Parse("<value><boolean> 1 </boolean></value>"), "true");
  EXPECT_EQ(Parse("<value><double>\t2.5 </double></value>"), "2.5");
  EXPECT_EQ(Parse("<value><dateTime.iso8601> 20260125T12:00:00 </dateTime.iso8601></value>"),
            "dateTime(20260125T12:00:00)");
}

TEST_F(XmlRpcDecoderTest, ReadsDoublesAsPythonWritesThem) {
  EXPECT_EQ(Parse("<value><double>1e+100</double></value>"), "1e+100");
  EXPECT_EQ(Parse("<value><double>1e-07</double></value>"), "1e-07");
  EXPECT_EQ(Parse("<value><double>-0.0</double></value>"), "-0");
}

TEST_F(XmlRpcDecoderTest, DecodesBase64WrappedIntoLines) {
  // Python's xmlrpc.client.Binary(bytes(range(100))).
  EXPECT_THAT(
      decoder_.ParseCall(
          CallWith("<value><base64>\n"
                   "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\n"
                   "OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiYw==\n"
                   "</base64></value>"),
          call_),
      IsOk());
  std::string expected;
  for (int b = 0; b < 100; ++b) expected.push_back(static_cast<char>(b));
  EXPECT_EQ(Param().string_value(), expected);
  EXPECT_EQ(Parse("<value><base64></base64></value>"), "b\"\"");
  EXPECT_EQ(Parse("<value><base64>\r\n</base64></value>"), "b\"\"");
}

TEST_F(XmlRpcDecoderTest, KeepsDateTimeTextAndParsesItsFields) {
  ASSERT_EQ(Parse("<value><dateTime.iso8601>20260125T12:00:00</dateTime.iso8601></value>"),
            "dateTime(20260125T12:00:00)");
  EXPECT_EQ(Param().date_time_value(), (At(2026, 1, 25, 12)));
  ASSERT_EQ(
      Parse("<value><dateTime.iso8601>2026-01-25T12:00:00.25+01:00</dateTime.iso8601></value>"),
      "dateTime(2026-01-25T12:00:00.25+01:00)");
  DateTime expected = At(2026, 1, 25, 12);
  expected.nanos = 250000000;
  expected.utc_offset_minutes = 60;
  EXPECT_EQ(Param().date_time_value(), expected);
}

TEST_F(XmlRpcDecoderTest, ParsesNestedStructsAndArrays) {
  EXPECT_EQ(Parse("<value><struct>"
                  "<member><name>id</name><value><i4>7</i4></value></member>"
                  "<member><name>point</name><value><struct>"
                  "<member><name>x</name><value><double>1.5</double></value></member>"
                  "<member><name>y</name><value>-2</value></member>"
                  "</struct></value></member>"
                  "<member><name>rows</name><value><array><data>"
                  "<value><array><data><value><int>1</int></value></data></array></value>"
                  "<value><array><data/></array></value>"
                  "<value><struct/></value>"
                  "</data></array></value></member>"
                  "<member><name></name><value><nil/></value></member>"
                  "</struct></value>"),
            R"({"id": 7, "point": {"x": 1.5, "y": "-2"}, "rows": [[1], [], {}], "": nil})");
  EXPECT_EQ(Param().Find("point")->Find("x")->double_value(), 1.5);
}

TEST_F(XmlRpcDecoderTest, AllowsCommentsProcessingInstructionsAndAttributes) {
  const std::string body =
      "<?xml version=\"1.0\"?>\n<!-- a comment --><methodCall lang=\"en\"><?pi data?>"
      "<methodName>a.b</methodName><!-- x --><params><param><value kind=\"int\"><int>1</int>"
      "</value></param></params></methodCall><!-- trailing -->\n";
  ASSERT_THAT(decoder_.ParseCall(body, call_), IsOk());
  EXPECT_EQ(call_.params().DebugString(), "[1]");
}

TEST_F(XmlRpcDecoderTest, AcceptsCallsWithoutParams) {
  ASSERT_THAT(decoder_.ParseCall(
                  "<methodCall><methodName>system.listMethods</methodName></methodCall>", call_),
              IsOk());
  EXPECT_EQ(call_.method_name, "system.listMethods");
  EXPECT_EQ(call_.params().size(), 0u);
  ASSERT_THAT(
      decoder_.ParseCall("<methodCall><methodName>a</methodName><params/></methodCall>", call_),
      IsOk());
  EXPECT_EQ(call_.params().size(), 0u);
}

TEST_F(XmlRpcDecoderTest, AcceptsEveryMethodNameCharacter) {
  ASSERT_THAT(
      decoder_.ParseCall("<methodCall><methodName>AZaz09_.:/</methodName></methodCall>", call_),
      IsOk());
  EXPECT_EQ(call_.method_name, "AZaz09_.:/");
}

TEST_F(XmlRpcDecoderTest, TranscodesDeclaredLatin1ToUtf8) {
  const std::string body =
      "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><methodCall><methodName>a</methodName>"
      "<params><param><value>caf\xE9</value></param></params></methodCall>";
  ASSERT_THAT(decoder_.ParseCall(body, call_), IsOk());
  EXPECT_EQ(Param().string_value(), "caf\xC3\xA9");
}

TEST_F(XmlRpcDecoderTest, ParsesResponses) {
  MethodResponse response;
  ASSERT_THAT(decoder_.ParseResponse(
                  "<?xml version=\"1.0\"?><methodResponse><params><param><value><string>South "
                  "Dakota</string></value></param></params></methodResponse>",
                  response),
              IsOk());
  EXPECT_FALSE(response.fault.has_value());
  EXPECT_EQ(response.value().string_value(), "South Dakota");
}

TEST_F(XmlRpcDecoderTest, ParsesTheSpecFaultExample) {
  MethodResponse response;
  ASSERT_THAT(decoder_.ParseResponse(
                  "<?xml version=\"1.0\"?>\n<methodResponse>\n<fault>\n<value>\n<struct>\n"
                  "<member>\n<name>faultCode</name>\n<value><int>4</int></value>\n</member>\n"
                  "<member>\n<name>faultString</name>\n<value><string>Too many parameters."
                  "</string></value>\n</member>\n</struct>\n</value>\n</fault>\n"
                  "</methodResponse>\n",
                  response),
              IsOk());
  ASSERT_TRUE(response.fault.has_value());
  EXPECT_EQ(*response.fault, (Fault{4, "Too many parameters."}));
  EXPECT_EQ(response.value().type(), ValueType::kStruct);
}

TEST_F(XmlRpcDecoderTest, ReadsFaultsInAnyMemberOrderWithUntypedString) {
  MethodResponse response;
  ASSERT_THAT(decoder_.ParseResponse(
                  "<methodResponse><fault><value><struct><member><name>faultString</name>"
                  "<value>oops</value></member><member><name>faultCode</name><value><i4>-1"
                  "</i4></value></member></struct></value></fault></methodResponse>",
                  response),
              IsOk());
  EXPECT_EQ(response.fault, (Fault{-1, "oops"}));
}

TEST_F(XmlRpcDecoderTest, ReusesOneParserForManyDocuments) {
  MethodResponse response;
  for (int i = 0; i < 2000; ++i) {
    switch (i % 4) {
      case 0:
        ASSERT_THAT(decoder_.ParseCall(kPythonRequest, call_), IsOk());
        ASSERT_EQ(call_.params().size(), 7u);
        break;
      case 1:  // An error leaves nothing behind for the next document.
        ASSERT_THAT(
            decoder_.ParseCall("<methodCall><methodName>a b</methodName></methodCall>", call_),
            StatusIs(absl::StatusCode::kInvalidArgument));
        break;
      case 2:
        ASSERT_THAT(
            decoder_.ParseCall(CallWith(absl::StrCat("<value><int>", i, "</int></value>")), call_),
            IsOk());
        ASSERT_EQ(call_.params().DebugString(), absl::StrCat("[", i, "]"));
        break;
      default:
        ASSERT_THAT(decoder_.ParseResponse(
                        "<methodResponse><params><param><value><struct><member><name>n</name>"
                        "<value><int>1</int></value></member></struct></value></param></params>"
                        "</methodResponse>",
                        response),
                    IsOk());
        ASSERT_EQ(response.value().DebugString(), R"({"n": 1})");
        break;
    }
  }
}

TEST_F(XmlRpcDecoderTest, StopsMidDocumentAndStartsCleanAfterwards) {
  // A failure inside a deep struct leaves the tree with open containers; the next call resets.
  EXPECT_THAT(decoder_.ParseCall(CallWith("<value><struct><member><name>a</name><value><array>"
                                          "<data><value><int>x</int></value></data></array>"
                                          "</value></member></struct></value>"),
                                 call_),
              StatusIs(absl::StatusCode::kInvalidArgument, "xmlrpc: bad <int> 'x'"));
  EXPECT_EQ(Parse("<value><int>1</int></value>"), "1");
}

}  // namespace
}  // namespace weft::protocols::xmlrpc
