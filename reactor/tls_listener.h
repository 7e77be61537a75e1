// TlsListener: a Listener that wraps every connection another Listener accepts in a server-side
// TlsTransport, so tls: endpoints are any stream listener plus this adaptor.
//
// Part of //reactor. Typical use (endpoint_factory.cc, for `tls:PORT:cert=...:key=...`):
//
//   absl::StatusOr<std::unique_ptr<TlsContext>> ctx = TlsContext::CreateServer(options);
//   if (!ctx.ok()) return ctx.status();
//   auto tls = std::make_unique<TlsListener>(loop, *std::move(ctx), callbacks);
//   absl::StatusOr<std::unique_ptr<TcpListener>> tcp =
//       TcpListener::Create(loop, address, listen_options, *tls);
//   if (!tcp.ok()) return tcp.status();
//   tls->SetInner(*std::move(tcp));
//   return std::unique_ptr<Listener>(std::move(tls));
#ifndef WEFT_REACTOR_TLS_LISTENER_H_
#define WEFT_REACTOR_TLS_LISTENER_H_

#include <memory>
#include <string>

#include "reactor/event_loop.h"
#include "reactor/listener.h"
#include "reactor/tls_context.h"
#include "reactor/transport.h"

namespace weft::reactor {

class TlsListener final : public Listener, public ListenerCallbacks {
 public:
  // `loop` and `callbacks` must outlive the listener; `context` must be a server context.
  // `callbacks` receives each connection as a TlsTransport whose handshake has not run yet:
  // writes are held until it completes, and a failed handshake arrives as OnClosed().
  TlsListener(EventLoop& loop, std::unique_ptr<TlsContext> context, ListenerCallbacks& callbacks);
  ~TlsListener() override;

  // Takes the listener that accepts the plain connections; its callbacks must be `*this`. Call
  // once, right after creating it. Destroying the TlsListener destroys it.
  void SetInner(std::unique_ptr<Listener> inner);

  // Listener (forwarded to the inner listener)
  std::string address() const override;
  int port() const override;
  void PauseAccepting() override;
  void ResumeAccepting() override;

  // ListenerCallbacks
  void OnAccept(std::unique_ptr<Transport> transport) override;

  const TlsContext& context() const { return *context_; }

 private:
  EventLoop& loop_;
  const std::unique_ptr<TlsContext> context_;
  ListenerCallbacks& callbacks_;
  std::unique_ptr<Listener> inner_;  // Null until SetInner().
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_TLS_LISTENER_H_
