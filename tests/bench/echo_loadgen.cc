// echo_loadgen: drives an echo server over loopback and prints one line of key=value results.
//
//   echo_loadgen --target=tcp:PORT:interface=127.0.0.1 --mode=pingpong --conns=64
//       [--msg_size=64] [--warmup=1s] [--duration=5s] [--server_pid=PID] [--server_core=CPU]
//   echo_loadgen --target=PORT --mode=stream [--chunk=65536] [--server_pid=PID]
//
// pingpong: `conns` connections, each with exactly one `msg_size`-byte message in flight; reports
// messages/s and per-message latency (send to complete echo) percentiles. stream: one
// connection, the writer sends `chunk`-byte chunks continuously (at most --max_in_flight unechoed)
// while the reader drains the echo; reports MB/s (10^6 bytes). Echoed bytes are checked against
// what was sent. Warm-up runs first; counters, latency samples and the CPU readings cover only
// the measured window: the server's utime+stime (/proc/PID/stat, with --server_pid), and the
// busy time of the core it is pinned to (/proc/stat, with --server_core), which adds the softirq
// time of loopback TCP that the kernel charges to no process.
//
// Part of //tests/bench. Independent of Weft's reactor on purpose: raw non-blocking sockets over
// a level-triggered epoll, so every server is measured by the same client.
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "tests/bench/bench_util.h"

ABSL_FLAG(std::string, target, "", "server: PORT, HOST:PORT or tcp:PORT:interface=HOST");
ABSL_FLAG(std::string, mode, "pingpong", "pingpong or stream");
ABSL_FLAG(int, conns, 1, "pingpong: connections, one message in flight on each");
ABSL_FLAG(int, msg_size, 64, "pingpong: message size in bytes");
ABSL_FLAG(int, chunk, 64 * 1024, "stream: bytes per send()");
ABSL_FLAG(int, max_in_flight, 4 * 1024 * 1024, "stream: most bytes sent but not yet echoed");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "traffic before the measured window");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "length of the measured window");
ABSL_FLAG(int, server_pid, 0, "server process whose CPU time is sampled; 0 for none");
ABSL_FLAG(int, server_core, -1,
          "CPU the server is pinned to, whose busy time is sampled; -1: none");
ABSL_FLAG(int, window, 32, "connection handshakes in flight while connecting");
ABSL_FLAG(bool, verify, true, "check echoed bytes against what was sent");

namespace weft::bench {
namespace {

constexpr int kMaxEvents = 512;
constexpr std::size_t kMaxSamples = 4 << 20;  // Beyond this, reservoir sampling.

// Per-message latencies in nanoseconds: every sample up to kMaxSamples, then a uniform
// reservoir (Vitter's algorithm R), so percentiles stay unbiased for any run length.
class LatencyRecorder {
 public:
  LatencyRecorder() { samples_.reserve(1 << 20); }

  void Clear() {
    samples_.clear();
    seen_ = 0;
  }

  void Record(int64_t nanos) {
    const uint32_t value = static_cast<uint32_t>(std::min<int64_t>(nanos, UINT32_MAX));
    ++seen_;
    if (samples_.size() < kMaxSamples) {
      samples_.push_back(value);
      return;
    }
    const uint64_t slot = Next() % seen_;
    if (slot < kMaxSamples) samples_[slot] = value;
  }

  // The q-quantile (0 <= q <= 1) in microseconds; 0 without samples. Reorders the samples.
  double QuantileMicros(double q) {
    if (samples_.empty()) return 0;
    const std::size_t rank =
        std::min(samples_.size() - 1, static_cast<std::size_t>(q * samples_.size()));
    std::nth_element(samples_.begin(), samples_.begin() + rank, samples_.end());
    return samples_[rank] / 1000.0;
  }

 private:
  uint64_t Next() {  // xorshift64*
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1DULL;
  }

  std::vector<uint32_t> samples_;
  uint64_t seen_ = 0;
  uint64_t state_ = 0x9E3779B97F4A7C15ULL;
};

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

// The measured window: wall time, CPU of this process and of the server, and busy time of the
// server's and our own core, read at Begin() and End().
class Window {
 public:
  Window(int server_pid, int server_core)
      : server_pid_(server_pid), server_core_(server_core), client_core_(PinnedCpu()) {}

  void Begin() { start_ = Take(); }
  void End() { end_ = Take(); }

  double seconds() const { return (end_.nanos - start_.nanos) / 1e9; }

  // " client_cpu_pct=... server_cpu_ticks=... server_cpu_pct=... core_busy_pct=...
  // other_busy_pct=..." plus, per `units` of work, " server_cpu_us_per_<unit>=...
  // core_us_per_<unit>=...". other_busy_pct is the busy time of both cores not charged to the
  // server or to us: other processes (a build on the same machine) and unattributed interrupts.
  // Fields without a reading (no --server_pid / --server_core) are "na".
  std::string CpuFields(double units, absl::string_view unit) const {
    std::string out =
        absl::StrFormat(" client_cpu_pct=%.1f", Percent(end_.self_us - start_.self_us));
    const std::optional<int64_t> server = Delta(&Sample::server_ticks);
    const std::optional<int64_t> core = Delta(&Sample::server_core_busy);
    const std::optional<int64_t> client_core = Delta(&Sample::client_core_busy);
    const std::optional<int64_t> self = Delta(&Sample::self_ticks);
    absl::StrAppend(&out, " server_cpu_ticks=", server ? absl::StrCat(*server) : "na");
    absl::StrAppend(&out, " server_cpu_pct=", Format(server.has_value(), Percent(Micros(server))));
    absl::StrAppend(&out, " core_busy_pct=", Format(core.has_value(), Percent(Micros(core))));
    const bool other = server && core && client_core && self && server_core_ != client_core_;
    const int64_t other_ticks = other ? *core + *client_core - *server - *self : 0;
    absl::StrAppend(&out, " other_busy_pct=",
                    Format(other, Percent(Micros(std::optional<int64_t>(other_ticks)))));
    absl::StrAppend(&out, " server_cpu_us_per_", unit, "=",
                    Format(server.has_value(), Micros(server) / units, 3));
    absl::StrAppend(&out, " core_us_per_", unit, "=",
                    Format(core.has_value(), Micros(core) / units, 3));
    return out;
  }

 private:
  struct Sample {
    int64_t nanos = 0;
    int64_t self_us = 0;
    std::optional<int64_t> self_ticks;
    std::optional<int64_t> server_ticks;
    std::optional<int64_t> server_core_busy;
    std::optional<int64_t> client_core_busy;
  };

  static std::optional<int64_t> Optional(absl::StatusOr<int64_t> value) {
    return value.ok() ? std::optional<int64_t>(*value) : std::nullopt;
  }

  Sample Take() const {
    Sample sample;
    sample.nanos = MonotonicNanos();
    sample.self_us = SelfCpuMicros();
    sample.self_ticks = Optional(ReadCpuTicks(getpid()));
    if (server_pid_ > 0) sample.server_ticks = Optional(ReadCpuTicks(server_pid_));
    if (server_core_ >= 0) sample.server_core_busy = Optional(ReadCoreBusyTicks(server_core_));
    if (client_core_ >= 0) sample.client_core_busy = Optional(ReadCoreBusyTicks(client_core_));
    return sample;
  }

  std::optional<int64_t> Delta(std::optional<int64_t> Sample::*field) const {
    if (!(start_.*field) || !(end_.*field)) return std::nullopt;
    return *(end_.*field) - *(start_.*field);
  }

  static double Micros(std::optional<int64_t> ticks) {
    return ticks ? *ticks * 1e6 / ClockTicksPerSecond() : 0;
  }
  double Percent(double micros) const { return micros / (seconds() * 1e4); }
  static std::string Format(bool valid, double value, int precision = 1) {
    return valid ? absl::StrFormat("%.*f", precision, value) : "na";
  }

  const int server_pid_;
  const int server_core_;
  const int client_core_;
  Sample start_;
  Sample end_;
};

absl::Status ErrnoError(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat("echo_loadgen: ", what, ": ", strerror(errno)));
}

// Dispatches ready events to `on_ready` until the warm-up and then the measured window have
// passed. When the window opens, `window_opened` resets the caller's counters and `measuring`
// becomes true; the first error from `on_ready` ends the run.
template <typename OnReady, typename OnOpen>
absl::Status RunPhases(int epoll_fd, Window& window, bool& measuring, OnReady on_ready,
                       OnOpen window_opened) {
  const int64_t open_at = MonotonicNanos() + absl::ToInt64Nanoseconds(absl::GetFlag(FLAGS_warmup));
  const int64_t length = absl::ToInt64Nanoseconds(absl::GetFlag(FLAGS_duration));
  int64_t close_at = INT64_MAX;
  epoll_event ready[kMaxEvents];
  while (true) {
    const int n = epoll_wait(epoll_fd, ready, kMaxEvents, 100);
    if (n < 0 && errno != EINTR) return ErrnoError("epoll_wait");
    for (int i = 0; i < n; ++i) {
      if (absl::Status s = on_ready(ready[i]); !s.ok()) return s;
    }
    const int64_t now = MonotonicNanos();
    if (!measuring && now >= open_at) {
      window_opened();
      window.Begin();
      measuring = true;
      close_at = now + length;
    } else if (measuring && now >= close_at) {
      window.End();
      return absl::OkStatus();
    }
  }
}

// One connection of the ping-pong test.
struct PingConn {
  int fd = -1;
  uint32_t sent = 0;      // Bytes of the current message handed to the kernel.
  uint32_t received = 0;  // Bytes of its echo received.
  int64_t sent_at = 0;
  bool writing = false;  // Registered for EPOLLOUT (a send came up short) instead of EPOLLIN.
};

class PingPong {
 public:
  PingPong(std::vector<int> fds, int msg_size, int server_pid, int server_core)
      : message_(static_cast<std::size_t>(msg_size)), window_(server_pid, server_core) {
    for (std::size_t i = 0; i < message_.size(); ++i) message_[i] = static_cast<char>('a' + i % 26);
    for (int fd : fds) conns_.push_back(PingConn{fd});
  }
  ~PingPong() {
    for (PingConn& conn : conns_) close(conn.fd);
    if (epoll_fd_ >= 0) close(epoll_fd_);
  }

  absl::Status Run() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) return ErrnoError("epoll_create1");
    for (uint32_t i = 0; i < conns_.size(); ++i) {
      if (absl::Status s = Watch(i, EPOLL_CTL_ADD, EPOLLIN); !s.ok()) return s;
      if (absl::Status s = SendNext(i, MonotonicNanos()); !s.ok()) return s;
    }
    absl::Status s = RunPhases(
        epoll_fd_, window_, measuring_, [this](const epoll_event& e) { return OnReady(e); },
        [this] {
          messages_ = 0;
          latencies_.Clear();
        });
    if (!s.ok()) return s;
    if (messages_ == 0) return absl::UnavailableError("echo_loadgen: no echo in the window");
    return absl::OkStatus();
  }

  void Report() {
    const double seconds = window_.seconds();
    std::string line = absl::StrFormat(
        "mode=pingpong conns=%d msg_size=%d seconds=%.2f msgs=%d msgs_per_s=%.0f p50_us=%.1f "
        "p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f",
        conns_.size(), message_.size(), seconds, messages_, messages_ / seconds,
        latencies_.QuantileMicros(0.5), latencies_.QuantileMicros(0.9),
        latencies_.QuantileMicros(0.99), latencies_.QuantileMicros(0.999),
        latencies_.QuantileMicros(1.0));
    absl::StrAppend(&line, window_.CpuFields(static_cast<double>(messages_), "msg"));
    std::printf("%s\n", line.c_str());
  }

 private:
  absl::Status Watch(uint32_t index, int op, uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.u32 = index;
    if (epoll_ctl(epoll_fd_, op, conns_[index].fd, &event) != 0) return ErrnoError("epoll_ctl");
    return absl::OkStatus();
  }

  absl::Status SendNext(uint32_t index, int64_t now) {
    PingConn& conn = conns_[index];
    conn.sent = conn.received = 0;
    conn.sent_at = now;
    return SendRest(index);
  }

  // Sends what the kernel did not take of the current message; normally all of it at once.
  absl::Status SendRest(uint32_t index) {
    PingConn& conn = conns_[index];
    const ssize_t n =
        send(conn.fd, message_.data() + conn.sent, message_.size() - conn.sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return ErrnoError("send");
    if (n > 0) conn.sent += static_cast<uint32_t>(n);
    const bool partial = conn.sent < message_.size();
    if (partial == conn.writing) return absl::OkStatus();
    conn.writing = partial;
    return Watch(index, EPOLL_CTL_MOD, partial ? EPOLLOUT : EPOLLIN);
  }

  absl::Status OnReady(const epoll_event& event) {
    const uint32_t index = event.data.u32;
    PingConn& conn = conns_[index];
    if (conn.sent < message_.size()) return SendRest(index);
    char buffer[4096];
    const std::size_t want = std::min(sizeof(buffer), message_.size() - conn.received);
    const ssize_t n = recv(conn.fd, buffer, want, 0);
    if (n == 0) return absl::UnavailableError("echo_loadgen: server closed a connection");
    if (n < 0) return errno == EAGAIN || errno == EINTR ? absl::OkStatus() : ErrnoError("recv");
    if (verify_ && std::memcmp(buffer, message_.data() + conn.received, n) != 0) {
      return absl::DataLossError("echo_loadgen: echo differs from the message sent");
    }
    conn.received += static_cast<uint32_t>(n);
    if (conn.received < message_.size()) return absl::OkStatus();
    const int64_t now = MonotonicNanos();
    if (measuring_) {
      ++messages_;
      latencies_.Record(now - conn.sent_at);
    }
    return SendNext(index, now);
  }

  std::vector<char> message_;
  std::vector<PingConn> conns_;
  Window window_;
  LatencyRecorder latencies_;
  const bool verify_ = absl::GetFlag(FLAGS_verify);
  int epoll_fd_ = -1;
  bool measuring_ = false;
  int64_t messages_ = 0;
};

class Stream {
 public:
  Stream(int fd, int chunk, int server_pid, int server_core)
      : fd_(fd), pattern_(static_cast<std::size_t>(chunk)), window_(server_pid, server_core) {
    // Period `chunk`, and not a multiple of 256, so a misplaced block cannot compare equal.
    for (std::size_t i = 0; i < pattern_.size(); ++i) pattern_[i] = static_cast<char>(i % 251);
    read_buffer_.resize(256 * 1024);
  }
  ~Stream() {
    close(fd_);
    if (epoll_fd_ >= 0) close(epoll_fd_);
  }

  absl::Status Run() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) return ErrnoError("epoll_create1");
    epoll_event event{};
    event.events = interest_ = EPOLLIN | EPOLLOUT;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd_, &event) != 0) return ErrnoError("epoll_ctl");
    uint64_t window_start = 0;
    absl::Status s = RunPhases(
        epoll_fd_, window_, measuring_, [this](const epoll_event& e) { return OnReady(e); },
        [&] { window_start = received_; });
    if (!s.ok()) return s;
    measured_ = received_ - window_start;
    if (measured_ == 0) return absl::UnavailableError("echo_loadgen: no echo in the window");
    return absl::OkStatus();
  }

  void Report() const {
    const double seconds = window_.seconds();
    std::string line =
        absl::StrFormat("mode=stream chunk=%d seconds=%.2f bytes=%d mb_per_s=%.1f", pattern_.size(),
                        seconds, measured_, measured_ / seconds / 1e6);
    absl::StrAppend(&line, window_.CpuFields(measured_ / 1e6, "mb"));
    std::printf("%s\n", line.c_str());
  }

 private:
  absl::Status OnReady(const epoll_event& event) {
    if ((event.events & EPOLLOUT) != 0) {
      const std::size_t offset = sent_ % pattern_.size();
      const ssize_t n = send(fd_, pattern_.data() + offset, pattern_.size() - offset, MSG_NOSIGNAL);
      if (n > 0) sent_ += static_cast<uint64_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) return ErrnoError("send");
    }
    if ((event.events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) {
      const ssize_t n = recv(fd_, read_buffer_.data(), read_buffer_.size(), 0);
      if (n == 0) return absl::UnavailableError("echo_loadgen: server closed the connection");
      if (n < 0 && errno != EAGAIN && errno != EINTR) return ErrnoError("recv");
      if (n > 0) {
        if (verify_ && !Matches(static_cast<std::size_t>(n))) {
          return absl::DataLossError("echo_loadgen: echo differs from the bytes sent");
        }
        received_ += static_cast<uint64_t>(n);
      }
    }
    return UpdateInterest();
  }

  bool Matches(std::size_t n) const {
    std::size_t offset = received_ % pattern_.size();
    for (std::size_t done = 0; done < n;) {
      const std::size_t piece = std::min(n - done, pattern_.size() - offset);
      if (std::memcmp(read_buffer_.data() + done, pattern_.data() + offset, piece) != 0) {
        return false;
      }
      done += piece;
      offset = 0;
    }
    return true;
  }

  // Stops writing while max_in_flight bytes are unechoed, so a server that buffers without
  // limit is not blamed for the client's refusal to wait.
  absl::Status UpdateInterest() {
    uint32_t wanted = EPOLLIN;
    if (sent_ - received_ < static_cast<uint64_t>(max_in_flight_)) wanted |= EPOLLOUT;
    if (wanted == interest_) return absl::OkStatus();
    epoll_event event{};
    event.events = interest_ = wanted;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd_, &event) != 0) return ErrnoError("epoll_ctl");
    return absl::OkStatus();
  }

  const int fd_;
  std::vector<char> pattern_;
  std::vector<char> read_buffer_;
  Window window_;
  const bool verify_ = absl::GetFlag(FLAGS_verify);
  const int max_in_flight_ = absl::GetFlag(FLAGS_max_in_flight);
  int epoll_fd_ = -1;
  uint32_t interest_ = 0;
  bool measuring_ = false;
  uint64_t sent_ = 0;
  uint64_t received_ = 0;
  uint64_t measured_ = 0;
};

absl::Status Main() {
  absl::StatusOr<Target> target = ParseTarget(absl::GetFlag(FLAGS_target));
  if (!target.ok()) return target.status();
  const std::string mode = absl::GetFlag(FLAGS_mode);
  const int conns = mode == "stream" ? 1 : absl::GetFlag(FLAGS_conns);
  if (mode != "pingpong" && mode != "stream") {
    return absl::InvalidArgumentError(absl::StrCat("echo_loadgen: unknown mode '", mode, "'"));
  }
  if (conns < 1 || absl::GetFlag(FLAGS_msg_size) < 1 || absl::GetFlag(FLAGS_chunk) < 1) {
    return absl::InvalidArgumentError("echo_loadgen: --conns, --msg_size, --chunk must be >= 1");
  }
  const std::size_t limit = RaiseFdLimit(static_cast<std::size_t>(conns) + 64);
  if (limit < static_cast<std::size_t>(conns) + 16) {
    return absl::ResourceExhaustedError(
        absl::StrCat("echo_loadgen: RLIMIT_NOFILE is ", limit, ", too low for ", conns,
                     " connections (raise the hard limit: ulimit -Hn)"));
  }
  absl::StatusOr<std::vector<int>> fds =
      OpenEchoedConnections(*target, conns, absl::GetFlag(FLAGS_window), absl::Seconds(60));
  if (!fds.ok()) return fds.status();
  const int server_pid = absl::GetFlag(FLAGS_server_pid);
  const int server_core = absl::GetFlag(FLAGS_server_core);
  if (mode == "stream") {
    Stream stream((*fds)[0], absl::GetFlag(FLAGS_chunk), server_pid, server_core);
    if (absl::Status s = stream.Run(); !s.ok()) return s;
    stream.Report();
    return absl::OkStatus();
  }
  PingPong pingpong(*std::move(fds), absl::GetFlag(FLAGS_msg_size), server_pid, server_core);
  if (absl::Status s = pingpong.Run(); !s.ok()) return s;
  pingpong.Report();
  return absl::OkStatus();
}

}  // namespace
}  // namespace weft::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (absl::Status s = weft::bench::Main(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
