// HttpSession: one HTTP/1.1 connection of the HTTP gateway (docs/http.md), glue between its
// transport, the HTTP, JSON-RPC and XML-RPC codecs (protocols/) and the broker shard of its loop.
//
// Part of //gateways/http. Routes: POST /jsonrpc (JSON-RPC 2.0 over every registered service),
// POST /RPC2 (XML-RPC, with the system.* methods), GET /healthz and GET /metrics. Pipelined
// requests are answered strictly in order: each request takes a slot in an ordered queue, and a
// slot whose broker calls are pending holds back the slots behind it. Responses completed while
// a batch of input is handled go out in one transport write. Flow control: while the transport's
// write buffer is above its high watermark, or HttpSessionOptions::max_queued_responses requests
// wait for answers, the session stops reading. Timeouts: a request that has not arrived whole
// within request_timeout of its first byte gets 408 and the connection closes; a connection with
// nothing to do for idle_timeout closes. Loop thread only.
#ifndef WEFT_GATEWAYS_HTTP_HTTP_SESSION_H_
#define WEFT_GATEWAYS_HTTP_HTTP_SESSION_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "broker/broker_shard.h"
#include "broker/ids.h"
#include "broker/peer.h"
#include "gateways/http/http_loop_context.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "protocols/http/http_request_decoder.h"
#include "protocols/http/http_types.h"
#include "protocols/jsonrpc/jsonrpc_decoder.h"
#include "protocols/jsonrpc/jsonrpc_types.h"
#include "protocols/xmlrpc/xmlrpc_encoder.h"
#include "protocols/xmlrpc/xmlrpc_types.h"
#include "reactor/event_loop.h"
#include "reactor/protocol.h"

namespace weft::gateways::http {

class HttpSession final : public reactor::Protocol, public broker::PeerCallbacks {
 public:
  // `shard` and `context` outlive the session.
  HttpSession(broker::BrokerShard& shard, HttpLoopContext& context);
  ~HttpSession() override;

  // Stops reading requests: answers those already received (with "Connection: close"), then
  // closes.
  void Drain();

  // reactor::Protocol
  void ConnectionMade(reactor::Transport& transport) override;
  void OnData(absl::string_view bytes) override;
  void OnReadEof() override;
  void OnWriteBufferHigh() override;
  void OnWriteBufferLow() override;
  void OnClosed(absl::Status reason) override;

  // broker::PeerCallbacks
  void OnReply(uint64_t call_id, const absl::Status& status,
               const broker::Payload& payload) override;
  void OnCall(const broker::OutgoingCall& call) override;
  void OnCancel(uint64_t call_id) override;
  void OnRelease(absl::Span<const uint64_t> object_ids) override;
  void OnPublish(absl::string_view topic, absl::string_view payload,
                 absl::string_view type_url) override;

 private:
  // How a slot's entries become its response.
  enum class Kind : uint8_t { kPlain, kJsonRpc, kXmlRpc, kXmlMulticall, kRest };

  // One request's response, in request order. Slots are pooled: their strings keep capacity.
  struct Slot {
    uint64_t seq = 0;
    Kind kind = Kind::kPlain;
    // Broker calls (or the /metrics task) still to answer; the response is built at 0.
    int pending = 0;
    // `bytes` holds the whole response.
    bool done = false;
    std::string bytes;
    bool close_after = false;
    // REST: the status to answer with, set when the call completes.
    int status = 200;
    // JSON-RPC: one encoded response per entry (empty: a notification); XML-RPC: the whole
    // methodResponse in entries[0], or for system.multicall one <value> per call.
    bool batch = false;
    std::size_t entry_count = 0;
    std::vector<std::string> entries;
    // About the request, for the response head.
    bool keep_alive = true;
    bool head_request = false;
    int version_minor = 1;
    HttpPath path = HttpPath::kOther;
  };
  // A broker call in flight: where its answer goes.
  struct PendingCall {
    uint64_t slot_seq = 0;
    std::size_t entry = 0;
    const google::protobuf::MethodDescriptor* method = nullptr;
    // REST: the response field that is the body; null for the whole response.
    const google::protobuf::FieldDescriptor* response_field = nullptr;
    Kind kind = Kind::kJsonRpc;
    std::string id;  // JSON-RPC: the raw JSON id.
  };

  // Takes requests from the decoder while the response queue has room.
  void Pump();
  void HandleEvent(protocols::http::HttpRequestEvent& event);
  void HandleRequest(const protocols::http::HttpRequest& request);
  Slot& NewSlot(const protocols::http::HttpRequestHead& head, HttpPath path);
  Slot* FindSlot(uint64_t seq);
  // Encodes a whole response into `slot` and marks it done.
  void Respond(Slot& slot, int status, absl::string_view content_type, absl::string_view body,
               absl::Span<const protocols::http::HttpHeader> extra = {});
  void RespondText(Slot& slot, int status, absl::string_view text,
                   absl::Span<const protocols::http::HttpHeader> extra = {});
  // Builds the response of a slot whose calls are all answered.
  void Finish(Slot& slot);
  void HandleMetrics(Slot& slot);

  // JSON-RPC (http_session_rpc.cc).
  void HandleJsonRpc(const protocols::http::HttpRequest& request, Slot& slot);
  void StartJsonRpcCall(const protocols::jsonrpc::Call& call, Slot& slot, std::size_t entry);
  absl::Status BuildJsonRequest(const protocols::jsonrpc::Call& call,
                                google::protobuf::Message& message);
  // `json` into `message` by json_mapping.h, or by protobuf's util for well-known types.
  absl::Status ParseJson(absl::string_view json, google::protobuf::Message& message);
  void FinishJsonRpc(Slot& slot);
  // XML-RPC (http_session_rpc.cc).
  void HandleXmlRpc(const protocols::http::HttpRequest& request, Slot& slot);
  void StartXmlRpcCall(absl::string_view method_name, protocols::xmlrpc::ValueRef params,
                       Slot& slot, std::size_t entry);
  // system.listMethods, system.methodSignature and system.methodHelp: their value to `writer`.
  absl::Status SystemMethod(absl::string_view method_name, protocols::xmlrpc::ValueRef params,
                            protocols::xmlrpc::ValueWriter& writer);
  // A fault for `slot`'s entry `entry`: a whole methodResponse, or a multicall slot's struct.
  void WriteFault(Slot& slot, std::size_t entry, const absl::Status& status);
  void FinishXmlRpc(Slot& slot);
  // REST (http_session_rpc.cc): a request on a path of a REST route.
  void HandleRest(const protocols::http::HttpRequest& request, const RestRoute& route, Slot& slot);
  // Both: `count` empty entries of `kind`.
  void PrepareEntries(Slot& slot, Kind kind, std::size_t count);
  // The reply to a broker call, into its entry.
  void CompleteCall(const PendingCall& call, Slot& slot, const absl::Status& status,
                    const broker::Payload& payload);
  // Calls `service`.`method_name`, whose types `method` gives, with `request` for `slot`'s entry
  // `entry` (nothing is answered when `one_way`).
  void CallBroker(absl::string_view service, absl::string_view method_name,
                  const google::protobuf::MethodDescriptor& method,
                  const google::protobuf::Message& request, Slot& slot, std::size_t entry,
                  Kind kind, absl::string_view json_id, bool one_way,
                  const google::protobuf::FieldDescriptor* response_field = nullptr);
  // The reusable request and response messages of `method` (one pair per loop).
  google::protobuf::Message& RequestFor(const google::protobuf::MethodDescriptor& method);
  google::protobuf::Message& ResponseFor(const google::protobuf::MethodDescriptor& method);

  void Flush();
  void UpdateReading();
  void OnTimer();

  broker::BrokerShard& shard_;
  HttpLoopContext& context_;
  reactor::EventLoop& loop_;
  protocols::http::HttpRequestDecoder decoder_;
  protocols::jsonrpc::JsonRpcDecoder jsonrpc_;
  broker::ConnectionRef connection_;
  bool connected_ = false;
  broker::ConnectionBytes bytes_;  // For the control plane (BrokerShard::Connections()).
  std::deque<Slot*> slots_;
  std::vector<std::unique_ptr<Slot>> slot_pool_;
  std::vector<Slot*> free_slots_;
  uint64_t next_seq_ = 1;
  absl::flat_hash_map<uint64_t, PendingCall> calls_;
  uint64_t next_call_id_ = 1;
  std::string out_;
  bool in_data_ = false;
  // Requests the decoder holds that were not taken because the response queue was full.
  bool input_held_ = false;
  bool no_more_requests_ = false;  // Last request taken, bad input, timeout, EOF or draining.
  bool draining_ = false;
  bool closing_ = false;
  bool close_called_ = false;
  bool closed_ = false;
  bool paused_for_output_ = false;
  bool reading_paused_ = false;
  absl::Time partial_since_ = absl::InfiniteFuture();  // First byte of an incomplete request.
  absl::Time last_activity_;
  std::unique_ptr<reactor::Timer> timer_;
  std::unique_ptr<reactor::Timer> pump_timer_;
  // Points at this session until it is destroyed; /metrics tasks keep a weak copy.
  std::shared_ptr<HttpSession*> liveness_;
};

}  // namespace weft::gateways::http

#endif  // WEFT_GATEWAYS_HTTP_HTTP_SESSION_H_
