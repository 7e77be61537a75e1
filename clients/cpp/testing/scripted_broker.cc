#include "clients/cpp/testing/scripted_broker.h"

#include <utility>

#include "absl/base/internal/endian.h"
#include "reactor/base/check.h"

namespace weft::clients::testing {
namespace {

// Completes one attempt from the loop; destroying it cancels.
class ScriptedAttempt final : public reactor::ConnectRequest {
 public:
  ScriptedAttempt(
      reactor::EventLoop& loop, absl::StatusOr<std::unique_ptr<reactor::Transport>> result,
      absl::AnyInvocable<void(absl::StatusOr<std::unique_ptr<reactor::Transport>>)> done)
      : result_(std::move(result)), done_(std::move(done)) {
    timer_ = loop.CreateTimer([this] { done_(std::move(result_)); });
    timer_->Schedule(absl::ZeroDuration());
  }

 private:
  absl::StatusOr<std::unique_ptr<reactor::Transport>> result_;
  absl::AnyInvocable<void(absl::StatusOr<std::unique_ptr<reactor::Transport>>)> done_;
  std::unique_ptr<reactor::Timer> timer_;
};

}  // namespace

ScriptedBroker::~ScriptedBroker() = default;

TransportConnector ScriptedBroker::Connector() {
  return [this](absl::AnyInvocable<void(absl::StatusOr<std::unique_ptr<reactor::Transport>>)> done)
             -> std::unique_ptr<reactor::ConnectRequest> {
    ++attempts_;
    if (!refusals_.empty()) {
      absl::Status refusal = refusals_.front();
      refusals_.erase(refusals_.begin());
      return std::make_unique<ScriptedAttempt>(loop_, refusal, std::move(done));
    }
    transport_.reset();
    pair_ = std::make_unique<reactor::TransportPair>(loop_);
    transport_ = pair_->TakeB();
    transport_->SetCallbacks(*this);
    received_.clear();
    closed_ = false;
    return std::make_unique<ScriptedAttempt>(loop_, pair_->TakeA(), std::move(done));
  };
}

void ScriptedBroker::Pump() {
  for (int i = 0; i < 100; ++i) {
    loop_.RunUntilIdle();
    if (pair_ == nullptr || pair_->Pump() == 0) {
      loop_.RunUntilIdle();
      if (pair_ == nullptr || pair_->Pump() == 0) return;
    }
  }
}

std::vector<weft::v1::Frame> ScriptedBroker::TakeFrames() {
  std::vector<weft::v1::Frame> frames;
  std::size_t at = 0;
  while (received_.size() - at >= 4) {
    const uint32_t length = absl::big_endian::Load32(received_.data() + at);
    if (received_.size() - at - 4 < length) break;
    weft::v1::Frame frame;
    WEFT_CHECK(frame.ParseFromArray(received_.data() + at + 4, static_cast<int>(length)));
    frames.push_back(std::move(frame));
    at += 4 + length;
  }
  received_.erase(0, at);
  return frames;
}

std::vector<weft::v1::Frame> ScriptedBroker::TakeFrames(weft::v1::Frame::KindCase kind) {
  std::vector<weft::v1::Frame> out;
  for (weft::v1::Frame& frame : TakeFrames()) {
    if (frame.kind_case() == kind) out.push_back(std::move(frame));
  }
  return out;
}

void ScriptedBroker::Send(const weft::v1::Frame& frame) {
  std::string body = frame.SerializeAsString();
  std::string bytes(4, '\0');
  absl::big_endian::Store32(bytes.data(), static_cast<uint32_t>(body.size()));
  bytes += body;
  SendRaw(std::move(bytes));
}

void ScriptedBroker::SendRaw(std::string bytes) {
  WEFT_CHECK(transport_ != nullptr);
  (void)transport_->Write(bytes);
  Pump();
}

void ScriptedBroker::AcceptHandshake(uint32_t max_in_flight, uint32_t max_frame_bytes) {
  Pump();
  std::vector<weft::v1::Frame> hello = TakeFrames(weft::v1::Frame::kHello);
  WEFT_CHECK(hello.size() == 1);
  weft::v1::Frame welcome;
  welcome.mutable_welcome()->set_version(1);
  welcome.mutable_welcome()->set_node("test-node");
  welcome.mutable_welcome()->set_max_in_flight(max_in_flight);
  welcome.mutable_welcome()->set_max_frame_bytes(max_frame_bytes);
  Send(welcome);
}

void ScriptedBroker::SendReply(uint64_t call_id, const google::protobuf::Message& response) {
  weft::v1::Frame frame;
  frame.mutable_reply()->set_call_id(call_id);
  frame.mutable_reply()->set_payload(response.SerializeAsString());
  Send(frame);
}

void ScriptedBroker::SendError(uint64_t call_id, absl::Status status) {
  weft::v1::Frame frame;
  frame.mutable_reply()->set_call_id(call_id);
  frame.mutable_reply()->mutable_status()->set_code(static_cast<int32_t>(status.code()));
  frame.mutable_reply()->mutable_status()->set_message(std::string(status.message()));
  Send(frame);
}

void ScriptedBroker::CloseConnection() {
  if (transport_ != nullptr) transport_->Close();
  Pump();
}

}  // namespace weft::clients::testing
