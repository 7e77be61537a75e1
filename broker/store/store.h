// Store: the broker's durable state (durable queues, their dead letters and idempotency keys),
// behind one interface with a SQLite and a PostgreSQL implementation.
//
// Part of //broker/store. Every method blocks on the database, so a Store is used from one
// dedicated thread (StoreExecutor, store_executor.h), never from an event loop. Not thread-safe.
//
// Semantics shared by every implementation (the contract suite in store_contract_test.cc,
// store_idempotency_test.cc, store_dead_letter_test.cc and store_persistence_test.cc runs them
// all):
//   - Commit() applies a WriteBatch in one transaction, durably (fsync on: SQLite WAL with
//     synchronous=FULL, PostgreSQL synchronous_commit on) before it returns OK; on error nothing
//     of the batch is applied, with one exception: kUnavailable from a database server may mean
//     the connection broke after COMMIT reached it, so the outcome is unknown (callers rely on
//     idempotency keys to resend safely).
//   - One process writes to a store at a time (ids increase in commit order only then).
//   - Message ids are assigned by the store, positive and increasing in commit order across all
//     queues.
//   - A queued message is "live" until completed or dead-lettered; a dead letter stays until
//     replayed (live again, attempts reset) or purged.
//   - An idempotency key is unique per queue from the enqueue of its message until it expires
//     (ExpireIdempotencyKeys), whether its message is live, dead or completed meanwhile.
//   - Every string field is arbitrary bytes (NULs, not UTF-8) and round-trips exactly; times
//     are kept to the microsecond, rounded down.
// Errors: kUnavailable (database unreachable; retry later), kResourceExhausted (disk or quota
// full), kNotFound (no such message), kInvalidArgument, kInternal (anything else). Messages start
// with "store: " and never contain connection strings or passwords.
#ifndef WEFT_BROKER_STORE_STORE_H_
#define WEFT_BROKER_STORE_STORE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace weft::broker::store {

using Metadata = std::vector<std::pair<std::string, std::string>>;

// A message to enqueue.
struct NewMessage {
  std::string queue;
  // Where it is delivered: full service name and bare method name.
  std::string service;
  std::string method;
  // The serialized request.
  std::string payload;
  Metadata metadata;
  // Empty: none.
  std::string idempotency_key;
  absl::Time enqueued_at;
};

// A message as stored.
struct StoredMessage {
  int64_t id = 0;
  std::string queue;
  std::string service;
  std::string method;
  std::string payload;
  Metadata metadata;
  std::string idempotency_key;
  absl::Time enqueued_at;
  // Delivery attempts made so far, and when the next one is due (enqueued_at before the first).
  int32_t attempts = 0;
  absl::Time next_attempt_at;
  // The last attempt's error ("" before any), as "CODE: message".
  std::string last_error;
  bool dead = false;
};

// A failed delivery attempt: the message stays live and is retried at `next_attempt_at`.
struct AttemptFailed {
  int64_t id = 0;
  int32_t attempts = 0;
  absl::Time next_attempt_at;
  std::string error;
};

// The last attempt failed: the message becomes a dead letter.
struct DeadLettered {
  int64_t id = 0;
  int32_t attempts = 0;
  std::string error;
};

// Everything one transaction applies, in this order: enqueues, completions, failures, dead
// letters. Ids that are not live are skipped in the last three (a message purged meanwhile).
struct WriteBatch {
  std::vector<NewMessage> enqueue;
  // Delivered: the messages are deleted; their idempotency keys stay until they expire.
  std::vector<int64_t> complete;
  std::vector<AttemptFailed> failed;
  std::vector<DeadLettered> dead;

  bool empty() const {
    return enqueue.empty() && complete.empty() && failed.empty() && dead.empty();
  }
};

// Per WriteBatch::enqueue entry, in order.
struct EnqueueResult {
  int64_t id = 0;
  // The queue already had this idempotency key: nothing was added and `id` is the message that
  // holds the key (which may be completed and gone by now).
  bool duplicate = false;
};

struct QueueInfo {
  std::string name;
  int64_t live = 0;
  int64_t dead = 0;
  // Enqueue time of the oldest live message; nullopt when none is live.
  std::optional<absl::Time> oldest_live;
};

class Store {
 public:
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  virtual ~Store() = default;

  // The schema version this store is at (after the migrations its factory applied).
  virtual int schema_version() const = 0;

  // Applies `batch` atomically and durably. Results are for batch.enqueue, in order.
  virtual absl::StatusOr<std::vector<EnqueueResult>> Commit(const WriteBatch& batch) = 0;

  // Up to `limit` live messages of `queue` with id > `after_id`, by increasing id.
  virtual absl::StatusOr<std::vector<StoredMessage>> LoadLive(absl::string_view queue,
                                                              int64_t after_id,
                                                              std::size_t limit) = 0;
  // Up to `limit` dead letters of `queue` with id > `after_id`, by increasing id.
  virtual absl::StatusOr<std::vector<StoredMessage>> LoadDead(absl::string_view queue,
                                                              int64_t after_id,
                                                              std::size_t limit) = 0;
  // One message, live or dead. kNotFound when there is none with that id.
  virtual absl::StatusOr<StoredMessage> Get(int64_t id) = 0;

  // Every queue with at least one live or dead message, by name.
  virtual absl::StatusOr<std::vector<QueueInfo>> ListQueues() = 0;

  // Makes dead letters live again, keeping their ids, with attempts 0, last_error "" and
  // next_attempt_at `now`: the one with `id` (when set; kNotFound unless it is a dead letter of
  // `queue`), else all of `queue`. Returns how many.
  virtual absl::StatusOr<int64_t> Replay(absl::string_view queue, std::optional<int64_t> id,
                                         absl::Time now) = 0;
  // Deletes dead letters of `queue` (and its live messages too when `include_live`). Returns how
  // many. Their idempotency keys stay until they expire.
  virtual absl::StatusOr<int64_t> Purge(absl::string_view queue, bool include_live) = 0;

  // Forgets idempotency keys recorded before `cutoff` whose message is no longer stored. A key
  // is recorded at its message's enqueued_at. Returns how many.
  virtual absl::StatusOr<int64_t> ExpireIdempotencyKeys(absl::Time cutoff) = 0;
};

}  // namespace weft::broker::store

#endif  // WEFT_BROKER_STORE_STORE_H_
