// The codec's steady state allocates nothing: once the decoders' buffers and vectors and the
// encoder's output string have grown to their working size, decoding a request, encoding the
// response and decoding a response use no heap. Counted by replacing the global operator new
// in this test binary.
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <optional>
#include <string>
#include <variant>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "protocols/http/http_encoder.h"
#include "protocols/http/http_request_decoder.h"
#include "protocols/http/http_response_decoder.h"
#include "protocols/http/http_types.h"
#include "tests/testing/status_matchers.h"

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

namespace weft::protocols::http {
namespace {

using ::weft::testing::IsOk;

constexpr absl::string_view kRequests =
    "GET /index.html HTTP/1.1\r\nHost: bench\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n"
    "POST /jsonrpc HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
    "Content-Length: 40\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":1}  "
    "POST /hook HTTP/1.1\r\nHost: bench\r\nTransfer-Encoding: chunked\r\n\r\n"
    "4\r\nabcd\r\n3;x=y\r\nefg\r\n0\r\nT: 1\r\n\r\n";

constexpr absl::string_view kResponses =
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"
    "HTTP/1.1 204 No Content\r\n\r\n"
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n";

// Decodes the pipelined requests (whole, then in two pieces) and answers each; returns how
// many requests were decoded.
int ServeOnce(HttpRequestDecoder& decoder, std::string& out) {
  int requests = 0;
  const std::size_t half = kRequests.size() / 2;
  for (absl::string_view piece : {kRequests, kRequests.substr(0, half), kRequests.substr(half)}) {
    if (!decoder.Feed(piece).ok()) return -1;
    while (std::optional<HttpRequestEvent> event = decoder.Next()) {
      const auto* request = std::get_if<HttpRequest>(&*event);
      if (request == nullptr) continue;
      ++requests;
      OutgoingResponse response = ResponseTo(*request, 200);
      const HttpHeader headers[] = {{"Content-Type", "text/plain"}, {"Server", "weft"}};
      response.headers = headers;
      response.date = "Sun, 06 Nov 1994 08:49:37 GMT";
      response.body = request->body;
      out.clear();
      if (!EncodeResponse(response, out).ok()) return -1;
    }
  }
  return requests;
}

int ReadResponsesOnce(HttpResponseDecoder& decoder) {
  for (int i = 0; i < 3; ++i) decoder.ExpectResponse(HttpMethod::kGet);
  if (!decoder.Feed(kResponses).ok()) return -1;
  int responses = 0;
  while (decoder.Next().has_value()) ++responses;
  return responses;
}

TEST(HttpSteadyStateTest, CountsAllocations) {
  allocations = 0;
  counting = true;
  std::string grown;
  grown.reserve(4096);
  counting = false;
  EXPECT_GE(grown.capacity(), 4096u);
  EXPECT_EQ(allocations.load(), 1);
}

TEST(HttpSteadyStateTest, DecodesAndEncodesWithoutAllocating) {
  HttpRequestDecoder decoder;
  std::string out;
  out.reserve(1024);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(ServeOnce(decoder, out), 6);  // Warm up.
  allocations = 0;
  counting = true;
  int served = 0;
  for (int i = 0; i < 1000; ++i) served += ServeOnce(decoder, out);
  counting = false;
  EXPECT_EQ(served, 6000);
  EXPECT_EQ(allocations.load(), 0);
  EXPECT_THAT(decoder.status(), IsOk());
}

TEST(HttpSteadyStateTest, DecodesResponsesWithoutAllocating) {
  HttpResponseDecoder decoder;
  for (int i = 0; i < 10; ++i) ASSERT_EQ(ReadResponsesOnce(decoder), 3);
  allocations = 0;
  counting = true;
  int read = 0;
  for (int i = 0; i < 1000; ++i) read += ReadResponsesOnce(decoder);
  counting = false;
  EXPECT_EQ(read, 3000);
  EXPECT_EQ(allocations.load(), 0);
}

}  // namespace
}  // namespace weft::protocols::http
