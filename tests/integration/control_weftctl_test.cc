// weftctl, the control plane's command line, run as a process against the real weftd: its
// tables, --json, route changes, queue commands, drain and enable, watch, tokens, and its exit
// codes (0 success, 1 an error from weftd, 2 bad usage, 3 weftd unreachable).
#include <stdio.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/weftd_process.h"

namespace weft::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs weftctl with `args` (each shell-quoted) and `env` prepended ("NAME=value ...").
Result Weftctl(const std::vector<std::string>& args, const std::string& env = "") {
  const std::string err_path = MakeTempDir() + "/stderr";
  std::string command = env.empty() ? "" : env + " ";
  absl::StrAppend(&command, "clients/weftctl/weftctl");
  for (const std::string& arg : args) absl::StrAppend(&command, " '", arg, "'");
  absl::StrAppend(&command, " 2>'", err_path, "'");
  Result result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    result.out.append(buffer, n);
  const int status = pclose(pipe);
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_path);
  result.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return result;
}

class WeftctlTest : public ::testing::Test {
 protected:
  void Start(absl::string_view extra_config) {
    absl::StatusOr<std::unique_ptr<WeftdProcess>> weftd =
        WeftdProcess::Start(absl::StrCat("services { name: \"demo.Calculator\" }\n", extra_config),
                            {"--loops", "2"}, "", {"control"});
    ASSERT_TRUE(weftd.ok()) << weftd.status();
    weftd_ = *std::move(weftd);
    endpoint_ = absl::StrCat("--endpoint=127.0.0.1:", weftd_->listener_port("control"));
  }
  void TearDown() override {
    if (weftd_ != nullptr) {
      EXPECT_EQ(weftd_->Stop(), 0) << weftd_->stderr_text();
    }
  }
  Result Run(std::vector<std::string> args, const std::string& env = "") {
    args.insert(args.begin(), endpoint_);
    return Weftctl(args, env);
  }

  std::unique_ptr<WeftdProcess> weftd_;
  std::string endpoint_;
};

TEST_F(WeftctlTest, StatusServicesAndDescribePrintTables) {
  Start("");
  Result status = Run({"status"});
  ASSERT_EQ(status.code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("loops    2\n"));
  EXPECT_THAT(status.out, HasSubstr("GATEWAY  ENDPOINT"));
  EXPECT_THAT(status.out,
              HasSubstr(absl::StrCat("wire     tcp:", weftd_->port(), ":interface=127.0.0.1")));

  Result json = Run({"--json", "status"});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_THAT(json.out, AllOf(HasSubstr("\"loops\": 2"), HasSubstr("\"version\": ")));

  Result services = Run({"services"});
  ASSERT_EQ(services.code, 0) << services.err;
  EXPECT_EQ(services.out,
            "SERVICE          METHODS      FILE\n"
            "demo.Calculator  Add, Divide  demo/calculator.proto\n");

  Result describe = Run({"describe", "demo.Calculator"});
  ASSERT_EQ(describe.code, 0) << describe.err;
  EXPECT_THAT(describe.out, HasSubstr("  rpc Add(demo.AddRequest) returns (demo.AddResponse)\n"));
  EXPECT_THAT(describe.out, HasSubstr("message demo.DivideRequest\n  int64 dividend = 1\n"));

  Result missing = Run({"describe", "demo.Nope"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_THAT(missing.err, HasSubstr("weftctl: NOT_FOUND: no service 'demo.Nope'"));
}

TEST_F(WeftctlTest, RoutePutListAndDelete) {
  Start("");
  Result put = Run({"route", "put", "demo.Calculator.Add", "--topic", "calc.audit"});
  ASSERT_EQ(put.code, 0) << put.err;
  EXPECT_EQ(put.out, "route demo.Calculator.Add -> topic calc.audit\n");
  Result queued = Run({"route", "put", "demo.Greeter", "--queue", "greetings", "--max-attempts=3",
                       "--idempotency-metadata", "idempotency-key"});
  ASSERT_EQ(queued.code, 0) << queued.err;
  Result routes = Run({"routes"});
  ASSERT_EQ(routes.code, 0) << routes.err;
  EXPECT_EQ(routes.out,
            "TARGET               DESTINATION       DURABLE\n"
            "demo.Calculator.Add  topic calc.audit  no\n"
            "demo.Greeter         queue greetings   max_attempts=3 ordered\n");

  Result bad = Run({"route", "put", "bad/x/y", "--to", "demo.Calculator"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_THAT(bad.err, HasSubstr("weftctl: INVALID_ARGUMENT: route: target"));
  Result no_destination = Run({"route", "put", "demo.X"});
  EXPECT_EQ(no_destination.code, 2);
  EXPECT_THAT(no_destination.err, HasSubstr("needs --to SERVICE, --topic TOPIC or --queue QUEUE"));

  Result deleted = Run({"route", "delete", "demo.Calculator.Add"});
  ASSERT_EQ(deleted.code, 0) << deleted.err;
  Result again = Run({"route", "delete", "demo.Calculator.Add"});
  EXPECT_EQ(again.code, 1);
  EXPECT_THAT(again.err, HasSubstr("NOT_FOUND"));
  routes = Run({"routes"});
  EXPECT_THAT(routes.out, Not(HasSubstr("demo.Calculator.Add")));
}

TEST_F(WeftctlTest, QueueCommands) {
  Start("routes { target: \"demo.Greeter\" durable { queue: \"greetings\" } }\n");
  Result queues = Run({"queues"});
  ASSERT_EQ(queues.code, 0) << queues.err;
  EXPECT_THAT(queues.out, HasSubstr("QUEUE      LIVE  DEAD  OLDEST"));
  EXPECT_THAT(queues.out, HasSubstr("greetings  0     0     -"));
  Result dead = Run({"dead-letters", "greetings"});
  ASSERT_EQ(dead.code, 0) << dead.err;
  EXPECT_EQ(dead.out, "ID  SERVICE  METHOD  ATTEMPTS  ENQUEUED (UTC)  LAST ERROR\n");
  Result replay = Run({"replay", "greetings"});
  ASSERT_EQ(replay.code, 0) << replay.err;
  EXPECT_EQ(replay.out, "replayed 0\n");
  Result replay_one = Run({"replay", "greetings", "12345"});
  EXPECT_EQ(replay_one.code, 1);
  EXPECT_THAT(replay_one.err, HasSubstr("NOT_FOUND"));
  Result purge = Run({"purge", "greetings", "--include-live"});
  ASSERT_EQ(purge.code, 0) << purge.err;
  EXPECT_EQ(purge.out, "purged 0\n");
  Result message = Run({"message", "0"});
  EXPECT_EQ(message.code, 1);
  EXPECT_THAT(message.err, HasSubstr("INVALID_ARGUMENT: id"));
}

TEST_F(WeftctlTest, ReloadOfAnUnchangedFileChangesNothing) {
  Start("routes { target: \"demo.Old\" service: \"demo.Calculator\" }\n");
  Result reload = Run({"reload"});
  ASSERT_EQ(reload.code, 0) << reload.err;
  EXPECT_EQ(reload.out, "reloaded: no changes\n");
  Result routes = Run({"routes"});
  EXPECT_THAT(routes.out, HasSubstr("demo.Old  service demo.Calculator  no\n"));
}

TEST_F(WeftctlTest, TokensFromTheFlagOrTheEnvironment) {
  Start("auth { require_auth: true tokens: \"weftctl-test-token-0123456789\" }\n");
  Result none = Run({"status"});
  EXPECT_EQ(none.code, 1);
  EXPECT_THAT(none.err, HasSubstr("weftctl: UNAUTHENTICATED"));
  EXPECT_EQ(none.out, "");
  Result wrong = Run({"--token", "not-the-token-0123456789", "routes"});
  EXPECT_EQ(wrong.code, 1);
  EXPECT_THAT(wrong.err, HasSubstr("UNAUTHENTICATED"));
  Result flag = Run({"--token", "weftctl-test-token-0123456789", "status"});
  EXPECT_EQ(flag.code, 0) << flag.err;
  Result env = Run({"routes"}, "WEFTCTL_TOKEN=weftctl-test-token-0123456789");
  EXPECT_EQ(env.code, 0) << env.err;
}

TEST_F(WeftctlTest, DrainAndEnableAGateway) {
  Start("");
  Result drained = Run({"drain", "wire"});
  ASSERT_EQ(drained.code, 0) << drained.err;
  EXPECT_EQ(drained.out, "drained wire: 0 sessions still finishing\n");
  Result json = Run({"--json", "drain", "wire"});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_THAT(json.out, HasSubstr("\"open_sessions\": \"0\""));
  Result enabled = Run({"enable", "wire"});
  ASSERT_EQ(enabled.code, 0) << enabled.err;
  EXPECT_EQ(enabled.out, "enabled wire\n");
  Result unknown = Run({"drain", "smtp"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("weftctl: NOT_FOUND: no gateway 'smtp'"));
  Result usage = Run({"enable"});
  EXPECT_EQ(usage.code, 2);
}

TEST_F(WeftctlTest, ConnectionsAndClose) {
  Start("");
  Result list = Run({"connections"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("ID"));
  EXPECT_THAT(list.out, HasSubstr("GATEWAY  PEER  USER            AGE"));
  EXPECT_THAT(list.out, HasSubstr("-        -     durable-queues  "));  // Internal: no peer.
  Result wire = Run({"connections", "--gateway", "wire"});
  ASSERT_EQ(wire.code, 0) << wire.err;
  EXPECT_EQ(wire.out, "ID  GATEWAY  PEER  USER  AGE  BYTES IN  BYTES OUT\n");
  // The internal connection's id: the first column of its row.
  const std::size_t row = list.out.find("durable-queues");
  ASSERT_NE(row, std::string::npos);
  const std::size_t start = list.out.rfind('\n', row) + 1;
  const std::string id = list.out.substr(start, list.out.find(' ', start) - start);
  Result refused = Run({"close", id});
  EXPECT_EQ(refused.code, 1);
  EXPECT_THAT(refused.err, HasSubstr("FAILED_PRECONDITION"));
  Result unknown = Run({"close", "12345"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("NOT_FOUND: no connection 12345"));
  Result bad = Run({"close", "x"});
  EXPECT_EQ(bad.code, 2);
}

TEST_F(WeftctlTest, ObjectsListsNoneThenTable) {
  Start("");
  Result none = Run({"objects"});
  ASSERT_EQ(none.code, 0) << none.err;
  EXPECT_EQ(none.out, "ID  INTERFACE  HOST  HOLDERS\n");
  Result json = Run({"--json", "objects"});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_THAT(json.out, HasSubstr("{"));
}

TEST_F(WeftctlTest, WatchPrintsEventsAsTheyHappen) {
  Start("");
  Result watched;
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    watched = Run({"watch", "--kinds", "route-changed", "--count", "1"});
    done.store(true);
  });
  // The watch may subscribe after a change: keep changing the route until it has seen one.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!done.load() && absl::Now() < deadline) {
    Run({"route", "put", "demo.Calculator.Add", "--topic", "audit"});
  }
  watcher.join();
  ASSERT_EQ(watched.code, 0) << watched.err;
  EXPECT_THAT(watched.out, HasSubstr("  route-changed  demo.Calculator.Add  put: topic audit\n"));
  EXPECT_EQ(std::count(watched.out.begin(), watched.out.end(), '\n'), 1) << watched.out;
  Result bad = Run({"watch", "--kinds", "nope"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.err, HasSubstr("unknown event kind 'nope'"));
}

TEST(WeftctlUsageTest, ExitCodesForBadUsageAndAnUnreachableBroker) {
  Result unknown = Weftctl({"frobnicate"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("usage: weftctl"));
  Result missing_value = Weftctl({"status", "--endpoint"});
  EXPECT_EQ(missing_value.code, 2);
  // Nothing listens on port 1 of loopback (a privileged port no test binds).
  Result down = Weftctl({"--endpoint", "127.0.0.1:1", "status"});
  EXPECT_EQ(down.code, 3);
  EXPECT_THAT(down.err, HasSubstr("weftctl: cannot reach weftd at 127.0.0.1:1: "));
}

}  // namespace
}  // namespace weft::testing
