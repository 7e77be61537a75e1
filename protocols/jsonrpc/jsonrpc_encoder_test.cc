#include "protocols/jsonrpc/jsonrpc_encoder.h"

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "protocols/jsonrpc/jsonrpc_types.h"
#include "protocols/jsonrpc/testing/json_tree.h"

namespace weft::protocols::jsonrpc {
namespace {

using ::weft::protocols::jsonrpc::testing::JsonTree;
using ::weft::protocols::jsonrpc::testing::JsonVerdict;
using ::weft::protocols::jsonrpc::testing::ParseJsonTree;

bool IsValidJson(absl::string_view json) {
  JsonTree tree;
  return ParseJsonTree(json, tree) == JsonVerdict::kValid;
}

std::string Encoded(absl::string_view text) {
  std::string out;
  EncodeString(text, out);
  return out;
}

TEST(JsonRpcEncoderTest, EncodesResult) {
  std::string out = "prefix";
  EncodeResult("1", R"({"sum":3})", out);
  EXPECT_EQ(out, R"(prefix{"jsonrpc":"2.0","result":{"sum":3},"id":1})");
}

TEST(JsonRpcEncoderTest, EchoesRawIdsVerbatim) {
  for (absl::string_view id :
       {R"("abc")", "-1.5e3", "null", R"("\u00e9")", "123456789012345678901234567890"}) {
    std::string out;
    EncodeResult(id, "true", out);
    EXPECT_EQ(out, absl::StrCat(R"({"jsonrpc":"2.0","result":true,"id":)", id, "}"));
  }
}

TEST(JsonRpcEncoderTest, EncodesErrorWithoutData) {
  std::string out;
  EncodeError(R"("7")", ErrorObject{kInvalidParams, "Invalid params", {}}, out);
  EXPECT_EQ(out,
            R"({"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params"},"id":"7"})");
}

TEST(JsonRpcEncoderTest, EncodesErrorWithRawData) {
  std::string out;
  EncodeError("null",
              ErrorObject{kDeadlineExceededError, "Deadline exceeded", R"({"after_ms":50})"}, out);
  EXPECT_EQ(out, R"({"jsonrpc":"2.0","error":{"code":-32000,"message":"Deadline exceeded",)"
                 R"("data":{"after_ms":50}},"id":null})");
}

TEST(JsonRpcEncoderTest, EscapesErrorMessage) {
  std::string out;
  EncodeError("1", ErrorObject{-1, "no \"such\"\nmethod", {}}, out);
  EXPECT_EQ(out, R"({"jsonrpc":"2.0","error":{"code":-1,"message":"no \"such\"\nmethod"},"id":1})");
}

TEST(JsonRpcEncoderTest, EncodesCallErrorWithStandardMessage) {
  std::string out;
  EncodeCallError(CallError{kParseError, "null", false, absl::InvalidArgumentError("x")}, out);
  EXPECT_EQ(out, R"({"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null})");
  out.clear();
  EncodeCallError(CallError{kMethodNotFound, "3", false, absl::NotFoundError("x")}, out);
  EXPECT_EQ(out,
            R"({"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":3})");
}

TEST(JsonRpcEncoderTest, EncodesNothingForNotificationCallError) {
  std::string out;
  EncodeCallError(CallError{kMethodNotFound, "null", true, absl::NotFoundError("x")}, out);
  EXPECT_EQ(out, "");
}

TEST(JsonRpcEncoderTest, StandardMessages) {
  EXPECT_EQ(StandardErrorMessage(kParseError), "Parse error");
  EXPECT_EQ(StandardErrorMessage(kInvalidRequest), "Invalid Request");
  EXPECT_EQ(StandardErrorMessage(kMethodNotFound), "Method not found");
  EXPECT_EQ(StandardErrorMessage(kInvalidParams), "Invalid params");
  EXPECT_EQ(StandardErrorMessage(kInternalError), "Internal error");
  EXPECT_EQ(StandardErrorMessage(kDeadlineExceededError), "Deadline exceeded");
  EXPECT_EQ(StandardErrorMessage(kUnavailableError), "Unavailable");
  EXPECT_EQ(StandardErrorMessage(kResourceExhaustedError), "Resource exhausted");
  EXPECT_EQ(StandardErrorMessage(kUnauthenticatedError), "Unauthenticated");
  EXPECT_EQ(StandardErrorMessage(kPermissionDeniedError), "Permission denied");
  EXPECT_EQ(StandardErrorMessage(kCancelledError), "Cancelled");
  EXPECT_EQ(StandardErrorMessage(kServerErrorFirst), "Server error");
  EXPECT_EQ(StandardErrorMessage(-32050), "Server error");
  EXPECT_EQ(StandardErrorMessage(-32100), "Error");
  EXPECT_EQ(StandardErrorMessage(42), "Error");
}

TEST(JsonRpcEncoderTest, ServerErrorsAreInTheReservedRange) {
  for (int32_t code : {kDeadlineExceededError, kUnavailableError, kResourceExhaustedError,
                       kUnauthenticatedError, kPermissionDeniedError, kCancelledError}) {
    EXPECT_GE(code, kServerErrorFirst);
    EXPECT_LE(code, kServerErrorLast);
  }
}

// --- Strings ----------------------------------------------------------------------------------

struct StringCase {
  absl::string_view text;
  absl::string_view json;
};

TEST(JsonRpcEncoderStringTest, EscapesAsRfc8259Requires) {
  const StringCase cases[] = {
      {"", R"("")"},
      {"plain ascii ~", R"("plain ascii ~")"},
      {"q\"b\\s/", R"("q\"b\\s/")"},
      {"\b\f\n\r\t", R"("\b\f\n\r\t")"},
      {absl::string_view("\0\x01\x1f\x7f", 4), "\"\\u0000\\u0001\\u001f\x7f\""},
      {"caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF",
       "\"caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF\""},
      {"\xE2\x80\xA8", "\"\xE2\x80\xA8\""},  // U+2028 is valid JSON as is.
  };
  for (const StringCase& c : cases) {
    EXPECT_EQ(Encoded(c.text), c.json) << absl::CEscape(c.text);
  }
}

TEST(JsonRpcEncoderStringTest, ReplacesEachInvalidUtf8Byte) {
  const StringCase cases[] = {
      {"\x80", "\"\xEF\xBF\xBD\""},                                  // Lone continuation byte.
      {"a\xC3", "\"a\xEF\xBF\xBD\""},                                // Cut at the end.
      {"\xC3(", "\"\xEF\xBF\xBD(\""},                                // Bad continuation.
      {"\xC0\xAF", "\"\xEF\xBF\xBD\xEF\xBF\xBD\""},                  // Overlong.
      {"\xE0\x80\xAF", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""},  // Overlong.
      {"\xED\xA0\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""},  // Surrogate U+D800.
      {"\xF4\x90\x80\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""},  // > U+10FFFF
      {"\xF5", "\"\xEF\xBF\xBD\""},
      {"\xFF\"", "\"\xEF\xBF\xBD\\\"\""},
      {"\xF0\x9F\x98", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""},  // Cut 4-byte sequence.
  };
  for (const StringCase& c : cases) {
    const std::string json = Encoded(c.text);
    EXPECT_EQ(json, c.json) << absl::CEscape(c.text);
    EXPECT_TRUE(IsValidJson(json)) << absl::CEscape(json);
  }
}

TEST(JsonRpcEncoderStringTest, EveryByteRoundTrips) {
  // Every single byte, and every byte after a valid 2-byte lead, encodes to valid JSON; ASCII
  // and valid sequences decode back to themselves.
  for (int b = 0; b < 256; ++b) {
    for (absl::string_view prefix : {"", "\xC3"}) {
      const std::string text = absl::StrCat(prefix, std::string(1, static_cast<char>(b)));
      const std::string json = Encoded(text);
      JsonTree tree;
      ASSERT_EQ(ParseJsonTree(json, tree), JsonVerdict::kValid) << absl::CEscape(json);
      ASSERT_EQ(tree.type, JsonTree::Type::kString);
      const std::string& decoded = tree.text;
      const bool valid = prefix.empty() ? b < 0x80 : (b >= 0x80 && b <= 0xBF);
      if (valid) {
        EXPECT_EQ(decoded, text) << b;
      }
    }
  }
}

// --- Framing ----------------------------------------------------------------------------------

TEST(ResponseWriterTest, SingleResponseIsNotFramed) {
  std::string out;
  ResponseWriter writer(/*batch=*/false, out);
  writer.AddResult("1", "2");
  EXPECT_EQ(writer.Finish(), 1u);
  EXPECT_EQ(out, R"({"jsonrpc":"2.0","result":2,"id":1})");
}

TEST(ResponseWriterTest, BatchKeepsOrderInOneArray) {
  std::string out;
  ResponseWriter writer(/*batch=*/true, out);
  writer.AddResult(R"("a")", "1");
  writer.AddCallError(CallError{kMethodNotFound, "null", true, absl::NotFoundError("x")});
  writer.AddError(R"("b")", ErrorObject{kInternalError, "Internal error", {}});
  std::string encoded;
  EncodeResult(R"("c")", "[]", encoded);
  writer.AddEncoded(encoded);
  writer.AddCallError(CallError{kInvalidRequest, "null", false, absl::InvalidArgumentError("x")});
  EXPECT_EQ(writer.Finish(), 4u);
  EXPECT_EQ(out,
            R"([{"jsonrpc":"2.0","result":1,"id":"a"},)"
            R"({"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":"b"},)"
            R"({"jsonrpc":"2.0","result":[],"id":"c"},)"
            R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}])");
  EXPECT_TRUE(IsValidJson(out));
}

TEST(ResponseWriterTest, NoResponsesWriteNothing) {
  // Spec §6: never an empty array; the HTTP gateway sends no body.
  for (bool batch : {false, true}) {
    std::string out;
    ResponseWriter writer(batch, out);
    writer.AddCallError(CallError{kMethodNotFound, "null", true, absl::NotFoundError("x")});
    EXPECT_EQ(writer.Finish(), 0u);
    EXPECT_EQ(out, "");
  }
}

}  // namespace
}  // namespace weft::protocols::jsonrpc
