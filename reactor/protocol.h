// Twisted's Protocol / Factory split over Transport, and ProtocolServer, which owns the
// connections a listener accepts.
//
// Part of //reactor. A Protocol is the per-connection consumer (Twisted's `Protocol`), a Factory
// builds one per accepted connection (Twisted's `Factory.buildProtocol`). Code that wants to own
// its transport itself (gateway sessions) implements TransportCallbacks directly instead.
#ifndef WEFT_REACTOR_PROTOCOL_H_
#define WEFT_REACTOR_PROTOCOL_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "reactor/event_loop.h"
#include "reactor/listener.h"
#include "reactor/transport.h"

namespace weft::reactor {

// Convenience base for connection consumers, with Twisted's defaults: a peer's EOF closes the
// connection (override OnReadEof() to half-close, as IHalfCloseableProtocol does) and flow
// control events are ignored (override them to act as a producer).
class Protocol : public TransportCallbacks {
 public:
  // Called once, before any other event. `transport` outlives every later callback.
  virtual void ConnectionMade(Transport& transport) { transport_ = &transport; }

  // TransportCallbacks
  void OnReadEof() override { transport_->Close(); }
  void OnWriteBufferHigh() override {}
  void OnWriteBufferLow() override {}

 protected:
  Transport& transport() const { return *transport_; }

 private:
  Transport* transport_ = nullptr;  // Set by ConnectionMade(); not owned.
};

class Factory {
 public:
  Factory() = default;
  Factory(const Factory&) = delete;
  Factory& operator=(const Factory&) = delete;
  virtual ~Factory() = default;

  // Builds the protocol for a new connection from `peer_address`. Returning nullptr refuses the
  // connection (it is closed at once).
  virtual std::unique_ptr<Protocol> BuildProtocol(absl::string_view peer_address) = 0;
};

// Accepts transports from a Listener, pairs each with a Protocol from `factory`, and owns both
// until the transport reports OnClosed(), after which they are deleted (deferred). Destroying the
// server aborts the connections still open without calling their protocols. Loop thread only.
class ProtocolServer final : public ListenerCallbacks {
 public:
  // `loop` and `factory` must outlive the server.
  ProtocolServer(EventLoop& loop, Factory& factory);
  ~ProtocolServer() override;

  // ListenerCallbacks
  void OnAccept(std::unique_ptr<Transport> transport) override;

  // Starts an orderly Close() on every open connection.
  void CloseAll();

  std::size_t connection_count() const { return count_; }

 private:
  class Connection;
  friend class Connection;

  void Unlink(Connection& connection);

  EventLoop& loop_;
  Factory& factory_;
  Connection* head_ = nullptr;  // Intrusive list of open connections; each owns itself.
  std::size_t count_ = 0;
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_PROTOCOL_H_
