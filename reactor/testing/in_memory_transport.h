// InMemoryTransport: a Transport whose peer is the test, and TransportPair: two of them
// connected back to back with a pump.
//
// Part of //reactor/testing (testonly), for any EventLoop (normally FakeEventLoop). Session tests
// drive one InMemoryTransport by hand: Deliver() bytes, read written(). Client/server and TLS
// tests connect two endpoints with TransportPair and call Pump() to move bytes between them, with
// TCP-like half-close, close and reset semantics. Both follow the Transport contract in
// reactor/transport.h exactly as TcpTransport does, including watermarks and the write-buffer
// limit, so code tested here behaves the same over sockets.
#ifndef WEFT_REACTOR_TESTING_IN_MEMORY_TRANSPORT_H_
#define WEFT_REACTOR_TESTING_IN_MEMORY_TRANSPORT_H_

#include <cstddef>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "reactor/event_loop.h"
#include "reactor/transport.h"

namespace weft::reactor {

class TransportPair;

// Bytes the consumer writes first leave the transport into written(), which models the network
// and the peer's receive buffer. By default that room is unlimited, so buffered_bytes() stays 0.
// SetPeerWindow() bounds it: bytes beyond the window wait in the transport's own buffer
// (buffered_bytes()), so watermarks, the write-buffer limit and Close()'s flush behave as on a
// socket whose peer does not read, until the test consumes with ConsumeWritten()/TakeWritten().
//
// Callbacks: OnData()/OnReadEof() run synchronously inside Deliver()/DeliverEof() when reading
// is on, or from the loop after SetCallbacks()/ResumeReading() for input that waited.
// OnWriteBufferHigh() may run inside Write(), as on TcpTransport; OnWriteBufferLow() runs inside
// the test call that drained the buffer. OnClosed() fires exactly once and always from the loop
// (a zero-delay loop timer owned by the transport, so destroying the transport cancels it),
// never inside a Transport method. Destroying the transport calls nothing. Loop thread only.
class InMemoryTransport final : public Transport {
 public:
  static constexpr std::size_t kUnlimitedWindow = std::numeric_limits<std::size_t>::max();
  // OnData() receives at most this many bytes per call, like TcpTransport's read buffer.
  static constexpr std::size_t kMaxReadChunk = 64 * 1024;

  // `loop` must outlive the transport.
  explicit InMemoryTransport(EventLoop& loop);
  ~InMemoryTransport() override;

  // Transport
  void SetCallbacks(TransportCallbacks& callbacks) override;
  absl::Status Write(absl::string_view bytes) override;
  void PauseReading() override;
  void ResumeReading() override;
  void ShutdownWrite() override;
  void Close() override;
  void Abort() override;
  void SetWatermarks(const WriteWatermarks& watermarks) override;
  std::size_t buffered_bytes() const override { return pending_.size(); }
  std::string peer_address() const override { return peer_address_; }
  std::string local_address() const override { return local_address_; }

  // --- The simulated peer (test side) ---

  // The peer sends `bytes`: OnData() runs now, in chunks of at most kMaxReadChunk, unless
  // reading is paused or SetCallbacks() has not been called, in which case the bytes queue and
  // arrive from the loop after ResumeReading()/SetCallbacks(). Dropped once the transport is
  // closing or closed. Delivering after DeliverEof() is a bug in the test and aborts.
  void Deliver(absl::string_view bytes);
  // The peer finished sending (FIN): OnReadEof() after any queued bytes, subject to pausing like
  // Deliver(). If ShutdownWrite() already completed, the connection is done in both directions
  // and OnClosed(OkStatus()) follows instead, as on TcpTransport.
  void DeliverEof();
  // The peer reset the connection: unsent bytes are dropped and OnClosed(kUnavailable) follows
  // from the loop; later writes return kUnavailable. No-op once closed.
  void DeliverReset();

  // Bytes sent and not yet consumed by the peer.
  const std::string& written() const { return written_; }
  // Consumes and returns everything in written().
  std::string TakeWritten();
  // Consumes and returns the first `bytes` bytes of written() (fewer if it holds fewer). Makes
  // room in the window: buffered bytes move on, which may complete Close()/ShutdownWrite() and
  // call OnWriteBufferLow() synchronously.
  std::string ConsumeWritten(std::size_t bytes);
  // Bounds written() to `bytes` (kUnlimitedWindow: no bound, the default). Widening it moves
  // buffered bytes on at once, as ConsumeWritten() does.
  void SetPeerWindow(std::size_t bytes);

  // Close() or Abort() was called, or the connection ended; OnClosed() was or will be delivered.
  bool closed() const { return closing_ || finished_; }
  bool aborted() const { return aborted_; }
  // ShutdownWrite() was called and every buffered byte has left (the FIN is sent).
  bool write_shut_down() const { return write_shut_; }
  bool reading_paused() const { return read_paused_; }

  void set_peer_address(std::string address) { peer_address_ = std::move(address); }
  void set_local_address(std::string address) { local_address_ = std::move(address); }

 private:
  friend class TransportPair;
  class DestroyGuard;

  bool CanRead() const;
  bool HasNotification() const;
  void ArmNotify();
  void RunNotifications();
  bool DrainInbound(const DestroyGuard& guard);
  void DeliverClosed();
  void Flush();
  void FinishClose(absl::Status reason);

  EventLoop& loop_;
  TransportCallbacks* callbacks_ = nullptr;  // Not owned; null until SetCallbacks().
  std::unique_ptr<Timer> notify_;            // Zero-delay: queued input and OnClosed().
  WriteWatermarks watermarks_;
  std::size_t window_ = kUnlimitedWindow;
  std::string pending_;  // Accepted by Write(), not yet sent: buffered_bytes().
  std::string written_;  // Sent, not yet consumed by the peer.
  std::string inbound_;  // Delivered by the peer, not yet passed to OnData().
  absl::Status close_reason_;
  std::string peer_address_;
  std::string local_address_;
  DestroyGuard* guards_ = nullptr;  // Innermost live guard on the stack.
  TransportPair* pair_ = nullptr;   // The pair that connects this endpoint, if any.

  bool read_paused_ = false;
  bool eof_pending_ = false;       // The peer's FIN waits behind inbound_ or a pause.
  bool read_eof_ = false;          // The peer's FIN was processed.
  bool closing_ = false;           // Close() or Abort() called.
  bool shutdown_pending_ = false;  // ShutdownWrite() waits for the buffer to drain.
  bool write_shut_ = false;
  bool fin_sent_ = false;  // Nothing more will be sent: write shut or closed after a flush.
  bool above_high_ = false;
  bool aborted_ = false;
  bool reset_ = false;     // DeliverReset() ended the connection.
  bool finished_ = false;  // OnClosed() pending or delivered.
  bool closed_delivered_ = false;
};

// Two InMemoryTransports, A and B, connected to each other; nothing moves until Pump().
//
// Semantics follow TCP. Bytes A writes travel to B in order, respecting B's PauseReading() and
// whether B has called SetCallbacks() yet. ShutdownWrite() on A: once its buffer drains, B gets
// OnReadEof(). Close() on A: A flushes, gets OnClosed(OkStatus()); B receives the remaining
// bytes, then OnReadEof(), and gets OnClosed(OkStatus()) once it closes (or shuts down) too.
// Abort() on A: bytes in flight are dropped and B gets OnClosed(kUnavailable). Bytes that reach
// an endpoint that has closed (Close(), Abort(), or destroyed) are dropped and their sender is
// reset (OnClosed(kUnavailable)), as a TCP stack answers with RST. Destroying a transport acts
// like closing its socket: bytes it already sent still arrive, then the peer sees OnReadEof().
//
// Loop thread only. Either side may destroy its transport at any time, even inside a callback
// during Pump(); transports that outlive the pair keep working as standalone InMemoryTransports.
class TransportPair {
 public:
  enum class Side { kA, kB };

  // `loop` must outlive the pair and both transports.
  explicit TransportPair(EventLoop& loop);
  ~TransportPair();

  TransportPair(const TransportPair&) = delete;
  TransportPair& operator=(const TransportPair&) = delete;

  // Hands over an endpoint; each may be taken once. A's local address is "memory:a", its peer's
  // "memory:b", and the other way round for B.
  std::unique_ptr<Transport> TakeA();
  std::unique_ptr<Transport> TakeB();

  // Bounds the bytes that may be in flight from `sender` to its peer while the peer does not
  // read (paused); beyond it they wait in the sender's buffer (buffered_bytes()) and drive its
  // watermarks. Unlimited by default.
  void SetWindow(Side sender, std::size_t bytes);

  // Moves bytes, half-closes, closes and resets both ways, in chunks of at most
  // InMemoryTransport::kMaxReadChunk, until nothing moves; returns the bytes moved. Callbacks
  // run inside Pump(), and whatever they write moves in the same call, so a handshake completes
  // in one Pump(). Does not run the loop: OnClosed() and input queued across a pause arrive
  // when the loop runs (FakeEventLoop::RunUntilIdle()). Do not destroy the pair from a callback.
  std::size_t Pump();

 private:
  friend class InMemoryTransport;

  struct End {
    std::unique_ptr<InMemoryTransport> owned;  // Until taken.
    InMemoryTransport* transport = nullptr;    // Null once destroyed.
    std::string orphan;                        // In flight when `transport` was destroyed.
    bool gone_aborted = false;
    bool fin_delivered = false;
    bool rst_delivered = false;
  };

  // Called by ~InMemoryTransport.
  void Detach(InMemoryTransport& transport);
  // Moves one unit of traffic from `from` to `to`; false when there was nothing to do.
  bool Step(End& from, End& to, std::size_t& moved);
  bool StepDead(End& from, End& to);  // `from` was aborted or reset.
  bool StepData(End& from, End& to, std::size_t& moved);
  bool StepFin(End& from, End& to);

  static std::string& InFlight(End& end);
  static bool Aborted(const End& end);
  static bool WasReset(const End& end);
  static bool FinSent(const End& end);
  static bool ClosedForReading(const End& end);

  End a_;
  End b_;
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_TESTING_IN_MEMORY_TRANSPORT_H_
