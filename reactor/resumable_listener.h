// ResumableListener: a listener on a server endpoint that can stop accepting and later accept
// again on the same address and port, as a gateway's drain and enable need.
//
// Part of //reactor. Loop thread only (Listen() may also run before the loop starts).
#ifndef WEFT_REACTOR_RESUMABLE_LISTENER_H_
#define WEFT_REACTOR_RESUMABLE_LISTENER_H_

#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "reactor/endpoint.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/listener.h"

namespace weft::reactor {

class ResumableListener {
 public:
  // `loop` and `callbacks` outlive the listener.
  ResumableListener(EpollEventLoop& loop, ListenerCallbacks& callbacks)
      : loop_(loop), callbacks_(callbacks) {}
  ResumableListener(const ResumableListener&) = delete;
  ResumableListener& operator=(const ResumableListener&) = delete;

  // Binds `endpoint` (ListenEndpoint()'s errors) and remembers it, with the port bound when it
  // asked for port 0.
  absl::Status Listen(const ServerEndpoint& endpoint);
  // Closes the listening socket; connections already accepted are not touched.
  void Stop() { listener_.reset(); }
  // Listens again on the endpoint of the last Listen(). OK when listening already;
  // kFailedPrecondition before any Listen(); else ListenEndpoint()'s errors (the port taken
  // meanwhile: kUnavailable).
  absl::Status Resume();

  bool listening() const { return listener_ != nullptr; }
  // The bound port; 0 when not listening.
  int port() const { return listener_ == nullptr ? 0 : listener_->port(); }

 private:
  EpollEventLoop& loop_;
  ListenerCallbacks& callbacks_;
  std::unique_ptr<Listener> listener_;
  std::optional<ServerEndpoint> endpoint_;
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_RESUMABLE_LISTENER_H_
