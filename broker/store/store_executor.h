// StoreExecutor: the one thread a Store runs on, with group commit, answering loops through
// Deferreds.
//
// Part of //broker/store. Event loops never block on the database: they hand work to the
// executor and get a Deferred that fires on their own thread. Writes are grouped: every
// WriteBatch submitted while the previous commit ran goes into the next single transaction, so
// the commit rate (one fsync each) stays flat while the message rate grows with the number of
// concurrent senders. Reads run alone, after every write submitted before them, so a read sees
// every write its caller was answered for.
#ifndef WEFT_BROKER_STORE_STORE_EXECUTOR_H_
#define WEFT_BROKER_STORE_STORE_EXECUTOR_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "broker/store/store.h"
#include "reactor/deferred.h"
#include "reactor/event_loop.h"

namespace weft::broker::store {

// Counters since start; readable from any thread.
struct StoreStats {
  uint64_t commits = 0;         // Transactions (each one a durable sync).
  uint64_t batches = 0;         // WriteBatches submitted and committed.
  uint64_t failed_commits = 0;  // Transactions that returned an error.
  uint64_t reads = 0;
  uint64_t commit_micros_total = 0;
  uint64_t commit_micros_max = 0;
};

class StoreExecutor final {
 public:
  enum class Threading {
    kOwnThread,  // A store thread runs the work.
    kManual,     // Tests run it on their own thread with RunPending(): deterministic.
  };

  // Starts the store thread (unless kManual); `store` is used on it alone from now on.
  explicit StoreExecutor(std::unique_ptr<Store> store, Threading threading = Threading::kOwnThread);
  StoreExecutor(const StoreExecutor&) = delete;
  StoreExecutor& operator=(const StoreExecutor&) = delete;
  // Runs everything already submitted, then joins the thread. Every `loop` that work was
  // submitted for must still accept Post() (the results are posted and dropped if it stopped).
  // kManual: work not run yet is dropped unrun.
  ~StoreExecutor();

  // Commits `batch` in the next group transaction. Fires on `loop` with batch.enqueue's results
  // in order, or with the store's error (then nothing of the batch was applied). Call on `loop`.
  reactor::Deferred<std::vector<EnqueueResult>> Commit(reactor::EventLoop& loop, WriteBatch batch);

  // Runs `read` alone on the store thread, after every earlier submission, and fires on `loop`.
  template <typename T>
  reactor::Deferred<T> Run(reactor::EventLoop& loop,
                           absl::AnyInvocable<absl::StatusOr<T>(Store&)> read) {
    reactor::Promise<T> promise;
    reactor::Deferred<T> deferred = promise.GetDeferred();
    Work work;
    work.read = [&loop, read = std::move(read),
                 promise = std::move(promise)](Store& store) mutable {
      absl::StatusOr<T> result = read(store);
      loop.Post([promise = std::move(promise), result = std::move(result)]() mutable {
        promise.Complete(std::move(result));
      });
    };
    Submit(std::move(work));
    return deferred;
  }

  // kManual only: runs everything submitted so far (writes grouped as the thread would), and
  // returns how many submissions ran.
  std::size_t RunPending();

  StoreStats stats() const;
  int schema_version() const { return schema_version_; }

 private:
  struct Work {
    // Either a read, or a batch whose results `done` posts back.
    absl::AnyInvocable<void(Store&)> read;
    WriteBatch batch;
    absl::AnyInvocable<void(absl::StatusOr<std::vector<EnqueueResult>>)> done;
  };

  void Submit(Work work);
  void ThreadMain();
  // Runs `taken` in order: consecutive writes as one group, each read alone.
  void RunAll(std::deque<Work>& taken);
  // Commits consecutive writes as one transaction and hands each its results.
  void CommitGroup(std::vector<Work>& group);

  std::unique_ptr<Store> store_;
  const int schema_version_;
  absl::Mutex mutex_;
  std::deque<Work> queue_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> failed_commits_{0};
  std::atomic<uint64_t> reads_{0};
  std::atomic<uint64_t> commit_micros_total_{0};
  std::atomic<uint64_t> commit_micros_max_{0};
  std::thread thread_;
};

}  // namespace weft::broker::store

#endif  // WEFT_BROKER_STORE_STORE_EXECUTOR_H_
