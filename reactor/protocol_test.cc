// ProtocolServer with a Factory over a real TcpListener and raw loopback clients.
#include "reactor/protocol.h"

#include <sys/socket.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/socket_address.h"
#include "reactor/tcp_listener.h"
#include "reactor/tcp_test_util.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

// What happened to every protocol a factory built, kept outside the protocols (which the server
// deletes).
struct Journal {
  std::vector<std::string> events;
  int built = 0;
  int destroyed = 0;
  std::vector<std::string> peers;
  std::vector<absl::Status> closed;
};

// Records its events; behaviour is chosen per test.
class TestProtocol : public Protocol {
 public:
  explicit TestProtocol(Journal& journal) : journal_(journal) {}
  ~TestProtocol() override { ++journal_.destroyed; }

  void ConnectionMade(Transport& transport) override {
    Protocol::ConnectionMade(transport);
    journal_.events.push_back("made");
    if (!greeting.empty()) {
      EXPECT_THAT(transport.Write(greeting), IsOk());
    }
  }

  // TransportCallbacks
  void OnData(absl::string_view bytes) override {
    journal_.events.push_back(absl::StrCat("data:", bytes));
    if (bytes == "quit") return transport().Close();
    if (bytes == "abort") return transport().Abort();
    if (echo) {
      EXPECT_THAT(transport().Write(bytes), IsOk());
    }
  }
  void OnReadEof() override {
    journal_.events.push_back("eof");
    if (half_close) {
      EXPECT_THAT(transport().Write("after eof"), IsOk());
      transport().ShutdownWrite();
      return;
    }
    Protocol::OnReadEof();
  }
  void OnWriteBufferHigh() override { journal_.events.push_back("high"); }
  void OnWriteBufferLow() override { journal_.events.push_back("low"); }
  void OnClosed(absl::Status reason) override {
    journal_.events.push_back("closed");
    journal_.closed.push_back(std::move(reason));
  }

  std::string greeting;
  bool echo = true;
  bool half_close = false;

 private:
  Journal& journal_;
};

class TestFactory final : public Factory {
 public:
  explicit TestFactory(Journal& journal) : journal_(journal) {}

  std::unique_ptr<Protocol> BuildProtocol(absl::string_view peer_address) override {
    journal_.peers.emplace_back(peer_address);
    if (refuse) return nullptr;
    ++journal_.built;
    auto protocol = std::make_unique<TestProtocol>(journal_);
    protocol->greeting = greeting;
    protocol->half_close = half_close;
    return protocol;
  }

  bool refuse = false;
  bool half_close = false;
  std::string greeting;

 private:
  Journal& journal_;
};

class ProtocolServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<EpollEventLoop>> loop = EpollEventLoop::Create();
    ASSERT_THAT(loop, IsOk());
    loop_ = *std::move(loop);
    server_ = std::make_unique<ProtocolServer>(*loop_, factory_);
    absl::StatusOr<SocketAddress> address = SocketAddress::FromIp("127.0.0.1", 0);
    ASSERT_THAT(address, IsOk());
    absl::StatusOr<std::unique_ptr<TcpListener>> listener =
        TcpListener::Create(*loop_, *address, ListenOptions{}, *server_);
    ASSERT_THAT(listener, IsOk());
    listener_ = *std::move(listener);
  }

  void TearDown() override {
    listener_.reset();
    server_.reset();
  }

  // A blocking raw client connected to the server (non-blocking once connected).
  UniqueFd Client() {
    const SocketAddress& address = listener_->bound_address();
    UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    EXPECT_EQ(connect(fd.get(), address.sockaddr_ptr(), address.length()), 0);
    EXPECT_THAT(SetNonBlocking(fd.get()), IsOk());
    return fd;
  }

  // Reads from `fd` until `want` bytes arrived (or EOF/error); returns what was read.
  std::string ReadUntil(int fd, std::size_t want, bool* eof = nullptr) {
    std::string received;
    bool saw_eof = false;
    RunUntil(*loop_, [&] {
      Drained d = ReadAvailable(fd);
      received += d.bytes;
      saw_eof = saw_eof || d.eof || d.error != 0;
      return received.size() >= want || saw_eof;
    });
    if (eof != nullptr) *eof = saw_eof;
    return received;
  }

  // Waits for EOF (or a reset) on `fd`, discarding data.
  bool WaitForEof(int fd) {
    return RunUntil(*loop_, [&] {
      Drained d = ReadAvailable(fd);
      return d.eof || d.error != 0;
    });
  }

  std::unique_ptr<EpollEventLoop> loop_;
  Journal journal_;
  TestFactory factory_{journal_};
  std::unique_ptr<ProtocolServer> server_;
  std::unique_ptr<TcpListener> listener_;
};

TEST_F(ProtocolServerTest, ConnectionMadeComesBeforeData) {
  UniqueFd client = Client();
  // Sent before the server even accepts.
  ASSERT_TRUE(WriteAll(client.get(), "hello"));
  ASSERT_TRUE(RunUntil(*loop_, [&] { return journal_.events.size() >= 2; }));
  EXPECT_THAT(journal_.events, ElementsAre("made", "data:hello"));
  EXPECT_EQ(ReadUntil(client.get(), 5), "hello");
  ASSERT_EQ(journal_.peers.size(), 1u);
  EXPECT_EQ(journal_.peers[0], SocketAddress::Local(client.get()).ToString());
}

TEST_F(ProtocolServerTest, ProtocolCanWriteInConnectionMade) {
  factory_.greeting = "220 weft ready\r\n";
  UniqueFd client = Client();
  EXPECT_EQ(ReadUntil(client.get(), factory_.greeting.size()), factory_.greeting);
}

TEST_F(ProtocolServerTest, ConnectionCountFollowsOpenConnections) {
  EXPECT_EQ(server_->connection_count(), 0u);
  UniqueFd a = Client();
  UniqueFd b = Client();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return server_->connection_count() == 2; }));
  UniqueFd c = Client();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return server_->connection_count() == 3; }));
  b.reset();  // Orderly close: the default OnReadEof() closes the server side.
  ASSERT_TRUE(RunUntil(*loop_, [&] { return server_->connection_count() == 2; }));
  ASSERT_TRUE(WriteAll(a.get(), "quit"));
  ASSERT_TRUE(RunUntil(*loop_, [&] { return server_->connection_count() == 1; }));
  // The closed protocols are deleted (deferred), each after its OnClosed().
  ASSERT_TRUE(RunUntil(*loop_, [&] { return journal_.destroyed == 2; }));
  EXPECT_EQ(journal_.closed.size(), 2u);
  EXPECT_EQ(journal_.built, 3);
}

TEST_F(ProtocolServerTest, FactoryReturningNullRefusesTheConnection) {
  factory_.refuse = true;
  UniqueFd client = Client();
  bool eof = false;
  EXPECT_EQ(ReadUntil(client.get(), 1, &eof), "");
  EXPECT_TRUE(eof);
  EXPECT_EQ(journal_.peers.size(), 1u);
  EXPECT_EQ(journal_.built, 0);
  EXPECT_EQ(server_->connection_count(), 0u);
  // Later connections are asked about again.
  factory_.refuse = false;
  UniqueFd accepted = Client();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return server_->connection_count() == 1; }));
  EXPECT_EQ(journal_.peers.size(), 2u);
}

TEST_F(ProtocolServerTest, DefaultOnReadEofClosesTheConnection) {
  UniqueFd client = Client();
  ASSERT_TRUE(WriteAll(client.get(), "ping"));
  ASSERT_EQ(shutdown(client.get(), SHUT_WR), 0);
  bool eof = false;
  EXPECT_EQ(ReadUntil(client.get(), 100, &eof), "ping");
  EXPECT_TRUE(eof);
  ASSERT_TRUE(RunUntil(*loop_, [&] { return journal_.closed.size() == 1; }));
  EXPECT_THAT(journal_.closed[0], IsOk());
  EXPECT_THAT(journal_.events, ElementsAre("made", "data:ping", "eof", "closed"));
  EXPECT_EQ(server_->connection_count(), 0u);
}

TEST_F(ProtocolServerTest, OverriddenOnReadEofCanHalfClose) {
  factory_.half_close = true;
  UniqueFd client = Client();
  ASSERT_EQ(shutdown(client.get(), SHUT_WR), 0);
  bool eof = false;
  EXPECT_EQ(ReadUntil(client.get(), 100, &eof), "after eof");
  EXPECT_TRUE(eof);
  ASSERT_TRUE(RunUntil(*loop_, [&] { return journal_.closed.size() == 1; }));
  EXPECT_THAT(journal_.closed[0], IsOk());
}

TEST_F(ProtocolServerTest, AbortFromOnDataIsCancelled) {
  UniqueFd client = Client();
  ASSERT_TRUE(WriteAll(client.get(), "abort"));
  ASSERT_TRUE(RunUntil(*loop_, [&] { return journal_.closed.size() == 1; }));
  EXPECT_THAT(journal_.closed[0], StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(server_->connection_count(), 0u);
  EXPECT_TRUE(WaitForEof(client.get()));
}

TEST_F(ProtocolServerTest, PeerResetIsUnavailable) {
  UniqueFd client = Client();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return server_->connection_count() == 1; }));
  ASSERT_THAT(SetResetOnClose(client.get()), IsOk());
  client.reset();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return journal_.closed.size() == 1; }));
  EXPECT_THAT(journal_.closed[0], StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(server_->connection_count(), 0u);
  ASSERT_TRUE(RunUntil(*loop_, [&] { return journal_.destroyed == 1; }));
}

TEST_F(ProtocolServerTest, FlowControlEventsReachTheProtocol) {
  // Far more than the kernel takes at once (tcp_wmem tops out at 4 MiB), so most is buffered,
  // well above the 64 KiB high watermark.
  factory_.greeting = Payload(16 * 1024 * 1024);
  UniqueFd client = Client();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return journal_.events.size() >= 2; }));
  EXPECT_THAT(journal_.events, ElementsAre("made", "high"));
  const std::string received = ReadUntil(client.get(), factory_.greeting.size());
  EXPECT_EQ(received.size(), factory_.greeting.size());
  ASSERT_TRUE(RunUntil(*loop_, [&] { return journal_.events.size() >= 3; }));
  EXPECT_THAT(journal_.events, ElementsAre("made", "high", "low"));
}

TEST_F(ProtocolServerTest, CloseAllClosesEveryConnectionAfterFlushing) {
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(Client());
  ASSERT_TRUE(RunUntil(*loop_, [&] { return server_->connection_count() == 3; }));
  for (UniqueFd& client : clients) ASSERT_TRUE(WriteAll(client.get(), "bye"));
  ASSERT_TRUE(RunUntil(*loop_, [&] { return journal_.events.size() == 6; }));
  server_->CloseAll();
  EXPECT_TRUE(journal_.closed.empty()) << "OnClosed() must not run inside CloseAll()";
  ASSERT_TRUE(RunUntil(*loop_, [&] { return journal_.closed.size() == 3; }));
  for (const absl::Status& status : journal_.closed) EXPECT_THAT(status, IsOk());
  EXPECT_EQ(server_->connection_count(), 0u);
  for (UniqueFd& client : clients) {
    bool eof = false;
    EXPECT_EQ(ReadUntil(client.get(), 100, &eof), "bye");  // The echo was flushed first.
    EXPECT_TRUE(eof);
  }
  ASSERT_TRUE(RunUntil(*loop_, [&] { return journal_.destroyed == 3; }));
  server_->CloseAll();  // Nothing left to close.
}

TEST_F(ProtocolServerTest, DestroyingTheServerWithOpenConnectionsReleasesThem) {
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(Client());
  ASSERT_TRUE(RunUntil(*loop_, [&] { return server_->connection_count() == 3; }));
  // One connection has already closed (and been deleted); two are open.
  ASSERT_TRUE(WriteAll(clients[0].get(), "quit"));
  ASSERT_TRUE(RunUntil(*loop_, [&] { return journal_.destroyed == 1; }));
  EXPECT_EQ(server_->connection_count(), 2u);
  listener_.reset();
  server_.reset();
  // The open ones are destroyed at once, without OnClosed(); LeakSanitizer checks the rest.
  EXPECT_EQ(journal_.built, 3);
  EXPECT_EQ(journal_.destroyed, 3);
  RunReady(*loop_, 5);
  EXPECT_EQ(journal_.closed.size(), 1u);
  for (UniqueFd& client : clients) EXPECT_TRUE(WaitForEof(client.get()));
}

TEST_F(ProtocolServerTest, DestroyingTheServerRightAfterCloseAllCallsNothing) {
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 2; ++i) clients.push_back(Client());
  ASSERT_TRUE(RunUntil(*loop_, [&] { return server_->connection_count() == 2; }));
  server_->CloseAll();  // Both OnClosed() calls are now queued.
  listener_.reset();
  server_.reset();
  EXPECT_EQ(journal_.destroyed, 2);
  RunReady(*loop_, 5);
  EXPECT_THAT(journal_.closed, IsEmpty());
}

}  // namespace
}  // namespace weft::reactor
