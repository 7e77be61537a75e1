#include "tests/bench/bench_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace weft::bench {
namespace {

// epoll_event.data for a handshake: the fd in the low half, the phase in the high half.
constexpr uint64_t kAwaitingEcho = uint64_t{1} << 32;

absl::Status ErrnoError(absl::string_view what, int error) {
  return absl::UnavailableError(absl::StrCat("bench: ", what, ": ", strerror(error)));
}

absl::StatusOr<int> StartConnect(const sockaddr_in& address, int epoll_fd) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket", errno);
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 &&
      errno != EINPROGRESS) {
    const int error = errno;
    close(fd);
    return ErrnoError("connect", error);
  }
  epoll_event event{};
  event.events = EPOLLOUT;
  event.data.u64 = static_cast<uint32_t>(fd);
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
    const int error = errno;
    close(fd);
    return ErrnoError("epoll_ctl", error);
  }
  return fd;
}

// Advances one handshake. Returns true once the echo of its byte has arrived.
absl::StatusOr<bool> StepHandshake(int epoll_fd, const epoll_event& ready) {
  const int fd = static_cast<int>(ready.data.u64 & 0xffffffffu);
  if ((ready.data.u64 & kAwaitingEcho) == 0) {
    int error = 0;
    socklen_t length = sizeof(error);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) return ErrnoError("connect", error);
    const char probe = 'x';
    if (send(fd, &probe, 1, MSG_NOSIGNAL) != 1) return ErrnoError("send", errno);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = static_cast<uint32_t>(fd) | kAwaitingEcho;
    if (epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &event) != 0) return ErrnoError("epoll_ctl", errno);
    return false;
  }
  char echo;
  const ssize_t n = recv(fd, &echo, 1, 0);
  if (n == 0) return absl::UnavailableError("bench: server closed a new connection");
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return false;
    return ErrnoError("recv", errno);
  }
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
  return true;
}

}  // namespace

absl::StatusOr<Target> ParseTarget(absl::string_view text) {
  Target target;
  absl::string_view rest = text;
  const bool endpoint_form = absl::ConsumePrefix(&rest, "tcp:");
  std::vector<absl::string_view> parts = absl::StrSplit(rest, ':');
  absl::string_view port = parts[0];
  if (endpoint_form) {
    for (std::size_t i = 1; i < parts.size(); ++i) {
      absl::string_view option = parts[i];
      if (absl::ConsumePrefix(&option, "interface=")) target.host = std::string(option);
    }
  } else if (parts.size() == 2) {
    target.host = std::string(parts[0]);
    port = parts[1];
  } else if (parts.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat("bench: target '", text, "' is not PORT, ",
                                                   "HOST:PORT or tcp:PORT:interface=HOST"));
  }
  if (!absl::SimpleAtoi(port, &target.port) || target.port <= 0 || target.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("bench: target '", text, "': bad port '", port, "'"));
  }
  if (target.host == "0.0.0.0") target.host = "127.0.0.1";
  return target;
}

std::size_t RaiseFdLimit(std::size_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = std::min<rlim_t>(wanted, limit.rlim_max);
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return static_cast<std::size_t>(limit.rlim_cur);
}

int64_t MonotonicNanos() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1000000000 + now.tv_nsec;
}

absl::StatusOr<std::vector<int>> OpenEchoedConnections(const Target& target, int count, int window,
                                                       absl::Duration timeout) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(target.port));
  if (inet_pton(AF_INET, target.host.c_str(), &address.sin_addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("bench: '", target.host, "' is not an IPv4 address"));
  }
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return ErrnoError("epoll_create1", errno);
  absl::Cleanup close_epoll = [epoll_fd] { close(epoll_fd); };
  std::vector<int> fds;
  fds.reserve(static_cast<std::size_t>(count));
  absl::Cleanup close_fds = [&fds] { CloseAll(fds); };

  const int64_t deadline = MonotonicNanos() + absl::ToInt64Nanoseconds(timeout);
  int in_flight = 0;
  int accepted = 0;
  epoll_event ready[256];
  while (accepted < count) {
    while (in_flight < window && static_cast<int>(fds.size()) < count) {
      absl::StatusOr<int> fd = StartConnect(address, epoll_fd);
      if (!fd.ok()) return fd.status();
      fds.push_back(*fd);
      ++in_flight;
    }
    const int64_t left_ms = (deadline - MonotonicNanos()) / 1000000;
    if (left_ms <= 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("bench: only ", accepted, " of ", count, " connections accepted in time"));
    }
    const int n =
        epoll_wait(epoll_fd, ready, 256, static_cast<int>(std::min<int64_t>(left_ms, 100)));
    if (n < 0 && errno != EINTR) return ErrnoError("epoll_wait", errno);
    for (int i = 0; i < n; ++i) {
      absl::StatusOr<bool> echoed = StepHandshake(epoll_fd, ready[i]);
      if (!echoed.ok()) return echoed.status();
      if (*echoed) {
        ++accepted;
        --in_flight;
      }
    }
  }
  std::move(close_fds).Cancel();
  return fds;
}

void CloseAll(std::vector<int>& fds) {
  for (int fd : fds) close(fd);
  fds.clear();
}

absl::StatusOr<int64_t> ReadCpuTicks(int pid) {
  std::ifstream file(absl::StrCat("/proc/", pid, "/stat"));
  std::stringstream contents;
  contents << file.rdbuf();
  const std::string stat = contents.str();
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const std::size_t paren = stat.rfind(')');
  if (!file || paren == std::string::npos) {
    return absl::NotFoundError(absl::StrCat("bench: no /proc/", pid, "/stat"));
  }
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(stat).substr(paren + 2), ' ', absl::SkipEmpty());
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  int64_t utime = 0;
  int64_t stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return absl::NotFoundError(absl::StrCat("bench: unreadable /proc/", pid, "/stat"));
  }
  return utime + stime;
}

absl::StatusOr<int64_t> ReadRssKib(int pid) {
  std::ifstream file(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(file, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "VmRSS:")) continue;
    rest = absl::StripAsciiWhitespace(rest);
    absl::ConsumeSuffix(&rest, "kB");
    int64_t kib = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(rest), &kib)) return kib;
  }
  return absl::NotFoundError(absl::StrCat("bench: no VmRSS in /proc/", pid, "/status"));
}

absl::StatusOr<int64_t> ReadCoreBusyTicks(int cpu) {
  std::ifstream file("/proc/stat");
  const std::string prefix = absl::StrCat("cpu", cpu, " ");
  std::string line;
  while (std::getline(file, line)) {
    if (!absl::StartsWith(line, prefix)) continue;
    // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already
    // included in user and nice.
    std::vector<absl::string_view> fields =
        absl::StrSplit(absl::string_view(line).substr(prefix.size()), ' ', absl::SkipEmpty());
    int64_t busy = 0;
    for (std::size_t i = 0; i < fields.size() && i < 8; ++i) {
      int64_t ticks = 0;
      if (!absl::SimpleAtoi(fields[i], &ticks)) break;
      if (i != 3 && i != 4) busy += ticks;
    }
    return busy;
  }
  return absl::NotFoundError(absl::StrCat("bench: no cpu", cpu, " in /proc/stat"));
}

int64_t ClockTicksPerSecond() { return sysconf(_SC_CLK_TCK); }

int64_t SelfCpuMicros() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return (int64_t{usage.ru_utime.tv_sec} + usage.ru_stime.tv_sec) * 1000000 +
         usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

}  // namespace weft::bench
