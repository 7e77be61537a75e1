#include "gateways/wire/wire_session.h"

#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "protocols/wire/wire_encoder.h"

namespace weft::gateways::wire {
namespace {

namespace pw = protocols::wire;

constexpr uint32_t kProtocolVersion = 1;

absl::Status StatusFromWire(int32_t code, absl::string_view message) {
  if (code < 0 || code > static_cast<int32_t>(absl::StatusCode::kUnauthenticated)) {
    return absl::UnknownError(absl::StrCat("status code ", code, ": ", message));
  }
  if (code == 0) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(code), message);
}

}  // namespace

WireSession::WireSession(reactor::EventLoop& loop, broker::BrokerShard& shard,
                         const WireSessionOptions& options, WireSessionSet* sessions)
    : loop_(loop), shard_(shard), options_(options), sessions_(sessions), decoder_(options.limits) {
  if (sessions_ != nullptr) sessions_->sessions_.insert(this);
}

WireSession::~WireSession() {
  if (sessions_ != nullptr) sessions_->sessions_.erase(this);
  if (connected_) shard_.Disconnect(connection_);
}

void WireSessionSet::DrainAll() {
  // Drain() may close a session, which leaves the set: iterate over a copy.
  std::vector<WireSession*> sessions(sessions_.begin(), sessions_.end());
  for (WireSession* session : sessions) session->Drain();
}

void WireSession::ConnectionMade(reactor::Transport& transport) {
  reactor::Protocol::ConnectionMade(transport);
  last_activity_ = loop_.clock().MonotonicNow();
  idle_timer_ = loop_.CreateTimer([this] { OnIdleTimer(); });
  idle_timer_->Schedule(options_.idle_timeout / 2);
}

void WireSession::OnData(absl::string_view bytes) {
  if (state_ == State::kClosing || state_ == State::kClosed) return;
  bytes_.in += bytes.size();
  last_activity_ = loop_.clock().MonotonicNow();
  pinged_ = false;
  in_data_ = true;
  absl::Status fed = decoder_.Feed(bytes);
  if (fed.ok()) {
    while (state_ != State::kClosing) {
      std::optional<pw::Frame> frame = decoder_.Next();
      if (!frame.has_value()) break;
      HandleFrame(*frame);
    }
  }
  if (!decoder_.status().ok() && state_ != State::kClosing) GoAway(decoder_.status());
  in_data_ = false;
  Flush();
}

void WireSession::HandleFrame(pw::Frame& frame) {
  if (state_ == State::kAwaitingHello) {
    if (const auto* hello = std::get_if<pw::Hello>(&frame)) {
      HandleHello(*hello);
    } else {
      GoAway(absl::FailedPreconditionError("wire: the first frame must be hello"));
    }
    return;
  }
  std::visit(
      [this](auto& f) {
        using F = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<F, pw::Call>) {
          HandleCall(f);
        } else if constexpr (std::is_same_v<F, pw::Reply>) {
          shard_.Reply(connection_, f.call_id, StatusFromWire(f.status_code, f.status_message),
                       f.payload);
        } else if constexpr (std::is_same_v<F, pw::Cancel>) {
          shard_.Cancel(connection_, f.call_id);
        } else if constexpr (std::is_same_v<F, pw::Register>) {
          HandleRegister(f);
        } else if constexpr (std::is_same_v<F, pw::Release>) {
          shard_.Release(connection_, f.object_ids);
        } else if constexpr (std::is_same_v<F, pw::Publish>) {
          shard_.Publish(connection_, f.topic, f.payload, f.type_url);
        } else if constexpr (std::is_same_v<F, pw::Subscribe>) {
          shard_.Subscribe(connection_, f.topic, f.unsubscribe);
        } else if constexpr (std::is_same_v<F, pw::Ping>) {
          pw::EncodePong(pw::Pong{f.nonce}, out_);
        } else if constexpr (std::is_same_v<F, pw::Pong>) {
          // Any frame counts as activity; nothing else to do.
        } else if constexpr (std::is_same_v<F, pw::GoAway>) {
          state_ = State::kClosing;
        } else if constexpr (std::is_same_v<F, pw::Hello>) {
          GoAway(absl::FailedPreconditionError("wire: second hello"));
        } else {
          GoAway(absl::FailedPreconditionError("wire: clients do not send welcome"));
        }
      },
      frame);
}

void WireSession::HandleHello(const pw::Hello& hello) {
  if (hello.version != kProtocolVersion) {
    GoAway(absl::FailedPreconditionError(
        absl::StrCat("wire: unsupported protocol version ", hello.version)));
    return;
  }
  if (options_.tokens != nullptr && !options_.tokens->contains(hello.token)) {
    GoAway(absl::UnauthenticatedError("wire: bad or missing token"));
    return;
  }
  pw::EncodeWelcome(pw::Welcome{kProtocolVersion, options_.node, options_.limits.max_frame_bytes,
                                options_.max_in_flight},
                    out_);
  connection_ = shard_.Connect(
      *this, hello.client_name, "wire", transport().peer_address(),
      [this] {
        GoAway(absl::UnavailableError("wire: connection closed by an operator"));
        Flush();
      },
      &bytes_);
  connected_ = true;
  state_ = State::kOpen;
}

void WireSession::HandleCall(const pw::Call& call) {
  if (call.service.empty() == (call.object_id == 0)) {
    if (!call.one_way) {
      ReplyError(call.call_id, absl::InvalidArgumentError(
                                   "wire: a call names exactly one of service and object_id"));
    }
    return;
  }
  if (draining_) {
    if (!call.one_way) ReplyError(call.call_id, absl::UnavailableError("draining"));
    return;
  }
  if (!call.one_way) {
    if (in_flight_ >= options_.max_in_flight) {
      ReplyError(call.call_id, absl::ResourceExhaustedError("wire: too many calls in flight"));
      return;
    }
    ++in_flight_;
  }
  shard_.Call(connection_,
              broker::IncomingCall{call.call_id, call.service, call.object_id, call.method,
                                   call.payload, call.timeout_micros, call.metadata, call.one_way});
}

void WireSession::HandleRegister(const pw::Register& frame) {
  if (draining_) {
    ReplyError(frame.call_id, absl::UnavailableError("draining"));
    return;
  }
  if (in_flight_ >= options_.max_in_flight) {
    ReplyError(frame.call_id, absl::ResourceExhaustedError("wire: too many calls in flight"));
    return;
  }
  ++in_flight_;
  shard_.Register(connection_, frame.call_id, frame.services, frame.descriptors);
}

void WireSession::ReplyError(uint64_t call_id, const absl::Status& status) {
  pw::EncodeReply(pw::Reply{call_id, static_cast<int32_t>(status.code()), status.message(), {}},
                  out_);
  if (!in_data_) Flush();
}

void WireSession::OnReply(uint64_t call_id, const absl::Status& status,
                          const broker::Payload& payload) {
  // No frame may follow a GoAway; and a write after Close() would abort the transport, dropping
  // the GoAway still buffered.
  if (state_ != State::kOpen) return;
  if (in_flight_ > 0) --in_flight_;
  if (status.ok()) {
    pw::EncodeReplyHeader(pw::Reply{call_id, 0, {}, {}}, payload.size(), out_);
    payload.AppendTo(out_);
  } else {
    pw::EncodeReply(pw::Reply{call_id, static_cast<int32_t>(status.code()), status.message(), {}},
                    out_);
  }
  CheckDrained();
  if (!in_data_) Flush();
}

void WireSession::OnCall(const broker::OutgoingCall& call) {
  if (state_ != State::kOpen) return;
  pw::Call frame;
  frame.call_id = call.call_id;
  frame.service = call.service;
  frame.object_id = call.object_id;
  frame.method = call.method;
  frame.timeout_micros = call.timeout_micros;
  frame.metadata.assign(call.metadata.begin(), call.metadata.end());
  frame.one_way = call.one_way;
  pw::EncodeCallHeader(frame, call.payload.size(), out_);
  call.payload.AppendTo(out_);
  if (!in_data_) Flush();
}

void WireSession::OnCancel(uint64_t call_id) {
  if (state_ != State::kOpen) return;
  pw::EncodeCancel(pw::Cancel{call_id}, out_);
  if (!in_data_) Flush();
}

void WireSession::OnRelease(absl::Span<const uint64_t> object_ids) {
  if (state_ != State::kOpen) return;
  // Keep each frame within the peer's list limit.
  const std::size_t max = options_.limits.max_list_entries;
  for (std::size_t at = 0; at < object_ids.size(); at += max) {
    absl::Span<const uint64_t> part = object_ids.subspan(at, max);
    pw::EncodeRelease(pw::Release{std::vector<uint64_t>(part.begin(), part.end())}, out_);
  }
  if (!in_data_) Flush();
}

void WireSession::OnPublish(absl::string_view topic, absl::string_view payload,
                            absl::string_view type_url) {
  if (state_ != State::kOpen) return;
  if (paused_for_output_) {
    // The subscriber is not reading: publications are at most once, so drop this one.
    if (++dropped_publications_ > options_.max_dropped_publications) {
      GoAway(absl::ResourceExhaustedError("wire: subscriber too slow, publications dropped"));
      Flush();
    }
    return;
  }
  dropped_publications_ = 0;
  pw::EncodePublish(pw::Publish{topic, payload, type_url}, out_);
  if (!in_data_) Flush();
}

void WireSession::Drain() {
  draining_ = true;
  if (state_ == State::kAwaitingHello) {
    GoAway(absl::UnavailableError("draining"));
    if (!in_data_) Flush();
    return;
  }
  CheckDrained();
  if (!in_data_) Flush();
}

void WireSession::CheckDrained() {
  if (draining_ && in_flight_ == 0 && state_ == State::kOpen) {
    GoAway(absl::UnavailableError("draining"));
  }
}

void WireSession::OnReadEof() {
  // The peer sends nothing more; answer what it asked, then close.
  draining_ = true;
  if (in_flight_ == 0) state_ = State::kClosing;
  if (!in_data_) Flush();
}

void WireSession::OnWriteBufferHigh() {
  paused_for_output_ = true;
  transport().PauseReading();
}

void WireSession::OnWriteBufferLow() {
  paused_for_output_ = false;
  transport().ResumeReading();
}

void WireSession::GoAway(const absl::Status& status) {
  if (state_ == State::kClosing || state_ == State::kClosed) return;
  pw::EncodeGoAway(pw::GoAway{static_cast<int32_t>(status.code()), status.message()}, out_);
  state_ = State::kClosing;
}

void WireSession::Flush() {
  if (!out_.empty() && state_ != State::kClosed) {
    bytes_.out += out_.size();
    if (!transport().Write(out_).ok()) transport().Abort();
    out_.clear();
  }
  if (state_ == State::kClosing && !close_called_) {
    close_called_ = true;
    transport().Close();
  }
}

void WireSession::OnIdleTimer() {
  const absl::Duration silent = loop_.clock().MonotonicNow() - last_activity_;
  if (silent >= options_.idle_timeout) {
    GoAway(absl::UnavailableError("wire: idle timeout"));
    Flush();
    return;
  }
  if (silent >= options_.idle_timeout / 2 && !pinged_ && state_ == State::kOpen) {
    pw::EncodePing(pw::Ping{++ping_nonce_}, out_);
    pinged_ = true;
    Flush();
  }
  idle_timer_->Schedule(options_.idle_timeout / 2);
}

void WireSession::OnClosed(absl::Status reason) {
  (void)reason;
  state_ = State::kClosed;
  idle_timer_.reset();
  if (connected_) {
    connected_ = false;
    shard_.Disconnect(connection_);
  }
}

}  // namespace weft::gateways::wire
