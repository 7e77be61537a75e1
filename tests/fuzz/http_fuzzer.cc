// Fuzz target for the HTTP/1.1 codec (protocols/http): HttpRequestDecoder, HttpResponseDecoder
// and, through round trips, EncodeRequest() and EncodeResponse().
//
// The input is a byte stream from a peer, read both as requests (server side) and as responses
// (client side, to requests whose methods are derived from the input). Properties:
//  - Feeding it whole, one byte at a time, or in pseudo-random chunks never crashes and yields
//    the same messages, the same final status (and HTTP error status) and the same number of
//    buffered bytes. ContinueExpected events depend on the split and are checked separately:
//    each carries the head of the request that follows it, which expects 100-continue and has
//    a body.
//  - Errors have the documented codes, messages starting "http: ", an HTTP status that matches
//    the code, and poison the decoder: a later Feed() returns the same error and Next() yields
//    nothing.
//  - Every decoded request respects the limits and its own framing, and nothing follows a
//    request that ends the connection.
//  - A decoded request re-encoded with EncodeRequest(), or a decoded response re-encoded with
//    EncodeResponse(), decodes to the same method, target, host, fields and body (status,
//    reason, fields and body).
//  - The same holds under tight limits.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "protocols/http/http_encoder.h"
#include "protocols/http/http_request_decoder.h"
#include "protocols/http/http_response_decoder.h"
#include "protocols/http/http_types.h"
#include "protocols/http/limits.h"
#include "protocols/http/testing/decode_stream.h"
#include "tests/fuzz/fuzz_check.h"

namespace weft::protocols::http {
namespace {

using testing::DecodeRequests;
using testing::DecodeResponses;
using testing::Fields;
using testing::RequestCopy;
using testing::RequestStream;
using testing::ResponseCopy;
using testing::ResponseStream;

uint64_t Fnv1a(absl::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (char c : bytes) hash = (hash ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return hash;
}

// Limits roomy enough for anything the decoders accepted under `limits`, re-encoded.
HttpLimits Roomy(const HttpLimits& limits) {
  HttpLimits roomy = limits;
  roomy.max_start_line_bytes = limits.max_start_line_bytes + 64;
  roomy.max_header_bytes = 2 * limits.max_header_bytes + 1024;
  roomy.max_header_count = limits.max_header_count + 8;
  return roomy;
}

void CheckRequestError(const RequestStream& stream) {
  const absl::Status& status = stream.status;
  if (status.ok()) {
    WEFT_FUZZ_CHECK(stream.error_status == 0);
    return;
  }
  WEFT_FUZZ_CHECK(absl::StartsWith(status.message(), "http: "), status.ToString());
  absl::StatusCode expected = absl::StatusCode::kInvalidArgument;
  switch (stream.error_status) {
    case 400:
      break;
    case 413:
    case 414:
    case 431:
      expected = absl::StatusCode::kResourceExhausted;
      break;
    case 417:
    case 501:
    case 505:
      expected = absl::StatusCode::kUnimplemented;
      break;
    default:
      WEFT_FUZZ_CHECK(false, absl::StrCat("error status ", stream.error_status));
  }
  WEFT_FUZZ_CHECK(status.code() == expected,
                  absl::StrCat(stream.error_status, " with ", status.ToString()));
  WEFT_FUZZ_CHECK(stream.buffered == 0);
}

void CheckRequest(const RequestCopy& request, const HttpLimits& limits) {
  WEFT_FUZZ_CHECK(!request.method_name.empty() && !request.target.empty());
  WEFT_FUZZ_CHECK(request.version_minor >= 0 && request.version_minor <= 9);
  WEFT_FUZZ_CHECK(request.headers.size() <= limits.max_header_count);
  WEFT_FUZZ_CHECK(request.trailers.size() <= limits.max_header_count);
  WEFT_FUZZ_CHECK(request.body.size() <= limits.max_body_bytes);
  WEFT_FUZZ_CHECK(!(request.chunked && request.content_length.has_value()));
  if (request.content_length.has_value()) {
    WEFT_FUZZ_CHECK(request.body.size() == *request.content_length);
  }
  if (!request.chunked) WEFT_FUZZ_CHECK(request.trailers.empty());
  if (request.version_minor >= 1) WEFT_FUZZ_CHECK(!request.headers.empty());  // Host.
}

bool SameHead(const RequestCopy& a, const RequestCopy& b) {
  return a.method_name == b.method_name && a.target == b.target &&
         a.version_minor == b.version_minor && a.headers == b.headers && a.host == b.host &&
         a.content_length == b.content_length && a.chunked == b.chunked &&
         a.expect_continue == b.expect_continue && a.keep_alive == b.keep_alive;
}

void CheckContinues(const RequestStream& stream) {
  for (const auto& [head, before] : stream.continues) {
    WEFT_FUZZ_CHECK(head.expect_continue && head.version_minor >= 1);
    WEFT_FUZZ_CHECK(head.chunked || head.content_length.value_or(0) > 0);
    if (before < stream.requests.size()) {
      WEFT_FUZZ_CHECK(SameHead(head, stream.requests[before]), absl::StrCat(before));
    }
  }
}

Fields WithoutNames(const Fields& fields, std::initializer_list<absl::string_view> names) {
  Fields kept;
  for (const auto& field : fields) {
    bool drop = false;
    for (absl::string_view name : names) drop = drop || absl::EqualsIgnoreCase(field.first, name);
    if (!drop) kept.push_back(field);
  }
  return kept;
}

std::vector<HttpHeader> Views(const Fields& fields) {
  std::vector<HttpHeader> views;
  for (const auto& [name, value] : fields) views.push_back({name, value});
  return views;
}

void RoundTripRequest(const RequestCopy& request, const HttpLimits& limits) {
  const std::initializer_list<absl::string_view> reserved = {"host", "content-length",
                                                             "transfer-encoding", "connection"};
  const Fields fields = WithoutNames(request.headers, reserved);
  const std::vector<HttpHeader> views = Views(fields);
  OutgoingRequest outgoing;
  outgoing.method = request.method_name;
  outgoing.target = request.target;
  outgoing.host = request.host;
  outgoing.headers = views;
  outgoing.body = request.body;
  outgoing.keep_alive = request.keep_alive;
  std::string encoded;
  const absl::Status status = EncodeRequest(outgoing, encoded);
  WEFT_FUZZ_CHECK(status.ok(), status.ToString());
  const RequestStream again = testing::DecodeRequestsWhole(encoded, Roomy(limits));
  WEFT_FUZZ_CHECK(again.status.ok(), again.status.ToString());
  WEFT_FUZZ_CHECK(again.requests.size() == 1);
  const RequestCopy& copy = again.requests[0];
  WEFT_FUZZ_CHECK(copy.method_name == request.method_name && copy.target == request.target &&
                  copy.host == request.host && copy.body == request.body &&
                  copy.keep_alive == request.keep_alive);
  WEFT_FUZZ_CHECK(WithoutNames(copy.headers, reserved) == fields);
}

// Feeds `input` whole, byte by byte (when short) and in random chunks; all must agree.
void FuzzRequests(absl::string_view input, const HttpLimits& limits, bool round_trip) {
  const RequestStream whole = testing::DecodeRequestsWhole(input, limits);
  CheckRequestError(whole);
  CheckContinues(whole);
  for (std::size_t i = 0; i < whole.requests.size(); ++i) {
    CheckRequest(whole.requests[i], limits);
    if (!whole.requests[i].keep_alive) WEFT_FUZZ_CHECK(i + 1 == whole.requests.size());
    if (round_trip) RoundTripRequest(whole.requests[i], limits);
  }
  std::vector<RequestStream> others;
  if (input.size() <= 4096) others.push_back(testing::DecodeRequestsByteByByte(input, limits));
  std::mt19937_64 random(Fnv1a(input));
  others.push_back(DecodeRequests(input, limits, [&] { return 1 + random() % 64; }));
  for (const RequestStream& other : others) {
    WEFT_FUZZ_CHECK(other.requests == whole.requests,
                    absl::StrCat(other.requests.size(), " vs ", whole.requests.size()));
    WEFT_FUZZ_CHECK(other.status == whole.status,
                    absl::StrCat(other.status.ToString(), " vs ", whole.status.ToString()));
    WEFT_FUZZ_CHECK(other.error_status == whole.error_status);
    WEFT_FUZZ_CHECK(other.buffered == whole.buffered);
    CheckContinues(other);
  }
}

void CheckPoisoning(absl::string_view input, const HttpLimits& limits) {
  HttpRequestDecoder decoder(limits);
  if (!decoder.Feed(input).ok()) WEFT_FUZZ_CHECK(false);
  while (decoder.Next().has_value()) {
  }
  if (decoder.status().ok()) return;
  const absl::Status error = decoder.status();
  WEFT_FUZZ_CHECK(decoder.Feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n") == error);
  WEFT_FUZZ_CHECK(!decoder.Next().has_value());
  WEFT_FUZZ_CHECK(decoder.status() == error && decoder.error_status() != 0);
}

void RoundTripResponse(const ResponseCopy& response, const HttpLimits& limits) {
  const std::initializer_list<absl::string_view> reserved = {"content-length", "transfer-encoding",
                                                             "connection"};
  const Fields fields = WithoutNames(response.headers, reserved);
  const std::vector<HttpHeader> views = Views(fields);
  OutgoingResponse outgoing;
  outgoing.status_code = response.status_code;
  outgoing.reason = response.reason;
  outgoing.headers = views;
  outgoing.body = response.body;
  outgoing.keep_alive = response.keep_alive;
  std::string encoded;
  const absl::Status status = EncodeResponse(outgoing, encoded);
  WEFT_FUZZ_CHECK(status.ok(), status.ToString());
  const ResponseStream again =
      testing::DecodeResponsesWhole(encoded, {HttpMethod::kGet}, false, Roomy(limits));
  WEFT_FUZZ_CHECK(again.status.ok(), again.status.ToString());
  WEFT_FUZZ_CHECK(again.responses.size() == 1);
  const ResponseCopy& copy = again.responses[0];
  WEFT_FUZZ_CHECK(copy.status_code == response.status_code);
  WEFT_FUZZ_CHECK(response.reason.empty() || copy.reason == response.reason);
  WEFT_FUZZ_CHECK(WithoutNames(copy.headers, reserved) == fields);
  const bool bodyless =
      response.status_code < 200 || response.status_code == 204 || response.status_code == 304;
  WEFT_FUZZ_CHECK(copy.body == (bodyless ? std::string() : response.body));
}

void CheckResponseStatus(const ResponseStream& stream) {
  if (stream.status.ok()) return;
  const absl::StatusCode code = stream.status.code();
  WEFT_FUZZ_CHECK(
      code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kResourceExhausted ||
          code == absl::StatusCode::kUnimplemented || code == absl::StatusCode::kUnavailable,
      stream.status.ToString());
  WEFT_FUZZ_CHECK(absl::StartsWith(stream.status.message(), "http: "));
  WEFT_FUZZ_CHECK(stream.buffered == 0);
}

void FuzzResponses(absl::string_view input, const HttpLimits& limits, bool round_trip) {
  const uint64_t hash = Fnv1a(input);
  static constexpr HttpMethod kMethods[] = {HttpMethod::kGet, HttpMethod::kPost, HttpMethod::kHead,
                                            HttpMethod::kConnect};
  std::vector<HttpMethod> methods;
  for (int i = 0; i < 4; ++i) methods.push_back(kMethods[(hash >> (2 * i)) % 4]);
  const bool eof = (hash >> 8) % 2 == 0;
  const ResponseStream whole = testing::DecodeResponsesWhole(input, methods, eof, limits);
  CheckResponseStatus(whole);
  std::size_t finals = 0;
  for (const ResponseCopy& response : whole.responses) {
    WEFT_FUZZ_CHECK(response.status_code >= 100 && response.status_code <= 599);
    WEFT_FUZZ_CHECK(response.body.size() <= limits.max_body_bytes);
    if (response.status_code >= 200) ++finals;
    if (round_trip) RoundTripResponse(response, limits);
  }
  WEFT_FUZZ_CHECK(finals <= methods.size());
  std::vector<ResponseStream> others;
  if (input.size() <= 4096) {
    others.push_back(testing::DecodeResponsesByteByByte(input, methods, eof, limits));
  }
  std::mt19937_64 random(hash);
  others.push_back(DecodeResponses(input, methods, eof, limits, [&] { return 1 + random() % 64; }));
  for (const ResponseStream& other : others) {
    WEFT_FUZZ_CHECK(other.responses == whole.responses,
                    absl::StrCat(other.responses.size(), " vs ", whole.responses.size()));
    WEFT_FUZZ_CHECK(other.status == whole.status,
                    absl::StrCat(other.status.ToString(), " vs ", whole.status.ToString()));
    WEFT_FUZZ_CHECK(other.buffered == whole.buffered);
  }
}

void FuzzHttp(absl::string_view input) {
  const HttpLimits limits;
  FuzzRequests(input, limits, true);
  CheckPoisoning(input, limits);
  FuzzResponses(input, limits, true);

  HttpLimits tight;
  tight.max_start_line_bytes = 40;
  tight.max_header_bytes = 96;
  tight.max_header_count = 4;
  tight.max_body_bytes = 32;
  tight.max_chunk_line_bytes = 12;
  tight.max_trailer_bytes = 24;
  FuzzRequests(input, tight, false);
  CheckPoisoning(input, tight);
  FuzzResponses(input, tight, false);
}

}  // namespace
}  // namespace weft::protocols::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  weft::protocols::http::FuzzHttp(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
