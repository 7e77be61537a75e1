// Plain structs of the HTTP/1.1 codec: decoded requests and responses (views into a decoder's
// buffer) and the outgoing messages the encoder writes.
//
// Part of //protocols/http (sans-I/O). Every absl::string_view and absl::Span in a decoded
// message points into the decoder that produced it and is valid until that decoder's next
// Feed() or Next(); copy what must live longer. Outgoing structs are read only during the
// Encode*() call they are passed to.
#ifndef WEFT_PROTOCOLS_HTTP_HTTP_TYPES_H_
#define WEFT_PROTOCOLS_HTTP_HTTP_TYPES_H_

#include <cstdint>
#include <optional>
#include <variant>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace weft::protocols::http {

// The methods of RFC 9110 §9 and PATCH (RFC 5789); any other token is kOther (see method_name).
enum class HttpMethod : uint8_t {
  kGet,
  kHead,
  kPost,
  kPut,
  kDelete,
  kConnect,
  kOptions,
  kTrace,
  kPatch,
  kOther,
};

// The method for a (case-sensitive, RFC 9110 §9.1) method token; kOther when not listed above.
HttpMethod MethodFromName(absl::string_view name);

// One field line. Names keep the case they were sent in; compare them case-insensitively.
// Values have no leading or trailing whitespace (RFC 9110 §5.5).
struct HttpHeader {
  absl::string_view name;
  absl::string_view value;
};

// The value of the first field named `name` (case-insensitive), or nullopt.
std::optional<absl::string_view> FindHeader(absl::Span<const HttpHeader> headers,
                                            absl::string_view name);

// The request-line and header section of a request.
struct HttpRequestHead {
  HttpMethod method = HttpMethod::kOther;
  absl::string_view method_name;  // As sent: "GET", "PROPFIND".
  absl::string_view target;       // Request-target as sent (RFC 9112 §3.2), not decoded.
  int version_minor = 1;          // HTTP/1.<minor>; 2 to 9 are processed as 1.1 (RFC 9110 §2.5).
  absl::Span<const HttpHeader> headers;    // Every field line, in order.
  absl::string_view host;                  // The Host value; empty when absent (HTTP/1.0 only).
  std::optional<uint64_t> content_length;  // Set when framed by Content-Length.
  bool chunked = false;                    // Framed by Transfer-Encoding: chunked.
  // HTTP/1.1 request with "Expect: 100-continue" (ignored in HTTP/1.0, RFC 9110 §10.1.1).
  bool expect_continue = false;
  // Whether the connection persists after this request (RFC 9112 §9.3). When false it is the
  // last request the decoder yields: the server answers it and closes (RFC 9112 §9.6).
  bool keep_alive = true;
};

// A complete request.
struct HttpRequest : HttpRequestHead {
  absl::string_view body;                 // Content, de-chunked; empty when there is none.
  absl::Span<const HttpHeader> trailers;  // Trailer fields of a chunked body (RFC 9112 §7.1.2).
};

// The head of a request with "Expect: 100-continue" arrived, and none of its body yet: the
// session should now write EncodeContinue(), or a final status and close (RFC 9110 §10.1.1).
// The same request follows later as an HttpRequest.
struct ContinueExpected {
  HttpRequestHead head;
};

using HttpRequestEvent = std::variant<HttpRequest, ContinueExpected>;

// The status-line and header section of a response.
struct HttpResponseHead {
  int status_code = 0;
  absl::string_view reason;  // Reason-phrase as sent; clients ignore it (RFC 9112 §4).
  int version_minor = 1;
  absl::Span<const HttpHeader> headers;
  std::optional<uint64_t> content_length;  // Set when framed by Content-Length.
  bool chunked = false;
  // Whether the connection may carry another request (RFC 9112 §9.3); false for a body read
  // until the server closed.
  bool keep_alive = true;
};

// A complete response. A 1xx response is interim: the final response to the same request
// follows.
struct HttpResponse : HttpResponseHead {
  absl::string_view body;
  absl::Span<const HttpHeader> trailers;
};

// A response for EncodeResponse() and friends. The encoder writes the status-line, Date,
// Content-Length or Transfer-Encoding and Connection itself; `headers` must not contain
// Content-Length, Transfer-Encoding or Connection.
struct OutgoingResponse {
  int status_code = 200;
  absl::string_view reason;  // Empty: the standard phrase for status_code.
  absl::Span<const HttpHeader> headers;
  absl::string_view date;  // IMF-fixdate (HttpDateCache); empty: no Date field.
  absl::string_view body;  // Ignored by the *Header() encoders.
  // About the request being answered; ResponseTo() copies them from it.
  bool keep_alive = true;         // False: "Connection: close"; the server then closes.
  bool head_request = false;      // Answering HEAD: Content-Length of `body`, but no body.
  int request_version_minor = 1;  // 0: keep-alive must be explicit; no chunked coding.
};

// An OutgoingResponse answering `request` with `status_code`.
OutgoingResponse ResponseTo(const HttpRequestHead& request, int status_code);

// A request for EncodeRequest(): "Host", "Content-Length" and "Connection" are the encoder's;
// `headers` must not contain them or Transfer-Encoding.
struct OutgoingRequest {
  absl::string_view method = "GET";
  absl::string_view target = "/";
  absl::string_view host;
  absl::Span<const HttpHeader> headers;
  absl::string_view body;
  bool keep_alive = true;  // False: "Connection: close".
};

}  // namespace weft::protocols::http

#endif  // WEFT_PROTOCOLS_HTTP_HTTP_TYPES_H_
