// TcpListener: a listening stream socket (TCP over IPv4/IPv6, or Unix) on an EpollEventLoop.
// ConnectStream(): an outgoing stream connection with a timeout.
//
// Part of //reactor. Accepted sockets become TcpTransports handed to ListenerCallbacks. Several
// loops may listen on one TCP port with ListenOptions::reuse_port, so the kernel spreads
// connections across loops (shared-nothing multi-loop servers).
#ifndef WEFT_REACTOR_TCP_LISTENER_H_
#define WEFT_REACTOR_TCP_LISTENER_H_

#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/listener.h"
#include "reactor/socket_address.h"
#include "reactor/tcp_transport.h"

namespace weft::reactor {

struct ListenOptions {
  int backlog = 1024;
  bool reuse_port = false;  // SO_REUSEPORT: several sockets (loops) share the port.
  bool no_delay = true;     // TCP_NODELAY on accepted TCP connections.
};

class TcpListener final : public Listener, private FdHandler {
 public:
  // Binds and listens on `address`. A Unix path whose socket file is stale (nobody listening) is
  // replaced; the file is removed again when the listener is destroyed. kUnavailable when the
  // address is in use or not available, kPermissionDenied for privileged ports or paths.
  // `callbacks` must outlive the listener. Loop thread only.
  static absl::StatusOr<std::unique_ptr<TcpListener>> Create(EpollEventLoop& loop,
                                                             const SocketAddress& address,
                                                             const ListenOptions& options,
                                                             ListenerCallbacks& callbacks);
  ~TcpListener() override;

  // Listener
  std::string address() const override { return bound_.ToString(); }
  int port() const override { return bound_.port(); }
  void PauseAccepting() override;
  void ResumeAccepting() override;

  const SocketAddress& bound_address() const { return bound_; }

 private:
  TcpListener(EpollEventLoop& loop, int fd, SocketAddress bound, const ListenOptions& options,
              ListenerCallbacks& callbacks);

  // FdHandler
  void OnFdEvents(uint32_t events) override;

  void SetWatching(bool watching);

  EpollEventLoop& loop_;
  const int fd_;
  const SocketAddress bound_;
  const ListenOptions options_;
  ListenerCallbacks& callbacks_;
  std::unique_ptr<Timer> retry_timer_;  // Resumes accepting after running out of descriptors.
  bool paused_ = false;
  bool watching_ = false;
};

// A pending outgoing connection; destroying it cancels the attempt and its callback.
class ConnectRequest {
 public:
  ConnectRequest() = default;
  ConnectRequest(const ConnectRequest&) = delete;
  ConnectRequest& operator=(const ConnectRequest&) = delete;
  virtual ~ConnectRequest() = default;
};

using ConnectCallback = absl::AnyInvocable<void(absl::StatusOr<std::unique_ptr<TcpTransport>>)>;

// Connects to `address` (TCP or Unix). `done` runs exactly once on the loop thread, never inside
// this call, unless the returned handle is destroyed first: with the connected transport, or
// kUnavailable (refused, unreachable), kDeadlineExceeded after `timeout`, kInternal when no
// socket could be made.
std::unique_ptr<ConnectRequest> ConnectStream(EpollEventLoop& loop, const SocketAddress& address,
                                              absl::Duration timeout, ConnectCallback done);

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_TCP_LISTENER_H_
