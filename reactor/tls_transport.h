// TlsTransport: TLS (OpenSSL 3) as a Transport that wraps another Transport.
//
// Part of //reactor. The wrapper owns the inner transport (TCP, Unix, a pipe, or in-memory in
// tests) and is its TransportCallbacks: ciphertext goes through a BIO pair, so OpenSSL never
// touches a socket and the same code serves connect-time TLS, accept-time TLS and STARTTLS.
// STARTTLS in place, from a session that owns `std::unique_ptr<Transport> t`:
//
//   t = TlsTransport::Wrap(loop, std::move(t), ctx, TlsRole::kServer);
//   t->SetCallbacks(*this);
//
// Bytes the inner transport already delivered stay with the old consumer; from Wrap() on the
// inner transport reports to the wrapper. See docs/reactor/tls.md for the error table.
#ifndef WEFT_REACTOR_TLS_TRANSPORT_H_
#define WEFT_REACTOR_TLS_TRANSPORT_H_

#include <openssl/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "reactor/byte_buffer.h"
#include "reactor/event_loop.h"
#include "reactor/tls_context.h"
#include "reactor/transport.h"

namespace weft::reactor {

enum class TlsRole { kClient, kServer };

// Loop thread only, like every Transport. Handshake failures arrive as OnClosed():
//   kUnauthenticated  certificate verification failed (ours of the peer, or the peer's of ours:
//                     "tls: certificate verify failed: hostname mismatch (...)")
//   kInvalidArgument  the peer broke the protocol: garbage instead of TLS, no common version,
//                     cipher or ALPN protocol, a fatal alert ("tls: handshake failed: ...")
//   kUnavailable      the connection ended mid-handshake, or without close_notify afterwards
//   kInternal         OpenSSL failed locally (allocation)
// Messages carry OpenSSL's reason string and never key material.
class TlsTransport final : public Transport, private TransportCallbacks {
 public:
  // Starts TLS over `inner` and re-points `inner`'s callbacks at the wrapper. A client sends its
  // ClientHello at once; a server waits for one. `loop` must outlive the transport; `context` is
  // not retained (its SSL_CTX is, by reference count). For a client, a non-empty `server_name`
  // is sent as SNI (unless it is an IP literal) and the certificate must match it when the
  // context verifies peers; with an empty name only the chain is verified. A server ignores it.
  static std::unique_ptr<TlsTransport> Wrap(EventLoop& loop, std::unique_ptr<Transport> inner,
                                            const TlsContext& context, TlsRole role,
                                            absl::string_view server_name = "");
  ~TlsTransport() override;

  // Transport
  // Writes before the handshake completes are held and sent after it. PauseReading() also
  // holds data already decrypted. ShutdownWrite() sends close_notify; Close() flushes, sends
  // close_notify and closes the inner transport. The peer's close_notify arrives as
  // OnReadEof().
  void SetCallbacks(TransportCallbacks& callbacks) override;
  absl::Status Write(absl::string_view bytes) override;
  void PauseReading() override;
  void ResumeReading() override;
  void ShutdownWrite() override;
  void Close() override;
  void Abort() override;
  // Watermarks count plaintext held before the handshake plus ciphertext the inner transport
  // has not sent yet.
  void SetWatermarks(const WriteWatermarks& watermarks) override;
  std::size_t buffered_bytes() const override;
  std::string peer_address() const override { return inner_->peer_address(); }
  std::string local_address() const override { return inner_->local_address(); }

  bool handshake_complete() const { return has(kHandshakeDone); }
  // The negotiated ALPN protocol; empty before the handshake or without agreement.
  absl::string_view alpn_protocol() const;
  // Server: the SNI name the client sent (empty if none). Client: the name passed to Wrap().
  absl::string_view server_name() const;
  // The peer certificate's subject in RFC 2253 form ("CN=localhost,O=Weft Test"); empty when
  // the peer sent none. Only verified when the context verifies peers.
  std::string peer_subject() const;
  // "TLSv1.3", "TLSv1.2"; empty before the handshake.
  absl::string_view protocol_version() const;

 private:
  enum Flag : uint16_t {
    kHandshakeDone = 1 << 0,
    kReadPaused = 1 << 1,   // PauseReading() by the consumer.
    kInnerPaused = 1 << 2,  // We paused the inner transport.
    kInnerEof = 1 << 3,     // The inner transport reported OnReadEof().
    kPeerClosed = 1 << 4,   // close_notify received and OnReadEof() delivered.
    kShutdownPending = 1 << 5,
    kWriteShut = 1 << 6,     // close_notify sent.
    kClosing = 1 << 7,       // Close() or Abort() called.
    kInnerClosing = 1 << 8,  // We called Close() or Abort() on the inner transport.
    kFailed = 1 << 9,        // close_reason_ holds an error.
    kClosed = 1 << 10,       // The inner transport reported OnClosed().
    kReported = 1 << 11,     // Our OnClosed() was delivered.
    kAboveHigh = 1 << 12,
  };
  enum class Step { kNeedInput, kProgress, kStopped, kDestroyed };
  struct SslDeleter {
    void operator()(SSL* ssl) const;
  };

  TlsTransport(EventLoop& loop, std::unique_ptr<Transport> inner, SSL* ssl, BIO* network);

  // TransportCallbacks, from the inner transport.
  void OnData(absl::string_view bytes) override;
  void OnReadEof() override;
  void OnWriteBufferHigh() override;
  void OnWriteBufferLow() override;
  void OnClosed(absl::Status reason) override;

  absl::Status SetServerName(absl::string_view server_name);
  bool ProcessInput(absl::string_view fresh);  // False when a callback destroyed `this`.
  void FeedBio(absl::string_view& input);
  Step Handshake();
  Step ReadRecords();
  Step DeliverReadEof();
  bool OnHandshakeDone();  // False when a callback destroyed `this`.
  absl::Status Encrypt(absl::string_view plaintext);
  bool FlushCiphertext();
  void StartShutdownWrite();
  void StartClose();
  void Fail(absl::Status reason);
  absl::Status SslError(int error, absl::string_view phase);
  void CheckHighWatermark();
  bool CheckLowWatermark();  // False when a callback destroyed `this`.
  void SyncInnerReading();
  bool HasHeldInput() const;
  void ScheduleKick();
  void Kick();
  void DeliverClosed();
  template <typename Callback>
  bool CallConsumer(Callback callback);  // False when the callback destroyed `this`.
  bool reading_blocked() const;
  bool has(Flag flag) const { return (flags_ & flag) != 0; }
  void set(Flag flag) { flags_ |= flag; }
  void clear(Flag flag) { flags_ &= ~flag; }

  static constexpr std::size_t kBioSize = 17 * 1024;    // One full TLS record and then some.
  static constexpr std::size_t kReadChunk = 16 * 1024;  // Max TLS plaintext record.

  EventLoop& loop_;
  std::unique_ptr<Transport> inner_;
  std::unique_ptr<SSL, SslDeleter> ssl_;
  BIO* network_;                             // Our end of the BIO pair; ssl_ owns the other.
  TransportCallbacks* callbacks_ = nullptr;  // Not owned; null until SetCallbacks().
  ByteBuffer pending_plaintext_;             // Written before the handshake completed.
  ByteBuffer pending_input_;                 // Ciphertext not yet in the BIO (reading blocked).
  std::unique_ptr<char[]> read_buffer_;      // Plaintext scratch, allocated on first read.
  std::unique_ptr<Timer> kick_;              // Deferred delivery; created on first use.
  absl::Status close_reason_;                // Overrides the inner transport's reason.
  std::string client_server_name_;
  WriteWatermarks watermarks_;
  bool* destroyed_ = nullptr;  // Set while a consumer callback that may destroy us runs.
  uint16_t flags_ = 0;
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_TLS_TRANSPORT_H_
