// BrokerCore: the home shard's shared state and the broker's slow path.
//
// Part of //broker (internal to broker.h). Runs on the home loop only. It owns the descriptor
// pool, the object registry, the routing-table builder and every call waiting on a peer, and
// serves: calls on objects, calls to services peers registered, calls whose messages can carry
// object references (rewritten and counted here), registration, subscriptions, releases and
// disconnects. Other shards reach it through EventLoop::Post() with owned copies (OwnedCall).
#ifndef WEFT_BROKER_BROKER_CORE_H_
#define WEFT_BROKER_BROKER_CORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "broker/broker.h"
#include "broker/call_context.h"
#include "broker/descriptor_registry.h"
#include "broker/ids.h"
#include "broker/object_registry.h"
#include "broker/peer.h"
#include "broker/routing_table.h"
#include "broker/servant_call.h"
#include "google/protobuf/message.h"
#include "weft/v1/object_ref.pb.h"

namespace weft::broker {

// An IncomingCall with its own storage, to cross loops.
struct OwnedCall {
  explicit OwnedCall(const IncomingCall& call);
  IncomingCall View() const;

  uint64_t call_id;
  std::string service;
  uint64_t object_id;
  std::string method;
  std::string payload;
  int64_t timeout_micros;
  std::vector<std::pair<std::string, std::string>> metadata;
  // Rebuilt by View(): views into `metadata`, which a move may relocate.
  mutable std::vector<std::pair<absl::string_view, absl::string_view>> metadata_views;
  bool one_way;
};

// Holder ids of in-process holders (ObjectHandles) have this bit; connections' never do.
inline constexpr uint64_t kLocalHolderBit = uint64_t{1} << 63;

// The OutgoingCall that delivers `call` as it is.
OutgoingCall ToOutgoing(const IncomingCall& call);

// The holder a connection's references are counted under, and back.
HolderId ConnectionHolder(ConnectionRef connection);
ConnectionRef HolderConnection(HolderId holder);

class BrokerCore final : public ServantCallOwner, public ObjectSpace {
 public:
  BrokerCore(Broker& broker, const ServantCatalog& catalog);
  BrokerCore(const BrokerCore&) = delete;
  BrokerCore& operator=(const BrokerCore&) = delete;
  ~BrokerCore() override;

  // The routing table with the in-process services; published to every shard before loops run.
  absl::Status AddInProcessServices();

  // Mirror BrokerShard's methods, for connections of any shard.
  void Connect(ConnectionRef connection);
  void Disconnect(ConnectionRef connection);
  void Call(ConnectionRef from, const IncomingCall& call);
  // A call to the registration of call.service, ignoring routes (durable delivery).
  void CallRegistered(ConnectionRef from, const IncomingCall& call);
  void Reply(ConnectionRef from, uint64_t call_id, const absl::Status& status,
             absl::string_view payload);
  void Cancel(ConnectionRef from, uint64_t call_id);
  void Register(ConnectionRef from, uint64_t call_id, std::vector<std::string> services,
                absl::string_view descriptors);
  void Release(ConnectionRef from, absl::Span<const uint64_t> object_ids);
  void Subscribe(ConnectionRef from, absl::string_view topic, bool unsubscribe);
  // A shard applied snapshot `version`.
  void SnapshotApplied(std::size_t shard, uint64_t version);

  BrokerStats stats() const;
  // Every object with its holders (ObjectRegistry::List()).
  std::vector<ObjectSummary> ListObjects() const { return objects_->List(); }

  // Broker's route methods.
  absl::Status PutRoute(RouteSpec spec, absl::AnyInvocable<void()> applied);
  bool DeleteRoute(absl::string_view pattern, absl::AnyInvocable<void()> applied);
  std::vector<RouteSpec> routes() const;

  // True when a message of `type` can hold an ObjectRef.
  bool CarriesRefs(const google::protobuf::Descriptor* type) const;

  // ObjectSpace (for servants running on the home loop)
  weft::v1::ObjectRef Export(std::unique_ptr<google::protobuf::Service> servant) override;
  absl::StatusOr<std::unique_ptr<ObjectHandle>> Hold(const weft::v1::ObjectRef& ref) override;

  // ServantCallOwner
  void OnServantDone(ServantCall& call) override;

  // An in-process holder's call through an ObjectHandle's channel.
  void CallFromHandle(ObjectId object, const google::protobuf::MethodDescriptor& method,
                      OutboundController& controller, const google::protobuf::Message& request,
                      google::protobuf::Message& response, google::protobuf::Closure* done);
  void ReleaseHandle(ObjectId object, HolderId holder);
  bool Alive(ObjectId object) const;

 private:
  class Handle;
  class LocalCall;
  // A call waiting on a peer: from a connection, or from an in-process holder's ObjectHandle.
  struct Pending {
    std::optional<ConnectionRef> caller;
    uint64_t caller_call_id = 0;
    OutboundController* controller = nullptr;
    google::protobuf::Message* response = nullptr;
    google::protobuf::Closure* done = nullptr;
    ConnectionRef callee;
    const google::protobuf::MethodDescriptor* method = nullptr;
    std::unique_ptr<reactor::Timer> timer;
  };

  struct PeerState {
    HolderId holder;
    absl::flat_hash_set<uint64_t> calls_from;  // Pending ids this connection is waiting on.
    absl::flat_hash_set<uint64_t> calls_to;    // Pending ids waiting on this connection.
    bool in_table = false;                     // Registered services or subscribed.
    std::vector<std::string> services;         // Registered by it, for the event feed.
  };

  // Where a call goes once resolved.
  struct Target {
    const google::protobuf::MethodDescriptor* method = nullptr;
    google::protobuf::Service* servant = nullptr;  // In-process (home instance or object).
    std::optional<ConnectionRef> host;             // A peer's service or object.
    ObjectId remote_id = 0;                        // The host's id for an object it hosts.
    bool is_topic = false;                         // A route to a topic's subscribers.
    std::string topic_name;
    std::string queue_name;  // A durable route's queue.
  };

  absl::StatusOr<Target> Resolve(absl::string_view service, ObjectId object,
                                 absl::string_view method, bool follow_routes) const;
  void Dispatch(ConnectionRef from, const IncomingCall& call, const absl::StatusOr<Target>& target);
  void AcceptDurable(ConnectionRef from, const IncomingCall& call, const Target& target);
  absl::Status ImportRefs(google::protobuf::Message& message, ConnectionRef sender);
  void GiveRefs(const google::protobuf::Message& message, HolderId holder);
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> ParseWithRefs(
      const google::protobuf::Descriptor& type, absl::string_view payload, ConnectionRef sender);

  absl::Status CheckHostable(const std::vector<std::string>& services,
                             absl::string_view descriptors) const;
  void CallServant(ConnectionRef from, const IncomingCall& call, const Target& target);
  void FinishServantCall(ServantCall& slot);
  void CallHost(ConnectionRef from, const IncomingCall& call, const Target& target);
  void StartPending(std::unique_ptr<Pending> pending, const Target& target,
                    absl::string_view payload, absl::Time deadline, MetadataView metadata,
                    bool one_way);
  void FinishPending(uint64_t id, const absl::Status& status, absl::string_view payload,
                     bool tell_callee);

  void ReplyTo(ConnectionRef to, uint64_t call_id, const absl::Status& status,
               const Payload& payload);
  void SendCall(ConnectionRef to, const OutgoingCall& call);
  void SendCancel(ConnectionRef to, uint64_t call_id);
  void SendRelease(ConnectionRef to, std::vector<uint64_t> ids);
  void Process(Reclaimed reclaimed);
  void MaybeSweep();
  void PublishTable(absl::AnyInvocable<void()> when_applied);
  absl::Time DeadlineFor(int64_t timeout_micros) const;

  Broker& broker_;
  const ServantCatalog& catalog_;
  DescriptorRegistry descriptors_;
  std::unique_ptr<ObjectRegistry> objects_;
  RoutingTable::Builder builder_;
  // Explicit routes as given, by the pattern's parsed form ("svc" or "svc/Method").
  absl::flat_hash_map<std::string, RouteSpec> routes_;
  std::shared_ptr<const RoutingTable> table_;
  // Calls waiting on a peer, by the id the broker gave the callee.
  absl::flat_hash_map<uint64_t, std::unique_ptr<Pending>> pending_;
  absl::flat_hash_map<std::pair<ConnectionRef, uint64_t>, uint64_t> pending_by_caller_;
  // In-process calls running on the home loop (exported objects are swept when none is left),
  // and those a connection may still cancel.
  absl::flat_hash_map<ServantCall*, std::unique_ptr<ServantCall>> servant_calls_;
  absl::flat_hash_map<std::pair<ConnectionRef, uint64_t>, ServantCall*> running_;
  // In-process calls from ObjectHandles to in-process objects still running (LocalCall).
  std::size_t local_calls_ = 0;
  absl::flat_hash_map<ConnectionRef, PeerState> peers_;
  uint64_t next_pending_ = 1;
  uint64_t next_local_holder_ = 1;
  // Snapshot versions: the newest published, and per shard the newest applied.
  uint64_t version_ = 0;
  std::vector<uint64_t> applied_;
  std::vector<std::pair<uint64_t, absl::AnyInvocable<void()>>> waiting_for_version_;
  // Points at this core until it is destroyed; ObjectHandles keep a copy.
  std::shared_ptr<BrokerCore*> liveness_;
};

}  // namespace weft::broker

#endif  // WEFT_BROKER_BROKER_CORE_H_
