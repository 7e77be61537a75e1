#include "gateways/webhook/webhook_peer.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "broker/config.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"
#include "reactor/base/check.h"

namespace weft::gateways::webhook {
namespace {

namespace pb = google::protobuf;

constexpr uint64_t kRegisterCallId = 1;
constexpr uint64_t kOneWayKeyBit = uint64_t{1} << 63;
constexpr std::size_t kMaxBodyInError = 256;

// Adds `file` after its dependencies, once.
void AddWithDependencies(const pb::FileDescriptor& file,
                         absl::flat_hash_map<std::string, bool>& seen, pb::FileDescriptorSet& set) {
  if (!seen.emplace(file.name(), true).second) return;
  for (int i = 0; i < file.dependency_count(); ++i) {
    AddWithDependencies(*file.dependency(i), seen, set);
  }
  file.CopyTo(set.add_file());
}

// At most kMaxBodyInError bytes of `body`, printable ASCII only, for an error message.
std::string SanitizedBody(absl::string_view body) {
  body = absl::StripAsciiWhitespace(body);
  std::string out;
  for (char c : body.substr(0, kMaxBodyInError)) {
    out.push_back(c >= ' ' && c <= '~' ? c : '?');
  }
  if (body.size() > kMaxBodyInError) out += "...";
  return out;
}

bool IsBlank(absl::string_view body) { return absl::StripAsciiWhitespace(body).empty(); }

}  // namespace

// A call the broker gave the peer, until it is answered, cancelled or abandoned.
struct WebhookPeer::Call {
  uint64_t key = 0;  // In calls_: the call id, or a one-way call's own number.
  uint64_t call_id = 0;
  bool one_way = false;
  const pb::MethodDescriptor* method = nullptr;
  std::string json;  // The request body.
  absl::Time deadline = absl::InfiniteFuture();
  int attempts = 0;
  absl::Status last_error;
  std::unique_ptr<WebhookRequest> request;
  std::unique_ptr<reactor::Timer> backoff;
};

absl::StatusCode HttpStatusToCode(int status_code) {
  switch (status_code) {
    case 400:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 409:
      return absl::StatusCode::kAborted;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 501:
      return absl::StatusCode::kUnimplemented;
    case 502:
    case 503:
      return absl::StatusCode::kUnavailable;
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      break;
  }
  if (status_code >= 500 && status_code <= 599) return absl::StatusCode::kInternal;
  if (status_code >= 400 && status_code <= 499) return absl::StatusCode::kFailedPrecondition;
  return absl::StatusCode::kUnknown;
}

bool IsRetryableHttpStatus(int status_code) {
  return status_code == 0 || status_code == 502 || status_code == 503 || status_code == 504;
}

absl::StatusOr<WebhookPeerOptions> WebhookPeerOptionsFromRoute(const config::v1::Route& route) {
  const config::v1::Webhook& webhook = route.webhook();
  absl::StatusOr<broker::WebhookUrl> url = broker::ParseWebhookUrl(webhook.url());
  if (!url.ok()) return url.status();
  WebhookPeerOptions options;
  options.service = route.target();
  options.client.tls = url->tls;
  options.client.host = url->host;
  options.client.port = url->port;
  options.client.target = url->path;
  options.client.authority = url->authority;
  options.client.ca_file = webhook.ca_file();
  for (const config::v1::WebhookHeader& header : webhook.headers()) {
    options.client.headers.emplace_back(header.name(), header.value());
  }
  options.attempt_timeout = absl::Milliseconds(webhook.timeout_ms());
  options.max_attempts = webhook.max_attempts();
  options.initial_backoff = absl::Milliseconds(webhook.initial_backoff_ms());
  options.max_backoff = absl::Milliseconds(webhook.max_backoff_ms());
  return options;
}

absl::StatusOr<std::unique_ptr<WebhookPeer>> WebhookPeer::Create(reactor::EpollEventLoop& loop,
                                                                 broker::BrokerShard& home,
                                                                 reactor::DnsResolver* resolver,
                                                                 WebhookPeerOptions options) {
  const pb::ServiceDescriptor* service =
      pb::DescriptorPool::generated_pool()->FindServiceByName(options.service);
  if (service == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("webhook: service '", options.service, "' is not compiled in"));
  }
  absl::StatusOr<std::unique_ptr<WebhookClient>> client =
      WebhookClient::Create(loop, resolver, options.client);
  if (!client.ok()) return client.status();
  return std::unique_ptr<WebhookPeer>(
      new WebhookPeer(loop, home, std::move(options), *service, *std::move(client)));
}

WebhookPeer::WebhookPeer(reactor::EpollEventLoop& loop, broker::BrokerShard& home,
                         WebhookPeerOptions options, const pb::ServiceDescriptor& service,
                         std::unique_ptr<WebhookClient> client)
    : loop_(loop),
      home_(home),
      options_(std::move(options)),
      service_(service),
      client_(std::move(client)) {
  later_timer_ = loop_.CreateTimer([this] { FlushLaterReplies(); });
}

WebhookPeer::~WebhookPeer() {
  calls_.clear();  // Abandons the requests while the client lives.
  if (connected_) home_.Disconnect(connection_);
}

void WebhookPeer::Start(absl::AnyInvocable<void(const absl::Status&)> registered) {
  WEFT_DCHECK(loop_.IsInLoopThread());
  registered_ = std::move(registered);
  connection_ = home_.Connect(*this, absl::StrCat("webhook ", options_.client.authority));
  connected_ = true;
  pb::FileDescriptorSet set;
  absl::flat_hash_map<std::string, bool> seen;
  AddWithDependencies(*service_.file(), seen, set);
  const std::string descriptors = set.SerializeAsString();
  const absl::string_view services[] = {options_.service};
  home_.Register(connection_, kRegisterCallId, services, descriptors);
}

void WebhookPeer::OnReply(uint64_t call_id, const absl::Status& status, const broker::Payload&) {
  if (call_id != kRegisterCallId || !registered_) return;
  auto registered = std::move(registered_);
  registered_ = nullptr;
  registered(status);
}

void WebhookPeer::OnCall(const broker::OutgoingCall& call) {
  WEFT_DCHECK(loop_.IsInLoopThread());
  absl::StatusOr<const pb::MethodDescriptor*> method =
      call.object_id != 0 ? absl::NotFoundError("webhook: no objects") : FindMethod(call.method);
  absl::StatusOr<std::string> json =
      method.ok() ? RequestJson(**method, call.payload) : method.status();
  if (!json.ok()) {
    if (!call.one_way) ReplyLater(call.call_id, json.status());
    return;
  }
  auto state = std::make_unique<Call>();
  state->key = call.one_way ? (kOneWayKeyBit | ++next_one_way_) : call.call_id;
  state->call_id = call.call_id;
  state->one_way = call.one_way;
  state->method = *method;
  state->json = *std::move(json);
  if (call.timeout_micros > 0) {
    state->deadline = loop_.clock().MonotonicNow() + absl::Microseconds(call.timeout_micros);
  }
  Call& started = *state;
  calls_[started.key] = std::move(state);
  StartAttempt(started);  // Its callback never runs inside: no re-entrant Reply.
}

absl::StatusOr<const pb::MethodDescriptor*> WebhookPeer::FindMethod(absl::string_view name) const {
  const pb::MethodDescriptor* method = service_.FindMethodByName(std::string(name));
  if (method == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("webhook: no method '", name, "' in ", options_.service));
  }
  return method;
}

absl::StatusOr<std::string> WebhookPeer::RequestJson(const pb::MethodDescriptor& method,
                                                     const broker::Payload& payload) {
  std::string bytes;
  payload.AppendTo(bytes);
  std::unique_ptr<pb::Message> request(
      pb::MessageFactory::generated_factory()->GetPrototype(method.input_type())->New());
  if (!request->ParseFromString(bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("webhook: payload is not a ", method.input_type()->full_name()));
  }
  pb::util::JsonPrintOptions print;
  print.always_print_primitive_fields = true;  // Every field present, defaults included.
  std::string json;
  pb::util::Status printed = pb::util::MessageToJsonString(*request, &json, print);
  if (!printed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("webhook: request has no JSON form: ", printed.message().as_string()));
  }
  return json;
}

absl::StatusOr<std::string> WebhookPeer::ReplyPayload(const pb::MethodDescriptor& method,
                                                      absl::string_view body) {
  std::unique_ptr<pb::Message> reply(
      pb::MessageFactory::generated_factory()->GetPrototype(method.output_type())->New());
  if (!IsBlank(body)) {  // An empty body (204) is the empty message.
    pb::util::JsonParseOptions parse;
    parse.ignore_unknown_fields = true;
    pb::util::Status parsed = pb::util::JsonStringToMessage(std::string(body), reply.get(), parse);
    if (!parsed.ok()) {
      return absl::InternalError(
          absl::StrCat("body is not a ", method.output_type()->full_name(),
                       " in JSON: ", SanitizedBody(parsed.message().as_string())));
    }
  }
  return reply->SerializeAsString();
}

void WebhookPeer::StartAttempt(Call& call) {
  const absl::Duration left = call.deadline - loop_.clock().MonotonicNow();
  const absl::Duration timeout = std::min(options_.attempt_timeout, left);
  ++call.attempts;
  std::vector<std::pair<std::string, std::string>> headers;
  headers.emplace_back("X-Weft-Method", call.method->full_name());
  if (call.deadline != absl::InfiniteFuture()) {
    headers.emplace_back("X-Weft-Timeout-Ms",
                         absl::StrCat(std::max<int64_t>(1, absl::ToInt64Milliseconds(left))));
  }
  call.request = client_->Post(call.json, headers, timeout,
                               [this, key = call.key](absl::StatusOr<WebhookResponse> result) {
                                 OnAttemptDone(key, std::move(result));
                               });
}

void WebhookPeer::OnAttemptDone(uint64_t key, absl::StatusOr<WebhookResponse> result) {
  auto it = calls_.find(key);
  if (it == calls_.end()) return;
  Call& call = *it->second;
  const std::string where = absl::StrCat("webhook ", options_.client.authority, ": ");
  if (!result.ok()) {
    call.last_error = absl::Status(result.status().code() == absl::StatusCode::kNotFound
                                       ? absl::StatusCode::kUnavailable
                                       : result.status().code(),
                                   absl::StrCat(where, result.status().message()));
    if (result.status().code() != absl::StatusCode::kResourceExhausted && MaybeRetry(call)) return;
    return Complete(key, call.last_error, "");
  }
  const int code = result->status_code;
  if (code >= 200 && code <= 299) {
    if (call.one_way) return Complete(key, absl::OkStatus(), "");
    absl::StatusOr<std::string> reply = ReplyPayload(*call.method, result->body);
    if (!reply.ok()) {
      return Complete(key,
                      absl::Status(reply.status().code(), absl::StrCat(where, "HTTP ", code, " ",
                                                                       reply.status().message())),
                      "");
    }
    return Complete(key, absl::OkStatus(), *reply);
  }
  call.last_error = absl::Status(
      HttpStatusToCode(code), absl::StrCat(where, "HTTP ", code, IsBlank(result->body) ? "" : ": ",
                                           SanitizedBody(result->body)));
  if (IsRetryableHttpStatus(code) && MaybeRetry(call)) return;
  Complete(key, call.last_error, "");
}

bool WebhookPeer::MaybeRetry(Call& call) {
  if (call.attempts >= options_.max_attempts) return false;
  absl::Duration delay = options_.initial_backoff;
  for (int i = 1; i < call.attempts && delay < options_.max_backoff; ++i) delay *= 2;
  delay = std::min(delay, options_.max_backoff);
  // Jitter: the upper half of the delay, so that callers failing together spread out.
  absl::BitGen random;
  delay = delay / 2 + absl::Nanoseconds(absl::Uniform<int64_t>(
                          random, 0, std::max<int64_t>(1, absl::ToInt64Nanoseconds(delay / 2))));
  if (loop_.clock().MonotonicNow() + delay >= call.deadline) return false;
  call.request.reset();
  Call* raw = &call;
  call.backoff = loop_.CreateTimer([this, raw] { StartAttempt(*raw); });
  call.backoff->Schedule(delay);
  return true;
}

void WebhookPeer::Complete(uint64_t key, const absl::Status& status, absl::string_view payload) {
  auto it = calls_.find(key);
  if (it == calls_.end()) return;
  std::unique_ptr<Call> call = std::move(it->second);
  calls_.erase(it);
  // From a client callback, never inside a shard call: replying now is safe. The shard may call
  // OnCall re-entrantly; `call` is already out of calls_.
  if (!call->one_way) home_.Reply(connection_, call->call_id, status, payload);
}

void WebhookPeer::ReplyLater(uint64_t call_id, absl::Status status) {
  later_.emplace_back(call_id, std::move(status));
  if (!later_timer_->armed()) later_timer_->Schedule(absl::ZeroDuration());
}

void WebhookPeer::FlushLaterReplies() {
  std::vector<std::pair<uint64_t, absl::Status>> replies = std::move(later_);
  later_.clear();
  for (const auto& [call_id, status] : replies) home_.Reply(connection_, call_id, status, "");
}

void WebhookPeer::OnCancel(uint64_t call_id) { calls_.erase(call_id); }

void WebhookPeer::OnRelease(absl::Span<const uint64_t>) {}

void WebhookPeer::OnPublish(absl::string_view, absl::string_view, absl::string_view) {}

}  // namespace weft::gateways::webhook
