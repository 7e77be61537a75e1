// HttpRequestDecoder: every error status, every limit (just under and just over), poisoning.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "protocols/http/http_request_decoder.h"
#include "protocols/http/http_types.h"
#include "protocols/http/limits.h"
#include "protocols/http/testing/decode_stream.h"
#include "tests/testing/status_matchers.h"

namespace weft::protocols::http {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;
using ::weft::protocols::http::testing::DecodeRequestsByteByByte;
using ::weft::protocols::http::testing::DecodeRequestsRandomly;
using ::weft::protocols::http::testing::DecodeRequestsWhole;
using ::weft::protocols::http::testing::RequestStream;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

using Code = absl::StatusCode;

struct ErrorCase {
  absl::string_view what;
  std::string input;
  Code code;
  int http_status;
};

// Expects `c.input` to fail the same way however it is split, having yielded no request.
void ExpectError(const ErrorCase& c, const HttpLimits& limits = HttpLimits{}) {
  SCOPED_TRACE(absl::StrCat(c.what, ": ", absl::CHexEscape(c.input.substr(0, 200))));
  const RequestStream whole = DecodeRequestsWhole(c.input, limits);
  EXPECT_THAT(whole.status, StatusIs(c.code, StartsWith("http: ")));
  EXPECT_EQ(whole.error_status, c.http_status);
  EXPECT_THAT(whole.requests, IsEmpty());
  EXPECT_EQ(whole.buffered, 0u);
  const RequestStream bytes = DecodeRequestsByteByByte(c.input, limits);
  EXPECT_EQ(bytes.status, whole.status);
  EXPECT_EQ(bytes.error_status, c.http_status);
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const RequestStream split = DecodeRequestsRandomly(c.input, seed, limits);
    EXPECT_EQ(split.status, whole.status) << "seed " << seed;
    EXPECT_EQ(split.error_status, c.http_status) << "seed " << seed;
  }
}

std::string Get(absl::string_view fields) {
  return absl::StrCat("GET / HTTP/1.1\r\nHost: a\r\n", fields, "\r\n");
}

std::string Post(absl::string_view fields, absl::string_view body = "") {
  return absl::StrCat("POST / HTTP/1.1\r\nHost: a\r\n", fields, "\r\n", body);
}

TEST(HttpRequestDecoderErrorsTest, RejectsMalformedRequestLinesWith400) {
  const std::vector<ErrorCase> cases = {
      {"two spaces", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", Code::kInvalidArgument, 400},
      {"tab separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", Code::kInvalidArgument, 400},
      {"trailing space", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", Code::kInvalidArgument, 400},
      {"no version (HTTP/0.9)", "GET /\r\n\r\n", Code::kInvalidArgument, 400},
      {"lowercase version", "GET / http/1.1\r\nHost: a\r\n\r\n", Code::kInvalidArgument, 400},
      {"two-digit minor", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", Code::kInvalidArgument, 400},
      {"bad method", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", Code::kInvalidArgument, 400},
      {"empty method", " / HTTP/1.1\r\nHost: a\r\n\r\n", Code::kInvalidArgument, 400},
      {"control in target", "GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", Code::kInvalidArgument, 400},
      {"non-ASCII target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", Code::kInvalidArgument,
       400},
      {"bare CR", "GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", Code::kInvalidArgument, 400},
      {"CR inside", "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", Code::kInvalidArgument, 400},
      {"not HTTP", "\x16\x03\x01\x02\x01\x01\xfc\x03\x03\n", Code::kInvalidArgument, 400},
  };
  for (const ErrorCase& c : cases) ExpectError(c);
}

TEST(HttpRequestDecoderErrorsTest, RejectsOtherMajorVersionsWith505) {
  const std::vector<ErrorCase> cases = {
      {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Code::kUnimplemented, 505},
      {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", Code::kUnimplemented, 505},
      {"HTTP/3.0", "GET / HTTP/3.0\r\nHost: a\r\n\r\n", Code::kUnimplemented, 505},
      {"HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", Code::kUnimplemented, 505},
  };
  for (const ErrorCase& c : cases) ExpectError(c);
}

TEST(HttpRequestDecoderErrorsTest, RejectsMalformedFieldLinesWith400) {
  const std::vector<ErrorCase> cases = {
      {"obs-fold", Get("X-A: one\r\n  two\r\n"), Code::kInvalidArgument, 400},
      {"obs-fold with tab", Get("X-A: one\r\n\ttwo\r\n"), Code::kInvalidArgument, 400},
      {"whitespace before the first field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n",
       Code::kInvalidArgument, 400},
      {"space before colon", Get("X-A : b\r\n"), Code::kInvalidArgument, 400},
      {"no colon", Get("X-A b\r\n"), Code::kInvalidArgument, 400},
      {"empty name", Get(": b\r\n"), Code::kInvalidArgument, 400},
      {"bad name character", Get("X(A): b\r\n"), Code::kInvalidArgument, 400},
      {"NUL in value", Get(std::string("X-A: a\0b\r\n", 10)), Code::kInvalidArgument, 400},
      {"control in value", Get("X-A: a\x01z\r\n"), Code::kInvalidArgument, 400},
      {"DEL in value", Get("X-A: a\x7f\r\n"), Code::kInvalidArgument, 400},
      {"bare CR in value", Get("X-A: a\rb\r\n"), Code::kInvalidArgument, 400},
  };
  for (const ErrorCase& c : cases) ExpectError(c);
}

TEST(HttpRequestDecoderErrorsTest, RejectsHostProblemsWith400) {
  const std::vector<ErrorCase> cases = {
      {"HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n", Code::kInvalidArgument, 400},
      {"two Host lines", Get("Host: b\r\n"), Code::kInvalidArgument, 400},
      {"two Host lines in 1.0", "GET / HTTP/1.0\r\nHost: a\r\nHOST: a\r\n\r\n",
       Code::kInvalidArgument, 400},
      {"bad Host value", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", Code::kInvalidArgument, 400},
      {"Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", Code::kInvalidArgument, 400},
  };
  for (const ErrorCase& c : cases) ExpectError(c);
}

TEST(HttpRequestDecoderErrorsTest, RejectsAmbiguousFramingWith400) {
  // RFC 9112 §6.1, §6.3 and RFC 9110 §8.6: the rules that stop request smuggling.
  const std::vector<ErrorCase> cases = {
      {"TE and CL", Post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "0\r\n\r\n"),
       Code::kInvalidArgument, 400},
      {"CL and TE", Post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
       Code::kInvalidArgument, 400},
      {"differing CL lines", Post("Content-Length: 5\r\nContent-Length: 6\r\n", "123456"),
       Code::kInvalidArgument, 400},
      {"differing CL list", Post("Content-Length: 5, 6\r\n", "123456"), Code::kInvalidArgument,
       400},
      {"CL not a number", Post("Content-Length: abc\r\n"), Code::kInvalidArgument, 400},
      {"CL negative", Post("Content-Length: -1\r\n"), Code::kInvalidArgument, 400},
      {"CL with sign", Post("Content-Length: +5\r\n", "12345"), Code::kInvalidArgument, 400},
      {"CL empty", Post("Content-Length: \r\n"), Code::kInvalidArgument, 400},
      {"CL empty member", Post("Content-Length: 5,\r\n", "12345"), Code::kInvalidArgument, 400},
      {"CL hex", Post("Content-Length: 0x5\r\n", "12345"), Code::kInvalidArgument, 400},
      {"TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       Code::kInvalidArgument, 400},
      {"TE not ending in chunked", Post("Transfer-Encoding: gzip\r\n"), Code::kInvalidArgument,
       400},
      {"TE chunked then gzip", Post("Transfer-Encoding: chunked, gzip\r\n"), Code::kInvalidArgument,
       400},
      {"TE chunked twice", Post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
       Code::kInvalidArgument, 400},
      {"TE empty", Post("Transfer-Encoding: \r\n"), Code::kInvalidArgument, 400},
      {"TE chunked with a parameter", Post("Transfer-Encoding: chunked;q=1\r\n"),
       Code::kInvalidArgument, 400},
  };
  for (const ErrorCase& c : cases) ExpectError(c);
}

TEST(HttpRequestDecoderErrorsTest, RejectsUnknownTransferCodingWith501) {
  const std::vector<ErrorCase> cases = {
      {"gzip, chunked", Post("Transfer-Encoding: gzip, chunked\r\n"), Code::kUnimplemented, 501},
      {"two lines", Post("Transfer-Encoding: x-custom\r\nTransfer-Encoding: chunked\r\n"),
       Code::kUnimplemented, 501},
  };
  for (const ErrorCase& c : cases) ExpectError(c);
}

TEST(HttpRequestDecoderErrorsTest, RejectsUnknownExpectationWith417) {
  ExpectError({"Expect", Post("Expect: 200-ok\r\n"), Code::kUnimplemented, 417});
  ExpectError({"Expect list", Post("Expect: 100-continue, x\r\n"), Code::kUnimplemented, 417});
}

TEST(HttpRequestDecoderErrorsTest, RejectsContentLengthOverTheBodyLimitBeforeTheBody) {
  HttpLimits limits;
  limits.max_body_bytes = 100;
  const RequestStream at_limit =
      DecodeRequestsWhole(Post("Content-Length: 100\r\n", std::string(100, 'x')), limits);
  ASSERT_THAT(at_limit.requests, SizeIs(1));
  EXPECT_EQ(at_limit.requests[0].body.size(), 100u);
  // Only the head is sent: the answer must not wait for the body.
  ExpectError({"CL over", Post("Content-Length: 101\r\n"), Code::kResourceExhausted, 413}, limits);
  ExpectError({"CL huge", Post("Content-Length: 99999999999999999999999999\r\n"),
               Code::kResourceExhausted, 413},
              limits);
  ExpectError(
      {"default limit", Post("Content-Length: 16777217\r\n"), Code::kResourceExhausted, 413});
}

TEST(HttpRequestDecoderErrorsTest, AnswersAnOverlongRequestTargetWith414) {
  HttpLimits limits;
  limits.max_start_line_bytes = 64;
  // "GET " + target + " HTTP/1.1\r\n" is 64 bytes with a 49-byte target.
  const std::string fits =
      absl::StrCat("GET /", std::string(48, 'a'), " HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_THAT(DecodeRequestsWhole(fits, limits).requests, SizeIs(1));
  ExpectError({"target one over",
               absl::StrCat("GET /", std::string(49, 'a'), " HTTP/1.1\r\nHost: a\r\n\r\n"),
               Code::kResourceExhausted, 414},
              limits);
  // Never terminated: detected once the limit is reached, not at the end of the line.
  ExpectError({"target unterminated", absl::StrCat("GET /", std::string(100, 'a')),
               Code::kResourceExhausted, 414},
              limits);
  ExpectError({"default limit", absl::StrCat("GET /", std::string(9000, 'a'), " HTTP/1.1\r\n"),
               Code::kResourceExhausted, 414});
}

TEST(HttpRequestDecoderErrorsTest, AnswersOtherOverlongRequestLinesWith400) {
  HttpLimits limits;
  limits.max_start_line_bytes = 64;
  ExpectError({"long method", std::string(100, 'A'), Code::kInvalidArgument, 400}, limits);
  ExpectError({"long version", absl::StrCat("GET / HTTP/1.1", std::string(60, '1'), "\r\n"),
               Code::kInvalidArgument, 400},
              limits);
  ExpectError({"long CRLF run", std::string(200, '\r'), Code::kInvalidArgument, 400}, limits);
}

TEST(HttpRequestDecoderErrorsTest, AnswersAnOverlongHeaderSectionWith431) {
  HttpLimits limits;
  limits.max_header_bytes = 64;
  // "Host: a\r\n" (9) + "X: " 48 bytes "\r\n" (53) + "\r\n" (2): exactly 64.
  const std::string fits =
      absl::StrCat("GET / HTTP/1.1\r\nHost: a\r\nX: ", std::string(48, 'v'), "\r\n\r\n");
  EXPECT_THAT(DecodeRequestsWhole(fits, limits).requests, SizeIs(1));
  ExpectError({"one over",
               absl::StrCat("GET / HTTP/1.1\r\nHost: a\r\nX: ", std::string(49, 'v'), "\r\n\r\n"),
               Code::kResourceExhausted, 431},
              limits);
  ExpectError({"never ends", absl::StrCat("GET / HTTP/1.1\r\nX: ", std::string(100, 'v')),
               Code::kResourceExhausted, 431},
              limits);
  ExpectError({"default limit", Get(absl::StrCat("X: ", std::string(64 * 1024, 'v'), "\r\n")),
               Code::kResourceExhausted, 431});
}

TEST(HttpRequestDecoderErrorsTest, AnswersTooManyFieldsWith431) {
  HttpLimits limits;
  limits.max_header_count = 3;
  EXPECT_THAT(DecodeRequestsWhole(Get("A: 1\r\nB: 2\r\n"), limits).requests, SizeIs(1));
  ExpectError({"four fields", Get("A: 1\r\nB: 2\r\nC: 3\r\n"), Code::kResourceExhausted, 431},
              limits);
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 101; ++i) many += "A: b\r\n";
  ExpectError({"default limit", many, Code::kResourceExhausted, 431});
}

TEST(HttpRequestDecoderErrorsTest, PoisonsAfterAnError) {
  HttpRequestDecoder decoder;
  ASSERT_THAT(decoder.Feed("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/2.0\r\n\r\n"), IsOk());
  // The good request before the bad one is still yielded, in order.
  ASSERT_TRUE(decoder.Next().has_value());
  EXPECT_FALSE(decoder.Next().has_value());
  const absl::Status error = decoder.status();
  EXPECT_THAT(error, StatusIs(Code::kUnimplemented, HasSubstr("HTTP/2.0")));
  EXPECT_EQ(decoder.error_status(), 505);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  EXPECT_EQ(decoder.Feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), error);
  EXPECT_FALSE(decoder.Next().has_value());
  EXPECT_EQ(decoder.status(), error);
  EXPECT_EQ(decoder.error_status(), 505);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

}  // namespace
}  // namespace weft::protocols::http
