// Interop: Weft's c-ares DnsResolver, and ConnectEndpoint() through it, against dnsmasq (Debian's
// dnsmasq-base) serving a few records on an ephemeral loopback port.
//
// Each test starts its own dnsmasq with no upstream servers, no hosts file and no config file:
//   svc.weft.test     A 127.0.0.1            (--host-record)
//   v6.weft.test      AAAA ::1               (--host-record)
//   alias.weft.test   CNAME svc.weft.test    (--cname; dnsmasq only aliases names it holds
//                                             records for, so the target is a --host-record)
//   *.wild.weft.test  A 127.0.0.1            (--address, a whole domain; AAAA is NXDOMAIN)
//   anything else     NXDOMAIN               (--local=/#/, whatever the search list adds)
// dnsmasq cannot bind port 0 and report the port, so the test binds port 0 itself (UDP and TCP),
// reads the port, closes the sockets and passes the port on, trying another port if dnsmasq
// fails to bind it. Readiness is polled by resolving, within a bound; nothing sleeps for a fixed
// time. dnsmasq is killed when the test ends, and by PR_SET_PDEATHSIG should the test crash.
// Without a dnsmasq binary the tests skip (./weft installs dnsmasq-base).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/dns_resolver.h"
#include "reactor/endpoint.h"
#include "reactor/endpoint_factory.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/listener.h"
#include "reactor/tcp_listener.h"
#include "reactor/transport.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::testing::ElementsAre;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

using Result = absl::StatusOr<std::vector<ResolvedAddress>>;
using TransportResult = std::optional<absl::StatusOr<std::unique_ptr<Transport>>>;

constexpr absl::Duration kWaitLimit = absl::Seconds(10);
constexpr int kStartAttempts = 5;

// Printable forms of a successful result, for matching.
std::vector<std::string> Texts(const Result& result) {
  std::vector<std::string> texts;
  if (result.ok()) {
    for (const ResolvedAddress& address : *result) texts.push_back(address.text);
  }
  return texts;
}

// Runs `loop` in RunOnce(10ms) steps until `done()` holds or kWaitLimit passes; returns done().
bool RunUntil(EpollEventLoop& loop, absl::FunctionRef<bool()> done) {
  const absl::Time deadline = absl::Now() + kWaitLimit;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    loop.RunOnce(absl::Milliseconds(10));
  }
  return true;
}

// dnsmasq is in /usr/sbin, which Bazel's strict test PATH leaves out; empty when not installed.
std::string FindDnsmasq() {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    dirs = absl::StrSplit(path, ':', absl::SkipEmpty());
  }
  for (const char* dir : {"/usr/sbin", "/sbin", "/usr/local/sbin"}) dirs.emplace_back(dir);
  for (const std::string& dir : dirs) {
    const std::string candidate = absl::StrCat(dir, "/dnsmasq");
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// A loopback port that is free for both UDP and TCP right now: bind port 0, read it back, close.
absl::StatusOr<int> PickFreePort() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    const int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const int tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    int port = 0;
    if (udp >= 0 && tcp >= 0 &&
        bind(udp, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
        getsockname(udp, reinterpret_cast<sockaddr*>(&address), &length) == 0 &&
        bind(tcp, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
      port = ntohs(address.sin_port);
    }
    if (udp >= 0) close(udp);
    if (tcp >= 0) close(tcp);
    if (port != 0) return port;
  }
  return absl::UnavailableError("no loopback port free for both UDP and TCP");
}

// One dnsmasq child, killed (and reaped) on destruction.
class Dnsmasq {
 public:
  // Starts `binary` serving on 127.0.0.1:`port`, logging to `log_path`. Whether it managed to
  // bind shows only later: it exits when it cannot.
  static absl::StatusOr<std::unique_ptr<Dnsmasq>> Start(const std::string& binary, int port,
                                                        const std::string& log_path) {
    std::vector<std::string> args = {
        binary,
        "--keep-in-foreground",
        "--no-daemon",  // Also: no pid file, no change of user (which would drop PDEATHSIG).
        "--conf-file=/dev/null",
        "--no-resolv",
        "--no-hosts",
        "--log-facility=-",
        "--log-queries",
        absl::StrCat("--port=", port),
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--host-record=svc.weft.test,127.0.0.1",
        "--host-record=v6.weft.test,::1",
        "--cname=alias.weft.test,svc.weft.test",
        "--address=/wild.weft.test/127.0.0.1",
        "--local=/#/",  // Every other name is NXDOMAIN, never REFUSED.
    };
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) return absl::InternalError(absl::StrCat("open ", log_path, ": errno ", errno));
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
      close(log_fd);
      return absl::InternalError(absl::StrCat("fork: errno ", errno));
    }
    if (pid == 0) {
      // Child: async-signal-safe calls only. Die with the test, even if it crashes.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      const int null_fd = open("/dev/null", O_RDONLY);
      if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
      dup2(log_fd, STDOUT_FILENO);
      dup2(log_fd, STDERR_FILENO);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(log_fd);
    return std::unique_ptr<Dnsmasq>(new Dnsmasq(pid, port, log_path));
  }

  ~Dnsmasq() {
    if (running_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  Dnsmasq(const Dnsmasq&) = delete;
  Dnsmasq& operator=(const Dnsmasq&) = delete;

  // Reaps the child if it has exited; false once it has.
  bool Running() {
    if (running_ && waitpid(pid_, &wait_status_, WNOHANG) == pid_) running_ = false;
    return running_;
  }

  std::string ExitDescription() const {
    if (running_) return "running";
    if (WIFEXITED(wait_status_)) return absl::StrCat("exited with ", WEXITSTATUS(wait_status_));
    if (WIFSIGNALED(wait_status_)) return absl::StrCat("killed by signal ", WTERMSIG(wait_status_));
    return "gone";
  }

  std::string Log() const {
    std::ifstream in(log_path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  int port() const { return port_; }
  std::string server() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  Dnsmasq(pid_t pid, int port, std::string log_path)
      : pid_(pid), port_(port), log_path_(std::move(log_path)) {}

  const pid_t pid_;
  const int port_;
  const std::string log_path_;
  bool running_ = true;
  int wait_status_ = 0;
};

// Records what a transport reports.
class RecordingCallbacks final : public TransportCallbacks {
 public:
  // TransportCallbacks
  void OnData(absl::string_view bytes) override { data.append(bytes.data(), bytes.size()); }
  void OnReadEof() override {}
  void OnWriteBufferHigh() override {}
  void OnWriteBufferLow() override {}
  void OnClosed(absl::Status reason) override { closed = std::move(reason); }

  std::string data;
  std::optional<absl::Status> closed;
};

// Keeps every accepted transport.
class AcceptQueue final : public ListenerCallbacks {
 public:
  // ListenerCallbacks
  void OnAccept(std::unique_ptr<Transport> transport) override {
    accepted.push_back(std::move(transport));
  }

  std::vector<std::unique_ptr<Transport>> accepted;
};

class DnsDnsmasqTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string binary = FindDnsmasq();
    if (binary.empty()) {
      GTEST_SKIP() << "dnsmasq not found in PATH or /usr/sbin; install dnsmasq-base "
                      "(./weft test does)";
    }
    absl::StatusOr<std::unique_ptr<EpollEventLoop>> loop = EpollEventLoop::Create();
    ASSERT_THAT(loop.status(), IsOk());
    loop_ = *std::move(loop);
    ASSERT_NO_FATAL_FAILURE(StartDnsmasq(binary));

    DnsResolverOptions options;
    options.servers = {dnsmasq_->server()};
    options.lookups = "b";
    options.try_timeout = absl::Seconds(1);
    options.tries = 2;
    absl::StatusOr<std::unique_ptr<DnsResolver>> resolver = DnsResolver::Create(*loop_, options);
    ASSERT_THAT(resolver.status(), IsOk());
    resolver_ = *std::move(resolver);
  }

  void TearDown() override {
    if (dnsmasq_ != nullptr) {
      EXPECT_TRUE(dnsmasq_->Running()) << "dnsmasq " << dnsmasq_->ExitDescription();
      if (HasFailure()) std::cerr << "--- dnsmasq log\n" << dnsmasq_->Log();
    }
    resolver_.reset();
    dnsmasq_.reset();  // Kills it.
  }

  // Starts dnsmasq on a free port and waits until it answers, trying other ports when it
  // cannot bind (another process took the port between PickFreePort() and dnsmasq's bind).
  void StartDnsmasq(const std::string& binary) {
    const char* tmp = std::getenv("TEST_TMPDIR");
    const std::string log_path = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/dnsmasq.log");
    std::string failures;
    for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
      absl::StatusOr<int> port = PickFreePort();
      ASSERT_THAT(port.status(), IsOk());
      absl::StatusOr<std::unique_ptr<Dnsmasq>> dnsmasq = Dnsmasq::Start(binary, *port, log_path);
      ASSERT_THAT(dnsmasq.status(), IsOk());
      const absl::Status ready = AwaitAnswers(**dnsmasq);
      if (ready.ok()) {
        dnsmasq_ = *std::move(dnsmasq);
        return;
      }
      absl::StrAppend(&failures, "port ", *port, ": ", ready.message(), "\n", (*dnsmasq)->Log());
    }
    FAIL() << "dnsmasq did not start in " << kStartAttempts << " attempts:\n" << failures;
  }

  // Polls by resolving svc.weft.test with a short timeout until dnsmasq answers, it exits, or
  // kWaitLimit passes. Until it binds, each probe fails at once (ICMP port unreachable).
  absl::Status AwaitAnswers(Dnsmasq& dnsmasq) {
    DnsResolverOptions options;
    options.servers = {dnsmasq.server()};
    options.lookups = "b";
    options.try_timeout = absl::Milliseconds(100);
    options.tries = 1;
    absl::StatusOr<std::unique_ptr<DnsResolver>> probe = DnsResolver::Create(*loop_, options);
    if (!probe.ok()) return probe.status();
    const absl::Time deadline = absl::Now() + kWaitLimit;
    absl::Status last = absl::UnknownError("no probe answered");
    while (absl::Now() < deadline) {
      if (!dnsmasq.Running()) {
        return absl::UnavailableError(absl::StrCat("dnsmasq ", dnsmasq.ExitDescription()));
      }
      std::optional<Result> result;
      std::unique_ptr<ResolveRequest> request = (*probe)->Resolve(
          "svc.weft.test", 53, AddressFamily::kIpv4, [&](Result r) { result = std::move(r); });
      if (!RunUntil(*loop_, [&] { return result.has_value(); })) break;
      if (result->ok()) return absl::OkStatus();
      last = result->status();
      loop_->RunOnce(absl::Milliseconds(10));  // Poll interval, not a wait for readiness.
    }
    return absl::DeadlineExceededError(absl::StrCat(
        "no answer within ", absl::FormatDuration(kWaitLimit), "; last: ", last.ToString()));
  }

  // Resolves through dnsmasq and runs the loop until the result arrives.
  Result Resolve(absl::string_view host, uint16_t port, AddressFamily family) {
    std::optional<Result> result;
    std::unique_ptr<ResolveRequest> request =
        resolver_->Resolve(host, port, family, [&](Result r) { result = std::move(r); });
    EXPECT_FALSE(result.has_value());  // Never synchronously.
    EXPECT_TRUE(RunUntil(*loop_, [&] { return result.has_value(); })) << host;
    return result.has_value() ? *std::move(result) : absl::UnknownError("test: no result");
  }

  std::unique_ptr<ConnectRequest> Connect(absl::string_view text, TransportResult& result) {
    absl::StatusOr<ClientEndpoint> endpoint = ParseClientEndpoint(text);
    EXPECT_THAT(endpoint.status(), IsOk()) << text;
    if (!endpoint.ok()) return nullptr;
    return ConnectEndpoint(
        *loop_, resolver_.get(), *endpoint,
        [&result](absl::StatusOr<std::unique_ptr<Transport>> r) { result = std::move(r); });
  }

  std::unique_ptr<EpollEventLoop> loop_;
  std::unique_ptr<Dnsmasq> dnsmasq_;
  std::unique_ptr<DnsResolver> resolver_;
};

TEST_F(DnsDnsmasqTest, ResolvesARecord) {
  EXPECT_THAT(Texts(Resolve("svc.weft.test", 7700, AddressFamily::kIpv4)),
              ElementsAre("127.0.0.1:7700"));
  // kAny asks for A and AAAA; dnsmasq has no AAAA for the name (NODATA).
  EXPECT_THAT(Texts(Resolve("svc.weft.test", 25, AddressFamily::kAny)),
              ElementsAre("127.0.0.1:25"));
  EXPECT_THAT(Resolve("svc.weft.test", 25, AddressFamily::kIpv6).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(DnsDnsmasqTest, ResolvesAaaaRecord) {
  Result result = Resolve("v6.weft.test", 443, AddressFamily::kIpv6);
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_THAT(Texts(result), ElementsAre("[::1]:443"));
  EXPECT_EQ(result->front().address.family(), AF_INET6);
  EXPECT_EQ(result->front().address.port(), 443);
  EXPECT_THAT(Texts(Resolve("v6.weft.test", 80, AddressFamily::kAny)), ElementsAre("[::1]:80"));
  EXPECT_THAT(Resolve("v6.weft.test", 80, AddressFamily::kIpv4).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(DnsDnsmasqTest, FollowsCname) {
  EXPECT_THAT(Texts(Resolve("alias.weft.test", 8080, AddressFamily::kIpv4)),
              ElementsAre("127.0.0.1:8080"));
  EXPECT_THAT(Texts(Resolve("alias.weft.test", 8080, AddressFamily::kAny)),
              ElementsAre("127.0.0.1:8080"));
  // The AAAA answer is the CNAME alone: the target has no AAAA.
  EXPECT_THAT(Resolve("alias.weft.test", 8080, AddressFamily::kIpv6).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(DnsDnsmasqTest, DomainWideAddress) {
  // --address answers A for every name under the domain and NXDOMAIN for AAAA: with kAny, one
  // query succeeds and the other fails, and the addresses found win.
  EXPECT_THAT(Texts(Resolve("api.wild.weft.test", 9000, AddressFamily::kAny)),
              ElementsAre("127.0.0.1:9000"));
  EXPECT_THAT(Texts(Resolve("a.b.wild.weft.test", 9000, AddressFamily::kIpv4)),
              ElementsAre("127.0.0.1:9000"));
}

TEST_F(DnsDnsmasqTest, NxdomainIsNotFound) {
  for (AddressFamily family : {AddressFamily::kIpv4, AddressFamily::kIpv6, AddressFamily::kAny}) {
    EXPECT_THAT(Resolve("gone.weft.test", 80, family).status(),
                StatusIs(absl::StatusCode::kNotFound));
  }
  EXPECT_THAT(Resolve("nothing.example", 80, AddressFamily::kAny).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(DnsDnsmasqTest, ManyConcurrentLookups) {
  // One channel, many queries in flight over the same sockets; each answer reaches its request.
  struct Lookup {
    std::string host;
    AddressFamily family;
    std::optional<Result> result;
    std::unique_ptr<ResolveRequest> request;
  };
  std::vector<Lookup> lookups;
  for (int i = 0; i < 8; ++i) {
    lookups.push_back({"svc.weft.test", AddressFamily::kIpv4, std::nullopt, nullptr});
    lookups.push_back({"v6.weft.test", AddressFamily::kIpv6, std::nullopt, nullptr});
    lookups.push_back({"alias.weft.test", AddressFamily::kAny, std::nullopt, nullptr});
    lookups.push_back(
        {absl::StrCat("gone", i, ".weft.test"), AddressFamily::kAny, std::nullopt, nullptr});
  }
  for (std::size_t i = 0; i < lookups.size(); ++i) {
    Lookup& lookup = lookups[i];
    lookup.request = resolver_->Resolve(lookup.host, static_cast<uint16_t>(1000 + i), lookup.family,
                                        [&lookup](Result r) { lookup.result = std::move(r); });
  }
  ASSERT_TRUE(RunUntil(*loop_, [&] {
    for (const Lookup& lookup : lookups) {
      if (!lookup.result.has_value()) return false;
    }
    return true;
  }));
  for (std::size_t i = 0; i < lookups.size(); ++i) {
    const Lookup& lookup = lookups[i];
    SCOPED_TRACE(lookup.host);
    const std::string port = absl::StrCat(1000 + i);
    if (lookup.host == "v6.weft.test") {
      EXPECT_THAT(Texts(*lookup.result), ElementsAre(absl::StrCat("[::1]:", port)));
    } else if (absl::StartsWith(lookup.host, "gone")) {
      EXPECT_THAT(lookup.result->status(), StatusIs(absl::StatusCode::kNotFound));
    } else {
      EXPECT_THAT(Texts(*lookup.result), ElementsAre(absl::StrCat("127.0.0.1:", port)));
    }
  }
}

TEST_F(DnsDnsmasqTest, ConnectEndpointResolvesThroughDnsmasq) {
  AcceptQueue accepted;
  absl::StatusOr<ServerEndpoint> server_endpoint = ParseServerEndpoint("tcp:0:interface=127.0.0.1");
  ASSERT_THAT(server_endpoint.status(), IsOk());
  absl::StatusOr<std::unique_ptr<Listener>> listener =
      ListenEndpoint(*loop_, *server_endpoint, accepted);
  ASSERT_THAT(listener.status(), IsOk());
  const int port = (*listener)->port();

  for (const char* host : {"svc.weft.test", "alias.weft.test"}) {
    SCOPED_TRACE(host);
    TransportResult result;
    std::unique_ptr<ConnectRequest> request =
        Connect(absl::StrCat("tcp:", host, ":", port), result);
    ASSERT_NE(request, nullptr);
    ASSERT_TRUE(RunUntil(*loop_, [&] { return result.has_value() && !accepted.accepted.empty(); }));
    ASSERT_THAT(result->status(), IsOk());
    std::unique_ptr<Transport> client = **std::move(result);
    std::unique_ptr<Transport> server = std::move(accepted.accepted.back());
    accepted.accepted.pop_back();
    EXPECT_EQ(client->peer_address(), absl::StrCat("127.0.0.1:", port));

    RecordingCallbacks client_events, server_events;
    client->SetCallbacks(client_events);
    server->SetCallbacks(server_events);
    ASSERT_THAT(client->Write("ping"), IsOk());
    ASSERT_TRUE(RunUntil(*loop_, [&] { return server_events.data == "ping"; }));
    ASSERT_THAT(server->Write("pong"), IsOk());
    ASSERT_TRUE(RunUntil(*loop_, [&] { return client_events.data == "pong"; }));
    client.reset();  // Both ends go before the callbacks they point at.
    server.reset();
  }

  // A name dnsmasq does not know fails the connect with the resolver's status.
  TransportResult unknown;
  std::unique_ptr<ConnectRequest> request =
      Connect(absl::StrCat("tcp:gone.weft.test:", port), unknown);
  ASSERT_NE(request, nullptr);
  ASSERT_TRUE(RunUntil(*loop_, [&] { return unknown.has_value(); }));
  EXPECT_THAT(unknown->status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(accepted.accepted.empty());
}

}  // namespace
}  // namespace weft::reactor
