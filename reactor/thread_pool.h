// ThreadPool: a fixed set of worker threads for blocking work, and DeferToThread(), which runs a
// function there and delivers its result as a Deferred on a loop thread.
//
// Part of //reactor. Loop callbacks never block; code that must (a blocking library call, a
// large file read, password hashing) hands the work to a pool and gets a Deferred back, as with
// Twisted's deferToThread. The pool is plain shared state behind one absl::Mutex.
#ifndef WEFT_REACTOR_THREAD_POOL_H_
#define WEFT_REACTOR_THREAD_POOL_H_

#include <deque>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "reactor/deferred.h"
#include "reactor/event_loop.h"

namespace weft::reactor {

class ThreadPool final {
 public:
  // Starts `threads` (> 0) workers.
  explicit ThreadPool(int threads);
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Orderly shutdown: runs every task already queued (and any they submit), then joins the
  // workers. Blocks until running tasks return, so a task must not wait for the thread that
  // destroys the pool. No other thread may Submit() once destruction has begun.
  ~ThreadPool();

  // Queues `task` to run once on some worker, in FIFO order of submission. Thread-safe.
  void Submit(absl::AnyInvocable<void()> task);

  int size() const { return static_cast<int>(workers_.size()); }

 private:
  void WorkerLoop();

  absl::Mutex mutex_;
  absl::CondVar work_available_;
  std::deque<absl::AnyInvocable<void()>> queue_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<std::thread> workers_;
};

namespace thread_pool_internal {

// DeferToThread(f) yields Deferred<U> where f returns U or absl::StatusOr<U>, and Deferred<void>
// where it returns absl::Status or void.
template <typename F>
using DeferredValue = deferred_internal::NormalizedType<F>;

// loop.Post(deliver), plus the ThreadSanitizer annotations that make the ordering Post() gives
// visible (see thread_pool.cc). Called on the pool thread.
void PostToLoop(EventLoop& loop, absl::AnyInvocable<void()> deliver);

template <typename F>
DeferredResult<DeferredValue<F>> Run(F& f) {
  using R = std::invoke_result_t<F&>;
  if constexpr (std::is_void_v<R>) {
    f();
    return absl::OkStatus();
  } else {
    return f();
  }
}

}  // namespace thread_pool_internal

// Runs `f` on a `pool` worker and fires the returned Deferred with its result on `loop`'s thread
// (the result is handed over with loop.Post()). f returns U, absl::StatusOr<U>, absl::Status or
// void; it must not touch loop-bound objects, and may not return a Deferred. If the Deferred is
// cancelled meanwhile it fires kCancelled at once; f still runs to completion and its result is
// destroyed on the loop thread. `loop` must outlive the work: destroy the pool (which drains it)
// before the loop. Call on `loop`'s thread.
template <typename F>
Deferred<thread_pool_internal::DeferredValue<F>> DeferToThread(EventLoop& loop, ThreadPool& pool,
                                                               F f) {
  using T = thread_pool_internal::DeferredValue<F>;
  static_assert(!deferred_internal::kIsDeferred<std::remove_cvref_t<std::invoke_result_t<F&>>>,
                "a Deferred is loop-bound; a pool thread cannot return one");
  Promise<T> promise;
  Deferred<T> deferred = promise.GetDeferred();
  // The Promise crosses threads only as a moved pointer; its state is touched on `loop` alone.
  pool.Submit([&loop, f = std::move(f), promise = std::move(promise)]() mutable {
    DeferredResult<T> result = thread_pool_internal::Run(f);
    thread_pool_internal::PostToLoop(
        loop, [promise = std::move(promise), result = std::move(result)]() mutable {
          promise.Complete(std::move(result));
        });
  });
  return deferred;
}

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_THREAD_POOL_H_
