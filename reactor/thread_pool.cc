#include "reactor/thread_pool.h"

#include <utility>

#include "reactor/base/check.h"

// Debian's libabsl is built without ThreadSanitizer annotations, so under -fsanitize=thread the
// ordering that absl::Mutex provides is invisible and every guarded access looks like a race.
// These calls state that ordering explicitly; they compile to nothing in other builds.
#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#define WEFT_TSAN_ACQUIRE(addr) __tsan_acquire(addr)
#define WEFT_TSAN_RELEASE(addr) __tsan_release(addr)
#else
#define WEFT_TSAN_ACQUIRE(addr) static_cast<void>(addr)
#define WEFT_TSAN_RELEASE(addr) static_cast<void>(addr)
#endif

namespace weft::reactor {
namespace {

// absl::MutexLock plus the ThreadSanitizer annotations above.
class ABSL_SCOPED_LOCKABLE PoolLock {
 public:
  explicit PoolLock(absl::Mutex& mutex) ABSL_EXCLUSIVE_LOCK_FUNCTION(mutex) : mutex_(mutex) {
    mutex_.Lock();
    WEFT_TSAN_ACQUIRE(&mutex_);
  }
  PoolLock(const PoolLock&) = delete;
  PoolLock& operator=(const PoolLock&) = delete;
  ~PoolLock() ABSL_UNLOCK_FUNCTION() {
    WEFT_TSAN_RELEASE(&mutex_);
    mutex_.Unlock();
  }

  void Wait(absl::CondVar& condition) {
    WEFT_TSAN_RELEASE(&mutex_);
    condition.Wait(&mutex_);
    WEFT_TSAN_ACQUIRE(&mutex_);
  }

 private:
  absl::Mutex& mutex_;
};

}  // namespace

ThreadPool::ThreadPool(int threads) {
  WEFT_CHECK(threads > 0);
  workers_.reserve(threads);
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    PoolLock lock(mutex_);
    stopping_ = true;
  }
  work_available_.SignalAll();
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::Submit(absl::AnyInvocable<void()> task) {
  {
    PoolLock lock(mutex_);
    queue_.push_back(std::move(task));
  }
  work_available_.Signal();
}

namespace thread_pool_internal {

// EventLoop::Post() orders everything before it with the task it queues, but EpollEventLoop's
// queue sits behind an absl::Mutex that TSAN cannot see; release/acquire on the loop's address
// says so explicitly for the results DeferToThread() hands over.
void PostToLoop(EventLoop& loop, absl::AnyInvocable<void()> deliver) {
  WEFT_TSAN_RELEASE(&loop);
  loop.Post([&loop, deliver = std::move(deliver)]() mutable {
    WEFT_TSAN_ACQUIRE(&loop);
    deliver();
  });
}

}  // namespace thread_pool_internal

void ThreadPool::WorkerLoop() {
  while (true) {
    absl::AnyInvocable<void()> task;
    {
      PoolLock lock(mutex_);
      while (queue_.empty() && !stopping_) lock.Wait(work_available_);
      if (queue_.empty()) return;  // Stopping, and nothing left to drain.
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace weft::reactor
