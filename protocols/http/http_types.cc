#include "protocols/http/http_types.h"

#include "absl/strings/match.h"

namespace weft::protocols::http {

HttpMethod MethodFromName(absl::string_view name) {
  switch (name.size()) {
    case 3:
      if (name == "GET") return HttpMethod::kGet;
      if (name == "PUT") return HttpMethod::kPut;
      break;
    case 4:
      if (name == "POST") return HttpMethod::kPost;
      if (name == "HEAD") return HttpMethod::kHead;
      break;
    case 5:
      if (name == "PATCH") return HttpMethod::kPatch;
      if (name == "TRACE") return HttpMethod::kTrace;
      break;
    case 6:
      if (name == "DELETE") return HttpMethod::kDelete;
      break;
    case 7:
      if (name == "OPTIONS") return HttpMethod::kOptions;
      if (name == "CONNECT") return HttpMethod::kConnect;
      break;
    default:
      break;
  }
  return HttpMethod::kOther;
}

std::optional<absl::string_view> FindHeader(absl::Span<const HttpHeader> headers,
                                            absl::string_view name) {
  for (const HttpHeader& header : headers) {
    if (absl::EqualsIgnoreCase(header.name, name)) return header.value;
  }
  return std::nullopt;
}

OutgoingResponse ResponseTo(const HttpRequestHead& request, int status_code) {
  OutgoingResponse response;
  response.status_code = status_code;
  response.keep_alive = request.keep_alive;
  response.head_request = request.method == HttpMethod::kHead;
  response.request_version_minor = request.version_minor;
  return response;
}

}  // namespace weft::protocols::http
