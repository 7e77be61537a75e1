// ClientCore: the state behind a Client facade: the current Connection, reconnection, the call
// path, held references, hosted servants and subscriptions.
//
// Part of //clients/cpp (internal). The facade owns it and, when destroyed, shuts it down and
// hands it to EventLoop::DeferredDelete(), so a Client may be destroyed from inside any of its
// callbacks while this code is still on the stack. Loop thread only.
#ifndef WEFT_CLIENTS_CPP_CLIENT_CORE_H_
#define WEFT_CLIENTS_CPP_CLIENT_CORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "clients/cpp/backoff.h"
#include "clients/cpp/client.h"
#include "clients/cpp/connection.h"
#include "clients/cpp/object_ref_walker.h"
#include "clients/cpp/servant_dispatcher.h"
#include "reactor/deferred.h"
#include "reactor/event_loop.h"

namespace weft::clients::internal {

class ClientCore final : public ConnectionCallbacks,
                         public CallCanceller,
                         public DispatcherHost,
                         public reactor::DeferredDeletable {
 public:
  ClientCore(reactor::EventLoop& loop, TransportConnector connector, ClientOptions options);
  ~ClientCore() override;

  // Starts the first attempt; `self` is the facade, handed to the Deferred on Welcome.
  reactor::Deferred<std::unique_ptr<Client>> ConnectFirst(std::unique_ptr<Client> self);
  // Closes for good (`reason` completes pending calls) and detaches refs and subscriptions.
  void Shutdown(absl::Status reason);

  // --- Calls (client_core.cc) ---
  void StartCall(absl::string_view service, uint64_t object_id, uint64_t generation,
                 const google::protobuf::MethodDescriptor& method, Controller& controller,
                 const google::protobuf::Message& request, google::protobuf::Message& response,
                 google::protobuf::Closure& done);
  google::protobuf::RpcChannel& service_channel();
  absl::Status Publish(absl::string_view topic, const google::protobuf::Message& message);

  // --- Objects, services, subscriptions (client_objects.cc) ---
  std::unique_ptr<HeldRef> AdoptHeld(Client& facade, const weft::v1::ObjectRef& ref,
                                     absl::Status& status);
  absl::Status ReleaseUnadopted(const weft::v1::ObjectRef& ref);
  uint64_t unadopted_count(uint64_t object_id) const;
  void DropRef(HeldRef& held);
  weft::v1::ObjectRef Export(std::unique_ptr<google::protobuf::Service> servant);
  std::size_t exported_count() const { return dispatcher_.exported_count(); }
  reactor::Deferred<void> Register(
      std::vector<std::unique_ptr<google::protobuf::Service>> services);
  std::unique_ptr<Subscription> Subscribe(Client& facade, absl::string_view topic,
                                          PublicationCallback callback);
  void Unsubscribe(Subscription& subscription);

  ConnectionState state() const { return state_; }
  const absl::Status& last_error() const { return last_error_; }
  const std::string& node() const { return node_; }
  void SetStateCallback(StateCallback callback) { state_callback_ = std::move(callback); }
  reactor::EventLoop& loop() const { return loop_; }

  // ConnectionCallbacks
  void OnWelcome(const WelcomeInfo& welcome) override;
  void OnIncomingCall(const protocols::wire::Call& call) override;
  void OnIncomingCancel(uint64_t call_id) override;
  void OnRelease(const protocols::wire::Release& release) override;
  void OnPublication(const protocols::wire::Publish& publish) override;
  void OnReplyParsed(const google::protobuf::Message& response) override;
  void OnLost(const absl::Status& status) override;

  // CallCanceller
  void CancelCall(uint64_t call_id) override;

  // DispatcherHost
  void SendReply(uint64_t generation, uint64_t call_id, const absl::Status& status,
                 const google::protobuf::Message* response) override;
  void OnRequestParsed(const google::protobuf::Message& request) override;

 private:
  class ServiceChannel;

  bool ready() const { return connection_ != nullptr && connection_->ready() && !closed_; }
  void StartAttempt();
  void OnTransport(absl::StatusOr<std::unique_ptr<reactor::Transport>> transport);
  void AttemptFailed(absl::Status status);
  void ConnectionDropped(absl::Status status);
  void ScheduleReconnect(absl::Status status);
  void SetState(ConnectionState state, absl::Status reason);
  void DropConnection();
  void Reestablish();
  void CountReceived(const google::protobuf::Message& message);
  void CountSent(const google::protobuf::Message& message);
  void FlushReleases();

  reactor::EventLoop& loop_;
  TransportConnector connector_;
  ClientOptions options_;
  Backoff backoff_;
  std::unique_ptr<ServiceChannel> service_channel_;
  ObjectRefWalker walker_;
  ServantDispatcher dispatcher_;

  ConnectionState state_ = ConnectionState::kConnecting;
  absl::Status last_error_;
  StateCallback state_callback_;
  bool closed_ = false;
  bool first_connect_ = true;
  std::string node_;

  std::unique_ptr<reactor::ConnectRequest> attempt_;
  std::unique_ptr<Connection> connection_;
  uint64_t generation_ = 0;  // Of connection_; bumped for each new connection.
  std::unique_ptr<reactor::Timer> connect_timer_;
  std::unique_ptr<reactor::Timer> backoff_timer_;
  std::unique_ptr<reactor::Timer> release_timer_;

  // The first Connect(): the facade and its promise until Welcome or failure.
  std::unique_ptr<Client> pending_self_;
  std::optional<reactor::Promise<std::unique_ptr<Client>>> connect_promise_;

  uint64_t next_call_id_ = 1;
  absl::flat_hash_map<uint64_t, uint64_t> unadopted_;  // Received counts not yet adopted.
  absl::flat_hash_set<HeldRef*> refs_;                 // Live HeldRefs of any generation.
  std::vector<uint64_t> pending_releases_;             // Batched until the loop iteration ends.

  absl::flat_hash_map<std::string, std::vector<Subscription*>> subscriptions_;
  absl::flat_hash_set<Subscription*> live_subscriptions_;
};

}  // namespace weft::clients::internal

#endif  // WEFT_CLIENTS_CPP_CLIENT_CORE_H_
