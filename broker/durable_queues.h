// DurableQueues: store-and-forward delivery for durable routes, with retries, dead letters and
// idempotency keys (docs/durability.md).
//
// Part of //broker. Lives on the home loop. A call that a durable route sends to queue Q is
// committed to the store (through the StoreExecutor's group commit) before its caller gets an
// empty OK reply; from then on the queue owns it and delivers it to its service as an ordinary
// call from an internal connection, bypassing routes. A delivery that fails (any status but OK,
// including "no such service" while the target is offline) is retried with exponential backoff
// and jitter until the policy's last attempt, after which the message becomes a dead letter
// carrying the last error. Ordered queues (the default) deliver one message at a time in id order;
// unordered ones keep up to max_in_flight deliveries running. Delivery is at least once: a crash
// after a delivery but before its completion is committed delivers the message again, with the
// same `weft-idempotency-key` and `weft-message-id` metadata so that the target can recognise it.
//
// Memory: each queue keeps a window of its oldest live messages (up to kWindow) and reloads from
// the store when the window drains, so a long outage costs disk, not memory.
#ifndef WEFT_BROKER_DURABLE_QUEUES_H_
#define WEFT_BROKER_DURABLE_QUEUES_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "broker/events.h"
#include "broker/ids.h"
#include "broker/peer.h"
#include "broker/store/store.h"
#include "broker/store/store_executor.h"
#include "google/protobuf/descriptor.h"
#include "reactor/deferred.h"
#include "reactor/event_loop.h"

namespace weft::broker {

class BrokerShard;

// How a durable queue delivers (the config's DurableDelivery, with defaults applied).
struct DurablePolicy {
  int32_t max_attempts = 10;
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(5);
  absl::Duration attempt_timeout = absl::Seconds(30);
  // At most one: the metadata key, or the request's top-level field, holding the idempotency key.
  std::string idempotency_metadata;
  std::string idempotency_field;
  bool ordered = true;
  // Unordered queues only.
  int32_t max_in_flight = 64;
};

// One queue: its name and the service it delivers to ("" means the called service).
struct QueueSpec {
  std::string name;
  std::string service;
  DurablePolicy policy;
};

// A queue as the control plane shows it.
struct QueueStatus {
  std::string name;
  bool configured = false;  // A route uses it (else only messages are left in the store).
  int64_t live = 0;
  int64_t dead = 0;
  std::optional<absl::Time> oldest_live;
  int64_t in_flight = 0;
  uint64_t delivered = 0;
  uint64_t retries = 0;
  uint64_t dead_lettered = 0;
};

// Counters since start, over every queue.
struct DurableStats {
  uint64_t accepted = 0;    // Calls committed and acknowledged.
  uint64_t duplicates = 0;  // Calls answered OK without queueing: their key was known.
  uint64_t refused = 0;     // Calls answered with an error (store error, no key, bad payload).
  uint64_t delivered = 0;
  uint64_t retries = 0;
  uint64_t dead_lettered = 0;
  uint64_t store_errors = 0;  // Failed commits of completions, failures and dead letters.
};

class DurableQueues final : public PeerCallbacks {
 public:
  static constexpr std::size_t kWindow = 4096;
  // Bounds that keep every store's index rows small (PostgreSQL refuses rows over ~2.7 KB).
  static constexpr std::size_t kMaxQueueNameBytes = 200;
  static constexpr std::size_t kMaxIdempotencyKeyBytes = 256;

  // Delivers through `home` (the home loop's shard, which outlives this). Dead letters are told
  // to `events` (nullable; it outlives this). Call Start() next.
  DurableQueues(BrokerShard& home, reactor::EventLoop& loop, store::StoreExecutor& store,
                absl::Duration idempotency_retention, EventHub* events = nullptr);
  ~DurableQueues() override;

  // Connects to the home shard and loads every configured queue's live messages.
  void Start();
  // Disconnects; deliveries in flight are abandoned (they will be delivered again).
  void Stop();

  // Adds a queue or replaces its policy and service (messages stay). kInvalidArgument for a name
  // that is empty or longer than kMaxQueueNameBytes, or two idempotency sources.
  absl::Status Configure(QueueSpec spec);
  // The queue stops delivering; its messages stay in the store. False when not configured.
  bool Remove(absl::string_view name);
  const QueueSpec* Find(absl::string_view name) const;

  // `service` just registered: messages for it waiting out a retry backoff are due at once.
  void ServiceAvailable(absl::string_view service);

  // Stores one call for `queue`. `method` is the called method when known (the idempotency field
  // is read through it; the caller has checked the payload against its request type). `answer`
  // runs on the home loop once: OK after the commit (or for a duplicate key), else the error:
  // kNotFound (no such queue), kInvalidArgument (missing key, or one over
  // kMaxIdempotencyKeyBytes),
  // kFailedPrecondition (a field key on a method not known yet), or the store's error.
  void Accept(absl::string_view queue, absl::string_view service, absl::string_view method_name,
              const google::protobuf::MethodDescriptor* method, absl::string_view payload,
              MetadataView metadata, absl::AnyInvocable<void(absl::Status)> answer);

  // Inspection and repair, for the control plane. Each fires on the home loop.
  reactor::Deferred<std::vector<QueueStatus>> List();
  reactor::Deferred<std::vector<store::StoredMessage>> DeadLetters(std::string queue,
                                                                   int64_t after_id,
                                                                   std::size_t limit);
  reactor::Deferred<store::StoredMessage> Get(int64_t id);
  // Dead letters back to live (one, or all of the queue); returns how many.
  reactor::Deferred<int64_t> Replay(std::string queue, std::optional<int64_t> id);
  // Deletes dead letters (and live messages when `include_live`); returns how many.
  reactor::Deferred<int64_t> Purge(std::string queue, bool include_live);

  const DurableStats& stats() const { return stats_; }

  // PeerCallbacks (the internal connection deliveries come back on)
  void OnReply(uint64_t call_id, const absl::Status& status, const Payload& payload) override;
  void OnCall(const OutgoingCall& call) override;
  void OnCancel(uint64_t call_id) override;
  void OnRelease(absl::Span<const uint64_t> object_ids) override;
  void OnPublish(absl::string_view topic, absl::string_view payload,
                 absl::string_view type_url) override;

 private:
  struct Queue;
  struct Delivery {
    Queue* queue = nullptr;
    store::StoredMessage message;
  };

  Queue& QueueFor(absl::string_view name);
  void Enqueued(Queue& queue, store::StoredMessage message);
  void Refill(Queue& queue);
  void Reset(Queue& queue);
  void SchedulePump();
  void Pump();
  void PumpQueue(Queue& queue);
  void Deliver(Queue& queue, store::StoredMessage message);
  void Failed(Queue& queue, store::StoredMessage message, const absl::Status& status);
  absl::Duration Backoff(const DurablePolicy& policy, int32_t attempts);
  void FlushWrites();
  void WritesCommitted(const absl::Status& status, std::vector<std::pair<Queue*, int64_t>> settled,
                       store::WriteBatch batch);

  BrokerShard& home_;
  reactor::EventLoop& loop_;
  store::StoreExecutor& store_;
  const absl::Duration idempotency_retention_;
  EventHub* const events_;
  std::optional<ConnectionRef> self_;
  absl::flat_hash_map<std::string, std::unique_ptr<Queue>> queues_;
  absl::flat_hash_map<uint64_t, Delivery> in_flight_;
  uint64_t next_call_ = 1;
  bool pump_scheduled_ = false;
  // Completions, failures and dead letters not yet handed to the store.
  store::WriteBatch writes_;
  std::vector<std::pair<Queue*, int64_t>> settling_;  // The messages `writes_` settles.
  bool flush_scheduled_ = false;
  std::unique_ptr<reactor::Timer> expire_timer_;
  std::unique_ptr<reactor::Timer> retry_writes_timer_;
  absl::BitGen random_;
  DurableStats stats_;
  // Points at this object until it is destroyed; posted tasks and store callbacks keep a copy.
  std::shared_ptr<DurableQueues*> liveness_;
};

}  // namespace weft::broker

#endif  // WEFT_BROKER_DURABLE_QUEUES_H_
