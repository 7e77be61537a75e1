// TlsContext: loaded certificates, keys, trust anchors and TLS policy (an OpenSSL SSL_CTX), from
// which TlsTransport (tls_transport.h) creates one TLS session per connection.
//
// Part of //reactor. A context is built once (at startup or config reload) and shared by every
// connection of a listener or client. Loading never prompts: encrypted private keys are
// rejected. Policy: TLS 1.2 minimum, AEAD cipher suites with forward secrecy only, no
// renegotiation, no compression; clients verify the server against the trust anchors by default.
#ifndef WEFT_REACTOR_TLS_CONTEXT_H_
#define WEFT_REACTOR_TLS_CONTEXT_H_

#include <openssl/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace weft::reactor {

// An extra server certificate, chosen when the client's SNI equals `server_name`
// (ASCII case-insensitive, exact match; no wildcards).
struct TlsSniCertificate {
  std::string server_name;
  std::string cert_file;  // PEM: leaf first, then intermediates.
  std::string key_file;   // PEM, unencrypted.
};

struct TlsServerOptions {
  std::string cert_file;  // Default certificate chain (PEM), used without or with unknown SNI.
  std::string key_file;   // Its private key (PEM, unencrypted).
  // Trust anchors for client certificates. Empty: no client certificate is requested.
  std::string ca_file;
  // With `ca_file`: a client without a valid certificate fails the handshake. Without it, a
  // client certificate is optional but verified when presented.
  bool require_client_cert = false;
  // ALPN protocols in server preference order ("h2", "http/1.1"). Empty: ALPN is not offered. A
  // client offering ALPN with no protocol in common fails with no_application_protocol
  // (RFC 7301 §3.2); a client offering none is accepted.
  std::vector<std::string> alpn;
  std::vector<TlsSniCertificate> sni_certificates;
};

struct TlsClientOptions {
  std::string ca_file;  // Trust anchors (PEM). Empty: the system default trust store.
  bool verify_peer = true;
  std::vector<std::string> alpn;  // Offered protocols, in preference order.
  std::string cert_file;          // Optional client certificate chain; needs `key_file`.
  std::string key_file;
};

// Immutable once created; safe to use from any thread. TlsTransport keeps the underlying SSL_CTX
// alive by reference count, so a context may be destroyed (e.g. replaced on reload) while
// connections created from it are still open.
class TlsContext {
 public:
  // Loads the server configuration. kNotFound naming the path for a missing file;
  // kInvalidArgument naming the file and OpenSSL's reason for an unreadable or malformed PEM
  // file, an encrypted key, or a key that does not match its certificate; kInvalidArgument for
  // inconsistent options; kInternal when OpenSSL fails otherwise.
  static absl::StatusOr<std::unique_ptr<TlsContext>> CreateServer(const TlsServerOptions& options);

  // Loads the client configuration, with the same errors as CreateServer().
  static absl::StatusOr<std::unique_ptr<TlsContext>> CreateClient(const TlsClientOptions& options);

  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  ~TlsContext();

  bool is_server() const { return is_server_; }
  bool verify_peer() const { return verify_peer_; }

  // The default context; owned by this object (SSL_CTX_up_ref() to keep it longer).
  SSL_CTX* ssl_ctx() const { return ctx_; }

 private:
  TlsContext(SSL_CTX* ctx, bool is_server, bool verify_peer)
      : ctx_(ctx), is_server_(is_server), verify_peer_(verify_peer) {}

  SSL_CTX* const ctx_;
  const bool is_server_;
  const bool verify_peer_;
};

// Drains this thread's OpenSSL error queue into one line ("error:0A000086:SSL routines::
// certificate verify failed"; several entries joined by "; "), or `fallback` when it is empty.
// Error strings name libraries and reasons only, never key material.
std::string DrainOpenSslErrors(const char* fallback = "unknown error");

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_TLS_CONTEXT_H_
