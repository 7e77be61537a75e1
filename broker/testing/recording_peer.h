// RecordingPeer: a PeerCallbacks that records everything the broker tells a connection.
//
// Part of //broker/testing (testonly). Broker tests connect one per simulated connection and
// assert on the recorded replies, calls, cancels, releases and publications. Payloads are
// copied, so records stay valid after the callback returns.
#ifndef WEFT_BROKER_TESTING_RECORDING_PEER_H_
#define WEFT_BROKER_TESTING_RECORDING_PEER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "broker/peer.h"

namespace weft::broker::testing {

class RecordingPeer final : public PeerCallbacks {
 public:
  struct ReplyRecord {
    uint64_t call_id = 0;
    absl::Status status;
    std::string payload;
  };
  struct CallRecord {
    uint64_t call_id = 0;
    std::string service;
    uint64_t object_id = 0;
    std::string method;
    std::string payload;
    int64_t timeout_micros = 0;
    std::vector<std::pair<std::string, std::string>> metadata;
    bool one_way = false;
  };
  struct PublishRecord {
    std::string topic;
    std::string payload;
    std::string type_url;
  };

  // PeerCallbacks
  void OnReply(uint64_t call_id, const absl::Status& status, const Payload& payload) override {
    ReplyRecord record{call_id, status, {}};
    payload.AppendTo(record.payload);
    replies.push_back(std::move(record));
  }
  void OnCall(const OutgoingCall& call) override {
    CallRecord record{call.call_id,
                      std::string(call.service),
                      call.object_id,
                      std::string(call.method),
                      {},
                      call.timeout_micros,
                      {},
                      call.one_way};
    call.payload.AppendTo(record.payload);
    for (const auto& [key, value] : call.metadata) record.metadata.emplace_back(key, value);
    calls.push_back(std::move(record));
  }
  void OnCancel(uint64_t call_id) override { cancels.push_back(call_id); }
  void OnRelease(absl::Span<const uint64_t> object_ids) override {
    releases.insert(releases.end(), object_ids.begin(), object_ids.end());
  }
  void OnPublish(absl::string_view topic, absl::string_view payload,
                 absl::string_view type_url) override {
    publications.push_back(
        PublishRecord{std::string(topic), std::string(payload), std::string(type_url)});
  }

  // Replies received for `call_id`.
  std::size_t ReplyCount(uint64_t call_id) const {
    std::size_t count = 0;
    for (const ReplyRecord& reply : replies) count += reply.call_id == call_id ? 1 : 0;
    return count;
  }
  // The first reply for `call_id`; nullptr when none came.
  const ReplyRecord* ReplyFor(uint64_t call_id) const {
    for (const ReplyRecord& reply : replies) {
      if (reply.call_id == call_id) return &reply;
    }
    return nullptr;
  }

  std::vector<ReplyRecord> replies;
  std::vector<CallRecord> calls;
  std::vector<uint64_t> cancels;
  std::vector<uint64_t> releases;
  std::vector<PublishRecord> publications;
};

}  // namespace weft::broker::testing

#endif  // WEFT_BROKER_TESTING_RECORDING_PEER_H_
