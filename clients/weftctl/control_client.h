// ControlClient: a blocking client of weft.control.v1.Control for weftctl, wrapping the gRPC stub
// so that callers see absl::Status, never grpc::Status.
//
// Part of //clients/weftctl. Each call carries the bearer token when one is set and a deadline.
// A weftd that cannot be reached (nothing listening, TLS handshake refused, timeout while
// connecting) comes back as kUnavailable "cannot reach weftd at <endpoint>: <reason>"; any other
// error is weftd's own answer, code and message unchanged.
#ifndef WEFT_CLIENTS_WEFTCTL_CONTROL_CLIENT_H_
#define WEFT_CLIENTS_WEFTCTL_CONTROL_CLIENT_H_

#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "weft/control/v1/control.grpc.pb.h"

namespace weft::clients::weftctl {

struct ControlClientOptions {
  // "127.0.0.1:7701", "localhost:7701", "tcp:127.0.0.1:7701" or "unix:/path".
  std::string endpoint = "127.0.0.1:7701";
  // Sent as `authorization: Bearer <token>` when not empty.
  std::string token;
  // PEM CA file: connect with TLS and trust these roots. Empty: plain TCP.
  std::string tls_ca_file;
  // PEM client certificate chain and key, for a listener that requires client certificates.
  // Both or neither; only with tls_ca_file.
  std::string tls_cert_file;
  std::string tls_key_file;
  absl::Duration timeout = absl::Seconds(10);
};

class ControlClient {
 public:
  using Stub = weft::control::v1::Control::Stub;

  // kInvalidArgument when the endpoint is malformed or the CA file cannot be read. Connects
  // lazily, on the first call.
  static absl::StatusOr<std::unique_ptr<ControlClient>> Create(ControlClientOptions options);

  // Calls one unary RPC: `client.Call(&Stub::ListRoutes, request)`.
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                             Response*),
                                const Request& request) {
    grpc::ClientContext context;
    Prepare(context);
    Response response;
    grpc::Status status = (stub_.get()->*method)(&context, request, &response);
    if (!status.ok()) return ToStatus(status);
    return response;
  }

  // Streams Watch without a deadline: `on_event` runs for each event until it returns false (the
  // stream is then cancelled and OK returned) or the stream ends (its status is returned).
  absl::Status Watch(const weft::control::v1::WatchRequest& request,
                     absl::FunctionRef<bool(const weft::control::v1::Event&)> on_event);

 private:
  ControlClient(ControlClientOptions options, std::shared_ptr<grpc::Channel> channel);
  void Prepare(grpc::ClientContext& context) const;
  absl::Status ToStatus(const grpc::Status& status) const;

  ControlClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Stub> stub_;
};

}  // namespace weft::clients::weftctl

#endif  // WEFT_CLIENTS_WEFTCTL_CONTROL_CLIENT_H_
