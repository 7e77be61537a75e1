#include "reactor/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace weft::reactor {
namespace {

// Mozilla "intermediate" for TLS 1.2: ECDHE key exchange with AEAD ciphers only. TLS 1.3 suites
// keep OpenSSL's defaults, which are all AEAD.
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

constexpr unsigned char kSessionIdContext[] = "weft";

struct CtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxDeleter>;

// Server-side data the OpenSSL callbacks read. Owned by the default SSL_CTX through ex_data, so
// it lives exactly as long as any connection that can call back into it.
struct ServerExtras {
  std::string alpn_wire;                                // RFC 7301 wire format, server order.
  std::vector<std::pair<std::string, CtxPtr>> by_name;  // SNI name -> context.
};

void FreeServerExtras(void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/, int /*index*/,
                      long /*argl*/, void* /*argp*/) {
  delete static_cast<ServerExtras*>(ptr);
}

int ServerExtrasIndex() {
  static const int index =
      SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, &FreeServerExtras);
  return index;
}

// Never prompts on a terminal for a passphrase: encrypted keys fail to load instead.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return -1; }

absl::Status LoadError(absl::string_view what, const std::string& path) {
  return absl::InvalidArgumentError(
      absl::StrCat("tls: cannot load ", what, " '", path, "': ", DrainOpenSslErrors()));
}

// kNotFound / kInvalidArgument before OpenSSL sees the path, so the common mistakes get a
// precise message rather than a generic "system lib" error.
absl::Status CheckFile(absl::string_view what, const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat("tls: ", what, " not set"));
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    const int error = errno;
    if (error == ENOENT || error == ENOTDIR) {
      return absl::NotFoundError(absl::StrCat("tls: ", what, " '", path, "' not found"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("tls: ", what, " '", path, "' cannot be read: ", strerror(error)));
  }
  if (S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("tls: ", what, " '", path, "' is a directory"));
  }
  return absl::OkStatus();
}

absl::Status LoadCertAndKey(SSL_CTX* ctx, const std::string& cert_file,
                            const std::string& key_file) {
  if (absl::Status s = CheckFile("certificate file", cert_file); !s.ok()) return s;
  if (absl::Status s = CheckFile("private key file", key_file); !s.ok()) return s;
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return LoadError("certificate chain", cert_file);
  }
  BIO* bio = BIO_new_file(key_file.c_str(), "r");
  if (bio == nullptr) return LoadError("private key", key_file);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, &NoPassphrase, nullptr);
  BIO_free(bio);
  if (key == nullptr) return LoadError("private key", key_file);
  const bool used = SSL_CTX_use_PrivateKey(ctx, key) == 1;
  EVP_PKEY_free(key);
  if (!used || SSL_CTX_check_private_key(ctx) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("tls: private key '", key_file,
                                                   "' does not match certificate '", cert_file,
                                                   "': ", DrainOpenSslErrors()));
  }
  return absl::OkStatus();
}

absl::Status LoadTrustAnchors(SSL_CTX* ctx, const std::string& ca_file) {
  if (absl::Status s = CheckFile("ca file", ca_file); !s.ok()) return s;
  if (SSL_CTX_load_verify_file(ctx, ca_file.c_str()) != 1) return LoadError("ca file", ca_file);
  return absl::OkStatus();
}

absl::StatusOr<std::string> AlpnWireFormat(const std::vector<std::string>& protocols) {
  std::string wire;
  for (const std::string& protocol : protocols) {
    if (protocol.empty() || protocol.size() > 255) {
      return absl::InvalidArgumentError(
          absl::StrCat("tls: alpn protocol '", protocol, "' must be 1 to 255 bytes"));
    }
    wire.push_back(static_cast<char>(protocol.size()));
    wire.append(protocol);
  }
  return wire;
}

// Server preference order (RFC 7301 §3.2): the first of our protocols the client also offers.
int SelectAlpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_len,
               const unsigned char* in, unsigned int in_len, void* arg) {
  const std::string& ours = static_cast<const ServerExtras*>(arg)->alpn_wire;
  for (std::size_t i = 0; i < ours.size(); i += 1 + static_cast<unsigned char>(ours[i])) {
    const absl::string_view want(ours.data() + i + 1, static_cast<unsigned char>(ours[i]));
    for (unsigned int j = 0; j < in_len; j += 1 + in[j]) {
      if (j + 1 + in[j] > in_len) break;  // Malformed list: ignore the tail.
      const absl::string_view offered(reinterpret_cast<const char*>(in + j + 1), in[j]);
      if (offered == want) {
        *out = in + j + 1;
        *out_len = in[j];
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;  // no_application_protocol
}

int SelectCertificateByName(SSL* ssl, int* /*alert*/, void* arg) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_NOACK;
  for (const auto& [server_name, ctx] : static_cast<const ServerExtras*>(arg)->by_name) {
    if (absl::EqualsIgnoreCase(server_name, name)) {
      SSL_set_SSL_CTX(ssl, ctx.get());
      break;
    }
  }
  return SSL_TLSEXT_ERR_OK;  // Unknown names get the default certificate.
}

absl::StatusOr<CtxPtr> NewContext(const SSL_METHOD* method) {
  CtxPtr ctx(SSL_CTX_new(method));
  if (ctx == nullptr) {
    return absl::InternalError(absl::StrCat("tls: SSL_CTX_new: ", DrainOpenSslErrors()));
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_default_passwd_cb(ctx.get(), &NoPassphrase);
  if (SSL_CTX_set_cipher_list(ctx.get(), kTls12Ciphers) != 1) {
    return absl::InternalError(absl::StrCat("tls: cipher list: ", DrainOpenSslErrors()));
  }
  return ctx;
}

// One server context: certificate, key, client verification and ALPN. The default context and
// each SNI context are built alike, because OpenSSL reads these from the context it switched to.
absl::StatusOr<CtxPtr> NewServerContext(const TlsServerOptions& options,
                                        const std::string& cert_file, const std::string& key_file,
                                        ServerExtras& extras) {
  absl::StatusOr<CtxPtr> ctx = NewContext(TLS_server_method());
  if (!ctx.ok()) return ctx.status();
  SSL_CTX* raw = ctx->get();
  if (absl::Status s = LoadCertAndKey(raw, cert_file, key_file); !s.ok()) return s;
  SSL_CTX_set_session_id_context(raw, kSessionIdContext, sizeof(kSessionIdContext) - 1);
  if (!options.ca_file.empty()) {
    if (absl::Status s = LoadTrustAnchors(raw, options.ca_file); !s.ok()) return s;
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.ca_file.c_str());
    if (names == nullptr) return LoadError("ca file", options.ca_file);
    SSL_CTX_set_client_CA_list(raw, names);
    SSL_CTX_set_verify(
        raw, SSL_VERIFY_PEER | (options.require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
        nullptr);
  }
  if (!extras.alpn_wire.empty()) SSL_CTX_set_alpn_select_cb(raw, &SelectAlpn, &extras);
  return ctx;
}

}  // namespace

std::string DrainOpenSslErrors(const char* fallback) {
  std::string out;
  int count = 0;
  while (const unsigned long error = ERR_get_error()) {
    if (++count > 4) continue;  // Keep draining; the first entries carry the cause.
    char buffer[256];
    ERR_error_string_n(error, buffer, sizeof(buffer));
    if (!out.empty()) out.append("; ");
    out.append(buffer);
  }
  return out.empty() ? std::string(fallback) : out;
}

absl::StatusOr<std::unique_ptr<TlsContext>> TlsContext::CreateServer(
    const TlsServerOptions& options) {
  ERR_clear_error();
  if (options.require_client_cert && options.ca_file.empty()) {
    return absl::InvalidArgumentError("tls: require_client_cert needs a ca file");
  }
  absl::StatusOr<std::string> alpn = AlpnWireFormat(options.alpn);
  if (!alpn.ok()) return alpn.status();
  auto extras = std::make_unique<ServerExtras>();
  extras->alpn_wire = *std::move(alpn);
  absl::StatusOr<CtxPtr> ctx =
      NewServerContext(options, options.cert_file, options.key_file, *extras);
  if (!ctx.ok()) return ctx.status();
  for (const TlsSniCertificate& sni : options.sni_certificates) {
    if (sni.server_name.empty()) {
      return absl::InvalidArgumentError("tls: sni certificate without a server name");
    }
    absl::StatusOr<CtxPtr> named = NewServerContext(options, sni.cert_file, sni.key_file, *extras);
    if (!named.ok()) return named.status();
    extras->by_name.emplace_back(absl::AsciiStrToLower(sni.server_name), *std::move(named));
  }
  if (!extras->by_name.empty()) {
    SSL_CTX_set_tlsext_servername_callback(ctx->get(), &SelectCertificateByName);
    SSL_CTX_set_tlsext_servername_arg(ctx->get(), extras.get());
  }
  if (SSL_CTX_set_ex_data(ctx->get(), ServerExtrasIndex(), extras.get()) != 1) {
    return absl::InternalError(absl::StrCat("tls: SSL_CTX_set_ex_data: ", DrainOpenSslErrors()));
  }
  extras.release();  // Now owned by the SSL_CTX (FreeServerExtras).
  return std::unique_ptr<TlsContext>(new TlsContext(ctx->release(), /*is_server=*/true,
                                                    /*verify_peer=*/!options.ca_file.empty()));
}

absl::StatusOr<std::unique_ptr<TlsContext>> TlsContext::CreateClient(
    const TlsClientOptions& options) {
  ERR_clear_error();
  if (options.cert_file.empty() != options.key_file.empty()) {
    return absl::InvalidArgumentError("tls: a client certificate needs both cert and key files");
  }
  absl::StatusOr<std::string> alpn = AlpnWireFormat(options.alpn);
  if (!alpn.ok()) return alpn.status();
  absl::StatusOr<CtxPtr> ctx = NewContext(TLS_client_method());
  if (!ctx.ok()) return ctx.status();
  SSL_CTX* raw = ctx->get();
  if (!options.cert_file.empty()) {
    if (absl::Status s = LoadCertAndKey(raw, options.cert_file, options.key_file); !s.ok()) {
      return s;
    }
  }
  if (options.verify_peer) {
    if (!options.ca_file.empty()) {
      if (absl::Status s = LoadTrustAnchors(raw, options.ca_file); !s.ok()) return s;
    } else if (SSL_CTX_set_default_verify_paths(raw) != 1) {
      return absl::InternalError(
          absl::StrCat("tls: cannot load the system trust store: ", DrainOpenSslErrors()));
    }
    SSL_CTX_set_verify(raw, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(raw, SSL_VERIFY_NONE, nullptr);
  }
  // SSL_CTX_set_alpn_protos returns 0 on success.
  if (!alpn->empty() &&
      SSL_CTX_set_alpn_protos(raw, reinterpret_cast<const unsigned char*>(alpn->data()),
                              static_cast<unsigned int>(alpn->size())) != 0) {
    return absl::InternalError(absl::StrCat("tls: alpn: ", DrainOpenSslErrors()));
  }
  return std::unique_ptr<TlsContext>(
      new TlsContext(ctx->release(), /*is_server=*/false, options.verify_peer));
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

}  // namespace weft::reactor
