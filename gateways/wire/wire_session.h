// WireSession: one native-wire-protocol connection (docs/wire.md), glue between its transport,
// the frame codec (protocols/wire) and the broker shard of its loop.
//
// Part of //gateways/wire. The session decodes frames in place, hands them to the BrokerShard and
// writes what the broker answers (replies, calls to what the peer hosts, releases,
// publications). Replies produced while a batch of input is handled are coalesced into one
// transport write. Flow control: while the transport's write buffer is above its high watermark
// the session stops reading, so a peer that does not read its replies cannot make the broker
// buffer more. Loop thread only.
#ifndef WEFT_GATEWAYS_WIRE_WIRE_SESSION_H_
#define WEFT_GATEWAYS_WIRE_WIRE_SESSION_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "broker/broker_shard.h"
#include "broker/ids.h"
#include "broker/peer.h"
#include "protocols/wire/limits.h"
#include "protocols/wire/wire_decoder.h"
#include "protocols/wire/wire_types.h"
#include "reactor/event_loop.h"
#include "reactor/protocol.h"

namespace weft::gateways::wire {

struct WireSessionOptions {
  protocols::wire::WireLimits limits;
  // Calls (and Registers) a peer may have waiting for replies; announced in Welcome.
  uint32_t max_in_flight = 1024;
  // A peer silent this long is closed; after half of it the session pings.
  absl::Duration idle_timeout = absl::Minutes(5);
  // This broker's name, announced in Welcome.
  std::string node = "weft";
  // Accepted bearer tokens; nullptr when Hello needs none. Must outlive the session.
  const absl::flat_hash_set<std::string>* tokens = nullptr;
  // Publications a subscriber may miss in a row (its send buffer full) before it is closed.
  uint32_t max_dropped_publications = 1024;
};

class WireSession;

// The live sessions of one loop, for draining. Sessions add and remove themselves.
class WireSessionSet {
 public:
  // Drain() on every session.
  void DrainAll();
  std::size_t size() const { return sessions_.size(); }

 private:
  friend class WireSession;
  absl::flat_hash_set<WireSession*> sessions_;
};

class WireSession final : public reactor::Protocol, public broker::PeerCallbacks {
 public:
  // `loop`, `shard`, `options` and `sessions` (nullable) outlive the session.
  WireSession(reactor::EventLoop& loop, broker::BrokerShard& shard,
              const WireSessionOptions& options, WireSessionSet* sessions);
  ~WireSession() override;

  // Stops taking calls: new ones get UNAVAILABLE; once those in flight are answered the session
  // sends GoAway UNAVAILABLE "draining" and closes.
  void Drain();

  // reactor::Protocol
  void ConnectionMade(reactor::Transport& transport) override;
  void OnData(absl::string_view bytes) override;
  void OnReadEof() override;
  void OnWriteBufferHigh() override;
  void OnWriteBufferLow() override;
  void OnClosed(absl::Status reason) override;

  // broker::PeerCallbacks
  void OnReply(uint64_t call_id, const absl::Status& status,
               const broker::Payload& payload) override;
  void OnCall(const broker::OutgoingCall& call) override;
  void OnCancel(uint64_t call_id) override;
  void OnRelease(absl::Span<const uint64_t> object_ids) override;
  void OnPublish(absl::string_view topic, absl::string_view payload,
                 absl::string_view type_url) override;

 private:
  enum class State { kAwaitingHello, kOpen, kClosing, kClosed };

  void HandleFrame(protocols::wire::Frame& frame);
  void HandleHello(const protocols::wire::Hello& hello);
  void HandleCall(const protocols::wire::Call& call);
  void HandleRegister(const protocols::wire::Register& frame);
  void ReplyError(uint64_t call_id, const absl::Status& status);
  void GoAway(const absl::Status& status);
  void CheckDrained();
  void Flush();
  void OnIdleTimer();

  reactor::EventLoop& loop_;
  broker::BrokerShard& shard_;
  const WireSessionOptions& options_;
  WireSessionSet* const sessions_;
  protocols::wire::WireDecoder decoder_;
  State state_ = State::kAwaitingHello;
  broker::ConnectionRef connection_;
  bool connected_ = false;
  broker::ConnectionBytes bytes_;  // For the control plane (BrokerShard::Connections()).
  std::string out_;
  bool in_data_ = false;   // Inside OnData(): writes wait for its end.
  bool draining_ = false;  // Drain() or the peer's EOF: close once nothing is in flight.
  bool paused_for_output_ = false;
  bool close_called_ = false;
  uint32_t in_flight_ = 0;
  uint32_t dropped_publications_ = 0;
  absl::Time last_activity_;
  bool pinged_ = false;
  uint64_t ping_nonce_ = 0;
  std::unique_ptr<reactor::Timer> idle_timer_;
};

}  // namespace weft::gateways::wire

#endif  // WEFT_GATEWAYS_WIRE_WIRE_SESSION_H_
