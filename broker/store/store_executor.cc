#include "broker/store/store_executor.h"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace weft::broker::store {
namespace {

template <typename T>
void MoveAppend(std::vector<T>& from, std::vector<T>& to) {
  if (to.empty()) {
    to = std::move(from);
    return;
  }
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

}  // namespace

StoreExecutor::StoreExecutor(std::unique_ptr<Store> store, Threading threading)
    : store_(std::move(store)), schema_version_(store_->schema_version()) {
  if (threading == Threading::kOwnThread) thread_ = std::thread([this] { ThreadMain(); });
}

StoreExecutor::~StoreExecutor() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  // kManual drops what the test left: the loops its results would go to may be gone.
  if (thread_.joinable()) thread_.join();
}

std::size_t StoreExecutor::RunPending() {
  std::deque<Work> taken;
  {
    absl::MutexLock lock(&mutex_);
    taken.swap(queue_);
  }
  RunAll(taken);
  return taken.size();
}

reactor::Deferred<std::vector<EnqueueResult>> StoreExecutor::Commit(reactor::EventLoop& loop,
                                                                    WriteBatch batch) {
  reactor::Promise<std::vector<EnqueueResult>> promise;
  reactor::Deferred<std::vector<EnqueueResult>> deferred = promise.GetDeferred();
  Work work;
  work.batch = std::move(batch);
  work.done = [&loop, promise = std::move(promise)](
                  absl::StatusOr<std::vector<EnqueueResult>> result) mutable {
    loop.Post([promise = std::move(promise), result = std::move(result)]() mutable {
      promise.Complete(std::move(result));
    });
  };
  Submit(std::move(work));
  return deferred;
}

void StoreExecutor::Submit(Work work) {
  absl::MutexLock lock(&mutex_);
  queue_.push_back(std::move(work));
}

StoreStats StoreExecutor::stats() const {
  StoreStats stats;
  stats.commits = commits_.load(std::memory_order_relaxed);
  stats.batches = batches_.load(std::memory_order_relaxed);
  stats.failed_commits = failed_commits_.load(std::memory_order_relaxed);
  stats.reads = reads_.load(std::memory_order_relaxed);
  stats.commit_micros_total = commit_micros_total_.load(std::memory_order_relaxed);
  stats.commit_micros_max = commit_micros_max_.load(std::memory_order_relaxed);
  return stats;
}

void StoreExecutor::ThreadMain() {
  for (;;) {
    std::deque<Work> taken;
    {
      absl::MutexLock lock(&mutex_);
      mutex_.Await(absl::Condition(
          +[](StoreExecutor* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mutex_) {
            return self->stopping_ || !self->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // Stopping, and everything ran.
      taken.swap(queue_);
    }
    RunAll(taken);
  }
}

void StoreExecutor::RunAll(std::deque<Work>& taken) {
  // Consecutive writes share one transaction; a read first commits the writes before it.
  std::vector<Work> group;
  for (Work& work : taken) {
    if (work.read) {
      CommitGroup(group);
      work.read(*store_);
      reads_.fetch_add(1, std::memory_order_relaxed);
    } else {
      group.push_back(std::move(work));
    }
  }
  CommitGroup(group);
}

void StoreExecutor::CommitGroup(std::vector<Work>& group) {
  if (group.empty()) return;
  WriteBatch combined;
  std::vector<std::size_t> enqueued;  // Per work: how many enqueue entries it brought.
  enqueued.reserve(group.size());
  for (Work& work : group) {
    enqueued.push_back(work.batch.enqueue.size());
    MoveAppend(work.batch.enqueue, combined.enqueue);
    MoveAppend(work.batch.complete, combined.complete);
    MoveAppend(work.batch.failed, combined.failed);
    MoveAppend(work.batch.dead, combined.dead);
  }
  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<EnqueueResult>> results = store_->Commit(combined);
  if (results.ok() && results->size() != combined.enqueue.size()) {
    results = absl::InternalError("store: commit returned the wrong number of results");
  }
  const auto micros = static_cast<uint64_t>(absl::ToInt64Microseconds(absl::Now() - start));
  commits_.fetch_add(1, std::memory_order_relaxed);
  batches_.fetch_add(group.size(), std::memory_order_relaxed);
  commit_micros_total_.fetch_add(micros, std::memory_order_relaxed);
  uint64_t max = commit_micros_max_.load(std::memory_order_relaxed);
  while (micros > max && !commit_micros_max_.compare_exchange_weak(max, micros)) {
  }
  if (!results.ok()) failed_commits_.fetch_add(1, std::memory_order_relaxed);
  std::size_t offset = 0;
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (!results.ok()) {
      group[i].done(results.status());
      continue;
    }
    auto begin = results->begin() + static_cast<std::ptrdiff_t>(offset);
    group[i].done(
        std::vector<EnqueueResult>(begin, begin + static_cast<std::ptrdiff_t>(enqueued[i])));
    offset += enqueued[i];
  }
  group.clear();
}

}  // namespace weft::broker::store
