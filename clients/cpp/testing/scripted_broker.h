// ScriptedBroker: the broker side of a Client under test, scripted frame by frame.
//
// Part of //clients/cpp/testing (testonly). A test double, not a broker: every connection
// attempt of the client is a TransportPair on a FakeEventLoop; the test reads the frames the
// client sent (parsed with protoc's weft.v1.Frame, independently of the client's own codec) and
// writes frames back. Loop thread only.
#ifndef WEFT_CLIENTS_CPP_TESTING_SCRIPTED_BROKER_H_
#define WEFT_CLIENTS_CPP_TESTING_SCRIPTED_BROKER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "clients/cpp/client.h"
#include "reactor/testing/fake_event_loop.h"
#include "reactor/testing/in_memory_transport.h"
#include "weft/v1/wire.pb.h"

namespace weft::clients::testing {

class ScriptedBroker final : public reactor::TransportCallbacks {
 public:
  explicit ScriptedBroker(reactor::FakeEventLoop& loop) : loop_(loop) {}
  ~ScriptedBroker() override;

  // A connector for Client::Connect(loop, connector, options). Each attempt connects a new
  // pair (or fails with the next queued refusal). The broker must outlive the client.
  TransportConnector Connector();
  // The next attempt fails with `status` instead of connecting.
  void RefuseNextAttempt(absl::Status status) { refusals_.push_back(std::move(status)); }
  int attempts() const { return attempts_; }

  // Runs the loop and moves bytes until nothing moves.
  void Pump();
  // Frames the client sent on the current connection since the last call.
  std::vector<weft::v1::Frame> TakeFrames();
  // Frames of one kind, from TakeFrames() (others are dropped).
  std::vector<weft::v1::Frame> TakeFrames(weft::v1::Frame::KindCase kind);

  void Send(const weft::v1::Frame& frame);
  void SendRaw(std::string bytes);
  // Reads Hello, answers Welcome (node "test-node") and pumps.
  void AcceptHandshake(uint32_t max_in_flight = 0, uint32_t max_frame_bytes = 0);
  void SendReply(uint64_t call_id, const google::protobuf::Message& response);
  void SendError(uint64_t call_id, absl::Status status);
  // Closes the broker's side of the current connection (the client sees EOF).
  void CloseConnection();

  bool connected() const { return transport_ != nullptr && !closed_; }
  bool client_closed() const { return closed_; }

  // reactor::TransportCallbacks
  void OnData(absl::string_view bytes) override { received_.append(bytes.data(), bytes.size()); }
  void OnReadEof() override { closed_ = true; }
  void OnWriteBufferHigh() override {}
  void OnWriteBufferLow() override {}
  void OnClosed(absl::Status) override { closed_ = true; }

 private:
  reactor::FakeEventLoop& loop_;
  std::vector<absl::Status> refusals_;
  int attempts_ = 0;
  std::unique_ptr<reactor::TransportPair> pair_;
  std::unique_ptr<reactor::Transport> transport_;
  std::string received_;
  bool closed_ = false;
};

}  // namespace weft::clients::testing

#endif  // WEFT_CLIENTS_CPP_TESTING_SCRIPTED_BROKER_H_
