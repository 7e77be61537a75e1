// EpollEventLoop: the production EventLoop, one per thread, over Linux epoll.
//
// Part of //reactor. Besides the EventLoop contract it offers what only a real loop can: fd
// readiness (FdHandler), Run()/Stop(), and zero-allocation deferred calls (DeferredCall) that
// transports use to report events outside the call that caused them. Readiness is
// level-triggered: a handler that leaves bytes unread is called again on the next iteration, so
// one read per wake-up suffices and fairness across connections comes for free.
#ifndef WEFT_REACTOR_EPOLL_EVENT_LOOP_H_
#define WEFT_REACTOR_EPOLL_EVENT_LOOP_H_

#include <sys/epoll.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "reactor/base/clock.h"
#include "reactor/event_loop.h"

namespace weft::reactor {

class EpollEventLoop;
class EpollTimer;

// Receives readiness for one registered file descriptor. Loop thread only.
class FdHandler {
 public:
  FdHandler() = default;
  FdHandler(const FdHandler&) = delete;
  FdHandler& operator=(const FdHandler&) = delete;
  virtual ~FdHandler() = default;

  // `events` is the EPOLLIN/EPOLLOUT/EPOLLERR/EPOLLHUP/EPOLLRDHUP mask from epoll.
  virtual void OnFdEvents(uint32_t events) = 0;
};

// A callback that runs once on the next loop iteration, after I/O and timers. Embedding one in
// an object costs no allocation; destroying it (or the object) cancels a pending call.
class DeferredCall {
 public:
  DeferredCall() = default;
  DeferredCall(const DeferredCall&) = delete;
  DeferredCall& operator=(const DeferredCall&) = delete;
  virtual ~DeferredCall();

  bool pending() const { return loop_ != nullptr; }

  virtual void RunDeferredCall() = 0;

 private:
  friend class EpollEventLoop;
  EpollEventLoop* loop_ = nullptr;  // Set while queued.
  DeferredCall* prev_ = nullptr;
  DeferredCall* next_ = nullptr;
};

class EpollEventLoop final : public EventLoop {
 public:
  // Creates a loop bound to the calling thread until Run() binds it to the thread that runs it.
  // `clock` must outlive the loop. kInternal when the kernel refuses epoll or eventfd.
  static absl::StatusOr<std::unique_ptr<EpollEventLoop>> Create(const Clock& clock);
  static absl::StatusOr<std::unique_ptr<EpollEventLoop>> Create();
  ~EpollEventLoop() override;

  // EventLoop
  void Post(absl::AnyInvocable<void()> task) override;
  std::unique_ptr<Timer> CreateTimer(absl::AnyInvocable<void()> callback) override;
  void DeferredDelete(std::unique_ptr<DeferredDeletable> object) override;
  const Clock& clock() const override { return clock_; }
  bool IsInLoopThread() const override;

  // Runs until Stop(), on the calling thread, which becomes the loop thread.
  void Run();

  // Makes Run() return after the current iteration. Thread-safe.
  void Stop();

  // Runs one iteration: waits up to `max_wait` (or less, if a timer or posted task is due) for
  // I/O, then dispatches I/O, timers, posted tasks, deferred calls and deletions. Loop thread.
  void RunOnce(absl::Duration max_wait);

  // Registers `fd` for `events` (EPOLLIN, EPOLLOUT, EPOLLRDHUP...). `handler` must stay valid
  // until RemoveFd(). kInternal when epoll_ctl fails. Loop thread only.
  absl::Status AddFd(int fd, uint32_t events, FdHandler& handler);
  absl::Status ModifyFd(int fd, uint32_t events, FdHandler& handler);
  // Unregisters `fd`; no event for `handler` is delivered afterwards, even one already fetched
  // in the current batch. Call before closing the fd.
  void RemoveFd(int fd, FdHandler& handler);

  // Queues `call` for the next iteration; a no-op when it is already queued. Loop thread only.
  void Schedule(DeferredCall& call);

  // A scratch buffer for socket reads, shared by every transport on this loop: reads never nest,
  // and OnData() consumers must copy what they keep. Loop thread only.
  static constexpr std::size_t kReadBufferSize = 64 * 1024;
  char* read_buffer();

 private:
  friend class DeferredCall;
  friend class EpollTimer;
  class Waker;

  static absl::StatusOr<std::unique_ptr<EpollEventLoop>> CreateWith(
      std::unique_ptr<Clock> owned_clock, const Clock& clock);
  EpollEventLoop(std::unique_ptr<Clock> owned_clock, const Clock& clock, int epoll_fd, int wake_fd);

  int ComputeTimeoutMs(absl::Duration max_wait) const;
  void DispatchIo(int count);
  void FireTimers();
  void RunPosted();
  void RunDeferredCalls();
  void RunDeferredDeletes();
  void Unlink(DeferredCall& call);

  // Timer heap, ordered by (deadline, sequence); each timer stores its heap index.
  void HeapPush(EpollTimer* timer);
  void HeapRemove(EpollTimer* timer);
  void HeapSiftUp(std::size_t index);
  void HeapSiftDown(std::size_t index);
  void HeapSwap(std::size_t a, std::size_t b);

  static constexpr int kMaxEvents = 256;

  const std::unique_ptr<Clock> owned_clock_;  // Null when the caller supplied the clock.
  const Clock& clock_;
  const int epoll_fd_;
  const int wake_fd_;
  std::unique_ptr<Waker> waker_;
  std::atomic<std::thread::id> thread_id_;
  std::atomic<bool> stop_requested_{false};

  epoll_event events_[kMaxEvents];
  int batch_index_ = 0;  // Index of the event being dispatched within events_.
  int batch_count_ = 0;  // Events in the current batch; 0 outside DispatchIo().

  std::vector<EpollTimer*> heap_;
  uint64_t next_timer_sequence_ = 0;

  absl::Mutex posted_mutex_;
  std::vector<absl::AnyInvocable<void()>> posted_ ABSL_GUARDED_BY(posted_mutex_);
  bool wake_pending_ ABSL_GUARDED_BY(posted_mutex_) = false;
  std::atomic<bool> has_posted_{false};
  std::vector<absl::AnyInvocable<void()>> running_posted_;  // Reused across iterations.

  DeferredCall* deferred_head_ = nullptr;
  DeferredCall* deferred_tail_ = nullptr;
  DeferredCall* run_until_ = nullptr;  // Last call of the batch RunDeferredCalls() is running.
  std::vector<std::unique_ptr<DeferredDeletable>> to_delete_;
  std::vector<std::unique_ptr<DeferredDeletable>> deleting_;
  std::unique_ptr<char[]> read_buffer_;  // Allocated on first use.
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_EPOLL_EVENT_LOOP_H_
