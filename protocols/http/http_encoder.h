// Encoders of the HTTP/1.1 codec: each appends wire bytes to `out`.
//
// Part of //protocols/http (sans-I/O). Server side: responses (whole, or a head followed by a
// body the caller writes, chunked or not), 100 Continue and chunk framing. Client side: a
// request with a Content-Length body. Every response is HTTP/1.1 (RFC 9110 §2.5).
//
// The encoders check what they are given, so no peer-supplied string can split a message:
// a field name that is not a token, a value with CR, LF, NUL or another control character, a
// field the encoder writes itself, or a bad status code, method, target or Host fails with
// kInvalidArgument and leaves `out` unchanged. Nothing allocates beyond growing `out`.
#ifndef WEFT_PROTOCOLS_HTTP_HTTP_ENCODER_H_
#define WEFT_PROTOCOLS_HTTP_HTTP_ENCODER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "protocols/http/http_types.h"

namespace weft::protocols::http {

// The reason phrase RFC 9110 §15 gives `status_code`; empty for codes it does not list.
absl::string_view ReasonPhrase(int status_code);

// Appends a whole response with `response.body`. Content-Length is written except for 1xx and
// 204 (RFC 9110 §8.6) and 304; the body is left out for HEAD (Content-Length stays, §9.3.2),
// 1xx, 204 and 304. "Connection: close" when !keep_alive, "Connection: keep-alive" when
// keeping an HTTP/1.0 connection open (RFC 9112 §9.3).
absl::Status EncodeResponse(const OutgoingResponse& response, std::string& out);

// Like EncodeResponse() up to the end of the header section, announcing `content_length`
// bytes; the caller then appends exactly that many body bytes if ResponseHasBody(response).
// `response.body` is ignored.
absl::Status EncodeResponseHeader(const OutgoingResponse& response, uint64_t content_length,
                                  std::string& out);

// Whether a body follows the header section (false for HEAD, 1xx, 204 and 304).
bool ResponseHasBody(const OutgoingResponse& response);

// How the body of a streamed response must be written.
enum class BodyFraming {
  kNone,        // HEAD, 204 or 304: nothing.
  kChunked,     // EncodeChunk() for each piece, then EncodeLastChunk().
  kUntilClose,  // Raw bytes, then close: the request was HTTP/1.0 (RFC 9112 §6.1).
};

// Appends the head of a final response whose length is not known up front (1xx fails).
absl::StatusOr<BodyFraming> EncodeStreamingResponseHeader(const OutgoingResponse& response,
                                                          std::string& out);

// "HTTP/1.1 100 Continue" (RFC 9110 §15.2.1), sent after a ContinueExpected event.
void EncodeContinue(std::string& out);

// One chunk (RFC 9112 §7.1): size in hex, CRLF, `data`, CRLF. Empty data appends nothing, as a
// zero-size chunk would end the body.
void EncodeChunk(absl::string_view data, std::string& out);

// The last chunk and the end of the chunked body, without or with trailer fields.
void EncodeLastChunk(std::string& out);
absl::Status EncodeLastChunkWithTrailers(absl::Span<const HttpHeader> trailers, std::string& out);

// Appends a request: request-line, Host, headers, Content-Length (when there is a body, or the
// method is POST, PUT or PATCH: RFC 9110 §8.6), "Connection: close" when !keep_alive, body.
absl::Status EncodeRequest(const OutgoingRequest& request, std::string& out);

}  // namespace weft::protocols::http

#endif  // WEFT_PROTOCOLS_HTTP_HTTP_ENCODER_H_
