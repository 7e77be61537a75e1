#include "protocols/http/http_encoder.h"

#include <initializer_list>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "protocols/http/message_parser.h"

namespace weft::protocols::http {
namespace {

using internal::IsFieldValue;
using internal::IsToken;

constexpr absl::string_view kCrlf = "\r\n";

absl::Status CheckFields(absl::Span<const HttpHeader> fields,
                         std::initializer_list<absl::string_view> reserved) {
  for (const HttpHeader& field : fields) {
    if (!IsToken(field.name)) return absl::InvalidArgumentError("http: bad field name");
    if (!IsFieldValue(field.value)) {
      return absl::InvalidArgumentError(absl::StrCat("http: bad value for field ", field.name));
    }
    for (absl::string_view name : reserved) {
      if (absl::EqualsIgnoreCase(field.name, name)) {
        return absl::InvalidArgumentError(
            absl::StrCat("http: field ", field.name, " is written by the encoder"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckResponse(const OutgoingResponse& response) {
  if (response.status_code < 100 || response.status_code > 599) {
    return absl::InvalidArgumentError(
        absl::StrCat("http: status code ", response.status_code, " out of range"));
  }
  if (!IsFieldValue(response.reason)) return absl::InvalidArgumentError("http: bad reason");
  if (!IsFieldValue(response.date)) return absl::InvalidArgumentError("http: bad date");
  return CheckFields(response.headers, {"content-length", "transfer-encoding", "connection"});
}

std::size_t FieldsBytes(absl::Span<const HttpHeader> fields) {
  std::size_t bytes = 0;
  for (const HttpHeader& field : fields) bytes += field.name.size() + field.value.size() + 4;
  return bytes;
}

void AppendField(absl::string_view name, absl::string_view value, std::string& out) {
  out.append(name.data(), name.size());
  out.append(": ");
  out.append(value.data(), value.size());
  out.append(kCrlf.data(), kCrlf.size());
}

void AppendFields(absl::Span<const HttpHeader> fields, std::string& out) {
  for (const HttpHeader& field : fields) AppendField(field.name, field.value, out);
}

void AppendContentLength(uint64_t length, std::string& out) {
  absl::StrAppend(&out, "Content-Length: ", length, kCrlf);
}

// RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
void AppendConnection(const OutgoingResponse& response, std::string& out) {
  if (!response.keep_alive) {
    out.append("Connection: close\r\n");
  } else if (response.request_version_minor == 0) {
    out.append("Connection: keep-alive\r\n");
  }
}

// The status-line, Date and the caller's fields, with room reserved for `extra` more bytes.
void AppendHead(const OutgoingResponse& response, std::size_t extra, std::string& out) {
  const absl::string_view reason =
      response.reason.empty() ? ReasonPhrase(response.status_code) : response.reason;
  out.reserve(out.size() + 96 + reason.size() + response.date.size() +
              FieldsBytes(response.headers) + extra);
  const int code = response.status_code;
  const char status_line[] = {'H',
                              'T',
                              'T',
                              'P',
                              '/',
                              '1',
                              '.',
                              '1',
                              ' ',
                              static_cast<char>('0' + code / 100),
                              static_cast<char>('0' + code / 10 % 10),
                              static_cast<char>('0' + code % 10),
                              ' '};
  out.append(status_line, sizeof(status_line));
  out.append(reason.data(), reason.size());
  out.append(kCrlf.data(), kCrlf.size());
  if (!response.date.empty()) AppendField("Date", response.date, out);
  AppendFields(response.headers, out);
}

}  // namespace

absl::string_view ReasonPhrase(int status_code) {
  switch (status_code) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 103:
      return "Early Hints";  // RFC 8297.
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 203:
      return "Non-Authoritative Information";
    case 204:
      return "No Content";
    case 205:
      return "Reset Content";
    case 206:
      return "Partial Content";
    case 300:
      return "Multiple Choices";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 407:
      return "Proxy Authentication Required";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 421:
      return "Misdirected Request";
    case 422:
      return "Unprocessable Content";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";  // RFC 6585 §4.
    case 431:
      return "Request Header Fields Too Large";  // RFC 6585 §5.
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

bool ResponseHasBody(const OutgoingResponse& response) {
  const int code = response.status_code;
  return !response.head_request && code >= 200 && code != 204 && code != 304;
}

absl::Status EncodeResponseHeader(const OutgoingResponse& response, uint64_t content_length,
                                  std::string& out) {
  if (absl::Status s = CheckResponse(response); !s.ok()) return s;
  const bool has_body = ResponseHasBody(response);
  AppendHead(response, has_body ? static_cast<std::size_t>(content_length) : 0, out);
  const int code = response.status_code;
  if (code >= 200) {
    if (code != 204 && code != 304) AppendContentLength(content_length, out);
    AppendConnection(response, out);
  }
  out.append(kCrlf.data(), kCrlf.size());
  return absl::OkStatus();
}

absl::Status EncodeResponse(const OutgoingResponse& response, std::string& out) {
  if (absl::Status s = EncodeResponseHeader(response, response.body.size(), out); !s.ok()) {
    return s;
  }
  if (ResponseHasBody(response)) out.append(response.body.data(), response.body.size());
  return absl::OkStatus();
}

absl::StatusOr<BodyFraming> EncodeStreamingResponseHeader(const OutgoingResponse& response,
                                                          std::string& out) {
  if (absl::Status s = CheckResponse(response); !s.ok()) return s;
  if (response.status_code < 200) {
    return absl::InvalidArgumentError("http: a 1xx response has no body to stream");
  }
  AppendHead(response, 0, out);
  if (!ResponseHasBody(response)) {
    AppendConnection(response, out);
    out.append(kCrlf.data(), kCrlf.size());
    return BodyFraming::kNone;
  }
  // RFC 9112 §6.1: no Transfer-Encoding unless the request was HTTP/1.1 or later.
  if (response.request_version_minor == 0) {
    out.append("Connection: close\r\n\r\n");
    return BodyFraming::kUntilClose;
  }
  out.append("Transfer-Encoding: chunked\r\n");
  AppendConnection(response, out);
  out.append(kCrlf.data(), kCrlf.size());
  return BodyFraming::kChunked;
}

void EncodeContinue(std::string& out) { out.append("HTTP/1.1 100 Continue\r\n\r\n"); }

void EncodeChunk(absl::string_view data, std::string& out) {
  if (data.empty()) return;
  out.reserve(out.size() + data.size() + 20);
  absl::StrAppend(&out, absl::Hex(data.size()), kCrlf);
  out.append(data.data(), data.size());
  out.append(kCrlf.data(), kCrlf.size());
}

void EncodeLastChunk(std::string& out) { out.append("0\r\n\r\n"); }

absl::Status EncodeLastChunkWithTrailers(absl::Span<const HttpHeader> trailers, std::string& out) {
  // RFC 9110 §6.5.1: framing fields cannot be trailers.
  if (absl::Status s = CheckFields(trailers, {"content-length", "transfer-encoding", "host"});
      !s.ok()) {
    return s;
  }
  out.append("0\r\n");
  AppendFields(trailers, out);
  out.append(kCrlf.data(), kCrlf.size());
  return absl::OkStatus();
}

absl::Status EncodeRequest(const OutgoingRequest& request, std::string& out) {
  if (!IsToken(request.method)) return absl::InvalidArgumentError("http: bad method");
  if (!internal::IsTarget(request.target)) {
    return absl::InvalidArgumentError("http: bad request-target");
  }
  if (!internal::IsHost(request.host)) return absl::InvalidArgumentError("http: bad host");
  if (absl::Status s = CheckFields(request.headers,
                                   {"host", "content-length", "transfer-encoding", "connection"});
      !s.ok()) {
    return s;
  }
  const HttpMethod method = MethodFromName(request.method);
  const bool content_length = !request.body.empty() || method == HttpMethod::kPost ||
                              method == HttpMethod::kPut || method == HttpMethod::kPatch;
  out.reserve(out.size() + 96 + request.method.size() + request.target.size() +
              request.host.size() + FieldsBytes(request.headers) + request.body.size());
  absl::StrAppend(&out, request.method, " ", request.target, " HTTP/1.1\r\n");
  AppendField("Host", request.host, out);
  AppendFields(request.headers, out);
  if (content_length) AppendContentLength(request.body.size(), out);
  if (!request.keep_alive) out.append("Connection: close\r\n");
  out.append(kCrlf.data(), kCrlf.size());
  out.append(request.body.data(), request.body.size());
  return absl::OkStatus();
}

}  // namespace weft::protocols::http
