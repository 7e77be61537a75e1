#include "protocols/xmlrpc/multicall.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "protocols/xmlrpc/xmlrpc_decoder.h"
#include "protocols/xmlrpc/xmlrpc_encoder.h"
#include "protocols/xmlrpc/xmlrpc_types.h"
#include "tests/testing/status_matchers.h"

namespace weft::protocols::xmlrpc {
namespace {

using ::testing::HasSubstr;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

// What Python's xmlrpc.client.MultiCall sends for
//   multi.demo.Calculator.Add(1, 2); multi.system.listMethods(); multi()
constexpr absl::string_view kPythonMulticall =
    "<?xml version='1.0'?>\n<methodCall>\n<methodName>system.multicall</methodName>\n<params>\n"
    "<param>\n<value><array><data>\n<value><struct>\n<member>\n<name>methodName</name>\n"
    "<value><string>demo.Calculator.Add</string></value>\n</member>\n<member>\n"
    "<name>params</name>\n<value><array><data>\n<value><int>1</int></value>\n"
    "<value><int>2</int></value>\n</data></array></value>\n</member>\n</struct></value>\n"
    "<value><struct>\n<member>\n<name>methodName</name>\n"
    "<value><string>system.listMethods</string></value>\n</member>\n<member>\n"
    "<name>params</name>\n<value><array><data>\n</data></array></value>\n</member>\n"
    "</struct></value>\n</data></array></value>\n</param>\n</params>\n</methodCall>\n";

MethodCall ParseCallOrDie(absl::string_view body) {
  XmlRpcDecoder decoder;
  MethodCall call;
  const absl::Status status = decoder.ParseCall(body, call);
  EXPECT_THAT(status, IsOk());
  return call;
}

// A system.multicall whose single param is the array holding `entries_xml`.
std::string MulticallWith(absl::string_view entries_xml) {
  return absl::StrCat(
      "<methodCall><methodName>system.multicall</methodName><params><param><value><array><data>",
      entries_xml, "</data></array></value></param></params></methodCall>");
}

TEST(SplitMulticallTest, SplitsWhatPythonSends) {
  const MethodCall call = ParseCallOrDie(kPythonMulticall);
  ASSERT_EQ(call.method_name, kMulticallMethod);
  std::vector<absl::StatusOr<MulticallEntry>> entries;
  ASSERT_THAT(SplitMulticall(call.params(), entries), IsOk());
  ASSERT_EQ(entries.size(), 2u);
  ASSERT_THAT(entries[0], IsOk());
  EXPECT_EQ(entries[0]->method_name, "demo.Calculator.Add");
  EXPECT_EQ(entries[0]->params.DebugString(), "[1, 2]");
  ASSERT_THAT(entries[1], IsOk());
  EXPECT_EQ(entries[1]->method_name, "system.listMethods");
  EXPECT_EQ(entries[1]->params.size(), 0u);
}

TEST(SplitMulticallTest, FailsOnlyTheSlotOfAMalformedEntry) {
  const MethodCall call = ParseCallOrDie(MulticallWith(
      "<value>not a struct</value>"
      "<value><struct><member><name>params</name><value><array><data/></array></value>"
      "</member></struct></value>"
      "<value><struct><member><name>methodName</name><value><int>1</int></value></member>"
      "<member><name>params</name><value><array><data/></array></value></member></struct>"
      "</value>"
      "<value><struct><member><name>methodName</name><value>a b</value></member>"
      "<member><name>params</name><value><array><data/></array></value></member></struct>"
      "</value>"
      "<value><struct><member><name>methodName</name><value>system.multicall</value>"
      "</member><member><name>params</name><value><array><data/></array></value></member>"
      "</struct></value>"
      "<value><struct><member><name>methodName</name><value>a.b</value></member></struct>"
      "</value>"
      "<value><struct><member><name>methodName</name><value>a.b</value></member>"
      "<member><name>params</name><value>1</value></member></struct></value>"
      "<value><struct><member><name>extra</name><value/></member>"
      "<member><name>params</name><value><array><data><value>x</value></data></array>"
      "</value></member><member><name>methodName</name><value>ok.Call</value></member>"
      "</struct></value>"));
  std::vector<absl::StatusOr<MulticallEntry>> entries;
  ASSERT_THAT(SplitMulticall(call.params(), entries), IsOk());
  ASSERT_EQ(entries.size(), 8u);
  const absl::StatusCode invalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(entries[0], StatusIs(invalid, "xmlrpc: system.multicall call 0 is not a struct"));
  EXPECT_THAT(entries[1], StatusIs(invalid,
                                   "xmlrpc: system.multicall call 1 lacks a string "
                                   "methodName"));
  EXPECT_THAT(entries[2], StatusIs(invalid, HasSubstr("call 2 lacks a string methodName")));
  EXPECT_THAT(entries[3], StatusIs(invalid, HasSubstr("call 3 has a methodName outside")));
  EXPECT_THAT(entries[4], StatusIs(invalid, HasSubstr("call 4 calls system.multicall")));
  EXPECT_THAT(entries[5], StatusIs(invalid, HasSubstr("call 5 lacks an array params")));
  EXPECT_THAT(entries[6], StatusIs(invalid, HasSubstr("call 6 lacks an array params")));
  ASSERT_THAT(entries[7], IsOk());
  EXPECT_EQ(entries[7]->method_name, "ok.Call");
  EXPECT_EQ(entries[7]->params.DebugString(), "[\"x\"]");
}

TEST(SplitMulticallTest, RefusesParamsOtherThanOneArray) {
  std::vector<absl::StatusOr<MulticallEntry>> entries;
  for (absl::string_view params : {"", "<param><value>x</value></param>",
                                   "<param><value><array><data/></array></value></param>"
                                   "<param><value><array><data/></array></value></param>"}) {
    const MethodCall call =
        ParseCallOrDie(absl::StrCat("<methodCall><methodName>system.multicall</methodName><params>",
                                    params, "</params></methodCall>"));
    EXPECT_THAT(SplitMulticall(call.params(), entries),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         "xmlrpc: system.multicall takes one array of calls"));
    EXPECT_TRUE(entries.empty());
  }
  const MethodCall empty = ParseCallOrDie(MulticallWith(""));
  EXPECT_THAT(SplitMulticall(empty.params(), entries), IsOk());
  EXPECT_TRUE(entries.empty());
}

TEST(EncodeMulticallResponseTest, WrapsValuesAndWritesFaults) {
  ValueTree values;
  const uint32_t sum = values.AddInt(3);
  const uint32_t names = values.BeginArray();
  values.AddString("demo.Calculator.Add");
  values.End();
  const std::vector<MulticallResult> results = {
      values.value(sum), Fault{-32601, "method not found"}, values.value(names)};
  std::string out;
  ASSERT_THAT(EncodeMulticallResponse(results, out), IsOk());
  // Python's MultiCallIterator yields 3, raises Fault(-32601, ...), then yields the list.
  EXPECT_EQ(out,
            "<?xml version=\"1.0\"?><methodResponse><params><param><value><array><data>"
            "<value><array><data><value><int>3</int></value></data></array></value>"
            "<value><struct><member><name>faultCode</name><value><int>-32601</int></value>"
            "</member><member><name>faultString</name><value><string>method not found"
            "</string></value></member></struct></value>"
            "<value><array><data><value><array><data><value><string>demo.Calculator.Add"
            "</string></value></data></array></value></data></array></value>"
            "</data></array></value></param></params></methodResponse>");

  XmlRpcDecoder decoder;
  MethodResponse response;
  ASSERT_THAT(decoder.ParseResponse(out, response), IsOk());
  EXPECT_EQ(response.value().DebugString(),
            R"([[3], {"faultCode": -32601, "faultString": "method not found"}, )"
            R"([["demo.Calculator.Add"]]])");
}

TEST(EncodeMulticallResponseTest, WritesAnEmptyArrayForNoCalls) {
  std::string out;
  ASSERT_THAT(EncodeMulticallResponse({}, out), IsOk());
  EXPECT_EQ(out,
            "<?xml version=\"1.0\"?><methodResponse><params><param><value><array><data>"
            "</data></array></value></param></params></methodResponse>");
}

TEST(EncodeMulticallResponseTest, NamesTheSlotThatCannotBeWritten) {
  ValueTree values;
  const uint32_t good = values.AddInt(1);
  const uint32_t bad = values.AddString(absl::string_view("\0", 1));
  const std::vector<MulticallResult> results = {values.value(good), values.value(bad)};
  std::string out = "kept";
  EXPECT_THAT(EncodeMulticallResponse(results, out),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "xmlrpc: system.multicall result 1: string holds U+0000 at byte 0, "
                       "which XML 1.0 cannot carry"));
  EXPECT_EQ(out, "kept");
}

}  // namespace
}  // namespace weft::protocols::xmlrpc
