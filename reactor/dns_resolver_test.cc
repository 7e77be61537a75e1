#include "reactor/dns_resolver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/epoll_event_loop.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::testing::AnyOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

using Result = absl::StatusOr<std::vector<ResolvedAddress>>;

// Printable forms of a successful result, for matching.
std::vector<std::string> Texts(const Result& result) {
  std::vector<std::string> texts;
  if (result.ok()) {
    for (const ResolvedAddress& address : *result) texts.push_back(address.text);
  }
  return texts;
}

// A DNS server on a loopback UDP socket bound to an ephemeral port; kSilent never answers.
class FakeDnsServer final : private FdHandler {
 public:
  enum class Mode { kSilent, kAnswer, kServerFailure, kNoSuchName };

  FakeDnsServer(EpollEventLoop& loop, Mode mode) : loop_(loop), mode_(mode) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    if (mode_ != Mode::kSilent) {
      EXPECT_THAT(loop_.AddFd(fd_, EPOLLIN, *this), IsOk());
    }
  }
  ~FakeDnsServer() override {
    if (mode_ != Mode::kSilent) loop_.RemoveFd(fd_, *this);
    close(fd_);
  }

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  int queries() const { return queries_; }

 private:
  // FdHandler: answers A queries with 10.1.2.3, anything else with no records.
  void OnFdEvents(uint32_t) override {
    unsigned char query[512];
    sockaddr_storage from;
    socklen_t from_length = sizeof(from);
    const ssize_t n =
        recvfrom(fd_, query, sizeof(query), 0, reinterpret_cast<sockaddr*>(&from), &from_length);
    if (n < 12) return;
    ++queries_;
    std::size_t end = 12;  // The question: a name, then type and class.
    while (end < static_cast<std::size_t>(n) && query[end] != 0) end += query[end] + 1;
    end += 5;
    if (end > static_cast<std::size_t>(n)) return;
    const bool is_a = query[end - 3] == 1 && query[end - 4] == 0;
    std::string reply(reinterpret_cast<char*>(query), end);
    const int rcode = mode_ == Mode::kServerFailure ? 2 : mode_ == Mode::kNoSuchName ? 3 : 0;
    reply[2] = static_cast<char>(0x80 | (query[2] & 0x01));  // QR, RD copied.
    reply[3] = static_cast<char>(0x80 | rcode);              // RA, RCODE.
    const bool answer = mode_ == Mode::kAnswer && is_a;
    reply[6] = 0;
    reply[7] = answer ? 1 : 0;  // ANCOUNT.
    for (int i = 8; i < 12; ++i) reply[i] = 0;
    if (answer) {
      // Name pointer to the question, type A, class IN, TTL 60, 4 bytes of address.
      const unsigned char record[] = {0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 1, 2, 3};
      reply.append(reinterpret_cast<const char*>(record), sizeof(record));
    }
    sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), from_length);
  }

  EpollEventLoop& loop_;
  const Mode mode_;
  int fd_;
  int port_ = 0;
  int queries_ = 0;
};

class DnsResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<EpollEventLoop>> loop = EpollEventLoop::Create();
    ASSERT_THAT(loop.status(), IsOk());
    loop_ = *std::move(loop);
  }

  std::unique_ptr<DnsResolver> MakeResolver(DnsResolverOptions options) {
    absl::StatusOr<std::unique_ptr<DnsResolver>> resolver = DnsResolver::Create(*loop_, options);
    EXPECT_THAT(resolver.status(), IsOk());
    return resolver.ok() ? *std::move(resolver) : nullptr;
  }

  std::unique_ptr<DnsResolver> HostsFileResolver() {
    DnsResolverOptions options;
    options.lookups = "f";
    return MakeResolver(options);
  }

  // A resolver asking only `server`, once, with a short timeout.
  std::unique_ptr<DnsResolver> ServerResolver(const std::string& server) {
    DnsResolverOptions options;
    options.servers = {server};
    options.lookups = "b";
    options.try_timeout = absl::Milliseconds(200);
    options.tries = 1;
    return MakeResolver(options);
  }

  // Resolves and runs the loop until the result arrives.
  Result ResolveNow(DnsResolver& resolver, absl::string_view host, uint16_t port,
                    AddressFamily family) {
    std::optional<Result> result;
    std::unique_ptr<ResolveRequest> request =
        resolver.Resolve(host, port, family, [&](Result r) { result = std::move(r); });
    EXPECT_FALSE(result.has_value());  // Never synchronously.
    EXPECT_TRUE(RunUntil([&] { return result.has_value(); }));
    return result.has_value() ? *std::move(result) : absl::UnknownError("no result");
  }

  // Runs the loop until `done` holds; false after 10 seconds.
  bool RunUntil(absl::FunctionRef<bool()> done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (!done()) {
      if (absl::Now() > deadline) return false;
      loop_->RunOnce(absl::Milliseconds(10));
    }
    return true;
  }

  void RunBriefly() {
    for (int i = 0; i < 5; ++i) loop_->RunOnce(absl::Milliseconds(2));
  }

  std::unique_ptr<EpollEventLoop> loop_;
};

TEST_F(DnsResolverTest, ResolvesLocalhostFromHostsFile) {
  std::unique_ptr<DnsResolver> resolver = HostsFileResolver();
  ASSERT_NE(resolver, nullptr);
  Result result = ResolveNow(*resolver, "localhost", 80, AddressFamily::kIpv4);
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_THAT(Texts(result), Contains("127.0.0.1:80"));
  for (const ResolvedAddress& address : *result) {
    EXPECT_EQ(address.address.family(), AF_INET);
    EXPECT_EQ(address.address.port(), 80);
    EXPECT_EQ(address.address.length(), sizeof(sockaddr_in));
  }
}

TEST_F(DnsResolverTest, ResolvesNumericLiteralsWithoutLookups) {
  std::unique_ptr<DnsResolver> resolver = HostsFileResolver();
  ASSERT_NE(resolver, nullptr);
  EXPECT_THAT(Texts(ResolveNow(*resolver, "127.0.0.1", 443, AddressFamily::kAny)),
              ElementsAre("127.0.0.1:443"));
  EXPECT_THAT(Texts(ResolveNow(*resolver, "::1", 53, AddressFamily::kAny)),
              ElementsAre("[::1]:53"));
  EXPECT_THAT(Texts(ResolveNow(*resolver, "10.0.0.1", 0, AddressFamily::kIpv4)),
              ElementsAre("10.0.0.1:0"));
  EXPECT_THAT(ResolveNow(*resolver, "::1", 80, AddressFamily::kIpv4).status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ResolveNow(*resolver, "127.0.0.1", 80, AddressFamily::kIpv6).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(DnsResolverTest, UnknownNameIsNotFound) {
  std::unique_ptr<DnsResolver> resolver = HostsFileResolver();
  ASSERT_NE(resolver, nullptr);
  EXPECT_THAT(ResolveNow(*resolver, "weft-no-such-host.invalid", 80, AddressFamily::kAny).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(DnsResolverTest, MalformedNamesAreInvalidArgument) {
  std::unique_ptr<DnsResolver> resolver = HostsFileResolver();
  ASSERT_NE(resolver, nullptr);
  for (const std::string& bad : {std::string(), std::string("a..b"), std::string(64, 'x') + ".com",
                                 std::string("nul\0byte", 8), std::string(300, 'a')}) {
    EXPECT_THAT(ResolveNow(*resolver, bad, 80, AddressFamily::kAny).status(),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

TEST_F(DnsResolverTest, ResolvesThroughDnsServer) {
  FakeDnsServer server(*loop_, FakeDnsServer::Mode::kAnswer);
  std::unique_ptr<DnsResolver> resolver = ServerResolver(server.address());
  ASSERT_NE(resolver, nullptr);
  EXPECT_THAT(Texts(ResolveNow(*resolver, "svc.weft.test", 7700, AddressFamily::kIpv4)),
              ElementsAre("10.1.2.3:7700"));
  // Both A and AAAA are asked; only A has a record.
  EXPECT_THAT(Texts(ResolveNow(*resolver, "svc.weft.test", 25, AddressFamily::kAny)),
              ElementsAre("10.1.2.3:25"));
  EXPECT_THAT(ResolveNow(*resolver, "svc.weft.test", 25, AddressFamily::kIpv6).status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_GE(server.queries(), 4);
}

TEST_F(DnsResolverTest, NxdomainIsNotFound) {
  FakeDnsServer server(*loop_, FakeDnsServer::Mode::kNoSuchName);
  std::unique_ptr<DnsResolver> resolver = ServerResolver(server.address());
  ASSERT_NE(resolver, nullptr);
  EXPECT_THAT(ResolveNow(*resolver, "gone.weft.test", 80, AddressFamily::kIpv4).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(DnsResolverTest, ServerFailureIsUnavailable) {
  FakeDnsServer server(*loop_, FakeDnsServer::Mode::kServerFailure);
  std::unique_ptr<DnsResolver> resolver = ServerResolver(server.address());
  ASSERT_NE(resolver, nullptr);
  EXPECT_THAT(ResolveNow(*resolver, "svc.weft.test", 80, AddressFamily::kIpv4).status(),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(DnsResolverTest, SilentServerIsDeadlineExceeded) {
  FakeDnsServer server(*loop_, FakeDnsServer::Mode::kSilent);
  std::unique_ptr<DnsResolver> resolver = ServerResolver(server.address());
  ASSERT_NE(resolver, nullptr);
  const absl::Time start = absl::Now();
  EXPECT_THAT(ResolveNow(*resolver, "svc.weft.test", 80, AddressFamily::kIpv4).status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(DnsResolverTest, ServerWithNothingListeningFailsQuickly) {
  int port;
  {
    // Bind, read the port back, close: nothing listens there afterwards.
    FakeDnsServer closed(*loop_, FakeDnsServer::Mode::kSilent);
    port = std::stoi(closed.address().substr(closed.address().rfind(':') + 1));
  }
  std::unique_ptr<DnsResolver> resolver = ServerResolver(absl::StrCat("127.0.0.1:", port));
  ASSERT_NE(resolver, nullptr);
  const absl::Time start = absl::Now();
  EXPECT_THAT(ResolveNow(*resolver, "svc.weft.test", 80, AddressFamily::kIpv4).status(),
              StatusIs(AnyOf(absl::StatusCode::kUnavailable, absl::StatusCode::kDeadlineExceeded)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(DnsResolverTest, DroppingTheRequestCancelsDelivery) {
  std::unique_ptr<DnsResolver> resolver = HostsFileResolver();
  ASSERT_NE(resolver, nullptr);
  bool called = false;
  // Numeric: c-ares answers inside Resolve(), so the result is already waiting.
  resolver->Resolve("127.0.0.1", 80, AddressFamily::kAny, [&](Result) { called = true; }).reset();
  RunBriefly();
  EXPECT_FALSE(called);
}

TEST_F(DnsResolverTest, DroppingAnInFlightRequestCancelsDelivery) {
  FakeDnsServer server(*loop_, FakeDnsServer::Mode::kSilent);
  std::unique_ptr<DnsResolver> resolver = ServerResolver(server.address());
  ASSERT_NE(resolver, nullptr);
  bool dropped_called = false;
  std::unique_ptr<ResolveRequest> dropped = resolver->Resolve(
      "one.weft.test", 80, AddressFamily::kIpv4, [&](Result) { dropped_called = true; });
  std::optional<Result> kept;
  std::unique_ptr<ResolveRequest> request = resolver->Resolve(
      "two.weft.test", 80, AddressFamily::kIpv4, [&](Result r) { kept = std::move(r); });
  dropped.reset();
  // Both time out together; c-ares lets go of the dropped one then, without delivering it.
  ASSERT_TRUE(RunUntil([&] { return kept.has_value(); }));
  RunBriefly();
  EXPECT_FALSE(dropped_called);
  EXPECT_THAT(kept->status(), StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST_F(DnsResolverTest, RequestMayBeDestroyedInsideItsCallback) {
  std::unique_ptr<DnsResolver> resolver = HostsFileResolver();
  ASSERT_NE(resolver, nullptr);
  std::unique_ptr<ResolveRequest> request;
  request = resolver->Resolve("localhost", 80, AddressFamily::kIpv4, [&](Result result) {
    EXPECT_THAT(result.status(), IsOk());
    request.reset();
  });
  ASSERT_TRUE(RunUntil([&] { return request == nullptr; }));
}

TEST_F(DnsResolverTest, DestroyingTheResolverCancelsPendingRequests) {
  FakeDnsServer server(*loop_, FakeDnsServer::Mode::kSilent);
  std::unique_ptr<DnsResolver> resolver = ServerResolver(server.address());
  ASSERT_NE(resolver, nullptr);
  std::optional<Result> result;
  std::unique_ptr<ResolveRequest> request = resolver->Resolve(
      "svc.weft.test", 80, AddressFamily::kIpv4, [&](Result r) { result = std::move(r); });
  resolver.reset();
  EXPECT_FALSE(result.has_value());
  ASSERT_TRUE(RunUntil([&] { return result.has_value(); }));
  EXPECT_THAT(result->status(), StatusIs(absl::StatusCode::kCancelled));
  request.reset();  // The handle may outlive the resolver.
}

TEST_F(DnsResolverTest, RejectsBadOptions) {
  DnsResolverOptions bad_lookups;
  bad_lookups.lookups = "fx";
  EXPECT_THAT(DnsResolver::Create(*loop_, bad_lookups).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  DnsResolverOptions bad_tries;
  bad_tries.tries = 0;
  EXPECT_THAT(DnsResolver::Create(*loop_, bad_tries).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  DnsResolverOptions bad_timeout;
  bad_timeout.try_timeout = absl::ZeroDuration();
  EXPECT_THAT(DnsResolver::Create(*loop_, bad_timeout).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  DnsResolverOptions bad_server;
  bad_server.servers = {"not-an-address"};
  EXPECT_THAT(DnsResolver::Create(*loop_, bad_server).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace weft::reactor
