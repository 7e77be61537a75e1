#include "reactor/endpoint_factory.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace weft::reactor {
namespace {

absl::StatusOr<SocketAddress> ResolveHost(const std::string& host, int port) {
  if (host == "localhost") return SocketAddress::FromIp("127.0.0.1", port);
  return SocketAddress::FromIp(host, port);
}

// Reports a failure through the normal asynchronous path.
class FailedConnect final : public ConnectRequest, private DeferredCall {
 public:
  FailedConnect(EpollEventLoop& loop, absl::Status status, TransportCallback done)
      : status_(std::move(status)), done_(std::move(done)) {
    loop.Schedule(*this);
  }

 private:
  // DeferredCall
  void RunDeferredCall() override {
    TransportCallback done = std::move(done_);
    done(std::move(status_));
  }

  absl::Status status_;
  TransportCallback done_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Listener>> ListenEndpoint(EpollEventLoop& loop,
                                                         const ServerEndpoint& endpoint,
                                                         ListenerCallbacks& callbacks) {
  ListenOptions options;
  options.backlog = endpoint.backlog;
  options.reuse_port = endpoint.reuse_port;
  absl::StatusOr<SocketAddress> address =
      endpoint.kind == EndpointKind::kUnix
          ? SocketAddress::FromUnixPath(endpoint.path)
          : SocketAddress::FromIp(endpoint.interface, endpoint.port);
  if (!address.ok()) return address.status();
  absl::StatusOr<std::unique_ptr<TcpListener>> listener =
      TcpListener::Create(loop, *address, options, callbacks);
  if (!listener.ok()) return listener.status();
  return std::unique_ptr<Listener>(*std::move(listener));
}

std::unique_ptr<ConnectRequest> ConnectEndpoint(EpollEventLoop& loop,
                                                const ClientEndpoint& endpoint,
                                                TransportCallback done) {
  absl::StatusOr<SocketAddress> address = endpoint.kind == EndpointKind::kUnix
                                              ? SocketAddress::FromUnixPath(endpoint.path)
                                              : ResolveHost(endpoint.host, endpoint.port);
  if (!address.ok())
    return std::make_unique<FailedConnect>(loop, address.status(), std::move(done));
  return ConnectStream(
      loop, *address, endpoint.timeout,
      [done = std::move(done)](absl::StatusOr<std::unique_ptr<TcpTransport>> result) mutable {
        if (!result.ok()) return done(result.status());
        done(std::unique_ptr<Transport>(*std::move(result)));
      });
}

}  // namespace weft::reactor
