// Size and count caps of the HTTP/1.1 codec (docs/http.md, "Limits").
//
// Part of //protocols/http. A server-side decoder that meets a peer past one of these answers
// with the HTTP status named beside it (HttpRequestDecoder::error_status()) and is poisoned; the
// client-side decoder reports kResourceExhausted. Nothing past a limit is buffered: each cap is
// checked as bytes arrive, not once a line or section is complete.
#ifndef WEFT_PROTOCOLS_HTTP_LIMITS_H_
#define WEFT_PROTOCOLS_HTTP_LIMITS_H_

#include <cstdint>

namespace weft::protocols::http {

struct HttpLimits {
  // Longest request-line or status-line, line ending included. RFC 9112 §3: "It is RECOMMENDED
  // that all HTTP senders and recipients support, at a minimum, request-line lengths of 8000
  // octets." Past it: 414 URI Too Long when the request-target is what runs over (RFC 9112 §3,
  // RFC 9110 §15.5.15), 400 otherwise.
  uint32_t max_start_line_bytes = 8 * 1024;

  // Largest header section: every field line with its line ending, plus the empty line that
  // ends the section. RFC 9110 §5.4 leaves the cap to the server; past it: 431 Request Header
  // Fields Too Large (RFC 6585 §5).
  uint32_t max_header_bytes = 64 * 1024;

  // Most field lines in a header section, and separately in a trailer section. Past it: 431.
  uint32_t max_header_count = 100;

  // Largest message body (content). RFC 9110 §15.5.14: 413 Content Too Large. A Content-Length
  // over it is refused when the header section ends, before any body byte is read; a chunked
  // body is counted chunk size by chunk size, before that chunk's data is read.
  uint64_t max_body_bytes = 16 * 1024 * 1024;

  // Longest chunk-size line (size, chunk extensions, CRLF). RFC 9112 §7.1.1: "A server ought to
  // limit the total length of chunk extensions received in a request to an amount reasonable
  // for the services provided". Past it: 400.
  uint32_t max_chunk_line_bytes = 1024;

  // Largest trailer section after a chunked body (RFC 9112 §7.1.2), counted like the header
  // section. Past it: 431.
  uint32_t max_trailer_bytes = 8 * 1024;
};

}  // namespace weft::protocols::http

#endif  // WEFT_PROTOCOLS_HTTP_LIMITS_H_
