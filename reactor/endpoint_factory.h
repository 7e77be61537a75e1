// Listening on and connecting to parsed endpoint strings (endpoint.h).
//
// Part of //reactor. This is where endpoint kinds meet their implementations: tcp and unix go
// to TcpListener / ConnectStream, tls adds a TlsTransport around each connection.
#ifndef WEFT_REACTOR_ENDPOINT_FACTORY_H_
#define WEFT_REACTOR_ENDPOINT_FACTORY_H_

#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "reactor/dns_resolver.h"
#include "reactor/endpoint.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/listener.h"
#include "reactor/tcp_listener.h"
#include "reactor/transport.h"

namespace weft::reactor {

// Binds `endpoint` and starts accepting into `callbacks`, which must outlive the listener.
// kInvalidArgument for a bad interface address; kNotFound / kInvalidArgument for unreadable TLS
// certificates or keys; kUnavailable when the address is taken. Loop thread only.
absl::StatusOr<std::unique_ptr<Listener>> ListenEndpoint(EpollEventLoop& loop,
                                                         const ServerEndpoint& endpoint,
                                                         ListenerCallbacks& callbacks);

using TransportCallback = absl::AnyInvocable<void(absl::StatusOr<std::unique_ptr<Transport>>)>;

// Connects to `endpoint`. `done` runs exactly once on the loop thread, never inside this call,
// unless the returned handle is destroyed first. Host names are resolved with `resolver`, and
// each address it returns is tried in turn within the endpoint's timeout; `resolver` may be null
// (nullable borrow, must outlive the request) when the host is numeric or "localhost". Errors:
// kNotFound (unknown host), kUnavailable (refused, unreachable), kDeadlineExceeded (timeout),
// kInvalidArgument (a name without a resolver). For tls, `done` receives the transport before
// the handshake finishes; writes are held until it does, and a failed handshake arrives as
// OnClosed().
std::unique_ptr<ConnectRequest> ConnectEndpoint(EpollEventLoop& loop, DnsResolver* resolver,
                                                const ClientEndpoint& endpoint,
                                                TransportCallback done);

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_ENDPOINT_FACTORY_H_
