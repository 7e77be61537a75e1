#include "gateways/http/xmlrpc_mapping.h"

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <new>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "demo/calculator.pb.h"
#include "demo/greeter.pb.h"
#include "gateways/http/testdata/xmlrpc_mapping_test.pb.h"
#include "gateways/http/testdata/xmlrpc_mapping_test_proto2.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "protocols/xmlrpc/xmlrpc_decoder.h"
#include "protocols/xmlrpc/xmlrpc_encoder.h"
#include "protocols/xmlrpc/xmlrpc_types.h"
#include "tests/testing/status_matchers.h"

// Counts operator new while `counting` is set, for the steady-state allocation test below.
namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) std::abort();
  return p;
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace weft::gateways::http {
namespace {

namespace pb = google::protobuf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::weft::gateways::http::testdata::AllTypes;
using ::weft::gateways::http::testdata::Inner;
using ::weft::gateways::http::testdata::Legacy;
using ::weft::gateways::http::testdata::Small;
using ::weft::protocols::xmlrpc::MethodCall;
using ::weft::protocols::xmlrpc::MethodResponse;
using ::weft::protocols::xmlrpc::ValueRef;
using ::weft::protocols::xmlrpc::ValueTree;
using ::weft::protocols::xmlrpc::ValueType;
using ::weft::protocols::xmlrpc::ValueWriter;
using ::weft::protocols::xmlrpc::XmlRpcDecoder;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

// Exactly what Python 3.11 sends for ServerProxy(url).demo.Calculator.Add(1, 2).
constexpr absl::string_view kPythonAdd =
    "<?xml version='1.0'?>\n<methodCall>\n<methodName>demo.Calculator.Add</methodName>\n"
    "<params>\n<param>\n<value><int>1</int></value>\n</param>\n<param>\n"
    "<value><int>2</int></value>\n</param>\n</params>\n</methodCall>\n";

// A <param> per value, each given as the XML inside <value>.
std::string Params(std::initializer_list<absl::string_view> values) {
  std::string xml;
  for (absl::string_view value : values)
    absl::StrAppend(&xml, "<param><value>", value, "</value></param>");
  return xml;
}

// One struct param with these members, each "<member>...</member>" given as name and XML value.
std::string StructParam(std::initializer_list<std::pair<absl::string_view, absl::string_view>> m) {
  std::string xml = "<param><value><struct>";
  for (const auto& [name, value] : m) {
    absl::StrAppend(&xml, "<member><name>", name, "</name><value>", value, "</value></member>");
  }
  absl::StrAppend(&xml, "</struct></value></param>");
  return xml;
}

bool Equal(const pb::Message& a, const pb::Message& b) {
  return pb::util::MessageDifferencer::Equals(a, b);
}

class XmlRpcMappingTest : public ::testing::Test {
 protected:
  // Decodes a methodCall with these <param>s with the real decoder, then maps its params.
  absl::Status Map(absl::string_view params_xml, pb::Message& out) {
    const std::string body =
        absl::StrCat("<?xml version=\"1.0\"?><methodCall><methodName>t.M", "</methodName><params>",
                     params_xml, "</params></methodCall>");
    return MapBody(body, out);
  }
  absl::Status MapBody(absl::string_view body, pb::Message& out) {
    if (absl::Status s = decoder_.ParseCall(body, call_); !s.ok()) return s;
    return XmlRpcParamsToMessage(call_.params(), out);
  }

  // `message` as one <value>, or the mapping's error.
  static absl::StatusOr<std::string> Written(const pb::Message& message) {
    std::string out;
    ValueWriter writer(out);
    if (absl::Status s = WriteMessageAsXmlRpc(message, writer); !s.ok()) return s;
    if (!writer.status().ok()) return writer.status();
    return out;
  }

  // Writes `message` as a whole methodResponse and parses it back into response_.
  absl::Status WriteAndDecode(const pb::Message& message) {
    std::string body;
    protocols::xmlrpc::AppendResponseBegin(body);
    ValueWriter writer(body);
    if (absl::Status s = WriteMessageAsXmlRpc(message, writer); !s.ok()) return s;
    protocols::xmlrpc::AppendResponseEnd(body);
    return decoder_.ParseResponse(body, response_);
  }

  // Writes `in` as a response, sends the returned struct back as the one param of a call
  // (EncodeCall, then ParseCall: real bytes both ways) and maps it into `out`.
  absl::Status RoundTrip(const pb::Message& in, pb::Message& out) {
    if (absl::Status s = WriteAndDecode(in); !s.ok()) return s;
    ValueTree params;
    params.BeginArray();
    params.AddCopy(response_.value());
    params.End();
    std::string body;
    if (absl::Status s = protocols::xmlrpc::EncodeCall("t.Echo", params.root(), body); !s.ok()) {
      return s;
    }
    return MapBody(body, out);
  }

  XmlRpcDecoder decoder_;
  MethodCall call_;
  MethodResponse response_;
};

// --- XML-RPC -> protobuf: the demo services and Python's shapes ---------------------------------

TEST_F(XmlRpcMappingTest, MapsPythonsPositionalAddCall) {
  demo::AddRequest request;
  ASSERT_THAT(MapBody(kPythonAdd, request), IsOk());
  EXPECT_EQ(request.a(), 1);
  EXPECT_EQ(request.b(), 2);
}

TEST_F(XmlRpcMappingTest, MapsOneStructParamByFieldName) {
  demo::AddRequest request;
  ASSERT_THAT(Map(StructParam({{"b", "<i8>5000000000</i8>"}, {"a", "<i4>-3</i4>"}}), request),
              IsOk());
  EXPECT_EQ(request.a(), -3);
  EXPECT_EQ(request.b(), 5000000000);
}

TEST_F(XmlRpcMappingTest, AcceptsUntypedStringsAndI4AsPythonAndOthersSend) {
  demo::HelloRequest hello;
  ASSERT_THAT(Map(Params({"Ann"}), hello), IsOk());  // <value>Ann</value>: a string.
  EXPECT_EQ(hello.name(), "Ann");

  AllTypes all;
  ASSERT_THAT(
      Map(Params({"<i4>7</i4>", "<int>8</int>", "<i4>9</i4>", "<nil/>", "<i4>-1</i4>"}), all),
      IsOk());
  EXPECT_EQ(all.f_int32(), 7);
  EXPECT_EQ(all.f_int64(), 8);
  EXPECT_EQ(all.f_uint32(), 9u);
  EXPECT_EQ(all.f_uint64(), 0u);
  EXPECT_EQ(all.f_sint32(), -1);
}

TEST_F(XmlRpcMappingTest, MapsPythonsDateTimeBase64AndNil) {
  // What Python sends for datetime(2026, 1, 7, 10, 20, 30), Binary(b"\0\1\2" * 30) (base64
  // wrapped at 76 characters) and None.
  std::string bytes;
  std::string base64 = "<base64>\n";
  for (int i = 0; i < 30; ++i) {
    bytes.append("\0\1\2", 3);
    base64.append(i == 18 ? "AAEC\n" : "AAEC");
  }
  base64.append("\n</base64>");
  AllTypes all;
  ASSERT_THAT(Map(StructParam({{"when", "<dateTime.iso8601>20260107T10:20:30</dateTime.iso8601>"},
                               {"f_bytes", base64},
                               {"inner", "<nil/>"}}),
                  all),
              IsOk());
  EXPECT_EQ(all.when().seconds(), 1767781230);  // 2026-01-07T10:20:30Z
  EXPECT_EQ(all.when().nanos(), 0);
  EXPECT_EQ(all.f_bytes(), bytes);
  EXPECT_FALSE(all.has_inner());
}

TEST_F(XmlRpcMappingTest, AcceptsJsonAndLowerCamelNames) {
  AllTypes all;
  ASSERT_THAT(Map(StructParam({{"fInt32", "<int>5</int>"},
                               {"optString", "<string>x</string>"},
                               {"customJsonName", "<string>c</string>"},
                               {"f_bool", "<boolean>1</boolean>"}}),
                  all),
              IsOk());
  EXPECT_EQ(all.f_int32(), 5);
  EXPECT_EQ(all.opt_string(), "x");
  EXPECT_EQ(all.custom(), "c");
  EXPECT_TRUE(all.f_bool());
}

TEST_F(XmlRpcMappingTest, FindsProtoJsonAndCamelNamesInSmallMessagesToo) {
  Small small;
  ASSERT_THAT(Map(StructParam({{"snakeCase", "<int>1</int>"}, {"renamed", "r"}}), small), IsOk());
  EXPECT_EQ(small.snake_case(), 1);
  EXPECT_EQ(small.other(), "r");
  ASSERT_THAT(Map(StructParam({{"snake_case", "<int>2</int>"}, {"other", "o"}}), small), IsOk());
  EXPECT_EQ(small.snake_case(), 2);
  EXPECT_EQ(small.other(), "o");
  EXPECT_THAT(
      Map(StructParam({{"snake_case", "<int>1</int>"}, {"snakeCase", "<int>2</int>"}}), small),
      StatusIs(kInvalid,
               "xmlrpc: field snake_case: given twice (by its proto and its "
               "JSON name)"));
  EXPECT_THAT(Map(StructParam({{"Other", "o"}}), small),
              StatusIs(kInvalid,
                       "xmlrpc: member 'Other' is not a field of "
                       "weft.gateways.http.testdata.Small"));
}

TEST_F(XmlRpcMappingTest, MapsEveryScalarType) {
  AllTypes all;
  ASSERT_THAT(Map(StructParam({
                      {"f_int32", "<int>-2147483648</int>"},
                      {"f_int64", "<string>-9223372036854775808</string>"},
                      {"f_uint32", "<i8>4294967295</i8>"},
                      {"f_uint64", "<string>18446744073709551615</string>"},
                      {"f_sint32", "<i8>2147483647</i8>"},
                      {"f_sint64", "<i8>-5000000000</i8>"},
                      {"f_fixed32", "<string>4000000000</string>"},
                      {"f_fixed64", "<i8>9223372036854775807</i8>"},
                      {"f_sfixed32", "<int>-5</int>"},
                      {"f_sfixed64", "<string>123</string>"},
                      {"f_float", "<int>3</int>"},
                      {"f_double", "<double>-0.25</double>"},
                      {"f_bool", "<boolean>0</boolean>"},
                      {"f_string", "<string>h\xC3\xA9llo &amp; &lt;bye&gt;</string>"},
                      {"f_bytes", "<base64>AP8=</base64>"},
                  }),
                  all),
              IsOk());
  EXPECT_EQ(all.f_int32(), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(all.f_int64(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(all.f_uint32(), std::numeric_limits<uint32_t>::max());
  EXPECT_EQ(all.f_uint64(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(all.f_sint32(), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(all.f_sint64(), -5000000000);
  EXPECT_EQ(all.f_fixed32(), 4000000000u);
  EXPECT_EQ(all.f_fixed64(), uint64_t{9223372036854775807u});
  EXPECT_EQ(all.f_sfixed32(), -5);
  EXPECT_EQ(all.f_sfixed64(), 123);
  EXPECT_EQ(all.f_float(), 3.0f);
  EXPECT_EQ(all.f_double(), -0.25);
  EXPECT_FALSE(all.f_bool());
  EXPECT_EQ(all.f_string(), "h\xC3\xA9llo & <bye>");
  EXPECT_EQ(all.f_bytes(), std::string("\0\xFF", 2));
}

TEST_F(XmlRpcMappingTest, MapsEnumsByNameOrNumber) {
  AllTypes all;
  ASSERT_THAT(Map(StructParam({{"color", "<string>COLOR_GREEN</string>"},
                               {"colors",
                                "<array><data><value>COLOR_RED</value><value><int>2</int>"
                                "</value><value><int>99</int></value></data></array>"}}),
                  all),
              IsOk());
  EXPECT_EQ(all.color(), testdata::COLOR_GREEN);
  ASSERT_EQ(all.colors_size(), 3);
  EXPECT_EQ(all.colors(0), testdata::COLOR_RED);
  EXPECT_EQ(all.colors(1), testdata::COLOR_GREEN);
  EXPECT_EQ(all.colors(2), 99);  // Open enum: an undeclared number is kept.

  Legacy legacy;
  ASSERT_THAT(Map(Params({"<int>1</int>"}), legacy), IsOk());
  EXPECT_EQ(legacy.closed(), testdata::CLOSED_ONE);
  EXPECT_FALSE(legacy.has_number());
}

TEST_F(XmlRpcMappingTest, MapsNestedRepeatedAndMapFields) {
  AllTypes all;
  ASSERT_THAT(Map(StructParam({
                      {"inner",
                       "<struct><member><name>label</name><value>a</value></member><member>"
                       "<name>child</name><value><struct><member><name>count</name><value>"
                       "<int>4</int></value></member></struct></value></member></struct>"},
                      {"numbers",
                       "<array><data><value><int>1</int></value><value><int>2</int></value>"
                       "</data></array>"},
                      {"names", "<array><data></data></array>"},
                      {"inners",
                       "<array><data><value><struct></struct></value><value><struct><member>"
                       "<name>count</name><value><int>3</int></value></member></struct>"
                       "</value></data></array>"},
                      {"counts",
                       "<struct><member><name>x</name><value><string>12</string></value>"
                       "</member><member><name>y</name><value><int>-1</int></value></member>"
                       "</struct>"},
                      {"by_id",
                       "<struct><member><name>-7</name><value><struct><member><name>label"
                       "</name><value>seven</value></member></struct></value></member>"
                       "</struct>"},
                      {"flags",
                       "<struct><member><name>true</name><value>on</value></member><member>"
                       "<name>false</name><value>off</value></member></struct>"},
                      {"by_u64",
                       "<struct><member><name>18446744073709551615</name><value>max</value>"
                       "</member></struct>"},
                  }),
                  all),
              IsOk());
  EXPECT_EQ(all.inner().label(), "a");
  EXPECT_EQ(all.inner().child().count(), 4);
  EXPECT_THAT(all.numbers(), ElementsAre(1, 2));
  EXPECT_EQ(all.names_size(), 0);
  ASSERT_EQ(all.inners_size(), 2);
  EXPECT_EQ(all.inners(1).count(), 3);
  EXPECT_EQ(all.counts().at("x"), 12);
  EXPECT_EQ(all.counts().at("y"), -1);
  EXPECT_EQ(all.by_id().at(-7).label(), "seven");
  EXPECT_EQ(all.flags().at(true), "on");
  EXPECT_EQ(all.flags().at(false), "off");
  EXPECT_EQ(all.by_u64().at(std::numeric_limits<uint64_t>::max()), "max");
}

TEST_F(XmlRpcMappingTest, MapsWrappersFromTheirScalarsAndNilToUnset) {
  AllTypes all;
  ASSERT_THAT(Map(StructParam({{"w_int32", "<int>-4</int>"},
                               {"w_int64", "<string>-5000000000</string>"},
                               {"w_uint32", "<int>6</int>"},
                               {"w_uint64", "<string>18446744073709551615</string>"},
                               {"w_float", "<double>1.5</double>"},
                               {"w_double", "<int>2</int>"},
                               {"w_bool", "<boolean>0</boolean>"},
                               {"w_string", "<string></string>"},
                               {"w_bytes", "<nil/>"}}),
                  all),
              IsOk());
  EXPECT_EQ(all.w_int32().value(), -4);
  EXPECT_EQ(all.w_int64().value(), -5000000000);
  EXPECT_EQ(all.w_uint32().value(), 6u);
  EXPECT_EQ(all.w_uint64().value(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(all.w_float().value(), 1.5f);
  EXPECT_EQ(all.w_double().value(), 2.0);
  ASSERT_TRUE(all.has_w_bool());
  EXPECT_FALSE(all.w_bool().value());
  ASSERT_TRUE(all.has_w_string());
  EXPECT_FALSE(all.has_w_bytes());
}

TEST_F(XmlRpcMappingTest, NilLeavesFieldsUnsetAndOptionalKeepsPresence) {
  AllTypes all;
  ASSERT_THAT(Map(StructParam({{"opt_int32", "<int>0</int>"},
                               {"opt_string", "<nil/>"},
                               {"f_int64", "<nil/>"},
                               {"numbers", "<nil/>"},
                               {"when", "<nil/>"},
                               {"choice_id", "<int>0</int>"}}),
                  all),
              IsOk());
  EXPECT_TRUE(all.has_opt_int32());
  EXPECT_FALSE(all.has_opt_string());
  EXPECT_EQ(all.numbers_size(), 0);
  EXPECT_FALSE(all.has_when());
  EXPECT_EQ(all.choice_case(), AllTypes::kChoiceId);
}

TEST_F(XmlRpcMappingTest, MapsDateTimeZonesFractionsAndStructTimestamps) {
  AllTypes all;
  ASSERT_THAT(Map(StructParam({{"when",
                                "<dateTime.iso8601>2026-01-07T12:20:30.25+02:00"
                                "</dateTime.iso8601>"},
                               {"times",
                                "<array><data><value><dateTime.iso8601>"
                                "19691231T23:59:59</dateTime.iso8601></value><value>"
                                "<struct><member><name>seconds</name><value><int>5"
                                "</int></value></member><member><name>nanos</name>"
                                "<value><int>6</int></value></member></struct></value>"
                                "<value><dateTime.iso8601>00010101T00:00:00Z"
                                "</dateTime.iso8601></value></data></array>"}}),
                  all),
              IsOk());
  EXPECT_EQ(all.when().seconds(), 1767781230);  // 10:20:30 UTC
  EXPECT_EQ(all.when().nanos(), 250000000);
  ASSERT_EQ(all.times_size(), 3);
  EXPECT_EQ(all.times(0).seconds(), -1);
  EXPECT_EQ(all.times(1).seconds(), 5);
  EXPECT_EQ(all.times(1).nanos(), 6);
  EXPECT_EQ(all.times(2).seconds(), -62135596800);
}

TEST_F(XmlRpcMappingTest, ClearsTheMessageFirst) {
  demo::AddRequest request;
  request.set_a(10);
  request.set_b(20);
  ASSERT_THAT(Map(Params({"<int>1</int>"}), request), IsOk());
  EXPECT_EQ(request.a(), 1);
  EXPECT_EQ(request.b(), 0);
}

// --- XML-RPC -> protobuf: errors ----------------------------------------------------------------

TEST_F(XmlRpcMappingTest, RejectsWrongTypesNamingTheParam) {
  demo::AddRequest request;
  EXPECT_THAT(
      Map(Params({"<int>1</int>", "<boolean>1</boolean>"}), request),
      StatusIs(kInvalid, "xmlrpc: param 2 (b): expected int or decimal string, got boolean"));
  EXPECT_THAT(Map(Params({"<int>1</int>", "two"}), request),
              StatusIs(kInvalid,
                       "xmlrpc: param 2 (b): string 'two' is not a decimal integer in "
                       "the range of int64"));
  demo::HelloRequest hello;
  EXPECT_THAT(Map(Params({"<int>1</int>"}), hello),
              StatusIs(kInvalid, "xmlrpc: param 1 (name): expected string, got int"));
}

TEST_F(XmlRpcMappingTest, RejectsEveryMismatchedScalarType) {
  struct Case {
    absl::string_view field;
    absl::string_view value;
    absl::string_view message;
  };
  const Case cases[] = {
      {"f_int32", "<string>1</string>", "field f_int32: expected int, got string"},
      {"f_uint64", "<double>1.0</double>",
       "field f_uint64: expected non-negative int or decimal string, got double"},
      {"f_double", "<string>1.5</string>", "field f_double: expected double or int, got string"},
      {"f_bool", "<int>1</int>", "field f_bool: expected boolean, got int"},
      {"f_string", "<base64>AA==</base64>", "field f_string: expected string, got base64"},
      {"f_bytes", "<string>AA==</string>", "field f_bytes: expected base64, got string"},
      {"color", "<boolean>1</boolean>",
       "field color: expected enum name string or int, got boolean"},
      {"inner", "<int>1</int>", "field inner: expected struct, got int"},
      {"when", "<string>20260101T00:00:00</string>",
       "field when: expected dateTime.iso8601 or struct, got string"},
      {"numbers", "<int>1</int>", "field numbers: expected array, got int"},
      {"counts", "<array><data></data></array>", "field counts: expected struct, got array"},
      {"w_int32", "<string>1</string>", "field w_int32: expected int, got string"},
  };
  for (const Case& c : cases) {
    AllTypes all;
    EXPECT_THAT(Map(StructParam({{c.field, c.value}}), all),
                StatusIs(kInvalid, absl::StrCat("xmlrpc: ", c.message)))
        << c.field;
  }
}

TEST_F(XmlRpcMappingTest, RejectsIntsOutOfRange) {
  struct Case {
    absl::string_view field;
    absl::string_view value;
    absl::string_view message;
  };
  const Case cases[] = {
      {"f_int32", "<i8>2147483648</i8>", "field f_int32: int 2147483648 out of range for int32"},
      {"f_sfixed32", "<i8>-2147483649</i8>",
       "field f_sfixed32: int -2147483649 out of range for sfixed32"},
      {"f_uint32", "<int>-1</int>", "field f_uint32: int -1 out of range for uint32"},
      {"f_fixed32", "<i8>4294967296</i8>",
       "field f_fixed32: int 4294967296 out of range for fixed32"},
      {"f_uint64", "<i8>-1</i8>", "field f_uint64: int -1 out of range for uint64"},
      {"f_uint64", "<string>-1</string>",
       "field f_uint64: string '-1' is not a decimal integer in the range of uint64"},
      {"f_int64", "<string>9223372036854775808</string>",
       "field f_int64: string '9223372036854775808' is not a decimal integer in the range of "
       "int64"},
      {"f_int64", "<string> 1</string>",
       "field f_int64: string ' 1' is not a decimal integer in the range of int64"},
      {"f_int64", "<string></string>",
       "field f_int64: string '' is not a decimal integer in the range of int64"},
      {"f_float", "<double>1e300</double>", "field f_float: double 1e+300 out of range for float"},
      {"color", "<i8>2147483648</i8>",
       "field color: int 2147483648 out of range for enum weft.gateways.http.testdata.Color"},
  };
  for (const Case& c : cases) {
    AllTypes all;
    EXPECT_THAT(Map(StructParam({{c.field, c.value}}), all),
                StatusIs(kInvalid, absl::StrCat("xmlrpc: ", c.message)))
        << c.field << " " << c.value;
  }
}

TEST_F(XmlRpcMappingTest, RejectsUnknownEnumNamesAndClosedEnumNumbers) {
  AllTypes all;
  EXPECT_THAT(Map(StructParam({{"color", "COLOR_BLUE"}}), all),
              StatusIs(kInvalid,
                       "xmlrpc: field color: 'COLOR_BLUE' is not a value of enum "
                       "weft.gateways.http.testdata.Color"));
  Legacy legacy;
  EXPECT_THAT(Map(Params({"<int>5</int>"}), legacy),
              StatusIs(kInvalid,
                       "xmlrpc: param 1 (closed): 5 is not a value of enum "
                       "weft.gateways.http.testdata.Closed"));
}

TEST_F(XmlRpcMappingTest, RejectsUnknownMembersAtAnyDepth) {
  demo::AddRequest request;
  EXPECT_THAT(Map(StructParam({{"a", "<int>1</int>"}, {"c", "<int>1</int>"}}), request),
              StatusIs(kInvalid, "xmlrpc: member 'c' is not a field of demo.AddRequest"));
  AllTypes all;
  EXPECT_THAT(Map(StructParam({{"inners",
                                "<array><data><value><struct></struct></value><value><struct>"
                                "<member><name>nope</name><value>1</value></member></struct>"
                                "</value></data></array>"}}),
                  all),
              StatusIs(kInvalid,
                       "xmlrpc: field inners[1]: member 'nope' is not a field of "
                       "weft.gateways.http.testdata.Inner"));
}

TEST_F(XmlRpcMappingTest, RejectsMoreParamsThanFields) {
  demo::AddRequest request;
  EXPECT_THAT(Map(Params({"<int>1</int>", "<int>2</int>", "<int>3</int>"}), request),
              StatusIs(kInvalid,
                       "xmlrpc: param 3: 3 params given, demo.AddRequest has only 2 "
                       "fields"));
}

TEST_F(XmlRpcMappingTest, RejectsAFieldGivenTwice) {
  AllTypes all;
  EXPECT_THAT(Map(StructParam({{"f_int32", "<int>1</int>"}, {"fInt32", "<int>2</int>"}}), all),
              StatusIs(kInvalid,
                       "xmlrpc: field f_int32: given twice (by its proto and its JSON "
                       "name)"));
  EXPECT_THAT(Map(StructParam({{"choice_name", "a"}, {"choice_id", "<int>2</int>"}}), all),
              StatusIs(kInvalid,
                       "xmlrpc: field choice_id: oneof choice already set by "
                       "choice_name"));
}

TEST_F(XmlRpcMappingTest, RejectsNilInsideArraysAndMapsAndBadMapKeys) {
  AllTypes all;
  EXPECT_THAT(Map(StructParam({{"numbers",
                                "<array><data><value><int>1</int></value><value>"
                                "<nil/></value></data></array>"}}),
                  all),
              StatusIs(kInvalid, "xmlrpc: field numbers[1]: nil is not allowed in an array"));
  EXPECT_THAT(Map(StructParam({{"numbers",
                                "<array><data><value><int>1</int></value><value>"
                                "x</value></data></array>"}}),
                  all),
              StatusIs(kInvalid, "xmlrpc: field numbers[1]: expected int, got string"));
  EXPECT_THAT(Map(StructParam({{"counts",
                                "<struct><member><name>k</name><value><nil/></value></member>"
                                "</struct>"}}),
                  all),
              StatusIs(kInvalid, "xmlrpc: field counts[\"k\"]: nil is not allowed as a map value"));
  EXPECT_THAT(Map(StructParam({{"counts",
                                "<struct><member><name>k</name><value><double>1.5</double>"
                                "</value></member></struct>"}}),
                  all),
              StatusIs(kInvalid,
                       "xmlrpc: field counts[\"k\"]: expected int or decimal string, got double"));
  EXPECT_THAT(Map(StructParam({{"by_id",
                                "<struct><member><name>x1</name><value><struct>"
                                "</struct></value></member></struct>"}}),
                  all),
              StatusIs(kInvalid, "xmlrpc: field by_id[\"x1\"]: key 'x1' is not a valid int32"));
  EXPECT_THAT(Map(StructParam({{"flags",
                                "<struct><member><name>yes</name><value>y</value>"
                                "</member></struct>"}}),
                  all),
              StatusIs(kInvalid, "xmlrpc: field flags[\"yes\"]: key 'yes' is not a valid bool"));
  EXPECT_THAT(Map(StructParam({{"by_u64",
                                "<struct><member><name>-1</name><value>y</value>"
                                "</member></struct>"}}),
                  all),
              StatusIs(kInvalid, "xmlrpc: field by_u64[\"-1\"]: key '-1' is not a valid uint64"));
}

TEST_F(XmlRpcMappingTest, NamesNestedFieldsUnderAPositionalParam) {
  AllTypes all;
  // Positional: f_int32, ..., inner is field 17.
  std::vector<std::string> values(16, "<nil/>");
  std::string params;
  for (const std::string& v : values) absl::StrAppend(&params, Params({v}));
  absl::StrAppend(&params, Params({"<struct><member><name>child</name><value><struct><member>"
                                   "<name>count</name><value><i8>9999999999</i8></value>"
                                   "</member></struct></value></member></struct>"}));
  EXPECT_THAT(Map(params, all),
              StatusIs(kInvalid,
                       "xmlrpc: param 17 (inner.child.count): int 9999999999 out of "
                       "range for int32"));
}

TEST_F(XmlRpcMappingTest, BadBase64AndDatesFailInTheDecoderOrTheMapping) {
  AllTypes all;
  EXPECT_THAT(Map(StructParam({{"f_bytes", "<base64>A*==</base64>"}}), all),
              StatusIs(kInvalid, HasSubstr("base64")));
  EXPECT_THAT(
      Map(StructParam({{"when", "<dateTime.iso8601>20261301T00:00:00</dateTime.iso8601>"}}), all),
      StatusIs(kInvalid, HasSubstr("dateTime")));
  // Valid for XML-RPC (year 0) but before Timestamp's range.
  EXPECT_THAT(
      Map(StructParam({{"when", "<dateTime.iso8601>00001231T23:59:59</dateTime.iso8601>"}}), all),
      StatusIs(kInvalid,
               "xmlrpc: field when: dateTime '00001231T23:59:59' is outside "
               "google.protobuf.Timestamp's years 0001 to 9999"));
  EXPECT_THAT(Map(StructParam({{"when",
                                "<dateTime.iso8601>99991231T23:59:59-01:00"
                                "</dateTime.iso8601>"}}),
                  all),
              StatusIs(kInvalid, HasSubstr("outside google.protobuf.Timestamp's years")));
}

// A params array holding one Inner struct nested `levels` deep through `child`, built by hand
// (the decoder itself refuses more than 64 levels).
void BuildNested(int levels, ValueTree& tree) {
  tree.BeginArray();
  for (int i = 0; i < levels; ++i) {
    tree.BeginStruct();
    if (i + 1 < levels) tree.AddMember("child");
  }
  for (int i = 0; i < levels; ++i) tree.End();
  tree.End();
}

TEST_F(XmlRpcMappingTest, StopsAtTheNestingLimit) {
  ValueTree at_limit;
  BuildNested(kMaxXmlRpcMappingDepth, at_limit);
  Inner inner;
  ASSERT_THAT(XmlRpcParamsToMessage(at_limit.root(), inner), IsOk());
  int depth = 1;
  for (const Inner* m = &inner; m->has_child(); m = &m->child()) ++depth;
  EXPECT_EQ(depth, kMaxXmlRpcMappingDepth);

  ValueTree too_deep;
  BuildNested(kMaxXmlRpcMappingDepth + 1, too_deep);
  EXPECT_THAT(XmlRpcParamsToMessage(too_deep.root(), inner),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("nesting deeper than 64")));
  ValueTree far_too_deep;
  BuildNested(10000, far_too_deep);
  EXPECT_THAT(XmlRpcParamsToMessage(far_too_deep.root(), inner),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

// --- protobuf -> XML-RPC ------------------------------------------------------------------------

TEST_F(XmlRpcMappingTest, WritesTheDemoResponseExactly) {
  demo::AddResponse response;
  response.set_sum(3);
  EXPECT_THAT(Written(response), ::weft::testing::IsOkAndHolds(std::string(
                                     "<value><struct><member><name>sum</name><value><int>3</int>"
                                     "</value></member></struct></value>")));
  response.set_sum(int64_t{1} << 40);
  EXPECT_THAT(Written(response), ::weft::testing::IsOkAndHolds(std::string(
                                     "<value><struct><member><name>sum</name><value><i8>"
                                     "1099511627776</i8></value></member></struct></value>")));
}

TEST_F(XmlRpcMappingTest, WritesDefaultsAndOmitsUnsetPresenceFields) {
  AllTypes all;
  ASSERT_THAT(WriteAndDecode(all), IsOk());
  const ValueRef v = response_.value();
  ASSERT_EQ(v.type(), ValueType::kStruct);
  // Proto3 scalars with their defaults; repeated and map fields empty.
  EXPECT_EQ(v.Find("f_int32")->int_value(), 0);
  EXPECT_EQ(v.Find("f_uint64")->int_value(), 0);
  EXPECT_EQ(v.Find("f_double")->double_value(), 0.0);
  EXPECT_EQ(v.Find("f_string")->string_value(), "");
  EXPECT_EQ(v.Find("f_bytes")->type(), ValueType::kBase64);
  EXPECT_EQ(v.Find("color")->string_value(), "COLOR_UNSPECIFIED");
  EXPECT_EQ(v.Find("custom")->type(), ValueType::kString);
  EXPECT_EQ(v.Find("numbers")->type(), ValueType::kArray);
  EXPECT_EQ(v.Find("numbers")->size(), 0u);
  EXPECT_EQ(v.Find("counts")->type(), ValueType::kStruct);
  // Unset messages, wrappers, Timestamps, optionals and oneof members are left out.
  for (absl::string_view name : {"inner", "when", "w_int32", "w_string", "opt_int32", "opt_string",
                                 "choice_name", "choice_id"}) {
    EXPECT_FALSE(v.Find(name).has_value()) << name;
  }
  EXPECT_EQ(v.size(), 27u);  // 42 fields, 15 of them unset with presence.
}

TEST_F(XmlRpcMappingTest, WritesEachTypeAsDocumented) {
  AllTypes all;
  all.set_f_int64(-5000000000);
  all.set_f_uint32(4294967295u);
  all.set_f_uint64(std::numeric_limits<uint64_t>::max());
  all.set_f_fixed64(7);
  all.set_f_float(0.1f);
  all.set_f_bool(true);
  all.set_f_bytes(std::string("\0\1\2", 3));
  all.set_color(testdata::COLOR_RED);
  all.add_colors(testdata::COLOR_GREEN);
  all.add_colors(static_cast<testdata::Color>(42));
  all.mutable_when()->set_seconds(1767781230);
  all.add_times()->set_seconds(1767781230);
  all.mutable_times(0)->set_nanos(500000000);
  all.mutable_w_uint64()->set_value(5);
  all.mutable_w_string()->set_value("");
  all.set_opt_int32(0);
  all.set_choice_name("n");
  (*all.mutable_by_id())[-3].set_count(1);
  (*all.mutable_flags())[true] = "t";
  (*all.mutable_by_u64())[std::numeric_limits<uint64_t>::max()] = "m";
  absl::StatusOr<std::string> xml = Written(all);
  ASSERT_THAT(xml, IsOk());
  auto member = [](absl::string_view name, absl::string_view value) {
    return absl::StrCat("<member><name>", name, "</name><value>", value, "</value></member>");
  };
  EXPECT_THAT(*xml, HasSubstr(member("f_int64", "<i8>-5000000000</i8>")));
  EXPECT_THAT(*xml, HasSubstr(member("f_uint32", "<i8>4294967295</i8>")));
  EXPECT_THAT(*xml, HasSubstr(member("f_uint64", "<string>18446744073709551615</string>")));
  EXPECT_THAT(*xml, HasSubstr(member("f_fixed64", "<int>7</int>")));
  EXPECT_THAT(*xml, HasSubstr(member("f_float", "<double>0.1</double>")));
  EXPECT_THAT(*xml, HasSubstr(member("f_bool", "<boolean>1</boolean>")));
  EXPECT_THAT(*xml, HasSubstr(member("f_bytes", "<base64>AAEC</base64>")));
  EXPECT_THAT(*xml, HasSubstr(member("color", "<string>COLOR_RED</string>")));
  EXPECT_THAT(*xml, HasSubstr(member("colors",
                                     "<array><data><value><string>COLOR_GREEN</string>"
                                     "</value><value><int>42</int></value></data>"
                                     "</array>")));
  EXPECT_THAT(*xml, HasSubstr(member("when",
                                     "<dateTime.iso8601>20260107T10:20:30"
                                     "</dateTime.iso8601>")));
  EXPECT_THAT(*xml, HasSubstr(member("times",
                                     "<array><data><value><dateTime.iso8601>"
                                     "20260107T10:20:30.5</dateTime.iso8601></value>"
                                     "</data></array>")));
  EXPECT_THAT(*xml, HasSubstr(member("w_uint64", "<int>5</int>")));
  EXPECT_THAT(*xml, HasSubstr(member("w_string", "<string></string>")));
  EXPECT_THAT(*xml, HasSubstr(member("opt_int32", "<int>0</int>")));
  EXPECT_THAT(*xml, HasSubstr(member("choice_name", "<string>n</string>")));
  EXPECT_THAT(*xml, HasSubstr(member("by_id", "<struct>" +
                                                  member("-3", "<struct>" +
                                                                   member("label",
                                                                          "<string>"
                                                                          "</string>") +
                                                                   member("count", "<int>1</int>") +
                                                                   "</struct>") +
                                                  "</struct>")));
  EXPECT_THAT(*xml, HasSubstr(member(
                        "flags", "<struct>" + member("true", "<string>t</string>") + "</struct>")));
  EXPECT_THAT(
      *xml,
      HasSubstr(member("by_u64", "<struct>" + member("18446744073709551615", "<string>m</string>") +
                                     "</struct>")));
  EXPECT_THAT(*xml, ::testing::Not(HasSubstr("choice_id")));
}

TEST_F(XmlRpcMappingTest, RefusesNonFiniteDoublesNamingTheField) {
  AllTypes all;
  all.set_f_double(std::nan(""));
  EXPECT_THAT(Written(all), StatusIs(kInvalid,
                                     "xmlrpc: field f_double: double nan cannot be written in "
                                     "XML-RPC"));
  all.set_f_double(0);
  all.add_ratios(1);
  all.add_ratios(-std::numeric_limits<double>::infinity());
  EXPECT_THAT(Written(all), StatusIs(kInvalid,
                                     "xmlrpc: field ratios[1]: double -inf cannot be written in "
                                     "XML-RPC"));
  all.clear_ratios();
  all.mutable_w_float()->set_value(std::numeric_limits<float>::infinity());
  EXPECT_THAT(Written(all),
              StatusIs(kInvalid, "xmlrpc: field w_float: float inf cannot be written in XML-RPC"));
}

TEST_F(XmlRpcMappingTest, ReportsStringsTheEncoderRefusesNamingTheField) {
  AllTypes all;
  (*all.mutable_counts())["bad\x01key"] = 1;
  EXPECT_THAT(Written(all),
              StatusIs(kInvalid, HasSubstr("xmlrpc: field counts[\"bad\x01key\"]: ")));
  AllTypes nested;
  nested.mutable_inner()->set_label("\x01");
  EXPECT_THAT(Written(nested), StatusIs(kInvalid, HasSubstr("xmlrpc: field inner.label: ")));
}

TEST_F(XmlRpcMappingTest, RefusesTimestampsOutsideTheirRange) {
  AllTypes all;
  all.mutable_when()->set_seconds(253402300800);  // 10000-01-01
  EXPECT_THAT(Written(all), StatusIs(kInvalid, HasSubstr("xmlrpc: field when: Timestamp seconds "
                                                         "253402300800 nanos 0 is outside")));
  all.mutable_when()->set_seconds(0);
  all.mutable_when()->set_nanos(-1);
  EXPECT_THAT(Written(all), StatusIs(kInvalid, HasSubstr("field when: Timestamp")));
}

TEST_F(XmlRpcMappingTest, StopsWritingAtTheNestingLimit) {
  Inner root;
  Inner* m = &root;
  for (int i = 1; i < kMaxXmlRpcMappingDepth; ++i) m = m->mutable_child();
  EXPECT_THAT(Written(root), IsOk());
  m->mutable_child();
  EXPECT_THAT(Written(root),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("nesting deeper than 64")));
}

TEST_F(XmlRpcMappingTest, ReturnsAnEarlierWriterError) {
  std::string out;
  ValueWriter writer(out);
  writer.AppendDouble(std::nan(""));
  demo::AddResponse response;
  EXPECT_THAT(WriteMessageAsXmlRpc(response, writer), StatusIs(kInvalid));
}

// --- Round trips through real bytes -------------------------------------------------------------

TEST_F(XmlRpcMappingTest, RoundTripsEveryFieldThroughXmlRpcBytes) {
  AllTypes in;
  in.set_f_int32(-7);
  in.set_f_int64(std::numeric_limits<int64_t>::min());
  in.set_f_uint32(std::numeric_limits<uint32_t>::max());
  in.set_f_uint64(std::numeric_limits<uint64_t>::max());
  in.set_f_sint32(std::numeric_limits<int32_t>::min());
  in.set_f_sint64(std::numeric_limits<int64_t>::max());
  in.set_f_fixed32(1);
  in.set_f_fixed64(uint64_t{1} << 63);
  in.set_f_sfixed32(-1);
  in.set_f_sfixed64(-(int64_t{1} << 40));
  in.set_f_float(3.14159f);
  in.set_f_double(-1e-300);
  in.set_f_bool(true);
  in.set_f_string("caf\xC3\xA9 <&> \r\n");
  in.set_f_bytes(std::string("\0\xFF\x10", 3));
  in.set_color(testdata::COLOR_GREEN);
  in.mutable_inner()->set_label("x");
  in.mutable_inner()->mutable_child()->set_count(2);
  in.add_numbers(1);
  in.add_numbers(-1);
  in.add_names("a");
  in.add_names("");
  in.add_inners()->set_count(5);
  in.add_colors(testdata::COLOR_RED);
  in.add_colors(static_cast<testdata::Color>(-3));
  (*in.mutable_counts())["k"] = int64_t{1} << 50;
  (*in.mutable_by_id())[7].set_label("seven");
  (*in.mutable_flags())[false] = "f";
  (*in.mutable_by_u64())[uint64_t{1} << 63] = "big";
  in.mutable_when()->set_seconds(-62135596800);
  in.add_times()->set_seconds(253402300799);
  in.mutable_times(0)->set_nanos(999999999);
  in.mutable_w_int32()->set_value(0);
  in.mutable_w_int64()->set_value(-(int64_t{1} << 60));
  in.mutable_w_uint32()->set_value(4000000000u);
  in.mutable_w_uint64()->set_value(std::numeric_limits<uint64_t>::max());
  in.mutable_w_float()->set_value(-0.5f);
  in.mutable_w_double()->set_value(1e100);
  in.mutable_w_bool()->set_value(false);
  in.mutable_w_string()->set_value("s");
  in.mutable_w_bytes()->set_value("b");
  in.set_opt_int32(0);
  in.set_choice_id(-9);
  in.set_custom("c");
  in.add_ratios(0.1);
  AllTypes out;
  ASSERT_THAT(RoundTrip(in, out), IsOk());
  EXPECT_TRUE(Equal(in, out)) << in.DebugString() << "\n---\n" << out.DebugString();

  AllTypes empty;
  ASSERT_THAT(RoundTrip(AllTypes(), empty), IsOk());
  EXPECT_TRUE(Equal(AllTypes(), empty)) << empty.DebugString();

  Legacy legacy_in;
  legacy_in.set_closed(testdata::CLOSED_ZERO);
  Legacy legacy_out;
  ASSERT_THAT(RoundTrip(legacy_in, legacy_out), IsOk());
  EXPECT_TRUE(Equal(legacy_in, legacy_out));
  EXPECT_TRUE(legacy_out.has_closed());
  EXPECT_FALSE(legacy_out.has_number());
}

// --- Cost
// -----------------------------------------------------------------------------------------

// Once the decoder, the messages and the output string have grown, mapping a call's params and
// writing its response allocate nothing (strings short enough for std::string's inline buffer;
// longer ones cost protobuf's copy).
TEST_F(XmlRpcMappingTest, AllocatesNothingOfItsOwnInTheSteadyState) {
  constexpr absl::string_view kHello =
      "<?xml version='1.0'?>\n<methodCall>\n<methodName>demo.Greeter.SayHello</methodName>\n"
      "<params>\n<param>\n<value><string>Ann</string></value>\n</param>\n</params>\n"
      "</methodCall>\n";
  demo::AddRequest add;
  demo::AddResponse sum;
  demo::HelloRequest hello;
  demo::HelloReply reply;
  reply.set_message("Hello, Ann!");
  std::string out;
  auto serve = [&]() {
    bool ok = MapBody(kPythonAdd, add).ok();
    sum.set_sum(add.a() + add.b());
    out.clear();
    ValueWriter writer(out);
    ok = ok && WriteMessageAsXmlRpc(sum, writer).ok();
    ok = ok && MapBody(kHello, hello).ok();
    ok = ok && WriteMessageAsXmlRpc(reply, writer).ok();
    return ok;
  };
  ASSERT_TRUE(serve());
  ASSERT_TRUE(serve());
  counting = true;
  delete new int(1);  // The counter works: this one is seen.
  EXPECT_EQ(allocations.exchange(0), 1);
  const bool ok = serve();
  counting = false;
  ASSERT_TRUE(ok);
  EXPECT_EQ(allocations.load(), 0);
  EXPECT_EQ(sum.sum(), 3);
  EXPECT_EQ(hello.name(), "Ann");
}

// --- Introspection ------------------------------------------------------------------------------

const pb::MethodDescriptor& Method(const pb::FileDescriptor& file, absl::string_view service,
                                   absl::string_view method) {
  const pb::ServiceDescriptor* s = file.FindServiceByName(std::string(service));
  EXPECT_NE(s, nullptr);
  const pb::MethodDescriptor* m = s->FindMethodByName(std::string(method));
  EXPECT_NE(m, nullptr);
  return *m;
}

TEST(XmlRpcSignatureTest, NamesTheReturnThenEachPositionalParam) {
  EXPECT_THAT(XmlRpcSignature(Method(*demo::AddRequest::descriptor()->file(), "Calculator", "Add")),
              ElementsAre("struct", "i8", "i8"));
  EXPECT_THAT(
      XmlRpcSignature(Method(*demo::HelloRequest::descriptor()->file(), "Greeter", "SayHello")),
      ElementsAre("struct", "string"));
  EXPECT_THAT(XmlRpcSignature(Method(*AllTypes::descriptor()->file(), "Everything", "Echo")),
              ElementsAre("struct",                                          // returns Inner
                          "int", "i8", "i8", "i8", "int", "i8", "i8", "i8",  // f_int32..f_fixed64
                          "int", "i8", "double", "double", "boolean", "string", "base64",
                          "string",                                      // color
                          "struct", "array", "array", "array", "array",  // inner..colors
                          "struct", "struct", "struct", "struct",        // maps
                          "dateTime.iso8601", "array",                   // when, times
                          "int", "i8", "i8", "i8", "double", "double", "boolean", "string",
                          "base64",  // wrappers
                          "int", "string", "string", "i8", "string", "array"));
}

TEST(XmlRpcMethodHelpTest, ListsRequestAndResponseFields) {
  const std::string help =
      XmlRpcMethodHelp(Method(*demo::AddRequest::descriptor()->file(), "Calculator", "Add"));
  EXPECT_THAT(help, HasSubstr("demo.Calculator.Add(demo.AddRequest) returns demo.AddResponse\n"));
  EXPECT_THAT(help, HasSubstr("  1. a: int64 (i8)\n  2. b: int64 (i8)\n"));
  EXPECT_THAT(help, HasSubstr("Returns a struct:\n  sum: int64 (i8)\n"));
  EXPECT_THAT(help, HasSubstr("descriptor comments are not available at run time"));

  const std::string all =
      XmlRpcMethodHelp(Method(*AllTypes::descriptor()->file(), "Everything", "Echo"));
  EXPECT_THAT(all, HasSubstr("  23. by_id: map<int32, weft.gateways.http.testdata.Inner> "
                             "(struct)\n"));
  EXPECT_THAT(all, HasSubstr("  21. colors: repeated weft.gateways.http.testdata.Color (array)\n"));
  EXPECT_THAT(all, HasSubstr("  26. when: google.protobuf.Timestamp (dateTime.iso8601)\n"));
  EXPECT_THAT(all, HasSubstr("  28. w_int32: google.protobuf.Int32Value (int)\n"));
}

}  // namespace
}  // namespace weft::gateways::http
