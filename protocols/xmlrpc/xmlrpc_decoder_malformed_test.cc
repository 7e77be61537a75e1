// XmlRpcDecoder on bad input: malformed XML, documents that break the XML-RPC grammar, bad
// scalars, refused DTDs and entities, and exceeded limits.
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "protocols/xmlrpc/limits.h"
#include "protocols/xmlrpc/xmlrpc_decoder.h"
#include "protocols/xmlrpc/xmlrpc_types.h"
#include "tests/testing/status_matchers.h"

namespace weft::protocols::xmlrpc {
namespace {

using ::testing::HasSubstr;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr absl::StatusCode kExhausted = absl::StatusCode::kResourceExhausted;

std::string CallWith(absl::string_view value_xml) {
  return absl::StrCat("<methodCall><methodName>demo.Echo</methodName><params><param>", value_xml,
                      "</param></params></methodCall>");
}

std::string Repeat(absl::string_view piece, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out.append(piece.data(), piece.size());
  return out;
}

// `depth` arrays, one inside the next, around an int.
std::string NestedArrays(int depth) {
  return absl::StrCat(Repeat("<value><array><data>", depth), "<value><int>1</int></value>",
                      Repeat("</data></array></value>", depth));
}

struct BadCase {
  const char* name;
  std::string body;
  absl::StatusCode code;
  std::string message;  // A substring of the status message.
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class MalformedCallTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(MalformedCallTest, IsRefusedWithAPreciseError) {
  XmlRpcDecoder decoder;
  MethodCall call;
  const BadCase& c = GetParam();
  EXPECT_THAT(decoder.ParseCall(c.body, call), StatusIs(c.code, HasSubstr(c.message)));
}

INSTANTIATE_TEST_SUITE_P(
    Xml, MalformedCallTest,
    ::testing::Values(
        BadCase{"Empty", "", kInvalid, "malformed XML at line 1, column 0: no element found"},
        BadCase{"NotXml", "hello", kInvalid, "malformed XML"},
        BadCase{"Truncated", "<methodCall><methodName>a</methodName>", kInvalid,
                "no element found"},
        BadCase{"MismatchedTag", "<methodCall><methodName>a</methodCall>", kInvalid,
                "mismatched tag"},
        BadCase{"JunkAfterRoot", "<methodCall><methodName>a</methodName></methodCall><x/>",
                kInvalid, "junk after document element"},
        BadCase{"UndefinedEntity", CallWith("<value>&foo;</value>"), kInvalid, "undefined entity"},
        BadCase{"NulCharacterReference", CallWith("<value>&#0;</value>"), kInvalid,
                "reference to invalid character number"},
        BadCase{"InvalidUtf8", CallWith("<value>\xC3\x28</value>"), kInvalid, "not well-formed"},
        BadCase{"RawControlCharacter", CallWith("<value>\x01</value>"), kInvalid,
                "not well-formed"},
        BadCase{"UnknownEncoding", "<?xml version=\"1.0\" encoding=\"x-weird\"?><methodCall/>",
                kInvalid, "unknown encoding"}),
    [](const auto& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Structure, MalformedCallTest,
    ::testing::Values(
        BadCase{"ResponseInsteadOfCall",
                "<methodResponse><params><param><value/></param></params></methodResponse>",
                kInvalid, "xmlrpc: expected <methodCall>, got <methodResponse>"},
        BadCase{"UnknownRoot", "<call/>", kInvalid, "expected <methodCall>, got <call>"},
        BadCase{"NoMethodName", "<methodCall><params/></methodCall>", kInvalid,
                "unexpected <params> in <methodCall>"},
        BadCase{"EmptyCall", "<methodCall/>", kInvalid, "<methodCall> lacks <methodName>"},
        BadCase{"TwoMethodNames",
                "<methodCall><methodName>a</methodName><methodName>b</methodName></methodCall>",
                kInvalid, "unexpected <methodName> in <methodCall>"},
        BadCase{"TwoParams",
                "<methodCall><methodName>a</methodName><params/><params/></methodCall>", kInvalid,
                "unexpected <params> in <methodCall>"},
        BadCase{"EmptyMethodName", "<methodCall><methodName></methodName></methodCall>", kInvalid,
                "methodName '' is empty or has a character outside"},
        BadCase{"MethodNameWithSpace", "<methodCall><methodName> a</methodName></methodCall>",
                kInvalid, "methodName ' a'"},
        BadCase{"MethodNameWithDash", "<methodCall><methodName>a-b</methodName></methodCall>",
                kInvalid, "outside A-Z a-z 0-9 _ . : /"},
        BadCase{"ElementInMethodName", "<methodCall><methodName><b>a</b></methodName></methodCall>",
                kInvalid, "unexpected <b> in <methodName>"},
        BadCase{"TextInParams",
                "<methodCall><methodName>a</methodName><params>x</params></methodCall>", kInvalid,
                "unexpected text in <params>"},
        BadCase{"ValueOutsideParam",
                "<methodCall><methodName>a</methodName><params><value/></params></methodCall>",
                kInvalid, "unexpected <value> in <params>"},
        BadCase{"ParamWithoutValue",
                "<methodCall><methodName>a</methodName><params><param/></params></methodCall>",
                kInvalid, "<param> lacks a <value>"},
        BadCase{"ParamWithTwoValues", CallWith("<value>a</value><value>b</value>"), kInvalid,
                "unexpected <value> in <param>"},
        BadCase{"UnknownType", CallWith("<value><integer>1</integer></value>"), kInvalid,
                "unexpected <integer> in <value>"},
        BadCase{"TwoTypes", CallWith("<value><int>1</int><int>2</int></value>"), kInvalid,
                "unexpected <int> in <value>"},
        BadCase{"TextBeforeType", CallWith("<value>x<int>1</int></value>"), kInvalid,
                "<value> mixes text and an element"},
        BadCase{"TextAfterType", CallWith("<value><int>1</int>x</value>"), kInvalid,
                "unexpected text in <value>"},
        BadCase{"ElementInScalar", CallWith("<value><int><i4>1</i4></int></value>"), kInvalid,
                "unexpected <i4> in <int>"},
        BadCase{"NilWithText", CallWith("<value><nil>0</nil></value>"), kInvalid,
                "unexpected text in <nil>"},
        BadCase{"TextInStruct", CallWith("<value><struct>x</struct></value>"), kInvalid,
                "unexpected text in <struct>"},
        BadCase{"ValueInStruct", CallWith("<value><struct><value/></struct></value>"), kInvalid,
                "unexpected <value> in <struct>"},
        BadCase{"MemberWithoutName",
                CallWith("<value><struct><member><value/></member></struct></value>"), kInvalid,
                "unexpected <value> in <member>"},
        BadCase{"MemberWithoutValue",
                CallWith("<value><struct><member><name>a</name></member></struct></value>"),
                kInvalid, "<member> needs a <name> and a <value>"},
        BadCase{"MemberValueBeforeName",
                CallWith("<value><struct><member><value/><name>a</name></member></struct>"
                         "</value>"),
                kInvalid, "unexpected <value> in <member>"},
        BadCase{"MemberWithTwoValues",
                CallWith("<value><struct><member><name>a</name><value/><value/></member>"
                         "</struct></value>"),
                kInvalid, "unexpected <value> in <member>"},
        BadCase{"ElementInName",
                CallWith("<value><struct><member><name><string>a</string></name><value/>"
                         "</member></struct></value>"),
                kInvalid, "unexpected <string> in <name>"},
        BadCase{"DuplicateMember",
                CallWith("<value><struct><member><name>a</name><value>1</value></member>"
                         "<member><name>a</name><value>2</value></member></struct></value>"),
                kInvalid, "duplicate struct member name 'a'"},
        BadCase{
            "DuplicateAmongMany",
            CallWith(absl::StrCat("<value><struct>",
                                  Repeat("<member><name>k</name><value/></member>", 1),
                                  "<member><name>a</name><value/></member>",
                                  "<member><name>b</name><value/></member>",
                                  "<member><name>c</name><value/></member>",
                                  "<member><name>d</name><value/></member>",
                                  "<member><name>e</name><value/></member>",
                                  "<member><name>f</name><value/></member>",
                                  "<member><name>g</name><value/></member>",
                                  "<member><name>h</name><value/></member>",
                                  "<member><name>i</name><value/></member>",
                                  "<member><name>k</name><value/></member>", "</struct></value>")),
            kInvalid, "duplicate struct member name 'k'"},
        BadCase{"ArrayWithoutData", CallWith("<value><array></array></value>"), kInvalid,
                "<array> lacks <data>"},
        BadCase{"ArrayWithValueDirectly", CallWith("<value><array><value/></array></value>"),
                kInvalid, "unexpected <value> in <array>"},
        BadCase{"ArrayWithTwoData", CallWith("<value><array><data/><data/></array></value>"),
                kInvalid, "unexpected <data> in <array>"},
        BadCase{"DataWithScalar",
                CallWith("<value><array><data><int>1</int></data></array>"
                         "</value>"),
                kInvalid, "unexpected <int> in <data>"},
        BadCase{"TextInData", CallWith("<value><array><data>1</data></array></value>"), kInvalid,
                "unexpected text in <data>"}),
    [](const auto& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Scalars, MalformedCallTest,
    ::testing::Values(
        BadCase{"IntNotANumber", CallWith("<value><int>12a</int></value>"), kInvalid,
                "xmlrpc: bad <int> '12a'"},
        BadCase{"IntEmpty", CallWith("<value><int></int></value>"), kInvalid, "bad <int> ''"},
        BadCase{"IntFraction", CallWith("<value><int>1.0</int></value>"), kInvalid,
                "bad <int> '1.0'"},
        BadCase{"IntOverflow", CallWith("<value><int>2147483648</int></value>"), kInvalid,
                "xmlrpc: <int> '2147483648' out of range"},
        BadCase{"I4Underflow", CallWith("<value><i4>-2147483649</i4></value>"), kInvalid,
                "<i4> '-2147483649' out of range"},
        BadCase{"I8Overflow", CallWith("<value><i8>9223372036854775808</i8></value>"), kInvalid,
                "<i8> '9223372036854775808' out of range"},
        BadCase{"BooleanTwo", CallWith("<value><boolean>2</boolean></value>"), kInvalid,
                "xmlrpc: bad <boolean> '2'"},
        BadCase{"BooleanWord", CallWith("<value><boolean>true</boolean></value>"), kInvalid,
                "bad <boolean> 'true'"},
        BadCase{"DoubleWord", CallWith("<value><double>abc</double></value>"), kInvalid,
                "xmlrpc: bad <double> 'abc'"},
        BadCase{"DoubleInfinity", CallWith("<value><double>inf</double></value>"), kInvalid,
                "bad <double> 'inf'"},
        BadCase{"DoubleNan", CallWith("<value><double>nan</double></value>"), kInvalid,
                "bad <double> 'nan'"},
        BadCase{"DoubleOverflow", CallWith("<value><double>1e999</double></value>"), kInvalid,
                "<double> '1e999' out of range"},
        BadCase{"Base64Character", CallWith("<value><base64>AA!=</base64></value>"), kInvalid,
                "xmlrpc: bad <base64>: invalid character at offset 2"},
        BadCase{"Base64Length", CallWith("<value><base64>AAE</base64></value>"), kInvalid,
                "bad <base64>: length is not a multiple of 4"},
        BadCase{"DateTimeShort",
                CallWith("<value><dateTime.iso8601>2026-01-25</dateTime.iso8601></value>"),
                kInvalid, "xmlrpc: bad dateTime.iso8601 '2026-01-25'"},
        BadCase{"DateTimeMonth",
                CallWith("<value><dateTime.iso8601>20261325T00:00:00</dateTime.iso8601></value>"),
                kInvalid, "month out of range"},
        BadCase{"ApacheFloat", CallWith("<value><ex:float>1.5</ex:float></value>"),
                absl::StatusCode::kUnimplemented,
                "xmlrpc: extension type <ex:float> is not supported"},
        BadCase{"ApacheI1", CallWith("<value><i1>1</i1></value>"), absl::StatusCode::kUnimplemented,
                "extension type <i1>"},
        BadCase{"ApacheDom", CallWith("<value><ex:dom><a/></ex:dom></value>"),
                absl::StatusCode::kUnimplemented, "extension type <ex:dom>"}),
    [](const auto& info) { return std::string(info.param.name); });

// An entity-expansion bomb: each level expands to ten of the one below (10^9 "lol"s).
constexpr absl::string_view kBillionLaughs =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE lolz [\n"
    " <!ENTITY lol \"lol\">\n"
    " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
    " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
    " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
    " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
    " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
    " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
    " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
    " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
    " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
    "]>\n"
    "<methodCall><methodName>a</methodName><params><param><value>&lol9;</value></param>"
    "</params></methodCall>";

INSTANTIATE_TEST_SUITE_P(
    Security, MalformedCallTest,
    ::testing::Values(
        BadCase{"Doctype", "<!DOCTYPE methodCall><methodCall/>", kInvalid,
                "xmlrpc: DOCTYPE is not allowed"},
        BadCase{"BillionLaughs", std::string(kBillionLaughs), kInvalid, "DOCTYPE is not allowed"},
        BadCase{"ExternalEntity",
                "<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY xxe SYSTEM "
                "\"file:///etc/passwd\">]><methodCall><methodName>a</methodName><params><param>"
                "<value>&xxe;</value></param></params></methodCall>",
                kInvalid, "DOCTYPE is not allowed"},
        BadCase{"ExternalDtd",
                "<!DOCTYPE methodCall SYSTEM \"http://127.0.0.1:1/x.dtd\"><methodCall/>", kInvalid,
                "DOCTYPE is not allowed"},
        BadCase{"ParameterEntity",
                "<!DOCTYPE m [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]><methodCall/>",
                kInvalid, "DOCTYPE is not allowed"},
        BadCase{"EntityWithoutDoctype", CallWith("<value>&xxe;</value>"), kInvalid,
                "undefined entity"}),
    [](const auto& info) { return std::string(info.param.name); });

class MalformedResponseTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(MalformedResponseTest, IsRefusedWithAPreciseError) {
  XmlRpcDecoder decoder;
  MethodResponse response;
  const BadCase& c = GetParam();
  EXPECT_THAT(decoder.ParseResponse(c.body, response), StatusIs(c.code, HasSubstr(c.message)));
}

std::string FaultWith(absl::string_view members) {
  return absl::StrCat("<methodResponse><fault><value><struct>", members,
                      "</struct></value></fault></methodResponse>");
}

constexpr absl::string_view kCode =
    "<member><name>faultCode</name><value><int>4</int></value>"
    "</member>";
constexpr absl::string_view kString =
    "<member><name>faultString</name><value><string>x</string></value></member>";

INSTANTIATE_TEST_SUITE_P(
    Responses, MalformedResponseTest,
    ::testing::Values(
        BadCase{"CallInsteadOfResponse", "<methodCall><methodName>a</methodName></methodCall>",
                kInvalid, "expected <methodResponse>, got <methodCall>"},
        BadCase{"Empty", "<methodResponse/>", kInvalid,
                "<methodResponse> holds neither <params> nor <fault>"},
        BadCase{"NoParam", "<methodResponse><params/></methodResponse>", kInvalid,
                "a methodResponse has exactly one <param>"},
        BadCase{"TwoParams",
                "<methodResponse><params><param><value/></param><param><value/></param>"
                "</params></methodResponse>",
                kInvalid, "a methodResponse has exactly one <param>"},
        BadCase{"ParamsAndFault",
                "<methodResponse><params><param><value/></param></params><fault/>"
                "</methodResponse>",
                kInvalid, "unexpected <fault> in <methodResponse>"},
        BadCase{"FaultWithoutValue", "<methodResponse><fault/></methodResponse>", kInvalid,
                "<fault> lacks a <value>"},
        BadCase{"FaultNotStruct",
                "<methodResponse><fault><value>oops</value></fault></methodResponse>", kInvalid,
                "a <fault> holds a <struct> of exactly an int faultCode and a string "
                "faultString"},
        BadCase{"FaultWithoutString", FaultWith(kCode), kInvalid, "a <fault> holds"},
        BadCase{"FaultWithExtraMember",
                FaultWith(absl::StrCat(kCode, kString, "<member><name>x</name><value/></member>")),
                kInvalid, "a <fault> holds"},
        BadCase{"FaultCodeNotInt",
                FaultWith(absl::StrCat("<member><name>faultCode</name><value>4</value></member>",
                                       kString)),
                kInvalid, "a <fault> holds"},
        BadCase{"FaultCodeTooWide",
                FaultWith(absl::StrCat(
                    "<member><name>faultCode</name><value><i8>4294967296</i8></value></member>",
                    kString)),
                kInvalid, "a <fault> holds"},
        BadCase{"FaultStringNotString",
                FaultWith(absl::StrCat(
                    kCode, "<member><name>faultString</name><value><int>1</int></value></member>")),
                kInvalid, "a <fault> holds"}),
    [](const auto& info) { return std::string(info.param.name); });

// --- Limits ------------------------------------------------------------------------------------

TEST(XmlRpcDecoderLimitsTest, RefusesABodyOverTheLimitBeforeParsing) {
  XmlRpcLimits limits;
  const std::string body = CallWith("<value>x</value>");
  limits.max_body_bytes = static_cast<uint32_t>(body.size());
  XmlRpcDecoder decoder(limits);
  MethodCall call;
  EXPECT_THAT(decoder.ParseCall(body, call), IsOk());
  EXPECT_THAT(decoder.ParseCall(body + " ", call),
              StatusIs(kExhausted, absl::StrCat("xmlrpc: body of ", body.size() + 1,
                                                " bytes exceeds ", body.size())));
}

TEST(XmlRpcDecoderLimitsTest, CapsNestingDepth) {
  XmlRpcLimits limits;
  limits.max_depth = 5;
  XmlRpcDecoder decoder(limits);
  MethodCall call;
  EXPECT_THAT(decoder.ParseCall(CallWith(NestedArrays(5)), call), IsOk());
  EXPECT_THAT(decoder.ParseCall(CallWith(NestedArrays(6)), call),
              StatusIs(kExhausted, "xmlrpc: arrays and structs nest deeper than 5"));
  const std::string structs = absl::StrCat(Repeat("<value><struct><member><name>a</name>", 6),
                                           "<value/>", Repeat("</member></struct></value>", 6));
  EXPECT_THAT(decoder.ParseCall(CallWith(structs), call), StatusIs(kExhausted));
}

TEST(XmlRpcDecoderLimitsTest, SurvivesVeryDeepNestingWithDefaultLimits) {
  XmlRpcDecoder decoder;
  MethodCall call;
  EXPECT_THAT(decoder.ParseCall(CallWith(NestedArrays(50000)), call),
              StatusIs(kExhausted, "xmlrpc: arrays and structs nest deeper than 64"));
  // Deep nesting of elements XML-RPC does not know stops at the first one.
  const std::string unknown = absl::StrCat(Repeat("<a>", 100000), Repeat("</a>", 100000));
  EXPECT_THAT(decoder.ParseCall(CallWith(absl::StrCat("<value>", unknown, "</value>")), call),
              StatusIs(kInvalid, "xmlrpc: unexpected <a> in <value>"));
}

TEST(XmlRpcDecoderLimitsTest, CapsTheNumberOfValues) {
  XmlRpcLimits limits;
  limits.max_values = 10;
  XmlRpcDecoder decoder(limits);
  MethodCall call;
  // One param holding an array of 9: 10 values.
  const std::string nine = absl::StrCat("<value><array><data>", Repeat("<value>1</value>", 9),
                                        "</data></array></value>");
  EXPECT_THAT(decoder.ParseCall(CallWith(nine), call), IsOk());
  const std::string ten = absl::StrCat("<value><array><data>", Repeat("<value>1</value>", 10),
                                       "</data></array></value>");
  EXPECT_THAT(decoder.ParseCall(CallWith(ten), call),
              StatusIs(kExhausted, "xmlrpc: more than 10 values"));
  const std::string params =
      absl::StrCat("<methodCall><methodName>a</methodName><params>",
                   Repeat("<param><value/></param>", 11), "</params></methodCall>");
  EXPECT_THAT(decoder.ParseCall(params, call), StatusIs(kExhausted));
}

TEST(XmlRpcDecoderLimitsTest, CapsTheDefaultValueCountOnAFloodOfValues) {
  XmlRpcDecoder decoder;
  MethodCall call;
  const std::string flood =
      absl::StrCat("<value><array><data>", Repeat("<value/>", 70000), "</data></array></value>");
  EXPECT_THAT(decoder.ParseCall(CallWith(flood), call),
              StatusIs(kExhausted, "xmlrpc: more than 65536 values"));
}

TEST(XmlRpcDecoderLimitsTest, CapsTextLength) {
  XmlRpcLimits limits;
  limits.max_string_bytes = 8;
  XmlRpcDecoder decoder(limits);
  MethodCall call;
  EXPECT_THAT(decoder.ParseCall(CallWith("<value><string>12345678</string></value>"), call),
              IsOk());
  EXPECT_THAT(decoder.ParseCall(CallWith("<value><string>123456789</string></value>"), call),
              StatusIs(kExhausted, "xmlrpc: text of <string> exceeds 8 bytes"));
  // Entities count once decoded: eight "&amp;" are 8 bytes.
  EXPECT_THAT(
      decoder.ParseCall(CallWith(absl::StrCat("<value>", Repeat("&amp;", 8), "</value>")), call),
      IsOk());
  EXPECT_THAT(decoder.ParseCall(CallWith("<value>123456789</value>"), call),
              StatusIs(kExhausted, "xmlrpc: text of <value> exceeds 8 bytes"));
  EXPECT_THAT(decoder.ParseCall(CallWith("<value><struct><member><name>123456789</name><value/>"
                                         "</member></struct></value>"),
                                call),
              StatusIs(kExhausted, "xmlrpc: text of <name> exceeds 8 bytes"));
  EXPECT_THAT(decoder.ParseCall(CallWith("<value><base64>AAAA\nAAAA\n</base64></value>"), call),
              StatusIs(kExhausted, "xmlrpc: text of <base64> exceeds 8 bytes"));
}

TEST(XmlRpcDecoderLimitsTest, CapsMethodNameLength) {
  XmlRpcLimits limits;
  limits.max_method_name_bytes = 4;
  XmlRpcDecoder decoder(limits);
  MethodCall call;
  EXPECT_THAT(decoder.ParseCall("<methodCall><methodName>abcd</methodName></methodCall>", call),
              IsOk());
  EXPECT_THAT(decoder.ParseCall("<methodCall><methodName>abcde</methodName></methodCall>", call),
              StatusIs(kExhausted, "xmlrpc: text of <methodName> exceeds 4 bytes"));
}

TEST(XmlRpcDecoderLimitsTest, RefusesBillionLaughsQuickly) {
  // Refused at the DOCTYPE, before any entity is declared, let alone expanded.
  XmlRpcDecoder decoder;
  MethodCall call;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_THAT(decoder.ParseCall(kBillionLaughs, call), StatusIs(kInvalid));
  }
}

// Not well-formed XML and well-formed XML that is not XML-RPC are told apart (the gateway's
// -32700 and -32600 faults).
TEST(IsMalformedXmlTest, TellsBadXmlFromBadXmlRpc) {
  XmlRpcDecoder decoder;
  MethodCall call;
  EXPECT_TRUE(IsMalformedXml(decoder.ParseCall("<methodCall><methodName>a</methodCall>", call)));
  EXPECT_TRUE(IsMalformedXml(decoder.ParseCall("<methodCall>&xxe;</methodCall>", call)));
  EXPECT_FALSE(IsMalformedXml(decoder.ParseCall("<?xml version=\"1.0\"?><methodResponse/>", call)));
  EXPECT_FALSE(IsMalformedXml(decoder.ParseCall(
      "<methodCall><methodName>a</methodName><params><param><value><boolean>2</boolean>"
      "</value></param></params></methodCall>",
      call)));
  EXPECT_FALSE(IsMalformedXml(absl::OkStatus()));
}

}  // namespace
}  // namespace weft::protocols::xmlrpc
