#include "broker/control/control_server.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker/config.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"

namespace weft::broker::control {
namespace {

namespace v1 = ::weft::control::v1;

// How long calls in progress at a drain may take before gRPC cancels them; control calls take
// milliseconds, and idle client connections hold the shutdown up until it passes.
constexpr auto kShutdownGrace = std::chrono::milliseconds(500);

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("listeners.control.", field, ": cannot read '", path, "'"));
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// gRPC's address for `endpoint`: "127.0.0.1:7701", "[::1]:7701" or "unix:/path".
std::string GrpcAddress(const reactor::ServerEndpoint& endpoint) {
  if (endpoint.kind == reactor::EndpointKind::kUnix) return absl::StrCat("unix:", endpoint.path);
  if (absl::StrContains(endpoint.interface, ':')) {
    return absl::StrCat("[", endpoint.interface, "]:", endpoint.port);
  }
  return absl::StrCat(endpoint.interface, ":", endpoint.port);
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(
    const reactor::ServerEndpoint& endpoint) {
  if (endpoint.kind != reactor::EndpointKind::kTls) return grpc::InsecureServerCredentials();
  absl::StatusOr<std::string> cert = ReadFile(endpoint.tls.cert_file, "tls.cert_file");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFile(endpoint.tls.key_file, "tls.key_file");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  options.pem_key_cert_pairs.push_back({*std::move(key), *std::move(cert)});
  if (!endpoint.tls.ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadFile(endpoint.tls.ca_file, "tls.client_ca_file");
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *std::move(ca);
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

// The listener of `gateway` ("wire", "http"...) in the config's `listeners`; null when none.
const config::v1::Listener* FindListener(const config::v1::Listeners& listeners,
                                         const std::string& gateway) {
  const google::protobuf::FieldDescriptor* field =
      config::v1::Listeners::descriptor()->FindFieldByName(gateway);
  if (field == nullptr || field->message_type() != config::v1::Listener::descriptor()) {
    return nullptr;
  }
  return static_cast<const config::v1::Listener*>(
      &listeners.GetReflection()->GetMessage(listeners, field));
}

std::optional<v1::ListenerStatus> Describe(const config::v1::Listeners& listeners,
                                           const BoundListener& bound) {
  const config::v1::Listener* listener = FindListener(listeners, bound.gateway);
  if (listener == nullptr || bound.port == 0) return std::nullopt;
  absl::StatusOr<reactor::ServerEndpoint> endpoint = ListenerEndpoint(*listener);
  if (!endpoint.ok()) return std::nullopt;
  endpoint->port = bound.port;
  v1::ListenerStatus status;
  status.set_gateway(bound.gateway);
  status.set_endpoint(endpoint->ToString());
  status.set_tls(endpoint->kind == reactor::EndpointKind::kTls);
  return status;
}

// A listener that requires client certificates authenticates every caller in the TLS handshake
// (config.proto: "counts as authentication for this listener"); tokens are then not asked for.
ControlServiceOptions ServiceOptions(const config::v1::BrokerConfig& config,
                                     const std::vector<std::string>& tokens,
                                     const reactor::ServerEndpoint& endpoint) {
  ControlServiceOptions options;
  options.node = config.node();
  options.loops = config.loops();
  options.started = absl::Now();
  const bool client_certificates =
      endpoint.kind == reactor::EndpointKind::kTls && !endpoint.tls.ca_file.empty();
  if (config.auth().require_auth() && !client_certificates) {
    options.tokens.emplace(tokens.begin(), tokens.end());
  }
  return options;
}

}  // namespace

ControlServer::~ControlServer() {
  service_->Close();
  if (shutdown_.joinable()) {
    shutdown_.join();
  } else {
    server_->Shutdown(std::chrono::system_clock::now());
  }
  server_->Wait();
}

void ControlServer::Shutdown() {
  if (shutdown_.joinable()) return;
  service_->EndWatches();
  shutdown_ = std::thread([server = server_.get()] {
    server->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
  });
}

absl::StatusOr<std::unique_ptr<ControlServer>> StartControlServer(
    const config::v1::BrokerConfig& config, const std::vector<std::string>& tokens, Broker& broker,
    reactor::EventLoop& home, std::vector<BoundListener> bound, ConfigReloader& reloader,
    GatewayControl* gateways) {
  const config::v1::Listener& listener = config.listeners().control();
  if (!listener.enabled()) return nullptr;
  absl::StatusOr<reactor::ServerEndpoint> endpoint = ListenerEndpoint(listener);
  if (!endpoint.ok()) return endpoint.status();
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials = Credentials(*endpoint);
  if (!credentials.ok()) return credentials.status();

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  auto service = std::make_unique<ControlService>(
      broker, home, ServiceOptions(config, tokens, *endpoint), reloader, gateways);
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default, which would let two weftds share a control port.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  int port = 0;
  const std::string address = GrpcAddress(*endpoint);
  builder.AddListeningPort(address, *credentials, &port);
  builder.RegisterService(service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || (endpoint->kind != reactor::EndpointKind::kUnix && port == 0)) {
    return absl::UnavailableError(absl::StrCat("listeners.control: cannot listen on ", address));
  }
  if (endpoint->kind != reactor::EndpointKind::kUnix) endpoint->port = port;
  server->GetHealthCheckService()->SetServingStatus(true);
  server->GetHealthCheckService()->SetServingStatus(weft::control::v1::Control::service_full_name(),
                                                    true);

  std::vector<v1::ListenerStatus> listeners;
  for (const BoundListener& entry : bound) {
    if (std::optional<v1::ListenerStatus> status = Describe(config.listeners(), entry)) {
      listeners.push_back(*std::move(status));
    }
  }
  v1::ListenerStatus& control = listeners.emplace_back();
  control.set_gateway("control");
  control.set_endpoint(endpoint->ToString());
  control.set_tls(endpoint->kind == reactor::EndpointKind::kTls);
  service->SetListeners(std::move(listeners));
  std::printf("weftd: control listening on %s\n", endpoint->ToString().c_str());
  return std::make_unique<ControlServer>(std::move(service), std::move(server),
                                         endpoint->ToString());
}

}  // namespace weft::broker::control
