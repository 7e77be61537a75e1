// ValidateConfig: every rule of docs/configuration.md "Validation", with its exact message.
#include <sys/stat.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker/config.h"
#include "demo/greeter.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "weft/config/v1/config.pb.h"

namespace weft::broker {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::weft::config::v1::BrokerConfig;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

constexpr char kSecret[] = "s3cr3t-token-value-0123456789";

// Validates the config written as `text` (which must parse).
absl::Status Validate(const std::string& text) {
  BrokerConfig raw;
  if (!google::protobuf::TextFormat::ParseFromString(text, &raw)) {
    return absl::InternalError("test config does not parse");
  }
  return ValidateConfig(raw);
}

std::string WriteFile(const std::string& name, const std::string& contents, mode_t mode) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/config_validate_test_", name);
  std::ofstream(path, std::ios::trunc) << contents;
  chmod(path.c_str(), mode);
  return path;
}

struct Case {
  std::string text;
  ::testing::Matcher<const std::string&> message;  // A string, or HasSubstr(...).
};

void ExpectErrors(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_THAT(Validate(c.text), StatusIs(absl::StatusCode::kInvalidArgument, c.message));
  }
}

TEST(ConfigValidateTest, RejectsBadScalars) {
  ExpectErrors({
      {R"pb(node: "")pb", "config: node: must not be empty"},
      {R"pb(node: "my node")pb",
       "config: node: 'my node' is not a node name (1 to 253 letters, digits, '.', '_' or '-', "
       "starting with a letter or digit)"},
      {R"pb(node: "-a")pb", HasSubstr("'-a' is not a node name")},
      {R"pb(data_dir: "")pb", "config: data_dir: must not be empty"},
      {R"pb(loops: -1)pb", "config: loops: -1 is not in 0..1024"},
      {R"pb(loops: 1025)pb", "config: loops: 1025 is not in 0..1024"},
  });
}

TEST(ConfigValidateTest, RejectsBadEndpoints) {
  ExpectErrors({
      {R"pb(listeners { wire { endpoint: "tcp:x" } })pb",
       "config: listeners.wire.endpoint: endpoint 'tcp:x': port 'x' is not a number from 0 to "
       "65535"},
      {R"pb(listeners { control { endpoint: "" } })pb",
       "config: listeners.control.endpoint: must not be empty"},
      {R"pb(listeners { http { endpoint: "tcp:7780:interface=localhost" } })pb",
       "config: listeners.http.endpoint: endpoint 'tcp:7780:interface=localhost': interface "
       "'localhost' is not a numeric IP address"},
      {R"pb(listeners { irc { endpoint: "udp:7767" } })pb",
       HasSubstr("config: listeners.irc.endpoint: endpoint 'udp:7767': unknown kind 'udp'")},
      // A disabled listener binds nothing but is still checked, so the file stays valid.
      {R"pb(listeners { smtp { enabled: false endpoint: "tcp:" } })pb",
       HasSubstr("config: listeners.smtp.endpoint: endpoint 'tcp:'")},
  });
}

TEST(ConfigValidateTest, RejectsDuplicateListenAddresses) {
  ExpectErrors({
      {R"pb(listeners { http { endpoint: "tcp:7700" } })pb",
       "config: listeners.http.endpoint: 127.0.0.1:7700 conflicts with listeners.wire, which "
       "binds 127.0.0.1:7700"},
      {R"pb(auth { allow_insecure_public_bind: true }
            listeners { wire { endpoint: "tcp:7780:interface=0.0.0.0" } })pb",
       "config: listeners.http.endpoint: 127.0.0.1:7780 conflicts with listeners.wire, which "
       "binds 0.0.0.0:7780"},
      {R"pb(auth { allow_insecure_public_bind: true }
            listeners { wire { endpoint: "tcp:7780:interface=[::]" } })pb",
       "config: listeners.http.endpoint: 127.0.0.1:7780 conflicts with listeners.wire, which "
       "binds [::]:7780"},
      {R"pb(listeners {
              wire { endpoint: "tcp:7700:interface=[::1]" }
              control { endpoint: "tcp:7700:interface=[0:0:0:0:0:0:0:1]" }
            })pb",
       "config: listeners.control.endpoint: [::1]:7700 conflicts with listeners.wire, which "
       "binds [::1]:7700"},
      {R"pb(listeners {
              wire { endpoint: "unix:/run/weft.sock" }
              irc { endpoint: "unix:address=/run/weft.sock" }
            })pb",
       "config: listeners.irc.endpoint: unix socket '/run/weft.sock' conflicts with "
       "listeners.wire, which binds unix socket '/run/weft.sock'"},
  });
}

TEST(ConfigValidateTest, AcceptsListenersThatDoNotOverlap) {
  EXPECT_THAT(Validate(R"pb(listeners {
                              wire { enabled: false }
                              http { endpoint: "tcp:7700" }
                            })pb"),
              IsOk());
  EXPECT_THAT(Validate(R"pb(listeners {
                              wire { endpoint: "tcp:0" }
                              control { endpoint: "tcp:0" }
                            })pb"),
              IsOk());
  EXPECT_THAT(Validate(R"pb(listeners {
                              wire { endpoint: "tcp:7700:interface=127.0.0.2" }
                              control { endpoint: "tcp:7700:interface=[::1]" }
                            })pb"),
              IsOk());
}

TEST(ConfigValidateTest, RejectsBadTlsSettings) {
  ExpectErrors({
      {R"pb(listeners { wire { tls { key_file: "k.pem" } } })pb",
       "config: listeners.wire.tls.cert_file: must be set with tls"},
      {R"pb(listeners { wire { tls { cert_file: "c.pem" } } })pb",
       "config: listeners.wire.tls.key_file: must be set with tls"},
      {R"pb(listeners { wire { tls { cert_file: "c" key_file: "k" starttls: true } } })pb",
       "config: listeners.wire.tls.starttls: only smtp, imap and pop3 support STARTTLS"},
      {R"pb(listeners { ssh { tls { cert_file: "c" key_file: "k" } } })pb",
       "config: listeners.ssh.tls: ssh does not use TLS"},
      {R"pb(listeners { ssh { endpoint: "tls:7722:cert=c:key=k" } })pb",
       "config: listeners.ssh.endpoint: ssh does not use TLS; use a tcp: endpoint"},
      {R"pb(listeners {
              http {
                endpoint: "tls:7443:cert=c:key=k"
                tls { cert_file: "c" key_file: "k" }
              }
            })pb",
       "config: listeners.http.tls: the endpoint is tls: already; set TLS in the endpoint or "
       "here, not both"},
      {R"pb(listeners {
              wire {
                endpoint: "unix:/run/w.sock"
                tls { cert_file: "c" key_file: "k" }
              }
            })pb",
       "config: listeners.wire.tls: TLS over a unix: endpoint is not supported"},
  });
  EXPECT_THAT(
      Validate(R"pb(listeners { imap { tls { cert_file: "c" key_file: "k" starttls: true } } })pb"),
      IsOk());
}

TEST(ConfigValidateTest, PublicBindNeedsAuth) {
  ExpectErrors({
      {R"pb(listeners { http { endpoint: "tcp:7780:interface=0.0.0.0" } })pb",
       "config: listeners.http.endpoint: binds 0.0.0.0:7780, which is not loopback, so auth is "
       "required, but no credentials are configured; set auth.tokens or auth.token_file, require "
       "client certificates (listeners.http.tls.client_ca_file), or set "
       "auth.allow_insecure_public_bind"},
      {R"pb(auth { require_auth: false tokens: "0123456789abcdef" }
            listeners { wire { endpoint: "tcp:7700:interface=10.1.2.3" } })pb",
       "config: listeners.wire.endpoint: binds 10.1.2.3:7700, which is not loopback, but "
       "auth.require_auth is false; set auth.require_auth with auth.tokens or auth.token_file, "
       "require client certificates (listeners.wire.tls.client_ca_file), or set "
       "auth.allow_insecure_public_bind"},
      {R"pb(listeners { control { endpoint: "tcp:7701:interface=[::]" } })pb",
       HasSubstr("config: listeners.control.endpoint: binds [::]:7701, which is not loopback")},
      {R"pb(auth { require_auth: true })pb",
       "config: auth.require_auth: is true but no credentials are configured; set auth.tokens "
       "or auth.token_file"},
  });
}

TEST(ConfigValidateTest, PublicBindWithAuthOrOptOutIsAccepted) {
  const std::string public_http =
      R"pb(listeners { http { endpoint: "tcp:7780:interface=0.0.0.0" } })pb";
  EXPECT_THAT(Validate(public_http + R"pb(auth { tokens: "0123456789abcdef" })pb"), IsOk());
  EXPECT_THAT(Validate(public_http + R"pb(auth { allow_insecure_public_bind: true })pb"), IsOk());
  // Client certificates authenticate, in a tls block or in the endpoint.
  EXPECT_THAT(Validate(R"pb(listeners {
                              http {
                                endpoint: "tcp:7780:interface=0.0.0.0"
                                tls { cert_file: "c" key_file: "k" client_ca_file: "ca" }
                              }
                            })pb"),
              IsOk());
  EXPECT_THAT(Validate(R"pb(listeners {
                              http { endpoint: "tls:7780:interface=0.0.0.0:cert=c:key=k:ca=ca" }
                            })pb"),
              IsOk());
  // Loopback in any spelling, Unix sockets and disabled listeners need nothing.
  EXPECT_THAT(Validate(R"pb(listeners {
                              wire { endpoint: "tcp:7700:interface=127.1.2.3" }
                              control { endpoint: "tcp:7701:interface=[::ffff:127.0.0.1]" }
                              http { endpoint: "unix:/run/weft-http.sock" }
                              irc { enabled: false endpoint: "tcp:6667:interface=0.0.0.0" }
                            })pb"),
              IsOk());
}

TEST(ConfigValidateTest, RejectsBadInlineTokensWithoutEchoingThem) {
  ExpectErrors({
      {R"pb(auth { tokens: "" })pb", "config: auth.tokens[0]: token is empty"},
      {R"pb(auth { tokens: "0123456789abcdef" tokens: "s3cr3t" })pb",
       "config: auth.tokens[1]: token is shorter than 16 characters"},
      {absl::StrCat("auth { tokens: \"", std::string(4097, 'x'), "\" }"),
       "config: auth.tokens[0]: token is longer than 4096 characters"},
      {R"pb(auth { tokens: "s3cr3t token value 0123" })pb",
       "config: auth.tokens[0]: token has a space, a control or a non-ASCII character"},
  });
}

TEST(ConfigValidateTest, RejectsBadTokenFilesWithoutEchoingThem) {
  const std::string missing = absl::StrCat(::testing::TempDir(), "/no-such-tokens");
  const std::string readable = WriteFile("readable", absl::StrCat(kSecret, "\n"), 0644);
  const std::string writable = WriteFile("writable", absl::StrCat(kSecret, "\n"), 0602);
  const std::string empty = WriteFile("empty", "# nothing yet\n\n", 0600);
  const std::string bad_line =
      WriteFile("bad_line", absl::StrCat("# ops\n", kSecret, "\ns3cr3t\n"), 0600);
  const auto file = [](const std::string& path) {
    return absl::StrCat("auth { token_file: \"", path, "\" }");
  };
  ExpectErrors({
      {file(missing), absl::StrCat("config: auth.token_file: '", missing, "' does not exist")},
      {file(readable),
       absl::StrCat("config: auth.token_file: '", readable,
                    "' is readable or writable by other users (mode 0644); run chmod o-rwx on it")},
      {file(writable), HasSubstr("is readable or writable by other users (mode 0602)")},
      {file(::testing::TempDir()), HasSubstr("' is not a regular file")},
      {file(empty), absl::StrCat("config: auth.token_file: '", empty, "' holds no tokens")},
      {file(bad_line), absl::StrCat("config: auth.token_file: '", bad_line,
                                    "' line 3: token is shorter than 16 characters")},
  });
  for (const std::string& path : {readable, bad_line}) {
    EXPECT_THAT(std::string(Validate(file(path)).message()), Not(HasSubstr("s3cr3t")));
  }
  EXPECT_THAT(Validate(file(WriteFile("good", absl::StrCat(kSecret, "\n"), 0640))), IsOk());
}

TEST(ConfigValidateTest, RejectsLimitsOutOfRange) {
  ExpectErrors({
      {R"pb(wire { max_frame_bytes: 100 })pb",
       "config: wire.max_frame_bytes: 100 is not in 1024..67108864"},
      {R"pb(wire { max_in_flight: 0 })pb", "config: wire.max_in_flight: 0 is not in 1..65536"},
      {R"pb(wire { idle_timeout_ms: -1 })pb",
       "config: wire.idle_timeout_ms: -1 is not in 0..86400000"},
      {R"pb(http { max_body_bytes: 10 })pb",
       "config: http.max_body_bytes: 10 is not in 1024..1073741824"},
      {R"pb(http { request_timeout_ms: 0 })pb",
       "config: http.request_timeout_ms: 0 is not in 100..3600000"},
      {R"pb(http { idle_timeout_ms: 99 })pb",
       "config: http.idle_timeout_ms: 99 is not in 100..86400000"},
      {R"pb(http { max_pipelined: 2000 })pb", "config: http.max_pipelined: 2000 is not in 1..1024"},
      {R"pb(http { rest { call: "Add" method: "GET" path: "/a" } })pb",
       "config: http.rest[0].call: 'Add' is not a method's full name (pkg.Service.Method)"},
      {R"pb(http { rest { call: "demo.Calculator.Add" method: "get" path: "/a" } })pb",
       "config: http.rest[0].method: 'get' is not GET, PUT, POST, DELETE or PATCH"},
      {R"pb(http { rest { call: "demo.Calculator.Add" method: "GET" path: "/a/{b" } })pb",
       "config: http.rest[0].path: path template '/a/{b': unclosed '{' or text after '}'"},
      {R"pb(router { max_queue_depth: 0 })pb",
       "config: router.max_queue_depth: 0 is not in 1..1048576"},
      {R"pb(router { default_call_timeout_ms: -5 })pb",
       "config: router.default_call_timeout_ms: -5 is not in 0..86400000"},
  });
}

TEST(ConfigValidateTest, RejectsBadStoreAndLogging) {
  ExpectErrors({
      {R"pb(store { sqlite { path: "" } })pb", "config: store.sqlite.path: must not be empty"},
      {R"pb(store { postgres {} })pb", "config: store.postgres.conninfo: must not be empty"},
      {R"pb(logging { format: 7 })pb",
       "config: logging.format: 7 is not one of LOG_FORMAT_TEXT, LOG_FORMAT_JSON"},
      {R"pb(logging { level: 9 })pb",
       "config: logging.level: 9 is not one of LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, "
       "LOG_LEVEL_WARNING, LOG_LEVEL_ERROR"},
  });
}

TEST(ConfigValidateTest, RejectsBadRoutes) {
  ExpectErrors({
      {R"pb(routes { service: "a.B" })pb", "config: routes[0].target: must not be empty"},
      {R"pb(routes { target: "demo.*" service: "a.B" })pb",
       "config: routes[0].target: 'demo.*' is not a route target; expected 'pkg.Service', "
       "'pkg.Service.Method' or 'pkg.Service/Method'"},
      {R"pb(routes { target: "demo.Calc/" service: "a.B" })pb",
       HasSubstr("'demo.Calc/' is not a route target")},
      {R"pb(routes { target: "a.B" service: "c.D" }
            routes { target: "a.B" topic: "t" })pb",
       "config: routes[1].target: 'a.B' is already routed by routes[0]"},
      {R"pb(routes { target: "a.B" })pb",
       "config: routes[0]: has no destination; set service, topic or webhook"},
      {R"pb(routes { target: "a.B" service: "" })pb",
       "config: routes[0].service: must not be empty"},
      {R"pb(routes { target: "a.B" service: "c..D" })pb",
       "config: routes[0].service: 'c..D' is not a service name (like demo.Calculator)"},
      {R"pb(routes { target: "a.B" topic: "" })pb", "config: routes[0].topic: must not be empty"},
      {R"pb(routes { target: "a.B" topic: "my topic" })pb",
       "config: routes[0].topic: 'my topic' has a space or a control character"},
  });
  EXPECT_THAT(Validate(R"pb(routes { target: "demo.Calculator.Add" service: "demo.CalcV2" }
                            routes { target: "demo.Calculator/Divide" topic: "audit.div" }
                            routes { target: "Bare" service: "Other" })pb"),
              IsOk());
}

// demo.Greeter is linked into this test (as into weftd), so webhook routes can target it.
const bool kGreeterLinked = demo::Greeter::descriptor() != nullptr;

// A webhook route for demo.Greeter with `fields` in its webhook block.
std::string WebhookRoute(absl::string_view fields) {
  return absl::StrCat("routes { target: \"demo.Greeter\" webhook { ", fields, " } }");
}

TEST(ConfigValidateTest, RejectsBadWebhookRoutes) {
  ASSERT_TRUE(kGreeterLinked);
  ExpectErrors({
      {WebhookRoute("url: ''"), "config: routes[0].webhook.url: must not be empty"},
      {WebhookRoute("url: 'ftp://h/x'"),
       "config: routes[0].webhook.url: url 'ftp://h/x': the scheme must be http:// or https://"},
      {WebhookRoute("url: 'http:///x'"),
       "config: routes[0].webhook.url: url 'http:///x': has no host"},
      {WebhookRoute("url: 'http://h:0/x'"),
       "config: routes[0].webhook.url: url 'http://h:0/x': port '0' is not a number from 1 to "
       "65535"},
      {WebhookRoute("url: 'http://h:/x'"), HasSubstr("port '' is not a number from 1 to 65535")},
      {WebhookRoute("url: 'https://h:99999'"), HasSubstr("port '99999' is not a number")},
      {WebhookRoute("url: 'http://h_x/'"), HasSubstr("host 'h_x' is not a host name")},
      {WebhookRoute("url: 'http://[::1/'"), HasSubstr("has an unclosed '['")},
      {WebhookRoute("url: 'http://[zz]/'"), HasSubstr("host 'zz' is not an IPv6 address")},
      {WebhookRoute("url: 'http://u:p@h/'"), HasSubstr("has user info")},
      {WebhookRoute("url: 'http://h/a b'"), HasSubstr("has a space or a control character")},
      {WebhookRoute("url: 'http://h/#x'"), HasSubstr("has a fragment")},
      {WebhookRoute("url: 'http://h/' timeout_ms: 0"),
       "config: routes[0].webhook.timeout_ms: 0 is not in 1..3600000"},
      {WebhookRoute("url: 'http://h/' max_attempts: 101"),
       "config: routes[0].webhook.max_attempts: 101 is not in 1..100"},
      {WebhookRoute("url: 'http://h/' initial_backoff_ms: 0"),
       "config: routes[0].webhook.initial_backoff_ms: 0 is not in 1..3600000"},
      {WebhookRoute("url: 'http://h/' initial_backoff_ms: 200 max_backoff_ms: 100"),
       "config: routes[0].webhook.max_backoff_ms: 100 is not in 200..3600000"},
      {WebhookRoute("url: 'http://h/' ca_file: 'ca.pem'"),
       "config: routes[0].webhook.ca_file: is only for https URLs"},
      {WebhookRoute("url: 'http://h/' headers { name: 'Bad Name' value: 'v' }"),
       "config: routes[0].webhook.headers[0].name: 'Bad Name' is not a field name (an RFC 9110 "
       "token)"},
      {WebhookRoute("url: 'http://h/' headers { name: '' value: 'v' }"),
       HasSubstr("headers[0].name: '' is not a field name")},
      {WebhookRoute("url: 'http://h/' headers { name: 'content-length' value: '1' }"),
       "config: routes[0].webhook.headers[0].name: 'content-length' is written by weftd itself"},
      {WebhookRoute("url: 'http://h/' headers { name: 'X-Weft-Method' value: '1' }"),
       HasSubstr("is written by weftd itself")},
      {WebhookRoute("url: 'http://h/' headers { name: 'A' value: 'ok' } "
                    "headers { name: 'B' value: 's3cr3t\\r\\nX: y' }"),
       "config: routes[0].webhook.headers[1].value: has CR, LF, NUL or another control "
       "character"},
      {"routes { target: 'demo.Greeter.SayHello' webhook { url: 'http://h/' } }",
       "config: routes[0].target: 'demo.Greeter.SayHello' is not a service compiled into weftd; "
       "a webhook route's target is a whole service ('pkg.Service')"},
      {"routes { target: 'demo.Greeter/SayHello' webhook { url: 'http://h/' } }",
       HasSubstr("is not a service compiled into weftd")},
      {"routes { target: 'no.Such' webhook { url: 'http://h/' } }",
       HasSubstr("'no.Such' is not a service compiled into weftd")},
      {"routes { target: 'demo.Greeter' webhook { url: 'http://h/' } durable {} }",
       "config: routes[0].durable: a webhook route cannot be durable (not supported yet)"},
      {"routes { target: 'demo.Greeter' webhook { url: 'http://h/' } } "
       "services { name: 'demo.Greeter' }",
       "config: routes[0].target: 'demo.Greeter' is hosted in process (services[0]); disable it "
       "there or drop the webhook"},
  });
  // The header value is a secret: never echoed.
  EXPECT_THAT(
      Validate(WebhookRoute("url: 'http://h/' headers { name: 'B' value: 's3cr3t\\n' }")).message(),
      Not(HasSubstr("s3cr3t")));
}

TEST(ConfigValidateTest, AcceptsWebhookRoutes) {
  EXPECT_THAT(Validate(WebhookRoute("url: 'https://api.example.org:8443/hooks/greet?v=1' "
                                    "timeout_ms: 2000 max_attempts: 1 initial_backoff_ms: 5 "
                                    "max_backoff_ms: 5 ca_file: 'ca.pem' "
                                    "headers { name: 'Authorization' value: 'Bearer x\\ty' }") +
                       " services { name: 'demo.Greeter' enabled: false }"),
              IsOk());
  EXPECT_THAT(Validate(WebhookRoute("url: 'http://[::1]'")), IsOk());
}

TEST(ConfigValidateTest, ParsesWebhookUrls) {
  absl::StatusOr<WebhookUrl> url = ParseWebhookUrl("http://127.0.0.1:8080/a/b?c=d");
  ASSERT_THAT(url.status(), IsOk());
  EXPECT_FALSE(url->tls);
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->path, "/a/b?c=d");
  EXPECT_EQ(url->authority, "127.0.0.1:8080");
  url = ParseWebhookUrl("https://api.example.org");
  ASSERT_THAT(url.status(), IsOk());
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->path, "/");
  EXPECT_EQ(url->authority, "api.example.org");
  url = ParseWebhookUrl("http://[::1]:81?q");
  ASSERT_THAT(url.status(), IsOk());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 81);
  EXPECT_EQ(url->path, "/?q");
  EXPECT_EQ(url->authority, "[::1]:81");
  url = ParseWebhookUrl("https://[::1]");
  ASSERT_THAT(url.status(), IsOk());
  EXPECT_EQ(url->authority, "[::1]");
  EXPECT_THAT(ParseWebhookUrl("http://[::1]x/").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected ':' after the IPv6 address")));
}

TEST(ConfigValidateTest, RejectsBadDurableRoutes) {
  ExpectErrors({
      {R"pb(routes {
              target: "a.B"
              topic: "t"
              durable {}
            })pb",
       "config: routes[0].durable: a durable route delivers to a service, not a topic"},
      {R"pb(routes {
              target: "a.B"
              durable { queue: "my queue" }
            })pb",
       "config: routes[0].durable.queue: 'my queue' has a space or a control character"},
      {R"pb(routes {
              target: "a.B"
              durable { max_attempts: 0 }
            })pb",
       "config: routes[0].durable.max_attempts: 0 is not in 1..1000000"},
      {R"pb(routes {
              target: "a.B"
              durable { initial_backoff_ms: 0 }
            })pb",
       "config: routes[0].durable.initial_backoff_ms: 0 is not in 1..86400000"},
      {R"pb(routes {
              target: "a.B"
              durable { initial_backoff_ms: 500 max_backoff_ms: 100 }
            })pb",
       "config: routes[0].durable.max_backoff_ms: 100 is not in 500..86400000"},
      {R"pb(routes {
              target: "a.B"
              durable { attempt_timeout_ms: -1 }
            })pb",
       "config: routes[0].durable.attempt_timeout_ms: -1 is not in 1..86400000"},
      {R"pb(routes {
              target: "a.B"
              durable { unordered: true max_in_flight: 0 }
            })pb",
       "config: routes[0].durable.max_in_flight: 0 is not in 1..65536"},
      {R"pb(routes {
              target: "a.B"
              durable { idempotency_metadata: "k" idempotency_field: "f" }
            })pb",
       "config: routes[0].durable.idempotency_field: set idempotency_metadata or "
       "idempotency_field, not both"},
      {R"pb(routes {
              target: "a.B"
              durable { idempotency_field: "a.b" }
            })pb",
       "config: routes[0].durable.idempotency_field: 'a.b' is not a field name"},
      {R"pb(routes {
              target: "a.B"
              durable { queue: "q" }
            }
            routes {
              target: "c.D"
              durable { queue: "q" }
            })pb",
       "config: routes[1].durable.queue: 'q' is already the queue of routes[0]"},
      {R"pb(store { idempotency_retention_ms: 5 })pb",
       "config: store.idempotency_retention_ms: 5 is not in 60000..31536000000"},
  });
  EXPECT_THAT(Validate(R"pb(routes {
                              target: "a.B"
                              durable {}
                            }
                            routes {
                              target: "c.D"
                              service: "e.F"
                              durable { queue: "d" }
                            })pb"),
              IsOk());
}

TEST(ConfigValidateTest, RejectsBadServices) {
  ExpectErrors({
      {R"pb(services {})pb", "config: services[0].name: must not be empty"},
      {R"pb(services { name: "demo.9Calc" })pb",
       "config: services[0].name: 'demo.9Calc' is not a service name (like demo.Calculator)"},
      {R"pb(services { name: "demo.Calculator" }
            services { name: "demo.Counter" }
            services { name: "demo.Calculator" enabled: false })pb",
       "config: services[2].name: 'demo.Calculator' is already listed as services[0]"},
  });
}

TEST(ConfigValidateTest, EchoedValuesAreEscaped) {
  EXPECT_THAT(Validate(R"pb(node: "a\nb")pb"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                        HasSubstr("'a\\nb' is not a node name")));
}

}  // namespace
}  // namespace weft::broker
