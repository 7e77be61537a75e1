#include "broker/control/control_service.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "broker/config.h"
#include "broker/control/config_reload.h"
#include "broker/control/control_convert.h"
#include "broker/route_config.h"

namespace weft::broker::control {
namespace {

namespace v1 = ::weft::control::v1;

constexpr int32_t kDefaultPage = 100;
constexpr int32_t kMaxPage = 1000;

grpc::Status Invalid(absl::string_view message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(message));
}

absl::Status NoGateway(absl::string_view gateway) {
  return absl::NotFoundError(absl::StrCat("no gateway '", gateway, "' runs in this weftd"));
}

absl::Status NoStore() {
  return absl::FailedPreconditionError("control: durable queues need a store; weftd has none");
}

// Compares without an early exit, so the time taken does not tell how much of a token matched.
bool SameSecret(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// A Watch refused before it starts.
class RefusedWatch final : public grpc::ServerWriteReactor<v1::Event> {
 public:
  explicit RefusedWatch(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

ControlService::ControlService(Broker& broker, reactor::EventLoop& home,
                               ControlServiceOptions options, ConfigReloader& reloader,
                               GatewayControl* gateways)
    : broker_(broker),
      home_(home),
      options_(std::move(options)),
      reloader_(reloader),
      gateways_(gateways) {}

ControlService::~ControlService() { tracker_->Close(); }

void ControlService::SetListeners(std::vector<v1::ListenerStatus> listeners) {
  absl::MutexLock lock(&mutex_);
  listeners_ = std::move(listeners);
}

grpc::Status ControlService::Authenticate(const grpc::CallbackServerContext& context) const {
  if (!options_.tokens.has_value()) return grpc::Status::OK;
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "control: missing 'authorization: Bearer <token>' metadata");
  }
  absl::string_view value(it->second.data(), it->second.size());
  if (!absl::ConsumePrefix(&value, "Bearer ")) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "control: authorization metadata is not 'Bearer <token>'");
  }
  bool known = false;
  for (const std::string& token : *options_.tokens) known = SameSecret(value, token) || known;
  if (!known) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "control: unknown token");
  return grpc::Status::OK;
}

template <typename Response>
grpc::ServerUnaryReactor* ControlService::OnHome(grpc::CallbackServerContext* context,
                                                 Response* response,
                                                 absl::AnyInvocable<void(Reply<Response>)> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (grpc::Status auth = Authenticate(*context); !auth.ok()) {
    reactor->Finish(auth);
    return reactor;
  }
  std::shared_ptr<PendingCall> call = tracker_->Track(reactor);
  if (call == nullptr) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "weftd: shutting down"));
    return reactor;
  }
  home_.Post(
      [work = std::move(work), reply = Reply<Response>(std::move(call), response)]() mutable {
        work(std::move(reply));
      });
  return reactor;
}

grpc::ServerUnaryReactor* ControlService::FinishNow(grpc::CallbackServerContext* context,
                                                    grpc::Status status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  grpc::Status auth = Authenticate(*context);
  reactor->Finish(auth.ok() ? std::move(status) : std::move(auth));
  return reactor;
}

// --- Status and services ------------------------------------------------------------------------

grpc::ServerUnaryReactor* ControlService::GetStatus(grpc::CallbackServerContext* context,
                                                    const v1::GetStatusRequest*,
                                                    v1::GetStatusResponse* response) {
  v1::GetStatusResponse out;
  out.set_version(kWeftVersion);
  out.set_node(options_.node);
  out.set_loops(options_.loops);
  out.set_started_at_unix_ms(absl::ToUnixMillis(options_.started));
  {
    absl::MutexLock lock(&mutex_);
    for (const v1::ListenerStatus& listener : listeners_) *out.add_listeners() = listener;
  }
  return OnHome<v1::GetStatusResponse>(
      context, response, [this, out = std::move(out)](Reply<v1::GetStatusResponse> reply) mutable {
        out.set_uptime_ms(absl::ToInt64Milliseconds(home_.clock().Now() - options_.started));
        const BrokerStats stats = broker_.stats();
        v1::BrokerCounters& counters = *out.mutable_broker();
        counters.set_services(static_cast<int64_t>(stats.services));
        counters.set_objects(static_cast<int64_t>(stats.objects));
        counters.set_connections(static_cast<int64_t>(stats.connections));
        counters.set_pending_calls(static_cast<int64_t>(stats.pending_calls));
        counters.set_routes(static_cast<int64_t>(broker_.routes().size()));
        reply(std::move(out));
      });
}

grpc::ServerUnaryReactor* ControlService::ListServices(grpc::CallbackServerContext* context,
                                                       const v1::ListServicesRequest*,
                                                       v1::ListServicesResponse* response) {
  return OnHome<v1::ListServicesResponse>(
      context, response, [this](Reply<v1::ListServicesResponse> reply) {
        v1::ListServicesResponse out;
        for (const google::protobuf::ServiceDescriptor* service :
             broker_.shard(0).RegisteredServices()) {
          *out.add_services() = SummarizeService(*service);
        }
        reply(std::move(out));
      });
}

grpc::ServerUnaryReactor* ControlService::DescribeService(grpc::CallbackServerContext* context,
                                                          const v1::DescribeServiceRequest* request,
                                                          v1::DescribeServiceResponse* response) {
  if (request->service().empty()) return FinishNow(context, Invalid("service: required"));
  return OnHome<v1::DescribeServiceResponse>(
      context, response,
      [this, name = request->service()](Reply<v1::DescribeServiceResponse> reply) {
        for (const google::protobuf::ServiceDescriptor* service :
             broker_.shard(0).RegisteredServices()) {
          if (service->full_name() == name) return reply(control::DescribeService(*service));
        }
        reply(absl::NotFoundError(absl::StrCat("no service '", name, "' is registered")));
      });
}

// --- Routes -------------------------------------------------------------------------------------

grpc::ServerUnaryReactor* ControlService::ListRoutes(grpc::CallbackServerContext* context,
                                                     const v1::ListRoutesRequest*,
                                                     v1::ListRoutesResponse* response) {
  return OnHome<v1::ListRoutesResponse>(context, response,
                                        [this](Reply<v1::ListRoutesResponse> reply) {
                                          v1::ListRoutesResponse out;
                                          for (const RouteSpec& spec : broker_.routes()) {
                                            *out.add_routes() = RouteToConfig(spec);
                                          }
                                          reply(std::move(out));
                                        });
}

grpc::ServerUnaryReactor* ControlService::PutRoute(grpc::CallbackServerContext* context,
                                                   const v1::PutRouteRequest* request,
                                                   v1::PutRouteResponse* response) {
  if (!request->has_route()) return FinishNow(context, Invalid("route: required"));
  absl::StatusOr<std::pair<config::v1::Route, RouteSpec>> route =
      RouteFromRequest(request->route());
  if (!route.ok()) return FinishNow(context, ToGrpcStatus(route.status()));
  return OnHome<v1::PutRouteResponse>(
      context, response,
      [this, route = *std::move(route)](Reply<v1::PutRouteResponse> reply) mutable {
        auto shared = std::make_shared<Reply<v1::PutRouteResponse>>(std::move(reply));
        v1::PutRouteResponse out;
        *out.mutable_route() = std::move(route.first);
        absl::Status put = broker_.PutRoute(
            std::move(route.second),
            [shared, out = std::move(out)]() mutable { (*shared)(std::move(out)); });
        if (!put.ok()) (*shared)(absl::Status(put.code(), absl::StrCat("route: ", put.message())));
      });
}

grpc::ServerUnaryReactor* ControlService::DeleteRoute(grpc::CallbackServerContext* context,
                                                      const v1::DeleteRouteRequest* request,
                                                      v1::DeleteRouteResponse* response) {
  if (request->target().empty()) return FinishNow(context, Invalid("target: required"));
  return OnHome<v1::DeleteRouteResponse>(
      context, response, [this, target = request->target()](Reply<v1::DeleteRouteResponse> reply) {
        auto shared = std::make_shared<Reply<v1::DeleteRouteResponse>>(std::move(reply));
        if (!broker_.DeleteRoute(target, [shared] { (*shared)(v1::DeleteRouteResponse()); })) {
          (*shared)(absl::NotFoundError(absl::StrCat("no route for '", target, "'")));
        }
      });
}

// --- Durable queues -----------------------------------------------------------------------------

grpc::ServerUnaryReactor* ControlService::ListQueues(grpc::CallbackServerContext* context,
                                                     const v1::ListQueuesRequest*,
                                                     v1::ListQueuesResponse* response) {
  return OnHome<v1::ListQueuesResponse>(
      context, response, [this](Reply<v1::ListQueuesResponse> reply) {
        DurableQueues* queues = broker_.durable_queues();
        if (queues == nullptr) return reply(NoStore());
        queues->List().Handle([this, reply = std::move(reply)](
                                  absl::StatusOr<std::vector<QueueStatus>> list) mutable {
          if (!list.ok()) return reply(list.status());
          v1::ListQueuesResponse out;
          const absl::Time now = home_.clock().Now();
          for (const QueueStatus& queue : *list) *out.add_queues() = QueueToProto(queue, now);
          reply(std::move(out));
        });
      });
}

grpc::ServerUnaryReactor* ControlService::ListDeadLetters(grpc::CallbackServerContext* context,
                                                          const v1::ListDeadLettersRequest* request,
                                                          v1::ListDeadLettersResponse* response) {
  if (request->queue().empty()) return FinishNow(context, Invalid("queue: required"));
  if (request->after_id() < 0) return FinishNow(context, Invalid("after_id: must not be negative"));
  if (request->limit() < 0 || request->limit() > kMaxPage) {
    return FinishNow(context, Invalid(absl::StrCat("limit: must be 0 to ", kMaxPage)));
  }
  const int32_t limit = request->limit() == 0 ? kDefaultPage : request->limit();
  return OnHome<v1::ListDeadLettersResponse>(
      context, response,
      [this, queue = request->queue(), after = request->after_id(),
       limit](Reply<v1::ListDeadLettersResponse> reply) {
        DurableQueues* queues = broker_.durable_queues();
        if (queues == nullptr) return reply(NoStore());
        queues->DeadLetters(queue, after, static_cast<std::size_t>(limit))
            .Handle([reply = std::move(reply),
                     limit](absl::StatusOr<std::vector<store::StoredMessage>> page) mutable {
              if (!page.ok()) return reply(page.status());
              v1::ListDeadLettersResponse out;
              for (const store::StoredMessage& message : *page) {
                *out.add_messages() = MessageToProto(message);
              }
              if (static_cast<int32_t>(page->size()) == limit) {
                out.set_next_after_id(page->back().id);
              }
              reply(std::move(out));
            });
      });
}

grpc::ServerUnaryReactor* ControlService::GetMessage(grpc::CallbackServerContext* context,
                                                     const v1::GetMessageRequest* request,
                                                     v1::GetMessageResponse* response) {
  if (request->id() <= 0) return FinishNow(context, Invalid("id: must be positive"));
  return OnHome<v1::GetMessageResponse>(
      context, response, [this, id = request->id()](Reply<v1::GetMessageResponse> reply) {
        DurableQueues* queues = broker_.durable_queues();
        if (queues == nullptr) return reply(NoStore());
        queues->Get(id).Handle(
            [reply = std::move(reply)](absl::StatusOr<store::StoredMessage> message) mutable {
              if (!message.ok()) return reply(message.status());
              v1::GetMessageResponse out;
              *out.mutable_message() = MessageToProto(*message);
              reply(std::move(out));
            });
      });
}

grpc::ServerUnaryReactor* ControlService::Replay(grpc::CallbackServerContext* context,
                                                 const v1::ReplayRequest* request,
                                                 v1::ReplayResponse* response) {
  if (request->queue().empty()) return FinishNow(context, Invalid("queue: required"));
  if (request->has_id() && request->id() <= 0) {
    return FinishNow(context, Invalid("id: must be positive"));
  }
  std::optional<int64_t> id;
  if (request->has_id()) id = request->id();
  return OnHome<v1::ReplayResponse>(
      context, response, [this, queue = request->queue(), id](Reply<v1::ReplayResponse> reply) {
        DurableQueues* queues = broker_.durable_queues();
        if (queues == nullptr) return reply(NoStore());
        queues->Replay(queue, id).Handle(
            [reply = std::move(reply)](absl::StatusOr<int64_t> replayed) mutable {
              if (!replayed.ok()) return reply(replayed.status());
              v1::ReplayResponse out;
              out.set_replayed(*replayed);
              reply(std::move(out));
            });
      });
}

grpc::ServerUnaryReactor* ControlService::Purge(grpc::CallbackServerContext* context,
                                                const v1::PurgeRequest* request,
                                                v1::PurgeResponse* response) {
  if (request->queue().empty()) return FinishNow(context, Invalid("queue: required"));
  return OnHome<v1::PurgeResponse>(
      context, response,
      [this, queue = request->queue(),
       include_live = request->include_live()](Reply<v1::PurgeResponse> reply) {
        DurableQueues* queues = broker_.durable_queues();
        if (queues == nullptr) return reply(NoStore());
        queues->Purge(queue, include_live)
            .Handle([reply = std::move(reply)](absl::StatusOr<int64_t> purged) mutable {
              if (!purged.ok()) return reply(purged.status());
              v1::PurgeResponse out;
              out.set_purged(*purged);
              reply(std::move(out));
            });
      });
}

// --- Config reload ------------------------------------------------------------------------------

grpc::ServerUnaryReactor* ControlService::ReloadConfig(grpc::CallbackServerContext* context,
                                                       const v1::ReloadConfigRequest*,
                                                       v1::ReloadConfigResponse* response) {
  if (grpc::Status auth = Authenticate(*context); !auth.ok()) return FinishNow(context, auth);
  // A small file (LoadConfigFile refuses more than 4 MiB), read here rather than on a loop.
  absl::StatusOr<config::v1::BrokerConfig> next = reloader_.Load();
  if (!next.ok()) return FinishNow(context, ToGrpcStatus(next.status()));
  return OnHome<v1::ReloadConfigResponse>(
      context, response,
      [this, next = *std::move(next)](Reply<v1::ReloadConfigResponse> reply) mutable {
        reloader_.Apply(
            std::move(next),
            [reply = std::move(reply)](absl::StatusOr<std::vector<std::string>> changes) mutable {
              if (!changes.ok()) return reply(changes.status());
              v1::ReloadConfigResponse out;
              for (std::string& change : *changes) out.add_changes(std::move(change));
              reply(std::move(out));
            });
      });
}

// --- Gateways -----------------------------------------------------------------------------------

grpc::ServerUnaryReactor* ControlService::DrainGateway(grpc::CallbackServerContext* context,
                                                       const v1::DrainGatewayRequest* request,
                                                       v1::DrainGatewayResponse* response) {
  if (request->gateway().empty()) return FinishNow(context, Invalid("gateway: required"));
  return OnHome<v1::DrainGatewayResponse>(
      context, response,
      [this, gateway = request->gateway()](Reply<v1::DrainGatewayResponse> reply) mutable {
        if (gateways_ == nullptr) return reply(NoGateway(gateway));
        gateways_->Drain(gateway, [reply = std::move(reply)](absl::StatusOr<int64_t> open) mutable {
          if (!open.ok()) return reply(open.status());
          v1::DrainGatewayResponse out;
          out.set_open_sessions(*open);
          reply(std::move(out));
        });
      });
}

grpc::ServerUnaryReactor* ControlService::EnableGateway(grpc::CallbackServerContext* context,
                                                        const v1::EnableGatewayRequest* request,
                                                        v1::EnableGatewayResponse* response) {
  if (request->gateway().empty()) return FinishNow(context, Invalid("gateway: required"));
  return OnHome<v1::EnableGatewayResponse>(
      context, response,
      [this, gateway = request->gateway()](Reply<v1::EnableGatewayResponse> reply) mutable {
        if (gateways_ == nullptr) return reply(NoGateway(gateway));
        gateways_->Enable(gateway, [reply = std::move(reply)](absl::Status enabled) mutable {
          if (!enabled.ok()) return reply(enabled);
          reply(v1::EnableGatewayResponse());
        });
      });
}

// --- Connections --------------------------------------------------------------------------------

grpc::ServerUnaryReactor* ControlService::ListConnections(grpc::CallbackServerContext* context,
                                                          const v1::ListConnectionsRequest* request,
                                                          v1::ListConnectionsResponse* response) {
  return OnHome<v1::ListConnectionsResponse>(
      context, response,
      [this, gateway = request->gateway()](Reply<v1::ListConnectionsResponse> reply) mutable {
        // Each loop lists its own; the home loop gathers them and answers after the last.
        struct Gathering {
          explicit Gathering(Reply<v1::ListConnectionsResponse> r) : reply(std::move(r)) {}
          Reply<v1::ListConnectionsResponse> reply;
          std::vector<ConnectionSummary> connections;
          std::size_t pending = 0;
        };
        auto gathering = std::make_shared<Gathering>(std::move(reply));
        gathering->pending = broker_.shard_count();
        for (std::size_t i = 0; i < broker_.shard_count(); ++i) {
          BrokerShard& shard = broker_.shard(i);
          shard.loop().Post([this, &shard, gathering, gateway] {
            std::vector<ConnectionSummary> mine = shard.Connections();
            home_.Post([this, gathering, gateway, mine = std::move(mine)]() mutable {
              for (ConnectionSummary& c : mine) gathering->connections.push_back(std::move(c));
              if (--gathering->pending > 0) return;
              gathering->reply(ConnectionsToProto(std::move(gathering->connections), gateway,
                                                  home_.clock().Now()));
            });
          });
        }
      });
}

grpc::ServerUnaryReactor* ControlService::CloseConnection(grpc::CallbackServerContext* context,
                                                          const v1::CloseConnectionRequest* request,
                                                          v1::CloseConnectionResponse* response) {
  if (request->id() == 0) return FinishNow(context, Invalid("id: required"));
  const ConnectionRef ref = ConnectionFromId(request->id());
  return OnHome<v1::CloseConnectionResponse>(
      context, response, [this, ref, id = request->id()](Reply<v1::CloseConnectionResponse> reply) {
        if (ref.loop >= broker_.shard_count()) {
          return reply(absl::NotFoundError(absl::StrCat("no connection ", id)));
        }
        BrokerShard& shard = broker_.shard(ref.loop);
        shard.loop().Post([&shard, ref, reply = std::move(reply)]() mutable {
          absl::Status closed = shard.CloseConnection(ref.connection);
          if (!closed.ok()) return reply(closed);
          reply(v1::CloseConnectionResponse());
        });
      });
}

grpc::ServerWriteReactor<v1::Event>* ControlService::Watch(grpc::CallbackServerContext* context,
                                                           const v1::WatchRequest* request) {
  if (grpc::Status auth = Authenticate(*context); !auth.ok()) return new RefusedWatch(auth);
  std::vector<EventKind> kinds;
  for (int kind : request->kinds()) {
    if (kind < static_cast<int>(EventKind::kConnectionOpened) ||
        kind > static_cast<int>(EventKind::kEventsDropped)) {
      return new RefusedWatch(Invalid(absl::StrCat("kinds: unknown event kind ", kind)));
    }
    kinds.push_back(static_cast<EventKind>(kind));
  }
  return WatchCall::Start(broker_.events(), home_, watches_, std::move(kinds));
}

// --- Not implemented yet ------------------------------------------------------------------------

grpc::ServerUnaryReactor* ControlService::ListObjects(grpc::CallbackServerContext* context,
                                                      const v1::ListObjectsRequest*,
                                                      v1::ListObjectsResponse* response) {
  return OnHome<v1::ListObjectsResponse>(
      context, response,
      [this](Reply<v1::ListObjectsResponse> reply) { reply(ObjectsToProto(broker_.objects())); });
}

}  // namespace weft::broker::control
