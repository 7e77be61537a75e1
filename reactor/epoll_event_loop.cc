#include "reactor/epoll_event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "reactor/base/check.h"

namespace weft::reactor {

// Timers live in the loop's heap while armed; the handle owns the callback.
class EpollTimer final : public Timer {
 public:
  EpollTimer(EpollEventLoop& loop, absl::AnyInvocable<void()> callback)
      : loop_(loop), callback_(std::move(callback)) {}
  ~EpollTimer() override { Cancel(); }

  // Timer
  void Schedule(absl::Duration delay) override {
    WEFT_DCHECK(loop_.IsInLoopThread());
    Cancel();
    deadline_ = loop_.clock_.MonotonicNow() + std::max(delay, absl::ZeroDuration());
    sequence_ = loop_.next_timer_sequence_++;
    loop_.HeapPush(this);
  }
  void Cancel() override {
    if (armed()) loop_.HeapRemove(this);
  }
  bool armed() const override { return heap_index_ != kNotArmed; }

 private:
  friend class EpollEventLoop;
  static constexpr std::size_t kNotArmed = ~std::size_t{0};

  bool Before(const EpollTimer& other) const {
    return deadline_ < other.deadline_ ||
           (deadline_ == other.deadline_ && sequence_ < other.sequence_);
  }

  EpollEventLoop& loop_;
  absl::AnyInvocable<void()> callback_;
  absl::Time deadline_;
  uint64_t sequence_ = 0;
  std::size_t heap_index_ = kNotArmed;
};

// Drains the wake-up eventfd written by Post() and Stop() from other threads.
class EpollEventLoop::Waker final : public FdHandler {
 public:
  explicit Waker(int fd) : fd_(fd) {}
  // FdHandler
  void OnFdEvents(uint32_t) override {
    uint64_t value;
    while (read(fd_, &value, sizeof(value)) > 0) {
    }
  }

 private:
  const int fd_;
};

DeferredCall::~DeferredCall() {
  if (loop_ != nullptr) loop_->Unlink(*this);
}

absl::StatusOr<std::unique_ptr<EpollEventLoop>> EpollEventLoop::Create(const Clock& clock) {
  return CreateWith(nullptr, clock);
}

absl::StatusOr<std::unique_ptr<EpollEventLoop>> EpollEventLoop::Create() {
  auto clock = std::make_unique<SystemClock>();
  const Clock& ref = *clock;
  return CreateWith(std::move(clock), ref);
}

absl::StatusOr<std::unique_ptr<EpollEventLoop>> EpollEventLoop::CreateWith(
    std::unique_ptr<Clock> owned_clock, const Clock& clock) {
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return absl::InternalError(absl::StrCat("epoll_create1: ", strerror(errno)));
  int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) {
    close(epoll_fd);
    return absl::InternalError(absl::StrCat("eventfd: ", strerror(errno)));
  }
  std::unique_ptr<EpollEventLoop> loop(
      new EpollEventLoop(std::move(owned_clock), clock, epoll_fd, wake_fd));
  if (absl::Status s = loop->AddFd(wake_fd, EPOLLIN, *loop->waker_); !s.ok()) return s;
  return loop;
}

EpollEventLoop::EpollEventLoop(std::unique_ptr<Clock> owned_clock, const Clock& clock, int epoll_fd,
                               int wake_fd)
    : owned_clock_(std::move(owned_clock)),
      clock_(clock),
      epoll_fd_(epoll_fd),
      wake_fd_(wake_fd),
      waker_(std::make_unique<Waker>(wake_fd)),
      thread_id_(std::this_thread::get_id()) {
  heap_.reserve(64);
  running_posted_.reserve(64);
}

EpollEventLoop::~EpollEventLoop() {
  RunDeferredDeletes();
  while (deferred_head_ != nullptr) Unlink(*deferred_head_);
  for (EpollTimer* timer : heap_) timer->heap_index_ = EpollTimer::kNotArmed;
  heap_.clear();
  // Destroy queued tasks outside the lock: a task's captures may Post() from their destructors.
  while (true) {
    std::vector<absl::AnyInvocable<void()>> dropped;
    {
      absl::MutexLock lock(&posted_mutex_);
      dropped.swap(posted_);
    }
    if (dropped.empty()) break;
  }
  close(wake_fd_);
  close(epoll_fd_);
}

void EpollEventLoop::Post(absl::AnyInvocable<void()> task) {
  bool wake;
  {
    absl::MutexLock lock(&posted_mutex_);
    posted_.push_back(std::move(task));
    wake = !wake_pending_ && !IsInLoopThread();
    wake_pending_ = true;
    // Under the lock, so a Run() starting on another thread either sees it or makes this Post()
    // count as remote (see Run()).
    has_posted_.store(true, std::memory_order_release);
  }
  if (wake) {
    uint64_t one = 1;
    ssize_t n = write(wake_fd_, &one, sizeof(one));
    (void)n;  // EAGAIN means the counter is already non-zero: the loop wakes anyway.
  }
}

std::unique_ptr<Timer> EpollEventLoop::CreateTimer(absl::AnyInvocable<void()> callback) {
  WEFT_DCHECK(IsInLoopThread());
  return std::make_unique<EpollTimer>(*this, std::move(callback));
}

void EpollEventLoop::DeferredDelete(std::unique_ptr<DeferredDeletable> object) {
  WEFT_DCHECK(IsInLoopThread());
  to_delete_.push_back(std::move(object));
}

bool EpollEventLoop::IsInLoopThread() const {
  return thread_id_.load(std::memory_order_relaxed) == std::this_thread::get_id();
}

void EpollEventLoop::Run() {
  {
    // Serialized with Post(): a Post() that still took its caller for the loop thread has
    // published has_posted_ before this, so the first iteration does not block on it.
    absl::MutexLock lock(&posted_mutex_);
    thread_id_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  }
  while (!stop_requested_.load(std::memory_order_acquire)) RunOnce(absl::InfiniteDuration());
  stop_requested_.store(false, std::memory_order_relaxed);
}

void EpollEventLoop::Stop() {
  stop_requested_.store(true, std::memory_order_release);
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof(one));
  (void)n;
}

void EpollEventLoop::RunOnce(absl::Duration max_wait) {
  int count = epoll_wait(epoll_fd_, events_, kMaxEvents, ComputeTimeoutMs(max_wait));
  if (count > 0) DispatchIo(count);
  FireTimers();
  RunPosted();
  RunDeferredCalls();
  RunDeferredDeletes();
}

int EpollEventLoop::ComputeTimeoutMs(absl::Duration max_wait) const {
  if (deferred_head_ != nullptr || !to_delete_.empty() ||
      has_posted_.load(std::memory_order_acquire) ||
      stop_requested_.load(std::memory_order_relaxed)) {
    return 0;
  }
  absl::Duration wait = max_wait;
  if (!heap_.empty()) wait = std::min(wait, heap_[0]->deadline_ - clock_.MonotonicNow());
  if (wait <= absl::ZeroDuration()) return 0;
  if (wait == absl::InfiniteDuration()) return -1;
  // Round up so a timer never wakes the loop a little early and spins.
  return static_cast<int>(
      std::min<int64_t>(absl::ToInt64Milliseconds(wait + absl::Nanoseconds(999999)), 1 << 30));
}

void EpollEventLoop::DispatchIo(int count) {
  batch_count_ = count;
  for (batch_index_ = 0; batch_index_ < batch_count_; ++batch_index_) {
    auto* handler = static_cast<FdHandler*>(events_[batch_index_].data.ptr);
    if (handler != nullptr) handler->OnFdEvents(events_[batch_index_].events);
  }
  batch_count_ = 0;
}

void EpollEventLoop::FireTimers() {
  if (heap_.empty()) return;
  const absl::Time now = clock_.MonotonicNow();
  // Timers armed while firing wait for the next iteration, so a zero-delay re-arm cannot spin.
  const uint64_t sequence_limit = next_timer_sequence_;
  while (!heap_.empty() && heap_[0]->deadline_ <= now && heap_[0]->sequence_ < sequence_limit) {
    EpollTimer* timer = heap_[0];
    HeapRemove(timer);
    timer->callback_();  // May destroy `timer`.
  }
}

void EpollEventLoop::RunPosted() {
  if (!has_posted_.load(std::memory_order_acquire)) return;
  {
    absl::MutexLock lock(&posted_mutex_);
    running_posted_.swap(posted_);
    wake_pending_ = false;
    has_posted_.store(false, std::memory_order_relaxed);
  }
  for (auto& task : running_posted_) task();
  running_posted_.clear();
}

void EpollEventLoop::RunDeferredCalls() {
  // Calls queued while running wait for the next iteration: run up to the current tail. Unlink()
  // moves `run_until_` back when the call it names is cancelled.
  run_until_ = deferred_tail_;
  while (run_until_ != nullptr) {
    DeferredCall* call = deferred_head_;
    Unlink(*call);
    call->RunDeferredCall();  // May destroy `call`.
  }
}

void EpollEventLoop::RunDeferredDeletes() {
  while (!to_delete_.empty()) {
    deleting_.swap(to_delete_);
    deleting_.clear();  // Destructors may queue more.
  }
}

absl::Status EpollEventLoop::AddFd(int fd, uint32_t events, FdHandler& handler) {
  epoll_event event{};
  event.events = events;
  event.data.ptr = &handler;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl add: ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status EpollEventLoop::ModifyFd(int fd, uint32_t events, FdHandler& handler) {
  epoll_event event{};
  event.events = events;
  event.data.ptr = &handler;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event) != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl mod: ", strerror(errno)));
  }
  return absl::OkStatus();
}

void EpollEventLoop::RemoveFd(int fd, FdHandler& handler) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  for (int i = batch_index_ + 1; i < batch_count_; ++i) {
    if (events_[i].data.ptr == &handler) events_[i].data.ptr = nullptr;
  }
}

void EpollEventLoop::Schedule(DeferredCall& call) {
  WEFT_DCHECK(IsInLoopThread());
  if (call.loop_ != nullptr) return;
  call.loop_ = this;
  call.prev_ = deferred_tail_;
  call.next_ = nullptr;
  if (deferred_tail_ != nullptr) {
    deferred_tail_->next_ = &call;
  } else {
    deferred_head_ = &call;
  }
  deferred_tail_ = &call;
}

char* EpollEventLoop::read_buffer() {
  if (read_buffer_ == nullptr) read_buffer_ = std::make_unique<char[]>(kReadBufferSize);
  return read_buffer_.get();
}

void EpollEventLoop::Unlink(DeferredCall& call) {
  if (&call == run_until_) run_until_ = call.prev_;
  if (call.prev_ != nullptr) {
    call.prev_->next_ = call.next_;
  } else {
    deferred_head_ = call.next_;
  }
  if (call.next_ != nullptr) {
    call.next_->prev_ = call.prev_;
  } else {
    deferred_tail_ = call.prev_;
  }
  call.prev_ = call.next_ = nullptr;
  call.loop_ = nullptr;
}

void EpollEventLoop::HeapPush(EpollTimer* timer) {
  timer->heap_index_ = heap_.size();
  heap_.push_back(timer);
  HeapSiftUp(timer->heap_index_);
}

void EpollEventLoop::HeapRemove(EpollTimer* timer) {
  const std::size_t index = timer->heap_index_;
  const std::size_t last = heap_.size() - 1;
  if (index != last) HeapSwap(index, last);
  heap_.pop_back();
  timer->heap_index_ = EpollTimer::kNotArmed;
  if (index < heap_.size()) {
    HeapSiftUp(index);
    HeapSiftDown(index);
  }
}

void EpollEventLoop::HeapSiftUp(std::size_t index) {
  while (index > 0) {
    const std::size_t parent = (index - 1) / 2;
    if (!heap_[index]->Before(*heap_[parent])) break;
    HeapSwap(index, parent);
    index = parent;
  }
}

void EpollEventLoop::HeapSiftDown(std::size_t index) {
  const std::size_t size = heap_.size();
  while (true) {
    std::size_t smallest = index;
    const std::size_t left = 2 * index + 1;
    const std::size_t right = left + 1;
    if (left < size && heap_[left]->Before(*heap_[smallest])) smallest = left;
    if (right < size && heap_[right]->Before(*heap_[smallest])) smallest = right;
    if (smallest == index) return;
    HeapSwap(index, smallest);
    index = smallest;
  }
}

void EpollEventLoop::HeapSwap(std::size_t a, std::size_t b) {
  std::swap(heap_[a], heap_[b]);
  heap_[a]->heap_index_ = a;
  heap_[b]->heap_index_ = b;
}

}  // namespace weft::reactor
