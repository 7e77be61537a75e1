// Internals shared by config.cc (parsing, defaults) and config_validate.cc (validation).
//
// Part of //broker:config and private to it (listed in srcs, never in hdrs).
#ifndef WEFT_BROKER_CONFIG_INTERNAL_H_
#define WEFT_BROKER_CONFIG_INTERNAL_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "weft/config/v1/config.pb.h"

namespace weft::broker::internal_config {

// The most event loops a config may ask for (and what "one per core" is capped at).
inline constexpr int kMaxLoops = 1024;

// One validation failure. `path` is the field path as written in messages ("node",
// "listeners.wire.endpoint", "auth.tokens[2]", "routes[1]"); `message` says what is wrong and
// never contains a secret.
struct ConfigProblem {
  std::string path;
  std::string message;
};

// The first problem in `resolved` (= ApplyDefaults(raw)), in schema order. `raw` tells which
// fields were written explicitly, for messages that depend on it.
std::optional<ConfigProblem> FindProblem(const config::v1::BrokerConfig& raw,
                                         const config::v1::BrokerConfig& resolved);

// "config: [source[:line:column]: ][path: ]message". `line` and `column` are 0-based (as
// protobuf reports them); a negative line means no position.
std::string FormatProblem(const ConfigProblem& problem, absl::string_view source, int line,
                          int column);

// A gateway's listener, in the schema order of weft.config.v1.Listeners.
struct GatewayListener {
  std::string gateway;  // The field name: "wire", "control", "http", ...
  const config::v1::Listener* listener = nullptr;
};
std::vector<GatewayListener> GatewayListeners(const config::v1::Listeners& listeners);

// Whether auth.require_auth defaults to true: some enabled listener of `config` (listeners
// resolved) binds a non-loopback address and requires no client certificate, and
// auth.allow_insecure_public_bind is false.
bool PublicBindNeedsAuth(const config::v1::BrokerConfig& config);

// 1 to 253 of [A-Za-z0-9._-], starting with a letter or digit.
bool IsValidNodeName(absl::string_view name);

// Reads a token file (see AuthConfig.token_file). kInvalidArgument with a message that names the
// file (and line) but no token, without the "config: auth.token_file: " prefix.
absl::StatusOr<std::vector<std::string>> ReadTokenFile(const std::string& path);

// `value` in single quotes, with non-printable bytes escaped, for echoing non-secret input.
std::string Quote(absl::string_view value);

}  // namespace weft::broker::internal_config

#endif  // WEFT_BROKER_CONFIG_INTERNAL_H_
