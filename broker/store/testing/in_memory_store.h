// InMemoryStore: a Store kept in memory, with failure injection for tests of code that uses one.
//
// Part of //broker/store/testing (testonly). It follows the Store contract (store.h) exactly as
// SqliteStore and PostgresStore do, and runs against the same contract suite
// (store_contract_test.cc): the same id order, idempotency and dead-letter rules, and times kept
// at microsecond precision. Nothing survives the object.
//
// Unlike the real stores it is thread-safe: a test may set it up and inject failures on one
// thread while the code under test calls it from another (its StoreExecutor thread).
#ifndef WEFT_BROKER_STORE_TESTING_IN_MEMORY_STORE_H_
#define WEFT_BROKER_STORE_TESTING_IN_MEMORY_STORE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker/store/store.h"

namespace weft::broker::store {

class InMemoryStore final : public Store {
 public:
  // What schema_version() reports: the fake has no schema, so it claims the first version.
  static constexpr int kSchemaVersion = 1;

  InMemoryStore() = default;

  // Store
  int schema_version() const override { return kSchemaVersion; }
  absl::StatusOr<std::vector<EnqueueResult>> Commit(const WriteBatch& batch) override;
  absl::StatusOr<std::vector<StoredMessage>> LoadLive(absl::string_view queue, int64_t after_id,
                                                      std::size_t limit) override;
  absl::StatusOr<std::vector<StoredMessage>> LoadDead(absl::string_view queue, int64_t after_id,
                                                      std::size_t limit) override;
  absl::StatusOr<StoredMessage> Get(int64_t id) override;
  absl::StatusOr<std::vector<QueueInfo>> ListQueues() override;
  absl::StatusOr<int64_t> Replay(absl::string_view queue, std::optional<int64_t> id,
                                 absl::Time now) override;
  absl::StatusOr<int64_t> Purge(absl::string_view queue, bool include_live) override;
  absl::StatusOr<int64_t> ExpireIdempotencyKeys(absl::Time cutoff) override;

  // Failure injection. Each makes a group of methods return `status` (applying nothing) until it
  // is called again with absl::OkStatus(). Callable from any thread.
  //   FailCommits: Commit().
  //   FailReads: LoadLive(), LoadDead(), Get() and ListQueues().
  //   FailMaintenance: Replay(), Purge() and ExpireIdempotencyKeys().
  void FailCommits(absl::Status status);
  void FailReads(absl::Status status);
  void FailMaintenance(absl::Status status);

  // How many Commit() calls have succeeded, so tests can check how work was batched.
  int64_t commit_count() const;

 private:
  struct KeyRecord {
    int64_t message_id = 0;
    absl::Time recorded_at;
  };

  int64_t EnqueueLocked(const NewMessage& message, bool& duplicate)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // The live message with `id`, or null.
  StoredMessage* FindLiveLocked(int64_t id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  std::vector<StoredMessage> LoadLocked(absl::string_view queue, bool dead, int64_t after_id,
                                        std::size_t limit) const ABSL_SHARED_LOCKS_REQUIRED(mutex_);

  mutable absl::Mutex mutex_;
  // By id, so iteration is in id order.
  std::map<int64_t, StoredMessage> messages_ ABSL_GUARDED_BY(mutex_);
  // By (queue, key).
  std::map<std::pair<std::string, std::string>, KeyRecord> keys_ ABSL_GUARDED_BY(mutex_);
  int64_t last_id_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t commit_count_ ABSL_GUARDED_BY(mutex_) = 0;
  absl::Status commit_failure_ ABSL_GUARDED_BY(mutex_);
  absl::Status read_failure_ ABSL_GUARDED_BY(mutex_);
  absl::Status maintenance_failure_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace weft::broker::store

#endif  // WEFT_BROKER_STORE_TESTING_IN_MEMORY_STORE_H_
