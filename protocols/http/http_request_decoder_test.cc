// HttpRequestDecoder: request-line, fields, Content-Length bodies, pipelining, keep-alive and
// how input is split. Errors and limits: http_request_decoder_errors_test.cc; chunked bodies and
// 100-continue: http_request_decoder_chunked_test.cc.
#include "protocols/http/http_request_decoder.h"

#include <optional>
#include <string>
#include <utility>
#include <variant>
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
using ::testing::Pair;
using ::testing::SizeIs;
using ::weft::protocols::http::testing::DecodeRequestsByteByByte;
using ::weft::protocols::http::testing::DecodeRequestsRandomly;
using ::weft::protocols::http::testing::DecodeRequestsWhole;
using ::weft::protocols::http::testing::RequestStream;
using ::weft::testing::IsOk;

// Decodes `input` whole, one byte at a time and at random split points, expects the same
// result every way, and returns it.
RequestStream DecodeEveryWay(absl::string_view input) {
  RequestStream whole = DecodeRequestsWhole(input);
  const RequestStream bytes = DecodeRequestsByteByByte(input);
  EXPECT_EQ(bytes.requests, whole.requests) << "one byte at a time";
  EXPECT_EQ(bytes.status, whole.status) << "one byte at a time";
  EXPECT_EQ(bytes.error_status, whole.error_status) << "one byte at a time";
  EXPECT_EQ(bytes.buffered, whole.buffered) << "one byte at a time";
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const RequestStream split = DecodeRequestsRandomly(input, seed);
    EXPECT_EQ(split.requests, whole.requests) << "seed " << seed;
    EXPECT_EQ(split.status, whole.status) << "seed " << seed;
    EXPECT_EQ(split.buffered, whole.buffered) << "seed " << seed;
  }
  return whole;
}

HttpRequest NextRequest(HttpRequestDecoder& decoder) {
  std::optional<HttpRequestEvent> event = decoder.Next();
  EXPECT_TRUE(event.has_value());
  if (!event.has_value() || !std::holds_alternative<HttpRequest>(*event)) {
    ADD_FAILURE() << "no request";
    return HttpRequest{};
  }
  return std::get<HttpRequest>(*event);
}

TEST(HttpRequestDecoderTest, DecodesSimpleGet) {
  HttpRequestDecoder decoder;
  ASSERT_THAT(decoder.Feed("GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\n"
                           "User-Agent: curl/8.0\r\nAccept: */*\r\n\r\n"),
              IsOk());
  const HttpRequest request = NextRequest(decoder);
  EXPECT_EQ(request.method, HttpMethod::kGet);
  EXPECT_EQ(request.method_name, "GET");
  EXPECT_EQ(request.target, "/index.html?q=1");
  EXPECT_EQ(request.version_minor, 1);
  EXPECT_EQ(request.host, "example.com");
  ASSERT_THAT(request.headers, SizeIs(3));
  EXPECT_EQ(request.headers[0].name, "Host");
  EXPECT_EQ(request.headers[0].value, "example.com");
  EXPECT_EQ(request.headers[1].name, "User-Agent");
  EXPECT_EQ(request.headers[1].value, "curl/8.0");
  EXPECT_EQ(request.headers[2].value, "*/*");
  EXPECT_FALSE(request.content_length.has_value());
  EXPECT_FALSE(request.chunked);
  EXPECT_FALSE(request.expect_continue);
  EXPECT_TRUE(request.keep_alive);
  EXPECT_TRUE(request.body.empty());
  EXPECT_TRUE(request.trailers.empty());
  EXPECT_FALSE(decoder.Next().has_value());
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  EXPECT_THAT(decoder.status(), IsOk());
  EXPECT_EQ(decoder.error_status(), 0);
}

TEST(HttpRequestDecoderTest, DecodesRequestFedOneByteAtATime) {
  HttpRequestDecoder decoder;
  for (char c : absl::string_view("POST /rpc HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi")) {
    ASSERT_THAT(decoder.Feed(absl::string_view(&c, 1)), IsOk());
    if (c != 'i') {
      EXPECT_FALSE(decoder.Next().has_value());
    }
  }
  const HttpRequest request = NextRequest(decoder);
  EXPECT_EQ(request.method, HttpMethod::kPost);
  EXPECT_EQ(request.body, "hi");
  EXPECT_EQ(request.content_length, 2u);
  EXPECT_FALSE(decoder.Next().has_value());
}

TEST(HttpRequestDecoderTest, SplitsNeverChangeTheResult) {
  const std::vector<std::string> streams = {
      "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
      "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world",
      "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n"
      "abcHEAD /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
      "\r\n\r\nGET /lf HTTP/1.1\nHost: a\nX: y\n\n",
      "GET / HTTP/1.0\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX: \x01\r\n\r\n",  // An error after the head started.
      "GET /a HTTP/1.1\r\nHost: a\r\n\r\nBREW /pot HTTP/2.0\r\n\r\n",
      "GET /partial HTTP/1.1\r\nHost:",
  };
  for (const std::string& stream : streams) {
    SCOPED_TRACE(absl::CHexEscape(stream));
    DecodeEveryWay(stream);
  }
}

TEST(HttpRequestDecoderTest, DecodesPipelinedRequestsInOneFeed) {
  const RequestStream stream = DecodeEveryWay(
      "GET /first HTTP/1.1\r\nHost: a\r\n\r\n"
      "POST /second HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n12345"
      "HEAD /third HTTP/1.1\r\nHost: a\r\n\r\n"
      "DELETE /fourth HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  EXPECT_THAT(stream.status, IsOk());
  ASSERT_THAT(stream.requests, SizeIs(4));
  EXPECT_EQ(stream.requests[0].target, "/first");
  EXPECT_EQ(stream.requests[1].target, "/second");
  EXPECT_EQ(stream.requests[1].body, "12345");
  EXPECT_EQ(stream.requests[2].method, HttpMethod::kHead);
  EXPECT_EQ(stream.requests[2].body, "");
  EXPECT_EQ(stream.requests[3].method, HttpMethod::kDelete);
  EXPECT_EQ(stream.requests[3].content_length, 0u);
  EXPECT_EQ(stream.buffered, 0u);
}

TEST(HttpRequestDecoderTest, KeepsViewsOfARequestUntilTheNextCall) {
  HttpRequestDecoder decoder;
  ASSERT_THAT(decoder.Feed("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: b\r\n\r\n"),
              IsOk());
  const HttpRequest first = NextRequest(decoder);
  EXPECT_EQ(first.target, "/a");
  EXPECT_EQ(first.host, "a");
  EXPECT_GT(decoder.buffered_bytes(), 0u);
  const HttpRequest second = NextRequest(decoder);
  EXPECT_EQ(second.target, "/b");
  EXPECT_EQ(second.headers[0].value, "b");
  EXPECT_EQ(decoder.buffered_bytes(), 28u);  // The views' bytes, until the next call.
  EXPECT_FALSE(decoder.Next().has_value());
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(HttpRequestDecoderTest, DecodesRequestsFedWithoutDraining) {
  HttpRequestDecoder decoder;
  ASSERT_THAT(decoder.Feed("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HT"), IsOk());
  ASSERT_THAT(decoder.Feed("TP/1.1\r\nHost: a\r\n\r\n"), IsOk());
  EXPECT_EQ(NextRequest(decoder).target, "/a");
  EXPECT_EQ(NextRequest(decoder).target, "/b");
  EXPECT_FALSE(decoder.Next().has_value());
}

TEST(HttpRequestDecoderTest, WaitsForTheWholeContentLengthBody) {
  HttpRequestDecoder decoder;
  ASSERT_THAT(decoder.Feed("PUT /k HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n01234"),
              IsOk());
  EXPECT_FALSE(decoder.Next().has_value());
  ASSERT_THAT(decoder.Feed("5678"), IsOk());
  EXPECT_FALSE(decoder.Next().has_value());
  ASSERT_THAT(decoder.Feed("9GET"), IsOk());
  const HttpRequest request = NextRequest(decoder);
  EXPECT_EQ(request.method, HttpMethod::kPut);
  EXPECT_EQ(request.body, "0123456789");
  EXPECT_FALSE(decoder.Next().has_value());
  EXPECT_EQ(decoder.buffered_bytes(), 3u);  // "GET" of the next request.
}

TEST(HttpRequestDecoderTest, ReadsTheBodyOfAnyMethodThatHasContentLength) {
  const RequestStream stream = DecodeEveryWay(
      "GET /search HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbodyGET / HTTP/1.1\r\n"
      "Host: a\r\n\r\n");
  ASSERT_THAT(stream.requests, SizeIs(2));
  EXPECT_EQ(stream.requests[0].body, "body");
  EXPECT_EQ(stream.requests[1].target, "/");
}

TEST(HttpRequestDecoderTest, RequestWithoutFramingHasNoBody) {
  // RFC 9112 §6.3 rule 7: no Content-Length or Transfer-Encoding means no content, even for
  // POST, so there is no 411; the next bytes are the next request.
  const RequestStream stream =
      DecodeEveryWay("POST /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_THAT(stream.requests, SizeIs(2));
  EXPECT_EQ(stream.requests[0].body, "");
  EXPECT_FALSE(stream.requests[0].content_length.has_value());
  EXPECT_EQ(stream.requests[1].target, "/b");
}

struct KeepAliveCase {
  absl::string_view version;
  absl::string_view connection;  // Empty: no Connection field.
  bool keep_alive;
};

TEST(HttpRequestDecoderTest, ComputesKeepAlivePerRfc9112Section9_3) {
  const KeepAliveCase cases[] = {
      {"HTTP/1.1", "", true},
      {"HTTP/1.1", "close", false},
      {"HTTP/1.1", "Close", false},
      {"HTTP/1.1", "keep-alive", true},
      {"HTTP/1.1", "keep-alive, close", false},
      {"HTTP/1.1", "Upgrade", true},
      {"HTTP/1.0", "", false},
      {"HTTP/1.0", "keep-alive", true},
      {"HTTP/1.0", "Keep-Alive", true},
      {"HTTP/1.0", "foo, keep-alive", true},
      {"HTTP/1.0", "close", false},
      {"HTTP/1.0", "keep-alive, close", false},
      {"HTTP/1.2", "", true},
  };
  for (const KeepAliveCase& c : cases) {
    std::string input = absl::StrCat("GET / ", c.version, "\r\nHost: a\r\n");
    if (!c.connection.empty()) absl::StrAppend(&input, "Connection: ", c.connection, "\r\n");
    input += "\r\n";
    SCOPED_TRACE(input);
    const RequestStream stream = DecodeRequestsWhole(input);
    ASSERT_THAT(stream.requests, SizeIs(1));
    EXPECT_EQ(stream.requests[0].keep_alive, c.keep_alive);
  }
}

TEST(HttpRequestDecoderTest, CombinesConnectionOptionsAcrossLines) {
  const RequestStream stream =
      DecodeRequestsWhole("GET / HTTP/1.0\r\nConnection: foo\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_THAT(stream.requests, SizeIs(1));
  EXPECT_TRUE(stream.requests[0].keep_alive);
}

TEST(HttpRequestDecoderTest, YieldsNothingAfterTheLastRequestOfTheConnection) {
  HttpRequestDecoder decoder;
  ASSERT_THAT(decoder.Feed("GET /last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                           "GET /ignored HTTP/1.1\r\nHost: a\r\n\r\n"),
              IsOk());
  const HttpRequest request = NextRequest(decoder);
  EXPECT_EQ(request.target, "/last");
  EXPECT_FALSE(request.keep_alive);
  EXPECT_FALSE(decoder.Next().has_value());
  EXPECT_THAT(decoder.Feed("GET /more HTTP/1.1\r\n\r\n"), IsOk());
  EXPECT_FALSE(decoder.Next().has_value());
  EXPECT_THAT(decoder.status(), IsOk());
}

TEST(HttpRequestDecoderTest, MapsMethodNamesCaseSensitively) {
  const std::pair<absl::string_view, HttpMethod> cases[] = {
      {"GET", HttpMethod::kGet},         {"HEAD", HttpMethod::kHead},
      {"POST", HttpMethod::kPost},       {"PUT", HttpMethod::kPut},
      {"DELETE", HttpMethod::kDelete},   {"CONNECT", HttpMethod::kConnect},
      {"OPTIONS", HttpMethod::kOptions}, {"TRACE", HttpMethod::kTrace},
      {"PATCH", HttpMethod::kPatch},     {"PROPFIND", HttpMethod::kOther},
      {"get", HttpMethod::kOther},       {"M-SEARCH", HttpMethod::kOther},
  };
  for (const auto& [name, method] : cases) {
    const RequestStream stream =
        DecodeRequestsWhole(absl::StrCat(name, " * HTTP/1.1\r\nHost: a\r\n\r\n"));
    ASSERT_THAT(stream.requests, SizeIs(1)) << name;
    EXPECT_EQ(stream.requests[0].method, method) << name;
    EXPECT_EQ(stream.requests[0].method_name, name);
  }
}

TEST(HttpRequestDecoderTest, KeepsEveryRequestTargetForm) {
  for (absl::string_view target :
       {"/", "/a/b?c=d&e=%20#frag", "http://example.com:8080/x", "example.com:443", "*"}) {
    const RequestStream stream =
        DecodeRequestsWhole(absl::StrCat("OPTIONS ", target, " HTTP/1.1\r\nHost: a\r\n\r\n"));
    ASSERT_THAT(stream.requests, SizeIs(1)) << target;
    EXPECT_EQ(stream.requests[0].target, target);
  }
}

TEST(HttpRequestDecoderTest, IgnoresEmptyLinesBeforeTheRequestLine) {
  // RFC 9112 §2.2.
  const RequestStream stream = DecodeEveryWay(
      "\r\n\n\r\nGET /a HTTP/1.1\r\nHost: a\r\n\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_THAT(stream.requests, SizeIs(2));
  EXPECT_EQ(stream.requests[1].target, "/b");
  EXPECT_EQ(stream.buffered, 0u);
}

TEST(HttpRequestDecoderTest, AcceptsBareLfInTheHead) {
  // RFC 9112 §2.2: a recipient MAY take a lone LF as a line terminator.
  const RequestStream stream =
      DecodeEveryWay("POST /a HTTP/1.1\nHost: a\r\nContent-Length: 2\n\nok");
  ASSERT_THAT(stream.requests, SizeIs(1));
  EXPECT_EQ(stream.requests[0].body, "ok");
  EXPECT_EQ(stream.requests[0].host, "a");
}

TEST(HttpRequestDecoderTest, TrimsWhitespaceAroundFieldValues) {
  const RequestStream stream = DecodeEveryWay(
      "GET / HTTP/1.1\r\nHost:a\r\nX-Tabs:\t v a l \t\r\nX-Empty:\r\nX-Blank:   \r\n"
      "X-Obs-Text: caf\xc3\xa9\r\n\r\n");
  ASSERT_THAT(stream.requests, SizeIs(1));
  EXPECT_THAT(stream.requests[0].headers,
              ElementsAre(Pair("Host", "a"), Pair("X-Tabs", "v a l"), Pair("X-Empty", ""),
                          Pair("X-Blank", ""), Pair("X-Obs-Text", "caf\xc3\xa9")));
}

TEST(HttpRequestDecoderTest, AcceptsRepeatedIdenticalContentLength) {
  // RFC 9110 §8.6 allows taking "42, 42" (or two equal lines) as 42.
  for (absl::string_view fields :
       {"Content-Length: 3, 3\r\n", "Content-Length: 3\r\ncontent-length: 3\r\n"}) {
    const RequestStream stream =
        DecodeRequestsWhole(absl::StrCat("POST / HTTP/1.1\r\nHost: a\r\n", fields, "\r\nabc"));
    ASSERT_THAT(stream.requests, SizeIs(1)) << fields;
    EXPECT_EQ(stream.requests[0].body, "abc");
    EXPECT_EQ(stream.requests[0].content_length, 3u);
  }
}

TEST(HttpRequestDecoderTest, ProcessesHigherHttp1MinorVersionsAsHttp11) {
  // RFC 9110 §2.5.
  const RequestStream stream = DecodeRequestsWhole("GET / HTTP/1.7\r\nHost: a\r\n\r\n");
  ASSERT_THAT(stream.requests, SizeIs(1));
  EXPECT_EQ(stream.requests[0].version_minor, 7);
  EXPECT_TRUE(stream.requests[0].keep_alive);
}

TEST(HttpRequestDecoderTest, AcceptsHttp10WithoutHost) {
  const RequestStream stream = DecodeRequestsWhole("GET / HTTP/1.0\r\n\r\n");
  ASSERT_THAT(stream.requests, SizeIs(1));
  EXPECT_EQ(stream.requests[0].version_minor, 0);
  EXPECT_EQ(stream.requests[0].host, "");
  EXPECT_FALSE(stream.requests[0].keep_alive);
}

TEST(HttpRequestDecoderTest, AcceptsEmptyAndBracketedHosts) {
  for (absl::string_view host : {"", "[::1]:8080", "xn--bcher-kva.example", "a.b_c~d%41"}) {
    const RequestStream stream =
        DecodeRequestsWhole(absl::StrCat("GET / HTTP/1.1\r\nHost: ", host, "\r\n\r\n"));
    ASSERT_THAT(stream.requests, SizeIs(1)) << host;
    EXPECT_EQ(stream.requests[0].host, host);
  }
}

TEST(HttpRequestDecoderTest, FindHeaderIgnoresCase) {
  HttpRequestDecoder decoder;
  ASSERT_THAT(decoder.Feed("GET / HTTP/1.1\r\nhost: a\r\nX-Trace-Id: 7\r\nx-trace-id: 8\r\n\r\n"),
              IsOk());
  const HttpRequest request = NextRequest(decoder);
  EXPECT_EQ(FindHeader(request.headers, "X-TRACE-ID"), "7");
  EXPECT_EQ(FindHeader(request.headers, "Host"), "a");
  EXPECT_EQ(FindHeader(request.headers, "Missing"), std::nullopt);
}

TEST(HttpRequestDecoderTest, CountsBufferedBytesOfAPartialRequest) {
  HttpRequestDecoder decoder;
  ASSERT_THAT(decoder.Feed("GET / HTTP/1.1\r\nHo"), IsOk());
  EXPECT_FALSE(decoder.Next().has_value());
  EXPECT_EQ(decoder.buffered_bytes(), 18u);
}

}  // namespace
}  // namespace weft::protocols::http
