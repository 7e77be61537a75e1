// Transport: a bidirectional byte stream (TCP, Unix, TLS, a pipe, or in-memory for tests), and
// TransportCallbacks: the events it delivers to its single consumer.
//
// Part of //reactor. Implementations: TcpTransport (stream sockets of any family),
// TlsTransport (wraps another Transport), PipeTransport (child-process pipes) and
// InMemoryTransport (//reactor/testing). Twisted's Protocol/Factory layer over this sits in
// protocol.h.
#ifndef WEFT_REACTOR_TRANSPORT_H_
#define WEFT_REACTOR_TRANSPORT_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace weft::reactor {

class Transport;

// Events from a Transport. All run on the transport's loop thread. Only OnWriteBufferHigh() may
// run inside a Transport method (the Write() that crossed the watermark); every other event,
// OnClosed() above all, comes from the loop, never from inside a call the consumer made.
class TransportCallbacks {
 public:
  TransportCallbacks() = default;
  TransportCallbacks(const TransportCallbacks&) = delete;
  TransportCallbacks& operator=(const TransportCallbacks&) = delete;
  virtual ~TransportCallbacks() = default;

  // Bytes arrived. `bytes` is valid only during the call (it points into a buffer the loop
  // reuses); copy what must outlive it.
  virtual void OnData(absl::string_view bytes) = 0;

  // The peer finished sending (TCP FIN). Writing is still allowed; the consumer decides when to
  // Close(). Fires at most once, and never after OnClosed().
  virtual void OnReadEof() = 0;

  // The write buffer rose above the high watermark: stop producing until OnWriteBufferLow().
  // Runs inside the Write() that crossed the watermark.
  virtual void OnWriteBufferHigh() = 0;

  // The write buffer drained to the low watermark after an OnWriteBufferHigh().
  virtual void OnWriteBufferLow() = 0;

  // The transport is closed; fires exactly once, last. OkStatus() after an orderly Close() or
  // a peer close after OnReadEof(); kUnavailable on reset or I/O error; kDeadlineExceeded on a
  // timeout imposed by a wrapper; kCancelled on Abort().
  virtual void OnClosed(absl::Status reason) = 0;
};

// Flow-control thresholds, in bytes of unsent data held by the transport.
struct WriteWatermarks {
  std::size_t low = 16 * 1024;
  std::size_t high = 64 * 1024;
  // Write() fails with kResourceExhausted instead of buffering past this, so a producer that
  // ignores OnWriteBufferHigh() cannot grow memory without bound.
  std::size_t max = 64 * 1024 * 1024;

  // The thresholds made consistent (low <= high <= max), as every transport applies them: they
  // often come from configuration, which must never crash the process.
  WriteWatermarks Normalized() const {
    WriteWatermarks out = *this;
    if (out.high > out.max) out.high = out.max;
    if (out.low > out.high) out.low = out.high;
    return out;
  }
};

class Transport {
 public:
  Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  // Destroying a transport releases its resources at once, without calling OnClosed().
  virtual ~Transport() = default;

  // Sets the consumer and starts reading. `callbacks` must outlive the transport or be replaced
  // by another SetCallbacks() call. Loop thread only.
  virtual void SetCallbacks(TransportCallbacks& callbacks) = 0;

  // Sends `bytes`, copying whatever the kernel does not take at once. All or nothing: a refused
  // write sent no byte of itself. kFailedPrecondition after Close(), Abort() or ShutdownWrite();
  // kUnavailable once the peer is gone; kResourceExhausted past WriteWatermarks::max.
  virtual absl::Status Write(absl::string_view bytes) = 0;

  // Stops and restarts delivery of OnData()/OnReadEof(); bytes wait in the kernel meanwhile, so
  // the peer's sends eventually block (TCP flow control).
  virtual void PauseReading() = 0;
  virtual void ResumeReading() = 0;

  // Half-close: flushes buffered bytes, then shuts down the sending direction (TCP FIN). Reading
  // continues.
  virtual void ShutdownWrite() = 0;

  // Starts an orderly close: flushes queued bytes, then calls OnClosed(OkStatus()) exactly once.
  // Writes after Close() return kFailedPrecondition. Loop thread only.
  virtual void Close() = 0;

  // Closes at once, discarding unsent bytes (TCP RST where the transport has one); OnClosed()
  // follows with kCancelled.
  virtual void Abort() = 0;

  // Applies `watermarks.Normalized()`.
  virtual void SetWatermarks(const WriteWatermarks& watermarks) = 0;

  // Bytes accepted by Write() but not yet handed to the kernel (or to the wrapped transport).
  virtual std::size_t buffered_bytes() const = 0;

  // Human-readable endpoint names ("127.0.0.1:4242", "[::1]:80", "unix:/run/weft.sock"), empty
  // when unknown.
  virtual std::string peer_address() const = 0;
  virtual std::string local_address() const = 0;
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_TRANSPORT_H_
