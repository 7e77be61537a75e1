// TcpTransport: the Transport over a connected stream socket (TCP over IPv4/IPv6, or Unix).
//
// Part of //reactor, on EpollEventLoop. Reads go into the loop's shared read buffer (one read
// per readiness event, level-triggered) and are handed to OnData() without a copy; Write() sends
// at once and buffers only what the kernel refuses, so an echo costs no heap allocation. The
// object is kept small because idle connections are the common case.
#ifndef WEFT_REACTOR_TCP_TRANSPORT_H_
#define WEFT_REACTOR_TCP_TRANSPORT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "reactor/byte_buffer.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/transport.h"

namespace weft::reactor {

class TcpTransport final : public Transport, private FdHandler, private DeferredCall {
 public:
  // Takes ownership of `fd`, a connected, non-blocking stream socket. Reading starts at
  // SetCallbacks().
  TcpTransport(EpollEventLoop& loop, int fd);
  ~TcpTransport() override;

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
  std::string peer_address() const override;
  std::string local_address() const override;

  // Socket options; kInternal when the kernel refuses (e.g. TCP options on a Unix socket).
  absl::Status SetNoDelay(bool enabled);
  // Enables keepalive probes after `idle` without traffic, every `interval`, `count` times.
  absl::Status SetKeepAlive(absl::Duration idle, absl::Duration interval, int count);

  int fd() const { return fd_; }

 private:
  enum Flag : uint16_t {
    kStarted = 1 << 0,
    kReadPaused = 1 << 1,
    kReadEof = 1 << 2,
    kClosing = 1 << 3,  // Close() called; fd closes once the buffer drains.
    kShutdownPending = 1 << 4,
    kWriteShut = 1 << 5,
    kAboveHigh = 1 << 6,
    kFailed = 1 << 7,  // I/O error seen; OnClosed() pending or delivered.
  };

  // FdHandler
  void OnFdEvents(uint32_t events) override;
  // DeferredCall
  void RunDeferredCall() override;

  void HandleReadable();
  void HandleHangup();
  void HandleWritable();
  void Flush();
  void UpdateInterest();
  void FinishClose(absl::Status reason);
  void CloseFd();
  bool has(Flag flag) const { return (flags_ & flag) != 0; }
  void set(Flag flag) { flags_ |= flag; }
  void clear(Flag flag) { flags_ &= ~flag; }

  // Reads per readiness event while each read fills the loop's buffer.
  static constexpr int kMaxReadsPerWakeup = 8;

  EpollEventLoop& loop_;
  TransportCallbacks* callbacks_ = nullptr;  // Not owned; null until SetCallbacks().
  bool* destroyed_ = nullptr;  // Set while OnData() runs in a read loop; see HandleReadable().
  ByteBuffer buffer_;
  absl::Status close_reason_;  // Delivered by RunDeferredCall().
  uint32_t low_watermark_ = WriteWatermarks{}.low;
  uint32_t high_watermark_ = WriteWatermarks{}.high;
  uint32_t max_buffer_ = WriteWatermarks{}.max;
  int fd_;
  uint32_t interest_ = 0;  // Events registered with epoll; 0 means not registered.
  uint16_t flags_ = 0;
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_TCP_TRANSPORT_H_
