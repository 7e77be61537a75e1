// TcpListener and ConnectStream over real loopback sockets (TCP and Unix) on an EpollEventLoop.
#include "reactor/tcp_listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/socket_address.h"
#include "reactor/tcp_test_util.h"
#include "reactor/tcp_transport.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::testing::HasSubstr;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

using ConnectResult = std::optional<absl::StatusOr<std::unique_ptr<TcpTransport>>>;

bool FileExists(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0;
}

class TcpListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<EpollEventLoop>> loop = EpollEventLoop::Create();
    ASSERT_THAT(loop, IsOk());
    loop_ = *std::move(loop);
  }

  static SocketAddress Ip(absl::string_view host, int port) {
    absl::StatusOr<SocketAddress> address = SocketAddress::FromIp(host, port);
    EXPECT_THAT(address, IsOk());
    return address.ok() ? *address : SocketAddress();
  }

  static SocketAddress Unix(absl::string_view path) {
    absl::StatusOr<SocketAddress> address = SocketAddress::FromUnixPath(path);
    EXPECT_THAT(address, IsOk());
    return address.ok() ? *address : SocketAddress();
  }

  absl::StatusOr<std::unique_ptr<TcpListener>> Listen(const SocketAddress& address,
                                                      ListenerCallbacks& callbacks,
                                                      ListenOptions options = ListenOptions{}) {
    return TcpListener::Create(*loop_, address, options, callbacks);
  }

  std::unique_ptr<ConnectRequest> Connect(const SocketAddress& address, ConnectResult& result,
                                          absl::Duration timeout = absl::Seconds(10)) {
    return ConnectStream(
        *loop_, address, timeout,
        [&result](absl::StatusOr<std::unique_ptr<TcpTransport>> r) { result = std::move(r); });
  }

  // Connects a blocking raw socket to `address`; the kernel completes it from the backlog.
  static UniqueFd RawConnect(const SocketAddress& address) {
    UniqueFd fd(socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
    EXPECT_GE(fd.get(), 0);
    EXPECT_EQ(connect(fd.get(), address.sockaddr_ptr(), address.length()), 0) << strerror(errno);
    return fd;
  }

  // Connects through ConnectStream and waits for both the result and the accept.
  void ExpectConnects(const SocketAddress& address, AcceptQueue& accepted) {
    const std::size_t before = accepted.accepted.size();
    ConnectResult result;
    std::unique_ptr<ConnectRequest> request = Connect(address, result);
    ASSERT_TRUE(
        RunUntil(*loop_, [&] { return result.has_value() && accepted.accepted.size() > before; }));
    ASSERT_THAT(*result, IsOk());
    // The two ends see each other.
    EXPECT_EQ((**result)->local_address(), accepted.accepted.back()->peer_address());
    EXPECT_EQ((**result)->peer_address(), accepted.accepted.back()->local_address());
  }

  std::unique_ptr<EpollEventLoop> loop_;
};

// --- Binding ----------------------------------------------------------------------------------

TEST_F(TcpListenerTest, PortZeroBindsARealPort) {
  AcceptQueue accepted;
  absl::StatusOr<std::unique_ptr<TcpListener>> listener = Listen(Ip("127.0.0.1", 0), accepted);
  ASSERT_THAT(listener, IsOk());
  const int port = (*listener)->port();
  EXPECT_GT(port, 0);
  EXPECT_LE(port, 65535);
  EXPECT_EQ((*listener)->address(), absl::StrCat("127.0.0.1:", port));
  EXPECT_EQ((*listener)->bound_address().port(), port);
  ExpectConnects((*listener)->bound_address(), accepted);
  ExpectConnects(Ip("127.0.0.1", port), accepted);
}

TEST_F(TcpListenerTest, PortZeroOnIpv6) {
  AcceptQueue accepted;
  absl::StatusOr<std::unique_ptr<TcpListener>> listener = Listen(Ip("::1", 0), accepted);
  ASSERT_THAT(listener, IsOk());
  EXPECT_GT((*listener)->port(), 0);
  EXPECT_EQ((*listener)->address(), absl::StrCat("[::1]:", (*listener)->port()));
  ExpectConnects((*listener)->bound_address(), accepted);
}

TEST_F(TcpListenerTest, AddressInUseIsUnavailable) {
  AcceptQueue accepted;
  absl::StatusOr<std::unique_ptr<TcpListener>> first = Listen(Ip("127.0.0.1", 0), accepted);
  ASSERT_THAT(first, IsOk());
  const SocketAddress taken = (*first)->bound_address();
  EXPECT_THAT(Listen(taken, accepted),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(taken.ToString())));
  // Asking for SO_REUSEPORT does not help when the first listener did not.
  ListenOptions reuse;
  reuse.reuse_port = true;
  EXPECT_THAT(Listen(taken, accepted, reuse), StatusIs(absl::StatusCode::kUnavailable));
  // The first listener is unharmed.
  ExpectConnects(taken, accepted);
}

TEST_F(TcpListenerTest, UnavailableAddressIsUnavailable) {
  AcceptQueue accepted;
  // TEST-NET-1 is not assigned to any local interface.
  EXPECT_THAT(Listen(Ip("192.0.2.1", 0), accepted), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(TcpListenerTest, ReusePortListenersShareAPort) {
  ListenOptions reuse;
  reuse.reuse_port = true;
  AcceptQueue first_accepted, second_accepted;
  absl::StatusOr<std::unique_ptr<TcpListener>> first =
      Listen(Ip("127.0.0.1", 0), first_accepted, reuse);
  ASSERT_THAT(first, IsOk());
  absl::StatusOr<std::unique_ptr<TcpListener>> second =
      Listen((*first)->bound_address(), second_accepted, reuse);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ((*first)->port(), (*second)->port());

  constexpr int kConnections = 32;
  std::vector<ConnectResult> results(kConnections);
  std::vector<std::unique_ptr<ConnectRequest>> requests;
  for (ConnectResult& result : results) {
    requests.push_back(Connect((*first)->bound_address(), result));
  }
  ASSERT_TRUE(RunUntil(*loop_, [&] {
    return first_accepted.accepted.size() + second_accepted.accepted.size() == kConnections;
  }));
  for (const ConnectResult& result : results) {
    ASSERT_TRUE(result.has_value());
    EXPECT_THAT(*result, IsOk());
  }
  // The kernel hashes connections across both sockets; with 32 connections, the chance that one
  // listener gets none is 2^-31.
  EXPECT_GT(first_accepted.accepted.size(), 0u);
  EXPECT_GT(second_accepted.accepted.size(), 0u);
}

TEST_F(TcpListenerTest, ManyPendingConnectionsAreAllAccepted) {
  AcceptQueue accepted;
  absl::StatusOr<std::unique_ptr<TcpListener>> listener = Listen(Ip("127.0.0.1", 0), accepted);
  ASSERT_THAT(listener, IsOk());
  // More than one wake-up's worth of accepts, all waiting in the backlog at once.
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 150; ++i) clients.push_back(RawConnect((*listener)->bound_address()));
  ASSERT_TRUE(RunUntil(*loop_, [&] { return accepted.accepted.size() == clients.size(); }));
}

TEST_F(TcpListenerTest, AcceptedTcpConnectionsFollowNoDelayOption) {
  for (bool no_delay : {true, false}) {
    SCOPED_TRACE(no_delay);
    AcceptQueue accepted;
    ListenOptions options;
    options.no_delay = no_delay;
    absl::StatusOr<std::unique_ptr<TcpListener>> listener =
        Listen(Ip("127.0.0.1", 0), accepted, options);
    ASSERT_THAT(listener, IsOk());
    UniqueFd client = RawConnect((*listener)->bound_address());
    ASSERT_TRUE(RunUntil(*loop_, [&] { return accepted.accepted.size() == 1; }));
    auto* transport = static_cast<TcpTransport*>(accepted.accepted[0].get());
    int value = -1;
    socklen_t len = sizeof(value);
    ASSERT_EQ(getsockopt(transport->fd(), IPPROTO_TCP, TCP_NODELAY, &value, &len), 0);
    EXPECT_EQ(value != 0, no_delay);
  }
}

TEST_F(TcpListenerTest, AcceptedConnectionsOutliveTheListener) {
  AcceptQueue accepted;
  absl::StatusOr<std::unique_ptr<TcpListener>> listener = Listen(Ip("127.0.0.1", 0), accepted);
  ASSERT_THAT(listener, IsOk());
  const SocketAddress address = (*listener)->bound_address();
  UniqueFd client = RawConnect(address);
  ASSERT_TRUE(RunUntil(*loop_, [&] { return accepted.accepted.size() == 1; }));
  listener->reset();
  RecordingCallbacks events;
  accepted.accepted[0]->SetCallbacks(events);
  ASSERT_TRUE(WriteAll(client.get(), "still here"));
  ASSERT_TRUE(RunUntil(*loop_, [&] { return events.data == "still here"; }));
  // And the port is free again.
  UniqueFd refused(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_NE(connect(refused.get(), address.sockaddr_ptr(), address.length()), 0);
  EXPECT_EQ(errno, ECONNREFUSED);
}

// --- Unix sockets -----------------------------------------------------------------------------

TEST_F(TcpListenerTest, UnixListenerReportsPathAndPortZero) {
  ScratchDir dir;
  const std::string path = dir.File("weft.sock");
  AcceptQueue accepted;
  absl::StatusOr<std::unique_ptr<TcpListener>> listener = Listen(Unix(path), accepted);
  ASSERT_THAT(listener, IsOk());
  EXPECT_EQ((*listener)->address(), "unix:" + path);
  EXPECT_EQ((*listener)->port(), 0);
  EXPECT_TRUE(FileExists(path));
  ExpectConnects(Unix(path), accepted);
}

TEST_F(TcpListenerTest, UnixStaleSocketFileIsReplacedAndRemovedOnDestruction) {
  ScratchDir dir;
  const std::string path = dir.File("stale.sock");
  {
    // A socket file left behind by a process that died: bound, never listening, now closed.
    UniqueFd dead(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const SocketAddress address = Unix(path);
    ASSERT_EQ(bind(dead.get(), address.sockaddr_ptr(), address.length()), 0);
  }
  ASSERT_TRUE(FileExists(path));
  AcceptQueue accepted;
  absl::StatusOr<std::unique_ptr<TcpListener>> listener = Listen(Unix(path), accepted);
  ASSERT_THAT(listener, IsOk());
  ExpectConnects(Unix(path), accepted);
  listener->reset();
  EXPECT_FALSE(FileExists(path));
}

TEST_F(TcpListenerTest, UnixLiveSocketIsNotReplaced) {
  ScratchDir dir;
  const std::string path = dir.File("live.sock");
  AcceptQueue first_accepted, second_accepted;
  absl::StatusOr<std::unique_ptr<TcpListener>> first = Listen(Unix(path), first_accepted);
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(Listen(Unix(path), second_accepted),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(path)));
  // The live listener keeps its file and keeps accepting.
  EXPECT_TRUE(FileExists(path));
  const std::size_t before = first_accepted.accepted.size();
  ExpectConnects(Unix(path), first_accepted);
  EXPECT_GT(first_accepted.accepted.size(), before);
  EXPECT_TRUE(second_accepted.accepted.empty());
}

TEST_F(TcpListenerTest, UnixLiveSocketWithAFullBacklogIsNotReplacedAndDoesNotBlock) {
  // A live listener that is not accepting and whose backlog is full: probing it must neither
  // block the loop thread (a blocking Unix connect would wait for backlog space indefinitely) nor
  // treat it as stale.
  ScratchDir dir;
  const std::string path = dir.File("busy.sock");
  const SocketAddress address = Unix(path);
  UniqueFd busy(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(bind(busy.get(), address.sockaddr_ptr(), address.length()), 0);
  ASSERT_EQ(listen(busy.get(), 0), 0);
  std::vector<UniqueFd> fillers;
  for (int i = 0; i < 8; ++i) {
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    const int rc = connect(fd.get(), address.sockaddr_ptr(), address.length());
    fillers.push_back(std::move(fd));
    if (rc != 0) break;  // EAGAIN: the backlog is full.
  }

  // Create() runs on a helper thread so that a hang is a bounded failure, not a stuck test.
  AcceptQueue accepted;
  absl::Notification done;
  absl::Status status;
  std::thread creator([&] {
    absl::StatusOr<std::unique_ptr<TcpListener>> listener = Listen(address, accepted);
    status = listener.status();
    done.Notify();
  });
  const bool finished = done.WaitForNotificationWithTimeout(absl::Seconds(10));
  if (!finished) busy.reset();  // Closing the listener wakes a blocked connect.
  creator.join();
  EXPECT_TRUE(finished) << "TcpListener::Create() blocked on a busy Unix socket";
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(FileExists(path));
}

TEST_F(TcpListenerTest, UnixPathHoldingARegularFileIsLeftAlone) {
  ScratchDir dir;
  const std::string path = dir.File("data.txt");
  {
    UniqueFd file(open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    ASSERT_GE(file.get(), 0);
  }
  AcceptQueue accepted;
  EXPECT_THAT(Listen(Unix(path), accepted), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(FileExists(path));
}

TEST_F(TcpListenerTest, UnixPathInMissingDirectoryIsUnavailable) {
  ScratchDir dir;
  AcceptQueue accepted;
  EXPECT_THAT(Listen(Unix(dir.File("missing/weft.sock")), accepted),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(TcpListenerTest, AbstractUnixListener) {
  const std::string name = AbstractUnixName();
  AcceptQueue accepted;
  absl::StatusOr<std::unique_ptr<TcpListener>> listener = Listen(Unix(name), accepted);
  ASSERT_THAT(listener, IsOk());
  EXPECT_EQ((*listener)->address(), "unix:" + name);
  ExpectConnects(Unix(name), accepted);
  // A second listener on a live abstract name is refused.
  AcceptQueue other;
  EXPECT_THAT(Listen(Unix(name), other), StatusIs(absl::StatusCode::kUnavailable));
  listener->reset();
  // Once closed, the name is free again.
  absl::StatusOr<std::unique_ptr<TcpListener>> again = Listen(Unix(name), other);
  EXPECT_THAT(again, IsOk());
}

// --- Pausing ----------------------------------------------------------------------------------

TEST_F(TcpListenerTest, PauseAndResumeAccepting) {
  AcceptQueue accepted;
  absl::StatusOr<std::unique_ptr<TcpListener>> listener = Listen(Ip("127.0.0.1", 0), accepted);
  ASSERT_THAT(listener, IsOk());
  (*listener)->PauseAccepting();
  (*listener)->PauseAccepting();  // Idempotent.
  // The kernel completes the handshake from its backlog while we are paused.
  UniqueFd first = RawConnect((*listener)->bound_address());
  UniqueFd second = RawConnect((*listener)->bound_address());
  RunReady(*loop_, 10);
  EXPECT_TRUE(accepted.accepted.empty());
  (*listener)->ResumeAccepting();
  (*listener)->ResumeAccepting();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return accepted.accepted.size() == 2; }));
}

TEST_F(TcpListenerTest, PauseAcceptingFromInsideOnAccept) {
  class PausingQueue final : public ListenerCallbacks {
   public:
    void OnAccept(std::unique_ptr<Transport> transport) override {
      accepted.push_back(std::move(transport));
      listener->PauseAccepting();
    }
    TcpListener* listener = nullptr;
    std::vector<std::unique_ptr<Transport>> accepted;
  };
  PausingQueue queue;
  absl::StatusOr<std::unique_ptr<TcpListener>> listener = Listen(Ip("127.0.0.1", 0), queue);
  ASSERT_THAT(listener, IsOk());
  queue.listener = listener->get();
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(RawConnect((*listener)->bound_address()));
  ASSERT_TRUE(RunUntil(*loop_, [&] { return queue.accepted.size() == 1; }));
  RunReady(*loop_, 10);
  EXPECT_EQ(queue.accepted.size(), 1u);
  (*listener)->ResumeAccepting();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return queue.accepted.size() == 2; }));
}

// --- ConnectStream ----------------------------------------------------------------------------

TEST_F(TcpListenerTest, ConnectStreamDeliversAConnectedTransport) {
  AcceptQueue accepted;
  absl::StatusOr<std::unique_ptr<TcpListener>> listener = Listen(Ip("127.0.0.1", 0), accepted);
  ASSERT_THAT(listener, IsOk());
  ConnectResult result;
  std::unique_ptr<ConnectRequest> request = Connect((*listener)->bound_address(), result);
  EXPECT_FALSE(result.has_value()) << "the callback must not run inside ConnectStream()";
  ASSERT_TRUE(RunUntil(*loop_, [&] { return result.has_value(); }));
  ASSERT_THAT(*result, IsOk());
  TcpTransport& client = ***result;
  int value = 0;
  socklen_t len = sizeof(value);
  ASSERT_EQ(getsockopt(client.fd(), IPPROTO_TCP, TCP_NODELAY, &value, &len), 0);
  EXPECT_NE(value, 0);
  EXPECT_EQ(client.peer_address(), (*listener)->address());
  // The request handle may go once the callback has run.
  request.reset();
  RecordingCallbacks events;
  client.SetCallbacks(events);
  ASSERT_TRUE(RunUntil(*loop_, [&] { return accepted.accepted.size() == 1; }));
  ASSERT_THAT(accepted.accepted[0]->Write("hello"), IsOk());
  ASSERT_TRUE(RunUntil(*loop_, [&] { return events.data == "hello"; }));
}

TEST_F(TcpListenerTest, ConnectStreamOverUnixCompletesAsynchronously) {
  const std::string name = AbstractUnixName();
  AcceptQueue accepted;
  absl::StatusOr<std::unique_ptr<TcpListener>> listener = Listen(Unix(name), accepted);
  ASSERT_THAT(listener, IsOk());
  ConnectResult result;
  std::unique_ptr<ConnectRequest> request = Connect(Unix(name), result);
  EXPECT_FALSE(result.has_value()) << "a Unix connect completes at once, but is reported later";
  ASSERT_TRUE(RunUntil(*loop_, [&] { return result.has_value(); }));
  EXPECT_THAT(*result, IsOk());
}

TEST_F(TcpListenerTest, ConnectStreamToAFullUnixBacklogIsUnavailable) {
  // A Unix listener with backlog 0 that never accepts holds one pending connection; after that
  // a non-blocking connect fails at once with EAGAIN, which must not be mistaken for "in
  // progress": the socket never becomes connected.
  const SocketAddress address = Unix(AbstractUnixName());
  UniqueFd listener(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(bind(listener.get(), address.sockaddr_ptr(), address.length()), 0);
  ASSERT_EQ(listen(listener.get(), 0), 0);
  std::vector<UniqueFd> fillers;
  for (int i = 0; i < 8; ++i) {
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    const int rc = connect(fd.get(), address.sockaddr_ptr(), address.length());
    fillers.push_back(std::move(fd));
    if (rc != 0) {
      ASSERT_EQ(errno, EAGAIN) << strerror(errno);
      break;
    }
  }
  ConnectResult result;
  std::unique_ptr<ConnectRequest> request = Connect(address, result, absl::Seconds(5));
  ASSERT_TRUE(RunUntil(*loop_, [&] { return result.has_value(); }));
  EXPECT_THAT(*result, StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(TcpListenerTest, DestroyingConnectHandleBeforeAFailureIsReportedCancelsIt) {
  SocketAddress address;
  absl::StatusOr<UniqueFd> closed_port = BindUnlistened("127.0.0.1", address);
  ASSERT_THAT(closed_port, IsOk());
  bool called = false;
  std::unique_ptr<ConnectRequest> request =
      ConnectStream(*loop_, address, absl::Seconds(10),
                    [&](absl::StatusOr<std::unique_ptr<TcpTransport>>) { called = true; });
  request.reset();
  RunReady(*loop_, 10);
  EXPECT_FALSE(called);
}

TEST_F(TcpListenerTest, DestroyingConnectHandleAfterASuccessIsQueuedFreesTheTransport) {
  // A Unix connect succeeds inside ConnectStream(); the transport waits in the request for the
  // deferred callback. Destroying the request must free it (LeakSanitizer checks) and call
  // nothing.
  const std::string name = AbstractUnixName();
  AcceptQueue accepted;
  absl::StatusOr<std::unique_ptr<TcpListener>> listener = Listen(Unix(name), accepted);
  ASSERT_THAT(listener, IsOk());
  bool called = false;
  std::unique_ptr<ConnectRequest> request =
      ConnectStream(*loop_, Unix(name), absl::Seconds(10),
                    [&](absl::StatusOr<std::unique_ptr<TcpTransport>>) { called = true; });
  request.reset();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return accepted.accepted.size() == 1; }));
  RunReady(*loop_, 10);
  EXPECT_FALSE(called);
  // The client end was closed with the request.
  RecordingCallbacks events;
  accepted.accepted[0]->SetCallbacks(events);
  ASSERT_TRUE(RunUntil(*loop_, [&] { return events.eof_count == 1; }));
}

TEST_F(TcpListenerTest, DestroyingConnectHandleWhileInProgressCancelsIt) {
  // A TCP listener whose accept queue is full drops SYNs, so the connect stays in progress.
  const SocketAddress any = Ip("127.0.0.1", 0);
  UniqueFd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(bind(listener.get(), any.sockaddr_ptr(), any.length()), 0);
  ASSERT_EQ(listen(listener.get(), 0), 0);
  const SocketAddress address = SocketAddress::Local(listener.get());
  std::vector<UniqueFd> fillers;
  for (int i = 0; i < 4; ++i) {
    UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    connect(fd.get(), address.sockaddr_ptr(), address.length());
    fillers.push_back(std::move(fd));
  }
  bool called = false;
  std::unique_ptr<ConnectRequest> request =
      ConnectStream(*loop_, address, absl::Milliseconds(100),
                    [&](absl::StatusOr<std::unique_ptr<TcpTransport>>) { called = true; });
  RunReady(*loop_, 5);
  request.reset();
  // Well past the timeout: neither the timer nor the socket may call back.
  const absl::Time until = absl::Now() + absl::Milliseconds(300);
  RunUntil(*loop_, [&] { return called || absl::Now() >= until; });
  EXPECT_FALSE(called);
}

TEST_F(TcpListenerTest, DestroyingConnectHandleFromAnotherConnectsCallback) {
  // Two attempts, the first of whose callback destroys the second handle before its result is
  // delivered (both results become ready in the same iteration).
  SocketAddress address;
  absl::StatusOr<UniqueFd> closed_port = BindUnlistened("127.0.0.1", address);
  ASSERT_THAT(closed_port, IsOk());
  std::unique_ptr<ConnectRequest> second;
  int calls = 0;
  std::unique_ptr<ConnectRequest> first =
      ConnectStream(*loop_, address, absl::Seconds(10),
                    [&](absl::StatusOr<std::unique_ptr<TcpTransport>> result) {
                      EXPECT_THAT(result, StatusIs(absl::StatusCode::kUnavailable));
                      ++calls;
                      second.reset();
                    });
  second = ConnectStream(*loop_, address, absl::Seconds(10),
                         [&](absl::StatusOr<std::unique_ptr<TcpTransport>>) { ++calls; });
  ASSERT_TRUE(RunUntil(*loop_, [&] { return calls > 0; }));
  RunReady(*loop_, 10);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(second, nullptr);
}

TEST_F(TcpListenerTest, ConnectCallbackMayDestroyItsOwnHandle) {
  SocketAddress address;
  absl::StatusOr<UniqueFd> closed_port = BindUnlistened("127.0.0.1", address);
  ASSERT_THAT(closed_port, IsOk());
  std::unique_ptr<ConnectRequest> request;
  int calls = 0;
  request = ConnectStream(*loop_, address, absl::Seconds(10),
                          [&](absl::StatusOr<std::unique_ptr<TcpTransport>>) {
                            ++calls;
                            request.reset();
                          });
  ASSERT_TRUE(RunUntil(*loop_, [&] { return calls > 0; }));
  RunReady(*loop_);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace weft::reactor
