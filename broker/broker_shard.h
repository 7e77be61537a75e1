// BrokerShard: one loop's part of the Broker (broker.h), the only broker object a session calls.
//
// Part of //broker. Every method runs on the shard's loop and may call back into the session's
// PeerCallbacks before returning (a reply to a call served at once, for example). A connection is
// named by the ConnectionRef that Connect() returns; after Disconnect() the broker never calls its
// PeerCallbacks again.
#ifndef WEFT_BROKER_BROKER_SHARD_H_
#define WEFT_BROKER_BROKER_SHARD_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "broker/ids.h"
#include "broker/peer.h"
#include "broker/routing_table.h"
#include "broker/servant_call.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/service.h"
#include "reactor/event_loop.h"

namespace weft::broker {

class Broker;
class BrokerCore;

// A connection's id for the control plane (events, ListConnections, CloseConnection): unique
// among the broker's connections for its life. And back (the ref of an id no connection had
// names no connection either).
uint64_t ConnectionId(ConnectionRef connection);
ConnectionRef ConnectionFromId(uint64_t id);

// A connection as the control plane lists it.
// Bytes a session received and wrote, kept by the session itself (one add per read or write)
// and read by the shard for the control plane; both on the connection's loop.
struct ConnectionBytes {
  uint64_t in = 0;
  uint64_t out = 0;
};

struct ConnectionSummary {
  ConnectionRef ref;
  std::string client_name;
  std::string gateway;       // "" when the session did not say (internal connections).
  std::string peer_address;  // "" when unknown.
  absl::Time connected_at;
  bool closable = false;  // Its session can be asked to close (CloseConnection()).
  bool counted = false;   // Its session counts bytes: `bytes` is meaningful.
  ConnectionBytes bytes;
};

// The in-process services, fixed at start and shared read-only by every loop.
struct ServantCatalog {
  struct Service {
    const google::protobuf::ServiceDescriptor* descriptor = nullptr;
    // Per method index: true when its request or response type can hold an ObjectRef (such
    // calls run on the home shard, which keeps the object registry).
    std::vector<bool> carries_refs;
  };
  std::vector<Service> services;
};

class BrokerShard final : public ServantCallOwner {
 public:
  BrokerShard(Broker& broker, std::size_t index, reactor::EventLoop& loop,
              std::vector<std::unique_ptr<google::protobuf::Service>> servants);
  BrokerShard(const BrokerShard&) = delete;
  BrokerShard& operator=(const BrokerShard&) = delete;
  ~BrokerShard() override;

  // A new connection whose session implements `peer` (which must stay valid until
  // Disconnect()). `client_name`, `gateway` ("wire") and `peer_address` ("127.0.0.1:5300") are
  // for the control plane (events.h, ListConnections) and logs; empty when unknown. `close`, when
  // set, asks the session to close the connection (an operator's CloseConnection); it runs on
  // this loop, never from inside another call to the shard. `bytes`, when set, is the session's
  // byte count, valid until Disconnect().
  ConnectionRef Connect(PeerCallbacks& peer, absl::string_view client_name,
                        absl::string_view gateway = "", absl::string_view peer_address = "",
                        absl::AnyInvocable<void()> close = nullptr,
                        const ConnectionBytes* bytes = nullptr);
  // The connection is gone: its calls in flight are abandoned (their callees are told), its
  // references released, the services it registered and its subscriptions removed, and calls
  // waiting on it fail with kUnavailable.
  void Disconnect(ConnectionRef connection);

  // A call from `from`. The reply comes through OnReply (unless one-way), possibly before this
  // returns. Errors are replies: kNotFound (service, method or object), kInvalidArgument
  // (payload), kUnavailable (object host gone), kResourceExhausted (destination queue full),
  // kDeadlineExceeded, kCancelled.
  void Call(ConnectionRef from, const IncomingCall& call);
  // Like Call(), but to the registration of call.service, ignoring routes: how a durable queue
  // delivers what it stored. Home shard only.
  void Deliver(ConnectionRef from, const IncomingCall& call);
  // `from` answers call `call_id` that the broker sent it through OnCall. Unknown ids (a call
  // that timed out or was cancelled meanwhile) are ignored.
  void Reply(ConnectionRef from, uint64_t call_id, const absl::Status& status,
             absl::string_view payload);
  // `from` gives up on its call `call_id`: it gets kCancelled at once (unless already answered)
  // and the callee is told. Unknown ids are ignored.
  void Cancel(ConnectionRef from, uint64_t call_id);
  // `from` hosts `services`, defined by the serialized FileDescriptorSet `descriptors`. Answered
  // through OnReply(call_id): OK once every loop routes to them, kInvalidArgument (bad set, or a
  // listed service it does not define), kAlreadyExists (a name registered already, or a
  // conflicting definition).
  void Register(ConnectionRef from, uint64_t call_id, absl::Span<const absl::string_view> services,
                absl::string_view descriptors);
  // `from` drops one reference per listed id. Ids it does not hold are ignored.
  void Release(ConnectionRef from, absl::Span<const uint64_t> object_ids);
  void Subscribe(ConnectionRef from, absl::string_view topic, bool unsubscribe);
  // Delivers to every subscriber of `topic` (the publisher included, if subscribed).
  void Publish(ConnectionRef from, absl::string_view topic, absl::string_view payload,
               absl::string_view type_url);

  std::size_t connection_count() const { return connections_.size(); }
  // This loop's connections, for the control plane.
  std::vector<ConnectionSummary> Connections() const;
  // Asks the session of `connection` (of this loop) to close it. kNotFound when there is no such
  // connection; kFailedPrecondition when its session gave no way to close it (Connect()).
  absl::Status CloseConnection(uint64_t connection);
  // The loop this shard runs on.
  reactor::EventLoop& loop() { return loop_; }

  // What a call to `service`.`method` would run, by this loop's routing snapshot: the method
  // descriptor whose request and response types the call carries (after any route). For gateways
  // that build messages from text (JSON-RPC, XML-RPC, REST). Descriptors stay valid for the
  // broker's life. Errors as Call()'s routing: kNotFound, kFailedPrecondition.
  absl::StatusOr<const google::protobuf::MethodDescriptor*> FindMethod(
      absl::string_view service, absl::string_view method) const;
  // A gateway that found no route for a call itself (FindMethod() failed for a client's call)
  // reports it here, so the control plane's Watch sees it as it sees the shard's own routing
  // failures. Costs nothing while nobody watches.
  void ReportRoutingFailure(absl::string_view service, absl::string_view method,
                            const absl::Status& status);
  // The services registered now (in process or by peers), by full name.
  std::vector<const google::protobuf::ServiceDescriptor*> RegisteredServices() const;
  // Grows each time this loop takes a new routing snapshot (a service or route came or went), so
  // a gateway can tell when what it derived from RegisteredServices() is stale.
  uint64_t routing_version() const { return routing_version_; }

 private:
  friend class Broker;
  friend class BrokerCore;
  friend class ServantCall;

  struct Connection {
    PeerCallbacks* peer = nullptr;
    // Who it is, for the control plane.
    std::string client_name;
    std::string gateway;
    std::string peer_address;
    absl::Time connected_at;
    absl::AnyInvocable<void()> close;
    const ConnectionBytes* bytes = nullptr;
    // Fast-path calls still running in a servant, by the caller's call id.
    absl::flat_hash_map<uint64_t, ServantCall*> running;
  };

  // The servant-call pool of one in-process method: every slot made, and those not running.
  struct MethodPool {
    std::vector<std::unique_ptr<ServantCall>> all;
    std::vector<ServantCall*> free;
  };

  // ServantCallOwner
  void OnServantDone(ServantCall& slot) override;

  bool RunLocally(const IncomingCall& call, ConnectionRef from);
  // "wire client 'name' from 127.0.0.1:5300".
  static std::string Describe(const Connection& connection);
  // Tells watchers (events.h) that `call` could not be routed. Off the hot path: only when
  // routing failed and someone watches.
  void EmitRoutingFailure(const IncomingCall& call, const absl::Status& status);
  void StartServantCall(ServantCall& slot, ConnectionRef from, const IncomingCall& call);
  void Recycle(ServantCall& slot);
  void Post(absl::AnyInvocable<void()> task);

  // The peer of a connection of this shard; nullptr when it is gone.
  PeerCallbacks* Peer(ConnectionRef connection);
  // Posts `deliver` to the loop of `to` (a connection of any shard), to run with its peer unless
  // the connection is gone by then. `deliver` owns what it uses.
  void PostToPeer(ConnectionRef to, absl::AnyInvocable<void(PeerCallbacks&)> deliver);
  // Runs `task` with the home shard's core: at once on the home loop, else posted there (then
  // `task` owns what it uses). For the calls off the hot path.
  void AtHome(absl::AnyInvocable<void(BrokerCore&)> task);
  void SetRoutingTable(std::shared_ptr<const RoutingTable> table) {
    routing_ = std::move(table);
    ++routing_version_;
  }
  google::protobuf::Service& servant(uint32_t index) { return *servants_[index]; }

  Broker& broker_;
  const std::size_t index_;
  reactor::EventLoop& loop_;
  std::vector<std::unique_ptr<google::protobuf::Service>> servants_;
  std::vector<std::vector<MethodPool>> pools_;  // [servant][method index]
  std::shared_ptr<const RoutingTable> routing_;
  uint64_t routing_version_ = 0;
  absl::flat_hash_map<uint64_t, Connection> connections_;
  uint64_t next_connection_ = 1;
};

}  // namespace weft::broker

#endif  // WEFT_BROKER_BROKER_SHARD_H_
