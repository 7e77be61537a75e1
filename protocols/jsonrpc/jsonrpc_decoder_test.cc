#include "protocols/jsonrpc/jsonrpc_decoder.h"

#include <cstddef>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "protocols/jsonrpc/jsonrpc_types.h"
#include "protocols/jsonrpc/limits.h"
#include "tests/testing/status_matchers.h"

namespace weft::protocols::jsonrpc {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::weft::testing::StatusIs;

// The body as the HTTP codec would hand it over, in a heap buffer of exactly its size, so the
// sanitizers catch any read past its end.
class Body {
 public:
  explicit Body(absl::string_view text) : bytes_(new char[text.size() + 1]), size_(text.size()) {
    text.copy(bytes_.get(), text.size());
  }
  absl::string_view view() const { return absl::string_view(bytes_.get(), size_); }

 private:
  std::unique_ptr<char[]> bytes_;
  std::size_t size_;
};

// "call <method> <params> (<positional>|...) id=<id>", "notify ...", or "error <code> id=<id>".
std::string Describe(const Entry& entry) {
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

std::vector<std::string> DescribeAll(const ParsedRequest& request) {
  std::vector<std::string> lines;
  for (const Entry& entry : request.entries) lines.push_back(Describe(entry));
  return lines;
}

// Parses `text` with a fresh decoder and describes its only entry.
std::string ParseOne(absl::string_view text, const JsonRpcLimits& limits = JsonRpcLimits{}) {
  JsonRpcDecoder decoder(limits);
  const Body body(text);
  const ParsedRequest& request = decoder.Parse(body.view());
  if (request.batch || request.entries.size() != 1) return "not one entry";
  return Describe(request.entries[0]);
}

// The status of the only entry of `text`, which must be an error.
absl::Status ErrorStatus(absl::string_view text, const JsonRpcLimits& limits = JsonRpcLimits{}) {
  JsonRpcDecoder decoder(limits);
  const ParsedRequest& request = decoder.Parse(text);
  if (request.entries.size() != 1) return absl::UnknownError("not one entry");
  const CallError* error = std::get_if<CallError>(&request.entries[0]);
  return error == nullptr ? absl::OkStatus() : error->status;
}

struct Case {
  const char* name;
  const char* body;
  const char* expected;  // Describe() of the only entry.
};

class RequestObjectTest : public ::testing::TestWithParam<Case> {};

TEST_P(RequestObjectTest, DecodesOneEntry) {
  EXPECT_EQ(ParseOne(GetParam().body), GetParam().expected) << GetParam().body;
}

const Case kRequestObjectCases[] = {
    // Ids (spec §4: a String, Number, or Null; a fraction is discouraged, not invalid).
    {"string_id", R"({"jsonrpc":"2.0","method":"m","id":"abc"})", R"(call m id="abc")"},
    {"integer_id", R"({"jsonrpc":"2.0","method":"m","id":42})", "call m id=42"},
    {"negative_id", R"({"jsonrpc":"2.0","method":"m","id":-7})", "call m id=-7"},
    {"fractional_id", R"({"jsonrpc":"2.0","method":"m","id":1.5e3})", "call m id=1.5e3"},
    {"huge_integer_id", R"({"jsonrpc":"2.0","method":"m","id":123456789012345678901234567890})",
     "call m id=123456789012345678901234567890"},
    {"null_id", R"({"jsonrpc":"2.0","method":"m","id":null})", "call m id=null"},
    {"missing_id", R"({"jsonrpc":"2.0","method":"m"})", "notify m"},
    {"escaped_string_id", R"({"jsonrpc":"2.0","method":"m","id":"a\"b\u00e9"})",
     R"(call m id="a\"b\u00e9")"},
    {"empty_string_id", R"({"jsonrpc":"2.0","method":"m","id":""})", R"(call m id="")"},
    {"id_first", R"({"id":7,"params":[],"method":"m","jsonrpc":"2.0"})", "call m [] () id=7"},
    {"bool_id", R"({"jsonrpc":"2.0","method":"m","id":true})", "error -32600 id=null"},
    {"object_id", R"({"jsonrpc":"2.0","method":"m","id":{"a":1}})", "error -32600 id=null"},
    {"array_id", R"({"jsonrpc":"2.0","method":"m","id":[1]})", "error -32600 id=null"},
    // Params (spec §4.2): by position or by name; omitted is fine; anything else is invalid.
    {"no_params", R"({"jsonrpc":"2.0","method":"m","id":1})", "call m id=1"},
    {"empty_array_params", R"({"jsonrpc":"2.0","method":"m","params":[],"id":1})",
     "call m [] () id=1"},
    {"empty_object_params", R"({"jsonrpc":"2.0","method":"m","params":{},"id":1})",
     "call m {} id=1"},
    {"nested_positional",
     R"({"jsonrpc":"2.0","method":"m",)"
     R"("params":[ {"a":[1,{"b":2}]} , [3,[4]] ,"x,]" , null,true,false,-0.5e-3 ],"id":1})",
     R"(call m [ {"a":[1,{"b":2}]} , [3,[4]] ,"x,]" , null,true,false,-0.5e-3 ] )"
     R"(({"a":[1,{"b":2}]}|[3,[4]]|"x,]"|null|true|false|-0.5e-3) id=1)"},
    {"whitespace_everywhere",
     " \r\n\t{ \"jsonrpc\" : \"2.0\" ,\n\"method\"\t:\"m\", \"params\" : [ 1 , 2 ] , \"id\" : 3 } "
     "\n",
     "call m [ 1 , 2 ] (1|2) id=3"},
    {"null_params", R"({"jsonrpc":"2.0","method":"m","params":null,"id":1})", "error -32600 id=1"},
    {"string_params", R"({"jsonrpc":"2.0","method":"m","params":"a","id":1})", "error -32600 id=1"},
    {"number_params", R"({"jsonrpc":"2.0","method":"m","params":3,"id":1})", "error -32600 id=1"},
    // "jsonrpc" MUST be exactly "2.0".
    {"missing_jsonrpc", R"({"method":"m","id":1})", "error -32600 id=1"},
    {"jsonrpc_1_0", R"({"jsonrpc":"1.0","method":"m","id":1})", "error -32600 id=1"},
    {"jsonrpc_number", R"({"jsonrpc":2.0,"method":"m","id":1})", "error -32600 id=1"},
    {"jsonrpc_escaped", R"({"jsonrpc":"2\u002e0","method":"m","id":1})", "call m id=1"},
    // "method" MUST be a string.
    {"missing_method", R"({"jsonrpc":"2.0","id":1})", "error -32600 id=1"},
    {"method_null", R"({"jsonrpc":"2.0","method":null,"id":1})", "error -32600 id=1"},
    {"method_object", R"({"jsonrpc":"2.0","method":{"a":"b"},"id":"x"})", R"(error -32600 id="x")"},
    {"method_empty", R"({"jsonrpc":"2.0","method":"","id":1})", "call  id=1"},
    {"method_escaped", R"({"jsonrpc":"2.0","method":"demo.\u0043alc\u00e9","id":1})",
     "call demo.Calc\xC3\xA9 id=1"},
    // Spec §4: names beginning with "rpc." are reserved; "rpc" alone or "rpcx." are not.
    {"reserved_method", R"({"jsonrpc":"2.0","method":"rpc.discover","id":1})", "error -32601 id=1"},
    {"reserved_method_escaped", R"({"jsonrpc":"2.0","method":"rpc\u002ex","id":1})",
     "error -32601 id=1"},
    {"reserved_notification", R"({"jsonrpc":"2.0","method":"rpc.x"})",
     "error -32601 id=null silent"},
    {"rpc_without_dot", R"({"jsonrpc":"2.0","method":"rpcx.y","id":1})", "call rpcx.y id=1"},
    // Other members are not forbidden by the spec and are ignored, at any depth.
    {"unknown_members", R"({"jsonrpc":"2.0","x":{"method":1,"id":[]},"method":"m","id":1,"y":2})",
     "call m id=1"},
    {"params_members_look_like_envelope",
     R"({"jsonrpc":"2.0","method":"m","params":{"jsonrpc":1,"method":2,"id":{}},"id":1})",
     R"(call m {"jsonrpc":1,"method":2,"id":{}} id=1)"},
    // Duplicate envelope members make the request ambiguous: refused. The id is echoed unless
    // it is the duplicate.
    {"duplicate_method", R"({"jsonrpc":"2.0","method":"a","method":"b","id":1})",
     "error -32600 id=1"},
    {"duplicate_jsonrpc", R"({"jsonrpc":"2.0","jsonrpc":"2.0","method":"a","id":1})",
     "error -32600 id=1"},
    {"duplicate_params", R"({"jsonrpc":"2.0","method":"a","params":[1],"params":[2],"id":1})",
     "error -32600 id=1"},
    {"duplicate_id", R"({"jsonrpc":"2.0","method":"a","id":1,"id":2})", "error -32600 id=null"},
    {"duplicate_unknown_member", R"({"jsonrpc":"2.0","method":"a","x":1,"x":2,"id":1})",
     "call a id=1"},
    {"duplicates_inside_params", R"({"jsonrpc":"2.0","method":"a","params":{"x":1,"x":2},"id":1})",
     R"(call a {"x":1,"x":2} id=1)"},
    // Invalid Request objects are answered even without an id (spec §7).
    {"invalid_without_id", R"({"jsonrpc":"2.0","method":1})", "error -32600 id=null"},
    // Valid JSON that is not an object.
    {"root_string", R"("hello")", "error -32600 id=null"},
    {"root_number", "1", "error -32600 id=null"},
    {"root_null", "null", "error -32600 id=null"},
    {"empty_object", "{}", "error -32600 id=null"},
};

INSTANTIATE_TEST_SUITE_P(Rules, RequestObjectTest, ::testing::ValuesIn(kRequestObjectCases),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.name);
                         });

class ParseErrorTest : public ::testing::TestWithParam<Case> {};

TEST_P(ParseErrorTest, AnswersParseErrorWithNullId) {
  JsonRpcDecoder decoder;
  const Body body(GetParam().body);
  const ParsedRequest& request = decoder.Parse(body.view());
  EXPECT_FALSE(request.batch);
  ASSERT_EQ(request.entries.size(), 1u);
  EXPECT_EQ(Describe(request.entries[0]), "error -32700 id=null");
  EXPECT_THAT(std::get<CallError>(request.entries[0]).status,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(GetParam().expected)));
}

const Case kParseErrorCases[] = {
    {"empty", "", "no json value"},
    {"only_whitespace", " \n\t ", "no json value"},
    {"truncated", R"({"jsonrpc":"2.0")", "expected ',' or '}'"},
    {"trailing_comma", R"({"jsonrpc":"2.0",})", "expected a member name"},
    {"two_values", R"({"jsonrpc":"2.0","method":"m"} {})", "text after the json value"},
    {"trailing_garbage", R"([1] x)", "text after the json value"},
    {"single_quotes", R"({'jsonrpc':'2.0'})", "expected a member name"},
    {"comment", R"({"jsonrpc":"2.0"/*x*/})", "expected ',' or '}'"},
    {"nan", R"({"jsonrpc":"2.0","method":"m","id":NaN})", "invalid value"},
    {"leading_zero", R"({"id":01})", "expected ',' or '}'"},
    {"huge_exponent", R"({"id":1e400})", "number out of range"},
    {"bad_escape", R"({"method":"\x"})", "invalid escape"},
    {"raw_control_character", "{\"method\":\"a\tb\"}", "control character"},
    {"bad_unicode_escape", R"({"method":"\u12G4"})", "invalid \\u escape"},
    {"lone_high_surrogate", R"({"method":"\ud800"})", "surrogate"},
    {"high_surrogate_then_letter", R"({"method":"\ud800\u0041"})", "surrogate"},
    {"invalid_utf8", "{\"method\":\"\xC3\x28\"}", "invalid utf-8"},
    {"overlong_utf8", "{\"method\":\"\xC0\xAF\"}", "invalid utf-8"},
    {"utf8_surrogate", "{\"method\":\"\xED\xA0\x80\"}", "invalid utf-8"},
    {"utf8_above_max", "{\"method\":\"\xF4\x90\x80\x80\"}", "invalid utf-8"},
    {"utf8_cut_at_end", "{\"method\":\"\xF0\x9F", "invalid utf-8"},
    {"utf8_lead_at_end", "[\"\xF1", "invalid utf-8"},
    {"utf8_outside_string", "{\xC3\xA9:1}", "expected a member name"},
    {"unterminated_string", R"({"method":"abc)", "unterminated string"},
    {"missing_colon", R"({"method" "m"})", "expected ':'"},
    {"bare_word", "hello", "invalid value"},
    {"batch_trailing_comma", R"([{"jsonrpc":"2.0","method":"m"},])", "invalid value"},
};

INSTANTIATE_TEST_SUITE_P(Json, ParseErrorTest, ::testing::ValuesIn(kParseErrorCases),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.name);
                         });

TEST(JsonRpcDecoderTest, RejectsNulByteAfterTheValue) {
  // The table above cannot hold a NUL; RapidJSON alone would take it for the end of the text.
  for (absl::string_view text : {absl::string_view("{}\0", 3), absl::string_view("[1]\0]", 5),
                                 absl::string_view("{\"a\":1\0}", 8)}) {
    EXPECT_EQ(ParseOne(text), "error -32700 id=null") << absl::CEscape(text);
  }
}

TEST(JsonRpcDecoderTest, DecodesUnicodeEscapesInMethod) {
  JsonRpcDecoder decoder;
  const ParsedRequest& request = decoder.Parse(
      R"({"jsonrpc":"2.0","method":"\u00e9\u4e2d\ud83d\ude00\"\\\/\b\f\n\r\t\u0000","id":1})");
  ASSERT_EQ(request.entries.size(), 1u);
  const Call& call = std::get<Call>(request.entries[0]);
  EXPECT_EQ(call.method,
            absl::string_view("\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80\"\\/\b\f\n\r\t\0", 18));
}

TEST(JsonRpcDecoderTest, AcceptsLoneLowSurrogateEscape) {
  // The JSON grammar allows it; RapidJSON decodes it to bytes that are not UTF-8 (and refuses a
  // lone high surrogate, a parse error above).
  EXPECT_EQ(ParseOne(R"({"jsonrpc":"2.0","method":"\udc00","id":1})"), "call \xED\xB0\x80 id=1");
}

TEST(JsonRpcDecoderTest, PassesRawUtf8Through) {
  EXPECT_EQ(
      ParseOne("{\"jsonrpc\":\"2.0\",\"method\":\"caf\xC3\xA9\",\"params\":[\"\xF0\x9F\x98\x80\"],"
               "\"id\":\"\xE4\xB8\xAD\"}"),
      "call caf\xC3\xA9 [\"\xF0\x9F\x98\x80\"] (\"\xF0\x9F\x98\x80\") id=\"\xE4\xB8\xAD\"");
}

TEST(JsonRpcDecoderTest, KeepsEscapesInRawParamsAndId) {
  // Only the method is unescaped; params and id stay exactly as sent.
  EXPECT_EQ(
      ParseOne(R"({"jsonrpc":"2.0","method":"m","params":{"k\u0041":"\n\u00e9"},"id":"\u0031"})"),
      R"(call m {"k\u0041":"\n\u00e9"} id="\u0031")");
}

TEST(JsonRpcDecoderTest, SkipsByteOrderMark) {
  EXPECT_EQ(ParseOne("\xEF\xBB\xBF{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":1}"), "call m id=1");
}

TEST(JsonRpcDecoderTest, RawViewsPointIntoTheBody) {
  JsonRpcDecoder decoder;
  const Body body(R"({"jsonrpc":"2.0","method":"m","params":[10,{"a":2}],"id":"q"})");
  const ParsedRequest& request = decoder.Parse(body.view());
  const Call& call = std::get<Call>(request.entries[0]);
  const absl::string_view text = body.view();
  auto inside = [&](absl::string_view part) {
    return part.data() >= text.data() && part.data() + part.size() <= text.data() + text.size();
  };
  EXPECT_TRUE(inside(call.params));
  EXPECT_TRUE(inside(call.id));
  ASSERT_EQ(call.positional.size(), 2u);
  EXPECT_TRUE(inside(call.positional[0]));
  EXPECT_TRUE(inside(call.positional[1]));
  EXPECT_EQ(call.positional[1], R"({"a":2})");
}

// --- Batches ----------------------------------------------------------------------------------

TEST(JsonRpcDecoderBatchTest, KeepsRequestOrderAndEachCallsOwnPositional) {
  JsonRpcDecoder decoder;
  const ParsedRequest& request =
      decoder.Parse(R"([{"jsonrpc":"2.0","method":"a","params":[1,2],"id":1},)"
                    R"({"jsonrpc":"2.0","method":"b","params":[3],"id":"x","jsonrpc":"2.0"},)"
                    R"({"jsonrpc":"2.0","method":"c","params":[],"id":2},)"
                    R"({"jsonrpc":"2.0","method":"d","params":[4,[5,6]]},)"
                    R"([7],"s",null,{"jsonrpc":"2.0","method":"e","params":{"p":[8]},"id":null}])");
  EXPECT_TRUE(request.batch);
  EXPECT_THAT(
      DescribeAll(request),
      ElementsAre("call a [1,2] (1|2) id=1", R"(error -32600 id="x")", "call c [] () id=2",
                  "notify d [4,[5,6]] (4|[5,6])", "error -32600 id=null", "error -32600 id=null",
                  "error -32600 id=null", R"(call e {"p":[8]} id=null)"));
}

TEST(JsonRpcDecoderBatchTest, SingleEntryBatchIsStillABatch) {
  JsonRpcDecoder decoder;
  const ParsedRequest& request = decoder.Parse(R"([{"jsonrpc":"2.0","method":"m","id":1}])");
  EXPECT_TRUE(request.batch);
  EXPECT_THAT(DescribeAll(request), ElementsAre("call m id=1"));
}

TEST(JsonRpcDecoderBatchTest, NestedEmptyArrayIsAnInvalidEntry) {
  JsonRpcDecoder decoder;
  const ParsedRequest& request = decoder.Parse("[[]]");
  EXPECT_TRUE(request.batch);
  EXPECT_THAT(DescribeAll(request), ElementsAre("error -32600 id=null"));
}

TEST(JsonRpcDecoderBatchTest, EmptyBatchIsOneInvalidRequest) {
  JsonRpcDecoder decoder;
  const ParsedRequest& request = decoder.Parse(" [ ] ");
  EXPECT_FALSE(request.batch);
  EXPECT_THAT(DescribeAll(request), ElementsAre("error -32600 id=null"));
  EXPECT_THAT(std::get<CallError>(request.entries[0]).status,
              StatusIs(absl::StatusCode::kInvalidArgument, "jsonrpc: empty batch"));
}

// --- Limits -----------------------------------------------------------------------------------

TEST(JsonRpcDecoderLimitsTest, RefusesBodyOverMaxRequestBytes) {
  JsonRpcLimits limits;
  const std::string body = R"({"jsonrpc":"2.0","method":"m","id":1})";
  limits.max_request_bytes = body.size();
  EXPECT_EQ(ParseOne(body, limits), "call m id=1");
  limits.max_request_bytes = body.size() - 1;
  EXPECT_EQ(ParseOne(body, limits), "error -32600 id=null");
  EXPECT_THAT(ErrorStatus(body, limits),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("body exceeds")));
}

std::string Nested(std::size_t depth) {
  return absl::StrCat(R"({"jsonrpc":"2.0","method":"m","params":)", std::string(depth, '['),
                      std::string(depth, ']'), R"(,"id":1})");
}

TEST(JsonRpcDecoderLimitsTest, AllowsNestingUpToMaxDepth) {
  JsonRpcLimits limits;
  limits.max_depth = 5;  // The request object plus 4 arrays.
  EXPECT_EQ(ParseOne(Nested(4), limits), "call m [[[[]]]] ([[[]]]) id=1");
  JsonRpcDecoder decoder(limits);
  const std::string body = absl::StrCat("[", Nested(3), "]");  // Also 5 deep.
  const ParsedRequest& batch = decoder.Parse(body);
  EXPECT_TRUE(batch.batch);
  EXPECT_THAT(DescribeAll(batch), ElementsAre("call m [[[]]] ([[]]) id=1"));
}

TEST(JsonRpcDecoderLimitsTest, RefusesNestingOverMaxDepth) {
  JsonRpcLimits limits;
  limits.max_depth = 5;
  EXPECT_EQ(ParseOne(Nested(5), limits), "error -32600 id=null");
  EXPECT_THAT(ErrorStatus(Nested(5), limits),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("deeper than 5")));
  JsonRpcDecoder decoder(limits);
  const std::string body = absl::StrCat("[", Nested(4), "]");
  const ParsedRequest& request = decoder.Parse(body);
  EXPECT_FALSE(request.batch);
  EXPECT_THAT(DescribeAll(request), ElementsAre("error -32600 id=null"));
}

TEST(JsonRpcDecoderLimitsTest, SurvivesAMillionOpenBrackets) {
  // RapidJSON's recursive parser would overflow the stack; the depth limit stops it first.
  for (char open : {'[', '{'}) {
    const std::string deep =
        open == '[' ? std::string(1000000, '[') : absl::StrCat("{\"a\":", std::string(999990, '['));
    EXPECT_EQ(ParseOne(deep), "error -32600 id=null");
    EXPECT_THAT(ErrorStatus(deep), StatusIs(absl::StatusCode::kResourceExhausted));
  }
}

TEST(JsonRpcDecoderLimitsTest, RefusesBatchOverMaxEntries) {
  JsonRpcLimits limits;
  limits.max_batch_entries = 3;
  JsonRpcDecoder decoder(limits);
  EXPECT_EQ(decoder.Parse("[1,2,3]").entries.size(), 3u);
  const ParsedRequest& request = decoder.Parse("[1,2,3,4]");
  EXPECT_FALSE(request.batch);
  EXPECT_THAT(DescribeAll(request), ElementsAre("error -32600 id=null"));
  EXPECT_THAT(std::get<CallError>(request.entries[0]).status,
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("more than 3 entries")));
}

TEST(JsonRpcDecoderLimitsTest, RefusesMethodOverMaxBytesPerEntry) {
  JsonRpcLimits limits;
  limits.max_method_bytes = 4;
  JsonRpcDecoder decoder(limits);
  const ParsedRequest& request = decoder.Parse(
      R"([{"jsonrpc":"2.0","method":"abcd","id":1},{"jsonrpc":"2.0","method":"abcde","id":2},)"
      R"({"jsonrpc":"2.0","method":"\u0061bcd","id":3}])");
  EXPECT_THAT(DescribeAll(request), ElementsAre("call abcd id=1", "error -32600 id=2",
                                                "call abcd id=3"));  // Counted unescaped.
  EXPECT_THAT(std::get<CallError>(request.entries[1]).status,
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("exceeds 4 bytes")));
}

// --- Statuses ---------------------------------------------------------------------------------

TEST(JsonRpcDecoderTest, ErrorStatusesNameTheRule) {
  EXPECT_THAT(ErrorStatus(R"({"jsonrpc":"2.0","method":1})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "jsonrpc: \"method\" is missing or not a string"));
  EXPECT_THAT(ErrorStatus(R"({"method":"m"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "jsonrpc: \"jsonrpc\" is not \"2.0\""));
  EXPECT_THAT(ErrorStatus(R"({"jsonrpc":"2.0","method":"m","params":1})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"params\"")));
  EXPECT_THAT(ErrorStatus(R"({"jsonrpc":"2.0","method":"m","id":false})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"id\"")));
  EXPECT_THAT(ErrorStatus(R"({"jsonrpc":"2.0","method":"m","method":"m"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "jsonrpc: duplicate member"));
  EXPECT_THAT(ErrorStatus("[]x"), StatusIs(absl::StatusCode::kInvalidArgument,
                                           "jsonrpc: invalid json at byte 2: text after the "
                                           "json value"));
  EXPECT_THAT(ErrorStatus(R"({"jsonrpc":"2.0","method":"rpc.x","id":1})"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("reserved")));
}

// --- Reuse ------------------------------------------------------------------------------------

TEST(JsonRpcDecoderTest, ReusesOneDecoderForManyBodies) {
  JsonRpcDecoder decoder;
  for (int i = 0; i < 1000; ++i) {
    const std::string batch =
        absl::StrCat(R"([{"jsonrpc":"2.0","method":"a","params":[)", i, R"(,"x"],"id":)", i,
                     R"(},{"jsonrpc":"2.0","method":"b"}])");
    const ParsedRequest& first = decoder.Parse(batch);
    ASSERT_THAT(
        DescribeAll(first),
        ElementsAre(absl::StrCat("call a [", i, ",\"x\"] (", i, "|\"x\") id=", i), "notify b"));
    // Errors, big bodies and deep ones in between leave nothing behind.
    const std::string big = absl::StrCat(R"({"jsonrpc":"2.0","method":"m","params":[)",
                                         std::string(i * 100, ' '), "0", R"(],"id":"big"})");
    ASSERT_EQ(Describe(decoder.Parse(big).entries[0]),
              R"(call m [)" + std::string(i * 100, ' ') + R"(0] (0) id="big")");
    ASSERT_EQ(Describe(decoder.Parse("[1,").entries[0]), "error -32700 id=null");
    const std::string deep(100, '[');
    ASSERT_EQ(Describe(decoder.Parse(deep).entries[0]), "error -32600 id=null");
    const ParsedRequest& single =
        decoder.Parse(R"({"jsonrpc":"2.0","method":"c","params":{},"id":2})");
    ASSERT_FALSE(single.batch);
    ASSERT_THAT(DescribeAll(single), ElementsAre("call c {} id=2"));
  }
}

TEST(JsonRpcDecoderTest, ManyPositionalParamsAcrossABatch) {
  // elements_ grows while the batch is read; every Call must still see its own elements.
  std::string body = "[";
  for (int call = 0; call < 100; ++call) {
    absl::StrAppend(&body, call == 0 ? "" : ",", R"({"jsonrpc":"2.0","method":"m","params":[)");
    for (int k = 0; k < call; ++k) absl::StrAppend(&body, k == 0 ? "" : ",", call * 1000 + k);
    absl::StrAppend(&body, R"(],"id":)", call, "}");
  }
  body += "]";
  JsonRpcDecoder decoder;
  const ParsedRequest& request = decoder.Parse(body);
  ASSERT_EQ(request.entries.size(), 100u);
  for (int call = 0; call < 100; ++call) {
    const Call& parsed = std::get<Call>(request.entries[call]);
    ASSERT_EQ(parsed.positional.size(), static_cast<std::size_t>(call));
    for (int k = 0; k < call; ++k) EXPECT_EQ(parsed.positional[k], absl::StrCat(call * 1000 + k));
  }
}

}  // namespace
}  // namespace weft::protocols::jsonrpc
