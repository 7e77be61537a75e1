// ListenEndpoint / ConnectEndpoint for tcp and unix endpoint strings, over real loopback sockets.
#include "reactor/endpoint_factory.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/endpoint.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/socket_address.h"
#include "reactor/tcp_test_util.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::testing::HasSubstr;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

using TransportResult = std::optional<absl::StatusOr<std::unique_ptr<Transport>>>;

class EndpointFactoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<EpollEventLoop>> loop = EpollEventLoop::Create();
    ASSERT_THAT(loop, IsOk());
    loop_ = *std::move(loop);
  }

  absl::StatusOr<std::unique_ptr<Listener>> Listen(absl::string_view text,
                                                   ListenerCallbacks& callbacks) {
    absl::StatusOr<ServerEndpoint> endpoint = ParseServerEndpoint(text);
    if (!endpoint.ok()) return endpoint.status();
    return ListenEndpoint(*loop_, *endpoint, callbacks);
  }

  std::unique_ptr<ConnectRequest> Connect(absl::string_view text, TransportResult& result) {
    absl::StatusOr<ClientEndpoint> endpoint = ParseClientEndpoint(text);
    EXPECT_THAT(endpoint, IsOk()) << text;
    if (!endpoint.ok()) return nullptr;
    return ConnectEndpoint(
        *loop_, /*resolver=*/nullptr, *endpoint,
        [&result](absl::StatusOr<std::unique_ptr<Transport>> r) { result = std::move(r); });
  }

  // Connects to `client_text`, which must reach `listener`, and checks bytes flow both ways.
  void ExpectConnectsAndTalks(absl::string_view client_text, AcceptQueue& accepted) {
    const std::size_t before = accepted.accepted.size();
    TransportResult result;
    std::unique_ptr<ConnectRequest> request = Connect(client_text, result);
    ASSERT_NE(request, nullptr);
    EXPECT_FALSE(result.has_value()) << "the callback must not run inside ConnectEndpoint()";
    ASSERT_TRUE(
        RunUntil(*loop_, [&] { return result.has_value() && accepted.accepted.size() > before; }));
    ASSERT_THAT(*result, IsOk());
    Transport& client = ***result;
    Transport& server = *accepted.accepted.back();
    RecordingCallbacks client_events, server_events;
    client.SetCallbacks(client_events);
    server.SetCallbacks(server_events);
    ASSERT_THAT(client.Write("request"), IsOk());
    ASSERT_TRUE(RunUntil(*loop_, [&] { return server_events.data == "request"; }));
    ASSERT_THAT(server.Write("response"), IsOk());
    ASSERT_TRUE(RunUntil(*loop_, [&] { return client_events.data == "response"; }));
    // Drop both ends before the callbacks above go out of scope.
    result.reset();
    accepted.accepted.pop_back();
  }

  // Waits for a connect started by Connect() and returns its status.
  absl::Status AwaitFailure(TransportResult& result) {
    EXPECT_FALSE(result.has_value()) << "the callback must not run inside ConnectEndpoint()";
    if (!RunUntil(*loop_, [&] { return result.has_value(); })) {
      return absl::DeadlineExceededError("test: no result");
    }
    return result->status();
  }

  std::unique_ptr<EpollEventLoop> loop_;
};

// --- tcp --------------------------------------------------------------------------------------

TEST_F(EndpointFactoryTest, TcpPortZeroOnLoopback) {
  AcceptQueue accepted;
  absl::StatusOr<std::unique_ptr<Listener>> listener = Listen("tcp:0", accepted);
  ASSERT_THAT(listener, IsOk());
  const int port = (*listener)->port();
  EXPECT_GT(port, 0);
  EXPECT_EQ((*listener)->address(), absl::StrCat("127.0.0.1:", port));
  ExpectConnectsAndTalks(absl::StrCat("tcp:127.0.0.1:", port), accepted);
  ExpectConnectsAndTalks(absl::StrCat("tcp:host=127.0.0.1:port=", port, ":timeout=5"), accepted);
}

TEST_F(EndpointFactoryTest, TcpOnIpv6Loopback) {
  AcceptQueue accepted;
  absl::StatusOr<std::unique_ptr<Listener>> listener = Listen("tcp:0:interface=[::1]", accepted);
  ASSERT_THAT(listener, IsOk());
  const int port = (*listener)->port();
  EXPECT_EQ((*listener)->address(), absl::StrCat("[::1]:", port));
  ExpectConnectsAndTalks(absl::StrCat("tcp:[::1]:", port), accepted);
  ExpectConnectsAndTalks(absl::StrCat(R"(tcp:\:\:1:)", port), accepted);
}

TEST_F(EndpointFactoryTest, LocalhostConnectsToIpv4Loopback) {
  AcceptQueue accepted;
  absl::StatusOr<std::unique_ptr<Listener>> listener = Listen("tcp:0", accepted);
  ASSERT_THAT(listener, IsOk());
  ExpectConnectsAndTalks(absl::StrCat("tcp:localhost:", (*listener)->port()), accepted);
}

TEST_F(EndpointFactoryTest, BadInterfaceIsInvalidArgument) {
  AcceptQueue accepted;
  for (const char* text :
       {"tcp:0:interface=not-an-address", "tcp:0:interface=localhost",
        "tcp:0:interface=", "tcp:0:interface=1.2.3.4.5", "tcp:0:interface=[::1"}) {
    SCOPED_TRACE(text);
    EXPECT_THAT(Listen(text, accepted), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  absl::StatusOr<ServerEndpoint> endpoint = ParseServerEndpoint("tcp:0");
  ASSERT_THAT(endpoint, IsOk());
  endpoint->interface = "example.org";
  EXPECT_THAT(ListenEndpoint(*loop_, *endpoint, accepted),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("example.org")));
}

TEST_F(EndpointFactoryTest, PortInUseIsUnavailable) {
  AcceptQueue accepted;
  absl::StatusOr<std::unique_ptr<Listener>> first = Listen("tcp:0", accepted);
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(Listen(absl::StrCat("tcp:", (*first)->port()), accepted),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(EndpointFactoryTest, ReusePortOptionIsHonoured) {
  AcceptQueue first_accepted, second_accepted;
  absl::StatusOr<std::unique_ptr<Listener>> first =
      Listen("tcp:0:reuseport=true:backlog=16", first_accepted);
  ASSERT_THAT(first, IsOk());
  absl::StatusOr<std::unique_ptr<Listener>> second =
      Listen(absl::StrCat("tcp:", (*first)->port(), ":reuseport=yes"), second_accepted);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ((*second)->port(), (*first)->port());
}

TEST_F(EndpointFactoryTest, PausingAListenerFromAnEndpoint) {
  AcceptQueue accepted;
  absl::StatusOr<std::unique_ptr<Listener>> listener = Listen("tcp:0", accepted);
  ASSERT_THAT(listener, IsOk());
  (*listener)->PauseAccepting();
  TransportResult result;
  std::unique_ptr<ConnectRequest> request =
      Connect(absl::StrCat("tcp:127.0.0.1:", (*listener)->port()), result);
  // The kernel completes the handshake; the listener just does not accept it yet.
  ASSERT_TRUE(RunUntil(*loop_, [&] { return result.has_value(); }));
  EXPECT_THAT(*result, IsOk());
  RunReady(*loop_, 10);
  EXPECT_TRUE(accepted.accepted.empty());
  (*listener)->ResumeAccepting();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return accepted.accepted.size() == 1; }));
}

// --- unix -------------------------------------------------------------------------------------

TEST_F(EndpointFactoryTest, UnixPath) {
  ScratchDir dir;
  const std::string path = dir.File("weft.sock");
  AcceptQueue accepted;
  absl::StatusOr<std::unique_ptr<Listener>> listener =
      Listen(absl::StrCat("unix:", path, ":backlog=8"), accepted);
  ASSERT_THAT(listener, IsOk());
  EXPECT_EQ((*listener)->address(), "unix:" + path);
  EXPECT_EQ((*listener)->port(), 0);
  ExpectConnectsAndTalks(absl::StrCat("unix:", path), accepted);
  ExpectConnectsAndTalks(absl::StrCat("unix:path=", path, ":timeout=2"), accepted);
  listener->reset();
  EXPECT_NE(access(path.c_str(), F_OK), 0) << "the socket file outlived its listener";
}

TEST_F(EndpointFactoryTest, UnixAbstractName) {
  const std::string name = AbstractUnixName();
  AcceptQueue accepted;
  absl::StatusOr<std::unique_ptr<Listener>> listener =
      Listen(absl::StrCat("unix:address=", name), accepted);
  ASSERT_THAT(listener, IsOk());
  EXPECT_EQ((*listener)->address(), "unix:" + name);
  ExpectConnectsAndTalks(absl::StrCat("unix:", name), accepted);
}

TEST_F(EndpointFactoryTest, UnixPathTooLongIsInvalidArgument) {
  AcceptQueue accepted;
  EXPECT_THAT(Listen(absl::StrCat("unix:/tmp/", std::string(200, 'x')), accepted),
              StatusIs(absl::StatusCode::kInvalidArgument));
  TransportResult result;
  std::unique_ptr<ConnectRequest> request =
      Connect(absl::StrCat("unix:/tmp/", std::string(200, 'x')), result);
  EXPECT_THAT(AwaitFailure(result), StatusIs(absl::StatusCode::kInvalidArgument));
}

// --- Connect failures are asynchronous --------------------------------------------------------

// Without a DnsResolver only numeric hosts and "localhost" can be reached.
TEST_F(EndpointFactoryTest, HostNameWithoutResolverFailsAsynchronously) {
  TransportResult result;
  std::unique_ptr<ConnectRequest> request = Connect("tcp:example.invalid:80", result);
  ASSERT_NE(request, nullptr);
  EXPECT_THAT(AwaitFailure(result),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("example.invalid")));
}

TEST_F(EndpointFactoryTest, RefusedConnectFailsAsynchronously) {
  SocketAddress address;
  absl::StatusOr<UniqueFd> closed_port = BindUnlistened("127.0.0.1", address);
  ASSERT_THAT(closed_port, IsOk());
  TransportResult result;
  std::unique_ptr<ConnectRequest> request =
      Connect(absl::StrCat("tcp:127.0.0.1:", address.port()), result);
  EXPECT_THAT(AwaitFailure(result), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(EndpointFactoryTest, MissingUnixSocketFailsAsynchronously) {
  ScratchDir dir;
  TransportResult result;
  std::unique_ptr<ConnectRequest> request =
      Connect(absl::StrCat("unix:", dir.File("nobody.sock")), result);
  EXPECT_THAT(AwaitFailure(result), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(EndpointFactoryTest, EndpointTimeoutIsHonoured) {
  // A listener whose accept queue is full drops SYNs, so only the timeout can end the attempt.
  SocketAddress any;
  absl::StatusOr<UniqueFd> listener = BindUnlistened("127.0.0.1", any);
  ASSERT_THAT(listener, IsOk());
  ASSERT_EQ(listen(listener->get(), 0), 0);
  std::vector<UniqueFd> fillers;
  for (int i = 0; i < 4; ++i) {
    UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    connect(fd.get(), any.sockaddr_ptr(), any.length());
    fillers.push_back(std::move(fd));
  }
  TransportResult result;
  const absl::Time start = absl::Now();
  std::unique_ptr<ConnectRequest> request =
      Connect(absl::StrCat("tcp:127.0.0.1:", any.port(), ":timeout=0.3"), result);
  EXPECT_THAT(AwaitFailure(result), StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(290));
}

TEST_F(EndpointFactoryTest, DestroyingTheHandleBeforeAFailureIsDeliveredCancelsIt) {
  bool called = false;
  absl::StatusOr<ClientEndpoint> endpoint = ParseClientEndpoint("tcp:example.invalid:80");
  ASSERT_THAT(endpoint, IsOk());
  std::unique_ptr<ConnectRequest> request =
      ConnectEndpoint(*loop_, /*resolver=*/nullptr, *endpoint,
                      [&](absl::StatusOr<std::unique_ptr<Transport>>) { called = true; });
  request.reset();
  RunReady(*loop_, 5);
  EXPECT_FALSE(called);
}

TEST_F(EndpointFactoryTest, FailureCallbackMayDestroyItsHandle) {
  absl::StatusOr<ClientEndpoint> endpoint = ParseClientEndpoint("tcp:example.invalid:80");
  ASSERT_THAT(endpoint, IsOk());
  std::unique_ptr<ConnectRequest> request;
  int calls = 0;
  request = ConnectEndpoint(*loop_, /*resolver=*/nullptr, *endpoint,
                            [&](absl::StatusOr<std::unique_ptr<Transport>>) {
                              ++calls;
                              request.reset();
                            });
  ASSERT_TRUE(RunUntil(*loop_, [&] { return calls > 0; }));
  RunReady(*loop_);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace weft::reactor
