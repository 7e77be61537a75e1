// BrokerHarness: a Broker over FakeEventLoops with the test servants, and connections that
// record what the broker tells them.
//
// Part of //broker/testing (testonly). A harness with several loops stands in for weftd's loop
// group on one thread: RunAll() runs every loop in turn until posted work stops crossing between
// them, so a test sees the end state of every cross-loop hop without threads or sleeps.
#ifndef WEFT_BROKER_TESTING_BROKER_HARNESS_H_
#define WEFT_BROKER_TESTING_BROKER_HARNESS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "broker/broker.h"
#include "broker/broker_shard.h"
#include "broker/testing/recording_peer.h"
#include "broker/testing/test_servants.h"
#include "google/protobuf/message.h"
#include "reactor/base/check.h"
#include "reactor/testing/fake_event_loop.h"

namespace weft::broker::testing {

// A simulated connection: its callbacks and the shard it belongs to.
struct Client {
  RecordingPeer peer;
  std::size_t shard = 0;
  ConnectionRef ref;
  bool connected = false;
};

class BrokerHarness {
 public:
  explicit BrokerHarness(std::size_t loop_count, BrokerOptions options = {}) {
    std::vector<reactor::EventLoop*> loops;
    for (std::size_t i = 0; i < loop_count; ++i) {
      loops_.push_back(std::make_unique<reactor::FakeEventLoop>());
      loops.push_back(loops_.back().get());
    }
    absl::StatusOr<std::unique_ptr<Broker>> broker =
        Broker::Create(std::move(loops), std::move(options), TestServices(state_));
    WEFT_CHECK(broker.ok());
    broker_ = *std::move(broker);
  }
  ~BrokerHarness() {
    for (auto& client : clients_) Disconnect(*client);
    RunAll();
    broker_.reset();
  }

  Broker& broker() { return *broker_; }
  BrokerShard& shard(std::size_t index) { return broker_->shard(index); }
  reactor::FakeEventLoop& loop(std::size_t index) { return *loops_[index]; }
  ServantState& state() { return state_; }

  // Runs every loop until idle, round after round, until work stops hopping between loops.
  void RunAll() {
    // Each round carries a message one hop; no broker path takes more than a few.
    for (int round = 0; round < 16; ++round) {
      for (auto& loop : loops_) loop->RunUntilIdle();
    }
  }
  // Moves every loop's clock by `delta`, firing due timers, then RunAll().
  void AdvanceAll(absl::Duration delta) {
    for (auto& loop : loops_) loop->AdvanceBy(delta);
    RunAll();
  }

  // A new connection on `shard`, connected and settled (RunAll()).
  Client& Connect(std::size_t shard_index = 0, absl::string_view name = "test") {
    clients_.push_back(std::make_unique<Client>());
    Client& client = *clients_.back();
    client.shard = shard_index;
    client.ref = shard(shard_index).Connect(client.peer, name);
    client.connected = true;
    RunAll();
    return client;
  }
  void Disconnect(Client& client) {
    if (!client.connected) return;
    client.connected = false;
    shard(client.shard).Disconnect(client.ref);
  }

  // `client` calls `service`.`method` (or object `object_id` when not 0) with `request`. Does
  // not run the loops.
  void Call(Client& client, uint64_t call_id, absl::string_view service, absl::string_view method,
            const google::protobuf::Message& request, int64_t timeout_micros = 0,
            bool one_way = false, uint64_t object_id = 0) {
    const std::string payload = request.SerializeAsString();
    IncomingCall call;
    call.call_id = call_id;
    call.service = service;
    call.object_id = object_id;
    call.method = method;
    call.payload = payload;
    call.timeout_micros = timeout_micros;
    call.one_way = one_way;
    shard(client.shard).Call(client.ref, call);
  }
  void CallObject(Client& client, uint64_t call_id, uint64_t object_id, absl::string_view method,
                  const google::protobuf::Message& request, int64_t timeout_micros = 0) {
    Call(client, call_id, "", method, request, timeout_micros, false, object_id);
  }

 private:
  // Declaration order is destruction order in reverse: the broker goes first, then the
  // connections' callbacks, then the loops (which may still destroy posted servants), then the
  // servants' shared state.
  ServantState state_;
  std::vector<std::unique_ptr<reactor::FakeEventLoop>> loops_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::unique_ptr<Broker> broker_;
};

}  // namespace weft::broker::testing

#endif  // WEFT_BROKER_TESTING_BROKER_HARNESS_H_
