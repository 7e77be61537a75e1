// ResumableListener over real loopback sockets: stop, then accept again on the same port.
#include "reactor/resumable_listener.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/transport.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

class Accepted final : public ListenerCallbacks {
 public:
  void OnAccept(std::unique_ptr<Transport> transport) override {
    transports.push_back(std::move(transport));
  }
  std::vector<std::unique_ptr<Transport>> transports;
};

// A blocking connect to 127.0.0.1:`port`; true when it was accepted by the kernel.
bool Connects(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return ok;
}

// Runs the loop until `accepted` holds `count` transports (10 s at most).
void AcceptUntil(EpollEventLoop& loop, const Accepted& accepted, std::size_t count) {
  for (int i = 0; i < 100 && accepted.transports.size() < count; ++i) {
    loop.RunOnce(absl::Milliseconds(100));
  }
  EXPECT_EQ(accepted.transports.size(), count);
}

TEST(ResumableListenerTest, StopsAndAcceptsAgainOnTheSamePort) {
  absl::StatusOr<std::unique_ptr<EpollEventLoop>> loop = EpollEventLoop::Create();
  ASSERT_THAT(loop, IsOk());
  Accepted accepted;
  ResumableListener listener(**loop, accepted);
  EXPECT_THAT(listener.Resume(), StatusIs(absl::StatusCode::kFailedPrecondition));
  absl::StatusOr<ServerEndpoint> endpoint = ParseServerEndpoint("tcp:0:interface=127.0.0.1");
  ASSERT_THAT(endpoint, IsOk());
  ASSERT_THAT(listener.Listen(*endpoint), IsOk());
  ASSERT_TRUE(listener.listening());
  const int port = listener.port();
  ASSERT_NE(port, 0);
  EXPECT_TRUE(Connects(port));
  AcceptUntil(**loop, accepted, 1);

  listener.Stop();
  EXPECT_FALSE(listener.listening());
  EXPECT_EQ(listener.port(), 0);
  EXPECT_FALSE(Connects(port));

  ASSERT_THAT(listener.Resume(), IsOk());
  EXPECT_EQ(listener.port(), port);
  EXPECT_THAT(listener.Resume(), IsOk());  // Listening already.
  EXPECT_TRUE(Connects(port));
  AcceptUntil(**loop, accepted, 2);
}

}  // namespace
}  // namespace weft::reactor
