#include "reactor/tls_transport.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "reactor/base/check.h"

namespace weft::reactor {
namespace {

bool IsIpLiteral(const std::string& name) {
  unsigned char address[sizeof(in6_addr)];
  return inet_pton(AF_INET, name.c_str(), address) == 1 ||
         inet_pton(AF_INET6, name.c_str(), address) == 1;
}

// Reasons meaning "the peer refused a certificate" (its alert) or "the peer sent none".
bool IsCertificateRejection(int reason) {
  switch (reason) {
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
      return true;
    default:
      return false;
  }
}

}  // namespace

template <typename Callback>
bool TlsTransport::CallConsumer(Callback callback) {
  bool destroyed = false;
  bool* const outer = destroyed_;
  destroyed_ = &destroyed;
  callback();
  if (destroyed) {
    if (outer != nullptr) *outer = true;
    return false;
  }
  destroyed_ = outer;
  return true;
}

void TlsTransport::SslDeleter::operator()(SSL* ssl) const { SSL_free(ssl); }

std::unique_ptr<TlsTransport> TlsTransport::Wrap(EventLoop& loop, std::unique_ptr<Transport> inner,
                                                 const TlsContext& context, TlsRole role,
                                                 absl::string_view server_name) {
  WEFT_DCHECK(loop.IsInLoopThread());
  ERR_clear_error();
  SSL* ssl = SSL_new(context.ssl_ctx());
  BIO* internal = nullptr;
  BIO* network = nullptr;
  if (ssl != nullptr && BIO_new_bio_pair(&internal, kBioSize, &network, kBioSize) == 1) {
    SSL_set_bio(ssl, internal, internal);
  } else {
    SSL_free(ssl);
    ssl = nullptr;
    network = nullptr;
  }
  std::unique_ptr<TlsTransport> transport(new TlsTransport(loop, std::move(inner), ssl, network));
  if (ssl == nullptr) {
    transport->Fail(absl::InternalError(absl::StrCat("tls: SSL_new: ", DrainOpenSslErrors())));
    return transport;
  }
  if (role == TlsRole::kServer) {
    SSL_set_accept_state(ssl);
    return transport;
  }
  SSL_set_connect_state(ssl);
  if (absl::Status s = transport->SetServerName(server_name); !s.ok()) {
    transport->Fail(std::move(s));
    return transport;
  }
  transport->ProcessInput({});  // Sends the ClientHello.
  return transport;
}

absl::Status TlsTransport::SetServerName(absl::string_view server_name) {
  client_server_name_ = std::string(server_name);
  const char* name = client_server_name_.c_str();
  if (client_server_name_.empty()) return absl::OkStatus();
  // RFC 6066 §3: SNI carries DNS names only, never address literals.
  const bool ok =
      IsIpLiteral(client_server_name_)
          ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), name) == 1
          : SSL_set_tlsext_host_name(ssl_.get(), name) == 1 && SSL_set1_host(ssl_.get(), name) == 1;
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("tls: invalid server name '", client_server_name_, "': ", DrainOpenSslErrors()));
}

TlsTransport::TlsTransport(EventLoop& loop, std::unique_ptr<Transport> inner, SSL* ssl,
                           BIO* network)
    : loop_(loop), inner_(std::move(inner)), ssl_(ssl), network_(network) {
  inner_->SetWatermarks(
      {watermarks_.low, watermarks_.low, std::numeric_limits<std::size_t>::max()});
  inner_->SetCallbacks(*this);
}

TlsTransport::~TlsTransport() {
  if (destroyed_ != nullptr) *destroyed_ = true;
  BIO_free(network_);
}

// ---- Transport -----------------------------------------------------------------------------

void TlsTransport::SetCallbacks(TransportCallbacks& callbacks) {
  WEFT_DCHECK(loop_.IsInLoopThread());
  callbacks_ = &callbacks;
  if (has(kReported)) return;
  if (has(kClosed) || HasHeldInput()) {
    ScheduleKick();  // Never deliver inside this call.
  }
  SyncInnerReading();
}

absl::Status TlsTransport::Write(absl::string_view bytes) {
  WEFT_DCHECK(loop_.IsInLoopThread());
  if (has(kClosing) || has(kShutdownPending) || has(kWriteShut)) {
    return absl::FailedPreconditionError("tls: write after close");
  }
  if (has(kFailed) || has(kClosed)) {
    return absl::UnavailableError(absl::StrCat(
        "tls: connection failed: ", close_reason_.ok() ? "closed" : close_reason_.message()));
  }
  if (buffered_bytes() + bytes.size() > watermarks_.max) {
    return absl::ResourceExhaustedError("tls: write buffer limit exceeded");
  }
  if (!has(kHandshakeDone)) {
    pending_plaintext_.Append(bytes);
    CheckHighWatermark();
    return absl::OkStatus();
  }
  absl::Status status = Encrypt(bytes);
  if (status.ok()) CheckHighWatermark();
  return status;
}

void TlsTransport::PauseReading() {
  set(kReadPaused);
  SyncInnerReading();
}

void TlsTransport::ResumeReading() {
  clear(kReadPaused);
  if (HasHeldInput()) ScheduleKick();  // The kick resumes the inner transport once drained.
  SyncInnerReading();
}

void TlsTransport::ShutdownWrite() {
  if (has(kClosing) || has(kShutdownPending) || has(kWriteShut) || has(kInnerClosing)) return;
  set(kShutdownPending);
  if (has(kHandshakeDone)) StartShutdownWrite();  // Otherwise after the handshake.
}

void TlsTransport::Close() {
  WEFT_DCHECK(loop_.IsInLoopThread());
  if (has(kClosing) || has(kClosed)) return;
  set(kClosing);
  if (has(kInnerClosing)) return;
  // Held plaintext (or a pending close_notify) needs the handshake to finish first.
  if (!has(kHandshakeDone) && (!pending_plaintext_.empty() || has(kShutdownPending))) return;
  StartClose();
}

void TlsTransport::Abort() {
  if (has(kClosed)) return;
  set(kClosing);
  if (!has(kFailed)) {
    set(kFailed);
    close_reason_ = absl::CancelledError("tls: connection aborted");
  }
  set(kInnerClosing);
  pending_plaintext_.Clear();
  pending_input_.Clear();
  inner_->Abort();
}

void TlsTransport::SetWatermarks(const WriteWatermarks& requested) {
  const WriteWatermarks watermarks = requested.Normalized();
  watermarks_ = watermarks;
  // The inner transport reports crossing our low mark both ways, so we learn when the
  // ciphertext drains; the limit is ours to enforce, on plaintext, before encrypting.
  inner_->SetWatermarks({watermarks.low, watermarks.low, std::numeric_limits<std::size_t>::max()});
}

std::size_t TlsTransport::buffered_bytes() const {
  const std::size_t unflushed = network_ != nullptr ? BIO_ctrl_pending(network_) : 0;
  return pending_plaintext_.size() + unflushed + inner_->buffered_bytes();
}

absl::string_view TlsTransport::alpn_protocol() const {
  if (ssl_ == nullptr) return {};
  const unsigned char* data = nullptr;
  unsigned int size = 0;
  SSL_get0_alpn_selected(ssl_.get(), &data, &size);
  return absl::string_view(reinterpret_cast<const char*>(data), data != nullptr ? size : 0);
}

absl::string_view TlsTransport::server_name() const {
  if (ssl_ == nullptr || !SSL_is_server(ssl_.get())) return client_server_name_;
  const char* name = SSL_get_servername(ssl_.get(), TLSEXT_NAMETYPE_host_name);
  return name != nullptr ? absl::string_view(name) : absl::string_view();
}

std::string TlsTransport::peer_subject() const {
  if (ssl_ == nullptr) return "";
  X509* cert = SSL_get0_peer_certificate(ssl_.get());
  if (cert == nullptr) return "";
  BIO* out = BIO_new(BIO_s_mem());
  if (out == nullptr) return "";
  X509_NAME_print_ex(out, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long size = BIO_get_mem_data(out, &data);
  std::string subject(data, size > 0 ? static_cast<std::size_t>(size) : 0);
  BIO_free(out);
  return subject;
}

absl::string_view TlsTransport::protocol_version() const {
  if (!has(kHandshakeDone)) return {};
  return SSL_get_version(ssl_.get());
}

// ---- TransportCallbacks of the inner transport ---------------------------------------------

void TlsTransport::OnData(absl::string_view bytes) { ProcessInput(bytes); }

void TlsTransport::OnReadEof() {
  if (has(kPeerClosed) || has(kInnerClosing) || has(kClosed)) return;
  set(kInnerEof);
  ProcessInput({});  // Acts on it once everything before it has been read.
}

void TlsTransport::OnWriteBufferHigh() {
  // Write() checks our high mark itself; the inner mark is our low one (SetWatermarks()).
}

void TlsTransport::OnWriteBufferLow() { CheckLowWatermark(); }

void TlsTransport::OnClosed(absl::Status reason) {
  set(kClosed);
  if (close_reason_.ok()) {
    if (!reason.ok()) {
      close_reason_ = std::move(reason);
    } else if (!has(kHandshakeDone) && !has(kClosing)) {
      close_reason_ = absl::UnavailableError("tls: connection closed during handshake");
    }
  }
  pending_plaintext_.Clear();
  pending_input_.Clear();
  if (kick_ != nullptr) kick_->Cancel();
  if (callbacks_ != nullptr) DeliverClosed();  // Otherwise at SetCallbacks().
}

// ---- Reading -------------------------------------------------------------------------------

bool TlsTransport::ProcessInput(absl::string_view fresh) {
  while (!has(kInnerClosing) && !has(kClosed) && !has(kPeerClosed)) {
    if (!pending_input_.empty()) {
      absl::string_view held = pending_input_.view();
      const std::size_t before = held.size();
      FeedBio(held);
      pending_input_.Consume(before - held.size());
    }
    if (pending_input_.empty()) FeedBio(fresh);
    const Step step = has(kHandshakeDone) ? ReadRecords() : Handshake();
    if (step == Step::kDestroyed) return false;
    if (step == Step::kStopped) break;
    if (step == Step::kNeedInput && pending_input_.empty() && fresh.empty()) {
      if (has(kInnerEof)) {
        Fail(absl::UnavailableError(has(kHandshakeDone)
                                        ? "tls: connection closed without close_notify"
                                        : "tls: connection closed during handshake"));
      }
      break;
    }
  }
  if (has(kInnerClosing) || has(kClosed) || has(kPeerClosed)) {
    pending_input_.Clear();  // Nothing after close_notify or a failure is data.
  } else if (!fresh.empty()) {
    pending_input_.Append(fresh);
  }
  SyncInnerReading();
  return true;
}

void TlsTransport::FeedBio(absl::string_view& input) {
  while (!input.empty()) {
    char* space = nullptr;
    const int available = BIO_nwrite0(network_, &space);
    if (available <= 0) return;
    const std::size_t n = std::min(input.size(), static_cast<std::size_t>(available));
    std::memcpy(space, input.data(), n);
    BIO_nwrite(network_, &space, static_cast<int>(n));
    input.remove_prefix(n);
  }
}

TlsTransport::Step TlsTransport::Handshake() {
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl_.get());
  const int error = result == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), result);
  // Alerts must reach the peer even when the handshake failed.
  if (!FlushCiphertext()) return Step::kStopped;
  switch (error) {
    case SSL_ERROR_NONE:
      if (!OnHandshakeDone()) return Step::kDestroyed;
      return has(kInnerClosing) ? Step::kStopped : Step::kProgress;
    case SSL_ERROR_WANT_READ:
      return Step::kNeedInput;
    case SSL_ERROR_WANT_WRITE:
      return Step::kProgress;  // Flushed above; try again.
    case SSL_ERROR_ZERO_RETURN:
      Fail(absl::UnavailableError("tls: connection closed during handshake"));
      return Step::kStopped;
    default:
      Fail(SslError(error, "handshake failed"));
      return Step::kStopped;
  }
}

TlsTransport::Step TlsTransport::ReadRecords() {
  if (read_buffer_ == nullptr) read_buffer_ = std::make_unique<char[]>(kReadChunk);
  while (!reading_blocked()) {
    ERR_clear_error();
    const int n = SSL_read(ssl_.get(), read_buffer_.get(), static_cast<int>(kReadChunk));
    const int error = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), n);
    // Reading may answer the peer (KeyUpdate, alerts).
    if (!FlushCiphertext()) return Step::kStopped;
    switch (error) {
      case SSL_ERROR_NONE: {
        const absl::string_view plaintext(read_buffer_.get(), static_cast<std::size_t>(n));
        if (!CallConsumer([&] { callbacks_->OnData(plaintext); })) return Step::kDestroyed;
        break;
      }
      case SSL_ERROR_WANT_READ:
        return Step::kNeedInput;
      case SSL_ERROR_WANT_WRITE:
        break;  // Flushed above; read again.
      case SSL_ERROR_ZERO_RETURN:
        return DeliverReadEof();
      default:
        Fail(SslError(error, "protocol error"));
        return Step::kStopped;
    }
  }
  return Step::kStopped;
}

TlsTransport::Step TlsTransport::DeliverReadEof() {
  set(kPeerClosed);
  pending_input_.Clear();
  if (!CallConsumer([&] { callbacks_->OnReadEof(); })) return Step::kDestroyed;
  // Both close_notify alerts exchanged: the TLS session is over.
  if (has(kWriteShut) && !has(kInnerClosing)) {
    set(kInnerClosing);
    inner_->Close();
  }
  return Step::kStopped;
}

bool TlsTransport::reading_blocked() const {
  return callbacks_ == nullptr || has(kReadPaused) || has(kPeerClosed) || has(kClosing) ||
         has(kInnerClosing) || has(kClosed);
}

// ---- Writing -------------------------------------------------------------------------------

bool TlsTransport::OnHandshakeDone() {
  set(kHandshakeDone);
  if (!pending_plaintext_.empty()) {
    const absl::Status status = Encrypt(pending_plaintext_.view());
    pending_plaintext_.Clear();
    if (!status.ok()) return true;
  }
  if (has(kClosing)) {
    StartClose();
    return true;
  }
  if (has(kShutdownPending)) StartShutdownWrite();
  return CheckLowWatermark();
}

absl::Status TlsTransport::Encrypt(absl::string_view plaintext) {
  while (!plaintext.empty()) {
    ERR_clear_error();
    const int size = static_cast<int>(std::min<std::size_t>(plaintext.size(), INT_MAX));
    const int n = SSL_write(ssl_.get(), plaintext.data(), size);
    const int error = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), n);
    if (error == SSL_ERROR_NONE) {
      plaintext.remove_prefix(static_cast<std::size_t>(n));
    } else if (error != SSL_ERROR_WANT_WRITE || BIO_ctrl_pending(network_) == 0) {
      absl::Status status = SslError(error, "write failed");
      Fail(status);
      return status;
    }
    if (!FlushCiphertext()) {
      return absl::UnavailableError(absl::StrCat("tls: write failed: ", close_reason_.message()));
    }
  }
  return absl::OkStatus();
}

// Hands everything OpenSSL produced to the inner transport, straight from the BIO pair's ring
// buffer (no copy of ours). False once the connection has failed.
bool TlsTransport::FlushCiphertext() {
  if (network_ == nullptr) return false;
  char* data = nullptr;
  int n;
  while ((n = BIO_nread0(network_, &data)) > 0) {
    if (has(kInnerClosing) || has(kClosed)) {
      BIO_nread(network_, &data, n);  // Discard: the connection is over.
      continue;
    }
    absl::Status status = inner_->Write(absl::string_view(data, static_cast<std::size_t>(n)));
    BIO_nread(network_, &data, n);
    if (!status.ok()) {
      Fail(std::move(status));
      return false;
    }
  }
  return !has(kFailed);
}

void TlsTransport::StartShutdownWrite() {
  clear(kShutdownPending);
  set(kWriteShut);
  ERR_clear_error();
  SSL_shutdown(ssl_.get());  // Sends close_notify; we do not wait for the peer's.
  ERR_clear_error();
  if (!FlushCiphertext()) return;
  if (has(kPeerClosed)) {
    set(kInnerClosing);
    inner_->Close();
  } else {
    inner_->ShutdownWrite();
  }
}

void TlsTransport::StartClose() {
  if (has(kHandshakeDone) && !has(kWriteShut) && !has(kFailed)) {
    set(kWriteShut);
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
    FlushCiphertext();
  }
  set(kInnerClosing);
  inner_->Close();
}

// Records the first error and closes the inner transport gracefully, so a pending alert still
// reaches the peer. Our OnClosed() follows the inner one.
void TlsTransport::Fail(absl::Status reason) {
  if (has(kFailed) || has(kClosed)) return;
  set(kFailed);
  close_reason_ = std::move(reason);
  pending_input_.Clear();
  if (!has(kInnerClosing)) {
    set(kInnerClosing);
    inner_->Close();
  }
}

absl::Status TlsTransport::SslError(int error, absl::string_view phase) {
  if (error != SSL_ERROR_SSL) {
    return absl::InternalError(absl::StrCat("tls: ", phase, ": ssl error ", error, ": ",
                                            DrainOpenSslErrors("no details")));
  }
  const unsigned long first = ERR_peek_error();
  const bool is_ssl = ERR_GET_LIB(first) == ERR_LIB_SSL;
  const int reason = ERR_GET_REASON(first);
  std::string detail = DrainOpenSslErrors();
  if (is_ssl && reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
    const long verify = SSL_get_verify_result(ssl_.get());
    return absl::UnauthenticatedError(
        absl::StrCat("tls: certificate verify failed: ", X509_verify_cert_error_string(verify),
                     " (", detail, ")"));
  }
  if (is_ssl && IsCertificateRejection(reason)) {
    return absl::UnauthenticatedError(absl::StrCat("tls: certificate rejected: ", detail));
  }
  return absl::InvalidArgumentError(absl::StrCat("tls: ", phase, ": ", detail));
}

// ---- Flow control and deferred work --------------------------------------------------------

void TlsTransport::CheckHighWatermark() {
  if (has(kAboveHigh) || buffered_bytes() <= watermarks_.high) return;
  set(kAboveHigh);
  if (callbacks_ != nullptr) callbacks_->OnWriteBufferHigh();
}

bool TlsTransport::CheckLowWatermark() {
  if (!has(kAboveHigh) || buffered_bytes() > watermarks_.low) return true;
  clear(kAboveHigh);
  if (callbacks_ == nullptr) return true;
  return CallConsumer([&] { callbacks_->OnWriteBufferLow(); });
}

// The inner transport reads only while we can pass its bytes on: during the handshake, or
// while the consumer accepts data and nothing older is still held here.
void TlsTransport::SyncInnerReading() {
  if (has(kInnerClosing) || has(kClosed)) return;
  const bool pause = has(kHandshakeDone) && !has(kPeerClosed) &&
                     (callbacks_ == nullptr || has(kReadPaused) || !pending_input_.empty() ||
                      (kick_ != nullptr && kick_->armed()));
  if (pause == has(kInnerPaused)) return;
  if (pause) {
    set(kInnerPaused);
    inner_->PauseReading();
  } else {
    clear(kInnerPaused);
    inner_->ResumeReading();
  }
}

bool TlsTransport::HasHeldInput() const {
  if (ssl_ == nullptr) return false;
  return !pending_input_.empty() || BIO_ctrl_wpending(network_) > 0 ||
         SSL_has_pending(ssl_.get()) == 1 || has(kInnerEof);
}

void TlsTransport::ScheduleKick() {
  if (kick_ == nullptr) kick_ = loop_.CreateTimer([this] { Kick(); });
  if (!kick_->armed()) kick_->Schedule(absl::ZeroDuration());
}

void TlsTransport::Kick() {
  if (has(kClosed)) {
    if (!has(kReported) && callbacks_ != nullptr) DeliverClosed();
    return;
  }
  ProcessInput({});
}

void TlsTransport::DeliverClosed() {
  set(kReported);
  TransportCallbacks* callbacks = std::exchange(callbacks_, nullptr);
  callbacks->OnClosed(std::move(close_reason_));  // May destroy `this`.
}

}  // namespace weft::reactor
