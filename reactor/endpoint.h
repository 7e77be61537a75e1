// Endpoint strings, as Twisted spells them, for servers and clients.
//
// Part of //reactor. Servers:
//   tcp:PORT[:interface=ADDR][:backlog=N][:reuseport=BOOL]
//   tls:PORT[:interface=ADDR]:cert=PATH:key=PATH[:ca=PATH][:alpn=P1,P2][:backlog=N]
//   unix:PATH[:backlog=N]          (also unix:address=PATH)
// Clients:
//   tcp:HOST:PORT[:timeout=SECONDS]  (also tcp:host=HOST:port=PORT)
//   tls:HOST:PORT[:ca=PATH][:alpn=P1,P2][:sni=NAME][:verify=BOOL][:timeout=SECONDS]
//   unix:PATH[:timeout=SECONDS]
// A backslash escapes the next character, and an IPv6 address may be bracketed:
// `tcp:0:interface=[::1]` or `tcp:0:interface=\:\:1`. Unlike Twisted, a server endpoint without
// `interface=` binds loopback (127.0.0.1): exposing a port is always explicit.
#ifndef WEFT_REACTOR_ENDPOINT_H_
#define WEFT_REACTOR_ENDPOINT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace weft::reactor {

enum class EndpointKind { kTcp, kTls, kUnix };

struct TlsEndpointOptions {
  std::string cert_file;
  std::string key_file;
  std::string ca_file;            // Server: verify client certificates. Client: trust anchors.
  std::vector<std::string> alpn;  // Protocols in preference order.
  std::string server_name;        // Client: SNI and the name the certificate must match.
  bool verify_peer = true;        // Client only.
};

struct ServerEndpoint {
  EndpointKind kind = EndpointKind::kTcp;
  std::string interface = "127.0.0.1";
  int port = 0;
  std::string path;  // kUnix
  int backlog = 1024;
  bool reuse_port = false;
  TlsEndpointOptions tls;  // kTls

  // The canonical string form, e.g. "tcp:7700:interface=127.0.0.1".
  std::string ToString() const;
};

struct ClientEndpoint {
  EndpointKind kind = EndpointKind::kTcp;
  std::string host;
  int port = 0;
  std::string path;  // kUnix
  absl::Duration timeout = absl::Seconds(30);
  TlsEndpointOptions tls;  // kTls

  std::string ToString() const;
};

// kInvalidArgument naming the offending part ("endpoint 'tcp:x': port 'x' is not a number").
absl::StatusOr<ServerEndpoint> ParseServerEndpoint(absl::string_view text);
absl::StatusOr<ClientEndpoint> ParseClientEndpoint(absl::string_view text);

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_ENDPOINT_H_
