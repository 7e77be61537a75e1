// BrokerCore, continued: registration, subscriptions, object references held in process,
// releases, and delivery to the connections of every shard.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/broker_core.h"
#include "google/protobuf/descriptor.pb.h"

namespace weft::broker {

// A reference an in-process holder keeps. Outlives the core safely: once the core is gone its
// calls fail with kUnavailable and its release is moot.
class BrokerCore::Handle final : public ObjectHandle, public google::protobuf::RpcChannel {
 public:
  Handle(std::shared_ptr<BrokerCore*> core, weft::v1::ObjectRef ref, HolderId holder)
      : core_(std::move(core)), ref_(std::move(ref)), holder_(holder) {}
  ~Handle() override {
    if (*core_ != nullptr) (*core_)->ReleaseHandle(ref_.object_id(), holder_);
  }

  // ObjectHandle
  const weft::v1::ObjectRef& ref() const override { return ref_; }
  bool alive() const override { return *core_ != nullptr && (*core_)->Alive(ref_.object_id()); }
  google::protobuf::RpcChannel& channel() override { return *this; }

  // google::protobuf::RpcChannel
  void CallMethod(const google::protobuf::MethodDescriptor* method,
                  google::protobuf::RpcController* controller,
                  const google::protobuf::Message* request, google::protobuf::Message* response,
                  google::protobuf::Closure* done) override {
    auto& outbound = *static_cast<OutboundController*>(controller);
    if (*core_ == nullptr) {
      outbound.set_status(absl::UnavailableError("the broker is shutting down"));
      done->Run();
      return;
    }
    (*core_)->CallFromHandle(ref_.object_id(), *method, outbound, *request, *response, done);
  }

 private:
  std::shared_ptr<BrokerCore*> core_;
  const weft::v1::ObjectRef ref_;
  const HolderId holder_;
};

// An in-process holder's call to an in-process object: the servant runs with a CallContext of
// its own, and the caller's controller gets the status. Counted as running, so that objects
// exported for its response are not swept before the caller's `done` could Hold them.
class BrokerCore::LocalCall final : public google::protobuf::Closure {
 public:
  LocalCall(BrokerCore& core, OutboundController& controller, google::protobuf::Closure* done)
      : core_(core), controller_(controller), done_(done) {
    ++core_.local_calls_;
  }
  CallContext& context() { return context_; }

  void Run() override {
    context_.End();
    controller_.set_status(context_.status());
    BrokerCore& core = core_;
    google::protobuf::Closure* done = done_;
    delete this;
    --core.local_calls_;
    done->Run();
    core.MaybeSweep();
  }

 private:
  BrokerCore& core_;
  CallContext context_;
  OutboundController& controller_;
  google::protobuf::Closure* done_;
};

// Why `services` cannot be hosted from `descriptors`, checked before the set touches the pool so
// that a refused Register leaves nothing behind. OK when they can, or when the set does not
// parse (AddFileDescriptorSet() then says why).
absl::Status BrokerCore::CheckHostable(const std::vector<std::string>& services,
                                       absl::string_view descriptors) const {
  google::protobuf::FileDescriptorSet set;
  if (!set.ParseFromArray(descriptors.data(), static_cast<int>(descriptors.size()))) {
    return absl::OkStatus();
  }
  absl::flat_hash_set<std::string> defined;
  for (const google::protobuf::FileDescriptorProto& file : set.file()) {
    for (const google::protobuf::ServiceDescriptorProto& service : file.service()) {
      defined.insert(file.package().empty() ? service.name()
                                            : absl::StrCat(file.package(), ".", service.name()));
    }
  }
  for (const std::string& name : services) {
    if (!defined.contains(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("the descriptor set does not define service '", name, "'"));
    }
    const RoutingTable::Entry* entry = table_->Find(name);
    if (entry != nullptr && entry->registration.has_value()) {
      return absl::AlreadyExistsError(absl::StrCat("service '", name, "' is registered already"));
    }
  }
  return absl::OkStatus();
}

void BrokerCore::Register(ConnectionRef from, uint64_t call_id, std::vector<std::string> services,
                          absl::string_view descriptors) {
  auto peer = peers_.find(from);
  if (peer == peers_.end()) return;
  absl::Status hostable = CheckHostable(services, descriptors);
  if (!hostable.ok()) {
    ReplyTo(from, call_id, hostable, Payload());
    return;
  }
  absl::StatusOr<std::vector<const google::protobuf::ServiceDescriptor*>> defined =
      descriptors_.AddFileDescriptorSet(descriptors);
  if (!defined.ok()) {
    ReplyTo(from, call_id, defined.status(), Payload());
    return;
  }
  for (const std::string& name : services) {
    // Defined by the set (checked above), so now in the pool.
    builder_.AddService(*descriptors_.FindService(name), RemoteService{from}).IgnoreError();
  }
  peer->second.in_table = true;
  peer->second.services.insert(peer->second.services.end(), services.begin(), services.end());
  PublishTable([this, from, call_id, services = std::move(services)] {
    // Told once every loop routes to them, before the registering peer hears OK.
    if (broker_.events().watched()) {
      for (const std::string& name : services) {
        broker_.events().Emit(EventKind::kServiceRegistered, name,
                              absl::StrCat("by connection ", ConnectionId(from)));
      }
    }
    ReplyTo(from, call_id, absl::OkStatus(), Payload());
    // Durable messages waiting out a backoff for these services go now.
    if (DurableQueues* queues = broker_.durable_queues()) {
      for (const std::string& name : services) queues->ServiceAvailable(name);
    }
  });
}

void BrokerCore::Subscribe(ConnectionRef from, absl::string_view topic, bool unsubscribe) {
  auto peer = peers_.find(from);
  if (peer == peers_.end()) return;
  if (unsubscribe) {
    if (!builder_.Unsubscribe(topic, from)) return;
  } else {
    builder_.Subscribe(topic, from);
    peer->second.in_table = true;
  }
  PublishTable(nullptr);
}

void BrokerCore::Release(ConnectionRef from, absl::Span<const uint64_t> object_ids) {
  const HolderId holder = ConnectionHolder(from);
  for (uint64_t id : object_ids) {
    absl::StatusOr<Reclaimed> reclaimed = objects_->Release(id, holder, 1);
    if (reclaimed.ok()) Process(*std::move(reclaimed));
  }
}

weft::v1::ObjectRef BrokerCore::Export(std::unique_ptr<google::protobuf::Service> servant) {
  weft::v1::ObjectRef ref;
  ref.set_node(broker_.options().node);
  ref.set_interface(servant->GetDescriptor()->full_name());
  ref.set_object_id(objects_->ExportLocal(std::move(servant)));
  return ref;
}

absl::StatusOr<std::unique_ptr<ObjectHandle>> BrokerCore::Hold(const weft::v1::ObjectRef& ref) {
  if (ref.node() != broker_.options().node) {
    return absl::InvalidArgumentError(
        absl::StrCat("object reference to unknown node '", ref.node(), "'"));
  }
  const HolderId holder{kLocalHolderBit | next_local_holder_++};
  absl::Status added = objects_->AddRef(ref.object_id(), holder);
  if (!added.ok()) return added;
  return std::make_unique<Handle>(liveness_, ref, holder);
}

void BrokerCore::ReleaseHandle(ObjectId object, HolderId holder) {
  absl::StatusOr<Reclaimed> reclaimed = objects_->Release(object, holder, 1);
  if (reclaimed.ok()) Process(*std::move(reclaimed));
}

bool BrokerCore::Alive(ObjectId object) const {
  const RegisteredObject* found = objects_->Find(object);
  return found != nullptr && !found->dead();
}

void BrokerCore::CallFromHandle(ObjectId object, const google::protobuf::MethodDescriptor& method,
                                OutboundController& controller,
                                const google::protobuf::Message& request,
                                google::protobuf::Message& response,
                                google::protobuf::Closure* done) {
  absl::StatusOr<const RegisteredObject*> found = objects_->FindForCall(object);
  if (!found.ok()) {
    controller.set_status(found.status());
    done->Run();
    return;
  }
  const absl::Time deadline = controller.timeout() == absl::InfiniteDuration()
                                  ? DeadlineFor(0)
                                  : broker_.home_loop().clock().Now() + controller.timeout();
  if (google::protobuf::Service* servant = (*found)->servant()) {
    auto* call = new LocalCall(*this, controller, done);
    call->context().Begin(this, deadline, {});
    servant->CallMethod(&method, &call->context(), &request, &response, call);
    return;
  }
  Target target;
  target.method = &method;
  target.host = HolderConnection((*found)->remote()->host);
  target.remote_id = (*found)->remote()->remote_id;
  auto callee = peers_.find(*target.host);
  if (callee == peers_.end()) {
    controller.set_status(absl::UnavailableError("the host disconnected"));
    done->Run();
    return;
  }
  if (CarriesRefs(method.input_type())) GiveRefs(request, callee->second.holder);
  auto pending = std::make_unique<Pending>();
  pending->controller = &controller;
  pending->response = &response;
  pending->done = done;
  StartPending(std::move(pending), target, request.SerializeAsString(), deadline, {}, false);
}

void BrokerCore::Process(Reclaimed reclaimed) {
  if (!reclaimed.servants.empty()) {
    // A call into one of them may be running: destroy them after the current callback.
    broker_.home_loop().Post(
        [servants = std::move(reclaimed.servants)]() mutable { servants.clear(); });
  }
  absl::flat_hash_map<ConnectionRef, std::vector<uint64_t>> releases;
  for (const RemoteRelease& release : reclaimed.releases) {
    std::vector<uint64_t>& ids = releases[HolderConnection(release.remote.host)];
    ids.insert(ids.end(), release.times_received, release.remote.remote_id);
  }
  for (auto& [connection, ids] : releases) SendRelease(connection, std::move(ids));
}

void BrokerCore::MaybeSweep() {
  if (servant_calls_.empty() && local_calls_ == 0 && objects_->pending_count() > 0) {
    Process(objects_->SweepUnheld());
  }
}

void BrokerCore::PublishTable(absl::AnyInvocable<void()> when_applied) {
  table_ = builder_.Build();
  const uint64_t version = ++version_;
  for (std::size_t i = 0; i < broker_.shards_.size(); ++i) {
    BrokerShard& shard = broker_.shard(i);
    if (i == 0) {
      shard.SetRoutingTable(table_);
      applied_[0] = version;
      continue;
    }
    shard.Post([&shard, table = table_, version, i, &home = broker_.home_loop(), this] {
      shard.SetRoutingTable(table);
      home.Post([this, i, version] { SnapshotApplied(i, version); });
    });
  }
  if (when_applied) waiting_for_version_.emplace_back(version, std::move(when_applied));
  SnapshotApplied(0, version);
}

void BrokerCore::SnapshotApplied(std::size_t shard, uint64_t version) {
  applied_[shard] = std::max(applied_[shard], version);
  const uint64_t everywhere = *std::min_element(applied_.begin(), applied_.end());
  while (!waiting_for_version_.empty() && waiting_for_version_.front().first <= everywhere) {
    absl::AnyInvocable<void()> task = std::move(waiting_for_version_.front().second);
    waiting_for_version_.erase(waiting_for_version_.begin());
    task();
  }
}

BrokerStats BrokerCore::stats() const {
  BrokerStats stats;
  stats.objects = objects_->size();
  stats.services = table_->service_count();
  stats.pending_calls = pending_.size() + servant_calls_.size();
  stats.connections = peers_.size();
  return stats;
}

void BrokerCore::ReplyTo(ConnectionRef to, uint64_t call_id, const absl::Status& status,
                         const Payload& payload) {
  BrokerShard& shard = broker_.shard(to.loop);
  if (to.loop == 0) {
    if (PeerCallbacks* peer = shard.Peer(to)) peer->OnReply(call_id, status, payload);
    return;
  }
  std::string bytes;
  payload.AppendTo(bytes);
  shard.PostToPeer(to, [call_id, status, bytes = std::move(bytes)](PeerCallbacks& peer) {
    peer.OnReply(call_id, status, Payload(bytes));
  });
}

void BrokerCore::SendCall(ConnectionRef to, const OutgoingCall& call) {
  BrokerShard& shard = broker_.shard(to.loop);
  if (to.loop == 0) {
    if (PeerCallbacks* peer = shard.Peer(to)) peer->OnCall(call);
    return;
  }
  std::string payload;
  call.payload.AppendTo(payload);
  IncomingCall view{call.call_id, call.service,        call.object_id, call.method,
                    payload,      call.timeout_micros, call.metadata,  call.one_way};
  shard.PostToPeer(to, [owned = OwnedCall(view)](PeerCallbacks& peer) {
    peer.OnCall(ToOutgoing(owned.View()));
  });
}

void BrokerCore::SendCancel(ConnectionRef to, uint64_t call_id) {
  BrokerShard& shard = broker_.shard(to.loop);
  if (to.loop == 0) {
    if (PeerCallbacks* peer = shard.Peer(to)) peer->OnCancel(call_id);
    return;
  }
  shard.PostToPeer(to, [call_id](PeerCallbacks& peer) { peer.OnCancel(call_id); });
}

void BrokerCore::SendRelease(ConnectionRef to, std::vector<uint64_t> ids) {
  BrokerShard& shard = broker_.shard(to.loop);
  if (to.loop == 0) {
    if (PeerCallbacks* peer = shard.Peer(to)) peer->OnRelease(ids);
    return;
  }
  shard.PostToPeer(to, [ids = std::move(ids)](PeerCallbacks& peer) { peer.OnRelease(ids); });
}

}  // namespace weft::broker
