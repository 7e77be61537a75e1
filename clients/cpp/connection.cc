#include "clients/cpp/connection.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "protocols/wire/limits.h"
#include "protocols/wire/wire_encoder.h"
#include "reactor/base/check.h"

namespace weft::clients::internal {
namespace wire = ::weft::protocols::wire;

namespace {

constexpr uint32_t kProtocolVersion = 1;
constexpr std::size_t kLengthPrefixBytes = 4;

wire::WireLimits IncomingLimits(const ConnectionConfig& config) {
  wire::WireLimits limits;
  limits.max_frame_bytes = config.max_incoming_frame_bytes;
  return limits;
}

// gRPC codes are absl's; anything else from the peer is UNKNOWN.
absl::Status StatusFromWire(int32_t code, absl::string_view message) {
  if (code < 0 || code > static_cast<int32_t>(absl::StatusCode::kUnauthenticated)) {
    return absl::UnknownError(absl::StrCat("wire: unknown status code ", code, ": ", message));
  }
  return absl::Status(static_cast<absl::StatusCode>(code), message);
}

const char* FrameName(const wire::Frame& frame) {
  static constexpr const char* kNames[] = {"Hello",     "Welcome", "Register", "Call",
                                           "Reply",     "Cancel",  "Release",  "Publish",
                                           "Subscribe", "Ping",    "Pong",     "GoAway"};
  return kNames[frame.index()];
}

}  // namespace

Connection::Connection(reactor::EventLoop& loop, std::unique_ptr<reactor::Transport> transport,
                       ConnectionCallbacks& callbacks, CallCanceller& canceller,
                       const ConnectionConfig& config)
    : loop_(loop),
      transport_(std::move(transport)),
      callbacks_(callbacks),
      canceller_(canceller),
      decoder_(IncomingLimits(config)),
      flush_timer_(loop.CreateTimer([this] { Flush(); })),
      keepalive_interval_(config.keepalive_interval) {
  transport_->SetCallbacks(*this);
  wire::Hello hello;
  hello.version = kProtocolVersion;
  hello.client_name = config.client_name;
  hello.token = config.token;
  wire::EncodeHello(hello, out_);
  Flush();
}

Connection::~Connection() = default;

void Connection::StartCall(uint64_t call_id, absl::string_view service, uint64_t object_id,
                           absl::string_view method, const google::protobuf::Message& request,
                           google::protobuf::Message& response, Controller& controller,
                           google::protobuf::Closure& done, absl::Duration timeout) {
  WEFT_DCHECK(loop_.IsInLoopThread());
  absl::Status status;
  if (!controller.Bind(loop_, canceller_, call_id)) {
    status = absl::CancelledError("client: call cancelled");
  } else if (!ready()) {
    status = absl::UnavailableError("client: not connected");
  } else {
    const bool send_now = HasSlot() && queue_.empty();
    std::string queued;
    std::string& target = send_now ? out_ : queued;
    status = EncodeCall(call_id, service, object_id, method, request, controller, timeout, target);
    if (status.ok()) {
      PendingCall& call = calls_[call_id];
      call.response = &response;
      call.controller = &controller;
      call.done = &done;
      call.sent = send_now;
      if (send_now) {
        ++in_flight_;
        ScheduleFlush();
      } else {
        call.queued_frame = std::move(queued);
        queue_.push_back(call_id);
      }
      ArmDeadline(call_id, call, timeout);
      return;
    }
  }
  controller.Complete(std::move(status));
  done.Run();
}

absl::Status Connection::EncodeCall(uint64_t call_id, absl::string_view service, uint64_t object_id,
                                    absl::string_view method,
                                    const google::protobuf::Message& request,
                                    const Controller& controller, absl::Duration timeout,
                                    std::string& out) {
  wire::Call call;
  call.call_id = call_id;
  call.service = service;
  call.object_id = object_id;
  call.method = method;
  if (timeout > absl::ZeroDuration() && timeout != absl::InfiniteDuration()) {
    call.timeout_micros = std::max<int64_t>(1, absl::ToInt64Microseconds(timeout));
  }
  for (const auto& [key, value] : controller.metadata()) call.metadata.emplace_back(key, value);
  const std::size_t payload_size = request.ByteSizeLong();
  const std::size_t start = out.size();
  wire::EncodeCallHeader(call, payload_size, out);
  const std::size_t frame_body = out.size() - start - kLengthPrefixBytes + payload_size;
  if (frame_body > peer_max_frame()) {
    out.resize(start);
    return absl::ResourceExhaustedError(absl::StrCat(
        "client: call of ", frame_body, " bytes exceeds the broker's limit of ", peer_max_frame()));
  }
  const std::size_t header_end = out.size();
  out.resize(header_end + payload_size);
  request.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(&out[header_end]));
  return absl::OkStatus();
}

void Connection::ArmDeadline(uint64_t call_id, PendingCall& call, absl::Duration timeout) {
  if (timeout <= absl::ZeroDuration() || timeout == absl::InfiniteDuration()) return;
  call.deadline = loop_.CreateTimer([this, call_id] {
    CancelCall(call_id, absl::DeadlineExceededError("client: deadline exceeded"));
  });
  call.deadline->Schedule(timeout);
}

void Connection::CancelCall(uint64_t call_id, absl::Status status) {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return;
  if (it->second.sent && !dead_) {
    wire::EncodeCancel(wire::Cancel{call_id}, out_);
    abandoned_.insert(call_id);  // Still in flight at the broker until it replies.
    ScheduleFlush();
  }
  Finish(call_id, std::move(status));
}

void Connection::Finish(uint64_t call_id, absl::Status status) {
  auto it = calls_.find(call_id);
  WEFT_DCHECK(it != calls_.end());
  PendingCall call = std::move(it->second);
  calls_.erase(it);
  call.controller->Complete(std::move(status));
  call.done->Run();  // May destroy the controller, the client, or shut this down.
}

bool Connection::HasSlot() const {
  return welcome_.max_in_flight == 0 || in_flight_ < welcome_.max_in_flight;
}

void Connection::PumpQueue() {
  while (!dead_ && !queue_.empty() && HasSlot()) {
    const uint64_t call_id = queue_.front();
    queue_.pop_front();
    auto it = calls_.find(call_id);
    if (it == calls_.end()) continue;  // Completed (cancelled, timed out) while queued.
    out_.append(it->second.queued_frame);
    std::string().swap(it->second.queued_frame);
    it->second.sent = true;
    ++in_flight_;
    ScheduleFlush();
  }
}

void Connection::SendRegister(uint64_t call_id, const std::vector<std::string>& services,
                              const std::string& descriptors,
                              absl::AnyInvocable<void(absl::Status)> done) {
  if (!ready()) {
    done(absl::UnavailableError("client: not connected"));
    return;
  }
  wire::Register frame;
  frame.call_id = call_id;
  frame.services.assign(services.begin(), services.end());
  frame.descriptors = descriptors;
  const std::size_t start = out_.size();
  wire::EncodeRegister(frame, out_);
  if (out_.size() - start - kLengthPrefixBytes > peer_max_frame()) {
    out_.resize(start);
    done(absl::ResourceExhaustedError("client: Register exceeds the broker's frame limit"));
    return;
  }
  registers_[call_id] = std::move(done);
  ScheduleFlush();
}

void Connection::SendReply(uint64_t call_id, const absl::Status& status,
                           const google::protobuf::Message* response) {
  if (dead_) return;
  wire::Reply reply;
  reply.call_id = call_id;
  reply.status_code = static_cast<int32_t>(status.code());
  reply.status_message = status.message();
  const std::size_t payload_size =
      status.ok() && response != nullptr ? response->ByteSizeLong() : 0;
  const std::size_t start = out_.size();
  wire::EncodeReplyHeader(reply, payload_size, out_);
  if (out_.size() - start - kLengthPrefixBytes + payload_size > peer_max_frame()) {
    out_.resize(start);
    SendReply(call_id, absl::ResourceExhaustedError("client: reply exceeds the frame limit"),
              nullptr);
    return;
  }
  if (payload_size > 0) {
    const std::size_t header_end = out_.size();
    out_.resize(header_end + payload_size);
    response->SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(&out_[header_end]));
  }
  ScheduleFlush();
}

void Connection::SendRelease(const std::vector<uint64_t>& object_ids) {
  if (dead_ || object_ids.empty()) return;
  const std::size_t kMaxIds = wire::WireLimits{}.max_list_entries;
  for (std::size_t i = 0; i < object_ids.size(); i += kMaxIds) {
    wire::Release release;
    const std::size_t end = std::min(object_ids.size(), i + kMaxIds);
    release.object_ids.assign(object_ids.begin() + i, object_ids.begin() + end);
    wire::EncodeRelease(release, out_);
  }
  ScheduleFlush();
}

void Connection::SendSubscribe(absl::string_view topic, bool unsubscribe) {
  if (!ready()) return;
  wire::EncodeSubscribe(wire::Subscribe{topic, unsubscribe}, out_);
  ScheduleFlush();
}

absl::Status Connection::SendPublish(absl::string_view topic,
                                     const google::protobuf::Message& message) {
  if (!ready()) return absl::UnavailableError("client: not connected");
  wire::Publish publish;
  publish.topic = topic;
  const std::string payload = message.SerializeAsString();
  publish.payload = payload;
  const std::string type_url =
      absl::StrCat("type.googleapis.com/", message.GetDescriptor()->full_name());
  publish.type_url = type_url;
  const std::size_t start = out_.size();
  wire::EncodePublish(publish, out_);
  if (out_.size() - start - kLengthPrefixBytes > peer_max_frame()) {
    out_.resize(start);
    return absl::ResourceExhaustedError("client: publication exceeds the broker's frame limit");
  }
  ScheduleFlush();
  return absl::OkStatus();
}

void Connection::Shutdown(absl::Status status) {
  lost_reported_ = true;  // The owner asked: no OnLost().
  if (dead_) return;
  dead_ = true;
  keepalive_timer_.reset();
  Flush();
  transport_->Close();
  FailPending(status);
}

void Connection::OnData(absl::string_view bytes) {
  if (dead_) return;
  if (absl::Status fed = decoder_.Feed(bytes); !fed.ok()) return ProtocolError(fed);
  while (!dead_) {
    std::optional<wire::Frame> frame = decoder_.Next();
    if (!frame.has_value()) break;
    HandleFrame(*frame);
  }
  if (!dead_ && !decoder_.status().ok()) return ProtocolError(decoder_.status());
  Flush();
}

void Connection::HandleFrame(wire::Frame& frame) {
  if (auto* go_away = std::get_if<wire::GoAway>(&frame)) {
    absl::Status status = StatusFromWire(go_away->status_code, go_away->status_message);
    if (status.ok()) status = absl::UnavailableError("wire: broker sent GoAway");
    return Die(std::move(status));
  }
  if (!welcomed_) {
    if (auto* welcome = std::get_if<wire::Welcome>(&frame)) return HandleWelcome(*welcome);
    return ProtocolError(absl::FailedPreconditionError(
        absl::StrCat("wire: expected Welcome, got ", FrameName(frame))));
  }
  if (auto* reply = std::get_if<wire::Reply>(&frame)) return HandleReply(*reply);
  if (auto* call = std::get_if<wire::Call>(&frame)) return callbacks_.OnIncomingCall(*call);
  if (auto* cancel = std::get_if<wire::Cancel>(&frame)) {
    return callbacks_.OnIncomingCancel(cancel->call_id);
  }
  if (auto* release = std::get_if<wire::Release>(&frame)) return callbacks_.OnRelease(*release);
  if (auto* publish = std::get_if<wire::Publish>(&frame)) {
    return callbacks_.OnPublication(*publish);
  }
  if (auto* ping = std::get_if<wire::Ping>(&frame)) {
    wire::EncodePong(wire::Pong{ping->nonce}, out_);
    return ScheduleFlush();
  }
  if (auto* pong = std::get_if<wire::Pong>(&frame)) {
    if (pong->nonce + 1 == next_ping_nonce_) ping_outstanding_ = false;
    return;
  }
  ProtocolError(absl::FailedPreconditionError(
      absl::StrCat("wire: unexpected ", FrameName(frame), " from the broker")));
}

void Connection::HandleWelcome(const wire::Welcome& welcome) {
  welcomed_ = true;
  welcome_.node = std::string(welcome.node);
  welcome_.max_frame_bytes = welcome.max_frame_bytes;
  welcome_.max_in_flight = welcome.max_in_flight;
  if (keepalive_interval_ > absl::ZeroDuration()) {
    keepalive_timer_ = loop_.CreateTimer([this] { OnKeepaliveTick(); });
    keepalive_timer_->Schedule(keepalive_interval_);
  }
  callbacks_.OnWelcome(welcome_);
}

void Connection::HandleReply(const wire::Reply& reply) {
  if (auto reg = registers_.find(reply.call_id); reg != registers_.end()) {
    absl::AnyInvocable<void(absl::Status)> done = std::move(reg->second);
    registers_.erase(reg);
    done(StatusFromWire(reply.status_code, reply.status_message));
    return;
  }
  auto it = calls_.find(reply.call_id);
  if (it == calls_.end() || !it->second.sent) {
    // A late Reply to a call given up locally frees its slot; any other is ignored.
    if (abandoned_.erase(reply.call_id) > 0) {
      --in_flight_;
      PumpQueue();
    }
    return;
  }
  --in_flight_;
  absl::Status status = StatusFromWire(reply.status_code, reply.status_message);
  if (status.ok()) {
    google::protobuf::Message& response = *it->second.response;
    if (!response.ParseFromArray(reply.payload.data(), static_cast<int>(reply.payload.size()))) {
      // INTERNAL, as gRPC reports an unparsable response: INVALID_ARGUMENT would blame the
      // caller's request.
      status = absl::InternalError(absl::StrCat("client: reply payload does not parse as ",
                                                response.GetDescriptor()->full_name()));
    } else {
      callbacks_.OnReplyParsed(response);
    }
  }
  Finish(reply.call_id, std::move(status));
  PumpQueue();
}

void Connection::OnKeepaliveTick() {
  if (ping_outstanding_) {
    return Die(absl::UnavailableError("client: keepalive ping unanswered"));
  }
  ping_outstanding_ = true;
  wire::EncodePing(wire::Ping{next_ping_nonce_++}, out_);
  Flush();
  keepalive_timer_->Schedule(keepalive_interval_);
}

void Connection::OnReadEof() {
  Die(absl::UnavailableError("client: broker closed the connection"));
}

void Connection::OnClosed(absl::Status reason) {
  if (reason.ok()) reason = absl::UnavailableError("client: connection closed");
  Die(absl::UnavailableError(absl::StrCat("client: connection lost: ", reason.message())));
}

void Connection::ProtocolError(absl::Status status) {
  if (dead_) return;
  wire::GoAway go_away;
  go_away.status_code = static_cast<int32_t>(status.code());
  go_away.status_message = status.message();
  wire::EncodeGoAway(go_away, out_);
  Die(std::move(status));
}

void Connection::Die(absl::Status status) {
  if (dead_) return;
  dead_ = true;
  keepalive_timer_.reset();
  Flush();
  transport_->Close();
  FailPending(absl::UnavailableError(absl::StrCat("client: connection lost: ", status.message())));
  if (lost_reported_) return;  // Shut down from inside a failed call's callback.
  lost_reported_ = true;
  callbacks_.OnLost(status);
}

void Connection::FailPending(const absl::Status& status) {
  queue_.clear();
  abandoned_.clear();
  in_flight_ = 0;
  absl::flat_hash_map<uint64_t, absl::AnyInvocable<void(absl::Status)>> registers =
      std::move(registers_);
  registers_.clear();
  for (auto& [id, done] : registers) done(status);
  // Completion may start new calls; on a dead connection they fail at once and never enter
  // calls_, so this loop ends.
  while (!calls_.empty()) Finish(calls_.begin()->first, status);
}

uint32_t Connection::peer_max_frame() const {
  return welcome_.max_frame_bytes != 0 ? welcome_.max_frame_bytes
                                       : wire::WireLimits{}.max_frame_bytes;
}

void Connection::ScheduleFlush() {
  if (!flush_timer_->armed()) flush_timer_->Schedule(absl::ZeroDuration());
}

void Connection::Flush() {
  if (out_.empty()) return;
  absl::Status written = transport_->Write(out_);
  out_.clear();
  if (!written.ok() && !dead_) {
    Die(absl::UnavailableError(absl::StrCat("client: write failed: ", written.message())));
  }
}

}  // namespace weft::clients::internal
