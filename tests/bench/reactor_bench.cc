// Microbenchmarks of the reactor core (EpollEventLoop): timers and posted tasks.
//
//   bazel run --config=opt //tests/bench:reactor_bench -- --benchmark_min_time=0.5
//
// Timer benchmarks run with 10,000 other timers pending, the heap size of a loop serving
// thousands of connections with idle timeouts. Post/RunOnce benchmarks measure one loop
// iteration with a batch of posted tasks; BM_RunOnceEmpty is the fixed cost of an iteration
// (a non-blocking epoll_wait) to subtract when reading them.
//
// Part of //tests/bench.
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/event_loop.h"

namespace weft::reactor {
namespace {

constexpr int kDelayCount = 4096;  // Power of two: indexed with a mask.

std::unique_ptr<EpollEventLoop> MakeLoop(benchmark::State& state) {
  absl::StatusOr<std::unique_ptr<EpollEventLoop>> loop = EpollEventLoop::Create();
  if (!loop.ok()) {
    state.SkipWithError(loop.status().ToString().c_str());
    return nullptr;
  }
  return *std::move(loop);
}

// Random delays between 1 s and 1 h, so no timer fires during a run.
std::vector<absl::Duration> RandomDelays(uint32_t seed) {
  std::mt19937 random(seed);
  std::uniform_int_distribution<int64_t> millis(1000, 3600 * 1000);
  std::vector<absl::Duration> delays(kDelayCount);
  for (absl::Duration& delay : delays) delay = absl::Milliseconds(millis(random));
  return delays;
}

std::vector<std::unique_ptr<Timer>> PendingTimers(EpollEventLoop& loop, int count) {
  std::vector<absl::Duration> delays = RandomDelays(1);
  std::vector<std::unique_ptr<Timer>> timers;
  timers.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    timers.push_back(loop.CreateTimer([] {}));
    timers.back()->Schedule(delays[static_cast<std::size_t>(i) & (kDelayCount - 1)]);
  }
  return timers;
}

// Arms and disarms one timer among `range(0)` pending ones: the cost of a request deadline that
// is almost always cancelled.
void BM_TimerScheduleCancel(benchmark::State& state) {
  std::unique_ptr<EpollEventLoop> loop = MakeLoop(state);
  if (loop == nullptr) return;
  std::vector<std::unique_ptr<Timer>> pending = PendingTimers(*loop, state.range(0));
  std::vector<absl::Duration> delays = RandomDelays(2);
  std::unique_ptr<Timer> timer = loop->CreateTimer([] {});
  std::size_t i = 0;
  for (auto _ : state) {
    timer->Schedule(delays[i++ & (kDelayCount - 1)]);
    timer->Cancel();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TimerScheduleCancel)->Arg(0)->Arg(10000);

// Re-arms a random one of `range(0)` pending timers: an idle timeout pushed back on traffic.
void BM_TimerReschedule(benchmark::State& state) {
  std::unique_ptr<EpollEventLoop> loop = MakeLoop(state);
  if (loop == nullptr) return;
  const std::size_t count = static_cast<std::size_t>(state.range(0));
  std::vector<std::unique_ptr<Timer>> pending = PendingTimers(*loop, static_cast<int>(count));
  std::vector<absl::Duration> delays = RandomDelays(3);
  std::mt19937 random(4);
  std::vector<std::size_t> victims(kDelayCount);
  for (std::size_t& victim : victims) victim = random() % count;
  std::size_t i = 0;
  for (auto _ : state) {
    pending[victims[i & (kDelayCount - 1)]]->Schedule(delays[i & (kDelayCount - 1)]);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TimerReschedule)->Arg(10000);

// Creates, arms and destroys a timer with `range(0)` pending: a per-request timer object.
void BM_TimerCreateScheduleDestroy(benchmark::State& state) {
  std::unique_ptr<EpollEventLoop> loop = MakeLoop(state);
  if (loop == nullptr) return;
  std::vector<std::unique_ptr<Timer>> pending = PendingTimers(*loop, state.range(0));
  std::vector<absl::Duration> delays = RandomDelays(5);
  std::size_t i = 0;
  for (auto _ : state) {
    std::unique_ptr<Timer> timer = loop->CreateTimer([] {});
    timer->Schedule(delays[i++ & (kDelayCount - 1)]);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TimerCreateScheduleDestroy)->Arg(10000);

// One loop iteration with nothing to do: a non-blocking epoll_wait plus bookkeeping.
void BM_RunOnceEmpty(benchmark::State& state) {
  std::unique_ptr<EpollEventLoop> loop = MakeLoop(state);
  if (loop == nullptr) return;
  for (auto _ : state) loop->RunOnce(absl::ZeroDuration());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RunOnceEmpty);

// Posts `range(0)` tasks from the loop thread, then runs one iteration that executes them.
// Items are tasks, so items/s is Post+run throughput.
void BM_PostRunOnce(benchmark::State& state) {
  std::unique_ptr<EpollEventLoop> loop = MakeLoop(state);
  if (loop == nullptr) return;
  const int64_t batch = state.range(0);
  int64_t ran = 0;
  for (auto _ : state) {
    for (int64_t i = 0; i < batch; ++i) loop->Post([&ran] { ++ran; });
    loop->RunOnce(absl::ZeroDuration());
  }
  if (ran != state.iterations() * batch) state.SkipWithError("posted tasks did not all run");
  state.SetItemsProcessed(ran);
}
BENCHMARK(BM_PostRunOnce)->Arg(1)->Arg(16)->Arg(256);

// A task large enough that AnyInvocable stores it on the heap: Post() then allocates.
void BM_PostRunOnceHeapTask(benchmark::State& state) {
  std::unique_ptr<EpollEventLoop> loop = MakeLoop(state);
  if (loop == nullptr) return;
  const int64_t batch = state.range(0);
  int64_t ran = 0;
  struct Payload {
    int64_t* counter;
    char bytes[64];
  };
  for (auto _ : state) {
    for (int64_t i = 0; i < batch; ++i) {
      Payload payload{&ran, {}};
      loop->Post([payload] { ++*payload.counter; });
    }
    loop->RunOnce(absl::ZeroDuration());
  }
  state.SetItemsProcessed(ran);
}
BENCHMARK(BM_PostRunOnceHeapTask)->Arg(16);

// The transports' zero-allocation deferred notification, one per iteration.
class CountingCall final : public DeferredCall {
 public:
  // DeferredCall
  void RunDeferredCall() override { ++count; }
  int64_t count = 0;
};

void BM_DeferredCallRunOnce(benchmark::State& state) {
  std::unique_ptr<EpollEventLoop> loop = MakeLoop(state);
  if (loop == nullptr) return;
  CountingCall call;
  for (auto _ : state) {
    loop->Schedule(call);
    loop->RunOnce(absl::ZeroDuration());
  }
  state.SetItemsProcessed(call.count);
}
BENCHMARK(BM_DeferredCallRunOnce);

}  // namespace
}  // namespace weft::reactor

BENCHMARK_MAIN();
