#include "broker/broker_core.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "broker/object_refs.h"
#include "broker/router.h"
#include "reactor/base/check.h"

namespace weft::broker {
namespace {

constexpr int kLoopShift = 48;

}  // namespace

OwnedCall::OwnedCall(const IncomingCall& call)
    : call_id(call.call_id),
      service(call.service),
      object_id(call.object_id),
      method(call.method),
      payload(call.payload),
      timeout_micros(call.timeout_micros),
      one_way(call.one_way) {
  for (const auto& [key, value] : call.metadata) metadata.emplace_back(key, value);
}

IncomingCall OwnedCall::View() const {
  metadata_views.clear();
  for (const auto& [key, value] : metadata) metadata_views.emplace_back(key, value);
  return IncomingCall{call_id, service,        object_id,      method,
                      payload, timeout_micros, metadata_views, one_way};
}

OutgoingCall ToOutgoing(const IncomingCall& call) {
  return OutgoingCall{call.call_id,          call.service,        call.object_id, call.method,
                      Payload(call.payload), call.timeout_micros, call.metadata,  call.one_way};
}

HolderId ConnectionHolder(ConnectionRef connection) {
  return HolderId{(uint64_t{connection.loop} << kLoopShift) | connection.connection};
}

uint64_t ConnectionId(ConnectionRef connection) { return ConnectionHolder(connection).value; }

ConnectionRef ConnectionFromId(uint64_t id) { return HolderConnection(HolderId{id}); }

ConnectionRef HolderConnection(HolderId holder) {
  return ConnectionRef{static_cast<uint32_t>(holder.value >> kLoopShift),
                       holder.value & ((uint64_t{1} << kLoopShift) - 1)};
}

BrokerCore::BrokerCore(Broker& broker, const ServantCatalog& catalog)
    : broker_(broker),
      catalog_(catalog),
      objects_(std::make_unique<ObjectRegistry>()),
      applied_(broker.loops_.size(), 0),
      liveness_(std::make_shared<BrokerCore*>(this)) {}

BrokerCore::~BrokerCore() {
  // In-process callers still waiting hear that the broker is going, while their servants live.
  // Moved out first: a closure may start another call, which must not land in the map being
  // walked; such a call is dropped with the rest below.
  absl::flat_hash_map<uint64_t, std::unique_ptr<Pending>> waiting = std::move(pending_);
  pending_.clear();
  for (auto& [id, pending] : waiting) {
    if (pending->caller.has_value()) continue;
    pending->controller->set_status(absl::UnavailableError("the broker is shutting down"));
    pending->done->Run();
  }
  *liveness_ = nullptr;
  pending_.clear();
  servant_calls_.clear();
  objects_.reset();
}

absl::Status BrokerCore::AddInProcessServices() {
  for (std::size_t i = 0; i < catalog_.services.size(); ++i) {
    absl::Status added = builder_.AddService(*catalog_.services[i].descriptor,
                                             InProcessServant{static_cast<uint32_t>(i)});
    if (!added.ok()) return added;
  }
  table_ = builder_.Build();
  for (std::size_t i = 0; i < broker_.shards_.size(); ++i) broker_.shard(i).SetRoutingTable(table_);
  return absl::OkStatus();
}

bool BrokerCore::CarriesRefs(const google::protobuf::Descriptor* type) const {
  return descriptors_.ContainsObjectRef(type);
}

absl::Time BrokerCore::DeadlineFor(int64_t timeout_micros) const {
  return broker_.DeadlineFor(broker_.home_loop(), timeout_micros);
}

void BrokerCore::Connect(ConnectionRef connection) {
  peers_[connection].holder = ConnectionHolder(connection);
}

void BrokerCore::Disconnect(ConnectionRef connection) {
  auto it = peers_.find(connection);
  if (it == peers_.end()) return;
  PeerState state = std::move(it->second);
  peers_.erase(it);
  for (uint64_t id : state.calls_from) {
    FinishPending(id, absl::CancelledError("the caller disconnected"), {}, true);
  }
  for (auto running = running_.begin(); running != running_.end();) {
    if (running->first.first == connection) {
      running->second->Cancel();
      running_.erase(running++);
    } else {
      ++running;
    }
  }
  for (uint64_t id : state.calls_to) {
    FinishPending(id, absl::UnavailableError("the callee disconnected"), {}, false);
  }
  Process(objects_->ReleaseAll(state.holder));
  if (broker_.events().watched()) {
    for (const std::string& service : state.services) {
      broker_.events().Emit(EventKind::kServiceUnregistered, service,
                            absl::StrCat("connection ", ConnectionId(connection), " closed"));
    }
  }
  if (state.in_table) {
    builder_.RemoveConnection(connection);
    PublishTable(nullptr);
  }
}

absl::StatusOr<BrokerCore::Target> BrokerCore::Resolve(absl::string_view service, ObjectId object,
                                                       absl::string_view method,
                                                       bool follow_routes) const {
  Target target;
  if (object != 0) {
    absl::StatusOr<const RegisteredObject*> found = objects_->FindForCall(object);
    if (!found.ok()) return found.status();
    const google::protobuf::ServiceDescriptor& interface = (*found)->interface();
    target.method = interface.FindMethodByName(std::string(method));
    if (target.method == nullptr) {
      return absl::NotFoundError(absl::StrCat("object ", object, " (", interface.full_name(),
                                              ") has no method '", method, "'"));
    }
    if ((*found)->servant() != nullptr) {
      target.servant = (*found)->servant();
    } else {
      target.host = HolderConnection((*found)->remote()->host);
      target.remote_id = (*found)->remote()->remote_id;
    }
    return target;
  }
  absl::StatusOr<Destination> destination = follow_routes
                                                ? Route(*table_, service, method)
                                                : RouteToRegistration(*table_, service, method);
  if (!destination.ok()) return destination.status();
  target.method = destination->method;
  if (const auto* servant = std::get_if<InProcessServant>(&destination->target)) {
    target.servant = &broker_.shard(0).servant(servant->index);
  } else if (const auto* remote = std::get_if<RemoteService>(&destination->target)) {
    target.host = remote->connection;
  } else if (const auto* queue = std::get_if<QueueTarget>(&destination->target)) {
    target.queue_name = std::string(queue->queue);
  } else {
    const TopicFanout& fanout = std::get<TopicFanout>(destination->target);
    target.is_topic = true;
    target.topic_name = std::string(fanout.topic);
  }
  return target;
}

void BrokerCore::Call(ConnectionRef from, const IncomingCall& call) {
  Dispatch(from, call, Resolve(call.service, call.object_id, call.method, /*follow_routes=*/true));
}

void BrokerCore::CallRegistered(ConnectionRef from, const IncomingCall& call) {
  Dispatch(from, call, Resolve(call.service, 0, call.method, /*follow_routes=*/false));
}

void BrokerCore::Dispatch(ConnectionRef from, const IncomingCall& call,
                          const absl::StatusOr<Target>& target) {
  if (!target.ok()) {
    if (broker_.events().watched()) {
      broker_.events().Emit(EventKind::kRoutingFailed,
                            call.object_id != 0
                                ? absl::StrCat("object ", call.object_id, ".", call.method)
                                : absl::StrCat(call.service, ".", call.method),
                            absl::StrCat(absl::StatusCodeToString(target.status().code()), ": ",
                                         target.status().message()));
    }
    if (!call.one_way) ReplyTo(from, call.call_id, target.status(), Payload());
    return;
  }
  if (target->is_topic) {
    // The home shard's snapshot is the core's table, so its Publish reaches the same subscribers.
    broker_.shard(0).Publish(
        from, target->topic_name, call.payload,
        absl::StrCat("type.googleapis.com/", target->method->input_type()->full_name()));
    if (!call.one_way) ReplyTo(from, call.call_id, absl::OkStatus(), Payload());
    return;
  }
  if (!target->queue_name.empty()) {
    AcceptDurable(from, call, *target);
    return;
  }
  if (target->servant != nullptr) {
    CallServant(from, call, *target);
  } else {
    CallHost(from, call, *target);
  }
}

absl::StatusOr<std::unique_ptr<google::protobuf::Message>> BrokerCore::ParseWithRefs(
    const google::protobuf::Descriptor& type, absl::string_view payload, ConnectionRef sender) {
  std::unique_ptr<google::protobuf::Message> message(descriptors_.Prototype(&type)->New());
  if (!message->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::InvalidArgumentError(absl::StrCat("payload is not a valid ", type.full_name()));
  }
  if (CarriesRefs(&type)) {
    absl::Status imported = ImportRefs(*message, sender);
    if (!imported.ok()) return imported;
  }
  return message;
}

// References a peer sends: its own objects (empty node) become broker objects it hosts; the
// broker's own must exist. Either way the reference then names a broker object.
absl::Status BrokerCore::ImportRefs(google::protobuf::Message& message, ConnectionRef sender) {
  absl::Status status;
  const std::string& node = broker_.options().node;
  ForEachObjectRef(message, descriptors_, [&](weft::v1::ObjectRef& ref) {
    if (!status.ok()) return;
    if (!ref.node().empty()) {
      if (ref.node() != node) {
        status = absl::InvalidArgumentError(
            absl::StrCat("object reference to unknown node '", ref.node(), "'"));
      } else if (objects_->Find(ref.object_id()) == nullptr) {
        status = absl::NotFoundError(absl::StrCat("no object ", ref.object_id()));
      }
      return;
    }
    const google::protobuf::ServiceDescriptor* interface =
        descriptors_.FindService(ref.interface());
    if (interface == nullptr || ref.object_id() == 0) {
      status = absl::InvalidArgumentError(
          absl::StrCat("object reference with unknown interface '", ref.interface(), "' or id 0"));
      return;
    }
    absl::StatusOr<ObjectId> id =
        objects_->ExportRemote(*interface, RemoteHost{ConnectionHolder(sender), ref.object_id()});
    if (!id.ok()) {
      status = id.status();
      return;
    }
    ref.set_node(node);
    ref.set_object_id(*id);
  });
  return status;
}

void BrokerCore::GiveRefs(const google::protobuf::Message& message, HolderId holder) {
  const std::string& node = broker_.options().node;
  ForEachObjectRef(message, descriptors_, [&](const weft::v1::ObjectRef& ref) {
    if (ref.node() == node) objects_->AddRef(ref.object_id(), holder).IgnoreError();
  });
}

void BrokerCore::CallServant(ConnectionRef from, const IncomingCall& call, const Target& target) {
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> request =
      ParseWithRefs(*target.method->input_type(), call.payload, from);
  if (!request.ok()) {
    if (!call.one_way) ReplyTo(from, call.call_id, request.status(), Payload());
    MaybeSweep();
    return;
  }
  auto owned = std::make_unique<ServantCall>(
      *this, *target.method, *std::move(request),
      std::unique_ptr<google::protobuf::Message>(
          descriptors_.Prototype(target.method->output_type())->New()));
  ServantCall& slot = *owned;
  servant_calls_[&slot] = std::move(owned);
  slot.from = from;
  slot.call_id = call.call_id;
  slot.one_way = call.one_way;
  const absl::Time deadline = DeadlineFor(call.timeout_micros);
  slot.Begin(this, deadline, call.metadata);
  if (!call.one_way) running_[{from, call.call_id}] = &slot;
  slot.starting = true;
  slot.Start(*target.servant);
  slot.starting = false;
  if (slot.finished()) {
    FinishServantCall(slot);
    return;
  }
  if (deadline == absl::InfiniteFuture()) return;
  slot.deadline_timer = broker_.home_loop().CreateTimer([this, &slot] {
    slot.Cancel();
    if (slot.one_way) return;  // Not in running_: its id may be another call's.
    running_.erase({slot.from, slot.call_id});
    ReplyTo(slot.from, slot.call_id, absl::DeadlineExceededError("deadline exceeded"), Payload());
  });
  slot.deadline_timer->Schedule(deadline - broker_.home_loop().clock().Now());
}

void BrokerCore::OnServantDone(ServantCall& slot) {
  if (slot.starting) return;  // CallServant() finishes it.
  FinishServantCall(slot);
}

void BrokerCore::FinishServantCall(ServantCall& slot) {
  if (slot.deadline_timer != nullptr) slot.deadline_timer->Cancel();
  if (!slot.abandoned) {
    if (!slot.one_way) running_.erase({slot.from, slot.call_id});
    const absl::Status& status = slot.context().status();
    // A one-way caller never sees the response, so it must not hold what the response names.
    if (status.ok() && !slot.one_way && CarriesRefs(slot.method().output_type())) {
      GiveRefs(slot.response(), ConnectionHolder(slot.from));
    }
    if (!slot.one_way) {
      ReplyTo(slot.from, slot.call_id, status, status.ok() ? Payload(slot.response()) : Payload());
    }
  }
  servant_calls_.erase(&slot);
  MaybeSweep();
}

void BrokerCore::CallHost(ConnectionRef from, const IncomingCall& call, const Target& target) {
  auto callee = peers_.find(*target.host);
  if (callee == peers_.end()) {
    if (!call.one_way) {
      ReplyTo(from, call.call_id, absl::UnavailableError("the host disconnected"), Payload());
    }
    return;
  }
  if (callee->second.calls_to.size() >= broker_.options().max_queue_depth) {
    if (!call.one_way) {
      ReplyTo(from, call.call_id, absl::ResourceExhaustedError("destination queue full"),
              Payload());
    }
    return;
  }
  std::string rewritten;
  absl::string_view payload = call.payload;
  if (CarriesRefs(target.method->input_type())) {
    absl::StatusOr<std::unique_ptr<google::protobuf::Message>> request =
        ParseWithRefs(*target.method->input_type(), call.payload, from);
    if (!request.ok()) {
      if (!call.one_way) ReplyTo(from, call.call_id, request.status(), Payload());
      MaybeSweep();
      return;
    }
    GiveRefs(**request, callee->second.holder);
    rewritten = (*request)->SerializeAsString();
    payload = rewritten;
  }
  auto pending = std::make_unique<Pending>();
  pending->caller = from;
  pending->caller_call_id = call.call_id;
  StartPending(std::move(pending), target, payload, DeadlineFor(call.timeout_micros), call.metadata,
               call.one_way);
}

void BrokerCore::StartPending(std::unique_ptr<Pending> pending, const Target& target,
                              absl::string_view payload, absl::Time deadline, MetadataView metadata,
                              bool one_way) {
  const ConnectionRef callee = *target.host;
  OutgoingCall out;
  // Both arms are views: a `: ""` arm would make this a temporary std::string and leave
  // `out.service` dangling.
  out.service = target.remote_id == 0 ? absl::string_view(target.method->service()->full_name())
                                      : absl::string_view();
  out.object_id = target.remote_id;
  out.method = target.method->name();
  out.payload = Payload(payload);
  out.metadata = metadata;
  out.one_way = one_way;
  const absl::Time now = broker_.home_loop().clock().Now();
  if (deadline != absl::InfiniteFuture()) {
    out.timeout_micros = std::max<int64_t>(1, absl::ToInt64Microseconds(deadline - now));
  }
  if (one_way) {
    SendCall(callee, out);
    return;
  }
  const uint64_t id = next_pending_++;
  out.call_id = id;
  pending->callee = callee;
  pending->method = target.method;
  if (deadline != absl::InfiniteFuture()) {
    pending->timer = broker_.home_loop().CreateTimer([this, id] {
      FinishPending(id, absl::DeadlineExceededError("deadline exceeded"), {}, true);
    });
    pending->timer->Schedule(deadline - now);
  }
  if (pending->caller.has_value()) {
    peers_[*pending->caller].calls_from.insert(id);
    pending_by_caller_[{*pending->caller, pending->caller_call_id}] = id;
  }
  peers_[callee].calls_to.insert(id);
  pending_[id] = std::move(pending);
  SendCall(callee, out);
}

void BrokerCore::Reply(ConnectionRef from, uint64_t call_id, const absl::Status& status,
                       absl::string_view payload) {
  auto it = pending_.find(call_id);
  if (it == pending_.end() || !(it->second->callee == from)) return;
  const google::protobuf::Descriptor* output = it->second->method->output_type();
  if (!status.ok() || !CarriesRefs(output)) {
    FinishPending(call_id, status, status.ok() ? payload : absl::string_view(), false);
    return;
  }
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> response =
      ParseWithRefs(*output, payload, from);
  if (!response.ok()) {
    FinishPending(call_id,
                  absl::InternalError(
                      absl::StrCat("bad reply from the callee: ", response.status().message())),
                  {}, false);
    return;
  }
  if (it->second->caller.has_value()) {
    auto caller = peers_.find(*it->second->caller);
    if (caller != peers_.end()) GiveRefs(**response, caller->second.holder);
  }
  FinishPending(call_id, absl::OkStatus(), (*response)->SerializeAsString(), false);
}

void BrokerCore::FinishPending(uint64_t id, const absl::Status& status, absl::string_view payload,
                               bool tell_callee) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  std::unique_ptr<Pending> pending = std::move(it->second);
  pending_.erase(it);
  if (auto callee = peers_.find(pending->callee); callee != peers_.end()) {
    callee->second.calls_to.erase(id);
  }
  if (tell_callee) SendCancel(pending->callee, id);
  if (pending->caller.has_value()) {
    pending_by_caller_.erase({*pending->caller, pending->caller_call_id});
    if (auto caller = peers_.find(*pending->caller); caller != peers_.end()) {
      caller->second.calls_from.erase(id);
      ReplyTo(*pending->caller, pending->caller_call_id, status, Payload(payload));
    }
  } else {
    absl::Status result = status;
    if (result.ok() &&
        !pending->response->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
      result = absl::InternalError("bad reply from the callee");
    }
    pending->controller->set_status(std::move(result));
    pending->done->Run();
  }
  MaybeSweep();
}

void BrokerCore::Cancel(ConnectionRef from, uint64_t call_id) {
  if (auto running = running_.find({from, call_id}); running != running_.end()) {
    ServantCall& slot = *running->second;
    running_.erase(running);
    slot.Cancel();
    ReplyTo(from, call_id, absl::CancelledError("cancelled by the caller"), Payload());
    return;
  }
  auto it = pending_by_caller_.find({from, call_id});
  if (it == pending_by_caller_.end()) return;
  FinishPending(it->second, absl::CancelledError("cancelled by the caller"), {}, true);
}

}  // namespace weft::broker
