#include "reactor/udp_socket.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::reactor {
namespace {

class Recorder final : public DatagramCallbacks {
 public:
  void OnDatagram(absl::string_view data, const SocketAddress& from) override {
    datagrams.emplace_back(data);
    senders.push_back(from.ToString());
  }
  void OnError(absl::Status error) override { errors.push_back(std::move(error)); }

  std::vector<std::string> datagrams;
  std::vector<std::string> senders;
  std::vector<absl::Status> errors;
};

bool RunUntil(EpollEventLoop& loop, absl::FunctionRef<bool()> done) {
  const absl::Time limit = absl::Now() + absl::Seconds(10);
  while (!done() && absl::Now() < limit) loop.RunOnce(absl::Milliseconds(10));
  return done();
}

class UdpSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = EpollEventLoop::Create();
    ASSERT_TRUE(loop.ok());
    loop_ = *std::move(loop);
  }

  std::unique_ptr<UdpSocket> BindLoopback(absl::string_view host, Recorder& recorder) {
    auto address = SocketAddress::FromIp(host, 0);
    EXPECT_TRUE(address.ok());
    auto socket = UdpSocket::Bind(*loop_, *address, recorder);
    EXPECT_TRUE(socket.ok()) << socket.status();
    return socket.ok() ? *std::move(socket) : nullptr;
  }

  std::unique_ptr<EpollEventLoop> loop_;
};

TEST_F(UdpSocketTest, ExchangesDatagramsOverIpv4) {
  Recorder a_events, b_events;
  auto a = BindLoopback("127.0.0.1", a_events);
  auto b = BindLoopback("127.0.0.1", b_events);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(a->SendTo("ping", b->local_address()).ok());
  ASSERT_TRUE(a->SendTo("pong", b->local_address()).ok());
  ASSERT_TRUE(RunUntil(*loop_, [&] { return b_events.datagrams.size() == 2; }));
  EXPECT_THAT(b_events.datagrams, ::testing::ElementsAre("ping", "pong"));
  EXPECT_EQ(b_events.senders[0], a->local_address().ToString());
}

TEST_F(UdpSocketTest, ExchangesDatagramsOverIpv6) {
  Recorder a_events, b_events;
  auto a = BindLoopback("::1", a_events);
  auto b = BindLoopback("::1", b_events);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(a->SendTo(std::string(60000, 'x'), b->local_address()).ok());
  ASSERT_TRUE(RunUntil(*loop_, [&] { return b_events.datagrams.size() == 1; }));
  EXPECT_EQ(b_events.datagrams[0].size(), 60000u);
}

TEST_F(UdpSocketTest, ConnectedSocketReportsUnreachablePeer) {
  Recorder gone_events, events;
  auto gone = BindLoopback("127.0.0.1", gone_events);
  ASSERT_NE(gone, nullptr);
  const SocketAddress dead = gone->local_address();
  gone.reset();  // Nothing listens on `dead` any more: the kernel answers ICMP unreachable.
  auto socket = BindLoopback("127.0.0.1", events);
  ASSERT_NE(socket, nullptr);
  ASSERT_TRUE(socket->Connect(dead).ok());
  ASSERT_TRUE(socket->Send("anyone?").ok());
  ASSERT_TRUE(RunUntil(*loop_, [&] { return !events.errors.empty(); }));
  EXPECT_EQ(events.errors[0].code(), absl::StatusCode::kUnavailable);
}

TEST_F(UdpSocketTest, OversizedDatagramIsInvalidArgument) {
  Recorder a_events, b_events;
  auto a = BindLoopback("127.0.0.1", a_events);
  auto b = BindLoopback("127.0.0.1", b_events);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->SendTo(std::string(70000, 'x'), b->local_address()).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(UdpSocketTest, BindingATakenPortIsUnavailable) {
  Recorder a_events, b_events;
  auto a = BindLoopback("127.0.0.1", a_events);
  ASSERT_NE(a, nullptr);
  auto again = UdpSocket::Bind(*loop_, a->local_address(), b_events);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(UdpSocketTest, PausedSocketDeliversAfterResume) {
  Recorder a_events, b_events;
  auto a = BindLoopback("127.0.0.1", a_events);
  auto b = BindLoopback("127.0.0.1", b_events);
  ASSERT_NE(b, nullptr);
  b->PauseReading();
  ASSERT_TRUE(a->SendTo("held", b->local_address()).ok());
  loop_->RunOnce(absl::Milliseconds(50));
  EXPECT_TRUE(b_events.datagrams.empty());
  b->ResumeReading();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return b_events.datagrams.size() == 1; }));
}

}  // namespace
}  // namespace weft::reactor
