// Helpers for the control-plane end-to-end tests: calling a unary control RPC as absl::StatusOr,
// polling for a condition, and raw loopback connections speaking wire frames or HTTP/1.1.
//
// Part of //tests/integration (testonly). Blocking; each wait is bounded (a hang fails the test).
#ifndef WEFT_TESTS_INTEGRATION_CONTROL_TESTING_H_
#define WEFT_TESTS_INTEGRATION_CONTROL_TESTING_H_

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpcpp/grpcpp.h"
#include "protocols/http/http_response_decoder.h"
#include "protocols/wire/wire_decoder.h"
#include "protocols/wire/wire_types.h"
#include "weft/control/v1/control.grpc.pb.h"

namespace weft::testing {

using ControlStub = weft::control::v1::Control::Stub;

// Calls one control RPC, with `token` as the authorization metadata when not empty.
template <typename Request, typename Response>
absl::StatusOr<Response> CallControl(ControlStub& stub,
                                     grpc::Status (ControlStub::*method)(grpc::ClientContext*,
                                                                         const Request&, Response*),
                                     const Request& request, const std::string& token = "") {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  if (!token.empty()) context.AddMetadata("authorization", token);
  Response response;
  grpc::Status status = (stub.*method)(&context, request, &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }
  return response;
}

// Polls `condition` until it holds (20 s at most).
bool Eventually(const std::function<bool()>& condition);

// `file` and everything it imports, in dependency order: what a wire Register carries.
google::protobuf::FileDescriptorSet DescriptorSetOf(const google::protobuf::FileDescriptor& file);

// A blocking loopback TCP connection to `port`.
class RawSocket {
 public:
  explicit RawSocket(int port);
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  ~RawSocket();

  // False when the connection was refused.
  bool connected() const { return connected_; }
  void Send(absl::string_view bytes);
  // Up to `max` bytes; empty when the peer closed, nullopt when nothing came within 10 s.
  std::optional<std::string> Receive(std::size_t max = 65536);
  // True when the peer closes within `limit`, skipping any bytes.
  bool ClosedWithin(absl::Duration limit);

 private:
  int fd_;
  bool connected_ = false;
};

// Native wire frames over a RawSocket.
class RawWire {
 public:
  explicit RawWire(int port) : socket_(port) {}
  bool connected() const { return socket_.connected(); }
  void SendFrame(const protocols::wire::Frame& frame);
  // Hello, and expects Welcome.
  void Hello(absl::string_view client_name);
  // The next frame, or nullopt when the peer closed (or 10 s passed). Views stay valid until the
  // next call.
  std::optional<protocols::wire::Frame> Next();
  bool ClosedWithin(absl::Duration limit) { return socket_.ClosedWithin(limit); }

 private:
  RawSocket socket_;
  std::string chunk_;  // The bytes last fed to the decoder.
  protocols::wire::WireDecoder decoder_;
};

// HTTP/1.1 over a RawSocket.
class RawHttp {
 public:
  struct Response {
    int status = 0;
    std::string connection;  // The Connection header.
    std::string body;
  };
  explicit RawHttp(int port) : socket_(port) {}
  bool connected() const { return socket_.connected(); }
  // Sends `request` (a whole HTTP/1.1 request).
  void Request(absl::string_view request, protocols::http::HttpMethod method);
  // The next response, or nullopt when the peer closed or 10 s passed.
  std::optional<Response> Next();
  bool ClosedWithin(absl::Duration limit) { return socket_.ClosedWithin(limit); }

 private:
  RawSocket socket_;
  std::string chunk_;  // The bytes last fed to the decoder.
  protocols::http::HttpResponseDecoder decoder_;
};

}  // namespace weft::testing

#endif  // WEFT_TESTS_INTEGRATION_CONTROL_TESTING_H_
