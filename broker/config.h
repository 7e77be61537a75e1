// The broker configuration: loading weft.config.v1.BrokerConfig from protobuf text format,
// filling in defaults and validating it.
//
// Part of //broker:config. weftd calls LoadConfigFile() at start (or DefaultConfig() without
// --config) and again on reload, keeping the old config when the new one fails. Every config these
// functions return is *resolved*: every `optional` field is set, no enum is UNSPECIFIED, `loops`
// is the actual number of loops (at least 1), the store backend is chosen and auth.require_auth
// is decided, so callers never interpret "unset" themselves. Only Listener.tls stays absent when
// a listener has no TLS settings (absent means no TLS). Schema: idl/weft/config/v1/config.proto;
// reference: docs/configuration.md.
//
// Errors name the field path and the problem, and never carry a secret (a bearer token, a token
// file's contents, a PostgreSQL connection string):
//   config: listeners.wire.endpoint: endpoint 'tcp:x': port 'x' is not a number from 0 to 65535
//   config: weft.conf:12:5: unknown field "lisener"; did you mean "listeners"?
//   config: weft.conf:3:5: listeners.wire.endpoint: ...   (the field's place in the file)
// Validation reads the files it must vet (auth.token_file) and nothing else; it opens no socket.
#ifndef WEFT_BROKER_CONFIG_H_
#define WEFT_BROKER_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "reactor/endpoint.h"
#include "weft/config/v1/config.pb.h"

namespace weft::broker {

// The embedded default (an empty config), resolved. Its node name is this host's name and its
// loop count this machine's core count; everything else is fixed (DESIGN.md "Default ports").
config::v1::BrokerConfig DefaultConfig();

// Returns `config` with every unset field given its default (see the file comment). Idempotent.
// Does not validate: values written explicitly are kept as they are, valid or not.
config::v1::BrokerConfig ApplyDefaults(config::v1::BrokerConfig config);

// Checks `config` (raw or resolved; defaults are applied to a copy first) and returns the first
// problem in schema order as kInvalidArgument "config: <field path>: <problem>". OK otherwise.
absl::Status ValidateConfig(const config::v1::BrokerConfig& config);

// Parses protobuf text format, applies defaults and validates. `source_name` (usually the file
// path; may be empty) prefixes positions: "config: weft.conf:12:5: ...". Unknown fields are
// errors. kInvalidArgument for a syntax or validation error.
absl::StatusOr<config::v1::BrokerConfig> ParseConfigText(absl::string_view text,
                                                         absl::string_view source_name);

// Reads and parses the file at `path` (as ParseConfigText, with `path` as the source name).
// kNotFound when it does not exist, kPermissionDenied when it cannot be read,
// kResourceExhausted when it is over 4 MiB, kInvalidArgument when it is not a regular file, does
// not parse or validate, or holds secrets (auth.tokens, a store.postgres.conninfo with a password,
// webhook headers) while being readable by other users.
absl::StatusOr<config::v1::BrokerConfig> LoadConfigFile(absl::string_view path);

// The endpoint `listener` binds, with its TLS settings merged in: a tcp: endpoint with `tls`
// (and not starttls) becomes a tls: endpoint, TLS from the first byte, requiring client
// certificates when client_ca_file is set. With starttls the endpoint stays plain and the gateway
// upgrades using listener.tls(). kInvalidArgument when the endpoint does not parse (never for a
// validated config).
absl::StatusOr<reactor::ServerEndpoint> ListenerEndpoint(const config::v1::Listener& listener);

// Where a webhook route's calls go (weft.config.v1.Webhook.url), taken apart.
struct WebhookUrl {
  bool tls = false;  // https
  std::string host;  // A name or an IP address, without brackets.
  int port = 0;      // 80 or 443 unless the URL names one.
  std::string path;  // The request-target: path and query, "/" at least.
  // The Host field value (RFC 9110 §7.2): host, bracketed when IPv6, ":port" unless default.
  std::string authority;
};

// Parses a webhook URL: "http://HOST[:PORT][/PATH[?QUERY]]" or the same with https. HOST is a
// name of letters, digits, '-' and '.', an IPv4 address or a bracketed IPv6 address; PORT is
// 1..65535. kInvalidArgument (message naming the part, with the URL quoted) otherwise, or for
// user info, a fragment, spaces or control characters.
absl::StatusOr<WebhookUrl> ParseWebhookUrl(absl::string_view url);

// The bearer tokens `auth` configures: auth.tokens followed by those in auth.token_file.
// kInvalidArgument (naming the field and, for the file, the line, never the token) when the file
// is missing, readable or writable by other users, not a regular file, or holds a malformed
// token. Empty when neither is set.
absl::StatusOr<std::vector<std::string>> LoadAuthTokens(const config::v1::AuthConfig& auth);

// A copy of `config` safe to log or show on the control plane: each bearer token, the
// PostgreSQL connection string and each webhook header value replaced by "<redacted>".
config::v1::BrokerConfig RedactSecrets(config::v1::BrokerConfig config);

}  // namespace weft::broker

#endif  // WEFT_BROKER_CONFIG_H_
