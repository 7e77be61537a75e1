// TcpTransport over real loopback sockets (IPv4, IPv6 and Unix) on an EpollEventLoop: echo,
// connecting, half-close, resets, reading, options, addresses and release from a callback. Flow
// control and closing are in tcp_transport_flow_test.cc. Every wait is bounded (RunUntil, 10 s)
// and none is a fixed sleep; "nothing happens" is checked by running a few zero-wait iterations
// after the kernel has provably made the fd ready.
#include "reactor/tcp_transport.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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
#include "reactor/epoll_event_loop.h"
#include "reactor/socket_address.h"
#include "reactor/tcp_listener.h"
#include "reactor/tcp_test_util.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

constexpr std::size_t kKiB = 1024;

int BytesReadable(int fd) {
  int n = 0;
  if (ioctl(fd, FIONREAD, &n) != 0) return -1;
  return n;
}

int GetIntOption(int fd, int level, int name) {
  int value = -1;
  socklen_t len = sizeof(value);
  if (getsockopt(fd, level, name, &value, &len) != 0) return -1;
  return value;
}

class TcpTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<EpollEventLoop>> loop = EpollEventLoop::Create();
    ASSERT_THAT(loop, IsOk());
    loop_ = *std::move(loop);
  }

  // A transport over `fd`, which is made non-blocking first.
  std::unique_ptr<TcpTransport> Wrap(UniqueFd fd) {
    EXPECT_THAT(SetNonBlocking(fd.get()), IsOk());
    return std::make_unique<TcpTransport>(*loop_, fd.release());
  }

  // A transport and its raw peer socket (see ::weft::reactor::MakeTransportAndPeer).
  void MakeTransportAndPeer(int family, std::unique_ptr<TcpTransport>& transport, UniqueFd& peer,
                            bool small_send_buffer = false) {
    absl::StatusOr<TransportAndPeer> pair =
        ::weft::reactor::MakeTransportAndPeer(*loop_, family, small_send_buffer);
    ASSERT_THAT(pair, IsOk());
    transport = std::move(pair->transport);
    peer = std::move(pair->peer);
  }

  // Listens on `address`, connects to it with ConnectStream, and returns both ends.
  void ConnectThroughListener(const SocketAddress& address, std::unique_ptr<TcpTransport>& client,
                              std::unique_ptr<Transport>& server) {
    AcceptQueue accepted;
    absl::StatusOr<std::unique_ptr<TcpListener>> listener =
        TcpListener::Create(*loop_, address, ListenOptions{}, accepted);
    ASSERT_THAT(listener, IsOk());
    std::optional<absl::StatusOr<std::unique_ptr<TcpTransport>>> result;
    std::unique_ptr<ConnectRequest> request = ConnectStream(
        *loop_, (*listener)->bound_address(), absl::Seconds(10),
        [&](absl::StatusOr<std::unique_ptr<TcpTransport>> r) { result = std::move(r); });
    ASSERT_TRUE(RunUntil(*loop_, [&] { return result.has_value() && !accepted.accepted.empty(); }));
    ASSERT_THAT(*result, IsOk());
    client = **std::move(result);
    server = std::move(accepted.accepted.front());
  }

  void ExpectEcho(const SocketAddress& address) {
    std::unique_ptr<TcpTransport> client;
    std::unique_ptr<Transport> server;
    ConnectThroughListener(address, client, server);
    ASSERT_NE(client, nullptr);
    ASSERT_NE(server, nullptr);
    RecordingCallbacks server_events;
    server_events.on_data = [&](absl::string_view bytes) {
      EXPECT_THAT(server->Write(bytes), IsOk());
    };
    server->SetCallbacks(server_events);
    RecordingCallbacks client_events;
    client->SetCallbacks(client_events);

    ASSERT_THAT(client->Write("ping"), IsOk());
    ASSERT_TRUE(RunUntil(*loop_, [&] { return client_events.data == "ping"; }));
    // A payload far larger than one read or the socket buffers: echoed whole and in order.
    const std::string big = Payload(3 * 1024 * kKiB);
    ASSERT_THAT(client->Write(big), IsOk());
    ASSERT_TRUE(RunUntil(*loop_, [&] { return client_events.data.size() == 4 + big.size(); }));
    EXPECT_TRUE(client_events.data.substr(4) == big);
    EXPECT_FALSE(client_events.closed());
    EXPECT_FALSE(server_events.closed());

    client->Close();
    ASSERT_TRUE(
        RunUntil(*loop_, [&] { return client_events.closed() && server_events.eof_count; }));
    EXPECT_THAT(client_events.close_reason(), IsOk());
    server->Close();
    ASSERT_TRUE(RunUntil(*loop_, [&] { return server_events.closed(); }));
    EXPECT_THAT(server_events.close_reason(), IsOk());
    EXPECT_EQ(client_events.events_after_close, 0);
    EXPECT_EQ(server_events.events_after_close, 0);
  }

  std::unique_ptr<EpollEventLoop> loop_;
};

// --- Echo round trips -------------------------------------------------------------------------

TEST_F(TcpTransportTest, EchoesOverIpv4) {
  absl::StatusOr<SocketAddress> address = SocketAddress::FromIp("127.0.0.1", 0);
  ASSERT_THAT(address, IsOk());
  ExpectEcho(*address);
}

TEST_F(TcpTransportTest, EchoesOverIpv6) {
  absl::StatusOr<SocketAddress> address = SocketAddress::FromIp("::1", 0);
  ASSERT_THAT(address, IsOk());
  ExpectEcho(*address);
}

TEST_F(TcpTransportTest, EchoesOverUnixSocket) {
  ScratchDir dir;
  absl::StatusOr<SocketAddress> address = SocketAddress::FromUnixPath(dir.File("echo.sock"));
  ASSERT_THAT(address, IsOk());
  ExpectEcho(*address);
}

TEST_F(TcpTransportTest, EchoesOverAbstractUnixSocket) {
  absl::StatusOr<SocketAddress> address = SocketAddress::FromUnixPath(AbstractUnixName());
  ASSERT_THAT(address, IsOk());
  ExpectEcho(*address);
}

// --- Connecting -------------------------------------------------------------------------------

TEST_F(TcpTransportTest, RefusedConnectIsUnavailable) {
  SocketAddress address;
  absl::StatusOr<UniqueFd> closed_port = BindUnlistened("127.0.0.1", address);
  ASSERT_THAT(closed_port, IsOk());
  std::optional<absl::StatusOr<std::unique_ptr<TcpTransport>>> result;
  std::unique_ptr<ConnectRequest> request = ConnectStream(
      *loop_, address, absl::Seconds(10),
      [&](absl::StatusOr<std::unique_ptr<TcpTransport>> r) { result = std::move(r); });
  EXPECT_FALSE(result.has_value()) << "the callback must not run inside ConnectStream()";
  ASSERT_TRUE(RunUntil(*loop_, [&] { return result.has_value(); }));
  EXPECT_THAT(*result, StatusIs(absl::StatusCode::kUnavailable, HasSubstr(address.ToString())));
}

TEST_F(TcpTransportTest, RefusedUnixConnectIsUnavailable) {
  ScratchDir dir;
  absl::StatusOr<SocketAddress> address = SocketAddress::FromUnixPath(dir.File("nobody.sock"));
  ASSERT_THAT(address, IsOk());
  std::optional<absl::StatusOr<std::unique_ptr<TcpTransport>>> result;
  std::unique_ptr<ConnectRequest> request = ConnectStream(
      *loop_, *address, absl::Seconds(10),
      [&](absl::StatusOr<std::unique_ptr<TcpTransport>> r) { result = std::move(r); });
  EXPECT_FALSE(result.has_value());
  ASSERT_TRUE(RunUntil(*loop_, [&] { return result.has_value(); }));
  EXPECT_THAT(*result, StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(TcpTransportTest, ConnectTimeoutIsDeadlineExceeded) {
  // A listener with backlog 0 that never accepts: once its accept queue holds a connection, the
  // kernel drops further SYNs, so a new connect neither succeeds nor fails.
  absl::StatusOr<SocketAddress> any = SocketAddress::FromIp("127.0.0.1", 0);
  ASSERT_THAT(any, IsOk());
  UniqueFd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_GE(listener.get(), 0);
  ASSERT_EQ(bind(listener.get(), any->sockaddr_ptr(), any->length()), 0);
  ASSERT_EQ(listen(listener.get(), 0), 0);
  const SocketAddress address = SocketAddress::Local(listener.get());
  std::vector<UniqueFd> fillers;
  for (int i = 0; i < 4; ++i) {
    UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    ASSERT_GE(fd.get(), 0);
    const int rc = connect(fd.get(), address.sockaddr_ptr(), address.length());
    ASSERT_TRUE(rc == 0 || errno == EINPROGRESS) << strerror(errno);
    fillers.push_back(std::move(fd));
  }

  std::optional<absl::StatusOr<std::unique_ptr<TcpTransport>>> result;
  const absl::Time start = absl::Now();
  std::unique_ptr<ConnectRequest> request = ConnectStream(
      *loop_, address, absl::Milliseconds(300),
      [&](absl::StatusOr<std::unique_ptr<TcpTransport>> r) { result = std::move(r); });
  ASSERT_TRUE(RunUntil(*loop_, [&] { return result.has_value(); }));
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_THAT(*result, StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("timed out")));
  EXPECT_GE(elapsed, absl::Milliseconds(290));
  EXPECT_LT(elapsed, absl::Seconds(5));
}

// --- Half-close, resets -----------------------------------------------------------------------

TEST_F(TcpTransportTest, ShutdownWriteDeliversEofAndTheOtherDirectionKeepsWorking) {
  absl::StatusOr<RawPair> pair = MakeRawPair(AF_INET);
  ASSERT_THAT(pair, IsOk());
  std::unique_ptr<TcpTransport> client = Wrap(std::move(pair->first));
  std::unique_ptr<TcpTransport> server = Wrap(std::move(pair->second));
  RecordingCallbacks client_events, server_events;
  client->SetCallbacks(client_events);
  server->SetCallbacks(server_events);

  ASSERT_THAT(client->Write("last words"), IsOk());
  client->ShutdownWrite();
  EXPECT_THAT(client->Write("more"), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_TRUE(RunUntil(*loop_, [&] { return server_events.eof_count == 1; }));
  EXPECT_EQ(server_events.data, "last words");
  EXPECT_FALSE(server_events.closed());
  EXPECT_FALSE(client_events.closed());

  // The server can still talk, and the client still reads.
  ASSERT_THAT(server->Write("reply"), IsOk());
  ASSERT_TRUE(RunUntil(*loop_, [&] { return client_events.data == "reply"; }));
  ASSERT_THAT(server->Write(" and more"), IsOk());
  ASSERT_TRUE(RunUntil(*loop_, [&] { return client_events.data == "reply and more"; }));
  EXPECT_FALSE(client_events.closed());

  // Once the server half-closes too, both directions are done: both close cleanly.
  server->ShutdownWrite();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return client_events.closed() && server_events.closed(); }));
  EXPECT_THAT(client_events.close_reason(), IsOk());
  EXPECT_THAT(server_events.close_reason(), IsOk());
  EXPECT_EQ(server_events.eof_count, 1);
  EXPECT_EQ(client_events.events_after_close, 0);
  EXPECT_EQ(server_events.events_after_close, 0);
}

TEST_F(TcpTransportTest, PeerOrderlyCloseGivesEofThenCloseIsOk) {
  std::unique_ptr<TcpTransport> transport;
  UniqueFd peer;
  MakeTransportAndPeer(AF_INET, transport, peer);
  RecordingCallbacks events;
  transport->SetCallbacks(events);
  ASSERT_TRUE(WriteAll(peer.get(), "bye"));
  ASSERT_EQ(shutdown(peer.get(), SHUT_WR), 0);
  ASSERT_TRUE(RunUntil(*loop_, [&] { return events.eof_count == 1; }));
  EXPECT_EQ(events.data, "bye");
  EXPECT_FALSE(events.closed());
  // Writing after the peer's FIN is still allowed.
  ASSERT_THAT(transport->Write("ack"), IsOk());
  transport->Close();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return events.closed(); }));
  EXPECT_THAT(events.close_reason(), IsOk());
  std::string received;
  bool eof = false;
  ASSERT_TRUE(RunUntil(*loop_, [&] {
    Drained d = ReadAvailable(peer.get());
    received += d.bytes;
    eof = eof || d.eof;
    return eof;
  }));
  EXPECT_EQ(received, "ack");
  EXPECT_EQ(events.eof_count, 1);
}

TEST_F(TcpTransportTest, PeerResetIsUnavailable) {
  std::unique_ptr<TcpTransport> transport;
  UniqueFd peer;
  MakeTransportAndPeer(AF_INET, transport, peer);
  RecordingCallbacks events;
  transport->SetCallbacks(events);
  ASSERT_THAT(SetResetOnClose(peer.get()), IsOk());
  peer.reset();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return events.closed(); }));
  EXPECT_THAT(events.close_reason(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(events.closed_reasons.size(), 1u);
  EXPECT_EQ(events.eof_count, 0);
  EXPECT_THAT(transport->Write("x"), StatusIs(absl::StatusCode::kUnavailable));
  RunReady(*loop_);
  EXPECT_EQ(events.closed_reasons.size(), 1u);
  EXPECT_EQ(events.events_after_close, 0);
}

TEST_F(TcpTransportTest, PeerResetWhileReadingIsPausedIsUnavailableOnNextWrite) {
  std::unique_ptr<TcpTransport> transport;
  UniqueFd peer;
  MakeTransportAndPeer(AF_INET, transport, peer);
  RecordingCallbacks events;
  transport->SetCallbacks(events);
  transport->PauseReading();
  ASSERT_THAT(SetResetOnClose(peer.get()), IsOk());
  peer.reset();
  // The reset is visible to the socket; the next write (or resuming) reports it.
  absl::Status status;
  ASSERT_TRUE(RunUntil(*loop_, [&] {
    if (status.ok() && !events.closed()) status = transport->Write("x");
    return events.closed();
  }));
  EXPECT_THAT(events.close_reason(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(status, AnyOf(IsOk(), StatusIs(absl::StatusCode::kUnavailable)));
}

// A writer streaming into a peer that aborts mid-way: the failure is a status, never a crash or
// SIGPIPE (the test process would die of one).
void StreamIntoAbortingPeer(EpollEventLoop& loop, TcpTransport& writer, UniqueFd& peer) {
  RecordingCallbacks events;
  writer.SetCallbacks(events);
  const std::string chunk = Payload(64 * kKiB, 3);
  std::size_t received = 0;
  absl::Status write_status;
  bool peer_gone = false;
  ASSERT_TRUE(RunUntil(loop, [&] {
    if (write_status.ok() && !events.closed() && writer.buffered_bytes() < 1024 * kKiB) {
      write_status = writer.Write(chunk);
    }
    if (!peer_gone) {
      received += ReadAvailable(peer.get(), 256 * kKiB).bytes.size();
      if (received >= 256 * kKiB) {
        EXPECT_THAT(SetResetOnClose(peer.get()), IsOk());
        peer.reset();
        peer_gone = true;
      }
    }
    return !write_status.ok() || events.closed();
  }));
  EXPECT_TRUE(peer_gone);
  if (!write_status.ok()) {
    EXPECT_THAT(write_status, StatusIs(absl::StatusCode::kUnavailable));
  }
  // Either way the transport reports the loss exactly once.
  ASSERT_TRUE(RunUntil(loop, [&] { return events.closed(); }));
  EXPECT_THAT(events.close_reason(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(writer.Write(chunk), StatusIs(absl::StatusCode::kUnavailable));
  RunReady(loop);
  EXPECT_EQ(events.closed_reasons.size(), 1u);
  EXPECT_EQ(events.events_after_close, 0);
}

TEST_F(TcpTransportTest, PeerResetMidWriteIsUnavailableOverTcp) {
  std::unique_ptr<TcpTransport> writer;
  UniqueFd peer;
  MakeTransportAndPeer(AF_INET, writer, peer, /*small_send_buffer=*/true);
  StreamIntoAbortingPeer(*loop_, *writer, peer);
}

TEST_F(TcpTransportTest, PeerCloseMidWriteIsUnavailableOverUnix) {
  std::unique_ptr<TcpTransport> writer;
  UniqueFd peer;
  MakeTransportAndPeer(AF_UNIX, writer, peer);
  StreamIntoAbortingPeer(*loop_, *writer, peer);
}

// --- Reading ----------------------------------------------------------------------------------

TEST_F(TcpTransportTest, NoReadingBeforeSetCallbacks) {
  std::unique_ptr<TcpTransport> transport;
  UniqueFd peer;
  MakeTransportAndPeer(AF_INET, transport, peer);
  ASSERT_TRUE(WriteAll(peer.get(), "early"));
  ASSERT_TRUE(RunUntil(*loop_, [&] { return BytesReadable(transport->fd()) == 5; }));
  RunReady(*loop_);
  RecordingCallbacks events;
  transport->SetCallbacks(events);
  ASSERT_TRUE(RunUntil(*loop_, [&] { return events.data == "early"; }));
}

TEST_F(TcpTransportTest, PauseReadingHoldsDataUntilResume) {
  std::unique_ptr<TcpTransport> transport;
  UniqueFd peer;
  MakeTransportAndPeer(AF_INET, transport, peer);
  RecordingCallbacks events;
  transport->SetCallbacks(events);
  ASSERT_TRUE(WriteAll(peer.get(), "one"));
  ASSERT_TRUE(RunUntil(*loop_, [&] { return events.data == "one"; }));

  transport->PauseReading();
  ASSERT_TRUE(WriteAll(peer.get(), "two"));
  ASSERT_TRUE(RunUntil(*loop_, [&] { return BytesReadable(transport->fd()) == 3; }));
  RunReady(*loop_, 10);
  EXPECT_EQ(events.data, "one");
  EXPECT_EQ(events.data_events, 1);
  // Pausing twice and writing while paused are fine.
  transport->PauseReading();
  ASSERT_THAT(transport->Write("still writing"), IsOk());
  ASSERT_TRUE(RunUntil(*loop_, [&] { return BytesReadable(peer.get()) == 13; }));
  EXPECT_EQ(ReadAvailable(peer.get()).bytes, "still writing");
  EXPECT_EQ(events.data_events, 1);

  transport->ResumeReading();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return events.data == "onetwo"; }));
  EXPECT_FALSE(events.closed());
}

TEST_F(TcpTransportTest, PauseReadingAlsoHoldsTheEof) {
  std::unique_ptr<TcpTransport> transport;
  UniqueFd peer;
  MakeTransportAndPeer(AF_INET, transport, peer);
  RecordingCallbacks events;
  transport->SetCallbacks(events);
  transport->PauseReading();
  ASSERT_TRUE(WriteAll(peer.get(), "data"));
  ASSERT_EQ(shutdown(peer.get(), SHUT_WR), 0);
  ASSERT_TRUE(RunUntil(*loop_, [&] { return BytesReadable(transport->fd()) == 4; }));
  RunReady(*loop_, 10);
  EXPECT_EQ(events.data_events, 0);
  EXPECT_EQ(events.eof_count, 0);
  transport->ResumeReading();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return events.eof_count == 1; }));
  EXPECT_EQ(events.data, "data");
}

TEST_F(TcpTransportTest, LargeInboundStreamArrivesWhole) {
  std::unique_ptr<TcpTransport> transport;
  UniqueFd peer;
  MakeTransportAndPeer(AF_UNIX, transport, peer);
  RecordingCallbacks events;
  transport->SetCallbacks(events);
  const std::string payload = Payload(1024 * kKiB, 11);
  absl::string_view rest = payload;
  ASSERT_TRUE(RunUntil(*loop_, [&] {
    if (!rest.empty()) {
      const ssize_t n = send(peer.get(), rest.data(), rest.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) rest.remove_prefix(static_cast<std::size_t>(n));
    }
    return events.data.size() == payload.size();
  }));
  EXPECT_TRUE(events.data == payload);
  EXPECT_GT(events.data_events, 1);  // One read per wake-up, at most kReadBufferSize each.
}

// --- Socket options and addresses -------------------------------------------------------------

TEST_F(TcpTransportTest, SocketOptionsOnTcp) {
  std::unique_ptr<TcpTransport> transport;
  UniqueFd peer;
  MakeTransportAndPeer(AF_INET6, transport, peer);
  ASSERT_THAT(transport->SetNoDelay(true), IsOk());
  EXPECT_EQ(GetIntOption(transport->fd(), IPPROTO_TCP, TCP_NODELAY), 1);
  ASSERT_THAT(transport->SetNoDelay(false), IsOk());
  EXPECT_EQ(GetIntOption(transport->fd(), IPPROTO_TCP, TCP_NODELAY), 0);
  ASSERT_THAT(transport->SetKeepAlive(absl::Seconds(30), absl::Seconds(5), 3), IsOk());
  EXPECT_EQ(GetIntOption(transport->fd(), SOL_SOCKET, SO_KEEPALIVE), 1);
  EXPECT_EQ(GetIntOption(transport->fd(), IPPROTO_TCP, TCP_KEEPIDLE), 30);
  EXPECT_EQ(GetIntOption(transport->fd(), IPPROTO_TCP, TCP_KEEPINTVL), 5);
  EXPECT_EQ(GetIntOption(transport->fd(), IPPROTO_TCP, TCP_KEEPCNT), 3);
  // Sub-second intervals round up to the kernel's one-second minimum.
  ASSERT_THAT(transport->SetKeepAlive(absl::Milliseconds(10), absl::ZeroDuration(), 1), IsOk());
  EXPECT_EQ(GetIntOption(transport->fd(), IPPROTO_TCP, TCP_KEEPIDLE), 1);
  EXPECT_EQ(GetIntOption(transport->fd(), IPPROTO_TCP, TCP_KEEPINTVL), 1);
}

TEST_F(TcpTransportTest, TcpSocketOptionsOnUnixAreInternal) {
  std::unique_ptr<TcpTransport> transport;
  UniqueFd peer;
  MakeTransportAndPeer(AF_UNIX, transport, peer);
  EXPECT_THAT(transport->SetNoDelay(true),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("TCP_NODELAY")));
  EXPECT_THAT(transport->SetKeepAlive(absl::Seconds(30), absl::Seconds(5), 3),
              StatusIs(absl::StatusCode::kInternal));
  // The failed options leave the connection working.
  RecordingCallbacks events;
  transport->SetCallbacks(events);
  ASSERT_TRUE(WriteAll(peer.get(), "ok"));
  ASSERT_TRUE(RunUntil(*loop_, [&] { return events.data == "ok"; }));
}

TEST_F(TcpTransportTest, Ipv4Addresses) {
  absl::StatusOr<RawPair> pair = MakeRawPair(AF_INET);
  ASSERT_THAT(pair, IsOk());
  const SocketAddress first_local = SocketAddress::Local(pair->first.get());
  const SocketAddress second_local = SocketAddress::Local(pair->second.get());
  std::unique_ptr<TcpTransport> client = Wrap(std::move(pair->first));
  std::unique_ptr<TcpTransport> server = Wrap(std::move(pair->second));
  EXPECT_THAT(client->local_address(), MatchesRegex(R"(127\.0\.0\.1:[1-9][0-9]*)"));
  EXPECT_EQ(client->local_address(), first_local.ToString());
  EXPECT_EQ(client->peer_address(), second_local.ToString());
  EXPECT_EQ(server->local_address(), second_local.ToString());
  EXPECT_EQ(server->peer_address(), first_local.ToString());
}

TEST_F(TcpTransportTest, Ipv6Addresses) {
  absl::StatusOr<RawPair> pair = MakeRawPair(AF_INET6);
  ASSERT_THAT(pair, IsOk());
  const SocketAddress second_local = SocketAddress::Local(pair->second.get());
  std::unique_ptr<TcpTransport> client = Wrap(std::move(pair->first));
  EXPECT_THAT(client->local_address(), MatchesRegex(R"(\[::1\]:[1-9][0-9]*)"));
  EXPECT_EQ(client->peer_address(), absl::StrCat("[::1]:", second_local.port()));
}

TEST_F(TcpTransportTest, UnixAddresses) {
  const std::string name = AbstractUnixName();
  absl::StatusOr<SocketAddress> address = SocketAddress::FromUnixPath(name);
  ASSERT_THAT(address, IsOk());
  std::unique_ptr<TcpTransport> client;
  std::unique_ptr<Transport> server;
  ConnectThroughListener(*address, client, server);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->peer_address(), "unix:" + name);
  EXPECT_EQ(server->local_address(), "unix:" + name);

  ScratchDir dir;
  absl::StatusOr<SocketAddress> file = SocketAddress::FromUnixPath(dir.File("a.sock"));
  ASSERT_THAT(file, IsOk());
  ConnectThroughListener(*file, client, server);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->peer_address(), "unix:" + dir.File("a.sock"));
  EXPECT_EQ(server->local_address(), "unix:" + dir.File("a.sock"));
}

// --- Destruction from a callback --------------------------------------------------------------

// Owns its transport and releases itself through DeferredDelete() from inside OnData().
class SelfReleasingConnection final : public DeferredDeletable, public TransportCallbacks {
 public:
  SelfReleasingConnection(EpollEventLoop& loop, std::unique_ptr<TcpTransport> transport,
                          bool close_first, bool& destroyed, int& closed_count)
      : loop_(loop),
        transport_(std::move(transport)),
        close_first_(close_first),
        destroyed_(destroyed),
        closed_count_(closed_count) {
    transport_->SetCallbacks(*this);
  }
  ~SelfReleasingConnection() override { destroyed_ = true; }

  // The owning slot, moved into the loop on the first OnData().
  std::unique_ptr<SelfReleasingConnection>* owner = nullptr;

  // TransportCallbacks
  void OnData(absl::string_view bytes) override {
    ++data_events_;
    ASSERT_EQ(data_events_, 1) << "OnData() after the connection released itself";
    EXPECT_THAT(transport_->Write(absl::StrCat("got ", bytes)), IsOk());
    if (close_first_) transport_->Close();
    loop_.DeferredDelete(std::move(*owner));
    // Still alive until this callback returns.
    EXPECT_FALSE(destroyed_);
    transport_->PauseReading();
    transport_->ResumeReading();
  }
  void OnReadEof() override {}
  void OnWriteBufferHigh() override {}
  void OnWriteBufferLow() override {}
  void OnClosed(absl::Status reason) override {
    EXPECT_THAT(reason, IsOk());
    ++closed_count_;
  }

 private:
  EpollEventLoop& loop_;
  std::unique_ptr<TcpTransport> transport_;
  const bool close_first_;
  bool& destroyed_;
  int& closed_count_;
  int data_events_ = 0;
};

TEST_F(TcpTransportTest, ReleasingItselfFromOnDataViaDeferredDeleteIsSafe) {
  for (bool close_first : {false, true}) {
    SCOPED_TRACE(close_first ? "close, then release" : "release without closing");
    std::unique_ptr<TcpTransport> transport;
    UniqueFd peer;
    MakeTransportAndPeer(AF_INET, transport, peer);
    bool destroyed = false;
    int closed_count = 0;
    auto connection = std::make_unique<SelfReleasingConnection>(
        *loop_, std::move(transport), close_first, destroyed, closed_count);
    connection->owner = &connection;
    ASSERT_TRUE(WriteAll(peer.get(), "hi"));
    ASSERT_TRUE(RunUntil(*loop_, [&] { return destroyed; }));
    EXPECT_EQ(connection, nullptr);
    RunReady(*loop_);
    EXPECT_EQ(closed_count, close_first ? 1 : 0);

    std::string received;
    bool eof = false;
    ASSERT_TRUE(RunUntil(*loop_, [&] {
      Drained d = ReadAvailable(peer.get());
      received += d.bytes;
      eof = eof || d.eof || d.error != 0;
      return eof;
    }));
    EXPECT_EQ(received, "got hi");
  }
}

}  // namespace
}  // namespace weft::reactor
