// PipeTransport: the Transport over one end of a pipe (or another non-socket stream fd, such as
// a FIFO), as used for child-process stdin/stdout/stderr.
//
// Part of //reactor, on EpollEventLoop. A pipe carries bytes one way, so a PipeTransport is
// either a read end (OnData/OnReadEof, Write() fails) or a write end (Write/ShutdownWrite, never
// OnData). Otherwise it keeps the full Transport contract: OnClosed() exactly once, last, and
// never from inside a Transport method; watermarks and the buffer cap; pause/resume; Close()
// flushes.
//
// SIGPIPE: writing to a pipe whose reader has gone raises SIGPIPE in the writing thread, and
// pipes have no MSG_NOSIGNAL. Each write() therefore blocks SIGPIPE in the calling thread for the
// duration of the call and consumes the signal it caused, so the process never dies of it and no
// global signal disposition is touched; the write reports kUnavailable instead.
#ifndef WEFT_REACTOR_PIPE_TRANSPORT_H_
#define WEFT_REACTOR_PIPE_TRANSPORT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "reactor/byte_buffer.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/transport.h"

namespace weft::reactor {

enum class PipeEnd { kRead, kWrite };

class PipeTransport;

// Both ends of a fresh pipe(2), each wrapped in a transport (see PipeTransport::CreatePipe()).
struct PipeTransportPair {
  std::unique_ptr<PipeTransport> read_end;
  std::unique_ptr<PipeTransport> write_end;
};

class PipeTransport final : public Transport, private FdHandler, private DeferredCall {
 public:
  // Takes ownership of `fd` and makes it non-blocking (O_NONBLOCK belongs to the open file
  // description, so do not wrap an fd shared with others, such as an inherited stdin).
  // Reading starts at SetCallbacks(). `name` labels error messages and peer_address().
  //
  // A read end delivers OnData() and, at end of file, OnReadEof() followed by OnClosed(OkStatus())
  // on a later iteration: nothing is left to do on a pipe whose writer is gone. Write() on it
  // returns kFailedPrecondition.
  //
  // A write end never calls OnData(). Once registered (at SetCallbacks() or when bytes are
  // buffered) it notices the reader going away even while idle, and closes with kUnavailable.
  // ShutdownWrite() flushes and then closes the fd, which is how a pipe half-closes, and so
  // completes with OnClosed(OkStatus()).
  PipeTransport(EpollEventLoop& loop, int fd, PipeEnd end, std::string name = "pipe");
  ~PipeTransport() override;

  // Creates a pipe with O_CLOEXEC and wraps both ends. kInternal or kResourceExhausted (out of
  // fds) when pipe2() fails.
  static absl::StatusOr<PipeTransportPair> CreatePipe(EpollEventLoop& loop);

  // Transport
  void SetCallbacks(TransportCallbacks& callbacks) override;
  absl::Status Write(absl::string_view bytes) override;
  void PauseReading() override;
  void ResumeReading() override;
  void ShutdownWrite() override;
  void Close() override;
  void Abort() override;
  void SetWatermarks(const WriteWatermarks& watermarks) override;
  std::size_t buffered_bytes() const override { return buffer_.size(); }
  std::string peer_address() const override { return name_; }
  std::string local_address() const override { return ""; }

  PipeEnd end() const { return end_; }
  // The wrapped fd, or -1 once closed.
  int fd() const { return fd_; }

 private:
  enum Flag : uint16_t {
    kStarted = 1 << 0,
    kReadPaused = 1 << 1,
    kClosing = 1 << 2,  // Close() or ShutdownWrite(): the fd closes once the buffer drains.
    kAboveHigh = 1 << 3,
    kFailed = 1 << 4,    // Finished; OnClosed() pending or delivered.
    kReported = 1 << 5,  // OnClosed() delivered.
  };

  // FdHandler
  void OnFdEvents(uint32_t events) override;
  // DeferredCall
  void RunDeferredCall() override;

  void HandleReadable();
  void HandleWritable(uint32_t events);
  // Writes as much of the buffer as the pipe takes; false when the transport finished.
  bool Flush();
  void UpdateInterest();
  void FinishClose(absl::Status reason);
  void CloseFd();
  absl::Status ErrnoStatus(absl::string_view what, int error) const;
  bool has(Flag flag) const { return (flags_ & flag) != 0; }
  void set(Flag flag) { flags_ |= flag; }
  void clear(Flag flag) { flags_ &= ~flag; }

  EpollEventLoop& loop_;
  const std::string name_;
  TransportCallbacks* callbacks_ = nullptr;  // Not owned; null until SetCallbacks().
  ByteBuffer buffer_;
  absl::Status close_reason_;  // Delivered by RunDeferredCall().
  std::size_t low_watermark_ = WriteWatermarks{}.low;
  std::size_t high_watermark_ = WriteWatermarks{}.high;
  std::size_t max_buffer_ = WriteWatermarks{}.max;
  int fd_;
  const PipeEnd end_;
  bool registered_ = false;
  uint32_t interest_ = 0;  // Events registered with epoll while registered_.
  uint16_t flags_ = 0;
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_PIPE_TRANSPORT_H_
