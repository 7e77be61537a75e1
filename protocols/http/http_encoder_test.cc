// The HTTP/1.1 encoders: golden bytes for responses, 100 Continue, chunks and requests; what
// they refuse; and round trips through the decoders.
#include "protocols/http/http_encoder.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "protocols/http/http_types.h"
#include "protocols/http/testing/decode_stream.h"
#include "tests/testing/status_matchers.h"

namespace weft::protocols::http {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::SizeIs;
using ::weft::protocols::http::testing::DecodeRequestsWhole;
using ::weft::protocols::http::testing::DecodeResponsesWhole;
using ::weft::protocols::http::testing::RequestStream;
using ::weft::protocols::http::testing::ResponseStream;
using ::weft::testing::IsOk;
using ::weft::testing::IsOkAndHolds;
using ::weft::testing::StatusIs;

constexpr absl::string_view kDate = "Sun, 06 Nov 1994 08:49:37 GMT";
const HttpHeader kContentType[] = {{"Content-Type", "text/plain"}};

std::string Encoded(const OutgoingResponse& response) {
  std::string out;
  EXPECT_THAT(EncodeResponse(response, out), IsOk());
  return out;
}

TEST(HttpEncoderTest, EncodesAResponseWithContentLength) {
  OutgoingResponse response;
  response.date = kDate;
  response.headers = kContentType;
  response.body = "hello";
  EXPECT_EQ(Encoded(response),
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello");
}

TEST(HttpEncoderTest, AppendsToWhatIsAlreadyThere) {
  std::string out = "HTTP/1.1 100 Continue\r\n\r\n";
  OutgoingResponse response;
  response.status_code = 404;
  ASSERT_THAT(EncodeResponse(response, out), IsOk());
  EXPECT_EQ(out,
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
}

TEST(HttpEncoderTest, KeepsContentLengthButNoBodyForHead) {
  HttpRequestHead head_request;
  head_request.method = HttpMethod::kHead;
  OutgoingResponse response = ResponseTo(head_request, 200);
  response.body = "hello";
  EXPECT_EQ(Encoded(response), "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
}

TEST(HttpEncoderTest, WritesNoContentLengthOrBodyFor204And304) {
  OutgoingResponse response;
  response.status_code = 204;
  response.body = "ignored";
  EXPECT_EQ(Encoded(response), "HTTP/1.1 204 No Content\r\n\r\n");
  response.status_code = 304;
  EXPECT_EQ(Encoded(response), "HTTP/1.1 304 Not Modified\r\n\r\n");
}

TEST(HttpEncoderTest, WritesInterimResponsesWithFieldsOnly) {
  OutgoingResponse response;
  response.status_code = 103;
  const HttpHeader link[] = {{"Link", "</a.css>; rel=preload"}};
  response.headers = link;
  response.keep_alive = false;
  EXPECT_EQ(Encoded(response), "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n");
}

TEST(HttpEncoderTest, SaysWhenTheConnectionCloses) {
  OutgoingResponse response;
  response.keep_alive = false;
  EXPECT_EQ(Encoded(response), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

TEST(HttpEncoderTest, KeepsAnHttp10ConnectionOpenExplicitly) {
  HttpRequestHead request;
  request.version_minor = 0;
  request.keep_alive = true;
  EXPECT_EQ(Encoded(ResponseTo(request, 200)),
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
  request.keep_alive = false;
  EXPECT_EQ(Encoded(ResponseTo(request, 200)),
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

TEST(HttpEncoderTest, UsesTheGivenReasonOrNoneForUnknownCodes) {
  OutgoingResponse response;
  response.status_code = 299;
  EXPECT_EQ(Encoded(response), "HTTP/1.1 299 \r\nContent-Length: 0\r\n\r\n");
  response.status_code = 200;
  response.reason = "Fine";
  EXPECT_EQ(Encoded(response), "HTTP/1.1 200 Fine\r\nContent-Length: 0\r\n\r\n");
}

TEST(HttpEncoderTest, EncodesTheHeaderOnlyForACallerWrittenBody) {
  OutgoingResponse response;
  std::string out;
  ASSERT_THAT(EncodeResponseHeader(response, 1234, out), IsOk());
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
  EXPECT_TRUE(ResponseHasBody(response));
  response.head_request = true;
  EXPECT_FALSE(ResponseHasBody(response));
}

TEST(HttpEncoderTest, EncodesContinue) {
  std::string out;
  EncodeContinue(out);
  EXPECT_EQ(out, "HTTP/1.1 100 Continue\r\n\r\n");
}

TEST(HttpEncoderTest, StreamsAChunkedResponse) {
  OutgoingResponse response;
  response.headers = kContentType;
  std::string out;
  ASSERT_THAT(EncodeStreamingResponseHeader(response, out), IsOkAndHolds(BodyFraming::kChunked));
  EncodeChunk("hello", out);
  EncodeChunk("", out);
  EncodeChunk(std::string(26, 'x'), out);
  EncodeLastChunk(out);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nhello\r\n1a\r\nxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n0\r\n\r\n");
}

TEST(HttpEncoderTest, EndsAChunkedBodyWithTrailers) {
  std::string out;
  const HttpHeader trailers[] = {{"Digest", "sha-256=abc"}, {"X-Count", "2"}};
  ASSERT_THAT(EncodeLastChunkWithTrailers(trailers, out), IsOk());
  EXPECT_EQ(out, "0\r\nDigest: sha-256=abc\r\nX-Count: 2\r\n\r\n");
  const HttpHeader framing[] = {{"Content-Length", "5"}};
  EXPECT_THAT(EncodeLastChunkWithTrailers(framing, out),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(HttpEncoderTest, StreamsToHttp10UntilClose) {
  HttpRequestHead request;
  request.version_minor = 0;
  request.keep_alive = true;
  std::string out;
  ASSERT_THAT(EncodeStreamingResponseHeader(ResponseTo(request, 200), out),
              IsOkAndHolds(BodyFraming::kUntilClose));
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
}

TEST(HttpEncoderTest, StreamsNothingForHead) {
  HttpRequestHead request;
  request.method = HttpMethod::kHead;
  std::string out;
  ASSERT_THAT(EncodeStreamingResponseHeader(ResponseTo(request, 200), out),
              IsOkAndHolds(BodyFraming::kNone));
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\n\r\n");
  OutgoingResponse interim;
  interim.status_code = 100;
  EXPECT_THAT(EncodeStreamingResponseHeader(interim, out),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(HttpEncoderTest, RefusesFieldsThatWouldSplitTheResponse) {
  const std::vector<std::vector<HttpHeader>> bad = {
      {{"X-A", "a\r\nSet-Cookie: evil=1"}},
      {{"X-A", "a\nb"}},
      {{"X-A", absl::string_view("a\0b", 3)}},
      {{"X A", "b"}},
      {{"", "b"}},
      {{"X-A:", "b"}},
      {{"Content-Length", "5"}},
      {{"transfer-encoding", "chunked"}},
      {{"Connection", "close"}},
  };
  for (const std::vector<HttpHeader>& headers : bad) {
    OutgoingResponse response;
    response.headers = headers;
    std::string out = "kept";
    EXPECT_THAT(EncodeResponse(response, out), StatusIs(absl::StatusCode::kInvalidArgument))
        << headers[0].name;
    EXPECT_EQ(out, "kept");
  }
}

TEST(HttpEncoderTest, RefusesBadStatusLines) {
  for (int code : {0, 99, 600, 1000, -200}) {
    OutgoingResponse response;
    response.status_code = code;
    std::string out;
    EXPECT_THAT(EncodeResponse(response, out), StatusIs(absl::StatusCode::kInvalidArgument))
        << code;
    EXPECT_EQ(out, "");
  }
  OutgoingResponse response;
  response.reason = "OK\r\nX: y";
  std::string out;
  EXPECT_THAT(EncodeResponse(response, out), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(HttpEncoderTest, EncodesARequest) {
  OutgoingRequest request;
  request.method = "POST";
  request.target = "/hooks/order?id=7";
  request.host = "example.com:8443";
  const HttpHeader headers[] = {{"Content-Type", "application/json"}};
  request.headers = headers;
  request.body = "{}";
  std::string out;
  ASSERT_THAT(EncodeRequest(request, out), IsOk());
  EXPECT_EQ(out,
            "POST /hooks/order?id=7 HTTP/1.1\r\nHost: example.com:8443\r\n"
            "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
}

TEST(HttpEncoderTest, WritesContentLengthOnlyWhereItMeansSomething) {
  OutgoingRequest get;
  get.host = "a";
  get.keep_alive = false;
  std::string out;
  ASSERT_THAT(EncodeRequest(get, out), IsOk());
  EXPECT_EQ(out, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  OutgoingRequest put;
  put.method = "PUT";
  put.host = "a";
  out.clear();
  ASSERT_THAT(EncodeRequest(put, out), IsOk());
  EXPECT_EQ(out, "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
}

TEST(HttpEncoderTest, RefusesBadRequests) {
  const HttpHeader host[] = {{"Host", "b"}};
  std::vector<OutgoingRequest> bad(5);
  bad[0].method = "GE T";
  bad[1].target = "/a b";
  bad[2].target = "";
  bad[3].host = "a/b";
  bad[4].headers = host;
  for (const OutgoingRequest& request : bad) {
    std::string out;
    EXPECT_THAT(EncodeRequest(request, out), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_EQ(out, "");
  }
}

TEST(HttpEncoderTest, ReasonPhrasesFollowRfc9110) {
  EXPECT_EQ(ReasonPhrase(413), "Content Too Large");
  EXPECT_EQ(ReasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(ReasonPhrase(505), "HTTP Version Not Supported");
  EXPECT_EQ(ReasonPhrase(799), "");
}

TEST(HttpEncoderTest, EncodedRequestsDecodeBack) {
  const HttpHeader headers[] = {{"X-Trace", "t1"}, {"Accept", "*/*"}};
  OutgoingRequest request;
  request.method = "PATCH";
  request.target = "/objects/9";
  request.host = "h";
  request.headers = headers;
  request.body = "patch body";
  std::string out;
  ASSERT_THAT(EncodeRequest(request, out), IsOk());
  const RequestStream stream = DecodeRequestsWhole(out);
  ASSERT_THAT(stream.requests, SizeIs(1));
  EXPECT_EQ(stream.requests[0].method, HttpMethod::kPatch);
  EXPECT_EQ(stream.requests[0].target, "/objects/9");
  EXPECT_EQ(stream.requests[0].host, "h");
  EXPECT_EQ(stream.requests[0].body, "patch body");
  EXPECT_THAT(stream.requests[0].headers,
              ElementsAre(Pair("Host", "h"), Pair("X-Trace", "t1"), Pair("Accept", "*/*"),
                          Pair("Content-Length", "10")));
}

TEST(HttpEncoderTest, EncodedResponsesDecodeBack) {
  OutgoingResponse response;
  response.date = kDate;
  response.headers = kContentType;
  response.body = "payload";
  std::string out;
  ASSERT_THAT(EncodeResponse(response, out), IsOk());
  OutgoingResponse streamed;
  ASSERT_THAT(EncodeStreamingResponseHeader(streamed, out), IsOk());
  EncodeChunk("pay", out);
  EncodeChunk("load", out);
  EncodeLastChunk(out);
  const ResponseStream stream =
      DecodeResponsesWhole(out, {HttpMethod::kGet, HttpMethod::kGet}, false);
  EXPECT_THAT(stream.status, IsOk());
  ASSERT_THAT(stream.responses, SizeIs(2));
  EXPECT_EQ(stream.responses[0].body, "payload");
  EXPECT_EQ(stream.responses[1].body, "payload");
  EXPECT_TRUE(stream.responses[1].chunked);
}

}  // namespace
}  // namespace weft::protocols::http
