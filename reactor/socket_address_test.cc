#include "reactor/socket_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::testing::HasSubstr;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

TEST(SocketAddressTest, DefaultIsEmpty) {
  SocketAddress address;
  EXPECT_TRUE(address.empty());
  EXPECT_EQ(address.length(), 0u);
  EXPECT_EQ(address.family(), AF_UNSPEC);
  EXPECT_EQ(address.port(), 0);
  EXPECT_EQ(address.host(), "");
  EXPECT_EQ(address.ToString(), "");
}

TEST(SocketAddressTest, ParsesIpv4) {
  absl::StatusOr<SocketAddress> address = SocketAddress::FromIp("127.0.0.1", 8080);
  ASSERT_THAT(address, IsOk());
  EXPECT_EQ(address->family(), AF_INET);
  EXPECT_EQ(address->length(), sizeof(sockaddr_in));
  EXPECT_EQ(address->port(), 8080);
  EXPECT_EQ(address->host(), "127.0.0.1");
  EXPECT_EQ(address->ToString(), "127.0.0.1:8080");
  const auto* v4 = reinterpret_cast<const sockaddr_in*>(address->sockaddr_ptr());
  EXPECT_EQ(ntohs(v4->sin_port), 8080);
  EXPECT_EQ(ntohl(v4->sin_addr.s_addr), INADDR_LOOPBACK);
}

TEST(SocketAddressTest, ParsesIpv4AnyAndPortBounds) {
  absl::StatusOr<SocketAddress> any = SocketAddress::FromIp("0.0.0.0", 0);
  ASSERT_THAT(any, IsOk());
  EXPECT_EQ(any->ToString(), "0.0.0.0:0");
  absl::StatusOr<SocketAddress> top = SocketAddress::FromIp("255.255.255.255", 65535);
  ASSERT_THAT(top, IsOk());
  EXPECT_EQ(top->port(), 65535);
  EXPECT_EQ(top->ToString(), "255.255.255.255:65535");
}

TEST(SocketAddressTest, ParsesIpv6) {
  absl::StatusOr<SocketAddress> address = SocketAddress::FromIp("::1", 443);
  ASSERT_THAT(address, IsOk());
  EXPECT_EQ(address->family(), AF_INET6);
  EXPECT_EQ(address->length(), sizeof(sockaddr_in6));
  EXPECT_EQ(address->port(), 443);
  EXPECT_EQ(address->host(), "::1");
  EXPECT_EQ(address->ToString(), "[::1]:443");
}

TEST(SocketAddressTest, ParsesBracketedIpv6) {
  absl::StatusOr<SocketAddress> address = SocketAddress::FromIp("[2001:db8::1]", 80);
  ASSERT_THAT(address, IsOk());
  EXPECT_EQ(address->family(), AF_INET6);
  EXPECT_EQ(address->host(), "2001:db8::1");
  EXPECT_EQ(address->ToString(), "[2001:db8::1]:80");
}

TEST(SocketAddressTest, PrintsIpv6InCanonicalForm) {
  absl::StatusOr<SocketAddress> address = SocketAddress::FromIp("2001:0DB8:0:0:0:0:0:0001", 1);
  ASSERT_THAT(address, IsOk());
  EXPECT_EQ(address->host(), "2001:db8::1");
  absl::StatusOr<SocketAddress> mapped = SocketAddress::FromIp("::ffff:10.0.0.1", 2);
  ASSERT_THAT(mapped, IsOk());
  EXPECT_EQ(mapped->family(), AF_INET6);
  EXPECT_EQ(mapped->ToString(), "[::ffff:10.0.0.1]:2");
}

TEST(SocketAddressTest, RejectsPortOutOfRange) {
  EXPECT_THAT(SocketAddress::FromIp("127.0.0.1", -1), StatusIs(absl::StatusCode::kInvalidArgument));
  absl::StatusOr<SocketAddress> high = SocketAddress::FromIp("127.0.0.1", 65536);
  EXPECT_THAT(high, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(high.status().message(), HasSubstr("65536"));
}

TEST(SocketAddressTest, RejectsNamesAndGarbage) {
  for (const char* host : {"", "localhost", "example.com", "1.2.3", "1.2.3.4.5", "256.0.0.1",
                           "127.0.0.1:80", "::1::2", ":::", "1.2.3.4 ", " 1.2.3.4", "[]"}) {
    absl::StatusOr<SocketAddress> address = SocketAddress::FromIp(host, 80);
    EXPECT_THAT(address, StatusIs(absl::StatusCode::kInvalidArgument)) << "host '" << host << "'";
  }
  EXPECT_THAT(SocketAddress::FromIp("localhost", 80).status().message(), HasSubstr("localhost"));
}

TEST(SocketAddressTest, RejectsUnbalancedBrackets) {
  absl::StatusOr<SocketAddress> open = SocketAddress::FromIp("[::1", 80);
  EXPECT_THAT(open, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(open.status().message(), HasSubstr("bracket"));
  EXPECT_THAT(SocketAddress::FromIp("::1]", 80), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SocketAddress::FromIp("[", 80), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SocketAddressTest, ParsesUnixPath) {
  absl::StatusOr<SocketAddress> address = SocketAddress::FromUnixPath("/run/weft.sock");
  ASSERT_THAT(address, IsOk());
  EXPECT_EQ(address->family(), AF_UNIX);
  EXPECT_EQ(address->port(), 0);
  EXPECT_EQ(address->host(), "/run/weft.sock");
  EXPECT_EQ(address->ToString(), "unix:/run/weft.sock");
  // Filesystem paths carry their terminating NUL.
  EXPECT_EQ(address->length(), offsetof(sockaddr_un, sun_path) + sizeof("/run/weft.sock"));
  const auto* un = reinterpret_cast<const sockaddr_un*>(address->sockaddr_ptr());
  EXPECT_STREQ(un->sun_path, "/run/weft.sock");
}

TEST(SocketAddressTest, ParsesAbstractUnixName) {
  absl::StatusOr<SocketAddress> address = SocketAddress::FromUnixPath("@weft-test");
  ASSERT_THAT(address, IsOk());
  EXPECT_EQ(address->family(), AF_UNIX);
  EXPECT_EQ(address->host(), "@weft-test");
  EXPECT_EQ(address->ToString(), "unix:@weft-test");
  // Abstract names start with a NUL byte and have no terminator.
  EXPECT_EQ(address->length(), offsetof(sockaddr_un, sun_path) + std::strlen("@weft-test"));
  const auto* un = reinterpret_cast<const sockaddr_un*>(address->sockaddr_ptr());
  EXPECT_EQ(un->sun_path[0], '\0');
  EXPECT_EQ(std::string(un->sun_path + 1, 9), "weft-test");
}

TEST(SocketAddressTest, RejectsEmptyUnixPath) {
  EXPECT_THAT(SocketAddress::FromUnixPath(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SocketAddressTest, UnixPathLengthLimit) {
  const std::size_t max = sizeof(sockaddr_un{}.sun_path) - 1;
  absl::StatusOr<SocketAddress> longest =
      SocketAddress::FromUnixPath("/" + std::string(max - 1, 'a'));
  ASSERT_THAT(longest, IsOk());
  EXPECT_EQ(longest->host().size(), max);
  absl::StatusOr<SocketAddress> too_long = SocketAddress::FromUnixPath("/" + std::string(max, 'a'));
  EXPECT_THAT(too_long, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(too_long.status().message(), HasSubstr("longer than"));
}

TEST(SocketAddressTest, FromSockaddrCopiesKernelAddress) {
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons(9);
  ASSERT_EQ(inet_pton(AF_INET6, "fe80::2", &v6.sin6_addr), 1);
  SocketAddress address = SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&v6), sizeof(v6));
  EXPECT_EQ(address.ToString(), "[fe80::2]:9");
  EXPECT_EQ(address.length(), sizeof(v6));
}

TEST(SocketAddressTest, FromSockaddrClampsOversizedLength) {
  sockaddr_storage storage{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  v4->sin_family = AF_INET;
  v4->sin_port = htons(7);
  v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  SocketAddress address = SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&storage), 4096);
  EXPECT_EQ(address.length(), sizeof(sockaddr_storage));
  EXPECT_EQ(address.ToString(), "127.0.0.1:7");
}

TEST(SocketAddressTest, LocalAndPeerOfConnectedSockets) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  // A socketpair is unnamed: a Unix address with no path.
  EXPECT_EQ(SocketAddress::Local(fds[0]).family(), AF_UNIX);
  EXPECT_EQ(SocketAddress::Peer(fds[0]).host(), "");
  close(fds[0]);
  close(fds[1]);

  absl::StatusOr<SocketAddress> any = SocketAddress::FromIp("127.0.0.1", 0);
  ASSERT_THAT(any, IsOk());
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  ASSERT_EQ(bind(listener, any->sockaddr_ptr(), any->length()), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  SocketAddress bound = SocketAddress::Local(listener);
  EXPECT_EQ(bound.host(), "127.0.0.1");
  EXPECT_GT(bound.port(), 0);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(client, 0);
  ASSERT_EQ(connect(client, bound.sockaddr_ptr(), bound.length()), 0);
  EXPECT_EQ(SocketAddress::Peer(client).ToString(), bound.ToString());
  EXPECT_EQ(SocketAddress::Local(client).host(), "127.0.0.1");
  close(client);
  close(listener);
}

TEST(SocketAddressTest, LocalAndPeerOfBadDescriptorAreEmpty) {
  EXPECT_TRUE(SocketAddress::Local(-1).empty());
  EXPECT_TRUE(SocketAddress::Peer(-1).empty());
  int unconnected = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(unconnected, 0);
  EXPECT_TRUE(SocketAddress::Peer(unconnected).empty());
  EXPECT_EQ(SocketAddress::Peer(unconnected).ToString(), "");
  close(unconnected);
}

}  // namespace
}  // namespace weft::reactor
