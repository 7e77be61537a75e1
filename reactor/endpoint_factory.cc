#include "reactor/endpoint_factory.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "reactor/tls_context.h"
#include "reactor/tls_listener.h"
#include "reactor/tls_transport.h"

namespace weft::reactor {
namespace {

// Resolves the host (unless numeric), then tries each address in turn until one connects or the
// endpoint's timeout runs out. Results always arrive from the loop, never inside a call.
class EndpointConnector final : public ConnectRequest, private DeferredCall {
 public:
  EndpointConnector(EpollEventLoop& loop, DnsResolver* resolver, const ClientEndpoint& endpoint,
                    TransportCallback done)
      : loop_(loop),
        endpoint_(endpoint),
        deadline_(loop.clock().MonotonicNow() + endpoint.timeout),
        done_(std::move(done)) {
    Start(resolver);
  }

 private:
  void Start(DnsResolver* resolver) {
    if (endpoint_.kind == EndpointKind::kUnix) {
      return Resolved(ToList(SocketAddress::FromUnixPath(endpoint_.path)));
    }
    absl::StatusOr<SocketAddress> numeric =
        endpoint_.host == "localhost" ? SocketAddress::FromIp("127.0.0.1", endpoint_.port)
                                      : SocketAddress::FromIp(endpoint_.host, endpoint_.port);
    if (numeric.ok() || resolver == nullptr) {
      if (!numeric.ok()) {
        return Finish(absl::InvalidArgumentError(
            absl::StrCat("connect to ", endpoint_.host, ": a host name needs a DNS resolver")));
      }
      return Resolved(ToList(numeric));
    }
    resolve_ = resolver->Resolve(endpoint_.host, static_cast<uint16_t>(endpoint_.port),
                                 AddressFamily::kAny,
                                 [this](absl::StatusOr<std::vector<ResolvedAddress>> result) {
                                   if (!result.ok()) return Finish(result.status());
                                   std::vector<SocketAddress> addresses;
                                   for (ResolvedAddress& resolved : *result)
                                     addresses.push_back(resolved.address);
                                   Resolved(std::move(addresses));
                                 });
  }

  static absl::StatusOr<std::vector<SocketAddress>> ToList(absl::StatusOr<SocketAddress> one) {
    if (!one.ok()) return one.status();
    return std::vector<SocketAddress>{*std::move(one)};
  }

  void Resolved(absl::StatusOr<std::vector<SocketAddress>> addresses) {
    if (!addresses.ok()) return Finish(addresses.status());
    if (addresses->empty()) {
      return Finish(
          absl::NotFoundError(absl::StrCat("connect to ", endpoint_.host, ": no address")));
    }
    addresses_ = *std::move(addresses);
    TryNext(absl::UnavailableError("no address tried"));
  }

  void TryNext(absl::Status last_error) {
    const absl::Duration left = deadline_ - loop_.clock().MonotonicNow();
    if (next_ == addresses_.size() || left <= absl::ZeroDuration()) {
      return Finish(left <= absl::ZeroDuration() && next_ < addresses_.size()
                        ? absl::DeadlineExceededError(
                              absl::StrCat("connect to ", endpoint_.ToString(), ": timed out"))
                        : last_error);
    }
    const SocketAddress& address = addresses_[next_++];
    attempt_ = ConnectStream(loop_, address, left,
                             [this](absl::StatusOr<std::unique_ptr<TcpTransport>> result) {
                               if (!result.ok()) return TryNext(result.status());
                               Connected(*std::move(result));
                             });
  }

  void Connected(std::unique_ptr<Transport> transport) {
    if (endpoint_.kind != EndpointKind::kTls) return Finish(std::move(transport));
    TlsClientOptions options;
    options.ca_file = endpoint_.tls.ca_file;
    options.verify_peer = endpoint_.tls.verify_peer;
    options.alpn = endpoint_.tls.alpn;
    options.cert_file = endpoint_.tls.cert_file;
    options.key_file = endpoint_.tls.key_file;
    absl::StatusOr<std::unique_ptr<TlsContext>> context = TlsContext::CreateClient(options);
    if (!context.ok()) return Finish(context.status());
    // Without an explicit sni=, the certificate must match the host we dialled.
    const std::string& server_name =
        endpoint_.tls.server_name.empty() ? endpoint_.host : endpoint_.tls.server_name;
    Finish(std::unique_ptr<Transport>(
        TlsTransport::Wrap(loop_, std::move(transport), **context, TlsRole::kClient, server_name)));
  }

  void Finish(absl::StatusOr<std::unique_ptr<Transport>> result) {
    result_ = std::move(result);
    loop_.Schedule(*this);
  }

  // DeferredCall
  void RunDeferredCall() override {
    TransportCallback done = std::move(done_);
    done(std::move(result_));  // The owner may destroy `this` here.
  }

  EpollEventLoop& loop_;
  const ClientEndpoint endpoint_;
  const absl::Time deadline_;
  TransportCallback done_;
  std::unique_ptr<ResolveRequest> resolve_;
  std::unique_ptr<ConnectRequest> attempt_;
  std::vector<SocketAddress> addresses_;
  std::size_t next_ = 0;
  absl::StatusOr<std::unique_ptr<Transport>> result_ = absl::UnknownError("pending");
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
  if (endpoint.kind != EndpointKind::kTls) {
    absl::StatusOr<std::unique_ptr<TcpListener>> listener =
        TcpListener::Create(loop, *address, options, callbacks);
    if (!listener.ok()) return listener.status();
    return std::unique_ptr<Listener>(*std::move(listener));
  }
  TlsServerOptions tls;
  tls.cert_file = endpoint.tls.cert_file;
  tls.key_file = endpoint.tls.key_file;
  tls.ca_file = endpoint.tls.ca_file;
  tls.require_client_cert = !endpoint.tls.ca_file.empty();
  tls.alpn = endpoint.tls.alpn;
  absl::StatusOr<std::unique_ptr<TlsContext>> context = TlsContext::CreateServer(tls);
  if (!context.ok()) return context.status();
  auto listener = std::make_unique<TlsListener>(loop, *std::move(context), callbacks);
  absl::StatusOr<std::unique_ptr<TcpListener>> tcp =
      TcpListener::Create(loop, *address, options, *listener);
  if (!tcp.ok()) return tcp.status();
  listener->SetInner(*std::move(tcp));
  return std::unique_ptr<Listener>(std::move(listener));
}

std::unique_ptr<ConnectRequest> ConnectEndpoint(EpollEventLoop& loop, DnsResolver* resolver,
                                                const ClientEndpoint& endpoint,
                                                TransportCallback done) {
  return std::make_unique<EndpointConnector>(loop, resolver, endpoint, std::move(done));
}

}  // namespace weft::reactor
