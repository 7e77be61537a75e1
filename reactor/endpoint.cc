#include "reactor/endpoint.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace weft::reactor {
namespace {

struct Parts {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> named;
};

absl::Status Invalid(absl::string_view text, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("endpoint '", text, "': ", what));
}

// Splits on unescaped ':' outside brackets; "key=value" parts are named, others positional.
absl::StatusOr<Parts> Split(absl::string_view text) {
  std::vector<std::string> fields(1);
  // Position of each field's first unescaped '=' (an escaped one is part of the value).
  std::vector<std::size_t> eqs(1, std::string::npos);
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      if (++i == text.size()) return Invalid(text, "trailing backslash");
      fields.back().push_back(text[i]);
    } else if (c == ':' && depth == 0) {
      fields.emplace_back();
      eqs.push_back(std::string::npos);
    } else {
      if (c == '[') ++depth;
      if (c == ']' && --depth < 0) return Invalid(text, "unbalanced ']'");
      if (c == '=' && eqs.back() == std::string::npos) eqs.back() = fields.back().size();
      fields.back().push_back(c);
    }
  }
  if (depth != 0) return Invalid(text, "unbalanced '['");
  Parts parts;
  for (std::size_t f = 0; f < fields.size(); ++f) {
    std::string& field = fields[f];
    const std::size_t eq = eqs[f];
    // The first field is always the kind; after it, "key=value" fields are named.
    if (parts.positional.empty() || eq == std::string::npos) {
      if (!parts.named.empty()) {
        return Invalid(text, absl::StrCat("positional part '", field, "' after named parts"));
      }
      parts.positional.push_back(std::move(field));
    } else {
      parts.named.emplace_back(field.substr(0, eq), field.substr(eq + 1));
    }
  }
  return parts;
}

std::string StripBrackets(absl::string_view host) {
  if (absl::ConsumePrefix(&host, "[")) absl::ConsumeSuffix(&host, "]");
  return std::string(host);
}

absl::StatusOr<int> ParsePort(absl::string_view text, absl::string_view value) {
  int port;
  if (!absl::SimpleAtoi(value, &port) || port < 0 || port > 65535) {
    return Invalid(text, absl::StrCat("port '", value, "' is not a number from 0 to 65535"));
  }
  return port;
}

absl::StatusOr<int> ParsePositive(absl::string_view text, absl::string_view key,
                                  absl::string_view value) {
  int n;
  if (!absl::SimpleAtoi(value, &n) || n <= 0) {
    return Invalid(text, absl::StrCat(key, " '", value, "' is not a positive number"));
  }
  return n;
}

absl::StatusOr<bool> ParseBool(absl::string_view text, absl::string_view key,
                               absl::string_view value) {
  const std::string lower = absl::AsciiStrToLower(value);
  if (lower == "1" || lower == "true" || lower == "yes") return true;
  if (lower == "0" || lower == "false" || lower == "no") return false;
  return Invalid(text, absl::StrCat(key, " '", value, "' is not a boolean"));
}

absl::StatusOr<absl::Duration> ParseTimeout(absl::string_view text, absl::string_view value) {
  double seconds;
  if (!absl::SimpleAtod(value, &seconds) || !(seconds > 0)) {
    return Invalid(text, absl::StrCat("timeout '", value, "' is not a positive number of seconds"));
  }
  return absl::Seconds(seconds);
}

absl::StatusOr<EndpointKind> ParseKind(absl::string_view text, const Parts& parts) {
  if (parts.positional.empty() || parts.positional[0].empty()) {
    return Invalid(text, "missing kind (tcp, tls or unix)");
  }
  const std::string kind = absl::AsciiStrToLower(parts.positional[0]);
  if (kind == "tcp") return EndpointKind::kTcp;
  if (kind == "tls" || kind == "ssl") return EndpointKind::kTls;
  if (kind == "unix") return EndpointKind::kUnix;
  return Invalid(
      text, absl::StrCat("unknown kind '", parts.positional[0], "' (expected tcp, tls or unix)"));
}

// Applies a TLS option; returns false when `key` is not one.
absl::StatusOr<bool> ApplyTls(absl::string_view text, const std::string& key,
                              const std::string& value, TlsEndpointOptions& tls) {
  if (key == "cert" || key == "certKey") {
    tls.cert_file = value;
  } else if (key == "key" || key == "privateKey") {
    tls.key_file = value;
  } else if (key == "ca" || key == "caCertsDir") {
    tls.ca_file = value;
  } else if (key == "alpn") {
    tls.alpn = absl::StrSplit(value, ',', absl::SkipEmpty());
  } else if (key == "sni") {
    tls.server_name = value;
  } else if (key == "verify") {
    absl::StatusOr<bool> verify = ParseBool(text, key, value);
    if (!verify.ok()) return verify.status();
    tls.verify_peer = *verify;
  } else {
    return false;
  }
  return true;
}

absl::Status ApplyServerOption(absl::string_view text, const std::string& key,
                               const std::string& value, ServerEndpoint& endpoint) {
  if (key == "interface") {
    endpoint.interface = StripBrackets(value);
  } else if (key == "backlog") {
    absl::StatusOr<int> backlog = ParsePositive(text, key, value);
    if (!backlog.ok()) return backlog.status();
    endpoint.backlog = *backlog;
  } else if (key == "reuseport") {
    absl::StatusOr<bool> reuse = ParseBool(text, key, value);
    if (!reuse.ok()) return reuse.status();
    endpoint.reuse_port = *reuse;
  } else if (key == "port" && endpoint.kind != EndpointKind::kUnix) {
    absl::StatusOr<int> port = ParsePort(text, value);
    if (!port.ok()) return port.status();
    endpoint.port = *port;
  } else if (key == "address" && endpoint.kind == EndpointKind::kUnix) {
    endpoint.path = value;
  } else {
    absl::StatusOr<bool> tls = endpoint.kind == EndpointKind::kTls
                                   ? ApplyTls(text, key, value, endpoint.tls)
                                   : absl::StatusOr<bool>(false);
    if (!tls.ok()) return tls.status();
    if (!*tls) return Invalid(text, absl::StrCat("unknown option '", key, "'"));
  }
  return absl::OkStatus();
}

absl::Status ApplyClientOption(absl::string_view text, const std::string& key,
                               const std::string& value, ClientEndpoint& endpoint) {
  if (key == "timeout") {
    absl::StatusOr<absl::Duration> timeout = ParseTimeout(text, value);
    if (!timeout.ok()) return timeout.status();
    endpoint.timeout = *timeout;
  } else if (key == "host" && endpoint.kind != EndpointKind::kUnix) {
    endpoint.host = StripBrackets(value);
  } else if (key == "port" && endpoint.kind != EndpointKind::kUnix) {
    absl::StatusOr<int> port = ParsePort(text, value);
    if (!port.ok()) return port.status();
    endpoint.port = *port;
  } else if ((key == "path" || key == "address") && endpoint.kind == EndpointKind::kUnix) {
    endpoint.path = value;
  } else {
    absl::StatusOr<bool> tls = endpoint.kind == EndpointKind::kTls
                                   ? ApplyTls(text, key, value, endpoint.tls)
                                   : absl::StatusOr<bool>(false);
    if (!tls.ok()) return tls.status();
    if (!*tls) return Invalid(text, absl::StrCat("unknown option '", key, "'"));
  }
  return absl::OkStatus();
}

std::string Escape(absl::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == ':' || c == '\\' || c == '=' || c == '[' || c == ']') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// A host or interface as written in an endpoint string: bracketed when it holds ':' (IPv6) or
// starts with '[' (which parsing would strip), with the other special characters escaped.
std::string QuoteHost(absl::string_view host) {
  std::string out;
  for (char c : host) {
    if (c == '\\' || c == '=' || c == '[' || c == ']') out.push_back('\\');
    out.push_back(c);
  }
  if (host.find(':') == absl::string_view::npos && !absl::StartsWith(host, "[")) return out;
  return absl::StrCat("[", out, "]");
}

std::string KindName(EndpointKind kind) {
  switch (kind) {
    case EndpointKind::kTcp:
      return "tcp";
    case EndpointKind::kTls:
      return "tls";
    case EndpointKind::kUnix:
      return "unix";
  }
  return "";
}

// Prints every TLS setting that is set (a client may carry a certificate too), so the string
// parses back to the same options.
void AppendTls(const TlsEndpointOptions& tls, std::string& out) {
  if (!tls.cert_file.empty()) absl::StrAppend(&out, ":cert=", Escape(tls.cert_file));
  if (!tls.key_file.empty()) absl::StrAppend(&out, ":key=", Escape(tls.key_file));
  if (!tls.ca_file.empty()) absl::StrAppend(&out, ":ca=", Escape(tls.ca_file));
  if (!tls.alpn.empty()) absl::StrAppend(&out, ":alpn=", Escape(absl::StrJoin(tls.alpn, ",")));
  if (!tls.server_name.empty()) absl::StrAppend(&out, ":sni=", Escape(tls.server_name));
  if (!tls.verify_peer) absl::StrAppend(&out, ":verify=false");
}

}  // namespace

absl::StatusOr<ServerEndpoint> ParseServerEndpoint(absl::string_view text) {
  absl::StatusOr<Parts> parts = Split(text);
  if (!parts.ok()) return parts.status();
  absl::StatusOr<EndpointKind> kind = ParseKind(text, *parts);
  if (!kind.ok()) return kind.status();
  ServerEndpoint endpoint;
  endpoint.kind = *kind;
  if (parts->positional.size() > 2) {
    return Invalid(text, absl::StrCat("unexpected part '", parts->positional[2], "'"));
  }
  if (parts->positional.size() == 2) {
    if (endpoint.kind == EndpointKind::kUnix) {
      endpoint.path = parts->positional[1];
    } else {
      absl::StatusOr<int> port = ParsePort(text, parts->positional[1]);
      if (!port.ok()) return port.status();
      endpoint.port = *port;
    }
  } else if (endpoint.kind != EndpointKind::kUnix &&
             !std::any_of(parts->named.begin(), parts->named.end(),
                          [](const auto& kv) { return kv.first == "port"; })) {
    return Invalid(text, "missing port");
  }
  for (const auto& [key, value] : parts->named) {
    if (absl::Status s = ApplyServerOption(text, key, value, endpoint); !s.ok()) return s;
  }
  if (endpoint.kind == EndpointKind::kUnix && endpoint.path.empty()) {
    return Invalid(text, "missing socket path");
  }
  if (endpoint.kind == EndpointKind::kTls &&
      (endpoint.tls.cert_file.empty() || endpoint.tls.key_file.empty())) {
    return Invalid(text, "tls needs cert=PATH and key=PATH");
  }
  return endpoint;
}

absl::StatusOr<ClientEndpoint> ParseClientEndpoint(absl::string_view text) {
  absl::StatusOr<Parts> parts = Split(text);
  if (!parts.ok()) return parts.status();
  absl::StatusOr<EndpointKind> kind = ParseKind(text, *parts);
  if (!kind.ok()) return kind.status();
  ClientEndpoint endpoint;
  endpoint.kind = *kind;
  const std::vector<std::string>& positional = parts->positional;
  const std::size_t max_positional = endpoint.kind == EndpointKind::kUnix ? 2 : 3;
  if (positional.size() > max_positional) {
    return Invalid(text, absl::StrCat("unexpected part '", positional[max_positional], "'"));
  }
  if (endpoint.kind == EndpointKind::kUnix) {
    if (positional.size() == 2) endpoint.path = positional[1];
  } else {
    if (positional.size() >= 2) endpoint.host = StripBrackets(positional[1]);
    if (positional.size() == 3) {
      absl::StatusOr<int> port = ParsePort(text, positional[2]);
      if (!port.ok()) return port.status();
      endpoint.port = *port;
    }
  }
  for (const auto& [key, value] : parts->named) {
    if (absl::Status s = ApplyClientOption(text, key, value, endpoint); !s.ok()) return s;
  }
  if (endpoint.kind == EndpointKind::kUnix) {
    if (endpoint.path.empty()) return Invalid(text, "missing socket path");
  } else {
    if (endpoint.host.empty()) return Invalid(text, "missing host");
    if (endpoint.port == 0) return Invalid(text, "missing port");
  }
  if (endpoint.kind == EndpointKind::kTls && endpoint.tls.server_name.empty()) {
    endpoint.tls.server_name = endpoint.host;
  }
  return endpoint;
}

std::string ServerEndpoint::ToString() const {
  if (kind == EndpointKind::kUnix) return absl::StrCat("unix:", Escape(path));
  std::string out = absl::StrCat(KindName(kind), ":", port, ":interface=", QuoteHost(interface));
  if (kind == EndpointKind::kTls) AppendTls(tls, out);
  return out;
}

std::string ClientEndpoint::ToString() const {
  if (kind == EndpointKind::kUnix) return absl::StrCat("unix:", Escape(path));
  std::string out = absl::StrCat(KindName(kind), ":", QuoteHost(host), ":", port);
  if (kind == EndpointKind::kTls) AppendTls(tls, out);
  return out;
}

}  // namespace weft::reactor
