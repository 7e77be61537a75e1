// HttpRequestDecoder: chunked bodies (extensions, trailers, limits, malformed framing) and
// Expect: 100-continue.
#include <optional>
#include <string>
#include <variant>
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

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;
using ::weft::protocols::http::testing::DecodeRequestsByteByByte;
using ::weft::protocols::http::testing::DecodeRequestsRandomly;
using ::weft::protocols::http::testing::DecodeRequestsWhole;
using ::weft::protocols::http::testing::RequestStream;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

constexpr absl::string_view kChunkedHead =
    "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";

std::string Chunked(absl::string_view body) { return absl::StrCat(kChunkedHead, body); }

RequestStream DecodeEveryWay(absl::string_view input, const HttpLimits& limits = HttpLimits{}) {
  RequestStream whole = DecodeRequestsWhole(input, limits);
  const RequestStream bytes = DecodeRequestsByteByByte(input, limits);
  EXPECT_EQ(bytes.requests, whole.requests) << "one byte at a time";
  EXPECT_EQ(bytes.status, whole.status) << "one byte at a time";
  EXPECT_EQ(bytes.error_status, whole.error_status) << "one byte at a time";
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const RequestStream split = DecodeRequestsRandomly(input, seed, limits);
    EXPECT_EQ(split.requests, whole.requests) << "seed " << seed;
    EXPECT_EQ(split.status, whole.status) << "seed " << seed;
    EXPECT_EQ(split.error_status, whole.error_status) << "seed " << seed;
  }
  return whole;
}

void ExpectChunkedError(absl::string_view body, absl::StatusCode code, int http_status,
                        const HttpLimits& limits = HttpLimits{}) {
  SCOPED_TRACE(absl::CHexEscape(body));
  const RequestStream stream = DecodeEveryWay(Chunked(body), limits);
  EXPECT_THAT(stream.status, StatusIs(code));
  EXPECT_EQ(stream.error_status, http_status);
  EXPECT_THAT(stream.requests, IsEmpty());
}

TEST(HttpRequestDecoderChunkedTest, DecodesAChunkedBodyInPlace) {
  const RequestStream stream = DecodeEveryWay(Chunked("5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n"));
  ASSERT_THAT(stream.requests, SizeIs(1));
  EXPECT_EQ(stream.requests[0].body, "hello, world");
  EXPECT_TRUE(stream.requests[0].chunked);
  EXPECT_FALSE(stream.requests[0].content_length.has_value());
  EXPECT_THAT(stream.requests[0].trailers, IsEmpty());
  EXPECT_EQ(stream.buffered, 0u);
}

TEST(HttpRequestDecoderChunkedTest, IgnoresChunkExtensions) {
  const RequestStream stream = DecodeEveryWay(
      Chunked("3;name=value\r\nabc\r\nA ; a=\"quoted; value\" ;b\r\n0123456789\r\n0;last\r\n\r\n"));
  ASSERT_THAT(stream.requests, SizeIs(1));
  EXPECT_EQ(stream.requests[0].body, "abc0123456789");
}

TEST(HttpRequestDecoderChunkedTest, AcceptsHexSizesInEitherCaseAndLeadingZeros) {
  const RequestStream stream = DecodeEveryWay(Chunked(
      absl::StrCat("00000000000000000000a\r\n", std::string(10, 'x'), "\r\n1A\r\n",
                   std::string(26, 'y'), "\r\n1a\r\n", std::string(26, 'z'), "\r\n0\r\n\r\n")));
  ASSERT_THAT(stream.requests, SizeIs(1));
  EXPECT_EQ(stream.requests[0].body.size(), 62u);
}

TEST(HttpRequestDecoderChunkedTest, ParsesTrailers) {
  const RequestStream stream =
      DecodeEveryWay(Chunked("4\r\ndata\r\n0\r\nChecksum: abc123\r\nX-Done:  yes \r\n\r\n"
                             "GET /next HTTP/1.1\r\nHost: a\r\n\r\n"));
  ASSERT_THAT(stream.requests, SizeIs(2));
  EXPECT_EQ(stream.requests[0].body, "data");
  EXPECT_THAT(stream.requests[0].trailers,
              ElementsAre(Pair("Checksum", "abc123"), Pair("X-Done", "yes")));
  EXPECT_EQ(stream.requests[1].target, "/next");
  EXPECT_THAT(stream.requests[1].trailers, IsEmpty());
}

TEST(HttpRequestDecoderChunkedTest, DecodesAnEmptyChunkedBody) {
  const RequestStream stream = DecodeEveryWay(Chunked("0\r\n\r\n"));
  ASSERT_THAT(stream.requests, SizeIs(1));
  EXPECT_EQ(stream.requests[0].body, "");
}

TEST(HttpRequestDecoderChunkedTest, AcceptsCodingNamesInAnyCaseAndListForm) {
  for (absl::string_view te : {"Chunked", "CHUNKED", " chunked ", ", chunked,"}) {
    const RequestStream stream = DecodeRequestsWhole(absl::StrCat(
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:", te, "\r\n\r\n1\r\nx\r\n0\r\n\r\n"));
    ASSERT_THAT(stream.requests, SizeIs(1)) << te;
    EXPECT_EQ(stream.requests[0].body, "x");
  }
}

TEST(HttpRequestDecoderChunkedTest, PipelinesChunkedAndContentLengthRequests) {
  const RequestStream stream = DecodeEveryWay(absl::StrCat(
      Chunked("2\r\nab\r\n0\r\n\r\n"), "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\ncd",
      Chunked("1\r\ne\r\n0\r\nT: 1\r\n\r\n")));
  ASSERT_THAT(stream.requests, SizeIs(3));
  EXPECT_EQ(stream.requests[0].body, "ab");
  EXPECT_EQ(stream.requests[1].body, "cd");
  EXPECT_EQ(stream.requests[2].body, "e");
  EXPECT_THAT(stream.requests[2].trailers, ElementsAre(Pair("T", "1")));
}

TEST(HttpRequestDecoderChunkedTest, RejectsMalformedChunkedFramingWith400) {
  ExpectChunkedError("\r\n", absl::StatusCode::kInvalidArgument, 400);  // No size.
  ExpectChunkedError("xyz\r\n", absl::StatusCode::kInvalidArgument, 400);
  ExpectChunkedError("-5\r\n", absl::StatusCode::kInvalidArgument, 400);
  ExpectChunkedError("0x5\r\nhello\r\n0\r\n\r\n", absl::StatusCode::kInvalidArgument, 400);
  ExpectChunkedError("5 \r\nhello\r\n0\r\n\r\n", absl::StatusCode::kInvalidArgument, 400);
  ExpectChunkedError("5\nhello\r\n0\r\n\r\n", absl::StatusCode::kInvalidArgument, 400);
  ExpectChunkedError("5;a\x01\r\nhello\r\n0\r\n\r\n", absl::StatusCode::kInvalidArgument, 400);
  ExpectChunkedError("5\r\nhelloXX0\r\n\r\n", absl::StatusCode::kInvalidArgument, 400);
  ExpectChunkedError("5\r\nhello\n0\r\n\r\n", absl::StatusCode::kInvalidArgument, 400);
  ExpectChunkedError("5\r\nhello\rX", absl::StatusCode::kInvalidArgument, 400);
  ExpectChunkedError("5\r\nhello\r\n0\r\n bad\r\n\r\n", absl::StatusCode::kInvalidArgument, 400);
  ExpectChunkedError("5\r\nhello\r\n0\r\nNo colon\r\n\r\n", absl::StatusCode::kInvalidArgument,
                     400);
}

TEST(HttpRequestDecoderChunkedTest, RejectsAnOverlongChunkSizeLineWith400) {
  HttpLimits limits;
  limits.max_chunk_line_bytes = 16;
  const RequestStream fits =
      DecodeEveryWay(Chunked("1;abcdefghijkl\r\nx\r\n0\r\n\r\n"), limits);  // 16 bytes.
  EXPECT_THAT(fits.requests, SizeIs(1));
  ExpectChunkedError("1;abcdefghijklm\r\nx\r\n0\r\n\r\n", absl::StatusCode::kInvalidArgument, 400,
                     limits);
  ExpectChunkedError(absl::StrCat("1;", std::string(5000, 'e')), absl::StatusCode::kInvalidArgument,
                     400);
}

TEST(HttpRequestDecoderChunkedTest, RejectsAChunkedBodyOverTheLimitWith413) {
  HttpLimits limits;
  limits.max_body_bytes = 10;
  const RequestStream fits =
      DecodeEveryWay(Chunked("5\r\n12345\r\n5\r\n67890\r\n0\r\n\r\n"), limits);
  EXPECT_THAT(fits.requests, SizeIs(1));
  // Refused at the size line, before the chunk's data.
  ExpectChunkedError("5\r\n12345\r\n6\r\n", absl::StatusCode::kResourceExhausted, 413, limits);
  ExpectChunkedError("b\r\n", absl::StatusCode::kResourceExhausted, 413, limits);
  ExpectChunkedError("ffffffffffffffffffff\r\n", absl::StatusCode::kResourceExhausted, 413);
  ExpectChunkedError("10000000000000000\r\n", absl::StatusCode::kResourceExhausted, 413);
}

TEST(HttpRequestDecoderChunkedTest, RejectsAnOverlongTrailerSectionWith431) {
  HttpLimits limits;
  limits.max_trailer_bytes = 16;
  const RequestStream fits = DecodeEveryWay(Chunked("0\r\nA: 012345678\r\n\r\n"), limits);
  EXPECT_THAT(fits.requests, SizeIs(1));
  ExpectChunkedError("0\r\nA: 0123456789\r\n\r\n", absl::StatusCode::kResourceExhausted, 431,
                     limits);
  limits.max_trailer_bytes = 1000;
  limits.max_header_count = 2;
  ExpectChunkedError("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", absl::StatusCode::kResourceExhausted, 431,
                     limits);
}

// --- Expect: 100-continue -----------------------------------------------------------------------

constexpr absl::string_view kExpectHead =
    "PUT /big HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";

TEST(HttpRequestDecoderChunkedTest, OffersContinueBeforeTheBodyArrives) {
  HttpRequestDecoder decoder;
  ASSERT_THAT(decoder.Feed(kExpectHead), IsOk());
  std::optional<HttpRequestEvent> event = decoder.Next();
  ASSERT_TRUE(event.has_value());
  const auto* expected = std::get_if<ContinueExpected>(&*event);
  ASSERT_NE(expected, nullptr);
  EXPECT_EQ(expected->head.target, "/big");
  EXPECT_EQ(expected->head.content_length, 5u);
  EXPECT_TRUE(expected->head.expect_continue);
  EXPECT_EQ(FindHeader(expected->head.headers, "expect"), "100-continue");
  EXPECT_FALSE(decoder.Next().has_value());

  ASSERT_THAT(decoder.Feed("hel"), IsOk());
  EXPECT_FALSE(decoder.Next().has_value());
  ASSERT_THAT(decoder.Feed("lo"), IsOk());
  event = decoder.Next();
  ASSERT_TRUE(event.has_value());
  const auto* request = std::get_if<HttpRequest>(&*event);
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->body, "hello");
  EXPECT_TRUE(request->expect_continue);
  EXPECT_FALSE(decoder.Next().has_value());
}

TEST(HttpRequestDecoderChunkedTest, OffersNoContinueOnceTheBodyHasStarted) {
  const RequestStream whole = DecodeRequestsWhole(absl::StrCat(kExpectHead, "hello"));
  EXPECT_THAT(whole.continues, IsEmpty());
  ASSERT_THAT(whole.requests, SizeIs(1));
  EXPECT_TRUE(whole.requests[0].expect_continue);
  const RequestStream partly = DecodeRequestsWhole(absl::StrCat(kExpectHead, "h"));
  EXPECT_THAT(partly.continues, IsEmpty());
}

TEST(HttpRequestDecoderChunkedTest, OffersContinueOncePerRequestWhenFedByteByByte) {
  const std::string input = absl::StrCat(kExpectHead, "hello", kExpectHead, "world");
  const RequestStream stream = DecodeRequestsByteByByte(input);
  ASSERT_THAT(stream.requests, SizeIs(2));
  ASSERT_THAT(stream.continues, SizeIs(2));
  EXPECT_EQ(stream.continues[0].second, 0u);  // Before the first request.
  EXPECT_EQ(stream.continues[1].second, 1u);  // Between the two.
  EXPECT_EQ(stream.continues[1].first.target, "/big");
}

TEST(HttpRequestDecoderChunkedTest, OffersContinueForChunkedBodies) {
  const RequestStream stream = DecodeRequestsWhole(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-Continue\r\n\r\n");
  ASSERT_THAT(stream.continues, SizeIs(1));
  EXPECT_TRUE(stream.continues[0].first.chunked);
}

TEST(HttpRequestDecoderChunkedTest, OffersNoContinueWithoutABodyOrInHttp10) {
  // RFC 9110 §10.1.1: no 100 when the framing says there is no content; HTTP/1.0 ignores it.
  for (absl::string_view input :
       {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n",
        "POST / HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"}) {
    const RequestStream stream = DecodeRequestsWhole(input);
    EXPECT_THAT(stream.continues, IsEmpty()) << input;
    EXPECT_THAT(stream.status, IsOk());
  }
  const RequestStream http10 =
      DecodeRequestsWhole("POST / HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nok");
  ASSERT_THAT(http10.requests, SizeIs(1));
  EXPECT_FALSE(http10.requests[0].expect_continue);
}

}  // namespace
}  // namespace weft::protocols::http
