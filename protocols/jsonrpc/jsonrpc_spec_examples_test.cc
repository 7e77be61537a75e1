// Every example of the JSON-RPC 2.0 specification, §7 "Examples", through the decoder and the
// encoder. A tiny dispatcher stands in for the gateway (it knows `subtract`, `sum`, `get_data`
// and the `notify_*` methods, and answers anything else with Method not found), so each
// example's response is checked byte for byte: the spec's text with its spaces removed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "protocols/jsonrpc/jsonrpc_decoder.h"
#include "protocols/jsonrpc/jsonrpc_encoder.h"
#include "protocols/jsonrpc/jsonrpc_types.h"
#include "protocols/jsonrpc/testing/json_tree.h"

namespace weft::protocols::jsonrpc {
namespace {

using ::testing::ElementsAreArray;
using ::weft::protocols::jsonrpc::testing::JsonTree;
using ::weft::protocols::jsonrpc::testing::JsonVerdict;
using ::weft::protocols::jsonrpc::testing::ParseJsonTree;

// One line per entry: "call <method> <params> [<positional>|...] id=<id>", "notify ..." or
// "error <code> id=<id>" (plus " silent" for an error that must not be answered).
std::string DescribeEntry(const Entry& entry) {
  if (const CallError* error = std::get_if<CallError>(&entry)) {
    return absl::StrCat("error ", error->code, " id=", error->id,
                        error->notification ? " silent" : "");
  }
  const Call& call = std::get<Call>(entry);
  std::string out = absl::StrCat(call.notification ? "notify " : "call ", call.method);
  if (call.params_kind != ParamsKind::kNone) absl::StrAppend(&out, " ", call.params);
  if (call.params_kind == ParamsKind::kArray) {
    absl::StrAppend(&out, " (", absl::StrJoin(call.positional, "|"), ")");
  }
  if (!call.notification) absl::StrAppend(&out, " id=", call.id);
  return out;
}

std::vector<std::string> DescribeRequest(const ParsedRequest& request) {
  std::vector<std::string> lines;
  for (const Entry& entry : request.entries) lines.push_back(DescribeEntry(entry));
  return lines;
}

// The named or positional argument `name` (at `index`) as an integer.
int64_t Argument(const JsonTree& params, absl::string_view name, std::size_t index) {
  const JsonTree* value =
      params.type == JsonTree::Type::kArray ? &params.items.at(index) : params.Find(name);
  return value == nullptr ? 0 : std::stoll(value->text);
}

// Runs one call the way the gateway would and adds its response, if any.
void Dispatch(const Call& call, ResponseWriter& writer) {
  JsonTree params;
  if (call.params_kind != ParamsKind::kNone) {
    ASSERT_EQ(ParseJsonTree(call.params, params), JsonVerdict::kValid) << call.params;
  }
  std::string result;
  if (call.method == "subtract") {
    result = absl::StrCat(Argument(params, "minuend", 0) - Argument(params, "subtrahend", 1));
  } else if (call.method == "sum") {
    int64_t sum = 0;
    for (absl::string_view element : call.positional) sum += std::stoll(std::string(element));
    result = absl::StrCat(sum);
  } else if (call.method == "get_data") {
    result = R"(["hello",5])";
  } else if (absl::StartsWith(call.method, "notify_")) {
    result = "null";
  }
  if (call.notification) return;
  if (result.empty()) {
    writer.AddError(call.id, ErrorObject{kMethodNotFound, "Method not found", {}});
  } else {
    writer.AddResult(call.id, result);
  }
}

// The whole HTTP body answering `body`; empty when there is none.
std::string Respond(JsonRpcDecoder& decoder, absl::string_view body) {
  const ParsedRequest& request = decoder.Parse(body);
  std::string out;
  ResponseWriter writer(request.batch, out);
  for (const Entry& entry : request.entries) {
    if (const Call* call = std::get_if<Call>(&entry)) {
      Dispatch(*call, writer);
    } else {
      writer.AddCallError(std::get<CallError>(entry));
    }
  }
  writer.Finish();
  return out;
}

struct Example {
  const char* name;
  const char* request;
  bool batch;
  std::vector<std::string> entries;  // DescribeEntry() of each.
  const char* response;              // "" for none.
};

const Example kExamples[] = {
    {"positional_1",
     R"({"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1})",
     false,
     {"call subtract [42, 23] (42|23) id=1"},
     R"({"jsonrpc":"2.0","result":19,"id":1})"},
    {"positional_2",
     R"({"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2})",
     false,
     {"call subtract [23, 42] (23|42) id=2"},
     R"({"jsonrpc":"2.0","result":-19,"id":2})"},
    {"named_1",
     R"({"jsonrpc": "2.0", "method": "subtract", )"
     R"("params": {"subtrahend": 23, "minuend": 42}, "id": 3})",
     false,
     {R"(call subtract {"subtrahend": 23, "minuend": 42} id=3)"},
     R"({"jsonrpc":"2.0","result":19,"id":3})"},
    {"named_2",
     R"({"jsonrpc": "2.0", "method": "subtract", )"
     R"("params": {"minuend": 42, "subtrahend": 23}, "id": 4})",
     false,
     {R"(call subtract {"minuend": 42, "subtrahend": 23} id=4)"},
     R"({"jsonrpc":"2.0","result":19,"id":4})"},
    {"notification_with_params",
     R"({"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]})",
     false,
     {"notify update [1,2,3,4,5] (1|2|3|4|5)"},
     ""},
    {"notification", R"({"jsonrpc": "2.0", "method": "foobar"})", false, {"notify foobar"}, ""},
    {"non_existent_method",
     R"({"jsonrpc": "2.0", "method": "foobar", "id": "1"})",
     false,
     {R"(call foobar id="1")"},
     R"({"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":"1"})"},
    {"invalid_json",
     R"({"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz])",
     false,
     {"error -32700 id=null"},
     R"({"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null})"},
    {"invalid_request_object",
     R"({"jsonrpc": "2.0", "method": 1, "params": "bar"})",
     false,
     {"error -32600 id=null"},
     R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null})"},
    {"batch_invalid_json",
     R"([
  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
  {"jsonrpc": "2.0", "method"
])",
     false,
     {"error -32700 id=null"},
     R"({"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null})"},
    {"empty_array",
     "[]",
     false,
     {"error -32600 id=null"},
     R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null})"},
    {"invalid_batch_not_empty",
     "[1]",
     true,
     {"error -32600 id=null"},
     R"([{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}])"},
    {"invalid_batch",
     "[1,2,3]",
     true,
     {"error -32600 id=null", "error -32600 id=null", "error -32600 id=null"},
     R"([{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null},)"
     R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null},)"
     R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}])"},
    {"mixed_batch",
     R"([
        {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
        {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
        {"foo": "boo"},
        {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
        {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
    ])",
     true,
     {R"(call sum [1,2,4] (1|2|4) id="1")", "notify notify_hello [7] (7)",
      R"(call subtract [42,23] (42|23) id="2")", "error -32600 id=null",
      R"(call foo.get {"name": "myself"} id="5")", R"(call get_data id="9")"},
     R"([{"jsonrpc":"2.0","result":7,"id":"1"},)"
     R"({"jsonrpc":"2.0","result":19,"id":"2"},)"
     R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null},)"
     R"({"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":"5"},)"
     R"({"jsonrpc":"2.0","result":["hello",5],"id":"9"}])"},
    {"all_notifications",
     R"([
        {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
    ])",
     true,
     {"notify notify_sum [1,2,4] (1|2|4)", "notify notify_hello [7] (7)"},
     ""},
};

class SpecExampleTest : public ::testing::TestWithParam<Example> {};

TEST_P(SpecExampleTest, DecodesAndAnswersAsTheSpecShows) {
  const Example& example = GetParam();
  JsonRpcDecoder decoder;
  const ParsedRequest& request = decoder.Parse(example.request);
  EXPECT_EQ(request.batch, example.batch);
  EXPECT_THAT(DescribeRequest(request), ElementsAreArray(example.entries));
  EXPECT_EQ(Respond(decoder, example.request), example.response);
}

TEST(SpecExampleTest, OneDecoderAnswersAllExamplesInTurn) {
  JsonRpcDecoder decoder;
  for (int round = 0; round < 3; ++round) {
    for (const Example& example : kExamples) {
      EXPECT_EQ(Respond(decoder, example.request), example.response) << example.name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Section7, SpecExampleTest, ::testing::ValuesIn(kExamples),
                         [](const ::testing::TestParamInfo<Example>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace weft::protocols::jsonrpc
