// idle_conns: measures what an idle connection costs an echo server in resident memory.
//
//   idle_conns --target=tcp:PORT:interface=127.0.0.1 --server_pid=PID [--conns=10000] [--hold=0s]
//
// Reads the server's VmRSS (/proc/PID/status), opens `conns` connections, proves each accepted
// by a one-byte echo (so the server has built and used its per-connection state), reads VmRSS
// again and prints one key=value line with bytes per idle connection. Then prints "ready" and
// keeps the connections open for --hold, so an outside observer can take its own readings.
// Kernel socket memory is not in RSS and is the same for every server; this measures the
// user-space price of a connection (connection object, buffers, allocator overhead).
//
// Part of //tests/bench.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/bench/bench_util.h"

ABSL_FLAG(std::string, target, "", "server: PORT, HOST:PORT or tcp:PORT:interface=HOST");
ABSL_FLAG(int, conns, 10000, "idle connections to open");
ABSL_FLAG(int, server_pid, 0, "server process whose VmRSS is read; 0 for none");
ABSL_FLAG(int, window, 32, "connection handshakes in flight while connecting");
ABSL_FLAG(absl::Duration, settle, absl::Milliseconds(200),
          "pause after the last echo before the second reading");
ABSL_FLAG(absl::Duration, hold, absl::ZeroDuration(), "keep the connections open this long");

namespace weft::bench {
namespace {

absl::StatusOr<int64_t> MaybeRss(int pid) {
  if (pid <= 0) return int64_t{0};
  return ReadRssKib(pid);
}

absl::Status Main() {
  absl::StatusOr<Target> target = ParseTarget(absl::GetFlag(FLAGS_target));
  if (!target.ok()) return target.status();
  const int conns = absl::GetFlag(FLAGS_conns);
  const int pid = absl::GetFlag(FLAGS_server_pid);
  if (conns < 1) return absl::InvalidArgumentError("idle_conns: --conns must be >= 1");
  const std::size_t limit = RaiseFdLimit(static_cast<std::size_t>(conns) + 64);
  if (limit < static_cast<std::size_t>(conns) + 16) {
    return absl::ResourceExhaustedError(
        absl::StrCat("idle_conns: RLIMIT_NOFILE is ", limit, ", too low for ", conns,
                     " connections (raise the hard limit: ulimit -Hn)"));
  }
  absl::StatusOr<int64_t> before = MaybeRss(pid);
  if (!before.ok()) return before.status();
  const int64_t start = MonotonicNanos();
  absl::StatusOr<std::vector<int>> fds =
      OpenEchoedConnections(*target, conns, absl::GetFlag(FLAGS_window), absl::Seconds(120));
  if (!fds.ok()) return fds.status();
  const double connect_s = (MonotonicNanos() - start) / 1e9;
  absl::SleepFor(absl::GetFlag(FLAGS_settle));
  absl::StatusOr<int64_t> after = MaybeRss(pid);
  if (!after.ok()) return after.status();

  std::string line = absl::StrFormat("mode=idle conns=%d connect_s=%.2f", conns, connect_s);
  if (pid > 0) {
    absl::StrAppend(
        &line, absl::StrFormat(" rss_before_kib=%d rss_after_kib=%d bytes_per_conn=%.0f", *before,
                               *after, (*after - *before) * 1024.0 / conns));
  }
  std::printf("%s\nready\n", line.c_str());
  std::fflush(stdout);
  absl::SleepFor(absl::GetFlag(FLAGS_hold));
  CloseAll(*fds);
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
