#include "tests/bench/rpc_meter.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "tests/bench/bench_util.h"

namespace weft::bench {
namespace {

constexpr std::size_t kMaxSamples = 4 << 20;

// The single CPU this process is pinned to (taskset -c N), or -1.
int PinnedCpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0 || CPU_COUNT(&set) != 1) return -1;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) return cpu;
  }
  return -1;
}

std::optional<int64_t> Optional(absl::StatusOr<int64_t> value) {
  return value.ok() ? std::optional<int64_t>(*value) : std::nullopt;
}

std::optional<int64_t> Delta(const std::optional<int64_t>& start,
                             const std::optional<int64_t>& end) {
  if (!start || !end) return std::nullopt;
  return *end - *start;
}

// Ticks CPU `cpu` spent in user + nice + system since boot, from /proc/stat: ReadCoreBusyTicks()
// without irq and softirq time.
absl::StatusOr<int64_t> ReadCoreTaskTicks(int cpu) {
  std::ifstream file("/proc/stat");
  const std::string prefix = absl::StrCat("cpu", cpu, " ");
  std::string line;
  while (std::getline(file, line)) {
    if (!absl::StartsWith(line, prefix)) continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(absl::string_view(line).substr(prefix.size()), ' ', absl::SkipEmpty());
    int64_t total = 0;
    for (std::size_t i = 0; i < 3 && i < fields.size(); ++i) {
      int64_t ticks = 0;
      if (!absl::SimpleAtoi(fields[i], &ticks)) break;
      total += ticks;
    }
    return total;
  }
  return absl::NotFoundError(absl::StrCat("rpc_meter: no cpu", cpu, " in /proc/stat"));
}

double TicksToMicros(int64_t ticks) { return ticks * 1e6 / ClockTicksPerSecond(); }

std::string Format(const std::optional<double>& value, int precision) {
  return value ? absl::StrFormat("%.*f", precision, *value) : "na";
}

}  // namespace

CallMeter::CallMeter(const Options& options) : options_(options), client_core_(PinnedCpu()) {
  latencies_.reserve(1 << 20);
}

void CallMeter::Start(int64_t now) {
  open_at_ = now + absl::ToInt64Nanoseconds(options_.warmup);
  measuring_ = finished_ = false;
}

bool CallMeter::Finished(int64_t now) {
  if (finished_) return true;
  if (!measuring_ && now >= open_at_) {
    start_ = Take();
    measuring_ = true;
    close_at_ = start_.nanos + absl::ToInt64Nanoseconds(options_.duration);
  } else if (measuring_ && now >= close_at_) {
    end_ = Take();
    measuring_ = false;
    finished_ = true;
  }
  return finished_;
}

void CallMeter::RecordLatency(int64_t nanos) {
  const uint32_t value = static_cast<uint32_t>(std::clamp<int64_t>(nanos, 0, UINT32_MAX));
  ++seen_;
  if (latencies_.size() < kMaxSamples) {
    latencies_.push_back(value);
    return;
  }
  rng_ ^= rng_ >> 12;  // xorshift64*
  rng_ ^= rng_ << 25;
  rng_ ^= rng_ >> 27;
  const uint64_t slot = (rng_ * 0x2545F4914F6CDD1DULL) % seen_;
  if (slot < kMaxSamples) latencies_[slot] = value;
}

double CallMeter::QuantileMicros(double q) {
  if (latencies_.empty()) return 0;
  const std::size_t rank =
      std::min(latencies_.size() - 1, static_cast<std::size_t>(q * latencies_.size()));
  std::nth_element(latencies_.begin(), latencies_.begin() + rank, latencies_.end());
  return latencies_[rank] / 1000.0;
}

CallMeter::Sample CallMeter::Take() const {
  Sample sample;
  sample.nanos = MonotonicNanos();
  sample.self_us = SelfCpuMicros();
  sample.self_ticks = Optional(ReadCpuTicks(getpid()));
  if (options_.server_pid > 0) sample.server_ticks = Optional(ReadCpuTicks(options_.server_pid));
  if (options_.server_core >= 0) {
    sample.server_core_busy = Optional(ReadCoreBusyTicks(options_.server_core));
    sample.server_core_tasks = Optional(ReadCoreTaskTicks(options_.server_core));
  }
  if (client_core_ >= 0) {
    sample.client_core_busy = Optional(ReadCoreBusyTicks(client_core_));
    sample.client_core_tasks = Optional(ReadCoreTaskTicks(client_core_));
  }
  return sample;
}

std::string CallMeter::Fields() {
  const double seconds = (end_.nanos - start_.nanos) / 1e9;
  std::string out = absl::StrFormat(
      "seconds=%.2f calls=%d calls_per_s=%.0f p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f "
      "max_us=%.1f",
      seconds, calls_, calls_ / seconds, QuantileMicros(0.5), QuantileMicros(0.9),
      QuantileMicros(0.99), QuantileMicros(0.999), QuantileMicros(1.0));
  absl::StrAppend(&out, CpuFields());
  return out;
}

// Work of other processes on the two cores (a build on the same machine) cannot be read exactly
// from /proc without schedstats, so it comes as two bounds:
// - other_busy_pct: busy time of both cores minus the server's and ours (echo_loadgen's field).
//   It overestimates by the interrupt time spent while a core was otherwise idle, which is the
//   benchmark's own loopback traffic when a peer sleeps between batches.
// - other_tasks_pct: user+nice+system time of both cores minus the server's and ours, floored at
//   0. It underestimates by the softirq time the kernel charged to the server or to us.
std::string CallMeter::CpuFields() const {
  const double window_us = (end_.nanos - start_.nanos) / 1e3;
  const auto percent = [window_us](std::optional<int64_t> ticks) -> std::optional<double> {
    if (!ticks) return std::nullopt;
    return TicksToMicros(*ticks) * 100 / window_us;
  };
  const auto per_call = [this](std::optional<int64_t> ticks) -> std::optional<double> {
    if (!ticks || calls_ == 0) return std::nullopt;
    return TicksToMicros(*ticks) / calls_;
  };
  const std::optional<int64_t> server = Delta(start_.server_ticks, end_.server_ticks);
  const std::optional<int64_t> core = Delta(start_.server_core_busy, end_.server_core_busy);
  const std::optional<int64_t> client_core = Delta(start_.client_core_busy, end_.client_core_busy);
  const std::optional<int64_t> server_tasks =
      Delta(start_.server_core_tasks, end_.server_core_tasks);
  const std::optional<int64_t> client_tasks =
      Delta(start_.client_core_tasks, end_.client_core_tasks);
  const std::optional<int64_t> self = Delta(start_.self_ticks, end_.self_ticks);
  std::optional<int64_t> other_busy;
  std::optional<int64_t> other_tasks;
  if (server && self && options_.server_core != client_core_) {
    if (core && client_core) other_busy = *core + *client_core - *server - *self;
    if (server_tasks && client_tasks) {
      other_tasks = std::max<int64_t>(0, *server_tasks + *client_tasks - *server - *self);
    }
  }
  std::string out =
      absl::StrFormat(" client_cpu_pct=%.1f", (end_.self_us - start_.self_us) * 100 / window_us);
  absl::StrAppend(&out, " server_cpu_ticks=", server ? absl::StrCat(*server) : "na");
  absl::StrAppend(&out, " server_cpu_pct=", Format(percent(server), 1));
  absl::StrAppend(&out, " core_busy_pct=", Format(percent(core), 1));
  absl::StrAppend(&out, " other_busy_pct=", Format(percent(other_busy), 1));
  absl::StrAppend(&out, " other_tasks_pct=", Format(percent(other_tasks), 1));
  absl::StrAppend(&out, " server_cpu_us_per_call=", Format(per_call(server), 3));
  absl::StrAppend(&out, " core_us_per_call=", Format(per_call(core), 3));
  return out;
}

}  // namespace weft::bench
