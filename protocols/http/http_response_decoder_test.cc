// HttpResponseDecoder: framing by Content-Length, chunked and connection close; responses
// without a body (HEAD, 1xx, 204, 304); keep-alive; the end of the stream; errors; splits.
#include "protocols/http/http_response_decoder.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "protocols/http/http_types.h"
#include "protocols/http/limits.h"
#include "protocols/http/testing/decode_stream.h"
#include "tests/testing/status_matchers.h"

namespace weft::protocols::http {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;
using ::testing::StartsWith;
using ::weft::protocols::http::testing::DecodeResponsesByteByByte;
using ::weft::protocols::http::testing::DecodeResponsesRandomly;
using ::weft::protocols::http::testing::DecodeResponsesWhole;
using ::weft::protocols::http::testing::ResponseStream;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

using Code = absl::StatusCode;

const std::vector<HttpMethod> kOneGet = {HttpMethod::kGet};

ResponseStream DecodeEveryWay(absl::string_view input, const std::vector<HttpMethod>& methods,
                              bool eof, const HttpLimits& limits = HttpLimits{}) {
  SCOPED_TRACE(absl::CHexEscape(input));
  ResponseStream whole = DecodeResponsesWhole(input, methods, eof, limits);
  const ResponseStream bytes = DecodeResponsesByteByByte(input, methods, eof, limits);
  EXPECT_EQ(bytes.responses, whole.responses) << "one byte at a time";
  EXPECT_EQ(bytes.status, whole.status) << "one byte at a time";
  EXPECT_EQ(bytes.buffered, whole.buffered) << "one byte at a time";
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const ResponseStream split = DecodeResponsesRandomly(input, methods, eof, seed, limits);
    EXPECT_EQ(split.responses, whole.responses) << "seed " << seed;
    EXPECT_EQ(split.status, whole.status) << "seed " << seed;
  }
  return whole;
}

void ExpectError(absl::string_view input, Code code,
                 const std::vector<HttpMethod>& methods = kOneGet, bool eof = true,
                 const HttpLimits& limits = HttpLimits{}) {
  const ResponseStream stream = DecodeEveryWay(input, methods, eof, limits);
  EXPECT_THAT(stream.status, StatusIs(code, StartsWith("http: "))) << absl::CHexEscape(input);
  EXPECT_EQ(stream.buffered, 0u);
}

TEST(HttpResponseDecoderTest, DecodesAContentLengthResponse) {
  const ResponseStream stream = DecodeEveryWay(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", kOneGet,
      false);
  EXPECT_THAT(stream.status, IsOk());
  ASSERT_THAT(stream.responses, SizeIs(1));
  EXPECT_EQ(stream.responses[0].status_code, 200);
  EXPECT_EQ(stream.responses[0].reason, "OK");
  EXPECT_EQ(stream.responses[0].version_minor, 1);
  EXPECT_EQ(stream.responses[0].content_length, 5u);
  EXPECT_EQ(stream.responses[0].body, "hello");
  EXPECT_TRUE(stream.responses[0].keep_alive);
  EXPECT_THAT(stream.responses[0].headers,
              ElementsAre(Pair("Content-Type", "text/plain"), Pair("Content-Length", "5")));
}

TEST(HttpResponseDecoderTest, DecodesAChunkedResponseWithTrailers) {
  const ResponseStream stream = DecodeEveryWay(
      "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;ext\r\nabc\r\n2\r\nde\r\n0\r\nDigest: x\r\n\r\n",
      kOneGet, false);
  EXPECT_THAT(stream.status, IsOk());
  ASSERT_THAT(stream.responses, SizeIs(1));
  EXPECT_EQ(stream.responses[0].status_code, 202);
  EXPECT_TRUE(stream.responses[0].chunked);
  EXPECT_EQ(stream.responses[0].body, "abcde");
  EXPECT_THAT(stream.responses[0].trailers, ElementsAre(Pair("Digest", "x")));
}

TEST(HttpResponseDecoderTest, ReadsABodyUntilTheServerCloses) {
  constexpr absl::string_view kInput = "HTTP/1.1 200 OK\r\nServer: old\r\n\r\nall of this";
  const ResponseStream open = DecodeEveryWay(kInput, kOneGet, false);
  EXPECT_THAT(open.responses, IsEmpty());
  EXPECT_THAT(open.status, IsOk());
  const ResponseStream closed = DecodeEveryWay(kInput, kOneGet, true);
  EXPECT_THAT(closed.status, IsOk());
  ASSERT_THAT(closed.responses, SizeIs(1));
  EXPECT_EQ(closed.responses[0].body, "all of this");
  EXPECT_FALSE(closed.responses[0].keep_alive);
  EXPECT_FALSE(closed.responses[0].content_length.has_value());
}

TEST(HttpResponseDecoderTest, ReadsNoBodyForHeadEvenWithContentLength) {
  const ResponseStream stream = DecodeEveryWay(
      "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
      {HttpMethod::kHead, HttpMethod::kGet}, false);
  EXPECT_THAT(stream.status, IsOk());
  ASSERT_THAT(stream.responses, SizeIs(2));
  EXPECT_EQ(stream.responses[0].body, "");
  EXPECT_EQ(stream.responses[0].content_length, 1000u);
  EXPECT_EQ(stream.responses[1].body, "hi");
}

TEST(HttpResponseDecoderTest, ReadsNoBodyFor1xx204And304) {
  const ResponseStream stream = DecodeEveryWay(
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 204 No Content\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\nETag: \"x\"\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
      {HttpMethod::kPost, HttpMethod::kGet, HttpMethod::kGet}, false);
  EXPECT_THAT(stream.status, IsOk());
  ASSERT_THAT(stream.responses, SizeIs(5));
  EXPECT_EQ(stream.responses[0].status_code, 100);
  EXPECT_EQ(stream.responses[1].status_code, 204);
  EXPECT_EQ(stream.responses[2].status_code, 103);
  EXPECT_EQ(stream.responses[3].status_code, 304);
  EXPECT_EQ(stream.responses[3].body, "");
  EXPECT_EQ(stream.responses[4].status_code, 200);
}

TEST(HttpResponseDecoderTest, KeepsARequestPendingUntilItsFinalResponse) {
  HttpResponseDecoder decoder;
  decoder.ExpectResponse(HttpMethod::kPost);
  EXPECT_EQ(decoder.pending_responses(), 1u);
  ASSERT_THAT(decoder.Feed("HTTP/1.1 100 Continue\r\n\r\n"), IsOk());
  std::optional<HttpResponse> interim = decoder.Next();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status_code, 100);
  EXPECT_EQ(decoder.pending_responses(), 1u);
  ASSERT_THAT(decoder.Feed("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"), IsOk());
  std::optional<HttpResponse> final_response = decoder.Next();
  ASSERT_TRUE(final_response.has_value());
  EXPECT_EQ(final_response->status_code, 201);
  EXPECT_EQ(decoder.pending_responses(), 0u);
  EXPECT_FALSE(decoder.Next().has_value());
}

TEST(HttpResponseDecoderTest, AcceptsAStatusLineWithoutReason) {
  const ResponseStream stream = DecodeEveryWay(
      "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\nHTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n",
      {HttpMethod::kGet, HttpMethod::kGet}, false);
  ASSERT_THAT(stream.responses, SizeIs(2));
  EXPECT_EQ(stream.responses[0].reason, "");
  EXPECT_EQ(stream.responses[1].status_code, 404);
  EXPECT_EQ(stream.responses[1].reason, "");
}

TEST(HttpResponseDecoderTest, ComputesKeepAlive) {
  struct Case {
    absl::string_view head;
    bool keep_alive;
  };
  const Case cases[] = {
      {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n", true},
      {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n", false},
      {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n", false},
      {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n", true},
  };
  for (const Case& c : cases) {
    const ResponseStream stream =
        DecodeResponsesWhole(absl::StrCat(c.head, "\r\n"), kOneGet, false);
    ASSERT_THAT(stream.responses, SizeIs(1)) << c.head;
    EXPECT_EQ(stream.responses[0].keep_alive, c.keep_alive) << c.head;
  }
}

TEST(HttpResponseDecoderTest, FailsWhenTheServerClosesMidResponse) {
  ExpectError("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", Code::kUnavailable);
  ExpectError("HTTP/1.1 200 OK\r\nContent-Le", Code::kUnavailable);
  ExpectError("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", Code::kUnavailable);
  ExpectError("", Code::kUnavailable);  // A request left without an answer.
}

TEST(HttpResponseDecoderTest, AcceptsTheServerClosingAnIdleConnection) {
  const ResponseStream stream =
      DecodeEveryWay("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", kOneGet, true);
  EXPECT_THAT(stream.status, IsOk());
  EXPECT_THAT(stream.responses, SizeIs(1));
}

TEST(HttpResponseDecoderTest, RefusesBytesAfterTheEndOfTheStream) {
  HttpResponseDecoder decoder;
  ASSERT_THAT(decoder.FeedEof(), IsOk());
  EXPECT_THAT(decoder.Feed("HTTP/1.1"), StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(decoder.status(), IsOk());
}

TEST(HttpResponseDecoderTest, RejectsMalformedResponses) {
  ExpectError("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", Code::kInvalidArgument, {});
  ExpectError("HTTP/1.1 20 OK\r\n\r\n", Code::kInvalidArgument);
  ExpectError("HTTP/1.1 600 Weird\r\n\r\n", Code::kInvalidArgument);
  ExpectError("HTTP/1.1 2x0 OK\r\n\r\n", Code::kInvalidArgument);
  ExpectError("HTTP/1.1 200OK\r\n\r\n", Code::kInvalidArgument);
  ExpectError("HTTP/1.1 200 O\x01K\r\n\r\n", Code::kInvalidArgument);
  ExpectError("HTTP/1.1  200 OK\r\n\r\n", Code::kInvalidArgument);
  ExpectError("HTTPS/1.1 200 OK\r\n\r\n", Code::kInvalidArgument);
  ExpectError("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", Code::kInvalidArgument);
  ExpectError("HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n", Code::kInvalidArgument);
  ExpectError("HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nab", Code::kInvalidArgument);
  ExpectError("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", Code::kInvalidArgument);
  ExpectError("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
              Code::kInvalidArgument);
  ExpectError("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
              Code::kInvalidArgument);
  ExpectError("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n", Code::kInvalidArgument);
}

TEST(HttpResponseDecoderTest, RejectsWhatItCannotDecode) {
  ExpectError("HTTP/2.0 200 OK\r\n\r\n", Code::kUnimplemented);
  ExpectError("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
              Code::kUnimplemented);
  ExpectError("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", Code::kUnimplemented);
  ExpectError("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", Code::kUnimplemented);
  ExpectError("HTTP/1.1 200 Connection established\r\n\r\n", Code::kUnimplemented,
              {HttpMethod::kConnect});
}

TEST(HttpResponseDecoderTest, EnforcesTheLimits) {
  HttpLimits limits;
  limits.max_body_bytes = 8;
  limits.max_start_line_bytes = 32;
  limits.max_header_bytes = 32;
  ExpectError("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", Code::kResourceExhausted, kOneGet,
              false, limits);
  ExpectError("HTTP/1.1 200 OK\r\n\r\n123456789", Code::kResourceExhausted, kOneGet, false, limits);
  ExpectError("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n",
              Code::kResourceExhausted, kOneGet, false, limits);
  ExpectError(absl::StrCat("HTTP/1.1 200 ", std::string(40, 'K')), Code::kResourceExhausted,
              kOneGet, false, limits);
  ExpectError(absl::StrCat("HTTP/1.1 200 OK\r\nX: ", std::string(40, 'v')),
              Code::kResourceExhausted, kOneGet, false, limits);
  const ResponseStream fits =
      DecodeEveryWay("HTTP/1.1 200 OK\r\n\r\n12345678", kOneGet, true, limits);
  ASSERT_THAT(fits.responses, SizeIs(1));
  EXPECT_EQ(fits.responses[0].body, "12345678");
}

TEST(HttpResponseDecoderTest, PoisonsAfterAnError) {
  HttpResponseDecoder decoder;
  decoder.ExpectResponse(HttpMethod::kGet);
  ASSERT_THAT(decoder.Feed("HTTP/1.1 999 No\r\n\r\n"), IsOk());
  EXPECT_FALSE(decoder.Next().has_value());
  const absl::Status error = decoder.status();
  EXPECT_THAT(error, StatusIs(Code::kInvalidArgument));
  EXPECT_EQ(decoder.Feed("HTTP/1.1 200 OK\r\n\r\n"), error);
  EXPECT_EQ(decoder.FeedEof(), error);
  EXPECT_FALSE(decoder.Next().has_value());
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

}  // namespace
}  // namespace weft::protocols::http
