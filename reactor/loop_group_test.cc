// LoopGroup: N loops on N threads, each with its own SO_REUSEPORT listener on one port, the way
// examples/echo runs. A client thread drives real loopback connections with blocking sockets
// (10 s socket timeouts) while the test thread runs loop 0.
#include "reactor/loop_group.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/endpoint.h"
#include "reactor/endpoint_factory.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/protocol.h"
#include "reactor/tcp_test_util.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

// The echo protocol of examples/echo: a producer that respects flow control.
class Echo final : public Protocol {
 public:
  // TransportCallbacks
  void OnData(absl::string_view bytes) override {
    if (!transport().Write(bytes).ok()) transport().Abort();
  }
  void OnWriteBufferHigh() override { transport().PauseReading(); }
  void OnWriteBufferLow() override { transport().ResumeReading(); }
  void OnClosed(absl::Status) override {}
};

// One per loop, so it counts the connections that loop accepted. The count is read by the test
// thread, hence atomic.
class CountingEchoFactory final : public Factory {
 public:
  explicit CountingEchoFactory(EpollEventLoop& loop) : loop_(loop) {}

  std::unique_ptr<Protocol> BuildProtocol(absl::string_view) override {
    if (!loop_.IsInLoopThread()) wrong_thread.store(true);
    built.fetch_add(1);
    return std::make_unique<Echo>();
  }

  std::atomic<int> built{0};
  std::atomic<bool> wrong_thread{false};

 private:
  EpollEventLoop& loop_;
};

// A blocking socket connected to 127.0.0.1:`port`, with 10 s send and receive timeouts.
UniqueFd ConnectWithTimeouts(int port) {
  absl::StatusOr<SocketAddress> address = SocketAddress::FromIp("127.0.0.1", port);
  if (!address.ok()) return UniqueFd();
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  timeval timeout{10, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  if (connect(fd.get(), address->sockaddr_ptr(), address->length()) != 0) return UniqueFd();
  return fd;
}

// Reads exactly `size` bytes, or fewer on EOF, error or timeout.
std::string ReadExactly(int fd, std::size_t size) {
  std::string out(size, '\0');
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = recv(fd, out.data() + got, size - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

TEST(LoopGroupTest, CreateRejectsBadSizes) {
  EXPECT_THAT(LoopGroup::Create(0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LoopGroup::Create(-3), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LoopGroup::Create(1025), StatusIs(absl::StatusCode::kInvalidArgument));
  absl::StatusOr<std::unique_ptr<LoopGroup>> group = LoopGroup::Create(3);
  ASSERT_THAT(group, IsOk());
  EXPECT_EQ((*group)->size(), 3);
  EXPECT_GE(DefaultLoopCount(), 1);
}

TEST(LoopGroupTest, DestroyingAGroupThatNeverStartedDoesNotHang) {
  absl::StatusOr<std::unique_ptr<LoopGroup>> group = LoopGroup::Create(2);
  ASSERT_THAT(group, IsOk());
  group->reset();
}

TEST(LoopGroupTest, StartRunsTheOtherLoopsOnTheirOwnThreads) {
  absl::StatusOr<std::unique_ptr<LoopGroup>> group = LoopGroup::Create(3);
  ASSERT_THAT(group, IsOk());
  LoopGroup& loops = **group;
  loops.Start();
  std::vector<std::thread::id> ids(3);
  absl::Notification done[2];
  for (int i = 1; i < 3; ++i) {
    loops.loop(i).Post([&, i] {
      ids[i] = std::this_thread::get_id();
      EXPECT_TRUE(loops.loop(i).IsInLoopThread());
      done[i - 1].Notify();
    });
  }
  for (absl::Notification& n : done) {
    ASSERT_TRUE(n.WaitForNotificationWithTimeout(absl::Seconds(10)));
  }
  EXPECT_NE(ids[1], std::this_thread::get_id());
  EXPECT_NE(ids[2], std::this_thread::get_id());
  EXPECT_NE(ids[1], ids[2]);
  // Loop 0 stays with the caller until Run().
  EXPECT_TRUE(loops.loop(0).IsInLoopThread());
  loops.Stop();
  loops.Stop();  // Idempotent.
}

TEST(LoopGroupTest, StopFromAnotherThreadEndsRunAndJoins) {
  absl::StatusOr<std::unique_ptr<LoopGroup>> group = LoopGroup::Create(2);
  ASSERT_THAT(group, IsOk());
  LoopGroup& loops = **group;
  loops.Start();
  std::atomic<bool> loop1_ran{false};
  std::thread stopper([&] {
    absl::Notification ran;
    loops.loop(1).Post([&] {
      loop1_ran.store(true);
      ran.Notify();
    });
    EXPECT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
    loops.Stop();
  });
  loops.Run();  // Returns once the stopper thread calls Stop().
  stopper.join();
  EXPECT_TRUE(loop1_ran.load());
}

TEST(LoopGroupTest, StopFromInsideALoopThreadIsSafe) {
  // Stop() is thread-safe, so a loop may call it itself (a shutdown command, a signal). A loop
  // thread cannot join itself; the group's destructor joins it later.
  absl::StatusOr<std::unique_ptr<LoopGroup>> group = LoopGroup::Create(2);
  ASSERT_THAT(group, IsOk());
  LoopGroup& loops = **group;
  loops.Start();
  loops.loop(1).Post([&loops] { loops.Stop(); });
  loops.Run();  // Ends because loop 1 stopped every loop.
  group->reset();
}

TEST(LoopGroupTest, ReusePortListenersOnEveryLoopEchoAndShareTheLoad) {
  constexpr int kLoops = 2;
  constexpr int kConnections = 32;
  absl::StatusOr<std::unique_ptr<LoopGroup>> group = LoopGroup::Create(kLoops);
  ASSERT_THAT(group, IsOk());
  LoopGroup& loops = **group;

  // Set up exactly as examples/echo does: one SO_REUSEPORT listener per loop, and port 0 picks
  // the port once.
  absl::StatusOr<ServerEndpoint> endpoint = ParseServerEndpoint("tcp:0");
  ASSERT_THAT(endpoint, IsOk());
  endpoint->reuse_port = true;
  std::vector<std::unique_ptr<CountingEchoFactory>> factories;
  std::vector<std::unique_ptr<ProtocolServer>> servers;
  std::vector<std::unique_ptr<Listener>> listeners;
  for (int i = 0; i < kLoops; ++i) {
    factories.push_back(std::make_unique<CountingEchoFactory>(loops.loop(i)));
    servers.push_back(std::make_unique<ProtocolServer>(loops.loop(i), *factories.back()));
    absl::StatusOr<std::unique_ptr<Listener>> listener =
        ListenEndpoint(loops.loop(i), *endpoint, *servers.back());
    ASSERT_THAT(listener, IsOk());
    endpoint->port = (*listener)->port();
    listeners.push_back(*std::move(listener));
  }
  const int port = endpoint->port;
  ASSERT_GT(port, 0);
  for (const auto& listener : listeners) EXPECT_EQ(listener->port(), port);

  // A watchdog on loop 0 bounds the test even if the client thread wedges.
  std::atomic<bool> watchdog_fired{false};
  std::unique_ptr<Timer> watchdog = loops.loop(0).CreateTimer([&] {
    watchdog_fired.store(true);
    loops.Stop();
  });
  watchdog->Schedule(absl::Seconds(60));

  loops.Start();
  std::atomic<int> echoed{0};
  std::thread client([&] {
    std::vector<UniqueFd> sockets;
    for (int i = 0; i < kConnections; ++i) {
      sockets.push_back(ConnectWithTimeouts(port));
      EXPECT_GE(sockets.back().get(), 0) << "connect " << i << ": " << strerror(errno);
    }
    for (int i = 0; i < kConnections; ++i) {
      const int fd = sockets[i].get();
      if (fd < 0) continue;
      // Large enough to need several reads and writes on the server.
      const std::string message = absl::StrCat("connection ", i, ":", Payload(200 * 1024, i));
      EXPECT_TRUE(WriteAll(fd, message));
      const std::string reply = ReadExactly(fd, message.size());
      EXPECT_EQ(reply.size(), message.size()) << "connection " << i;
      if (reply == message) echoed.fetch_add(1);
    }
    sockets.clear();
    loops.Stop();
  });
  loops.Run();
  client.join();
  watchdog.reset();

  EXPECT_FALSE(watchdog_fired.load());
  EXPECT_EQ(echoed.load(), kConnections);
  int total = 0;
  for (int i = 0; i < kLoops; ++i) {
    const int built = factories[i]->built.load();
    EXPECT_GE(built, 1) << "loop " << i << " accepted nothing";
    EXPECT_FALSE(factories[i]->wrong_thread.load()) << "loop " << i;
    total += built;
  }
  EXPECT_EQ(total, kConnections);

  // Loop-owned objects go before their loops.
  listeners.clear();
  servers.clear();
}

}  // namespace
}  // namespace weft::reactor
