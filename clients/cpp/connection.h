// Connection: one wire-protocol connection of a Client: frame I/O over a Transport, the Hello /
// Welcome handshake, the table of outgoing calls (ids, deadlines, cancellation, the broker's
// max_in_flight), Pings, and write coalescing.
//
// Part of //clients/cpp (internal). It knows nothing of reconnection, servants or
// subscriptions: incoming Calls, Cancels, Releases and Publishes go to ConnectionCallbacks.
// Once dead (transport closed, GoAway, protocol error, or Shutdown()) it sends nothing more and
// fails every call that touches it with UNAVAILABLE.
//
// Lifetime: owned by the client, which must destroy it through EventLoop::DeferredDelete(),
// never inline: it may be mid-OnData() when the client decides to drop it.
// Threading: loop thread only.
#ifndef WEFT_CLIENTS_CPP_CONNECTION_H_
#define WEFT_CLIENTS_CPP_CONNECTION_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "clients/cpp/controller.h"
#include "google/protobuf/message.h"
#include "google/protobuf/stubs/callback.h"
#include "protocols/wire/wire_decoder.h"
#include "protocols/wire/wire_types.h"
#include "reactor/event_loop.h"
#include "reactor/transport.h"

namespace weft::clients::internal {

struct WelcomeInfo {
  std::string node;
  uint32_t max_frame_bytes = 0;
  uint32_t max_in_flight = 0;  // 0: unlimited.
};

// Events of a Connection, on the loop thread, never after OnLost().
class ConnectionCallbacks {
 public:
  ConnectionCallbacks() = default;
  ConnectionCallbacks(const ConnectionCallbacks&) = delete;
  ConnectionCallbacks& operator=(const ConnectionCallbacks&) = delete;
  virtual ~ConnectionCallbacks() = default;

  virtual void OnWelcome(const WelcomeInfo& welcome) = 0;
  virtual void OnIncomingCall(const protocols::wire::Call& call) = 0;
  virtual void OnIncomingCancel(uint64_t call_id) = 0;
  virtual void OnRelease(const protocols::wire::Release& release) = 0;
  virtual void OnPublication(const protocols::wire::Publish& publish) = 0;
  // A successful reply was parsed into `response`, just before its call completes.
  virtual void OnReplyParsed(const google::protobuf::Message& response) = 0;
  // The connection died (exactly once, unless Shutdown() came first); pending calls have already
  // failed UNAVAILABLE. `status` is the GoAway's status, or the local reason.
  virtual void OnLost(const absl::Status& status) = 0;
};

struct ConnectionConfig {
  std::string client_name;
  std::string token;
  uint32_t max_incoming_frame_bytes = 4 * 1024 * 1024;
  absl::Duration keepalive_interval = absl::ZeroDuration();
};

class Connection final : public reactor::TransportCallbacks, public reactor::DeferredDeletable {
 public:
  // Takes over `transport` and sends Hello. `callbacks` and `canceller` must outlive this.
  Connection(reactor::EventLoop& loop, std::unique_ptr<reactor::Transport> transport,
             ConnectionCallbacks& callbacks, CallCanceller& canceller,
             const ConnectionConfig& config);
  ~Connection() override;

  bool ready() const { return welcomed_ && !dead_; }
  bool dead() const { return dead_; }
  const WelcomeInfo& welcome() const { return welcome_; }
  std::size_t in_flight() const { return in_flight_; }
  std::size_t queued() const { return queue_.size(); }

  // Sends (or queues, past max_in_flight) a Call. Completion sets controller's status and runs
  // `done`, possibly inside this call (dead connection, request too large, already cancelled).
  // `service`/`method` must outlive the call. `timeout` infinite or non-positive: none.
  void StartCall(uint64_t call_id, absl::string_view service, uint64_t object_id,
                 absl::string_view method, const google::protobuf::Message& request,
                 google::protobuf::Message& response, Controller& controller,
                 google::protobuf::Closure& done, absl::Duration timeout);
  // Completes a pending call with `status` (sending Cancel if it was sent). Unknown ids: no-op.
  void CancelCall(uint64_t call_id, absl::Status status);

  // Sends Register; `done` gets the Reply's status, or UNAVAILABLE if the connection dies.
  void SendRegister(uint64_t call_id, const std::vector<std::string>& services,
                    const std::string& descriptors, absl::AnyInvocable<void(absl::Status)> done);
  // `response` is null for a failed call. RESOURCE_EXHAUSTED replaces an oversized response.
  void SendReply(uint64_t call_id, const absl::Status& status,
                 const google::protobuf::Message* response);
  void SendRelease(const std::vector<uint64_t>& object_ids);
  void SendSubscribe(absl::string_view topic, bool unsubscribe);
  absl::Status SendPublish(absl::string_view topic, const google::protobuf::Message& message);

  // Kills the connection without calling OnLost(): pending calls complete with `status`, the
  // transport closes after flushing.
  void Shutdown(absl::Status status);

  // reactor::TransportCallbacks
  void OnData(absl::string_view bytes) override;
  void OnReadEof() override;
  void OnWriteBufferHigh() override {}
  void OnWriteBufferLow() override {}
  void OnClosed(absl::Status reason) override;

 private:
  struct PendingCall {
    google::protobuf::Message* response = nullptr;
    Controller* controller = nullptr;
    google::protobuf::Closure* done = nullptr;
    std::unique_ptr<reactor::Timer> deadline;
    std::string queued_frame;  // The encoded Call while waiting for an in-flight slot.
    bool sent = false;
  };

  void HandleFrame(protocols::wire::Frame& frame);
  void HandleWelcome(const protocols::wire::Welcome& welcome);
  void HandleReply(const protocols::wire::Reply& reply);
  // Encodes the Call into `out`; RESOURCE_EXHAUSTED when over the broker's frame limit.
  absl::Status EncodeCall(uint64_t call_id, absl::string_view service, uint64_t object_id,
                          absl::string_view method, const google::protobuf::Message& request,
                          const Controller& controller, absl::Duration timeout, std::string& out);
  void ArmDeadline(uint64_t call_id, PendingCall& call, absl::Duration timeout);
  void Finish(uint64_t call_id, absl::Status status);
  void PumpQueue();
  bool HasSlot() const;
  void OnKeepaliveTick();
  // Sends GoAway(status) and dies with it.
  void ProtocolError(absl::Status status);
  // Marks dead, closes the transport, fails pending work with UNAVAILABLE, then OnLost().
  void Die(absl::Status status);
  void FailPending(const absl::Status& status);
  uint32_t peer_max_frame() const;
  void ScheduleFlush();
  void Flush();

  reactor::EventLoop& loop_;
  std::unique_ptr<reactor::Transport> transport_;
  ConnectionCallbacks& callbacks_;
  CallCanceller& canceller_;
  protocols::wire::WireDecoder decoder_;
  std::unique_ptr<reactor::Timer> flush_timer_;
  std::unique_ptr<reactor::Timer> keepalive_timer_;
  absl::Duration keepalive_interval_;

  WelcomeInfo welcome_;
  bool welcomed_ = false;
  bool dead_ = false;
  bool lost_reported_ = false;  // OnLost() delivered, or suppressed by Shutdown().
  bool ping_outstanding_ = false;
  uint64_t next_ping_nonce_ = 1;

  std::string out_;  // Frames not yet handed to the transport.
  absl::flat_hash_map<uint64_t, PendingCall> calls_;
  std::deque<uint64_t> queue_;  // Ids of queued calls (may hold ids since completed).
  // Sent calls given up locally whose Reply has not come: they still count in flight.
  absl::flat_hash_set<uint64_t> abandoned_;
  std::size_t in_flight_ = 0;
  absl::flat_hash_map<uint64_t, absl::AnyInvocable<void(absl::Status)>> registers_;
};

}  // namespace weft::clients::internal

#endif  // WEFT_CLIENTS_CPP_CONNECTION_H_
