// Listener: a bound, listening server socket; ListenerCallbacks receive accepted transports.
//
// Part of //reactor. Listeners come from Listen() in endpoint.h (any endpoint string) or
// TcpListener (tcp_listener.h). Destroying a Listener closes the socket; connections already
// accepted are unaffected.
#ifndef WEFT_REACTOR_LISTENER_H_
#define WEFT_REACTOR_LISTENER_H_

#include <memory>
#include <string>

#include "reactor/transport.h"

namespace weft::reactor {

class ListenerCallbacks {
 public:
  ListenerCallbacks() = default;
  ListenerCallbacks(const ListenerCallbacks&) = delete;
  ListenerCallbacks& operator=(const ListenerCallbacks&) = delete;
  virtual ~ListenerCallbacks() = default;

  // A connection was accepted. The callee owns `transport`, which does not read until
  // SetCallbacks() is called. Loop thread only.
  virtual void OnAccept(std::unique_ptr<Transport> transport) = 0;
};

class Listener {
 public:
  Listener() = default;
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  virtual ~Listener() = default;

  // The bound address ("127.0.0.1:43121", "[::1]:7700", "unix:/run/weft.sock").
  virtual std::string address() const = 0;

  // The bound TCP port, or 0 for a Unix socket. Useful after binding port 0.
  virtual int port() const = 0;

  // Stops and restarts accepting; pending connections wait in the kernel backlog.
  virtual void PauseAccepting() = 0;
  virtual void ResumeAccepting() = 0;
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_LISTENER_H_
