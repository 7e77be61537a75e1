// WebhookPeer: serves one Weft service through an external JSON API (a webhook route,
// docs/http.md "Webhooks").
//
// Part of //gateways/webhook. The peer is a connection of the broker's home shard, like a
// WireSession, that registers the route's service with the service's compiled-in descriptors.
// Each call it is given is POSTed, as protobuf's JSON mapping of the request, through a
// WebhookClient; a 2xx JSON body becomes the reply message, another status becomes an error
// (one table, HttpStatusToCode), and connection errors, timeouts, 502, 503 and 504 are retried
// with exponential backoff and jitter within the caller's deadline. Home loop only.
#ifndef WEFT_GATEWAYS_WEBHOOK_WEBHOOK_PEER_H_
#define WEFT_GATEWAYS_WEBHOOK_WEBHOOK_PEER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "broker/broker_shard.h"
#include "broker/ids.h"
#include "broker/peer.h"
#include "gateways/webhook/webhook_client.h"
#include "google/protobuf/descriptor.h"
#include "reactor/dns_resolver.h"
#include "reactor/epoll_event_loop.h"
#include "weft/config/v1/config.pb.h"

namespace weft::gateways::webhook {

struct WebhookPeerOptions {
  std::string service;  // "pkg.Service", compiled in.
  WebhookClientOptions client;
  absl::Duration attempt_timeout = absl::Seconds(10);
  int max_attempts = 3;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
};

// The options of a validated, defaulted webhook route (weft.config.v1.Route with a webhook).
// kInvalidArgument for a URL that does not parse (never after ValidateConfig).
absl::StatusOr<WebhookPeerOptions> WebhookPeerOptionsFromRoute(const config::v1::Route& route);

// The status a non-2xx answer maps to: 400 kInvalidArgument, 401 kUnauthenticated, 403
// kPermissionDenied, 404 kNotFound, 409 kAborted, 429 kResourceExhausted, 501 kUnimplemented,
// 502 and 503 kUnavailable, 504 kDeadlineExceeded, other 5xx kInternal, other 4xx
// kFailedPrecondition, anything else kUnknown.
absl::StatusCode HttpStatusToCode(int status_code);

// Whether an attempt that ended with `status_code` (0: no response: connection error or timeout)
// may be retried: 0, 502, 503, 504.
bool IsRetryableHttpStatus(int status_code);

class WebhookPeer final : public broker::PeerCallbacks {
 public:
  // kNotFound when options.service is not compiled in; the client's errors (bad ca_file).
  // `loop` (the home shard's), `home` and `resolver` (nullable) outlive the peer. Call before the
  // loop runs or on it.
  static absl::StatusOr<std::unique_ptr<WebhookPeer>> Create(reactor::EpollEventLoop& loop,
                                                             broker::BrokerShard& home,
                                                             reactor::DnsResolver* resolver,
                                                             WebhookPeerOptions options);
  WebhookPeer(const WebhookPeer&) = delete;
  WebhookPeer& operator=(const WebhookPeer&) = delete;
  // Disconnects: calls in flight are abandoned (the broker answers their callers).
  ~WebhookPeer() override;

  // Connects to the shard and registers the service. `registered` runs exactly once with the
  // Register outcome (OK; kAlreadyExists when another connection hosts the service), possibly
  // inside this call; it must not call the shard.
  void Start(absl::AnyInvocable<void(const absl::Status&)> registered);

  const std::string& service() const { return options_.service; }
  // Calls in flight (waiting for an answer or a retry). For tests.
  std::size_t calls_in_flight() const { return calls_.size(); }
  WebhookClient& client() { return *client_; }

  // broker::PeerCallbacks
  void OnReply(uint64_t call_id, const absl::Status& status,
               const broker::Payload& payload) override;
  void OnCall(const broker::OutgoingCall& call) override;
  void OnCancel(uint64_t call_id) override;
  void OnRelease(absl::Span<const uint64_t> object_ids) override;
  void OnPublish(absl::string_view topic, absl::string_view payload,
                 absl::string_view type_url) override;

 private:
  struct Call;

  WebhookPeer(reactor::EpollEventLoop& loop, broker::BrokerShard& home, WebhookPeerOptions options,
              const google::protobuf::ServiceDescriptor& service,
              std::unique_ptr<WebhookClient> client);

  absl::StatusOr<const google::protobuf::MethodDescriptor*> FindMethod(
      absl::string_view name) const;
  // The request message of `method` in `payload`, in protobuf's JSON mapping.
  static absl::StatusOr<std::string> RequestJson(const google::protobuf::MethodDescriptor& method,
                                                 const broker::Payload& payload);
  // The reply message of `method` from a 2xx JSON body, serialized. kInternal when it is not one.
  static absl::StatusOr<std::string> ReplyPayload(const google::protobuf::MethodDescriptor& method,
                                                  absl::string_view body);
  void StartAttempt(Call& call);
  void OnAttemptDone(uint64_t key, absl::StatusOr<WebhookResponse> result);
  // Retries `call` after a backoff when attempts and time are left; false otherwise.
  bool MaybeRetry(Call& call);
  // Answers and forgets the call `key`.
  void Complete(uint64_t key, const absl::Status& status, absl::string_view payload);
  // An answer decided inside OnCall(): sent from the next loop turn, never re-entrantly.
  void ReplyLater(uint64_t call_id, absl::Status status);
  void FlushLaterReplies();

  reactor::EpollEventLoop& loop_;
  broker::BrokerShard& home_;
  const WebhookPeerOptions options_;
  const google::protobuf::ServiceDescriptor& service_;
  std::unique_ptr<WebhookClient> client_;  // Outlives calls_ (declared before it).
  absl::flat_hash_map<uint64_t, std::unique_ptr<Call>> calls_;
  uint64_t next_one_way_ = 0;
  std::vector<std::pair<uint64_t, absl::Status>> later_;
  std::unique_ptr<reactor::Timer> later_timer_;
  absl::AnyInvocable<void(const absl::Status&)> registered_;
  broker::ConnectionRef connection_{};
  bool connected_ = false;
};

}  // namespace weft::gateways::webhook

#endif  // WEFT_GATEWAYS_WEBHOOK_WEBHOOK_PEER_H_
