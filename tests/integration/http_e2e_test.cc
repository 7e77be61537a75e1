// End to end: the HTTP gateway of the real weftd (started on port 0) over raw sockets, for what
// off-the-shelf clients cannot check: pipelined requests answered in order while their calls
// finish in another order, byte-at-a-time input, the request timeout against a slow client, the
// idle timeout, /metrics, bearer tokens, and a drain with a request in flight. The interop tests
// (tests/interop) run curl and Python's clients against the same daemon.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "protocols/http/http_response_decoder.h"
#include "tests/integration/weftd_process.h"

namespace weft::testing {
namespace {

namespace ph = protocols::http;

constexpr absl::string_view kServices = R"(
services { name: "demo.Calculator" }
)";

// A finished response, copied out of the decoder.
struct Response {
  int status = 0;
  std::string body;
  std::string connection;  // The Connection field, or "".
  std::string content_type;
  std::string www_authenticate;
};

// A blocking loopback connection speaking raw HTTP/1.1.
class RawHttp {
 public:
  explicit RawHttp(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawHttp() { close(fd_); }

  bool connected() const { return connected_; }
  void Send(absl::string_view bytes) {
    ASSERT_EQ(send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // Sends a request and announces it to the response decoder.
  void Request(absl::string_view bytes, ph::HttpMethod method = ph::HttpMethod::kPost) {
    decoder_.ExpectResponse(method);
    Send(bytes);
  }
  // The next response (1xx included), or nullopt when the peer closed or 10 s passed.
  std::optional<Response> Next() {
    while (true) {
      if (std::optional<ph::HttpResponse> r = decoder_.Next()) {
        Response out;
        out.status = r->status_code;
        out.body = std::string(r->body);
        out.connection = std::string(ph::FindHeader(r->headers, "Connection").value_or(""));
        out.content_type = std::string(ph::FindHeader(r->headers, "Content-Type").value_or(""));
        out.www_authenticate =
            std::string(ph::FindHeader(r->headers, "WWW-Authenticate").value_or(""));
        return out;
      }
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 10000) <= 0) {
        ADD_FAILURE() << "no response within 10 s";
        return std::nullopt;
      }
      char buffer[16384];
      const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) {
        (void)decoder_.FeedEof();
        if (std::optional<ph::HttpResponse> r = decoder_.Next()) continue;
        return std::nullopt;
      }
      if (!decoder_.Feed(absl::string_view(buffer, n)).ok()) return std::nullopt;
    }
  }
  // True when the peer closes within `limit`, skipping any bytes.
  bool ClosedWithin(absl::Duration limit) {
    const absl::Time deadline = absl::Now() + limit;
    char buffer[4096];
    while (absl::Now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      if (recv(fd_, buffer, sizeof buffer, 0) <= 0) return true;
    }
    return false;
  }

 private:
  int fd_;
  bool connected_ = false;
  ph::HttpResponseDecoder decoder_;
};

std::string Post(absl::string_view path, absl::string_view body, absl::string_view extra = "") {
  return absl::StrCat("POST ", path, " HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n",
                      extra, "Content-Length: ", body.size(), "\r\n\r\n", body);
}

std::string JsonRpc(absl::string_view method, absl::string_view params, int id) {
  return absl::StrCat(R"({"jsonrpc":"2.0","method":")", method, R"(","params":)", params,
                      R"(,"id":)", id, "}");
}

class HttpE2eTest : public ::testing::Test {
 protected:
  void StartWeftd(absl::string_view extra = "") {
    absl::StatusOr<std::unique_ptr<WeftdProcess>> started =
        WeftdProcess::Start(absl::StrCat(kServices, extra), {"--loops", "2"}, "", {"http"});
    ASSERT_TRUE(started.ok()) << started.status();
    weftd_ = *std::move(started);
    port_ = weftd_->listener_port("http");
    ASSERT_NE(port_, 0);
  }
  void TearDown() override {
    if (weftd_ != nullptr) {
      EXPECT_EQ(weftd_->Stop(), 0) << weftd_->stderr_text();
    }
  }

  std::unique_ptr<WeftdProcess> weftd_;
  int port_ = 0;
};

TEST_F(HttpE2eTest, PipelinedRequestsAreAnsweredInOrder) {
  StartWeftd();
  RawHttp http(port_);
  ASSERT_TRUE(http.connected());
  // Ten requests in one write, mixing paths; the answers come back in request order.
  std::string batch;
  for (int i = 0; i < 10; ++i) {
    if (i % 3 == 1) {
      absl::StrAppend(&batch, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
      http.Request("", ph::HttpMethod::kGet);
    } else {
      absl::StrAppend(&batch, Post("/jsonrpc", JsonRpc("demo.Calculator.Add",
                                                       absl::StrCat("[", i, ",1000]"), i)));
      http.Request("");
    }
  }
  http.Send(batch);
  for (int i = 0; i < 10; ++i) {
    std::optional<Response> r = http.Next();
    ASSERT_TRUE(r.has_value()) << "response " << i;
    ASSERT_EQ(r->status, 200) << r->body;
    if (i % 3 == 1) {
      EXPECT_EQ(r->body, "ok\n");
    } else {
      // int64 is a string in protobuf's JSON mapping.
      EXPECT_EQ(r->body, absl::StrCat(R"({"jsonrpc":"2.0","result":{"sum":")", i + 1000,
                                      R"("},"id":)", i, "}"));
      EXPECT_EQ(r->content_type, "application/json");
    }
  }
}

TEST_F(HttpE2eTest, ALaterRequestFinishedFirstWaitsForTheEarlierOne) {
  StartWeftd();
  RawHttp http(port_);
  // /metrics is answered after a trip to the home loop; /healthz and Add at once. The order on
  // the wire is still the order of the requests.
  http.Request("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n", ph::HttpMethod::kGet);
  http.Request("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", ph::HttpMethod::kGet);
  http.Request(Post("/jsonrpc", JsonRpc("demo.Calculator.Add", "[1,1]", 9)));
  std::optional<Response> metrics = http.Next();
  ASSERT_TRUE(metrics.has_value());
  EXPECT_TRUE(absl::StrContains(metrics->body, "weft_http_requests_total")) << metrics->body;
  std::optional<Response> health = http.Next();
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->body, "ok\n");
  std::optional<Response> add = http.Next();
  ASSERT_TRUE(add.has_value());
  EXPECT_EQ(add->body, R"({"jsonrpc":"2.0","result":{"sum":"2"},"id":9})");
}

TEST_F(HttpE2eTest, ARequestFedOneByteAtATimeIsAnswered) {
  StartWeftd();
  RawHttp http(port_);
  const std::string request =
      Post("/jsonrpc", JsonRpc("demo.Calculator.Add", R"({"a":2,"b":3})", 7));
  http.Request("");
  for (char c : request) http.Send(absl::string_view(&c, 1));
  std::optional<Response> r = http.Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"jsonrpc":"2.0","result":{"sum":"5"},"id":7})");
}

TEST_F(HttpE2eTest, BatchAnswersInOrderAndSkipsNotifications) {
  StartWeftd();
  RawHttp http(port_);
  const std::string body =
      absl::StrCat("[", JsonRpc("demo.Calculator.Add", "[1,2]", 1), ",",
                   R"({"jsonrpc":"2.0","method":"demo.Calculator.Add","params":[5,5]})", ",",
                   JsonRpc("demo.Calculator.Divide", R"({"dividend":1,"divisor":0})", 2), ",",
                   JsonRpc("demo.Nope.Add", "[]", 3), ",", R"({"jsonrpc":"2.0","method":1,"id":4})",
                   ",", JsonRpc("demo.Calculator.Add", R"(["x"])", 5), "]");
  http.Request(Post("/jsonrpc", body));
  std::optional<Response> r = http.Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(absl::StartsWith(r->body, R"([{"jsonrpc":"2.0","result":{"sum":"3"},"id":1},)"))
      << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"({"code":-32602,"message":"division by zero"},"id":2})"))
      << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("code":-32601)")) << r->body;
  EXPECT_TRUE(absl::StrContains(
      r->body, R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":4})"))
      << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, R"("code":-32602)")) << r->body;
  EXPECT_TRUE(absl::EndsWith(r->body, R"("id":5}])")) << r->body;

  // Only notifications: nothing to send back (204, no body).
  http.Request(
      Post("/jsonrpc", R"([{"jsonrpc":"2.0","method":"demo.Calculator.Add","params":[1,1]}])"));
  r = http.Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->body, "");
}

TEST_F(HttpE2eTest, SlowRequestGets408AndTheConnectionCloses) {
  StartWeftd("http { request_timeout_ms: 300 }");
  RawHttp http(port_);
  http.Request("POST /jsonrpc HTTP/1.1\r\nHost: t\r\nContent-Le");
  std::optional<Response> r = http.Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 408);
  EXPECT_EQ(r->connection, "close");
  EXPECT_TRUE(http.ClosedWithin(absl::Seconds(5)));
  // The daemon serves on.
  RawHttp next(port_);
  next.Request("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", ph::HttpMethod::kGet);
  r = next.Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpE2eTest, IdleConnectionIsClosed) {
  StartWeftd("http { idle_timeout_ms: 300 }");
  RawHttp http(port_);
  http.Request("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", ph::HttpMethod::kGet);
  ASSERT_TRUE(http.Next().has_value());
  EXPECT_TRUE(http.ClosedWithin(absl::Seconds(5)));
}

TEST_F(HttpE2eTest, BadRequestIsAnsweredAfterTheGoodOnesBeforeIt) {
  StartWeftd();
  RawHttp http(port_);
  http.Request("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", ph::HttpMethod::kGet);
  http.Request("GET /healthz HTTP/9.9\r\nHost: t\r\n\r\n", ph::HttpMethod::kGet);
  std::optional<Response> ok = http.Next();
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, 200);
  std::optional<Response> bad = http.Next();
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->status, 505);
  EXPECT_EQ(bad->connection, "close");
  EXPECT_TRUE(http.ClosedWithin(absl::Seconds(5)));
}

TEST_F(HttpE2eTest, MetricsCountRequests) {
  StartWeftd();
  RawHttp http(port_);
  http.Request(Post("/jsonrpc", JsonRpc("demo.Calculator.Add", "[1,2]", 1)));
  ASSERT_TRUE(http.Next().has_value());
  http.Request("GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n", ph::HttpMethod::kGet);
  std::optional<Response> missing = http.Next();
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
  http.Request("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n", ph::HttpMethod::kGet);
  std::optional<Response> r = http.Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(absl::StartsWith(r->content_type, "text/plain; version=0.0.4")) << r->content_type;
  EXPECT_TRUE(
      absl::StrContains(r->body, "weft_http_requests_total{path=\"/jsonrpc\",code=\"2xx\"} 1\n"))
      << r->body;
  EXPECT_TRUE(
      absl::StrContains(r->body, "weft_http_requests_total{path=\"other\",code=\"4xx\"} 1\n"))
      << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, "weft_http_rpc_calls_total 1\n")) << r->body;
  EXPECT_TRUE(absl::StrContains(r->body, "weft_broker_services ")) << r->body;
}

TEST_F(HttpE2eTest, TokensAreRequiredWhenAuthIs) {
  StartWeftd(R"(auth { require_auth: true tokens: "0123456789abcdef-http-e2e" })");
  RawHttp http(port_);
  http.Request(Post("/jsonrpc", JsonRpc("demo.Calculator.Add", "[1,2]", 1)));
  std::optional<Response> r = http.Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->www_authenticate, "Bearer realm=\"weft\"");
  http.Request(Post("/jsonrpc", JsonRpc("demo.Calculator.Add", "[1,2]", 1),
                    "Authorization: Bearer wrong-token-wrong-token\r\n"));
  r = http.Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 401);
  http.Request(Post("/jsonrpc", JsonRpc("demo.Calculator.Add", "[1,2]", 1),
                    "Authorization: Bearer 0123456789abcdef-http-e2e\r\n"));
  r = http.Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(absl::StrContains(weftd_->stderr_text(), "0123456789abcdef-http-e2e"));
  http.Request("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", ph::HttpMethod::kGet);
  r = http.Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpE2eTest, DrainClosesKeepAliveConnections) {
  StartWeftd();
  RawHttp http(port_);
  http.Request("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", ph::HttpMethod::kGet);
  ASSERT_TRUE(http.Next().has_value());
  // SIGTERM with an open keep-alive connection: weftd closes it and exits 0 (TearDown).
  EXPECT_EQ(weftd_->Stop(), 0) << weftd_->stderr_text();
  EXPECT_TRUE(http.ClosedWithin(absl::Seconds(5)));
  weftd_.reset();
}

TEST_F(HttpE2eTest, RestRoutesFromMethodOptionsAndConfig) {
  StartWeftd(R"(http { rest { call: "demo.Calculator.Add" method: "GET" path: "/add" } })");
  RawHttp http(port_);
  auto get = [&](absl::string_view target) {
    http.Request(absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: t\r\n\r\n"),
                 ph::HttpMethod::kGet);
    return http.Next();
  };
  // demo.Calculator.Add's option: get "/v1/calculator/add/{a}/{b}".
  std::optional<Response> r = get("/v1/calculator/add/2/3");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->content_type, "application/json");
  EXPECT_EQ(r->body, R"({"sum":"5"})");
  // The config's route: fields from the query string.
  r = get("/add?a=40&b=2");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, R"({"sum":"42"})");
  // Divide's option: post "/v1/calculator/divide" with the whole request as the body.
  http.Request(Post("/v1/calculator/divide", R"({"dividend":7,"divisor":2})"));
  r = http.Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"quotient":"3","remainder":"1"})");
  // Errors through the one status table, in google.rpc.Status's JSON shape.
  http.Request(Post("/v1/calculator/divide", R"({"dividend":7,"divisor":0})"));
  r = http.Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->body, R"({"code":3,"status":"INVALID_ARGUMENT","message":"division by zero"})");
  r = get("/v1/calculator/add/x/3");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(absl::StrContains(r->body, "'x' is not an int64")) << r->body;
  r = get("/add?c=1");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(absl::StrContains(r->body, "has no field 'c'")) << r->body;
  http.Request(Post("/v1/calculator/divide", "{not json"));
  r = http.Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
  // A known path with another method: 405 and Allow; an unknown path: 404.
  http.Request(Post("/v1/calculator/add/2/3", "{}"));
  r = http.Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 405);
  r = get("/v1/calculator/nothing");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 404);
}

TEST_F(HttpE2eTest, AServiceRegisteredAtRunTimeIsCallableAtOnce) {
  StartWeftd();
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const pid_t greeter = fork();
  if (greeter == 0) {
    dup2(out[1], 1);
    const std::string endpoint = weftd_->endpoint();
    execl("examples/greeter/greeter", "greeter", "--connect", endpoint.c_str(), nullptr);
    _exit(127);
  }
  close(out[1]);
  std::string printed;
  char buffer[256];
  ssize_t n;
  while (printed.find("registered") == std::string::npos &&
         (n = read(out[0], buffer, sizeof buffer)) > 0) {
    printed.append(buffer, n);
  }
  ASSERT_NE(printed.find("greeter: registered demo.Greeter"), std::string::npos) << printed;

  RawHttp http(port_);
  http.Request(Post("/jsonrpc", JsonRpc("demo.Greeter.SayHello", R"({"name":"Ada"})", 1)));
  std::optional<Response> r = http.Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, R"({"jsonrpc":"2.0","result":{"message":"Hello, Ada!"},"id":1})");
  // Its weft.v1.http option came with its descriptors.
  http.Request("GET /v1/greeter/hello/Grace%20Hopper HTTP/1.1\r\nHost: t\r\n\r\n",
               ph::HttpMethod::kGet);
  r = http.Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"message":"Hello, Grace Hopper!"})");

  kill(greeter, SIGTERM);
  int status = 0;
  waitpid(greeter, &status, 0);
  close(out[0]);
  // Gone with its connection: JSON-RPC says "Method not found", REST 404.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  std::optional<Response> after;
  do {
    http.Request("GET /v1/greeter/hello/Ada HTTP/1.1\r\nHost: t\r\n\r\n", ph::HttpMethod::kGet);
    after = http.Next();
    ASSERT_TRUE(after.has_value());
    // 503 while the routing snapshot still names the host that just left.
  } while (after->status != 404 && absl::Now() < deadline);
  EXPECT_EQ(after->status, 404);
  http.Request(Post("/jsonrpc", JsonRpc("demo.Greeter.SayHello", R"({"name":"Ada"})", 2)));
  r = http.Next();
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(absl::StrContains(r->body, R"("code":-32601)")) << r->body;
}

}  // namespace
}  // namespace weft::testing
