#include "reactor/tcp_test_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace weft::reactor {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(errno)));
}

}  // namespace

bool RunUntil(EpollEventLoop& loop, absl::FunctionRef<bool()> done, absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  while (!done()) {
    if (absl::Now() >= deadline) return false;
    loop.RunOnce(absl::Milliseconds(10));
  }
  return true;
}

void RunReady(EpollEventLoop& loop, int iterations) {
  for (int i = 0; i < iterations; ++i) loop.RunOnce(absl::ZeroDuration());
}

void RecordingCallbacks::OnData(absl::string_view bytes) {
  if (closed()) ++events_after_close;
  data.append(bytes.data(), bytes.size());
  ++data_events;
  if (on_data) on_data(bytes);
}

void RecordingCallbacks::OnReadEof() {
  if (closed() || eof_count > 0) ++events_after_close;
  ++eof_count;
  if (on_read_eof) on_read_eof();
}

void RecordingCallbacks::OnWriteBufferHigh() {
  if (closed()) ++events_after_close;
  ++high_count;
  if (on_high) on_high();
}

void RecordingCallbacks::OnWriteBufferLow() {
  if (closed()) ++events_after_close;
  ++low_count;
  if (on_low) on_low();
}

void RecordingCallbacks::OnClosed(absl::Status reason) {
  if (closed()) ++events_after_close;
  closed_reasons.push_back(reason);
  if (on_closed) on_closed(reason);
}

void AcceptQueue::OnAccept(std::unique_ptr<Transport> transport) {
  accepted.push_back(std::move(transport));
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

UniqueFd::~UniqueFd() { reset(); }

int UniqueFd::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
}

absl::StatusOr<RawPair> MakeRawPair(int family) {
  RawPair pair;
  if (family == AF_UNIX) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return Errno("socketpair");
    pair.first.reset(fds[0]);
    pair.second.reset(fds[1]);
    return pair;
  }
  absl::StatusOr<SocketAddress> any =
      SocketAddress::FromIp(family == AF_INET6 ? "::1" : "127.0.0.1", 0);
  if (!any.ok()) return any.status();
  UniqueFd listener(socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.get() < 0) return Errno("socket");
  if (bind(listener.get(), any->sockaddr_ptr(), any->length()) != 0) return Errno("bind");
  if (listen(listener.get(), 1) != 0) return Errno("listen");
  const SocketAddress bound = SocketAddress::Local(listener.get());
  pair.first.reset(socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (pair.first.get() < 0) return Errno("socket");
  if (connect(pair.first.get(), bound.sockaddr_ptr(), bound.length()) != 0) {
    return Errno("connect");
  }
  pair.second.reset(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (pair.second.get() < 0) return Errno("accept");
  return pair;
}

absl::StatusOr<TransportAndPeer> MakeTransportAndPeer(EpollEventLoop& loop, int family,
                                                      bool small_send_buffer) {
  absl::StatusOr<RawPair> pair = MakeRawPair(family);
  if (!pair.ok()) return pair.status();
  if (small_send_buffer) {
    if (absl::Status s = SetSendBuffer(pair->first.get(), 16 * 1024); !s.ok()) return s;
  }
  if (absl::Status s = SetNonBlocking(pair->first.get()); !s.ok()) return s;
  if (absl::Status s = SetNonBlocking(pair->second.get()); !s.ok()) return s;
  TransportAndPeer result;
  result.transport = std::make_unique<TcpTransport>(loop, pair->first.release());
  result.peer = std::move(pair->second);
  return result;
}

absl::Status FillKernel(TcpTransport& transport, std::string* sent) {
  const std::string chunk = Payload(16 * 1024, 7);
  for (int i = 0; i < 10000 && transport.buffered_bytes() == 0; ++i) {
    if (absl::Status s = transport.Write(chunk); !s.ok()) return s;
    if (sent != nullptr) sent->append(chunk);
  }
  if (transport.buffered_bytes() == 0) return absl::InternalError("test: the kernel never filled");
  return absl::OkStatus();
}

absl::Status SetNonBlocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return Errno("fcntl");
  return absl::OkStatus();
}

absl::Status SetResetOnClose(int fd) {
  linger option{1, 0};
  if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, sizeof(option)) != 0) {
    return Errno("SO_LINGER");
  }
  return absl::OkStatus();
}

absl::Status SetSendBuffer(int fd, int bytes) {
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes)) != 0) return Errno("SO_SNDBUF");
  return absl::OkStatus();
}

absl::Status SetReceiveBuffer(int fd, int bytes) {
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) != 0) return Errno("SO_RCVBUF");
  return absl::OkStatus();
}

Drained ReadAvailable(int fd, std::size_t max_bytes) {
  Drained result;
  char buffer[64 * 1024];
  while (result.bytes.size() < max_bytes) {
    const std::size_t want = std::min(sizeof(buffer), max_bytes - result.bytes.size());
    const ssize_t n = recv(fd, buffer, want, MSG_DONTWAIT);
    if (n > 0) {
      result.bytes.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0) {
      result.eof = true;
      break;
    } else {
      if (errno != EAGAIN && errno != EINTR) result.error = errno;
      if (errno != EINTR) break;
    }
  }
  return result;
}

bool WriteAll(int fd, absl::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

absl::StatusOr<UniqueFd> BindUnlistened(absl::string_view host, SocketAddress& address) {
  absl::StatusOr<SocketAddress> any = SocketAddress::FromIp(host, 0);
  if (!any.ok()) return any.status();
  UniqueFd fd(socket(any->family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return Errno("socket");
  if (bind(fd.get(), any->sockaddr_ptr(), any->length()) != 0) return Errno("bind");
  address = SocketAddress::Local(fd.get());
  return fd;
}

std::string Payload(std::size_t size, unsigned seed) {
  std::string out(size, '\0');
  uint32_t state = seed * 2654435761u + 1;
  for (std::size_t i = 0; i < size; ++i) {
    state = state * 1664525u + 1013904223u;
    out[i] = static_cast<char>(state >> 24);
  }
  return out;
}

std::string AbstractUnixName() {
  static std::atomic<int> counter{0};
  return absl::StrCat("@weft-test-", getpid(), "-", counter.fetch_add(1));
}

ScratchDir::ScratchDir() {
  char pattern[] = "/tmp/weft-test-XXXXXX";
  if (mkdtemp(pattern) != nullptr) path_ = pattern;
}

ScratchDir::~ScratchDir() {
  if (path_.empty()) return;
  if (DIR* dir = opendir(path_.c_str())) {
    while (dirent* entry = readdir(dir)) {
      const absl::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      unlink(File(name).c_str());
    }
    closedir(dir);
  }
  rmdir(path_.c_str());
}

std::string ScratchDir::File(absl::string_view name) const {
  return absl::StrCat(path_, "/", name);
}

}  // namespace weft::reactor
