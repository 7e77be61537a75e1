// Shared plumbing for the echo benchmark clients (echo_loadgen, idle_conns).
//
// Part of //tests/bench. Deliberately independent of Weft's reactor: the clients drive raw,
// non-blocking sockets over their own epoll so that the servers under test (Weft, libuv, a bare
// epoll loop, Twisted) are all measured by the same, neutral tool. Provides target parsing, the
// fd limit, connection set-up through a bounded window of one-byte echo handshakes, and the
// /proc readings of the server process (CPU ticks, resident memory).
#ifndef WEFT_TESTS_BENCH_BENCH_UTIL_H_
#define WEFT_TESTS_BENCH_BENCH_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace weft::bench {

// An IPv4 TCP server to connect to.
struct Target {
  std::string host = "127.0.0.1";
  int port = 0;
};

// Accepts what the servers print and what people type: "PORT", "HOST:PORT", or the server
// endpoint form "tcp:PORT[:interface=HOST][:option=value...]". kInvalidArgument otherwise.
absl::StatusOr<Target> ParseTarget(absl::string_view text);

// Raises the soft RLIMIT_NOFILE towards `wanted` (never above the hard limit) and returns the
// resulting soft limit.
std::size_t RaiseFdLimit(std::size_t wanted);

// Nanoseconds on CLOCK_MONOTONIC.
int64_t MonotonicNanos();

// Opens `count` non-blocking TCP_NODELAY connections to `target`. Each one is proven accepted by
// the server by sending one byte and reading its echo, with at most `window` handshakes in
// flight, so a small listen backlog (Twisted's default is 50) never drops SYNs into one-second
// retransmits. kUnavailable when a connect fails, kDeadlineExceeded past `timeout`; the fds opened
// so far are closed on error. The caller owns (and closes) the returned fds.
absl::StatusOr<std::vector<int>> OpenEchoedConnections(const Target& target, int count, int window,
                                                       absl::Duration timeout);

// Closes every fd in `fds` and clears it.
void CloseAll(std::vector<int>& fds);

// utime + stime of process `pid`, in clock ticks (sysconf(_SC_CLK_TCK)), from /proc/PID/stat;
// all of the process's threads are included. kNotFound when the process is gone.
absl::StatusOr<int64_t> ReadCpuTicks(int pid);

// VmRSS of process `pid` in KiB, from /proc/PID/status. kNotFound when the process is gone.
absl::StatusOr<int64_t> ReadRssKib(int pid);

// Busy (neither idle nor iowait) clock ticks of CPU `cpu` since boot, from /proc/stat: every
// process on that core plus interrupt and softirq time, which on loopback includes much of the
// TCP receive path. kNotFound for an unknown CPU.
absl::StatusOr<int64_t> ReadCoreBusyTicks(int cpu);

// Clock ticks per second, for ReadCpuTicks() and ReadCoreBusyTicks().
int64_t ClockTicksPerSecond();

// CPU time (user + system) used so far by this process, in microseconds.
int64_t SelfCpuMicros();

}  // namespace weft::bench

#endif  // WEFT_TESTS_BENCH_BENCH_UTIL_H_
