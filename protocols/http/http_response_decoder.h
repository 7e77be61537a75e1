// HttpResponseDecoder: incremental decoder of HTTP/1.1 responses, the client side of the codec
// (webhooks and other outgoing calls).
//
// Part of //protocols/http (sans-I/O; RFC 9110, RFC 9112). Whether a response has a body depends
// on the request it answers (RFC 9112 §6.3), so the caller announces each request it sends with
// ExpectResponse(), in order, and reports the end of the byte stream with FeedEof(), which ends
// a body read until the server closes. Responses come out whole, in order; 1xx responses are
// yielded too, before the final response to the same request. Views in a response are valid
// until the next Feed(), FeedEof() or Next().
#ifndef WEFT_PROTOCOLS_HTTP_HTTP_RESPONSE_DECODER_H_
#define WEFT_PROTOCOLS_HTTP_HTTP_RESPONSE_DECODER_H_

#include <cstddef>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "protocols/http/http_types.h"
#include "protocols/http/limits.h"
#include "protocols/http/message_parser.h"

namespace weft::protocols::http {

class HttpResponseDecoder {
 public:
  explicit HttpResponseDecoder(const HttpLimits& limits = HttpLimits{});

  HttpResponseDecoder(const HttpResponseDecoder&) = delete;
  HttpResponseDecoder& operator=(const HttpResponseDecoder&) = delete;

  // A request with `method` was sent; its response follows those of earlier requests.
  void ExpectResponse(HttpMethod request_method);

  // Appends the next bytes from the server (copied). Returns the poisoning error, if any, and
  // kFailedPrecondition (without poisoning) after FeedEof().
  absl::Status Feed(absl::string_view bytes);

  // The server closed the connection. Returns the poisoning error, if any.
  absl::Status FeedEof();

  // The next response, or nullopt when more bytes are needed or after an error (status()).
  // After FeedEof(), a response cut short, or a request left unanswered, poisons the decoder
  // with kUnavailable.
  std::optional<HttpResponse> Next();

  // OkStatus() until the input is bad; then, for good: kInvalidArgument (malformed or
  // unsolicited), kResourceExhausted (a limit), kUnimplemented (version, transfer coding,
  // 101 Switching Protocols, a tunnel) or kUnavailable (closed mid-response).
  const absl::Status& status() const { return status_; }

  // Requests announced whose final response has not been yielded yet.
  std::size_t pending_responses() const { return pending_.size() - pending_front_; }

  std::size_t buffered_bytes() const { return parser_.buffered_bytes(); }

 private:
  enum class State { kStatusLine, kHeaders, kBody, kDone };

  internal::Step ReadStatusLine();
  internal::Step ParseStatusLine(internal::Span line);
  internal::Step ReadHeaders();
  internal::Step FinishHead();
  internal::Step ChooseFraming(HttpMethod method, const internal::FramingFields& framing);
  internal::Step AtEof();
  HttpResponse Deliver();
  void StartNextResponse();
  internal::Step Fail(absl::Status status);

  const HttpLimits limits_;
  internal::MessageParser parser_;
  absl::Status status_;
  State state_ = State::kStatusLine;
  bool eof_ = false;
  std::vector<HttpMethod> pending_;
  std::size_t pending_front_ = 0;

  // The response being decoded.
  int status_code_ = 0;
  internal::Span reason_;
  int version_minor_ = 1;
  std::vector<internal::FieldSpan> fields_;
  std::vector<HttpHeader> headers_;
  std::vector<HttpHeader> trailers_;
  std::optional<uint64_t> content_length_;
  bool chunked_ = false;
  bool until_close_ = false;
  bool keep_alive_ = true;
};

}  // namespace weft::protocols::http

#endif  // WEFT_PROTOCOLS_HTTP_HTTP_RESPONSE_DECODER_H_
