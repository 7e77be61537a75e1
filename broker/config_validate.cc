// Validation of weft.config.v1.BrokerConfig, plus the listener and token helpers of config.h
// that share its rules. docs/configuration.md lists every rule checked here.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "broker/config.h"
#include "broker/config_internal.h"
#include "google/protobuf/descriptor.h"
#include "protocols/http/path_template.h"
#include "reactor/endpoint.h"

namespace weft::broker {
namespace internal_config {
namespace {

using config::v1::AuthConfig;
using config::v1::BrokerConfig;
using config::v1::Listener;
using config::v1::Route;
using config::v1::ServiceConfig;
using reactor::EndpointKind;
using reactor::ServerEndpoint;

using Check = std::optional<ConfigProblem>;

constexpr std::size_t kMinTokenBytes = 16;
constexpr std::size_t kMaxTokenBytes = 4096;
constexpr std::size_t kMaxTopicBytes = 1024;  // WireLimits::max_name_bytes
constexpr off_t kMaxTokenFileBytes = 1 << 20;

Check Problem(std::string path, std::string message) {
  return ConfigProblem{std::move(path), std::move(message)};
}

template <typename T>
Check CheckRange(absl::string_view path, T value, T min, T max) {
  if (value >= min && value <= max) return std::nullopt;
  return Problem(std::string(path), absl::StrCat(value, " is not in ", min, "..", max));
}

// A parsed IP bind address.
struct IpAddress {
  int family = AF_INET;
  in_addr v4{};
  in6_addr v6{};

  bool IsLoopback() const {
    if (family == AF_INET) return (ntohl(v4.s_addr) >> 24) == 127;
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  bool IsWildcard() const {
    return family == AF_INET ? v4.s_addr == htonl(INADDR_ANY) : IN6_IS_ADDR_UNSPECIFIED(&v6);
  }
  std::string ToString() const {
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(family, family == AF_INET ? static_cast<const void*>(&v4) : &v6, text, sizeof(text));
    return text;
  }
};

std::optional<IpAddress> ParseIp(const std::string& text) {
  IpAddress ip;
  if (inet_pton(AF_INET, text.c_str(), &ip.v4) == 1) return ip;
  ip.family = AF_INET6;
  if (inet_pton(AF_INET6, text.c_str(), &ip.v6) == 1) return ip;
  return std::nullopt;
}

// An enabled listener's bind address, for the duplicate and public-bind checks.
struct Binding {
  std::string gateway;
  EndpointKind kind = EndpointKind::kTcp;
  IpAddress ip;  // kTcp, kTls
  int port = 0;
  std::string unix_path;      // kUnix
  bool client_certs = false;  // Clients must present a certificate.

  std::string Address() const {
    if (kind == EndpointKind::kUnix) return absl::StrCat("unix socket ", Quote(unix_path));
    if (ip.family == AF_INET6) return absl::StrCat("[", ip.ToString(), "]:", port);
    return absl::StrCat(ip.ToString(), ":", port);
  }
  bool ConflictsWith(const Binding& other) const {
    if ((kind == EndpointKind::kUnix) != (other.kind == EndpointKind::kUnix)) return false;
    if (kind == EndpointKind::kUnix) return unix_path == other.unix_path;
    if (port == 0 || port != other.port) return false;  // Port 0 picks a free port.
    // An IPv6 wildcard is dual-stack, so it overlaps every address on its port.
    if ((ip.family == AF_INET6 && ip.IsWildcard()) ||
        (other.ip.family == AF_INET6 && other.ip.IsWildcard())) {
      return true;
    }
    if (ip.family != other.ip.family) return false;
    return ip.IsWildcard() || other.ip.IsWildcard() || ip.ToString() == other.ip.ToString();
  }
};

bool IsStarttlsGateway(absl::string_view gateway) {
  return gateway == "smtp" || gateway == "imap" || gateway == "pop3";
}

Check CheckTls(const std::string& path, absl::string_view gateway, const Listener& listener,
               const ServerEndpoint& endpoint) {
  if (gateway == "ssh") {
    if (endpoint.kind == EndpointKind::kTls) {
      return Problem(path + ".endpoint", "ssh does not use TLS; use a tcp: endpoint");
    }
    if (listener.has_tls()) return Problem(path + ".tls", "ssh does not use TLS");
  }
  if (!listener.has_tls()) return std::nullopt;
  const config::v1::TlsSettings& tls = listener.tls();
  if (endpoint.kind == EndpointKind::kTls) {
    return Problem(path + ".tls",
                   "the endpoint is tls: already; set TLS in the endpoint or here, not both");
  }
  if (endpoint.kind == EndpointKind::kUnix) {
    return Problem(path + ".tls", "TLS over a unix: endpoint is not supported");
  }
  if (tls.cert_file().empty()) return Problem(path + ".tls.cert_file", "must be set with tls");
  if (tls.key_file().empty()) return Problem(path + ".tls.key_file", "must be set with tls");
  if (tls.starttls() && !IsStarttlsGateway(gateway)) {
    return Problem(path + ".tls.starttls", "only smtp, imap and pop3 support STARTTLS");
  }
  return std::nullopt;
}

// Parses and checks one listener; fills `binding` when it parses.
Check CheckListener(const GatewayListener& named, Binding& binding) {
  const std::string path = absl::StrCat("listeners.", named.gateway);
  const Listener& listener = *named.listener;
  if (listener.endpoint().empty()) return Problem(path + ".endpoint", "must not be empty");
  absl::StatusOr<ServerEndpoint> endpoint = reactor::ParseServerEndpoint(listener.endpoint());
  if (!endpoint.ok()) return Problem(path + ".endpoint", std::string(endpoint.status().message()));
  binding.gateway = named.gateway;
  binding.kind = endpoint->kind;
  binding.port = endpoint->port;
  binding.unix_path = endpoint->path;
  if (endpoint->kind != EndpointKind::kUnix) {
    std::optional<IpAddress> ip = ParseIp(endpoint->interface);
    if (!ip.has_value()) {
      return Problem(path + ".endpoint",
                     absl::StrCat("endpoint ", Quote(listener.endpoint()), ": interface ",
                                  Quote(endpoint->interface), " is not a numeric IP address"));
    }
    binding.ip = *ip;
  }
  binding.client_certs = !endpoint->tls.ca_file.empty() ||
                         (listener.has_tls() && !listener.tls().client_ca_file().empty());
  return CheckTls(path, named.gateway, listener, *endpoint);
}

Check CheckListeners(const BrokerConfig& config, std::vector<Binding>& bindings) {
  for (const GatewayListener& named : GatewayListeners(config.listeners())) {
    Binding binding;
    if (Check problem = CheckListener(named, binding)) return problem;
    if (!named.listener->enabled()) continue;  // Checked for syntax, but binds nothing.
    for (const Binding& earlier : bindings) {
      if (!binding.ConflictsWith(earlier)) continue;
      return Problem(absl::StrCat("listeners.", named.gateway, ".endpoint"),
                     absl::StrCat(binding.Address(), " conflicts with listeners.", earlier.gateway,
                                  ", which binds ", earlier.Address()));
    }
    bindings.push_back(std::move(binding));
  }
  return std::nullopt;
}

// A problem with one token, never naming it.
std::optional<std::string> TokenProblem(absl::string_view token) {
  if (token.empty()) return "token is empty";
  if (token.size() < kMinTokenBytes) {
    return absl::StrCat("token is shorter than ", kMinTokenBytes, " characters");
  }
  if (token.size() > kMaxTokenBytes) {
    return absl::StrCat("token is longer than ", kMaxTokenBytes, " characters");
  }
  for (char c : token) {
    if (c <= ' ' || c > '~') return "token has a space, a control or a non-ASCII character";
  }
  return std::nullopt;
}

Check CheckAuthCredentials(const AuthConfig& auth) {
  for (int i = 0; i < auth.tokens_size(); ++i) {
    if (std::optional<std::string> problem = TokenProblem(auth.tokens(i))) {
      return Problem(absl::StrCat("auth.tokens[", i, "]"), *std::move(problem));
    }
  }
  if (!auth.token_file().empty()) {
    absl::StatusOr<std::vector<std::string>> tokens = ReadTokenFile(auth.token_file());
    if (!tokens.ok()) return Problem("auth.token_file", std::string(tokens.status().message()));
  }
  return std::nullopt;
}

// The first enabled listener reachable from other hosts that requires no client certificate.
const Binding* FirstExposed(const std::vector<Binding>& bindings) {
  for (const Binding& binding : bindings) {
    if (binding.kind != EndpointKind::kUnix && !binding.ip.IsLoopback() && !binding.client_certs) {
      return &binding;
    }
  }
  return nullptr;
}

// Auth must be on (or client certificates required) wherever a listener is reachable from
// other hosts, unless the operator opted out.
Check CheckAuth(const BrokerConfig& raw, const BrokerConfig& config,
                const std::vector<Binding>& bindings) {
  const AuthConfig& auth = config.auth();
  if (Check problem = CheckAuthCredentials(auth)) return problem;
  const bool has_credentials = auth.tokens_size() > 0 || !auth.token_file().empty();
  const Binding* exposed = FirstExposed(bindings);
  if (auth.require_auth() && !has_credentials &&
      (exposed == nullptr || raw.auth().has_require_auth())) {
    return Problem("auth.require_auth",
                   "is true but no credentials are configured; set auth.tokens or "
                   "auth.token_file");
  }
  if (exposed == nullptr || (auth.require_auth() && has_credentials)) return std::nullopt;
  if (!auth.require_auth() && auth.allow_insecure_public_bind()) return std::nullopt;
  const std::string remedies =
      absl::StrCat("require client certificates (listeners.", exposed->gateway,
                   ".tls.client_ca_file), or set auth.allow_insecure_public_bind");
  // require_auth defaulted to true because of this listener.
  const std::string problem = auth.require_auth()
                                  ? absl::StrCat(
                                        "so auth is required, but no credentials are "
                                        "configured; set auth.tokens or auth.token_file, ",
                                        remedies)
                                  : absl::StrCat(
                                        "but auth.require_auth is false; set auth.require_auth "
                                        "with auth.tokens or auth.token_file, ",
                                        remedies);
  return Problem(absl::StrCat("listeners.", exposed->gateway, ".endpoint"),
                 absl::StrCat("binds ", exposed->Address(), ", which is not loopback, ", problem));
}

bool IsIdentifier(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(name[0])) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  return true;
}

// "pkg.sub.Name", or a bare "Name".
bool IsDottedName(absl::string_view name) {
  for (absl::string_view part : absl::StrSplit(name, '.')) {
    if (!IsIdentifier(part)) return false;
  }
  return true;
}

// "pkg.Service", "pkg.Service.Method" or "pkg.Service/Method" (broker/router.h).
bool IsRouteTarget(absl::string_view target) {
  std::vector<absl::string_view> parts = absl::StrSplit(target, '/');
  if (parts.size() > 2) return false;
  return IsDottedName(parts[0]) && (parts.size() == 1 || IsIdentifier(parts[1]));
}

Check CheckRouteDestination(const std::string& path, const Route& route) {
  switch (route.destination_case()) {
    case Route::kService:
      if (route.service().empty()) return Problem(path + ".service", "must not be empty");
      if (!IsDottedName(route.service())) {
        return Problem(path + ".service",
                       Quote(route.service()) + " is not a service name (like demo.Calculator)");
      }
      return std::nullopt;
    case Route::kTopic:
      if (route.topic().empty()) return Problem(path + ".topic", "must not be empty");
      if (route.topic().size() > kMaxTopicBytes) {
        return Problem(path + ".topic", absl::StrCat("is longer than ", kMaxTopicBytes, " bytes"));
      }
      for (char c : route.topic()) {
        if (c <= ' ' || c == '\x7f') {
          return Problem(path + ".topic",
                         Quote(route.topic()) + " has a space or a control character");
        }
      }
      return std::nullopt;
    case Route::kWebhook:
      return std::nullopt;  // CheckWebhook()
    case Route::DESTINATION_NOT_SET:
      if (route.has_durable()) return std::nullopt;  // Delivers to the called service.
      break;
  }
  return Problem(path, "has no destination; set service, topic or webhook");
}

Check CheckDurable(const std::string& path, const Route& route) {
  const config::v1::DurableDelivery& durable = route.durable();
  if (route.destination_case() == Route::kTopic) {
    return Problem(path + ".durable", "a durable route delivers to a service, not a topic");
  }
  if (durable.queue().size() > 200) return Problem(path + ".durable.queue", "is longer than 200");
  for (char c : durable.queue()) {
    if (c <= ' ' || c == '\x7f') {
      return Problem(path + ".durable.queue",
                     Quote(durable.queue()) + " has a space or a control character");
    }
  }
  const std::string at = path + ".durable.";
  if (Check p = CheckRange<int>(at + "max_attempts", durable.max_attempts(), 1, 1000000)) return p;
  if (Check p = CheckRange<int64_t>(at + "initial_backoff_ms", durable.initial_backoff_ms(), 1,
                                    86400000)) {
    return p;
  }
  if (Check p = CheckRange<int64_t>(at + "max_backoff_ms", durable.max_backoff_ms(),
                                    durable.initial_backoff_ms(), 86400000)) {
    return p;
  }
  if (Check p = CheckRange<int64_t>(at + "attempt_timeout_ms", durable.attempt_timeout_ms(), 1,
                                    86400000)) {
    return p;
  }
  if (Check p = CheckRange<int>(at + "max_in_flight", durable.max_in_flight(), 1, 65536)) return p;
  if (!durable.idempotency_metadata().empty() && !durable.idempotency_field().empty()) {
    return Problem(at + "idempotency_field",
                   "set idempotency_metadata or idempotency_field, not both");
  }
  if (!durable.idempotency_field().empty() && !IsIdentifier(durable.idempotency_field())) {
    return Problem(at + "idempotency_field",
                   Quote(durable.idempotency_field()) + " is not a field name");
  }
  return std::nullopt;
}

// RFC 9110 §5.6.2: tchar.
bool IsToken(absl::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) &&
        absl::string_view("!#$%&'*+-.^_`|~").find(c) == absl::string_view::npos) {
      return false;
    }
  }
  return true;
}

// Fields the webhook client writes itself.
bool IsReservedWebhookHeader(absl::string_view name) {
  for (absl::string_view reserved :
       {"host", "content-length", "content-type", "connection", "transfer-encoding", "te",
        "upgrade", "keep-alive", "trailer"}) {
    if (absl::EqualsIgnoreCase(name, reserved)) return true;
  }
  return absl::StartsWithIgnoreCase(name, "x-weft-");
}

Check CheckWebhookHeaders(const std::string& at, const config::v1::Webhook& webhook) {
  for (int h = 0; h < webhook.headers_size(); ++h) {
    const config::v1::WebhookHeader& header = webhook.headers(h);
    const std::string path = absl::StrCat(at, "headers[", h, "].");
    if (!IsToken(header.name())) {
      return Problem(path + "name",
                     Quote(header.name()) + " is not a field name (an RFC 9110 token)");
    }
    if (IsReservedWebhookHeader(header.name())) {
      return Problem(path + "name", Quote(header.name()) + " is written by weftd itself");
    }
    for (char c : header.value()) {  // A secret: never echoed.
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == '\x7f') {
        return Problem(path + "value", "has CR, LF, NUL or another control character");
      }
    }
  }
  return std::nullopt;
}

// A webhook route: the target is a whole service weftd knows and does not host in process.
Check CheckWebhook(const std::string& path, const Route& route, const BrokerConfig& config) {
  const config::v1::Webhook& webhook = route.webhook();
  if (route.has_durable()) {
    return Problem(path + ".durable", "a webhook route cannot be durable (not supported yet)");
  }
  if (route.target().find('/') != std::string::npos ||
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(route.target()) ==
          nullptr) {
    return Problem(path + ".target",
                   Quote(route.target()) +
                       " is not a service compiled into weftd; a webhook route's target is a "
                       "whole service ('pkg.Service')");
  }
  for (int i = 0; i < config.services_size(); ++i) {
    if (config.services(i).enabled() && config.services(i).name() == route.target()) {
      return Problem(path + ".target",
                     absl::StrCat(Quote(route.target()), " is hosted in process (services[", i,
                                  "]); disable it there or drop the webhook"));
    }
  }
  const std::string at = path + ".webhook.";
  if (webhook.url().empty()) return Problem(at + "url", "must not be empty");
  absl::StatusOr<WebhookUrl> url = ParseWebhookUrl(webhook.url());
  if (!url.ok()) return Problem(at + "url", std::string(url.status().message()));
  if (Check p = CheckRange<int64_t>(at + "timeout_ms", webhook.timeout_ms(), 1, 3600000)) return p;
  if (Check p = CheckRange<int>(at + "max_attempts", webhook.max_attempts(), 1, 100)) return p;
  if (Check p = CheckRange<int64_t>(at + "initial_backoff_ms", webhook.initial_backoff_ms(), 1,
                                    3600000)) {
    return p;
  }
  if (Check p = CheckRange<int64_t>(at + "max_backoff_ms", webhook.max_backoff_ms(),
                                    webhook.initial_backoff_ms(), 3600000)) {
    return p;
  }
  if (!webhook.ca_file().empty() && !url->tls) {
    return Problem(at + "ca_file", "is only for https URLs");
  }
  return CheckWebhookHeaders(at, webhook);
}

Check CheckRoutes(const BrokerConfig& config) {
  absl::flat_hash_map<std::string, int> seen;
  absl::flat_hash_map<std::string, int> queues;
  for (int i = 0; i < config.routes_size(); ++i) {
    const Route& route = config.routes(i);
    const std::string path = absl::StrCat("routes[", i, "]");
    if (route.target().empty()) return Problem(path + ".target", "must not be empty");
    if (!IsRouteTarget(route.target())) {
      return Problem(path + ".target", Quote(route.target()) +
                                           " is not a route target; expected 'pkg.Service', "
                                           "'pkg.Service.Method' or 'pkg.Service/Method'");
    }
    auto [it, inserted] = seen.emplace(route.target(), i);
    if (!inserted) {
      return Problem(
          path + ".target",
          absl::StrCat(Quote(route.target()), " is already routed by routes[", it->second, "]"));
    }
    if (Check problem = CheckRouteDestination(path, route)) return problem;
    if (route.has_webhook()) {
      if (Check problem = CheckWebhook(path, route, config)) return problem;
    }
    if (!route.has_durable()) continue;
    if (Check problem = CheckDurable(path, route)) return problem;
    auto [queue, fresh] = queues.emplace(route.durable().queue(), i);
    if (!fresh) {
      return Problem(path + ".durable.queue",
                     absl::StrCat(Quote(route.durable().queue()),
                                  " is already the queue of routes[", queue->second, "]"));
    }
  }
  return std::nullopt;
}

Check CheckServices(const BrokerConfig& config) {
  absl::flat_hash_map<std::string, int> seen;
  for (int i = 0; i < config.services_size(); ++i) {
    const ServiceConfig& service = config.services(i);
    const std::string path = absl::StrCat("services[", i, "].name");
    if (service.name().empty()) return Problem(path, "must not be empty");
    if (!IsDottedName(service.name())) {
      return Problem(path, Quote(service.name()) + " is not a service name (like demo.Calculator)");
    }
    auto [it, inserted] = seen.emplace(service.name(), i);
    if (!inserted) {
      return Problem(path, absl::StrCat(Quote(service.name()), " is already listed as services[",
                                        it->second, "]"));
    }
  }
  return std::nullopt;
}

Check CheckEnum(absl::string_view path, int value, const google::protobuf::EnumDescriptor& type) {
  const google::protobuf::EnumValueDescriptor* known = type.FindValueByNumber(value);
  if (known != nullptr && value != 0) return std::nullopt;
  std::string allowed;
  for (int i = 1; i < type.value_count(); ++i) {
    absl::StrAppend(&allowed, i == 1 ? "" : ", ", type.value(i)->name());
  }
  return Problem(std::string(path), absl::StrCat(value, " is not one of ", allowed));
}

Check CheckScalars(const BrokerConfig& config) {
  if (config.node().empty()) return Problem("node", "must not be empty");
  if (!IsValidNodeName(config.node())) {
    return Problem("node", Quote(config.node()) +
                               " is not a node name (1 to 253 letters, digits, '.', '_' or '-', "
                               "starting with a letter or digit)");
  }
  if (config.data_dir().empty()) return Problem("data_dir", "must not be empty");
  if (config.data_dir().find('\0') != std::string::npos) {
    return Problem("data_dir", "has a NUL character");
  }
  return CheckRange<int>("loops", config.loops(), 0, kMaxLoops);
}

// http.rest: each route names a method by full name, a known HTTP method and a path template
// the gateway can match (protocols/http/path_template.h). Whether the fields exist is checked
// when the service registers (the gateway logs and leaves out a route that does not fit).
Check CheckRestRoutes(const BrokerConfig& config) {
  constexpr int kMaxRestRoutes = 1024;
  const auto& routes = config.http().rest();
  if (routes.size() > kMaxRestRoutes) {
    return Problem("http.rest", absl::StrCat("more than ", kMaxRestRoutes, " routes"));
  }
  for (int i = 0; i < routes.size(); ++i) {
    const config::v1::RestRoute& route = routes[i];
    const std::string path = absl::StrCat("http.rest[", i, "]");
    const std::size_t dot = route.call().rfind('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == route.call().size() ||
        route.call().find_first_of(" /") != std::string::npos) {
      return Problem(path + ".call", absl::StrCat("'", route.call(),
                                                  "' is not a method's full name "
                                                  "(pkg.Service.Method)"));
    }
    constexpr absl::string_view kMethods[] = {"GET", "PUT", "POST", "DELETE", "PATCH"};
    if (std::find(std::begin(kMethods), std::end(kMethods), route.method()) == std::end(kMethods)) {
      return Problem(path + ".method",
                     absl::StrCat("'", route.method(), "' is not GET, PUT, POST, DELETE or PATCH"));
    }
    if (absl::StatusOr<protocols::http::PathTemplate> parsed =
            protocols::http::PathTemplate::Parse(route.path());
        !parsed.ok()) {
      return Problem(path + ".path", std::string(parsed.status().message()));
    }
  }
  return std::nullopt;
}

Check CheckLimits(const BrokerConfig& config) {
  const config::v1::WireConfig& wire = config.wire();
  const config::v1::RouterConfig& router = config.router();
  if (Check p = CheckRange<int>("wire.max_frame_bytes", wire.max_frame_bytes(), 1024, 64 << 20)) {
    return p;
  }
  if (Check p = CheckRange<int>("wire.max_in_flight", wire.max_in_flight(), 1, 65536)) return p;
  if (Check p = CheckRange<int64_t>("wire.idle_timeout_ms", wire.idle_timeout_ms(), 0, 86400000)) {
    return p;
  }
  const config::v1::HttpConfig& http = config.http();
  if (Check p = CheckRange<int64_t>("http.max_body_bytes", http.max_body_bytes(), 1024, 1 << 30)) {
    return p;
  }
  if (Check p =
          CheckRange<int64_t>("http.request_timeout_ms", http.request_timeout_ms(), 100, 3600000)) {
    return p;
  }
  if (Check p =
          CheckRange<int64_t>("http.idle_timeout_ms", http.idle_timeout_ms(), 100, 86400000)) {
    return p;
  }
  if (Check p = CheckRange<int>("http.max_pipelined", http.max_pipelined(), 1, 1024)) return p;
  if (Check p = CheckRange<int>("router.max_queue_depth", router.max_queue_depth(), 1, 1 << 20)) {
    return p;
  }
  return CheckRange<int64_t>("router.default_call_timeout_ms", router.default_call_timeout_ms(), 0,
                             86400000);
}

Check CheckStoreAndLogging(const BrokerConfig& config) {
  const config::v1::StoreConfig& store = config.store();
  if (store.has_sqlite() && store.sqlite().path().empty()) {
    return Problem("store.sqlite.path", "must not be empty");
  }
  if (Check p = CheckRange<int64_t>("store.idempotency_retention_ms",
                                    store.idempotency_retention_ms(), 60000, 31536000000)) {
    return p;
  }
  if (store.has_postgres() && store.postgres().conninfo().empty()) {
    return Problem("store.postgres.conninfo", "must not be empty");
  }
  if (Check p = CheckEnum("logging.format", config.logging().format(),
                          *config::v1::LogFormat_descriptor())) {
    return p;
  }
  return CheckEnum("logging.level", config.logging().level(), *config::v1::LogLevel_descriptor());
}

std::string LowerStrerror(int error) {
  std::string text = std::strerror(error);
  if (!text.empty()) text[0] = absl::ascii_tolower(text[0]);
  return text;
}

absl::Status TokenFileError(const std::string& path, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(Quote(path), " ", problem));
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int error = errno;
    return TokenFileError(
        path, error == ENOENT ? "does not exist" : "cannot be opened: " + LowerStrerror(error));
  }
  absl::Cleanup close_fd = [fd] { close(fd); };
  struct stat st;
  if (fstat(fd, &st) != 0) return TokenFileError(path, "cannot be read: " + LowerStrerror(errno));
  if (!S_ISREG(st.st_mode)) return TokenFileError(path, "is not a regular file");
  if ((st.st_mode & (S_IROTH | S_IWOTH)) != 0) {
    return TokenFileError(path, absl::StrFormat("is readable or writable by other users (mode "
                                                "%04o); run chmod o-rwx on it",
                                                st.st_mode & 07777));
  }
  if (st.st_size > kMaxTokenFileBytes) return TokenFileError(path, "is larger than 1 MiB");
  std::string contents(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = read(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return TokenFileError(path, "cannot be read: " + LowerStrerror(errno));
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  contents.resize(done);
  return contents;
}

}  // namespace

std::string Quote(absl::string_view value) {
  return absl::StrCat("'", absl::CHexEscape(value), "'");
}

bool IsValidNodeName(absl::string_view name) {
  if (name.empty() || name.size() > 253 || !absl::ascii_isalnum(name[0])) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

std::vector<GatewayListener> GatewayListeners(const config::v1::Listeners& listeners) {
  const google::protobuf::Descriptor& type = *listeners.GetDescriptor();
  const google::protobuf::Reflection& reflection = *listeners.GetReflection();
  std::vector<GatewayListener> out;
  out.reserve(type.field_count());
  for (int i = 0; i < type.field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = type.field(i);
    out.push_back(GatewayListener{
        field->name(), static_cast<const Listener*>(&reflection.GetMessage(listeners, field))});
  }
  return out;
}

bool PublicBindNeedsAuth(const BrokerConfig& config) {
  if (config.auth().allow_insecure_public_bind()) return false;
  for (const GatewayListener& named : GatewayListeners(config.listeners())) {
    Binding binding;
    if (!named.listener->enabled() || CheckListener(named, binding).has_value()) continue;
    if (binding.kind != EndpointKind::kUnix && !binding.ip.IsLoopback() && !binding.client_certs) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<std::vector<std::string>> ReadTokenFile(const std::string& path) {
  absl::StatusOr<std::string> contents = ReadSecretFile(path);
  if (!contents.ok()) return contents.status();
  std::vector<std::string> tokens;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(*contents, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    if (std::optional<std::string> problem = TokenProblem(line)) {
      return TokenFileError(path, absl::StrCat("line ", line_number, ": ", *problem));
    }
    tokens.emplace_back(line);
  }
  if (tokens.empty()) return TokenFileError(path, "holds no tokens");
  return tokens;
}

std::optional<ConfigProblem> FindProblem(const BrokerConfig& raw, const BrokerConfig& resolved) {
  if (Check p = CheckScalars(resolved)) return p;
  std::vector<Binding> bindings;
  if (Check p = CheckListeners(resolved, bindings)) return p;
  if (Check p = CheckLimits(resolved)) return p;
  if (Check p = CheckRestRoutes(resolved)) return p;
  if (Check p = CheckAuth(raw, resolved, bindings)) return p;
  if (Check p = CheckStoreAndLogging(resolved)) return p;
  if (Check p = CheckRoutes(resolved)) return p;
  return CheckServices(resolved);
}

}  // namespace internal_config

absl::Status ValidateConfig(const config::v1::BrokerConfig& config) {
  const config::v1::BrokerConfig resolved = ApplyDefaults(config);
  std::optional<internal_config::ConfigProblem> problem =
      internal_config::FindProblem(config, resolved);
  if (!problem.has_value()) return absl::OkStatus();
  return absl::InvalidArgumentError(internal_config::FormatProblem(*problem, "", -1, -1));
}

namespace {

absl::Status UrlError(absl::string_view url, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("url ", internal_config::Quote(url), ": ", problem));
}

bool IsHostName(absl::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '.') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<WebhookUrl> ParseWebhookUrl(absl::string_view url) {
  WebhookUrl out;
  absl::string_view rest = url;
  if (absl::ConsumePrefix(&rest, "https://")) {
    out.tls = true;
  } else if (!absl::ConsumePrefix(&rest, "http://")) {
    return UrlError(url, "the scheme must be http:// or https://");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '\x7f') {
      return UrlError(url, "has a space or a control character");
    }
  }
  if (url.find('#') != absl::string_view::npos) return UrlError(url, "has a fragment");
  const std::size_t path_at = rest.find_first_of("/?");
  absl::string_view authority = rest.substr(0, path_at);
  out.path = path_at == absl::string_view::npos ? "/" : std::string(rest.substr(path_at));
  if (out.path[0] == '?') out.path.insert(0, "/");
  if (authority.find('@') != absl::string_view::npos) {
    return UrlError(url, "has user info; send credentials with headers instead");
  }
  std::optional<absl::string_view> port_text;
  if (absl::ConsumePrefix(&authority, "[")) {
    const std::size_t close = authority.find(']');
    if (close == absl::string_view::npos) return UrlError(url, "has an unclosed '['");
    out.host = std::string(authority.substr(0, close));
    in6_addr v6;
    if (inet_pton(AF_INET6, out.host.c_str(), &v6) != 1) {
      return UrlError(
          url, absl::StrCat("host ", internal_config::Quote(out.host), " is not an IPv6 address"));
    }
    authority.remove_prefix(close + 1);
    if (!authority.empty()) {
      if (!absl::ConsumePrefix(&authority, ":")) {
        return UrlError(url, "expected ':' after the IPv6 address");
      }
      port_text = authority;
    }
  } else {
    const std::size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != absl::string_view::npos) port_text = authority.substr(colon + 1);
    if (out.host.empty()) return UrlError(url, "has no host");
    if (!IsHostName(out.host)) {
      return UrlError(
          url, absl::StrCat("host ", internal_config::Quote(out.host), " is not a host name"));
    }
  }
  out.port = out.tls ? 443 : 80;
  if (port_text.has_value()) {
    int port = 0;
    if (port_text->empty() || !absl::ascii_isdigit((*port_text)[0]) ||
        !absl::SimpleAtoi(*port_text, &port) || port < 1 || port > 65535) {
      return UrlError(url, absl::StrCat("port ", internal_config::Quote(*port_text),
                                        " is not a number from 1 to 65535"));
    }
    out.port = port;
  }
  const bool v6 = out.host.find(':') != std::string::npos;
  out.authority = v6 ? absl::StrCat("[", out.host, "]") : out.host;
  if (out.port != (out.tls ? 443 : 80)) absl::StrAppend(&out.authority, ":", out.port);
  return out;
}

absl::StatusOr<reactor::ServerEndpoint> ListenerEndpoint(const config::v1::Listener& listener) {
  absl::StatusOr<reactor::ServerEndpoint> endpoint =
      reactor::ParseServerEndpoint(listener.endpoint());
  if (!endpoint.ok()) return endpoint.status();
  if (listener.has_tls() && !listener.tls().starttls() &&
      endpoint->kind == reactor::EndpointKind::kTcp) {
    endpoint->kind = reactor::EndpointKind::kTls;
    endpoint->tls.cert_file = listener.tls().cert_file();
    endpoint->tls.key_file = listener.tls().key_file();
    endpoint->tls.ca_file = listener.tls().client_ca_file();
  }
  return endpoint;
}

absl::StatusOr<std::vector<std::string>> LoadAuthTokens(const config::v1::AuthConfig& auth) {
  std::vector<std::string> tokens(auth.tokens().begin(), auth.tokens().end());
  for (int i = 0; i < auth.tokens_size(); ++i) {
    if (std::optional<std::string> problem = internal_config::TokenProblem(auth.tokens(i))) {
      return absl::InvalidArgumentError(internal_config::FormatProblem(
          {absl::StrCat("auth.tokens[", i, "]"), *std::move(problem)}, "", -1, -1));
    }
  }
  if (auth.token_file().empty()) return tokens;
  absl::StatusOr<std::vector<std::string>> from_file =
      internal_config::ReadTokenFile(auth.token_file());
  if (!from_file.ok()) {
    return absl::InvalidArgumentError(internal_config::FormatProblem(
        {"auth.token_file", std::string(from_file.status().message())}, "", -1, -1));
  }
  tokens.insert(tokens.end(), from_file->begin(), from_file->end());
  return tokens;
}

}  // namespace weft::broker
