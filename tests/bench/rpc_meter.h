// CallMeter: the measured window of one rpc_loadgen run and its key=value results.
//
// Part of //tests/bench (the unary-call benchmark of issue 3). A run is a warm-up, then a window
// of fixed length; the meter counts calls completed inside the window, keeps their latencies
// (issue to completion), and reads CPU time at the window's edges: this process's, the server's
// (utime+stime of all its threads, /proc/PID/stat), the busy time of the server's core, and the
// busy and task time of both cores (/proc/stat), so that other work on the machine shows up as
// other_busy_pct / other_tasks_pct (two bounds; see CpuFields). Field names follow echo_loadgen's,
// with "call" as the unit. Drivers call it from one thread.
#ifndef WEFT_TESTS_BENCH_RPC_METER_H_
#define WEFT_TESTS_BENCH_RPC_METER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace weft::bench {

class CallMeter {
 public:
  struct Options {
    absl::Duration warmup = absl::Seconds(1);
    absl::Duration duration = absl::Seconds(5);
    int server_pid = 0;    // 0: no server CPU reading.
    int server_core = -1;  // -1: no core busy reading.
  };

  explicit CallMeter(const Options& options);

  // Starts the warm-up at `now` (MonotonicNanos()).
  void Start(int64_t now);

  // One call completed at `now` that was issued at `issued_at`. Counted only inside the window.
  void Record(int64_t issued_at, int64_t now) {
    if (measuring_) {
      ++calls_;
      RecordLatency(now - issued_at);
    }
  }

  // Opens the window when the warm-up is over and closes it when its time is up; true once
  // closed. Drivers call it after every batch of completions and at least every 100 ms, and stop
  // issuing calls once it returns true.
  bool Finished(int64_t now);

  int64_t calls() const { return calls_; }

  // "seconds=... calls=... calls_per_s=... p50_us=... p90_us=... p99_us=... p999_us=...
  // max_us=... client_cpu_pct=... server_cpu_ticks=... server_cpu_pct=... core_busy_pct=...
  // other_busy_pct=... other_tasks_pct=... server_cpu_us_per_call=... core_us_per_call=...".
  // Readings that are not available are "na". Call once, after Finished() returned true.
  std::string Fields();

 private:
  struct Sample {
    int64_t nanos = 0;
    int64_t self_us = 0;
    std::optional<int64_t> self_ticks;
    std::optional<int64_t> server_ticks;
    std::optional<int64_t> server_core_busy;  // All busy time, interrupts included.
    std::optional<int64_t> client_core_busy;
    std::optional<int64_t> server_core_tasks;  // user + nice + system only.
    std::optional<int64_t> client_core_tasks;
  };

  void RecordLatency(int64_t nanos);
  double QuantileMicros(double q);
  Sample Take() const;
  std::string CpuFields() const;

  const Options options_;
  const int client_core_;
  int64_t open_at_ = 0;
  int64_t close_at_ = 0;
  bool measuring_ = false;
  bool finished_ = false;
  int64_t calls_ = 0;
  Sample start_;
  Sample end_;
  // Latencies in ns: all of them up to a cap, then a uniform reservoir (Vitter's algorithm R).
  std::vector<uint32_t> latencies_;
  uint64_t seen_ = 0;
  uint64_t rng_ = 0x9E3779B97F4A7C15ULL;
};

}  // namespace weft::bench

#endif  // WEFT_TESTS_BENCH_RPC_METER_H_
