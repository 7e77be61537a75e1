// Loading the broker config: defaults, parsing, syntax errors with positions, files, the sample
// config and secrets. Validation rules are in config_validate_test.cc.
#include "broker/config.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "demo/greeter.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "weft/config/v1/config.pb.h"

namespace weft::broker {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;
using ::testing::Not;
using ::weft::config::v1::BrokerConfig;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

constexpr char kSecret[] = "s3cr3t-token-value-0123456789";

// Writes `contents` to a fresh file under the test's temporary directory with `mode`.
std::string WriteFile(const std::string& name, const std::string& contents, mode_t mode) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/config_test_", name);
  std::ofstream(path, std::ios::trunc) << contents;
  chmod(path.c_str(), mode);
  return path;
}

absl::Status ParseStatus(const std::string& text) {
  return ParseConfigText(text, "weft.conf").status();
}

TEST(ConfigTest, EmptyConfigIsTheEmbeddedDefault) {
  absl::StatusOr<BrokerConfig> config = ParseConfigText("", "empty.conf");
  ASSERT_THAT(config, IsOk());
  EXPECT_TRUE(MessageDifferencer::Equals(*config, DefaultConfig()))
      << config->DebugString() << "\nvs\n"
      << DefaultConfig().DebugString();
}

TEST(ConfigTest, DefaultListenersAreDesignPortsOnLoopback) {
  const BrokerConfig config = DefaultConfig();
  const auto& l = config.listeners();
  EXPECT_EQ(l.wire().endpoint(), "tcp:7700:interface=127.0.0.1");
  EXPECT_EQ(l.control().endpoint(), "tcp:7701:interface=127.0.0.1");
  EXPECT_EQ(l.http().endpoint(), "tcp:7780:interface=127.0.0.1");
  EXPECT_EQ(l.smtp().endpoint(), "tcp:7725:interface=127.0.0.1");
  EXPECT_EQ(l.imap().endpoint(), "tcp:7743:interface=127.0.0.1");
  EXPECT_EQ(l.pop3().endpoint(), "tcp:7710:interface=127.0.0.1");
  EXPECT_EQ(l.ssh().endpoint(), "tcp:7722:interface=127.0.0.1");
  EXPECT_EQ(l.irc().endpoint(), "tcp:7767:interface=127.0.0.1");
  for (const auto* listener :
       {&l.wire(), &l.control(), &l.http(), &l.smtp(), &l.imap(), &l.pop3(), &l.ssh(), &l.irc()}) {
    EXPECT_TRUE(listener->enabled());
    EXPECT_FALSE(listener->has_tls());
  }
}

TEST(ConfigTest, DefaultScalarsMatchTheDocs) {
  const BrokerConfig config = DefaultConfig();
  EXPECT_FALSE(config.node().empty());
  EXPECT_EQ(config.data_dir(), "./weft-data");
  EXPECT_EQ(config.loops(), std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
  EXPECT_EQ(config.wire().max_frame_bytes(), 4 * 1024 * 1024);
  EXPECT_EQ(config.wire().max_in_flight(), 1024);
  EXPECT_EQ(config.wire().idle_timeout_ms(), 300000);
  EXPECT_EQ(config.http().max_body_bytes(), 16 * 1024 * 1024);
  EXPECT_EQ(config.http().request_timeout_ms(), 30000);
  EXPECT_EQ(config.http().idle_timeout_ms(), 60000);
  EXPECT_EQ(config.http().max_pipelined(), 32);
  EXPECT_EQ(config.router().max_queue_depth(), 4096);
  EXPECT_EQ(config.router().default_call_timeout_ms(), 30000);
  EXPECT_FALSE(config.auth().require_auth());
  EXPECT_FALSE(config.auth().allow_insecure_public_bind());
  EXPECT_TRUE(config.auth().tokens().empty());
  EXPECT_EQ(config.store().sqlite().path(), "./weft-data/weft.db");
  EXPECT_EQ(config.logging().format(), config::v1::LOG_FORMAT_TEXT);
  EXPECT_EQ(config.logging().level(), config::v1::LOG_LEVEL_INFO);
  EXPECT_TRUE(config.routes().empty());
  EXPECT_TRUE(config.services().empty());
  EXPECT_THAT(ValidateConfig(config), IsOk());
}

// Every field with presence is set and no enum is UNSPECIFIED, except where absence has a
// meaning of its own (Listener.tls: no TLS; Route.durable: not durable; the store backend not
// chosen).
void ExpectResolved(const Message& message, const std::string& path) {
  const Descriptor& type = *message.GetDescriptor();
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* field = type.field(i);
    const std::string field_path = absl::StrCat(path, path.empty() ? "" : ".", field->name());
    if (field->is_repeated()) {
      const int n = message.GetReflection()->FieldSize(message, field);
      for (int j = 0; j < n && field->message_type() != nullptr; ++j) {
        ExpectResolved(message.GetReflection()->GetRepeatedMessage(message, field, j),
                       absl::StrCat(field_path, "[", j, "]"));
      }
      continue;
    }
    const bool in_real_oneof = field->real_containing_oneof() != nullptr;
    if (field->name() == "tls" || field->name() == "durable" || in_real_oneof) {
      if (!message.GetReflection()->HasField(message, field)) continue;
    }
    if (field->has_presence()) {
      EXPECT_TRUE(message.GetReflection()->HasField(message, field)) << field_path << " is unset";
    }
    if (field->enum_type() != nullptr) {
      EXPECT_NE(message.GetReflection()->GetEnumValue(message, field), 0) << field_path;
    }
    if (field->message_type() != nullptr && message.GetReflection()->HasField(message, field)) {
      ExpectResolved(message.GetReflection()->GetMessage(message, field), field_path);
    }
  }
}

TEST(ConfigTest, LoadedConfigsAreFullyResolved) {
  ExpectResolved(DefaultConfig(), "");
  absl::StatusOr<BrokerConfig> config =
      ParseConfigText("services { name: \"demo.Calculator\" }", "weft.conf");
  ASSERT_THAT(config, IsOk());
  ExpectResolved(*config, "");
  EXPECT_TRUE(config->services(0).enabled());
}

TEST(ConfigTest, ApplyDefaultsIsIdempotent) {
  const BrokerConfig once = DefaultConfig();
  EXPECT_TRUE(MessageDifferencer::Equals(ApplyDefaults(once), once));
}

TEST(ConfigTest, ExplicitValuesAreKeptAndTheRestDefaulted) {
  absl::StatusOr<BrokerConfig> config = ParseConfigText(R"pb(
                                                          data_dir: "/var/lib/weft/"
                                                          listeners { http { enabled: false } }
                                                          wire { idle_timeout_ms: 0 }
                                                          router { default_call_timeout_ms: 0 }
                                                        )pb",
                                                        "weft.conf");
  ASSERT_THAT(config, IsOk());
  EXPECT_FALSE(config->listeners().http().enabled());
  EXPECT_EQ(config->listeners().http().endpoint(), "tcp:7780:interface=127.0.0.1");
  EXPECT_TRUE(config->listeners().wire().enabled());
  // An explicit zero is a value ("never", "no deadline"), not "use the default".
  EXPECT_EQ(config->wire().idle_timeout_ms(), 0);
  EXPECT_EQ(config->router().default_call_timeout_ms(), 0);
  EXPECT_EQ(config->wire().max_in_flight(), 1024);
  EXPECT_EQ(config->store().sqlite().path(), "/var/lib/weft/weft.db");
}

TEST(ConfigTest, FullSampleParses) {
  const std::string tokens = WriteFile("full_tokens", absl::StrCat(kSecret, "\n"), 0600);
  absl::StatusOr<BrokerConfig> config = ParseConfigText(
      absl::StrCat(R"pb(
                     node: "broker-1"
                     data_dir: "/var/lib/weft"
                     loops: 4
                     listeners {
                       wire { endpoint: "tcp:9700:interface=0.0.0.0:backlog=512" }
                       control {
                         endpoint: "tcp:9701:interface=[::1]"
                         tls { cert_file: "c.pem" key_file: "k.pem" client_ca_file: "ca.pem" }
                       }
                       http { endpoint: "tls:9443:interface=0.0.0.0:cert=c.pem:key=k.pem" }
                       smtp {
                         endpoint: "tcp:2525:interface=0.0.0.0"
                         tls { cert_file: "c.pem" key_file: "k.pem" starttls: true }
                       }
                       imap { enabled: false }
                       pop3 { enabled: false }
                       ssh { endpoint: "tcp:2222" }
                       irc { endpoint: "unix:/run/weft/irc.sock" }
                     }
                     wire { max_frame_bytes: 1048576 max_in_flight: 64 idle_timeout_ms: 60000 }
                     router { max_queue_depth: 100 default_call_timeout_ms: 5000 }
                     auth { token_file: ")pb",
                   tokens, R"pb(" }
                                store { postgres { conninfo: "host=db dbname=weft" } }
                                logging { format: LOG_FORMAT_JSON level: LOG_LEVEL_DEBUG }
                                routes { target: "demo.Calculator" service: "demo.CalculatorV2" }
                                routes { target: "demo.Calculator/Divide" topic: "audit.divisions" }
                                services { name: "demo.Calculator" }
                                services { name: "demo.Counter" enabled: false }
      )pb"),
      "full.conf");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->node(), "broker-1");
  EXPECT_EQ(config->loops(), 4);
  EXPECT_EQ(config->listeners().wire().endpoint(), "tcp:9700:interface=0.0.0.0:backlog=512");
  EXPECT_TRUE(config->listeners().smtp().tls().starttls());
  EXPECT_FALSE(config->listeners().imap().enabled());
  EXPECT_EQ(config->wire().max_in_flight(), 64);
  EXPECT_EQ(config->router().max_queue_depth(), 100);
  EXPECT_TRUE(config->auth().require_auth());  // Public binds, unset: defaults to true.
  EXPECT_EQ(config->store().postgres().conninfo(), "host=db dbname=weft");
  EXPECT_FALSE(config->store().has_sqlite());
  EXPECT_EQ(config->logging().format(), config::v1::LOG_FORMAT_JSON);
  ASSERT_EQ(config->routes_size(), 2);
  EXPECT_EQ(config->routes(1).topic(), "audit.divisions");
  EXPECT_TRUE(config->services(0).enabled());
  EXPECT_FALSE(config->services(1).enabled());
  ExpectResolved(*config, "");
}

TEST(ConfigTest, UnknownFieldNamesFileLineAndColumn) {
  EXPECT_THAT(ParseStatus("node: \"a\"\nlisener {\n}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "config: weft.conf:2:1: unknown field \"lisener\"; did you mean "
                       "\"listeners\"?"));
  EXPECT_THAT(ParseStatus("listeners {\n  wire {\n    endpiont: \"tcp:1\"\n  }\n}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "config: weft.conf:3:5: unknown field \"endpiont\"; did you mean "
                       "\"endpoint\"?"));
  EXPECT_THAT(ParseStatus("colour: 1"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "config: weft.conf:1:1: unknown field \"colour\""));
}

TEST(ConfigTest, SyntaxErrorsNameLineAndColumn) {
  const struct {
    std::string text;
    std::string message;
  } cases[] = {
      {"listeners {\n  wire {\n", "config: weft.conf:3:1: expected identifier, found end of input"},
      {"listeners }", "config: weft.conf:1:11: expected \"{\", found \"}\""},
      {"loops: \"four\"", "config: weft.conf:1:8: expected integer"},
      {"loops: 99999999999", "config: weft.conf:1:8: integer out of range (99999999999)"},
      {"logging {\n  format: JSONN\n}",
       "config: weft.conf:2:11: unknown value \"JSONN\" for field \"format\"; expected one of "
       "LOG_FORMAT_TEXT, LOG_FORMAT_JSON"},
      {"listeners { wire { enabled: maybe } }",
       "config: weft.conf:1:29: invalid value \"maybe\" for boolean field \"enabled\"; expected "
       "true or false"},
      {"node: \"a\"\nnode: \"b\"", "config: weft.conf:2:1: field \"node\" is set more than once"},
      {"store { sqlite {} postgres {} }",
       "config: weft.conf:1:19: fields \"sqlite\" and \"postgres\" are both set; set only one of "
       "them (oneof \"backend\")"},
      {"node: \"a\\q\"", "config: weft.conf:1:10: invalid escape sequence in string literal"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_THAT(ParseStatus(c.text), StatusIs(absl::StatusCode::kInvalidArgument, c.message));
  }
}

TEST(ConfigTest, ValidationErrorsFromTextNameThePosition) {
  EXPECT_THAT(ParseStatus("listeners {\n  wire {\n    endpoint: \"tcp:x\"\n  }\n}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "config: weft.conf:3:5: listeners.wire.endpoint: endpoint 'tcp:x': port "
                       "'x' is not a number from 0 to 65535"));
  EXPECT_THAT(ParseStatus("\nroutes { target: \"a.B\" service: \"c.D\" }\nroutes { target: \"a.B\" "
                          "topic: \"t\" }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "config: weft.conf:3:10: routes[1].target: 'a.B' is already routed by "
                       "routes[0]"));
  // A problem with a defaulted field has no position in the file.
  EXPECT_THAT(ParseStatus("listeners { wire { endpoint: \"tcp:7780\" } }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "config: weft.conf: listeners.http.endpoint: 127.0.0.1:7780 conflicts "
                       "with listeners.wire, which binds 127.0.0.1:7780"));
  EXPECT_THAT(ParseConfigText("loops: -1", ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "config: <text>:1:1: loops: -1 is not in 0..1024"));
}

TEST(ConfigTest, SyntaxErrorsNeverEchoASecret) {
  const std::string texts[] = {
      absl::StrCat("auth { tokens: ", kSecret, " }"),               // Unquoted.
      absl::StrCat("auth { tokens \"", kSecret, "\" }"),            // Missing colon.
      absl::StrCat("auth { tokens: [\"x\", ", kSecret, "] }"),      // Unquoted in a list.
      absl::StrCat("auth { tokens: \"x\" s3cr3tTokenValue0123 }"),  // Stray word.
      absl::StrCat("store { postgres { conninfo: password=", kSecret, " } }"),
  };
  for (const std::string& text : texts) {
    SCOPED_TRACE(text);
    const absl::Status status = ParseStatus(text);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("weft.conf:1:")));
    EXPECT_THAT(std::string(status.message()), Not(HasSubstr("s3cr3t")));
  }
}

TEST(ConfigTest, MissingFileIsNotFoundNamingIt) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/no-such.conf");
  EXPECT_THAT(LoadConfigFile(path), StatusIs(absl::StatusCode::kNotFound,
                                             absl::StrCat("config: ", path, ": no such file")));
}

TEST(ConfigTest, DirectoryIsNotAConfigFile) {
  EXPECT_THAT(LoadConfigFile(::testing::TempDir()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a regular file")));
}

TEST(ConfigTest, FileErrorsUseThePathAsSource) {
  const std::string path =
      WriteFile("typo.conf", "\n\nlisteners { wire { endpiont: \"x\" } }\n", 0644);
  EXPECT_THAT(
      LoadConfigFile(path),
      StatusIs(absl::StatusCode::kInvalidArgument,
               absl::StrCat("config: ", path,
                            ":3:20: unknown field \"endpiont\"; did you mean \"endpoint\"?")));
}

TEST(ConfigTest, WorldReadableFileWithTokensIsRejectedWithoutEchoingThem) {
  const std::string text = absl::StrCat("auth { tokens: \"", kSecret, "\" }");
  const absl::Status status = LoadConfigFile(WriteFile("public_tokens.conf", text, 0644)).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("auth.tokens: holds a secret, but the file is readable by "
                                         "other users (mode 0644)")));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("s3cr3t")));
  EXPECT_THAT(LoadConfigFile(WriteFile("private_tokens.conf", text, 0600)), IsOk());
}

TEST(ConfigTest, WorldReadableFileWithPostgresPasswordIsRejected) {
  for (const std::string& conninfo : {absl::StrCat("host=db password=", kSecret),
                                      absl::StrCat("postgresql://weft:", kSecret, "@db/weft")}) {
    const absl::Status status =
        LoadConfigFile(
            WriteFile("pg.conf",
                      absl::StrCat("store { postgres { conninfo: \"", conninfo, "\" } }"), 0644))
            .status();
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                                 HasSubstr("store.postgres.conninfo: holds a secret")));
    EXPECT_THAT(std::string(status.message()), Not(HasSubstr("s3cr3t")));
  }
  EXPECT_THAT(LoadConfigFile(WriteFile(
                  "pg_nopw.conf", "store { postgres { conninfo: \"host=db user=weft\" } }", 0644)),
              IsOk());
}

TEST(ConfigTest, RedactSecretsHidesTokensAndConninfo) {
  BrokerConfig config = DefaultConfig();
  config.mutable_auth()->add_tokens(kSecret);
  config.mutable_store()->mutable_postgres()->set_conninfo(absl::StrCat("password=", kSecret));
  const BrokerConfig redacted = RedactSecrets(config);
  EXPECT_THAT(redacted.DebugString(), Not(HasSubstr("s3cr3t")));
  EXPECT_EQ(redacted.auth().tokens(0), "<redacted>");
  EXPECT_EQ(redacted.store().postgres().conninfo(), "<redacted>");
}

// demo.Greeter is linked in (as into weftd), so webhook routes can target it.
const bool kGreeterLinked = demo::Greeter::descriptor() != nullptr;
constexpr char kWebhookRoute[] =
    R"pb(routes {
           target: "demo.Greeter"
           webhook {
             url: "http://127.0.0.1:9/greet"
             headers { name: "Authorization" value: "Bearer s3cr3t-token-value-0123456789" }
           }
         })pb";

TEST(ConfigTest, WebhookDefaultsMatchTheDocs) {
  ASSERT_TRUE(kGreeterLinked);
  absl::StatusOr<BrokerConfig> config = ParseConfigText(kWebhookRoute, "");
  ASSERT_THAT(config, IsOk());
  const config::v1::Webhook& webhook = config->routes(0).webhook();
  EXPECT_EQ(webhook.timeout_ms(), 10000);
  EXPECT_EQ(webhook.max_attempts(), 3);
  EXPECT_EQ(webhook.initial_backoff_ms(), 100);
  EXPECT_EQ(webhook.max_backoff_ms(), 5000);
  EXPECT_EQ(webhook.ca_file(), "");
  // max_backoff_ms follows a larger initial_backoff_ms.
  absl::StatusOr<BrokerConfig> slow = ParseConfigText(
      R"pb(routes {
             target: "demo.Greeter"
             webhook { url: "http://h/" initial_backoff_ms: 9000 }
           })pb",
      "");
  ASSERT_THAT(slow, IsOk());
  EXPECT_EQ(slow->routes(0).webhook().max_backoff_ms(), 9000);
}

TEST(ConfigTest, WorldReadableFileWithWebhookHeadersIsRejected) {
  const absl::Status status =
      LoadConfigFile(WriteFile("public_webhook.conf", kWebhookRoute, 0644)).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("routes[0].webhook.headers: holds a secret")));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("s3cr3t")));
  EXPECT_THAT(LoadConfigFile(WriteFile("private_webhook.conf", kWebhookRoute, 0600)), IsOk());
}

TEST(ConfigTest, RedactSecretsHidesWebhookHeaderValues) {
  absl::StatusOr<BrokerConfig> config = ParseConfigText(kWebhookRoute, "");
  ASSERT_THAT(config, IsOk());
  const BrokerConfig redacted = RedactSecrets(*config);
  EXPECT_THAT(redacted.DebugString(), Not(HasSubstr("s3cr3t")));
  EXPECT_EQ(redacted.routes(0).webhook().headers(0).name(), "Authorization");
  EXPECT_EQ(redacted.routes(0).webhook().headers(0).value(), "<redacted>");
}

TEST(ConfigTest, UnknownFieldInWebhookHeaderIsNotEchoed) {
  const absl::Status status = ParseConfigText(R"pb(routes {
                                                     target: "demo.Greeter"
                                                     webhook {
                                                       url: "http://h/"
                                                       headers { Bearer_s3cr3t: "x" }
                                                     }
                                                   })pb",
                                              "")
                                  .status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("unknown field in WebhookHeader (not shown")));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("s3cr3t")));
}

TEST(ConfigTest, LoadAuthTokensReadsInlineThenFile) {
  const std::string file =
      WriteFile("tokens", "# ops\n\n  file-token-0123456789  \nfile-token-abcdefghij\n", 0640);
  config::v1::AuthConfig auth;
  auth.add_tokens("inline-token-0123456789");
  auth.set_token_file(file);
  EXPECT_THAT(LoadAuthTokens(auth),
              ::weft::testing::IsOkAndHolds(::testing::ElementsAre(
                  "inline-token-0123456789", "file-token-0123456789", "file-token-abcdefghij")));
  auth.set_token_file(WriteFile("tokens_public", "file-token-0123456789\n", 0644));
  EXPECT_THAT(LoadAuthTokens(auth),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("config: auth.token_file: ")));
}

TEST(ConfigTest, ListenerEndpointMergesTlsSettings) {
  config::v1::Listener listener;
  listener.set_endpoint("tcp:7700:interface=0.0.0.0");
  listener.mutable_tls()->set_cert_file("c.pem");
  listener.mutable_tls()->set_key_file("k.pem");
  listener.mutable_tls()->set_client_ca_file("ca.pem");
  absl::StatusOr<reactor::ServerEndpoint> endpoint = ListenerEndpoint(listener);
  ASSERT_THAT(endpoint, IsOk());
  EXPECT_EQ(endpoint->kind, reactor::EndpointKind::kTls);
  EXPECT_EQ(endpoint->port, 7700);
  EXPECT_EQ(endpoint->tls.ca_file, "ca.pem");

  listener.mutable_tls()->set_starttls(true);
  endpoint = ListenerEndpoint(listener);
  ASSERT_THAT(endpoint, IsOk());
  EXPECT_EQ(endpoint->kind, reactor::EndpointKind::kTcp);

  listener.set_endpoint("tcp:x");
  EXPECT_THAT(ListenerEndpoint(listener), StatusIs(absl::StatusCode::kInvalidArgument));
}

// --- The sample config (examples/weft.conf) ---------------------------------------------------

constexpr char kSamplePath[] = "examples/weft.conf";

TEST(ConfigSampleTest, SampleLoadsAndIsTheDefault) {
  absl::StatusOr<BrokerConfig> config = LoadConfigFile(kSamplePath);
  ASSERT_THAT(config, IsOk());
  EXPECT_TRUE(MessageDifferencer::Equals(*config, DefaultConfig()))
      << "examples/weft.conf must show the defaults:\n"
      << config->DebugString();
}

void CollectFieldNames(const Descriptor& type, std::vector<std::string>& names,
                       std::vector<const Descriptor*>& seen) {
  if (std::find(seen.begin(), seen.end(), &type) != seen.end()) return;
  seen.push_back(&type);
  for (int i = 0; i < type.field_count(); ++i) {
    names.push_back(type.field(i)->name());
    if (type.field(i)->message_type() != nullptr) {
      CollectFieldNames(*type.field(i)->message_type(), names, seen);
    }
  }
}

TEST(ConfigSampleTest, SampleShowsEveryField) {
  std::ifstream in(kSamplePath);
  const std::string sample((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(sample.empty());
  std::vector<std::string> names;
  std::vector<const Descriptor*> seen;
  CollectFieldNames(*BrokerConfig::descriptor(), names, seen);
  for (const std::string& name : names) {
    EXPECT_TRUE(absl::StrContains(sample, name + ":") || absl::StrContains(sample, name + " {"))
        << "examples/weft.conf does not show field '" << name << "'";
  }
}

}  // namespace
}  // namespace weft::broker
