// Owned copies of decoded HTTP messages, and drivers that feed a byte stream to a decoder in
// chunks and record everything it yields.
//
// Part of //protocols/http/testing (testonly). Decoded messages are views valid only until the
// decoder's next call, so the drivers copy each one at once; tests and the fuzz target then
// compare the copies of differently split feedings with ==.
#ifndef WEFT_PROTOCOLS_HTTP_TESTING_DECODE_STREAM_H_
#define WEFT_PROTOCOLS_HTTP_TESTING_DECODE_STREAM_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "protocols/http/http_request_decoder.h"
#include "protocols/http/http_response_decoder.h"
#include "protocols/http/http_types.h"
#include "protocols/http/limits.h"

namespace weft::protocols::http::testing {

using Fields = std::vector<std::pair<std::string, std::string>>;

inline Fields CopyFields(absl::Span<const HttpHeader> headers) {
  Fields fields;
  for (const HttpHeader& h : headers) fields.emplace_back(h.name, h.value);
  return fields;
}

struct RequestCopy {
  HttpMethod method = HttpMethod::kOther;
  std::string method_name;
  std::string target;
  int version_minor = 1;
  Fields headers;
  std::string host;
  std::optional<uint64_t> content_length;
  bool chunked = false;
  bool expect_continue = false;
  bool keep_alive = true;
  std::string body;
  Fields trailers;

  bool operator==(const RequestCopy&) const = default;
};

inline RequestCopy CopyHead(const HttpRequestHead& head) {
  RequestCopy copy;
  copy.method = head.method;
  copy.method_name = std::string(head.method_name);
  copy.target = std::string(head.target);
  copy.version_minor = head.version_minor;
  copy.headers = CopyFields(head.headers);
  copy.host = std::string(head.host);
  copy.content_length = head.content_length;
  copy.chunked = head.chunked;
  copy.expect_continue = head.expect_continue;
  copy.keep_alive = head.keep_alive;
  return copy;
}

inline RequestCopy CopyRequest(const HttpRequest& request) {
  RequestCopy copy = CopyHead(request);
  copy.body = std::string(request.body);
  copy.trailers = CopyFields(request.trailers);
  return copy;
}

struct ResponseCopy {
  int status_code = 0;
  std::string reason;
  int version_minor = 1;
  Fields headers;
  std::optional<uint64_t> content_length;
  bool chunked = false;
  bool keep_alive = true;
  std::string body;
  Fields trailers;

  bool operator==(const ResponseCopy&) const = default;
};

inline ResponseCopy CopyResponse(const HttpResponse& response) {
  ResponseCopy copy;
  copy.status_code = response.status_code;
  copy.reason = std::string(response.reason);
  copy.version_minor = response.version_minor;
  copy.headers = CopyFields(response.headers);
  copy.content_length = response.content_length;
  copy.chunked = response.chunked;
  copy.keep_alive = response.keep_alive;
  copy.body = std::string(response.body);
  copy.trailers = CopyFields(response.trailers);
  return copy;
}

inline std::string FieldsToString(const Fields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    absl::StrAppend(&out, " [", absl::CHexEscape(name), ": ", absl::CHexEscape(value), "]");
  }
  return out;
}

inline std::ostream& operator<<(std::ostream& os, const RequestCopy& r) {
  return os << r.method_name << " " << absl::CHexEscape(r.target) << " HTTP/1." << r.version_minor
            << FieldsToString(r.headers) << " host=" << r.host
            << " content_length=" << (r.content_length ? absl::StrCat(*r.content_length) : "-")
            << " chunked=" << r.chunked << " expect_continue=" << r.expect_continue
            << " keep_alive=" << r.keep_alive << " body=\"" << absl::CHexEscape(r.body) << "\""
            << " trailers:" << FieldsToString(r.trailers);
}

inline std::ostream& operator<<(std::ostream& os, const ResponseCopy& r) {
  return os << r.status_code << " " << absl::CHexEscape(r.reason) << " HTTP/1." << r.version_minor
            << FieldsToString(r.headers)
            << " content_length=" << (r.content_length ? absl::StrCat(*r.content_length) : "-")
            << " chunked=" << r.chunked << " keep_alive=" << r.keep_alive << " body=\""
            << absl::CHexEscape(r.body) << "\" trailers:" << FieldsToString(r.trailers);
}

// What decoding a request stream gave.
struct RequestStream {
  std::vector<RequestCopy> requests;
  // For each ContinueExpected: the head it carried, and how many requests preceded it.
  std::vector<std::pair<RequestCopy, std::size_t>> continues;
  absl::Status status;
  int error_status = 0;
  std::size_t buffered = 0;
};

// Feeds `input` to a fresh decoder in chunks of `next_chunk()` bytes (each from its own heap
// buffer, freed right after Feed()), draining Next() after every chunk.
inline RequestStream DecodeRequests(absl::string_view input, const HttpLimits& limits,
                                    absl::FunctionRef<std::size_t()> next_chunk) {
  HttpRequestDecoder decoder(limits);
  RequestStream stream;
  std::size_t pos = 0;
  do {
    const std::size_t n = std::min(std::max<std::size_t>(next_chunk(), 1), input.size() - pos);
    auto chunk = std::make_unique<char[]>(std::max<std::size_t>(n, 1));
    std::copy_n(input.data() + pos, n, chunk.get());
    pos += n;
    if (!decoder.Feed(absl::string_view(chunk.get(), n)).ok()) break;
    chunk.reset();
    while (std::optional<HttpRequestEvent> event = decoder.Next()) {
      if (const auto* request = std::get_if<HttpRequest>(&*event)) {
        stream.requests.push_back(CopyRequest(*request));
      } else {
        stream.continues.emplace_back(CopyHead(std::get<ContinueExpected>(*event).head),
                                      stream.requests.size());
      }
    }
  } while (pos < input.size());
  stream.status = decoder.status();
  stream.error_status = decoder.error_status();
  stream.buffered = decoder.buffered_bytes();
  return stream;
}

inline RequestStream DecodeRequestsWhole(absl::string_view input,
                                         const HttpLimits& limits = HttpLimits{}) {
  return DecodeRequests(input, limits, [&] { return input.size(); });
}

inline RequestStream DecodeRequestsByteByByte(absl::string_view input,
                                              const HttpLimits& limits = HttpLimits{}) {
  return DecodeRequests(input, limits, [] { return std::size_t{1}; });
}

inline RequestStream DecodeRequestsRandomly(absl::string_view input, uint64_t seed,
                                            const HttpLimits& limits = HttpLimits{}) {
  std::mt19937_64 random(seed);
  return DecodeRequests(input, limits, [&] { return 1 + random() % 23; });
}

// What decoding a response stream gave.
struct ResponseStream {
  std::vector<ResponseCopy> responses;
  absl::Status status;
  std::size_t buffered = 0;
};

// Like DecodeRequests(), for responses to requests with `methods` (announced up front); then
// FeedEof() when `eof`.
inline ResponseStream DecodeResponses(absl::string_view input,
                                      const std::vector<HttpMethod>& methods, bool eof,
                                      const HttpLimits& limits,
                                      absl::FunctionRef<std::size_t()> next_chunk) {
  HttpResponseDecoder decoder(limits);
  for (HttpMethod method : methods) decoder.ExpectResponse(method);
  ResponseStream stream;
  auto drain = [&] {
    while (std::optional<HttpResponse> response = decoder.Next()) {
      stream.responses.push_back(CopyResponse(*response));
    }
  };
  std::size_t pos = 0;
  while (pos < input.size()) {
    const std::size_t n = std::min(std::max<std::size_t>(next_chunk(), 1), input.size() - pos);
    auto chunk = std::make_unique<char[]>(n);
    std::copy_n(input.data() + pos, n, chunk.get());
    pos += n;
    if (!decoder.Feed(absl::string_view(chunk.get(), n)).ok()) break;
    chunk.reset();
    drain();
  }
  if (eof && decoder.FeedEof().ok()) drain();
  stream.status = decoder.status();
  stream.buffered = decoder.buffered_bytes();
  return stream;
}

inline ResponseStream DecodeResponsesWhole(absl::string_view input,
                                           const std::vector<HttpMethod>& methods, bool eof,
                                           const HttpLimits& limits = HttpLimits{}) {
  return DecodeResponses(input, methods, eof, limits, [&] { return input.size(); });
}

inline ResponseStream DecodeResponsesByteByByte(absl::string_view input,
                                                const std::vector<HttpMethod>& methods, bool eof,
                                                const HttpLimits& limits = HttpLimits{}) {
  return DecodeResponses(input, methods, eof, limits, [] { return std::size_t{1}; });
}

inline ResponseStream DecodeResponsesRandomly(absl::string_view input,
                                              const std::vector<HttpMethod>& methods, bool eof,
                                              uint64_t seed,
                                              const HttpLimits& limits = HttpLimits{}) {
  std::mt19937_64 random(seed);
  return DecodeResponses(input, methods, eof, limits, [&] { return 1 + random() % 23; });
}

}  // namespace weft::protocols::http::testing

#endif  // WEFT_PROTOCOLS_HTTP_TESTING_DECODE_STREAM_H_
