// weftd: the Weft broker daemon.
//
//   weftd [--config FILE] [--loops N]
//
// With no flags it runs the embedded default configuration (broker/config.h: every listener on
// loopback at its default port, data dir ./weft-data). --config loads a weft.config.v1.BrokerConfig
// in protobuf text format; an invalid one fails at start with a message naming the field (exit
// 2). --loops overrides the config's event-loop count (0: one per core). For each listener it
// serves it prints `weftd: <gateway> listening on <endpoint>` to stdout (the port filled in when
// the config asks for port 0), then `weftd: ready`. SIGTERM or SIGINT drains: listeners close,
// every session answers its calls in flight and sends GoAway, and weftd exits 0. SIGHUP reloads
// the config file as the ReloadConfig control call does, saying on stderr what changed or why the
// file was rejected (the running config then stays).
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "broker/broker.h"
#include "broker/config.h"
#include "broker/control/config_reloader.h"
#include "broker/control/control_server.h"
#include "broker/route_config.h"
#include "broker/store/postgres_store.h"
#include "broker/store/sqlite_store.h"
#include "broker/store/store_executor.h"
#include "broker/weftd_gateways.h"
#include "examples/demo/demo_services.h"
#include "gateways/http/http_gateway.h"
#include "gateways/webhook/webhook_routes.h"
#include "gateways/wire/wire_gateway.h"
#include "reactor/loop_group.h"
#include "reactor/signal_watcher.h"

namespace weft::broker {
namespace {

constexpr absl::Duration kDrainTimeout = absl::Seconds(10);
constexpr absl::Duration kDrainPoll = absl::Milliseconds(5);

struct Flags {
  std::string config;
  std::optional<int> loops;
};

absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    std::string value;
    if ((arg == "--config" || arg == "--loops") && i + 1 < argc) {
      value = argv[++i];
    } else if (absl::StartsWith(arg, "--config=") || absl::StartsWith(arg, "--loops=")) {
      value = std::string(arg.substr(arg.find('=') + 1));
      arg = arg.substr(0, arg.find('='));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown argument '", arg, "'"));
    }
    if (arg == "--config") {
      flags.config = value;
    } else {
      int loops = 0;
      if (!absl::SimpleAtoi(value, &loops) || loops < 0 || loops > 1024) {
        return absl::InvalidArgumentError(absl::StrCat("--loops: not a count: '", value, "'"));
      }
      flags.loops = loops;
    }
  }
  return flags;
}

// The in-process services the config enables, from the services this build includes.
absl::StatusOr<std::vector<InProcessService>> EnabledServices(
    const config::v1::BrokerConfig& config) {
  std::vector<std::pair<std::string, examples::ServiceFactory>> available =
      examples::DemoServiceFactories();
  std::vector<InProcessService> services;
  for (int i = 0; i < config.services_size(); ++i) {
    const config::v1::ServiceConfig& service = config.services(i);
    if (!service.enabled()) continue;
    auto it = std::find_if(available.begin(), available.end(),
                           [&](const auto& entry) { return entry.first == service.name(); });
    if (it == available.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "services[", i, "].name: no in-process service '", service.name(), "' in this build"));
    }
    services.push_back(InProcessService{it->first, std::move(it->second)});
  }
  return services;
}

// Listeners whose gateway this build does not have yet: said once at start, never silently.
void ReportMissingGateways(const config::v1::Listeners& listeners) {
  const std::pair<const char*, const config::v1::Listener*> others[] = {
      {"smtp", &listeners.smtp()}, {"imap", &listeners.imap()}, {"pop3", &listeners.pop3()},
      {"ssh", &listeners.ssh()},   {"irc", &listeners.irc()},
  };
  for (const auto& [name, listener] : others) {
    if (listener->enabled()) {
      std::fprintf(stderr, "weftd: %s gateway is not part of this build yet; not listening\n",
                   name);
    }
  }
}

// The store the config selects, migrated to the current schema.
absl::StatusOr<std::unique_ptr<store::Store>> OpenStore(const config::v1::StoreConfig& config) {
  if (config.has_postgres()) {
    store::PostgresStoreOptions options;
    options.conninfo = config.postgres().conninfo();
    return store::OpenPostgresStore(options);
  }
  store::SqliteStoreOptions options;
  options.path = config.sqlite().path();
  return store::OpenSqliteStore(options);
}

// The HTTP sessions' limits and timeouts from the config's http section.
gateways::http::HttpSessionOptions HttpOptions(const config::v1::BrokerConfig& config) {
  gateways::http::HttpSessionOptions options;
  options.limits.max_body_bytes = static_cast<uint64_t>(config.http().max_body_bytes());
  options.jsonrpc.max_request_bytes = static_cast<uint32_t>(
      std::min<int64_t>(config.http().max_body_bytes(), options.jsonrpc.max_request_bytes));
  options.request_timeout = absl::Milliseconds(config.http().request_timeout_ms());
  options.idle_timeout = absl::Milliseconds(config.http().idle_timeout_ms());
  options.max_queued_responses = static_cast<std::size_t>(config.http().max_pipelined());
  for (const config::v1::RestRoute& rest : config.http().rest()) {
    gateways::http::RestRouteSpec spec;
    spec.method = *gateways::http::RestMethodFromName(rest.method());  // Validated.
    spec.path = rest.path();
    spec.call = rest.call();
    spec.body = rest.body();
    spec.response_body = rest.response_body();
    options.rest.push_back(std::move(spec));
  }
  return options;
}

int Fail(int code, const absl::Status& status) {
  std::fprintf(stderr, "weftd: %s\n", std::string(status.message()).c_str());
  return code;
}

int Main(int argc, char** argv) {
  constexpr int kStopSignals[] = {SIGTERM, SIGINT};
  constexpr int kReloadSignals[] = {SIGHUP};
  if (absl::Status s = reactor::BlockSignals(kStopSignals); !s.ok()) return Fail(1, s);
  if (absl::Status s = reactor::BlockSignals(kReloadSignals); !s.ok()) return Fail(1, s);
  absl::StatusOr<Flags> flags = ParseFlags(argc, argv);
  if (!flags.ok()) {
    std::fprintf(stderr, "usage: weftd [--config FILE] [--loops N]\n");
    return Fail(2, flags.status());
  }
  absl::StatusOr<config::v1::BrokerConfig> config =
      flags->config.empty() ? DefaultConfig() : LoadConfigFile(flags->config);
  if (!config.ok()) return Fail(2, config.status());
  if (flags->loops.has_value()) config->set_loops(*flags->loops);
  if (absl::Status valid = ValidateConfig(*config); !valid.ok()) return Fail(2, valid);
  absl::StatusOr<std::vector<InProcessService>> services = EnabledServices(*config);
  if (!services.ok()) return Fail(2, services.status());
  absl::StatusOr<std::vector<std::string>> tokens = LoadAuthTokens(config->auth());
  if (!tokens.ok()) return Fail(2, tokens.status());

  if (::mkdir(config->data_dir().c_str(), 0700) != 0 && errno != EEXIST) {
    return Fail(
        1, absl::InternalError(absl::StrCat("data_dir: cannot create '", config->data_dir(), "'")));
  }

  absl::StatusOr<std::unique_ptr<store::Store>> opened = OpenStore(config->store());
  if (!opened.ok()) return Fail(1, opened.status());
  const char* backend = config->store().has_postgres() ? "postgresql" : "sqlite";
  std::printf("weftd: store %s, schema version %d\n", backend, (*opened)->schema_version());

  int loop_count = config->loops();
  if (loop_count == 0) loop_count = std::max(1u, std::thread::hardware_concurrency());
  absl::StatusOr<std::unique_ptr<reactor::LoopGroup>> group =
      reactor::LoopGroup::Create(loop_count);
  if (!group.ok()) return Fail(1, group.status());
  std::vector<reactor::EventLoop*> loops;
  for (int i = 0; i < loop_count; ++i) loops.push_back(&(*group)->loop(i));
  // After the loops (its last results are posted to them) and before the broker.
  store::StoreExecutor store_executor(*std::move(opened));

  BrokerOptions options;
  options.node = config->node();
  options.max_queue_depth = static_cast<uint32_t>(config->router().max_queue_depth());
  if (config->router().default_call_timeout_ms() > 0) {
    options.default_timeout = absl::Milliseconds(config->router().default_call_timeout_ms());
  }
  options.store = &store_executor;
  options.idempotency_retention = absl::Milliseconds(config->store().idempotency_retention_ms());
  absl::StatusOr<std::unique_ptr<Broker>> broker =
      Broker::Create(loops, std::move(options), *std::move(services));
  if (!broker.ok()) return Fail(1, broker.status());
  if (absl::Status routed = ApplyConfigRoutes(**broker, *config); !routed.ok()) {
    return Fail(2, routed);
  }
  // Declared after the broker, so destroyed before it.
  absl::StatusOr<std::unique_ptr<gateways::webhook::WebhookRoutes>> webhooks =
      gateways::webhook::WebhookRoutes::Start((*group)->loop(0), (*broker)->shard(0), *config);
  if (!webhooks.ok()) {
    return Fail(2, absl::Status(webhooks.status().code(),
                                absl::StrCat("config: ", webhooks.status().message())));
  }

  absl::flat_hash_set<std::string> token_set(tokens->begin(), tokens->end());
  gateways::wire::WireSessionOptions wire;
  wire.limits.max_frame_bytes = static_cast<uint32_t>(config->wire().max_frame_bytes());
  wire.max_in_flight = static_cast<uint32_t>(config->wire().max_in_flight());
  wire.idle_timeout = absl::Milliseconds(config->wire().idle_timeout_ms());
  wire.node = config->node();
  wire.tokens = config->auth().require_auth() ? &token_set : nullptr;

  std::vector<std::unique_ptr<gateways::wire::WireGateway>> gateways;
  if (config->listeners().wire().enabled()) {
    absl::StatusOr<reactor::ServerEndpoint> endpoint = ListenerEndpoint(config->listeners().wire());
    if (!endpoint.ok()) return Fail(2, endpoint.status());
    endpoint->reuse_port = endpoint->reuse_port || loop_count > 1;
    for (int i = 0; i < loop_count; ++i) {
      gateways.push_back(std::make_unique<gateways::wire::WireGateway>((*group)->loop(i),
                                                                       (*broker)->shard(i), wire));
      if (absl::Status s = gateways.back()->Listen(*endpoint); !s.ok()) {
        return Fail(1, absl::Status(s.code(), absl::StrCat("listeners.wire: ", s.message())));
      }
      endpoint->port = gateways.back()->port();  // Port 0 picks one; the other loops join it.
    }
    std::printf("weftd: wire listening on %s\n", endpoint->ToString().c_str());
  }
  gateways::http::HttpSessionOptions http = HttpOptions(*config);
  http.tokens = wire.tokens;
  gateways::http::HttpMetricsHub http_hub(broker->get(), &(*group)->loop(0));
  std::vector<std::unique_ptr<gateways::http::HttpGateway>> http_gateways;
  if (config->listeners().http().enabled()) {
    absl::StatusOr<reactor::ServerEndpoint> endpoint = ListenerEndpoint(config->listeners().http());
    if (!endpoint.ok()) return Fail(2, endpoint.status());
    endpoint->reuse_port = endpoint->reuse_port || loop_count > 1;
    for (int i = 0; i < loop_count; ++i) {
      http_gateways.push_back(std::make_unique<gateways::http::HttpGateway>(
          (*group)->loop(i), (*broker)->shard(i), http, http_hub));
      if (absl::Status s = http_gateways.back()->Listen(*endpoint); !s.ok()) {
        return Fail(1, absl::Status(s.code(), absl::StrCat("listeners.http: ", s.message())));
      }
      endpoint->port = http_gateways.back()->port();
    }
    std::printf("weftd: http listening on %s\n", endpoint->ToString().c_str());
  }
  // ReloadConfig and SIGHUP reload through the same reloader; DrainGateway and EnableGateway
  // reach every loop's gateway through `gateway_control`.
  control::ConfigReloader reloader(**broker, flags->config, *config);
  WeftdGateways gateway_control(**group);
  gateway_control.Add("wire", gateways);
  gateway_control.Add("http", http_gateways);
  absl::StatusOr<std::unique_ptr<control::ControlServer>> control = control::StartControlServer(
      *config, *tokens, **broker, (*group)->loop(0),
      {{"wire", gateways.empty() ? 0 : gateways.front()->port()},
       {"http", http_gateways.empty() ? 0 : http_gateways.front()->port()}},
      reloader, &gateway_control);
  if (!control.ok()) return Fail(1, control.status());
  ReportMissingGateways(config->listeners());

  // Draining: every loop drains its sessions and reports when none is left; loop 0 stops the
  // group then, or after kDrainTimeout.
  std::atomic<int> busy_loops{loop_count};
  std::vector<std::unique_ptr<reactor::Timer>> drain_timers(loop_count);
  std::unique_ptr<reactor::Timer> drain_deadline =
      (*group)->loop(0).CreateTimer([&group] { (*group)->Stop(); });
  auto drain_loop = [&](int i) {
    if (!gateways.empty()) gateways[i]->Drain();
    if (!http_gateways.empty()) http_gateways[i]->Drain();
    drain_timers[i] = (*group)->loop(i).CreateTimer([&, i] {
      if ((!gateways.empty() && gateways[i]->session_count() > 0) ||
          (!http_gateways.empty() && http_gateways[i]->session_count() > 0)) {
        drain_timers[i]->Schedule(kDrainPoll);
        return;
      }
      if (busy_loops.fetch_sub(1) == 1) (*group)->loop(0).Post([&group] { (*group)->Stop(); });
    });
    drain_timers[i]->Schedule(absl::ZeroDuration());
  };
  bool draining = false;
  absl::StatusOr<std::unique_ptr<reactor::SignalWatcher>> stop =
      reactor::SignalWatcher::Create((*group)->loop(0), kStopSignals, [&](int) {
        if (draining) {
          (*group)->Stop();  // A second signal: stop now.
          return;
        }
        draining = true;
        std::fprintf(stderr, "weftd: draining\n");
        gateway_control.Stop();
        if (*control != nullptr) (*control)->Shutdown();  // gRPC finishes on its own threads.
        drain_deadline->Schedule(kDrainTimeout);
        for (int i = 1; i < loop_count; ++i) (*group)->loop(i).Post([&, i] { drain_loop(i); });
        drain_loop(0);
      });
  if (!stop.ok()) return Fail(1, stop.status());
  // SIGHUP: reload the config file as ReloadConfig does; a bad file changes nothing.
  absl::StatusOr<std::unique_ptr<reactor::SignalWatcher>> hup =
      reactor::SignalWatcher::Create((*group)->loop(0), kReloadSignals, [&](int) {
        reloader.Reload([](absl::StatusOr<std::vector<std::string>> changes) {
          if (!changes.ok()) {
            std::fprintf(stderr, "weftd: reload failed, the running config stays: %s\n",
                         std::string(changes.status().message()).c_str());
            return;
          }
          std::fprintf(stderr, "weftd: reloaded config (%s)\n",
                       changes->empty() ? "no changes" : absl::StrJoin(*changes, "; ").c_str());
        });
      });
  if (!hup.ok()) return Fail(1, hup.status());

  std::printf("weftd: ready\n");
  std::fflush(stdout);
  (*group)->Start();
  (*group)->Run();
  (*group)->Stop();
  drain_timers.clear();
  http_gateways.clear();
  gateways.clear();
  std::fprintf(stderr, "weftd: stopped\n");
  return 0;
}

}  // namespace
}  // namespace weft::broker

int main(int argc, char** argv) { return weft::broker::Main(argc, argv); }
