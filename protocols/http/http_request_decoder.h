// HttpRequestDecoder: incremental decoder of HTTP/1.1 requests, the server side of the codec.
//
// Part of //protocols/http (sans-I/O: bytes in, requests out; RFC 9110 and RFC 9112). It yields
// whole requests, bodies included (de-chunked and contiguous), in the order they arrived, so a
// session handles pipelining by draining Next() after each Feed():
//
//   if (absl::Status s = decoder_.Feed(bytes); !s.ok()) return CloseWithError(s);
//   while (std::optional<http::HttpRequestEvent> event = decoder_.Next()) Handle(*event);
//   if (!decoder_.status().ok()) return RespondAndClose(decoder_.error_status());
//
// Every view in an event points into the decoder's buffer and is valid until the next Feed() or
// Next(). In steady state decoding allocates nothing: the buffer and the header vectors keep
// their capacity from one request to the next. docs/http.md lists the accepted subset.
#ifndef WEFT_PROTOCOLS_HTTP_HTTP_REQUEST_DECODER_H_
#define WEFT_PROTOCOLS_HTTP_HTTP_REQUEST_DECODER_H_

#include <cstddef>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "protocols/http/http_types.h"
#include "protocols/http/limits.h"
#include "protocols/http/message_parser.h"

namespace weft::protocols::http {

class HttpRequestDecoder {
 public:
  explicit HttpRequestDecoder(const HttpLimits& limits = HttpLimits{});

  HttpRequestDecoder(const HttpRequestDecoder&) = delete;
  HttpRequestDecoder& operator=(const HttpRequestDecoder&) = delete;

  // Appends the next bytes from the peer (copied; `bytes` need not outlive the call). Returns
  // the poisoning error once Next() has met bad input, and OK otherwise. After the last request
  // of the connection (keep_alive false) further bytes are dropped (RFC 9112 §9.6).
  absl::Status Feed(absl::string_view bytes);

  // The next event, or nullopt when more bytes are needed, after the last request, or after an
  // error (see status()). Per request: at most one ContinueExpected, then the HttpRequest.
  std::optional<HttpRequestEvent> Next();

  // OkStatus() until the input is bad; then, for good, kInvalidArgument (malformed),
  // kResourceExhausted (a limit) or kUnimplemented (version, coding or expectation).
  const absl::Status& status() const { return status_; }

  // The status code to answer the error with (400, 413, 414, 417, 431, 501 or 505, as
  // docs/http.md tabulates), then close; 0 while status() is OK.
  int error_status() const { return error_status_; }

  // Bytes held: a request being received, requests not yet taken by Next(), and the one last
  // yielded (its views point there) until the next Feed() or Next().
  std::size_t buffered_bytes() const { return parser_.buffered_bytes(); }

 private:
  enum class State { kRequestLine, kHeaders, kBody, kDone };

  internal::Step ReadRequestLine();
  internal::Step ParseRequestLine(internal::Span line);
  internal::Failure RequestLineTooLong();
  internal::Step ReadHeaders();
  internal::Step FinishHead();
  internal::Step CheckFraming(const internal::FramingFields& framing);
  internal::Step CheckHostAndExpect(int hosts, bool unknown_expectation);
  HttpRequestHead Head();
  HttpRequest Deliver();
  void StartNextRequest();
  internal::Step Fail(internal::Failure failure);

  const HttpLimits limits_;
  internal::MessageParser parser_;
  absl::Status status_;
  int error_status_ = 0;
  State state_ = State::kRequestLine;
  bool offer_continue_ = false;

  // The request being decoded.
  HttpMethod method_ = HttpMethod::kOther;
  internal::Span method_name_;
  internal::Span target_;
  int version_minor_ = 1;
  std::vector<internal::FieldSpan> fields_;
  std::vector<HttpHeader> headers_;
  std::vector<HttpHeader> trailers_;
  internal::Span host_;
  std::optional<uint64_t> content_length_;
  bool chunked_ = false;
  bool expect_continue_ = false;
  bool keep_alive_ = true;
};

}  // namespace weft::protocols::http

#endif  // WEFT_PROTOCOLS_HTTP_HTTP_REQUEST_DECODER_H_
