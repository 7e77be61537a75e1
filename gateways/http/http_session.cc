#include "gateways/http/http_session.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateways/http/http_gateway.h"
#include "protocols/http/http_encoder.h"

namespace weft::gateways::http {
namespace {

namespace ph = protocols::http;

constexpr ph::HttpHeader kAllowPost[] = {{"Allow", "POST"}};
constexpr ph::HttpHeader kAllowGet[] = {{"Allow", "GET, HEAD"}};
constexpr ph::HttpHeader kChallenge[] = {{"WWW-Authenticate", "Bearer realm=\"weft\""}};

HttpPath PathOf(absl::string_view target) {
  const absl::string_view path = target.substr(0, target.find('?'));
  if (path == "/jsonrpc") return HttpPath::kJsonRpc;
  if (path == "/RPC2") return HttpPath::kRpc2;
  if (path == "/healthz") return HttpPath::kHealthz;
  if (path == "/metrics") return HttpPath::kMetrics;
  return HttpPath::kRest;
}

bool IsGet(const ph::HttpRequestHead& head) {
  return head.method == ph::HttpMethod::kGet || head.method == ph::HttpMethod::kHead;
}

// "Authorization: Bearer <token>" (RFC 6750 §2.1) with one of `tokens`. The token is never
// logged or echoed.
bool Authorized(const ph::HttpRequestHead& head, const absl::flat_hash_set<std::string>& tokens) {
  std::optional<absl::string_view> value = ph::FindHeader(head.headers, "Authorization");
  if (!value.has_value() || value->size() < 7 ||
      !absl::EqualsIgnoreCase(value->substr(0, 7), "Bearer ")) {
    return false;
  }
  return tokens.contains(absl::StripAsciiWhitespace(value->substr(7)));
}

}  // namespace

void HttpLoopContext::DrainAll() {
  // Drain() may close a session, which leaves the set: iterate over a copy.
  std::vector<HttpSession*> sessions(sessions_.begin(), sessions_.end());
  for (HttpSession* session : sessions) session->Drain();
}

HttpSession::HttpSession(broker::BrokerShard& shard, HttpLoopContext& context)
    : shard_(shard),
      context_(context),
      loop_(context.loop_),
      decoder_(context.options_.limits),
      jsonrpc_(context.options_.jsonrpc),
      liveness_(std::make_shared<HttpSession*>(this)) {
  context_.sessions_.insert(this);
  HttpCounters::Add(context_.counters_.connections_opened);
  HttpCounters::Add(context_.counters_.open_connections);
}

HttpSession::~HttpSession() {
  context_.sessions_.erase(this);
  HttpCounters::Add(context_.counters_.open_connections, static_cast<uint64_t>(-1));
  if (connected_) shard_.Disconnect(connection_);
}

void HttpSession::ConnectionMade(reactor::Transport& transport) {
  reactor::Protocol::ConnectionMade(transport);
  // An operator's CloseConnection: what is answered goes out, the rest is dropped, and the
  // connection closes.
  connection_ = shard_.Connect(
      *this, "", "http", transport.peer_address(),
      [this] {
        no_more_requests_ = true;
        closing_ = true;
        Flush();
      },
      &bytes_);
  connected_ = true;
  last_activity_ = loop_.clock().MonotonicNow();
  timer_ = loop_.CreateTimer([this] { OnTimer(); });
  timer_->Schedule(std::min(context_.options_.request_timeout, context_.options_.idle_timeout) / 4);
}

void HttpSession::OnData(absl::string_view bytes) {
  if (closing_ || closed_) return;
  HttpCounters::Add(context_.counters_.bytes_in, bytes.size());
  bytes_.in += bytes.size();
  last_activity_ = loop_.clock().MonotonicNow();
  if (no_more_requests_) return;  // After the last request: ignored (RFC 9112 §9.6).
  in_data_ = true;
  (void)decoder_.Feed(bytes);  // A bad request shows in status(), after the good ones before it.
  Pump();
  in_data_ = false;
  Flush();
}

void HttpSession::Pump() {
  input_held_ = false;
  while (!no_more_requests_) {
    if (slots_.size() >= context_.options_.max_queued_responses) {
      input_held_ = true;
      break;
    }
    std::optional<ph::HttpRequestEvent> event = decoder_.Next();
    if (!event.has_value()) break;
    HandleEvent(*event);
  }
  if (!input_held_ && !no_more_requests_ && !decoder_.status().ok()) {
    // Answered in order after the requests before it, then the connection closes.
    ph::HttpRequestHead head;
    head.keep_alive = false;
    Slot& slot = NewSlot(head, HttpPath::kOther);
    RespondText(slot, decoder_.error_status(),
                absl::StrCat(ph::ReasonPhrase(decoder_.error_status()), "\n"));
  }
  // An incomplete request is on the clock from its first byte.
  if (input_held_ || decoder_.buffered_bytes() == 0) {
    partial_since_ = absl::InfiniteFuture();
  } else if (partial_since_ == absl::InfiniteFuture()) {
    partial_since_ = last_activity_;
  }
  UpdateReading();
}

void HttpSession::HandleEvent(ph::HttpRequestEvent& event) {
  if (auto* request = std::get_if<ph::HttpRequest>(&event)) {
    HandleRequest(*request);
    return;
  }
  // Expect: 100-continue. The interim response goes out in order, before the final one.
  Slot& slot = NewSlot(std::get<ph::ContinueExpected>(event).head, HttpPath::kOther);
  slot.close_after = false;
  ph::EncodeContinue(slot.bytes);
  slot.done = true;
}

HttpSession::Slot& HttpSession::NewSlot(const ph::HttpRequestHead& head, HttpPath path) {
  Slot* slot;
  if (free_slots_.empty()) {
    slot_pool_.push_back(std::make_unique<Slot>());
    slot = slot_pool_.back().get();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  slot->seq = next_seq_++;
  slot->kind = Kind::kPlain;
  slot->pending = 0;
  slot->done = false;
  slot->bytes.clear();
  slot->batch = false;
  slot->entry_count = 0;
  slot->keep_alive = head.keep_alive;
  slot->close_after = !head.keep_alive;
  slot->head_request = head.method == ph::HttpMethod::kHead;
  slot->version_minor = head.version_minor;
  slot->path = path;
  if (!head.keep_alive) no_more_requests_ = true;
  slots_.push_back(slot);
  return *slot;
}

HttpSession::Slot* HttpSession::FindSlot(uint64_t seq) {
  if (slots_.empty() || seq < slots_.front()->seq) return nullptr;
  const uint64_t index = seq - slots_.front()->seq;
  return index < slots_.size() ? slots_[index] : nullptr;
}

void HttpSession::HandleRequest(const ph::HttpRequest& request) {
  const HttpPath path = PathOf(request.target);
  Slot& slot = NewSlot(request, path);
  if (context_.options_.tokens != nullptr && path != HttpPath::kHealthz &&
      !Authorized(request, *context_.options_.tokens)) {
    return RespondText(slot, 401, "unauthorized\n", kChallenge);
  }
  switch (path) {
    case HttpPath::kJsonRpc:
      if (request.method != ph::HttpMethod::kPost) {
        return RespondText(slot, 405, "use POST\n", kAllowPost);
      }
      return HandleJsonRpc(request, slot);
    case HttpPath::kRpc2:
      if (request.method != ph::HttpMethod::kPost) {
        return RespondText(slot, 405, "use POST\n", kAllowPost);
      }
      return HandleXmlRpc(request, slot);
    case HttpPath::kHealthz:
      if (!IsGet(request)) return RespondText(slot, 405, "use GET\n", kAllowGet);
      return RespondText(slot, 200, "ok\n");
    case HttpPath::kMetrics:
      if (!IsGet(request)) return RespondText(slot, 405, "use GET\n", kAllowGet);
      return HandleMetrics(slot);
    case HttpPath::kRest:
    case HttpPath::kOther:
    case HttpPath::kCount:
      break;
  }
  const absl::string_view target = request.target;
  const std::size_t question = target.find('?');
  context_.rest_.Refresh(shard_);
  std::string& allow = context_.scratch_;
  if (const RestRoute* route = context_.rest_.Match(request.method, target.substr(0, question),
                                                    context_.bindings_, allow)) {
    return HandleRest(request, *route, slot);
  }
  slot.path = HttpPath::kOther;
  if (!allow.empty()) {
    const ph::HttpHeader allow_header[] = {{"Allow", allow}};
    return RespondText(slot, 405, "method not allowed\n", allow_header);
  }
  RespondText(slot, 404, "not found\n");
}

void HttpSession::HandleMetrics(Slot& slot) {
  slot.pending = 1;
  const uint64_t seq = slot.seq;
  std::weak_ptr<HttpSession*> alive = liveness_;
  reactor::EventLoop* loop = &loop_;
  HttpMetricsHub* hub = &context_.hub_;
  hub->Post([alive, loop, hub, seq] {
    std::string text = hub->Render();
    loop->Post([alive, seq, text = std::move(text)] {
      std::shared_ptr<HttpSession*> session = alive.lock();
      if (session == nullptr || (*session)->closed_) return;
      HttpSession& self = **session;
      Slot* waiting = self.FindSlot(seq);
      if (waiting == nullptr) return;
      waiting->pending = 0;
      self.Respond(*waiting, 200, "text/plain; version=0.0.4; charset=utf-8", text);
      self.Flush();
    });
  });
}

void HttpSession::Respond(Slot& slot, int status, absl::string_view content_type,
                          absl::string_view body, absl::Span<const ph::HttpHeader> extra) {
  ph::HttpHeader headers[4];
  std::size_t count = 0;
  if (!content_type.empty()) headers[count++] = {"Content-Type", content_type};
  for (const ph::HttpHeader& header : extra) {
    if (count < std::size(headers)) headers[count++] = header;
  }
  if (draining_) slot.close_after = true;
  ph::OutgoingResponse response;
  response.status_code = status;
  response.headers = absl::MakeConstSpan(headers, count);
  response.date = context_.date_.Get(loop_.clock().Now());
  response.body = body;
  response.keep_alive = !slot.close_after;
  response.head_request = slot.head_request;
  response.request_version_minor = slot.version_minor;
  slot.bytes.clear();
  if (!ph::EncodeResponse(response, slot.bytes).ok()) {
    // Only a header this gateway wrote could fail; answer without them rather than not at all.
    slot.bytes.clear();
    response.headers = {};
    (void)ph::EncodeResponse(response, slot.bytes);
  }
  slot.done = true;
  HttpCounters::Add(
      context_.counters_.requests[static_cast<int>(slot.path)][std::clamp(status / 100, 1, 5)]);
}

void HttpSession::RespondText(Slot& slot, int status, absl::string_view text,
                              absl::Span<const ph::HttpHeader> extra) {
  Respond(slot, status, "text/plain; charset=utf-8", text, extra);
}

void HttpSession::Finish(Slot& slot) {
  switch (slot.kind) {
    case Kind::kJsonRpc:
      return FinishJsonRpc(slot);
    case Kind::kXmlRpc:
    case Kind::kXmlMulticall:
      return FinishXmlRpc(slot);
    case Kind::kRest:
      return Respond(slot, slot.status, "application/json", slot.entries[0]);
    case Kind::kPlain:
      break;
  }
}

void HttpSession::Flush() {
  if (closed_) return;
  while (!slots_.empty() && slots_.front()->done) {
    Slot* slot = slots_.front();
    out_.append(slot->bytes);
    const bool close = slot->close_after;
    slots_.pop_front();
    free_slots_.push_back(slot);
    if (close) {
      closing_ = true;
      no_more_requests_ = true;
      break;
    }
  }
  if (!out_.empty()) {
    HttpCounters::Add(context_.counters_.bytes_out, out_.size());
    bytes_.out += out_.size();
    last_activity_ = loop_.clock().MonotonicNow();
    if (!transport().Write(out_).ok()) transport().Abort();
    out_.clear();
  }
  // Nothing left to answer and nothing more to read: the connection is done.
  if (no_more_requests_ && slots_.empty() && calls_.empty()) closing_ = true;
  if (closing_ && !close_called_) {
    close_called_ = true;
    transport().Close();
    return;
  }
  UpdateReading();
  if (input_held_ && slots_.size() < context_.options_.max_queued_responses && !in_data_) {
    // Requests wait in the decoder; take them on the next loop turn, not from inside a broker
    // callback (peer.h: callbacks must not call the shard).
    if (pump_timer_ == nullptr) {
      pump_timer_ = loop_.CreateTimer([this] {
        in_data_ = true;
        Pump();
        in_data_ = false;
        Flush();
      });
    }
    if (!pump_timer_->armed()) pump_timer_->Schedule(absl::ZeroDuration());
  }
}

void HttpSession::UpdateReading() {
  if (close_called_ || closed_) return;
  const bool pause =
      paused_for_output_ || input_held_ || slots_.size() >= context_.options_.max_queued_responses;
  if (pause == reading_paused_) return;
  reading_paused_ = pause;
  if (pause) {
    transport().PauseReading();
  } else {
    transport().ResumeReading();
  }
}

void HttpSession::Drain() {
  draining_ = true;
  no_more_requests_ = true;
  if (!in_data_) Flush();
}

void HttpSession::OnReadEof() {
  // The peer sends nothing more: answer what it asked, then close.
  no_more_requests_ = true;
  if (!in_data_) Flush();
}

void HttpSession::OnWriteBufferHigh() {
  paused_for_output_ = true;
  UpdateReading();
}

void HttpSession::OnWriteBufferLow() {
  paused_for_output_ = false;
  UpdateReading();
}

void HttpSession::OnTimer() {
  if (closing_ || closed_) return;
  const absl::Time now = loop_.clock().MonotonicNow();
  const HttpSessionOptions& options = context_.options_;
  if (!no_more_requests_ && now - partial_since_ >= options.request_timeout) {
    // Slowloris: the request never completed. 408 in order, then close (RFC 9110 §15.5.9).
    HttpCounters::Add(context_.counters_.request_timeouts);
    ph::HttpRequestHead head;
    head.keep_alive = false;
    Slot& slot = NewSlot(head, HttpPath::kOther);
    RespondText(slot, 408, "request timeout\n");
    Flush();
    return;
  }
  if (slots_.empty() && calls_.empty() && now - last_activity_ >= options.idle_timeout) {
    closing_ = true;
    Flush();
    return;
  }
  timer_->Schedule(std::min(options.request_timeout, options.idle_timeout) / 4);
}

void HttpSession::OnClosed(absl::Status reason) {
  (void)reason;
  closed_ = true;
  timer_.reset();
  pump_timer_.reset();
  calls_.clear();
  if (connected_) {
    connected_ = false;
    shard_.Disconnect(connection_);
  }
}

void HttpSession::OnReply(uint64_t call_id, const absl::Status& status,
                          const broker::Payload& payload) {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return;
  PendingCall call = std::move(it->second);
  calls_.erase(it);
  Slot* slot = FindSlot(call.slot_seq);
  if (slot == nullptr) return;
  CompleteCall(call, *slot, status, payload);
  if (--slot->pending == 0) Finish(*slot);
  if (!in_data_) Flush();
}

// The gateway hosts no objects or services, so the broker has nothing to call here; should it
// try, the call fails at once (on the next loop turn: callbacks must not call the shard).
void HttpSession::OnCall(const broker::OutgoingCall& call) {
  if (call.one_way) return;
  std::weak_ptr<HttpSession*> alive = liveness_;
  loop_.Post([alive, call_id = call.call_id] {
    std::shared_ptr<HttpSession*> session = alive.lock();
    if (session == nullptr || !(*session)->connected_) return;
    (*session)->shard_.Reply((*session)->connection_, call_id,
                             absl::UnimplementedError("http: the HTTP gateway hosts nothing"), {});
  });
}
void HttpSession::OnCancel(uint64_t call_id) { (void)call_id; }
void HttpSession::OnRelease(absl::Span<const uint64_t> object_ids) { (void)object_ids; }
void HttpSession::OnPublish(absl::string_view topic, absl::string_view payload,
                            absl::string_view type_url) {
  (void)topic;
  (void)payload;
  (void)type_url;
}

}  // namespace weft::gateways::http
