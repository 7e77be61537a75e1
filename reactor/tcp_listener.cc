#include "reactor/tcp_listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "reactor/base/check.h"

namespace weft::reactor {
namespace {

constexpr int kMaxAcceptsPerEvent = 64;
constexpr absl::Duration kAcceptRetryDelay = absl::Milliseconds(100);

absl::Status BindError(const SocketAddress& address, int error) {
  std::string message = absl::StrCat("listen on ", address.ToString(), ": ", strerror(error));
  if (error == EACCES || error == EPERM) return absl::PermissionDeniedError(message);
  return absl::UnavailableError(message);
}

// Removes a Unix socket file left behind by a dead process; a live listener is left alone and
// the bind reports EADDRINUSE.
void RemoveStaleUnixSocket(const SocketAddress& address) {
  const std::string path = address.host();
  if (path.empty() || path[0] == '@') return;
  struct stat info;
  if (stat(path.c_str(), &info) != 0 || !S_ISSOCK(info.st_mode)) return;
  // Non-blocking: a blocking connect to a live listener with a full backlog would wait for room
  // indefinitely. Only ECONNREFUSED (no listener) marks the file stale.
  int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (probe < 0) return;
  if (connect(probe, address.sockaddr_ptr(), address.length()) != 0 && errno == ECONNREFUSED) {
    unlink(path.c_str());
  }
  close(probe);
}

}  // namespace

absl::StatusOr<std::unique_ptr<TcpListener>> TcpListener::Create(EpollEventLoop& loop,
                                                                 const SocketAddress& address,
                                                                 const ListenOptions& options,
                                                                 ListenerCallbacks& callbacks) {
  const int family = address.family();
  if (family == AF_UNIX) RemoveStaleUnixSocket(address);
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  int one = 1;
  if (family != AF_UNIX) {
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (options.reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  }
  if (bind(fd, address.sockaddr_ptr(), address.length()) != 0 || listen(fd, options.backlog) != 0) {
    const int error = errno;
    close(fd);
    return BindError(address, error);
  }
  SocketAddress bound = family == AF_UNIX ? address : SocketAddress::Local(fd);
  std::unique_ptr<TcpListener> listener(
      new TcpListener(loop, fd, std::move(bound), options, callbacks));
  listener->SetWatching(true);
  return listener;
}

TcpListener::TcpListener(EpollEventLoop& loop, int fd, SocketAddress bound,
                         const ListenOptions& options, ListenerCallbacks& callbacks)
    : loop_(loop), fd_(fd), bound_(std::move(bound)), options_(options), callbacks_(callbacks) {}

TcpListener::~TcpListener() {
  SetWatching(false);
  close(fd_);
  if (bound_.family() == AF_UNIX) {
    const std::string path = bound_.host();
    if (!path.empty() && path[0] != '@') unlink(path.c_str());
  }
}

void TcpListener::PauseAccepting() {
  paused_ = true;
  SetWatching(false);
}

void TcpListener::ResumeAccepting() {
  paused_ = false;
  SetWatching(true);
}

void TcpListener::SetWatching(bool watching) {
  if (watching == watching_) return;
  if (watching) {
    watching_ = loop_.AddFd(fd_, EPOLLIN, *this).ok();
  } else {
    loop_.RemoveFd(fd_, *this);
    watching_ = false;
  }
}

void TcpListener::OnFdEvents(uint32_t) {
  for (int i = 0; i < kMaxAcceptsPerEvent && watching_; ++i) {
    int fd = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: back off instead of spinning on a readable listen socket.
        SetWatching(false);
        if (retry_timer_ == nullptr) {
          retry_timer_ = loop_.CreateTimer([this] {
            if (!paused_) SetWatching(true);
          });
        }
        retry_timer_->Schedule(kAcceptRetryDelay);
      }
      return;  // EAGAIN, or a connection that died in the backlog.
    }
    auto transport = std::make_unique<TcpTransport>(loop_, fd);
    if (options_.no_delay && bound_.family() != AF_UNIX) transport->SetNoDelay(true).IgnoreError();
    callbacks_.OnAccept(std::move(transport));
  }
}

namespace {

class StreamConnector final : public ConnectRequest, private FdHandler, private DeferredCall {
 public:
  StreamConnector(EpollEventLoop& loop, const SocketAddress& address, absl::Duration timeout,
                  ConnectCallback done)
      : loop_(loop), address_(address), done_(std::move(done)) {
    timer_ = loop_.CreateTimer([this] {
      Finish(absl::DeadlineExceededError(
          absl::StrCat("connect to ", address_.ToString(), ": timed out")));
    });
    timer_->Schedule(timeout);
    Start();
  }
  ~StreamConnector() override { CloseSocket(); }

 private:
  void Start() {
    fd_ = socket(address_.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return Finish(absl::InternalError(absl::StrCat("socket: ", strerror(errno))));
    if (connect(fd_, address_.sockaddr_ptr(), address_.length()) == 0) return Finish(Take());
    // Only EINPROGRESS means "pending". A Unix connect never pends: its EAGAIN means the
    // listener's backlog is full and the socket stays unconnected.
    if (errno != EINPROGRESS) return Finish(Failure(errno));
    if (absl::Status s = loop_.AddFd(fd_, EPOLLOUT, *this); !s.ok()) return Finish(s);
    watching_ = true;
  }

  // FdHandler
  void OnFdEvents(uint32_t) override {
    int error = 0;
    socklen_t len = sizeof(error);
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len);
    Finish(error == 0 ? Take() : Failure(error));
  }

  // DeferredCall
  void RunDeferredCall() override {
    ConnectCallback done = std::move(done_);
    done(std::move(result_));  // The owner may destroy `this` here.
  }

  absl::Status Failure(int error) const {
    return absl::UnavailableError(
        absl::StrCat("connect to ", address_.ToString(), ": ", strerror(error)));
  }

  absl::StatusOr<std::unique_ptr<TcpTransport>> Take() {
    if (watching_) loop_.RemoveFd(fd_, *this);
    watching_ = false;
    auto transport = std::make_unique<TcpTransport>(loop_, fd_);
    fd_ = -1;
    if (address_.family() != AF_UNIX) transport->SetNoDelay(true).IgnoreError();
    return transport;
  }

  void Finish(absl::StatusOr<std::unique_ptr<TcpTransport>> result) {
    if (finished_) return;
    finished_ = true;
    timer_->Cancel();
    CloseSocket();
    result_ = std::move(result);
    loop_.Schedule(*this);  // Never call back inside ConnectStream() itself.
  }

  void CloseSocket() {
    if (fd_ < 0) return;
    if (watching_) loop_.RemoveFd(fd_, *this);
    watching_ = false;
    close(fd_);
    fd_ = -1;
  }

  EpollEventLoop& loop_;
  const SocketAddress address_;
  ConnectCallback done_;
  std::unique_ptr<Timer> timer_;
  absl::StatusOr<std::unique_ptr<TcpTransport>> result_ = absl::UnknownError("pending");
  int fd_ = -1;
  bool watching_ = false;
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<ConnectRequest> ConnectStream(EpollEventLoop& loop, const SocketAddress& address,
                                              absl::Duration timeout, ConnectCallback done) {
  return std::make_unique<StreamConnector>(loop, address, timeout, std::move(done));
}

}  // namespace weft::reactor
