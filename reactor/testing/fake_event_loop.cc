#include "reactor/testing/fake_event_loop.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>

#include "reactor/base/check.h"

namespace weft::reactor {

class FakeEventLoop::FakeTimer final : public Timer {
 public:
  FakeTimer(FakeEventLoop& loop, absl::AnyInvocable<void()> callback)
      : loop_(loop), callback_(std::move(callback)) {}
  ~FakeTimer() override { Cancel(); }

  // Timer
  void Schedule(absl::Duration delay) override {
    WEFT_DCHECK(loop_.IsInLoopThread());
    Cancel();
    key_ = TimerKey{loop_.clock_.MonotonicNow() + std::max(delay, absl::ZeroDuration()),
                    loop_.next_sequence_++};
    loop_.timers_.emplace(key_, this);
    armed_ = true;
    rearmed_in_generation_ = loop_.firing_ == this ? loop_.generation_ : kNever;
  }
  void Cancel() override {
    if (!armed_) return;
    loop_.timers_.erase(key_);
    armed_ = false;
  }
  bool armed() const override { return armed_; }

 private:
  friend class FakeEventLoop;
  static constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();

  FakeEventLoop& loop_;
  absl::AnyInvocable<void()> callback_;
  TimerKey key_{};
  bool armed_ = false;
  // The RunUntilIdle() generation in which the timer re-armed itself from its own callback; it
  // does not fire again in that generation.
  uint64_t rearmed_in_generation_ = kNever;
};

FakeEventLoop::FakeEventLoop() : thread_id_(std::this_thread::get_id()) {}

FakeEventLoop::~FakeEventLoop() {
  // Destroying queued tasks and pending deletions may queue more of either.
  while (true) {
    std::vector<absl::AnyInvocable<void()>> dropped;
    {
      absl::MutexLock lock(&posted_mutex_);
      dropped.swap(posted_);
    }
    const bool dropped_any = !dropped.empty();
    dropped.clear();  // Outside the lock: a task's destructor may Post().
    if (!RunDeferredDeletes() && !dropped_any) break;
  }
  for (auto& [key, timer] : timers_) timer->armed_ = false;
  timers_.clear();
}

void FakeEventLoop::Post(absl::AnyInvocable<void()> task) {
  absl::MutexLock lock(&posted_mutex_);
  posted_.push_back(std::move(task));
}

std::unique_ptr<Timer> FakeEventLoop::CreateTimer(absl::AnyInvocable<void()> callback) {
  WEFT_DCHECK(IsInLoopThread());
  return std::make_unique<FakeTimer>(*this, std::move(callback));
}

void FakeEventLoop::DeferredDelete(std::unique_ptr<DeferredDeletable> object) {
  WEFT_DCHECK(IsInLoopThread());
  to_delete_.push_back(std::move(object));
}

bool FakeEventLoop::IsInLoopThread() const { return std::this_thread::get_id() == thread_id_; }

void FakeEventLoop::RunUntilIdle() {
  WEFT_DCHECK(IsInLoopThread());
  WEFT_CHECK(!running_);  // RunUntilIdle()/AdvanceBy() called from a loop callback.
  running_ = true;
  ++generation_;
  int iterations = 0;
  while (RunIteration()) {
    if (++iterations >= kMaxIterationsPerRun) {
      std::fprintf(stderr,
                   "FakeEventLoop::RunUntilIdle: still busy after %d iterations; some task or "
                   "zero-delay timer re-creates itself forever\n",
                   iterations);
      std::abort();
    }
  }
  running_ = false;
}

void FakeEventLoop::AdvanceBy(absl::Duration delta) {
  WEFT_DCHECK(IsInLoopThread());
  WEFT_CHECK(delta >= absl::ZeroDuration() && delta < absl::InfiniteDuration());
  const absl::Time target = clock_.MonotonicNow() + delta;
  RunUntilIdle();
  while (true) {
    std::optional<absl::Time> next = NextDeadlineAfterNow();
    if (!next.has_value() || *next > target) break;
    clock_.AdvanceBy(*next - clock_.MonotonicNow());
    RunUntilIdle();
  }
  if (const absl::Time now = clock_.MonotonicNow(); now < target) {
    clock_.AdvanceBy(target - now);
    RunUntilIdle();
  }
}

bool FakeEventLoop::RunIteration() {
  bool did_work = FireDueTimers();
  did_work |= RunPosted();
  did_work |= RunDeferredDeletes();
  return did_work;
}

bool FakeEventLoop::FireDueTimers() {
  const absl::Time now = clock_.MonotonicNow();
  // Timers armed while firing wait for the next iteration, as in EpollEventLoop.
  const uint64_t sequence_limit = next_sequence_;
  bool fired = false;
  while (FakeTimer* timer = NextDueTimer(now, sequence_limit)) {
    timer->Cancel();
    fired = true;
    firing_ = timer;
    timer->callback_();  // May destroy `timer`.
    firing_ = nullptr;
  }
  return fired;
}

FakeEventLoop::FakeTimer* FakeEventLoop::NextDueTimer(absl::Time now,
                                                      uint64_t sequence_limit) const {
  for (const auto& [key, timer] : timers_) {
    if (key.deadline > now) return nullptr;
    if (key.sequence < sequence_limit && timer->rearmed_in_generation_ != generation_) {
      return timer;
    }
  }
  return nullptr;
}

std::optional<absl::Time> FakeEventLoop::NextDeadlineAfterNow() const {
  auto it =
      timers_.upper_bound(TimerKey{clock_.MonotonicNow(), std::numeric_limits<uint64_t>::max()});
  if (it == timers_.end()) return std::nullopt;
  return it->first.deadline;
}

bool FakeEventLoop::RunPosted() {
  {
    absl::MutexLock lock(&posted_mutex_);
    running_posted_.swap(posted_);
  }
  if (running_posted_.empty()) return false;
  for (auto& task : running_posted_) task();
  running_posted_.clear();
  return true;
}

bool FakeEventLoop::RunDeferredDeletes() {
  bool deleted = false;
  while (!to_delete_.empty()) {
    deleted = true;
    deleting_.swap(to_delete_);
    deleting_.clear();  // Destructors may queue more.
  }
  return deleted;
}

}  // namespace weft::reactor
