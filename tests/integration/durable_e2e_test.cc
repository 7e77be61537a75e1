// Durable routes end to end against the real weftd, on SQLite and on a real PostgreSQL server:
// a target offline and then back gets every message in order; a resent message takes effect
// once; weftd killed with SIGKILL in the middle of a stream of durable messages and restarted on
// the same store delivers every acknowledged message to an idempotent target; a store that goes
// away refuses new messages and loses none it acknowledged.
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "broker/store/testing/postgres_server.h"
#include "clients/cpp/blocking_client.h"
#include "demo/greeter.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/weftd_process.h"
#include "tests/testing/status_matchers.h"

namespace weft::testing {
namespace {

using ::testing::ElementsAreArray;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

// A demo.Greeter that applies each name once (the sender uses the name as the route's
// idempotency key, so this is the idempotent consumer) and counts every delivery.
class SinkGreeter final : public demo::Greeter {
 public:
  void SayHello(google::protobuf::RpcController* controller, const demo::HelloRequest* request,
                demo::HelloReply* response, google::protobuf::Closure* done) override {
    {
      absl::MutexLock lock(&mutex_);
      if (failing_) {
        controller->SetFailed("sink is failing");
      } else {
        if (deliveries_[request->name()]++ == 0) applied_.push_back(request->name());
      }
    }
    response->set_message("ok");
    done->Run();
  }

  void set_failing(bool failing) {
    absl::MutexLock lock(&mutex_);
    failing_ = failing;
  }
  std::vector<std::string> applied() {
    absl::MutexLock lock(&mutex_);
    return applied_;
  }
  int deliveries(const std::string& name) {
    absl::MutexLock lock(&mutex_);
    auto it = deliveries_.find(name);
    return it == deliveries_.end() ? 0 : it->second;
  }
  // Waits (20 s at most) until at least `count` names were applied.
  bool WaitForApplied(std::size_t count) {
    absl::MutexLock lock(&mutex_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return applied_.size() >= count; };
    return mutex_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(20));
  }

 private:
  absl::Mutex mutex_;
  bool failing_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<std::string> applied_ ABSL_GUARDED_BY(mutex_);
  absl::flat_hash_map<std::string, int> deliveries_ ABSL_GUARDED_BY(mutex_);
};

constexpr absl::string_view kRoute = R"(
routes {
  target: "demo.Greeter"
  durable {
    queue: "greetings"
    idempotency_metadata: "idempotency-key"
    initial_backoff_ms: 20
    max_backoff_ms: 200
    max_attempts: 1000000
  }
}
)";

enum class Backend { kSqlite, kPostgres };

class DurableE2eTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kPostgres) {
      absl::StatusOr<std::unique_ptr<broker::store::PostgresServer>> server =
          broker::store::PostgresServer::Start();
      ASSERT_TRUE(server.ok()) << server.status();
      postgres_ = *std::move(server);
    }
    StartWeftd("");
  }
  void TearDown() override {
    sink_client_.reset();
    if (weftd_ != nullptr) {
      EXPECT_EQ(weftd_->Stop(), 0) << weftd_->stderr_text();
    }
  }

  std::string StoreConfig() const {
    if (postgres_ == nullptr) return "";
    return absl::StrCat("store { postgres { conninfo: \"", postgres_->conninfo(), "\" } }\n");
  }
  void StartWeftd(std::string data_dir) {
    absl::StatusOr<std::unique_ptr<WeftdProcess>> weftd = WeftdProcess::Start(
        absl::StrCat(kRoute, StoreConfig()), {"--loops", "2"}, std::move(data_dir));
    ASSERT_TRUE(weftd.ok()) << weftd.status();
    weftd_ = *std::move(weftd);
  }

  std::unique_ptr<clients::BlockingClient> Connect() {
    clients::ClientOptions options;
    options.reconnect.enabled = false;  // A call in flight when weftd dies fails; no retry.
    options.default_timeout = absl::Seconds(20);
    absl::StatusOr<std::unique_ptr<clients::BlockingClient>> client =
        clients::BlockingClient::Connect(weftd_->endpoint(), options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }
  // Connects the sink and registers it as demo.Greeter.
  void RegisterSink() {
    sink_client_ = Connect();
    ASSERT_NE(sink_client_, nullptr);
    std::vector<std::unique_ptr<google::protobuf::Service>> services;
    services.push_back(std::make_unique<ForwardingSink>(sink_));
    ASSERT_THAT(sink_client_->Register(std::move(services)), IsOk());
  }
  absl::Status Send(clients::BlockingClient& client, const std::string& name) {
    demo::HelloRequest request;
    request.set_name(name);
    clients::CallOptions options;
    options.metadata.emplace_back("idempotency-key", name);
    return client.Call(&demo::Greeter_Stub::SayHello, request, options).status();
  }

  // The sink outlives every client that registers it.
  class ForwardingSink final : public demo::Greeter {
   public:
    explicit ForwardingSink(SinkGreeter& sink) : sink_(sink) {}
    void SayHello(google::protobuf::RpcController* controller, const demo::HelloRequest* request,
                  demo::HelloReply* response, google::protobuf::Closure* done) override {
      sink_.SayHello(controller, request, response, done);
    }

   private:
    SinkGreeter& sink_;
  };

  std::unique_ptr<broker::store::PostgresServer> postgres_;
  std::unique_ptr<WeftdProcess> weftd_;
  SinkGreeter sink_;
  std::unique_ptr<clients::BlockingClient> sink_client_;
};

TEST_P(DurableE2eTest, OfflineTargetGetsEveryMessageInOrderWhenItComesBack) {
  std::unique_ptr<clients::BlockingClient> sender = Connect();
  ASSERT_NE(sender, nullptr);
  std::vector<std::string> sent;
  for (int i = 0; i < 50; ++i) {
    sent.push_back(absl::StrCat("offline-", i));
    ASSERT_THAT(Send(*sender, sent.back()), IsOk());  // Acknowledged with no target at all.
  }
  RegisterSink();
  ASSERT_TRUE(sink_.WaitForApplied(sent.size()));
  EXPECT_THAT(sink_.applied(), ElementsAreArray(sent));
}

TEST_P(DurableE2eTest, ResentMessageTakesEffectOnce) {
  RegisterSink();
  std::unique_ptr<clients::BlockingClient> sender = Connect();
  ASSERT_NE(sender, nullptr);
  ASSERT_THAT(Send(*sender, "order-1"), IsOk());
  ASSERT_TRUE(sink_.WaitForApplied(1));
  ASSERT_THAT(Send(*sender, "order-1"), IsOk());  // Resent after delivery.
  ASSERT_THAT(Send(*sender, "order-2"), IsOk());
  ASSERT_TRUE(sink_.WaitForApplied(2));
  EXPECT_EQ(sink_.deliveries("order-1"), 1);
  EXPECT_THAT(sink_.applied(), ElementsAreArray({"order-1", "order-2"}));
}

TEST_P(DurableE2eTest, FailingTargetIsRetriedUntilItRecovers) {
  RegisterSink();
  sink_.set_failing(true);
  std::unique_ptr<clients::BlockingClient> sender = Connect();
  ASSERT_NE(sender, nullptr);
  ASSERT_THAT(Send(*sender, "retry-1"), IsOk());
  ASSERT_THAT(Send(*sender, "retry-2"), IsOk());
  absl::SleepFor(absl::Milliseconds(300));  // Several attempts fail meanwhile.
  EXPECT_TRUE(sink_.applied().empty());
  sink_.set_failing(false);
  ASSERT_TRUE(sink_.WaitForApplied(2));
  EXPECT_THAT(sink_.applied(), ElementsAreArray({"retry-1", "retry-2"}));
}

TEST_P(DurableE2eTest, EveryAcknowledgedMessageSurvivesSigkillAndIsAppliedOnce) {
  RegisterSink();
  // Four senders stream at once, so that several calls are in flight (some committed and not yet
  // answered) when weftd is killed after the 300th acknowledgement.
  constexpr int kSenders = 4;
  absl::Mutex mutex;
  std::vector<std::string> acknowledged;
  std::vector<std::string> sent;
  std::atomic<bool> killed{false};
  std::vector<std::unique_ptr<clients::BlockingClient>> clients;
  for (int i = 0; i < kSenders; ++i) {
    clients.push_back(Connect());
    ASSERT_NE(clients.back(), nullptr);
  }
  std::vector<std::thread> senders;
  for (int t = 0; t < kSenders; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < 100000; ++i) {
        const std::string name = absl::StrCat("crash-", t, "-", i);
        {
          absl::MutexLock lock(&mutex);
          sent.push_back(name);
        }
        if (!Send(*clients[t], name).ok()) return;  // The broker is gone.
        absl::MutexLock lock(&mutex);
        acknowledged.push_back(name);
        if (acknowledged.size() == 300 && !killed.exchange(true)) weftd_->Kill();
      }
    });
  }
  for (std::thread& sender : senders) sender.join();
  clients.clear();
  ASSERT_TRUE(killed.load());
  ASSERT_GE(acknowledged.size(), 300u);
  sink_client_.reset();
  const std::string data_dir = weftd_->data_dir();
  weftd_.reset();
  StartWeftd(data_dir);
  RegisterSink();
  ASSERT_TRUE(sink_.WaitForApplied(acknowledged.size()));
  absl::SleepFor(absl::Milliseconds(200));  // Let any committed-but-unanswered message arrive.
  std::vector<std::string> applied = sink_.applied();
  absl::flat_hash_map<std::string, int> seen;
  for (const std::string& name : applied) ++seen[name];
  for (const std::string& name : acknowledged) {
    EXPECT_EQ(seen[name], 1) << name << " was acknowledged but not applied exactly once";
  }
  for (const auto& [name, count] : seen) {
    EXPECT_EQ(count, 1) << name;
    EXPECT_NE(std::find(sent.begin(), sent.end(), name), sent.end()) << name << " was never sent";
  }
  int redelivered = 0;
  for (const std::string& name : applied) redelivered += sink_.deliveries(name) - 1;
  RecordProperty("acknowledged", static_cast<int>(acknowledged.size()));
  RecordProperty("applied", static_cast<int>(applied.size()));
  RecordProperty("redelivered", redelivered);
}

TEST_P(DurableE2eTest, DatabaseDownRefusesNewMessagesAndLosesNoneAcknowledged) {
  if (GetParam() != Backend::kPostgres) {
    GTEST_SKIP() << "SQLite has no server to stop; its disk-full case is in store_contract_test";
  }
  std::unique_ptr<clients::BlockingClient> sender = Connect();
  ASSERT_NE(sender, nullptr);
  ASSERT_THAT(Send(*sender, "before"), IsOk());
  ASSERT_THAT(postgres_->Stop(), IsOk());
  const absl::Status down = Send(*sender, "during");
  EXPECT_THAT(down, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(down.message().find("password"), absl::string_view::npos) << down;
  ASSERT_THAT(postgres_->Restart(), IsOk());
  ASSERT_THAT(Send(*sender, "after"), IsOk());
  RegisterSink();
  ASSERT_TRUE(sink_.WaitForApplied(2));
  EXPECT_THAT(sink_.applied(), ElementsAreArray({"before", "after"}));
}

INSTANTIATE_TEST_SUITE_P(Stores, DurableE2eTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace weft::testing
