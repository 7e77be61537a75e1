#include "broker/broker_shard.h"

#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "broker/broker.h"
#include "broker/broker_core.h"
#include "broker/router.h"
#include "broker/servant_call.h"
#include "reactor/base/check.h"

namespace weft::broker {

BrokerShard::BrokerShard(Broker& broker, std::size_t index, reactor::EventLoop& loop,
                         std::vector<std::unique_ptr<google::protobuf::Service>> servants)
    : broker_(broker), index_(index), loop_(loop), servants_(std::move(servants)) {
  pools_.resize(servants_.size());
  for (std::size_t i = 0; i < servants_.size(); ++i) {
    pools_[i].resize(servants_[i]->GetDescriptor()->method_count());
  }
}

BrokerShard::~BrokerShard() = default;

void BrokerShard::Post(absl::AnyInvocable<void()> task) { loop_.Post(std::move(task)); }

void BrokerShard::PostToPeer(ConnectionRef to, absl::AnyInvocable<void(PeerCallbacks&)> deliver) {
  BrokerShard& shard = broker_.shard(to.loop);
  shard.Post([&shard, to, deliver = std::move(deliver)]() mutable {
    if (PeerCallbacks* peer = shard.Peer(to)) deliver(*peer);
  });
}

void BrokerShard::AtHome(absl::AnyInvocable<void(BrokerCore&)> task) {
  if (index_ == 0) {
    task(broker_.core());
    return;
  }
  broker_.home_loop().Post(
      [&core = broker_.core(), task = std::move(task)]() mutable { task(core); });
}

ConnectionRef BrokerShard::Connect(PeerCallbacks& peer, absl::string_view client_name,
                                   absl::string_view gateway, absl::string_view peer_address,
                                   absl::AnyInvocable<void()> close, const ConnectionBytes* bytes) {
  ConnectionRef ref{static_cast<uint32_t>(index_), next_connection_++};
  Connection& connection = connections_[ref.connection];
  connection.peer = &peer;
  connection.client_name = std::string(client_name);
  connection.gateway = std::string(gateway);
  connection.peer_address = std::string(peer_address);
  connection.connected_at = loop_.clock().Now();
  connection.close = std::move(close);
  connection.bytes = bytes;
  AtHome([ref](BrokerCore& core) { core.Connect(ref); });
  if (broker_.events().watched()) {
    broker_.events().Emit(EventKind::kConnectionOpened, absl::StrCat(ConnectionId(ref)),
                          Describe(connection));
  }
  return ref;
}

std::string BrokerShard::Describe(const Connection& connection) {
  return absl::StrCat(connection.gateway, connection.gateway.empty() ? "" : " ", "client '",
                      connection.client_name, "'", connection.peer_address.empty() ? "" : " from ",
                      connection.peer_address);
}

std::vector<ConnectionSummary> BrokerShard::Connections() const {
  std::vector<ConnectionSummary> list;
  list.reserve(connections_.size());
  for (const auto& [id, connection] : connections_) {
    list.push_back(
        ConnectionSummary{ConnectionRef{static_cast<uint32_t>(index_), id}, connection.client_name,
                          connection.gateway, connection.peer_address, connection.connected_at,
                          connection.close != nullptr, connection.bytes != nullptr,
                          connection.bytes != nullptr ? *connection.bytes : ConnectionBytes{}});
  }
  return list;
}

absl::Status BrokerShard::CloseConnection(uint64_t connection) {
  auto it = connections_.find(connection);
  if (it == connections_.end()) {
    return absl::NotFoundError(absl::StrCat(
        "no connection ", ConnectionId(ConnectionRef{static_cast<uint32_t>(index_), connection})));
  }
  if (it->second.close == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "connection ", ConnectionId(ConnectionRef{static_cast<uint32_t>(index_), connection}), " (",
        Describe(it->second), ") cannot be closed from the control plane"));
  }
  // The session may disconnect before close() returns, destroying its entry: run it from here,
  // and put it back if the connection is still there (it closes after a flush).
  absl::AnyInvocable<void()> close = std::move(it->second.close);
  close();
  if (auto again = connections_.find(connection); again != connections_.end()) {
    again->second.close = std::move(close);
  }
  return absl::OkStatus();
}

void BrokerShard::Disconnect(ConnectionRef connection) {
  auto it = connections_.find(connection.connection);
  if (it == connections_.end()) return;
  for (auto& [call_id, slot] : it->second.running) slot->Cancel();
  std::string description = broker_.events().watched() ? Describe(it->second) : std::string();
  connections_.erase(it);
  AtHome([connection](BrokerCore& core) { core.Disconnect(connection); });
  // After the core's Disconnect, which tells of the services the connection registered.
  if (broker_.events().watched()) {
    broker_.events().Emit(EventKind::kConnectionClosed, absl::StrCat(ConnectionId(connection)),
                          std::move(description));
  }
}

void BrokerShard::EmitRoutingFailure(const IncomingCall& call, const absl::Status& status) {
  broker_.events().Emit(
      EventKind::kRoutingFailed, absl::StrCat(call.service, ".", call.method),
      absl::StrCat(absl::StatusCodeToString(status.code()), ": ", status.message()));
}

void BrokerShard::ReportRoutingFailure(absl::string_view service, absl::string_view method,
                                       const absl::Status& status) {
  if (!broker_.events().watched()) return;
  IncomingCall call;
  call.service = service;
  call.method = method;
  EmitRoutingFailure(call, status);
}

PeerCallbacks* BrokerShard::Peer(ConnectionRef connection) {
  auto it = connections_.find(connection.connection);
  return it == connections_.end() ? nullptr : it->second.peer;
}

void BrokerShard::Call(ConnectionRef from, const IncomingCall& call) {
  if (call.object_id == 0 && RunLocally(call, from)) return;
  if (index_ == 0) {
    broker_.core().Call(from, call);
    return;
  }
  broker_.home_loop().Post(
      [&core = broker_.core(), from, owned = OwnedCall(call)] { core.Call(from, owned.View()); });
}

absl::StatusOr<const google::protobuf::MethodDescriptor*> BrokerShard::FindMethod(
    absl::string_view service, absl::string_view method) const {
  absl::StatusOr<Destination> destination = Route(*routing_, service, method);
  if (!destination.ok()) return destination.status();
  if (destination->method == nullptr) {
    return absl::NotFoundError(absl::StrCat("service '", service, "' is not registered"));
  }
  return destination->method;
}

std::vector<const google::protobuf::ServiceDescriptor*> BrokerShard::RegisteredServices() const {
  return routing_->RegisteredServices();
}

void BrokerShard::Deliver(ConnectionRef from, const IncomingCall& call) {
  broker_.core().CallRegistered(from, call);
}

// The hot path: a call to an in-process servant whose messages carry no object references runs
// here, on this loop's servant instance, with a pooled ServantCall.
bool BrokerShard::RunLocally(const IncomingCall& call, ConnectionRef from) {
  absl::StatusOr<Destination> destination = Route(*routing_, call.service, call.method);
  if (!destination.ok()) {
    if (broker_.events().watched()) EmitRoutingFailure(call, destination.status());
    if (!call.one_way) {
      if (PeerCallbacks* peer = Peer(from)) {
        peer->OnReply(call.call_id, destination.status(), Payload());
      }
    }
    return true;
  }
  const auto* servant = std::get_if<InProcessServant>(&destination->target);
  if (servant == nullptr) return false;
  const int method_index = destination->method->index();
  if (broker_.catalog_.services[servant->index].carries_refs[method_index]) return false;

  MethodPool& pool = pools_[servant->index][method_index];
  ServantCall* slot;
  if (pool.free.empty()) {
    google::protobuf::Service& service = *servants_[servant->index];
    const google::protobuf::MethodDescriptor& method = *destination->method;
    auto owned = std::make_unique<ServantCall>(
        *this, method,
        std::unique_ptr<google::protobuf::Message>(service.GetRequestPrototype(&method).New()),
        std::unique_ptr<google::protobuf::Message>(service.GetResponsePrototype(&method).New()));
    owned->servant_index = servant->index;
    slot = owned.get();
    pool.all.push_back(std::move(owned));
  } else {
    slot = pool.free.back();
    pool.free.pop_back();
  }
  StartServantCall(*slot, from, call);
  return true;
}

void BrokerShard::StartServantCall(ServantCall& slot, ConnectionRef from,
                                   const IncomingCall& call) {
  slot.from = from;
  slot.call_id = call.call_id;
  slot.one_way = call.one_way;
  if (!slot.request().ParseFromArray(call.payload.data(), static_cast<int>(call.payload.size()))) {
    if (!call.one_way) {
      if (PeerCallbacks* peer = Peer(from)) {
        peer->OnReply(call.call_id,
                      absl::InvalidArgumentError(absl::StrCat(
                          "payload is not a valid ", slot.method().input_type()->full_name())),
                      Payload());
      }
    }
    Recycle(slot);
    return;
  }
  slot.response().Clear();
  const absl::Time deadline = broker_.DeadlineFor(loop_, call.timeout_micros);
  slot.Begin(nullptr, deadline, call.metadata);
  if (slot.Start(*servants_[slot.servant_index])) return;
  // The servant answers later: make the call cancellable and bound it by its deadline. One-way
  // calls are not in flight (their ids may repeat), so only the deadline bounds them.
  if (!call.one_way) connections_[from.connection].running[call.call_id] = &slot;
  if (deadline == absl::InfiniteFuture()) return;
  if (slot.deadline_timer == nullptr) {
    slot.deadline_timer = loop_.CreateTimer([this, &slot] {
      ServantCall& call = slot;
      call.Cancel();
      if (call.one_way) return;
      auto it = connections_.find(call.from.connection);
      if (it != connections_.end()) it->second.running.erase(call.call_id);
      if (PeerCallbacks* peer = Peer(call.from)) {
        peer->OnReply(call.call_id, absl::DeadlineExceededError("deadline exceeded"), Payload());
      }
    });
  }
  slot.deadline_timer->Schedule(deadline - loop_.clock().Now());
}

void BrokerShard::OnServantDone(ServantCall& slot) {
  if (slot.deadline_timer != nullptr) slot.deadline_timer->Cancel();
  if (!slot.abandoned) {
    auto it = connections_.find(slot.from.connection);
    if (it != connections_.end() && !slot.one_way) {
      it->second.running.erase(slot.call_id);
      const absl::Status& status = slot.context().status();
      it->second.peer->OnReply(slot.call_id, status,
                               status.ok() ? Payload(slot.response()) : Payload());
    }
  }
  Recycle(slot);
}

void BrokerShard::Recycle(ServantCall& slot) {
  pools_[slot.servant_index][slot.method().index()].free.push_back(&slot);
}

void BrokerShard::Reply(ConnectionRef from, uint64_t call_id, const absl::Status& status,
                        absl::string_view payload) {
  if (index_ == 0) {
    broker_.core().Reply(from, call_id, status, payload);
    return;
  }
  broker_.home_loop().Post(
      [&core = broker_.core(), from, call_id, status, bytes = std::string(payload)] {
        core.Reply(from, call_id, status, bytes);
      });
}

void BrokerShard::Cancel(ConnectionRef from, uint64_t call_id) {
  auto it = connections_.find(from.connection);
  if (it != connections_.end()) {
    auto running = it->second.running.find(call_id);
    if (running != it->second.running.end()) {
      ServantCall& slot = *running->second;
      it->second.running.erase(running);
      slot.Cancel();
      if (!slot.one_way) {
        it->second.peer->OnReply(call_id, absl::CancelledError("cancelled by the caller"),
                                 Payload());
      }
      return;
    }
  }
  AtHome([from, call_id](BrokerCore& core) { core.Cancel(from, call_id); });
}

void BrokerShard::Register(ConnectionRef from, uint64_t call_id,
                           absl::Span<const absl::string_view> services,
                           absl::string_view descriptors) {
  AtHome([from, call_id, names = std::vector<std::string>(services.begin(), services.end()),
          bytes = std::string(descriptors)](BrokerCore& core) mutable {
    core.Register(from, call_id, std::move(names), bytes);
  });
}

void BrokerShard::Release(ConnectionRef from, absl::Span<const uint64_t> object_ids) {
  AtHome([from, ids = std::vector<uint64_t>(object_ids.begin(), object_ids.end())](
             BrokerCore& core) { core.Release(from, ids); });
}

void BrokerShard::Subscribe(ConnectionRef from, absl::string_view topic, bool unsubscribe) {
  AtHome([from, topic = std::string(topic), unsubscribe](BrokerCore& core) {
    core.Subscribe(from, topic, unsubscribe);
  });
}

void BrokerShard::Publish(ConnectionRef from, absl::string_view topic, absl::string_view payload,
                          absl::string_view type_url) {
  (void)from;
  for (const ConnectionRef& subscriber : routing_->Subscribers(topic)) {
    if (subscriber.loop == index_) {
      if (PeerCallbacks* peer = Peer(subscriber)) peer->OnPublish(topic, payload, type_url);
      continue;
    }
    PostToPeer(subscriber, [topic = std::string(topic), payload = std::string(payload),
                            type_url = std::string(type_url)](PeerCallbacks& peer) {
      peer.OnPublish(topic, payload, type_url);
    });
  }
}

}  // namespace weft::broker
