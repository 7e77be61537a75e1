// weftctl: the command line over weftd's gRPC control plane (docs/control.md).
//
//   weftctl [--endpoint HOST:PORT] [--token TOKEN] [--json]
//           [--tls-ca FILE [--tls-cert FILE --tls-key FILE]] COMMAND ...
//
// Prints aligned tables by default and the response as protobuf JSON with --json. The token can
// also come from $WEFTCTL_TOKEN (which keeps it out of `ps`). Exit status: 0 success, 1 weftd
// answered with an error, 2 bad usage, 3 weftd could not be reached.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "clients/weftctl/control_client.h"
#include "clients/weftctl/table.h"
#include "google/protobuf/util/json_util.h"

namespace weft::clients::weftctl {
namespace {

namespace v1 = ::weft::control::v1;
using Stub = ControlClient::Stub;

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;
constexpr int kUnreachable = 3;

constexpr char kUsageText[] =
    R"(usage: weftctl [--endpoint HOST:PORT] [--token TOKEN] [--json]
               [--tls-ca FILE [--tls-cert FILE --tls-key FILE]] COMMAND

commands:
  status                          version, uptime, loops, listeners, broker counters
  services                        registered services
  describe SERVICE                a service's methods and message schemas
  routes                          explicit routes
  route put PATTERN (--to SERVICE | --topic TOPIC | --queue QUEUE [--to SERVICE])
            [--max-attempts N] [--initial-backoff-ms N] [--max-backoff-ms N]
            [--attempt-timeout-ms N] [--idempotency-metadata KEY] [--idempotency-field FIELD]
            [--unordered] [--max-in-flight N]
  route delete PATTERN
  queues                          durable queues and their counters
  dead-letters QUEUE [--after ID] [--limit N]
  message ID                      one stored message
  replay QUEUE [ID]               dead letters back to live (one, or all of the queue)
  purge QUEUE [--include-live]    delete dead letters (and live messages)
  reload                          read weftd's config file again and apply its routes
  objects                         objects the broker tracks, their hosts and holders
  connections [--gateway GATEWAY] open connections of every loop
  close ID                        close a connection (its client gets GoAway)
  drain GATEWAY                   stop accepting on a gateway (wire, http); its sessions finish
  enable GATEWAY                  accept on a drained gateway again
  watch [--kinds KIND,...] [--count N]
                                  broker events as they happen, until interrupted (or N events);
                                  kinds: connection-opened, connection-closed, service-registered,
                                  service-unregistered, routing-failed, dead-letter, route-changed

--endpoint defaults to 127.0.0.1:7701; the token may also come from $WEFTCTL_TOKEN.
)";

struct Args {
  ControlClientOptions client;
  bool json = false;
  std::vector<std::string> words;                           // The command and its operands.
  std::map<std::string, std::optional<std::string>> flags;  // Command flags ("--to" -> value).
};

// Flags that take no value.
bool IsSwitch(absl::string_view flag) {
  return flag == "--json" || flag == "--unordered" || flag == "--include-live";
}

std::optional<Args> ParseArgs(int argc, char** argv, std::string& error) {
  Args args;
  if (const char* token = std::getenv("WEFTCTL_TOKEN"); token != nullptr) args.client.token = token;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (!absl::StartsWith(arg, "--")) {
      args.words.push_back(arg);
      continue;
    }
    std::optional<std::string> value;
    if (std::size_t eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (!IsSwitch(arg)) {
      if (i + 1 >= argc) {
        error = absl::StrCat(arg, ": needs a value");
        return std::nullopt;
      }
      value = argv[++i];
    }
    if (arg == "--endpoint") {
      args.client.endpoint = *value;
    } else if (arg == "--token") {
      args.client.token = *value;
    } else if (arg == "--tls-ca") {
      args.client.tls_ca_file = *value;
    } else if (arg == "--tls-cert") {
      args.client.tls_cert_file = *value;
    } else if (arg == "--tls-key") {
      args.client.tls_key_file = *value;
    } else if (arg == "--json") {
      args.json = true;
    } else {
      args.flags[arg] = value;
    }
  }
  return args;
}

int Usage(absl::string_view error) {
  if (!error.empty()) std::fprintf(stderr, "weftctl: %s\n", std::string(error).c_str());
  std::fputs(kUsageText, stderr);
  return kUsage;
}

int Report(const absl::Status& status) {
  std::fprintf(
      stderr, "weftctl: %s\n",
      absl::StartsWith(status.message(), "cannot reach")
          ? std::string(status.message()).c_str()
          : absl::StrCat(absl::StatusCodeToString(status.code()), ": ", status.message()).c_str());
  return absl::StartsWith(status.message(), "cannot reach") ? kUnreachable : kFailed;
}

std::string Json(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

// Prints `response` as JSON (with --json) or through `text`, or reports the error.
template <typename Response, typename Text>
int Print(const Args& args, const absl::StatusOr<Response>& response, Text text) {
  if (!response.ok()) return Report(response.status());
  std::fputs(args.json ? Json(*response).c_str() : text(*response).c_str(), stdout);
  return kOk;
}

std::string Since(int64_t unix_ms) {
  if (unix_ms == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMillis(unix_ms), absl::UTCTimeZone());
}

std::string StatusText(const v1::GetStatusResponse& status) {
  std::string out =
      absl::StrCat("version  ", status.version(), "\nnode     ", status.node(), "\nuptime   ",
                   FormatDuration(status.uptime_ms()), "\nloops    ", status.loops(), "\n\n");
  Table listeners({"gateway", "endpoint", "tls"});
  for (const v1::ListenerStatus& listener : status.listeners()) {
    listeners.AddRow({listener.gateway(), listener.endpoint(), listener.tls() ? "yes" : "no"});
  }
  absl::StrAppend(&out, listeners.Render(), "\n");
  const v1::BrokerCounters& broker = status.broker();
  Table counters({"services", "objects", "connections", "pending calls", "routes"});
  counters.AddRow({absl::StrCat(broker.services()), absl::StrCat(broker.objects()),
                   absl::StrCat(broker.connections()), absl::StrCat(broker.pending_calls()),
                   absl::StrCat(broker.routes())});
  return absl::StrCat(out, counters.Render());
}

std::string ServicesText(const v1::ListServicesResponse& response) {
  Table table({"service", "methods", "file"});
  for (const v1::ServiceSummary& service : response.services()) {
    table.AddRow({service.name(), absl::StrJoin(service.methods(), ", "), service.file()});
  }
  return table.Render();
}

std::string DescribeText(const v1::DescribeServiceResponse& response) {
  std::string out = absl::StrCat("service ", response.name(), "\n");
  for (const v1::MethodSchema& method : response.methods()) {
    absl::StrAppend(&out, "  rpc ", method.name(), "(", method.client_streaming() ? "stream " : "",
                    method.request_type(), ") returns (",
                    method.server_streaming() ? "stream " : "", method.response_type(), ")\n");
  }
  for (const v1::MessageSchema& message : response.messages()) {
    absl::StrAppend(&out, "\nmessage ", message.name(), "\n");
    for (const v1::FieldSchema& field : message.fields()) {
      const std::string type = field.type_name().empty() ? field.type() : field.type_name();
      absl::StrAppend(&out, "  ", field.repeated() && !field.map() ? "repeated " : "",
                      field.map() ? "map " : "", type, " ", field.name(), " = ", field.number(),
                      field.oneof().empty() ? "" : absl::StrCat("  (oneof ", field.oneof(), ")"),
                      "\n");
    }
  }
  return out;
}

std::string Destination(const config::v1::Route& route) {
  if (route.destination_case() == config::v1::Route::kTopic) return "topic " + route.topic();
  std::string out;
  if (route.has_durable()) out = "queue " + route.durable().queue();
  if (!route.service().empty()) {
    absl::StrAppend(&out, out.empty() ? "" : " -> ", "service ", route.service());
  }
  return out;
}

std::string RoutesText(const v1::ListRoutesResponse& response) {
  Table table({"target", "destination", "durable"});
  for (const config::v1::Route& route : response.routes()) {
    std::string durable = "no";
    if (route.has_durable()) {
      durable = absl::StrCat("max_attempts=", route.durable().max_attempts(),
                             route.durable().unordered() ? " unordered" : " ordered");
    }
    table.AddRow({route.target(), Destination(route), durable});
  }
  return table.Render();
}

std::string QueuesText(const v1::ListQueuesResponse& response) {
  Table table({"queue", "live", "dead", "oldest", "in flight", "delivered", "retries",
               "dead-lettered", "configured"});
  for (const v1::QueueInfo& queue : response.queues()) {
    table.AddRow({queue.name(), absl::StrCat(queue.live()), absl::StrCat(queue.dead()),
                  queue.live() > 0 ? FormatDuration(queue.oldest_live_age_ms()) : "-",
                  absl::StrCat(queue.in_flight()), absl::StrCat(queue.delivered()),
                  absl::StrCat(queue.retries()), absl::StrCat(queue.dead_lettered()),
                  queue.configured() ? "yes" : "no"});
  }
  return table.Render();
}

std::string DeadLettersText(const v1::ListDeadLettersResponse& response) {
  Table table({"id", "service", "method", "attempts", "enqueued (utc)", "last error"});
  for (const v1::StoredMessage& message : response.messages()) {
    table.AddRow({absl::StrCat(message.id()), message.service(), message.method(),
                  absl::StrCat(message.attempts()), Since(message.enqueued_at_unix_ms()),
                  message.last_error()});
  }
  std::string out = table.Render();
  if (response.next_after_id() != 0) {
    absl::StrAppend(&out, "more: --after ", response.next_after_id(), "\n");
  }
  return out;
}

std::string OrDash(const std::string& text) { return text.empty() ? "-" : text; }

std::string MessageText(const v1::GetMessageResponse& response) {
  const v1::StoredMessage& m = response.message();
  std::vector<std::pair<std::string, std::string>> lines = {
      {"id", absl::StrCat(m.id())},
      {"queue", m.queue()},
      {"service", m.service()},
      {"method", m.method()},
      {"state", m.dead() ? "dead" : "live"},
      {"attempts", absl::StrCat(m.attempts())},
      {"enqueued (utc)", Since(m.enqueued_at_unix_ms())},
      {"last error", OrDash(m.last_error())},
      {"idempotency key", OrDash(m.idempotency_key())},
      {"payload", absl::StrCat(m.payload().size(), " bytes")},
  };
  for (const auto& [key, value] : m.metadata()) {
    lines.emplace_back("metadata", absl::StrCat(key, ": ", value));
  }
  std::string out;
  for (const auto& [key, value] : lines) {
    absl::StrAppend(&out, key, std::string(17 - key.size(), ' '), value, "\n");
  }
  return out;
}

// Sets an optional number of the durable policy from `--flag N`; false (with `error`) when the
// flag is not a number.
template <typename Setter>
bool SetNumber(const Args& args, const std::string& flag, Setter set, std::string& error) {
  auto it = args.flags.find(flag);
  if (it == args.flags.end()) return true;
  int64_t number = 0;
  if (!it->second.has_value() || !absl::SimpleAtoi(*it->second, &number)) {
    error = absl::StrCat(flag, ": not a number");
    return false;
  }
  set(number);
  return true;
}

std::optional<config::v1::Route> RouteFromFlags(const Args& args, const std::string& pattern,
                                                std::string& error) {
  config::v1::Route route;
  route.set_target(pattern);
  auto flag = [&](const std::string& name) -> std::optional<std::string> {
    auto it = args.flags.find(name);
    return it == args.flags.end() ? std::nullopt : it->second;
  };
  if (std::optional<std::string> to = flag("--to")) route.set_service(*to);
  if (std::optional<std::string> topic = flag("--topic")) route.set_topic(*topic);
  if (std::optional<std::string> queue = flag("--queue")) {
    config::v1::DurableDelivery& durable = *route.mutable_durable();
    durable.set_queue(*queue);
    if (std::optional<std::string> key = flag("--idempotency-metadata")) {
      durable.set_idempotency_metadata(*key);
    }
    if (std::optional<std::string> field = flag("--idempotency-field")) {
      durable.set_idempotency_field(*field);
    }
    durable.set_unordered(args.flags.contains("--unordered"));
    if (!SetNumber(
            args, "--max-attempts", [&](int64_t n) { durable.set_max_attempts(n); }, error) ||
        !SetNumber(
            args, "--initial-backoff-ms", [&](int64_t n) { durable.set_initial_backoff_ms(n); },
            error) ||
        !SetNumber(
            args, "--max-backoff-ms", [&](int64_t n) { durable.set_max_backoff_ms(n); }, error) ||
        !SetNumber(
            args, "--attempt-timeout-ms", [&](int64_t n) { durable.set_attempt_timeout_ms(n); },
            error) ||
        !SetNumber(
            args, "--max-in-flight", [&](int64_t n) { durable.set_max_in_flight(n); }, error)) {
      return std::nullopt;
    }
  }
  if ((flag("--to") && flag("--topic")) || (flag("--topic") && flag("--queue"))) {
    error = "route put: --topic cannot be combined with --to or --queue";
    return std::nullopt;
  }
  if (!flag("--to") && !flag("--topic") && !flag("--queue")) {
    error = "route put: needs --to SERVICE, --topic TOPIC or --queue QUEUE";
    return std::nullopt;
  }
  return route;
}

int RouteCommand(ControlClient& client, const Args& args) {
  const std::vector<std::string>& w = args.words;
  if (w.size() != 3 || (w[1] != "put" && w[1] != "delete")) {
    return Usage("route: expected 'route put PATTERN ...' or 'route delete PATTERN'");
  }
  if (w[1] == "delete") {
    v1::DeleteRouteRequest request;
    request.set_target(w[2]);
    return Print(args, client.Call(&Stub::DeleteRoute, request),
                 [&](const v1::DeleteRouteResponse&) { return "deleted route " + w[2] + "\n"; });
  }
  std::string error;
  std::optional<config::v1::Route> route = RouteFromFlags(args, w[2], error);
  if (!route.has_value()) return Usage(error);
  v1::PutRouteRequest request;
  *request.mutable_route() = *std::move(route);
  return Print(args, client.Call(&Stub::PutRoute, request), [](const v1::PutRouteResponse& r) {
    return absl::StrCat("route ", r.route().target(), " -> ", Destination(r.route()), "\n");
  });
}

std::optional<int64_t> Number(const std::string& text) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(text, &n)) return std::nullopt;
  return n;
}

int QueueCommand(ControlClient& client, const Args& args) {
  const std::vector<std::string>& w = args.words;
  const std::string& command = w[0];
  if (command == "dead-letters" && w.size() == 2) {
    v1::ListDeadLettersRequest request;
    request.set_queue(w[1]);
    std::string error;
    if (!SetNumber(
            args, "--after", [&](int64_t n) { request.set_after_id(n); }, error) ||
        !SetNumber(
            args, "--limit", [&](int64_t n) { request.set_limit(static_cast<int32_t>(n)); },
            error)) {
      return Usage(error);
    }
    return Print(args, client.Call(&Stub::ListDeadLetters, request), DeadLettersText);
  }
  if (command == "message" && w.size() == 2 && Number(w[1])) {
    v1::GetMessageRequest request;
    request.set_id(*Number(w[1]));
    return Print(args, client.Call(&Stub::GetMessage, request), MessageText);
  }
  if (command == "replay" && (w.size() == 2 || (w.size() == 3 && Number(w[2])))) {
    v1::ReplayRequest request;
    request.set_queue(w[1]);
    if (w.size() == 3) request.set_id(*Number(w[2]));
    return Print(args, client.Call(&Stub::Replay, request), [](const v1::ReplayResponse& r) {
      return absl::StrCat("replayed ", r.replayed(), "\n");
    });
  }
  if (command == "purge" && w.size() == 2) {
    v1::PurgeRequest request;
    request.set_queue(w[1]);
    request.set_include_live(args.flags.contains("--include-live"));
    return Print(args, client.Call(&Stub::Purge, request), [](const v1::PurgeResponse& r) {
      return absl::StrCat("purged ", r.purged(), "\n");
    });
  }
  return Usage(absl::StrCat(command, ": wrong operands"));
}

// "connection-opened" for EVENT_KIND_CONNECTION_OPENED, and back.
std::string KindName(v1::EventKind kind) {
  std::string name = v1::EventKind_Name(kind);
  if (absl::StartsWith(name, "EVENT_KIND_")) name.erase(0, 11);
  name = absl::AsciiStrToLower(name);
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

std::optional<v1::EventKind> KindFromName(absl::string_view name) {
  for (int i = v1::EventKind_MIN + 1; i <= v1::EventKind_MAX; ++i) {
    if (v1::EventKind_IsValid(i) && KindName(static_cast<v1::EventKind>(i)) == name) {
      return static_cast<v1::EventKind>(i);
    }
  }
  return std::nullopt;
}

std::string ConnectionsText(const v1::ListConnectionsResponse& response) {
  Table table({"id", "gateway", "peer", "user", "age", "bytes in", "bytes out"});
  for (const v1::ConnectionInfo& c : response.connections()) {
    table.AddRow({absl::StrCat(c.id()), OrDash(c.gateway()), OrDash(c.peer()), OrDash(c.user()),
                  FormatDuration(c.age_ms()), c.has_bytes_in() ? absl::StrCat(c.bytes_in()) : "-",
                  c.has_bytes_out() ? absl::StrCat(c.bytes_out()) : "-"});
  }
  return table.Render();
}

// One row per object; holders as "connection×references" (0: in process).
std::string ObjectsText(const v1::ListObjectsResponse& response) {
  Table table({"id", "interface", "host", "holders"});
  for (const v1::ObjectInfo& o : response.objects()) {
    std::vector<std::string> holders;
    for (const v1::ObjectHolder& h : o.holders()) {
      holders.push_back(absl::StrCat(h.connection_id(), "x", h.references()));
    }
    table.AddRow({absl::StrCat(o.object_id()), o.interface(),
                  o.host_connection_id() == 0 ? "in-process" : absl::StrCat(o.host_connection_id()),
                  holders.empty() ? "-" : absl::StrJoin(holders, " ")});
  }
  return table.Render();
}

int ConnectionCommand(ControlClient& client, const Args& args) {
  const std::vector<std::string>& w = args.words;
  if (w[0] == "connections" && w.size() == 1) {
    v1::ListConnectionsRequest request;
    if (auto gateway = args.flags.find("--gateway");
        gateway != args.flags.end() && gateway->second) {
      request.set_gateway(*gateway->second);
    }
    return Print(args, client.Call(&Stub::ListConnections, request), ConnectionsText);
  }
  if (w[0] == "close" && w.size() == 2 && Number(w[1])) {
    v1::CloseConnectionRequest request;
    request.set_id(static_cast<uint64_t>(*Number(w[1])));
    return Print(args, client.Call(&Stub::CloseConnection, request),
                 [&](const v1::CloseConnectionResponse&) { return "closing " + w[1] + "\n"; });
  }
  return Usage(absl::StrCat(w[0], ": wrong operands"));
}

int GatewayCommand(ControlClient& client, const Args& args) {
  const std::string& command = args.words[0];
  const std::string& gateway = args.words[1];
  if (command == "drain") {
    v1::DrainGatewayRequest request;
    request.set_gateway(gateway);
    return Print(args, client.Call(&Stub::DrainGateway, request),
                 [&](const v1::DrainGatewayResponse& r) {
                   return absl::StrCat("drained ", gateway, ": ", r.open_sessions(),
                                       " sessions still finishing\n");
                 });
  }
  v1::EnableGatewayRequest request;
  request.set_gateway(gateway);
  return Print(args, client.Call(&Stub::EnableGateway, request),
               [&](const v1::EnableGatewayResponse&) { return "enabled " + gateway + "\n"; });
}

// One line per event, flushed at once (a pipe sees each event when it happens).
int WatchCommand(ControlClient& client, const Args& args) {
  v1::WatchRequest request;
  if (auto kinds = args.flags.find("--kinds"); kinds != args.flags.end() && kinds->second) {
    for (absl::string_view name : absl::StrSplit(*kinds->second, ',', absl::SkipEmpty())) {
      std::optional<v1::EventKind> kind = KindFromName(name);
      if (!kind.has_value()) return Usage(absl::StrCat("watch: unknown event kind '", name, "'"));
      request.add_kinds(*kind);
    }
  }
  int64_t count = 0;  // 0: until interrupted.
  std::string error;
  if (!SetNumber(
          args, "--count", [&](int64_t n) { count = n; }, error) ||
      count < 0) {
    return Usage(error.empty() ? "--count: must not be negative" : error);
  }
  int64_t seen = 0;
  absl::Status status = client.Watch(request, [&](const v1::Event& event) {
    if (args.json) {
      std::string line;
      google::protobuf::util::JsonPrintOptions options;
      options.always_print_primitive_fields = true;
      options.preserve_proto_field_names = true;
      (void)google::protobuf::util::MessageToJsonString(event, &line, options);
      std::printf("%s\n", line.c_str());
    } else {
      std::printf("%s  #%llu  %s  %s  %s\n",
                  absl::FormatTime("%Y-%m-%d %H:%M:%E3S", absl::FromUnixMillis(event.at_unix_ms()),
                                   absl::UTCTimeZone())
                      .c_str(),
                  static_cast<unsigned long long>(event.sequence()), KindName(event.kind()).c_str(),
                  event.subject().c_str(), event.detail().c_str());
    }
    std::fflush(stdout);
    return count == 0 || ++seen < count;
  });
  if (!status.ok()) return Report(status);
  return kOk;
}

int Run(ControlClient& client, const Args& args) {
  const std::vector<std::string>& w = args.words;
  const std::string& command = w[0];
  if (command == "status" && w.size() == 1) {
    return Print(args, client.Call(&Stub::GetStatus, v1::GetStatusRequest()), StatusText);
  }
  if (command == "services" && w.size() == 1) {
    return Print(args, client.Call(&Stub::ListServices, v1::ListServicesRequest()), ServicesText);
  }
  if (command == "describe" && w.size() == 2) {
    v1::DescribeServiceRequest request;
    request.set_service(w[1]);
    return Print(args, client.Call(&Stub::DescribeService, request), DescribeText);
  }
  if (command == "routes" && w.size() == 1) {
    return Print(args, client.Call(&Stub::ListRoutes, v1::ListRoutesRequest()), RoutesText);
  }
  if (command == "route") return RouteCommand(client, args);
  if (command == "queues" && w.size() == 1) {
    return Print(args, client.Call(&Stub::ListQueues, v1::ListQueuesRequest()), QueuesText);
  }
  if (command == "reload" && w.size() == 1) {
    return Print(args, client.Call(&Stub::ReloadConfig, v1::ReloadConfigRequest()),
                 [](const v1::ReloadConfigResponse& r) {
                   if (r.changes().empty()) return std::string("reloaded: no changes\n");
                   return absl::StrCat("reloaded:\n  ", absl::StrJoin(r.changes(), "\n  "), "\n");
                 });
  }
  if ((command == "drain" || command == "enable") && w.size() == 2) {
    return GatewayCommand(client, args);
  }
  if (command == "watch" && w.size() == 1) return WatchCommand(client, args);
  if (command == "objects" && w.size() == 1) {
    return Print(args, client.Call(&Stub::ListObjects, v1::ListObjectsRequest()), ObjectsText);
  }
  if (command == "connections" || command == "close") return ConnectionCommand(client, args);
  if (command == "dead-letters" || command == "message" || command == "replay" ||
      command == "purge") {
    return QueueCommand(client, args);
  }
  return Usage(absl::StrCat("unknown command or wrong operands: ", absl::StrJoin(w, " ")));
}

int Main(int argc, char** argv) {
  std::string error;
  std::optional<Args> args = ParseArgs(argc, argv, error);
  if (!args.has_value()) return Usage(error);
  if (args->words.empty() || args->words[0] == "help") return Usage("");
  absl::StatusOr<std::unique_ptr<ControlClient>> client = ControlClient::Create(args->client);
  if (!client.ok()) return Usage(client.status().message());
  return Run(**client, *args);
}

}  // namespace
}  // namespace weft::clients::weftctl

int main(int argc, char** argv) { return weft::clients::weftctl::Main(argc, argv); }
