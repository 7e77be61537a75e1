#include "clients/weftctl/control_client.h"

#include <chrono>
#include <fstream>
#include <iterator>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace weft::clients::weftctl {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read '", path, "'"));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials(
    const ControlClientOptions& options) {
  const bool client_certificate = !options.tls_cert_file.empty() || !options.tls_key_file.empty();
  if (options.tls_ca_file.empty()) {
    if (client_certificate) {
      return absl::InvalidArgumentError("--tls-cert and --tls-key need --tls-ca");
    }
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions ssl;
  absl::StatusOr<std::string> ca = ReadFile(options.tls_ca_file, "--tls-ca");
  if (!ca.ok()) return ca.status();
  ssl.pem_root_certs = *std::move(ca);
  if (client_certificate) {
    if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
      return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
    }
    absl::StatusOr<std::string> cert = ReadFile(options.tls_cert_file, "--tls-cert");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadFile(options.tls_key_file, "--tls-key");
    if (!key.ok()) return key.status();
    ssl.pem_cert_chain = *std::move(cert);
    ssl.pem_private_key = *std::move(key);
  }
  return grpc::SslCredentials(ssl);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ControlClient>> ControlClient::Create(ControlClientOptions options) {
  absl::string_view endpoint = options.endpoint;
  absl::ConsumePrefix(&endpoint, "tcp:");
  if (endpoint.empty() ||
      (!absl::StartsWith(endpoint, "unix:") && endpoint.find(':') == absl::string_view::npos)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--endpoint: '", options.endpoint, "' is not HOST:PORT or unix:PATH"));
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials = Credentials(options);
  if (!credentials.ok()) return credentials.status();
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(std::string(endpoint), *std::move(credentials));
  return std::unique_ptr<ControlClient>(new ControlClient(std::move(options), std::move(channel)));
}

ControlClient::ControlClient(ControlClientOptions options, std::shared_ptr<grpc::Channel> channel)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      stub_(weft::control::v1::Control::NewStub(channel_)) {}

void ControlClient::Prepare(grpc::ClientContext& context) const {
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
  if (!options_.token.empty()) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", options_.token));
  }
}

absl::Status ControlClient::Watch(
    const weft::control::v1::WatchRequest& request,
    absl::FunctionRef<bool(const weft::control::v1::Event&)> on_event) {
  grpc::ClientContext context;
  if (!options_.token.empty()) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", options_.token));
  }
  std::unique_ptr<grpc::ClientReader<weft::control::v1::Event>> reader =
      stub_->Watch(&context, request);
  // weftd answers a subscribed stream with its initial metadata; once the channel carried it,
  // a later error (weftd shutting down) is weftd's answer, not "cannot reach".
  reader->WaitForInitialMetadata();
  const bool reached = channel_->GetState(false) == GRPC_CHANNEL_READY;
  weft::control::v1::Event event;
  bool stopped = false;
  while (reader->Read(&event)) {
    if (!on_event(event)) {
      stopped = true;
      context.TryCancel();
      break;
    }
  }
  if (stopped) {
    while (reader->Read(&event)) {
    }
    (void)reader->Finish();
    return absl::OkStatus();
  }
  grpc::Status status = reader->Finish();
  if (status.ok()) return absl::OkStatus();
  if (reached) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }
  return ToStatus(status);
}

absl::Status ControlClient::ToStatus(const grpc::Status& status) const {
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  // The channel never connected: weftd did not answer at all.
  const bool unreachable = (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                            status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) &&
                           channel_->GetState(false) != GRPC_CHANNEL_READY;
  if (unreachable) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach weftd at ", options_.endpoint, ": ", status.error_message()));
  }
  return absl::Status(code, status.error_message());
}

}  // namespace weft::clients::weftctl
