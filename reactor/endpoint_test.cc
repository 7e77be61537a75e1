#include "reactor/endpoint.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

// --- Server endpoints -------------------------------------------------------------------------

TEST(ParseServerEndpointTest, TcpPortDefaultsToLoopback) {
  absl::StatusOr<ServerEndpoint> endpoint = ParseServerEndpoint("tcp:7700");
  ASSERT_THAT(endpoint, IsOk());
  EXPECT_EQ(endpoint->kind, EndpointKind::kTcp);
  EXPECT_EQ(endpoint->port, 7700);
  EXPECT_EQ(endpoint->interface, "127.0.0.1");
  EXPECT_EQ(endpoint->backlog, 1024);
  EXPECT_FALSE(endpoint->reuse_port);
  EXPECT_THAT(endpoint->path, IsEmpty());
}

TEST(ParseServerEndpointTest, TcpWithEveryOption) {
  absl::StatusOr<ServerEndpoint> endpoint =
      ParseServerEndpoint("tcp:0:interface=0.0.0.0:backlog=16:reuseport=true");
  ASSERT_THAT(endpoint, IsOk());
  EXPECT_EQ(endpoint->kind, EndpointKind::kTcp);
  EXPECT_EQ(endpoint->port, 0);
  EXPECT_EQ(endpoint->interface, "0.0.0.0");
  EXPECT_EQ(endpoint->backlog, 16);
  EXPECT_TRUE(endpoint->reuse_port);
}

TEST(ParseServerEndpointTest, TcpPortAsNamedOption) {
  absl::StatusOr<ServerEndpoint> endpoint = ParseServerEndpoint("tcp:port=8080:interface=10.1.2.3");
  ASSERT_THAT(endpoint, IsOk());
  EXPECT_EQ(endpoint->port, 8080);
  EXPECT_EQ(endpoint->interface, "10.1.2.3");
}

TEST(ParseServerEndpointTest, KindIsCaseInsensitive) {
  absl::StatusOr<ServerEndpoint> endpoint = ParseServerEndpoint("TCP:80");
  ASSERT_THAT(endpoint, IsOk());
  EXPECT_EQ(endpoint->kind, EndpointKind::kTcp);
  EXPECT_EQ(endpoint->port, 80);
}

TEST(ParseServerEndpointTest, BracketedIpv6Interface) {
  absl::StatusOr<ServerEndpoint> endpoint = ParseServerEndpoint("tcp:7700:interface=[::1]");
  ASSERT_THAT(endpoint, IsOk());
  EXPECT_EQ(endpoint->interface, "::1");
  EXPECT_EQ(endpoint->port, 7700);
}

TEST(ParseServerEndpointTest, EscapedIpv6Interface) {
  absl::StatusOr<ServerEndpoint> endpoint = ParseServerEndpoint(R"(tcp:7700:interface=\:\:1)");
  ASSERT_THAT(endpoint, IsOk());
  EXPECT_EQ(endpoint->interface, "::1");
}

TEST(ParseServerEndpointTest, BooleanSpellings) {
  for (const char* yes : {"true", "TRUE", "1", "yes", "Yes"}) {
    absl::StatusOr<ServerEndpoint> endpoint =
        ParseServerEndpoint(absl::StrCat("tcp:1:reuseport=", yes));
    ASSERT_THAT(endpoint, IsOk()) << yes;
    EXPECT_TRUE(endpoint->reuse_port) << yes;
  }
  for (const char* no : {"false", "False", "0", "no"}) {
    absl::StatusOr<ServerEndpoint> endpoint =
        ParseServerEndpoint(absl::StrCat("tcp:1:reuseport=", no));
    ASSERT_THAT(endpoint, IsOk()) << no;
    EXPECT_FALSE(endpoint->reuse_port) << no;
  }
}

TEST(ParseServerEndpointTest, TlsWithEveryOption) {
  absl::StatusOr<ServerEndpoint> endpoint = ParseServerEndpoint(
      "tls:7443:interface=0.0.0.0:cert=server.pem:key=server.key:ca=ca.pem:alpn=h2,http/1.1:"
      "backlog=8");
  ASSERT_THAT(endpoint, IsOk());
  EXPECT_EQ(endpoint->kind, EndpointKind::kTls);
  EXPECT_EQ(endpoint->port, 7443);
  EXPECT_EQ(endpoint->interface, "0.0.0.0");
  EXPECT_EQ(endpoint->backlog, 8);
  EXPECT_EQ(endpoint->tls.cert_file, "server.pem");
  EXPECT_EQ(endpoint->tls.key_file, "server.key");
  EXPECT_EQ(endpoint->tls.ca_file, "ca.pem");
  EXPECT_THAT(endpoint->tls.alpn, ElementsAre("h2", "http/1.1"));
}

TEST(ParseServerEndpointTest, TlsAcceptsTwistedAliases) {
  absl::StatusOr<ServerEndpoint> endpoint =
      ParseServerEndpoint("ssl:443:certKey=c.pem:privateKey=k.pem:caCertsDir=/etc/ca");
  ASSERT_THAT(endpoint, IsOk());
  EXPECT_EQ(endpoint->kind, EndpointKind::kTls);
  EXPECT_EQ(endpoint->tls.cert_file, "c.pem");
  EXPECT_EQ(endpoint->tls.key_file, "k.pem");
  EXPECT_EQ(endpoint->tls.ca_file, "/etc/ca");
}

TEST(ParseServerEndpointTest, UnixPath) {
  absl::StatusOr<ServerEndpoint> endpoint = ParseServerEndpoint("unix:/run/weft.sock");
  ASSERT_THAT(endpoint, IsOk());
  EXPECT_EQ(endpoint->kind, EndpointKind::kUnix);
  EXPECT_EQ(endpoint->path, "/run/weft.sock");
  EXPECT_EQ(endpoint->backlog, 1024);
}

TEST(ParseServerEndpointTest, UnixWithBacklogAndAddressForm) {
  absl::StatusOr<ServerEndpoint> positional = ParseServerEndpoint("unix:/run/weft.sock:backlog=5");
  ASSERT_THAT(positional, IsOk());
  EXPECT_EQ(positional->path, "/run/weft.sock");
  EXPECT_EQ(positional->backlog, 5);
  absl::StatusOr<ServerEndpoint> named = ParseServerEndpoint("unix:address=/run/weft.sock");
  ASSERT_THAT(named, IsOk());
  EXPECT_EQ(named->kind, EndpointKind::kUnix);
  EXPECT_EQ(named->path, "/run/weft.sock");
}

TEST(ParseServerEndpointTest, UnixAbstractName) {
  absl::StatusOr<ServerEndpoint> endpoint = ParseServerEndpoint("unix:@weft");
  ASSERT_THAT(endpoint, IsOk());
  EXPECT_EQ(endpoint->path, "@weft");
}

TEST(ParseServerEndpointTest, EscapedCharactersInUnixPath) {
  absl::StatusOr<ServerEndpoint> endpoint = ParseServerEndpoint(R"(unix:/tmp/a\:b\\c\=d\[e\])");
  ASSERT_THAT(endpoint, IsOk());
  EXPECT_EQ(endpoint->path, R"(/tmp/a:b\c=d[e])");
}

// --- Client endpoints -------------------------------------------------------------------------

TEST(ParseClientEndpointTest, TcpHostPort) {
  absl::StatusOr<ClientEndpoint> endpoint = ParseClientEndpoint("tcp:example.org:80");
  ASSERT_THAT(endpoint, IsOk());
  EXPECT_EQ(endpoint->kind, EndpointKind::kTcp);
  EXPECT_EQ(endpoint->host, "example.org");
  EXPECT_EQ(endpoint->port, 80);
  EXPECT_EQ(endpoint->timeout, absl::Seconds(30));
}

TEST(ParseClientEndpointTest, TcpWithTimeout) {
  absl::StatusOr<ClientEndpoint> endpoint = ParseClientEndpoint("tcp:example.org:80:timeout=5");
  ASSERT_THAT(endpoint, IsOk());
  EXPECT_EQ(endpoint->timeout, absl::Seconds(5));
  absl::StatusOr<ClientEndpoint> fractional = ParseClientEndpoint("tcp:1.2.3.4:80:timeout=0.25");
  ASSERT_THAT(fractional, IsOk());
  EXPECT_EQ(fractional->timeout, absl::Milliseconds(250));
}

TEST(ParseClientEndpointTest, TcpNamedHostAndPort) {
  absl::StatusOr<ClientEndpoint> endpoint = ParseClientEndpoint("tcp:host=example.org:port=8080");
  ASSERT_THAT(endpoint, IsOk());
  EXPECT_EQ(endpoint->host, "example.org");
  EXPECT_EQ(endpoint->port, 8080);
}

TEST(ParseClientEndpointTest, Ipv6HostBracketedOrEscaped) {
  absl::StatusOr<ClientEndpoint> bracketed = ParseClientEndpoint("tcp:[::1]:80");
  ASSERT_THAT(bracketed, IsOk());
  EXPECT_EQ(bracketed->host, "::1");
  EXPECT_EQ(bracketed->port, 80);
  absl::StatusOr<ClientEndpoint> escaped = ParseClientEndpoint(R"(tcp:\:\:1:80)");
  ASSERT_THAT(escaped, IsOk());
  EXPECT_EQ(escaped->host, "::1");
  absl::StatusOr<ClientEndpoint> named = ParseClientEndpoint("tcp:host=[2001:db8::1]:port=443");
  ASSERT_THAT(named, IsOk());
  EXPECT_EQ(named->host, "2001:db8::1");
  EXPECT_EQ(named->port, 443);
}

TEST(ParseClientEndpointTest, TlsWithEveryOption) {
  absl::StatusOr<ClientEndpoint> endpoint = ParseClientEndpoint(
      "tls:example.org:443:ca=ca.pem:alpn=h2,http/1.1:sni=other.org:verify=false:timeout=2.5");
  ASSERT_THAT(endpoint, IsOk());
  EXPECT_EQ(endpoint->kind, EndpointKind::kTls);
  EXPECT_EQ(endpoint->host, "example.org");
  EXPECT_EQ(endpoint->port, 443);
  EXPECT_EQ(endpoint->tls.ca_file, "ca.pem");
  EXPECT_THAT(endpoint->tls.alpn, ElementsAre("h2", "http/1.1"));
  EXPECT_EQ(endpoint->tls.server_name, "other.org");
  EXPECT_FALSE(endpoint->tls.verify_peer);
  EXPECT_EQ(endpoint->timeout, absl::Milliseconds(2500));
}

TEST(ParseClientEndpointTest, TlsServerNameDefaultsToHost) {
  absl::StatusOr<ClientEndpoint> endpoint = ParseClientEndpoint("tls:example.org:443");
  ASSERT_THAT(endpoint, IsOk());
  EXPECT_EQ(endpoint->tls.server_name, "example.org");
  EXPECT_TRUE(endpoint->tls.verify_peer);
}

TEST(ParseClientEndpointTest, UnixPathWithTimeout) {
  absl::StatusOr<ClientEndpoint> endpoint = ParseClientEndpoint("unix:/run/weft.sock:timeout=1");
  ASSERT_THAT(endpoint, IsOk());
  EXPECT_EQ(endpoint->kind, EndpointKind::kUnix);
  EXPECT_EQ(endpoint->path, "/run/weft.sock");
  EXPECT_EQ(endpoint->timeout, absl::Seconds(1));
}

TEST(ParseClientEndpointTest, UnixNamedPath) {
  for (const char* text : {"unix:path=/run/weft.sock", "unix:address=/run/weft.sock"}) {
    absl::StatusOr<ClientEndpoint> endpoint = ParseClientEndpoint(text);
    ASSERT_THAT(endpoint, IsOk()) << text;
    EXPECT_EQ(endpoint->path, "/run/weft.sock") << text;
  }
}

// --- ToString round trips ---------------------------------------------------------------------

TEST(EndpointToStringTest, ServerCanonicalForms) {
  ServerEndpoint tcp;
  tcp.port = 7700;
  EXPECT_EQ(tcp.ToString(), "tcp:7700:interface=127.0.0.1");
  ServerEndpoint v6;
  v6.port = 80;
  v6.interface = "::1";
  EXPECT_EQ(v6.ToString(), "tcp:80:interface=[::1]");
  ServerEndpoint unix_endpoint;
  unix_endpoint.kind = EndpointKind::kUnix;
  unix_endpoint.path = "/run/weft.sock";
  EXPECT_EQ(unix_endpoint.ToString(), "unix:/run/weft.sock");
}

TEST(EndpointToStringTest, ClientCanonicalForms) {
  ClientEndpoint tcp;
  tcp.host = "example.org";
  tcp.port = 80;
  EXPECT_EQ(tcp.ToString(), "tcp:example.org:80");
  ClientEndpoint v6;
  v6.host = "::1";
  v6.port = 443;
  EXPECT_EQ(v6.ToString(), "tcp:[::1]:443");
}

void ExpectSameServer(const ServerEndpoint& a, const ServerEndpoint& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.interface, b.interface);
  EXPECT_EQ(a.port, b.port);
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.tls.cert_file, b.tls.cert_file);
  EXPECT_EQ(a.tls.key_file, b.tls.key_file);
  EXPECT_EQ(a.tls.ca_file, b.tls.ca_file);
  EXPECT_EQ(a.tls.alpn, b.tls.alpn);
  EXPECT_EQ(a.tls.server_name, b.tls.server_name);
  EXPECT_EQ(a.tls.verify_peer, b.tls.verify_peer);
}

void ExpectSameClient(const ClientEndpoint& a, const ClientEndpoint& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.host, b.host);
  EXPECT_EQ(a.port, b.port);
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.tls.cert_file, b.tls.cert_file);
  EXPECT_EQ(a.tls.key_file, b.tls.key_file);
  EXPECT_EQ(a.tls.ca_file, b.tls.ca_file);
  EXPECT_EQ(a.tls.alpn, b.tls.alpn);
  EXPECT_EQ(a.tls.server_name, b.tls.server_name);
  EXPECT_EQ(a.tls.verify_peer, b.tls.verify_peer);
}

// ToString() keeps the address and TLS settings (backlog, reuseport and timeout are tuning, not
// identity, and are not printed): parsing it back gives the same endpoint and the same string.
TEST(EndpointToStringTest, ServerRoundTrips) {
  for (const char* text : {
           "tcp:7700",
           "tcp:0:interface=0.0.0.0",
           "tcp:port=1:interface=10.0.0.1",
           "tcp:7700:interface=[::1]",
           R"(tcp:7700:interface=\:\:1)",
           "tcp:65535:interface=[2001:db8::1]",
           "tls:7443:cert=server.pem:key=server.key",
           "tls:7443:cert=c.pem:key=k.pem:sni=ignored.example:verify=no",
           "tls:7443:interface=[::]:cert=/etc/weft/a\\:b.pem:key=k.pem:ca=ca.pem:alpn=h2,http/1.1",
           "unix:/run/weft.sock",
           "unix:@abstract",
           "unix:address=/tmp/x.sock",
           R"(unix:/tmp/odd\:name\\with\=every\[escape\])",
       }) {
    SCOPED_TRACE(text);
    absl::StatusOr<ServerEndpoint> first = ParseServerEndpoint(text);
    ASSERT_THAT(first, IsOk());
    const std::string canonical = first->ToString();
    absl::StatusOr<ServerEndpoint> second = ParseServerEndpoint(canonical);
    ASSERT_THAT(second, IsOk()) << canonical;
    ExpectSameServer(*first, *second);
    EXPECT_EQ(second->ToString(), canonical);
  }
}

TEST(EndpointToStringTest, ClientRoundTrips) {
  for (const char* text : {
           "tcp:example.org:80",
           "tcp:127.0.0.1:1:timeout=3",
           "tcp:[::1]:443",
           "tcp:host=[fe80::1]:port=22",
           "tls:example.org:443",
           "tls:[::1]:443",
           "tls:10.0.0.1:443:ca=ca.pem:alpn=h2:sni=weft.example:verify=false",
           "tls:example.org:443:sni=[::1]",
           "tls:example.org:443:cert=client.pem:key=client.key",
           "tls:excmple.ls:7443:cert=server.ey",
           "tcp:host=[fe80host=[fe80::1]::1]:port=22:timeout=0.5",
           "unix:/run/weft.sock",
           "unix:@abstract:timeout=2",
           R"(unix:/tmp/odd\:name\\with\=every\[escape\])",
       }) {
    SCOPED_TRACE(text);
    absl::StatusOr<ClientEndpoint> first = ParseClientEndpoint(text);
    ASSERT_THAT(first, IsOk());
    const std::string canonical = first->ToString();
    absl::StatusOr<ClientEndpoint> second = ParseClientEndpoint(canonical);
    ASSERT_THAT(second, IsOk()) << canonical;
    ExpectSameClient(*first, *second);
    EXPECT_EQ(second->ToString(), canonical);
  }
}

TEST(EndpointToStringTest, BuiltEndpointsWithAwkwardValuesRoundTrip) {
  ServerEndpoint server;
  server.kind = EndpointKind::kUnix;
  server.path = "/tmp/a=b:[c]\\d";
  absl::StatusOr<ServerEndpoint> server_back = ParseServerEndpoint(server.ToString());
  ASSERT_THAT(server_back, IsOk()) << server.ToString();
  EXPECT_EQ(server_back->path, server.path);

  for (const char* host : {"a=b", "[x]", "x]", "\\weird\\", "::ffff:1.2.3.4"}) {
    SCOPED_TRACE(host);
    ServerEndpoint odd_server;
    odd_server.interface = host;
    absl::StatusOr<ServerEndpoint> odd_server_back = ParseServerEndpoint(odd_server.ToString());
    ASSERT_THAT(odd_server_back, IsOk()) << odd_server.ToString();
    EXPECT_EQ(odd_server_back->interface, host);
    ClientEndpoint odd_client;
    odd_client.host = host;
    odd_client.port = 1;
    absl::StatusOr<ClientEndpoint> odd_client_back = ParseClientEndpoint(odd_client.ToString());
    ASSERT_THAT(odd_client_back, IsOk()) << odd_client.ToString();
    EXPECT_EQ(odd_client_back->host, host);
  }

  ClientEndpoint client;
  client.kind = EndpointKind::kTls;
  client.host = "::1";
  client.port = 8443;
  client.tls.server_name = "::1";
  client.tls.ca_file = "/etc/ca=1.pem";
  absl::StatusOr<ClientEndpoint> client_back = ParseClientEndpoint(client.ToString());
  ASSERT_THAT(client_back, IsOk()) << client.ToString();
  ExpectSameClient(client, *client_back);
}

// --- Malformed strings ------------------------------------------------------------------------

struct BadEndpoint {
  const char* text;
  const char* message;  // A fragment the error must contain, naming the bad part.
};

void ExpectServerError(const BadEndpoint& bad) {
  EXPECT_THAT(ParseServerEndpoint(bad.text),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(StartsWith(absl::StrCat("endpoint '", bad.text, "': ")),
                             HasSubstr(bad.message))))
      << bad.text;
}

void ExpectClientError(const BadEndpoint& bad) {
  EXPECT_THAT(ParseClientEndpoint(bad.text),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(StartsWith(absl::StrCat("endpoint '", bad.text, "': ")),
                             HasSubstr(bad.message))))
      << bad.text;
}

TEST(MalformedEndpointTest, UnknownKind) {
  ExpectServerError({"udp:80", "unknown kind 'udp'"});
  ExpectClientError({"http:example.org:80", "unknown kind 'http'"});
  ExpectServerError({"", "missing kind"});
  ExpectClientError({":80", "missing kind"});
}

TEST(MalformedEndpointTest, BadPort) {
  ExpectServerError({"tcp:http", "port 'http'"});
  ExpectServerError({"tcp:80x", "port '80x'"});
  ExpectServerError({"tcp:port=eighty", "port 'eighty'"});
  ExpectClientError({"tcp:example.org:http", "port 'http'"});
  ExpectClientError({"tcp:host=example.org:port=", "port ''"});
}

TEST(MalformedEndpointTest, PortOutOfRange) {
  ExpectServerError({"tcp:65536", "port '65536' is not a number from 0 to 65535"});
  ExpectServerError({"tcp:-1", "port '-1'"});
  ExpectServerError({"tls:99999:cert=c:key=k", "port '99999'"});
  ExpectClientError({"tcp:example.org:70000", "port '70000'"});
}

TEST(MalformedEndpointTest, MissingPort) {
  ExpectServerError({"tcp", "missing port"});
  ExpectServerError({"tcp:interface=0.0.0.0", "missing port"});
  ExpectClientError({"tcp:example.org", "missing port"});
  ExpectClientError({"tcp:host=example.org", "missing port"});
  ExpectClientError({"tls:example.org:0", "missing port"});
}

TEST(MalformedEndpointTest, UnknownOption) {
  ExpectServerError({"tcp:80:colour=blue", "unknown option 'colour'"});
  ExpectServerError({"unix:/tmp/s:port=80", "unknown option 'port'"});
  ExpectServerError({"tcp:80:cert=c.pem", "unknown option 'cert'"});
  ExpectClientError({"tcp:example.org:80:backlog=5", "unknown option 'backlog'"});
  ExpectClientError({"unix:/tmp/s:host=x", "unknown option 'host'"});
}

TEST(MalformedEndpointTest, TlsWithoutCertOrKey) {
  ExpectServerError({"tls:443", "tls needs cert=PATH and key=PATH"});
  ExpectServerError({"tls:443:cert=c.pem", "tls needs cert=PATH and key=PATH"});
  ExpectServerError({"tls:443:key=k.pem", "tls needs cert=PATH and key=PATH"});
}

TEST(MalformedEndpointTest, UnbalancedBrackets) {
  ExpectServerError({"tcp:80:interface=[::1", "unbalanced '['"});
  ExpectServerError({"tcp:80:interface=::1]", "unbalanced ']'"});
  ExpectClientError({"tcp:[::1:80", "unbalanced '['"});
  ExpectClientError({"tcp:]::1[:80", "unbalanced ']'"});
}

TEST(MalformedEndpointTest, TrailingBackslash) {
  ExpectServerError({"unix:/tmp/s\\", "trailing backslash"});
  ExpectClientError({"tcp:example.org:80\\", "trailing backslash"});
}

TEST(MalformedEndpointTest, BadBoolean) {
  ExpectServerError({"tcp:80:reuseport=maybe", "reuseport 'maybe' is not a boolean"});
  ExpectServerError({"tcp:80:reuseport=", "reuseport '' is not a boolean"});
  ExpectClientError({"tls:example.org:443:verify=perhaps", "verify 'perhaps' is not a boolean"});
}

TEST(MalformedEndpointTest, BadTimeout) {
  ExpectClientError({"tcp:example.org:80:timeout=soon", "timeout 'soon'"});
  ExpectClientError({"tcp:example.org:80:timeout=0", "timeout '0' is not a positive number"});
  ExpectClientError({"tcp:example.org:80:timeout=-1", "timeout '-1'"});
  ExpectClientError({"tcp:example.org:80:timeout=nan", "timeout 'nan'"});
  ExpectClientError({"unix:/tmp/s:timeout=", "timeout ''"});
}

TEST(MalformedEndpointTest, BadBacklog) {
  ExpectServerError({"tcp:80:backlog=0", "backlog '0' is not a positive number"});
  ExpectServerError({"unix:/tmp/s:backlog=lots", "backlog 'lots'"});
}

TEST(MalformedEndpointTest, MissingUnixPath) {
  ExpectServerError({"unix", "missing socket path"});
  ExpectServerError({"unix:", "missing socket path"});
  ExpectServerError({"unix:backlog=4", "missing socket path"});
  ExpectClientError({"unix", "missing socket path"});
  ExpectClientError({"unix:timeout=1", "missing socket path"});
}

TEST(MalformedEndpointTest, MissingHost) {
  ExpectClientError({"tcp::80", "missing host"});
  ExpectClientError({"tcp:port=80", "missing host"});
  ExpectClientError({"tls:[]:443", "missing host"});
}

TEST(MalformedEndpointTest, ExtraOrMisplacedParts) {
  ExpectServerError({"tcp:80:81", "unexpected part '81'"});
  ExpectServerError({"unix:/a:/b", "unexpected part '/b'"});
  ExpectClientError({"tcp:example.org:80:90", "unexpected part '90'"});
  ExpectServerError({"tcp:interface=0.0.0.0:80", "positional part '80' after named parts"});
}

}  // namespace
}  // namespace weft::reactor
