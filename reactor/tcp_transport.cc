#include "reactor/tcp_transport.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "reactor/base/check.h"
#include "reactor/socket_address.h"

namespace weft::reactor {
namespace {

absl::Status ErrnoStatus(absl::string_view what, int error) {
  return absl::UnavailableError(absl::StrCat("tcp: ", what, ": ", strerror(error)));
}

absl::Status SetOption(int fd, int level, int name, int value, absl::string_view what) {
  if (setsockopt(fd, level, name, &value, sizeof(value)) != 0) {
    return absl::InternalError(absl::StrCat("tcp: setsockopt ", what, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

TcpTransport::TcpTransport(EpollEventLoop& loop, int fd) : loop_(loop), fd_(fd) {}

TcpTransport::~TcpTransport() {
  if (destroyed_ != nullptr) *destroyed_ = true;
  CloseFd();
}

void TcpTransport::SetCallbacks(TransportCallbacks& callbacks) {
  WEFT_DCHECK(loop_.IsInLoopThread());
  callbacks_ = &callbacks;
  set(kStarted);
  if (has(kFailed)) {
    loop_.Schedule(*this);  // Failed before anyone listened: still report it.
    return;
  }
  UpdateInterest();
}

absl::Status TcpTransport::Write(absl::string_view bytes) {
  WEFT_DCHECK(loop_.IsInLoopThread());
  if (has(kClosing) || has(kShutdownPending) || has(kWriteShut)) {
    return absl::FailedPreconditionError("tcp: write after close");
  }
  if (has(kFailed)) return absl::UnavailableError("tcp: connection lost");
  // Checked before sending: a rejected write must not have sent a prefix of itself.
  if (buffer_.size() + bytes.size() > max_buffer_) {
    return absl::ResourceExhaustedError("tcp: write buffer limit exceeded");
  }
  if (buffer_.empty()) {
    const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n == static_cast<ssize_t>(bytes.size())) return absl::OkStatus();
    if (n >= 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
    } else if (errno != EAGAIN && errno != EINTR) {
      absl::Status error = ErrnoStatus("send", errno);
      FinishClose(error);
      return error;
    }
  }
  buffer_.Append(bytes);
  UpdateInterest();
  if (!has(kAboveHigh) && buffer_.size() > high_watermark_) {
    set(kAboveHigh);
    if (callbacks_ != nullptr) callbacks_->OnWriteBufferHigh();
  }
  return absl::OkStatus();
}

void TcpTransport::PauseReading() {
  set(kReadPaused);
  UpdateInterest();
}

void TcpTransport::ResumeReading() {
  clear(kReadPaused);
  UpdateInterest();
}

void TcpTransport::ShutdownWrite() {
  if (fd_ < 0 || has(kClosing) || has(kWriteShut)) return;
  set(kShutdownPending);
  if (buffer_.empty()) Flush();
}

void TcpTransport::Close() {
  WEFT_DCHECK(loop_.IsInLoopThread());
  if (fd_ < 0 || has(kClosing)) return;
  set(kClosing);
  if (buffer_.empty()) {
    FinishClose(absl::OkStatus());
  } else {
    UpdateInterest();  // Stop reading; keep writing until the buffer drains.
  }
}

void TcpTransport::Abort() {
  if (fd_ < 0) return;
  // SO_LINGER with a zero timeout makes close() send RST and drop unsent data.
  linger option{1, 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &option, sizeof(option));
  buffer_.Clear();
  set(kClosing);
  FinishClose(absl::CancelledError("tcp: connection aborted"));
}

void TcpTransport::SetWatermarks(const WriteWatermarks& requested) {
  const WriteWatermarks watermarks = requested.Normalized();
  low_watermark_ = static_cast<uint32_t>(std::min<std::size_t>(watermarks.low, UINT32_MAX));
  high_watermark_ = static_cast<uint32_t>(std::min<std::size_t>(watermarks.high, UINT32_MAX));
  max_buffer_ = static_cast<uint32_t>(std::min<std::size_t>(watermarks.max, UINT32_MAX));
}

std::string TcpTransport::peer_address() const {
  return fd_ < 0 ? "" : SocketAddress::Peer(fd_).ToString();
}

std::string TcpTransport::local_address() const {
  return fd_ < 0 ? "" : SocketAddress::Local(fd_).ToString();
}

absl::Status TcpTransport::SetNoDelay(bool enabled) {
  return SetOption(fd_, IPPROTO_TCP, TCP_NODELAY, enabled ? 1 : 0, "TCP_NODELAY");
}

absl::Status TcpTransport::SetKeepAlive(absl::Duration idle, absl::Duration interval, int count) {
  if (absl::Status s = SetOption(fd_, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE"); !s.ok()) {
    return s;
  }
  const int idle_s = static_cast<int>(std::max<int64_t>(1, absl::ToInt64Seconds(idle)));
  const int interval_s = static_cast<int>(std::max<int64_t>(1, absl::ToInt64Seconds(interval)));
  if (absl::Status s = SetOption(fd_, IPPROTO_TCP, TCP_KEEPIDLE, idle_s, "TCP_KEEPIDLE"); !s.ok()) {
    return s;
  }
  if (absl::Status s = SetOption(fd_, IPPROTO_TCP, TCP_KEEPINTVL, interval_s, "TCP_KEEPINTVL");
      !s.ok()) {
    return s;
  }
  return SetOption(fd_, IPPROTO_TCP, TCP_KEEPCNT, count, "TCP_KEEPCNT");
}

void TcpTransport::OnFdEvents(uint32_t events) {
  if ((events & EPOLLOUT) != 0) {
    HandleWritable();
    if (fd_ < 0) return;
  }
  if ((interest_ & EPOLLIN) != 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
    HandleReadable();
  } else if ((events & (EPOLLHUP | EPOLLERR)) != 0) {
    HandleHangup();
  }
}

void TcpTransport::HandleReadable() {
  char* buffer = loop_.read_buffer();
  ssize_t n = recv(fd_, buffer, EpollEventLoop::kReadBufferSize, MSG_DONTWAIT);
  // A full buffer means more is probably waiting: read again now rather than after another
  // epoll_wait (a bulk stream then costs a third of the wake-ups). A short read means the socket
  // is drained, so ping-pong traffic still costs one recv.
  for (int reads = 1; n == static_cast<ssize_t>(EpollEventLoop::kReadBufferSize); ++reads) {
    bool destroyed = false;
    destroyed_ = &destroyed;
    callbacks_->OnData(absl::string_view(buffer, static_cast<std::size_t>(n)));
    if (destroyed) return;  // The consumer destroyed this transport inside OnData().
    destroyed_ = nullptr;
    if (reads == kMaxReadsPerWakeup || (interest_ & EPOLLIN) == 0) return;
    n = recv(fd_, buffer, EpollEventLoop::kReadBufferSize, MSG_DONTWAIT);
  }
  if (n > 0) {
    callbacks_->OnData(absl::string_view(buffer, static_cast<std::size_t>(n)));
    return;
  }
  if (n == 0) {
    set(kReadEof);
    UpdateInterest();
    if (has(kWriteShut)) {
      FinishClose(absl::OkStatus());  // Both directions are done.
    } else {
      callbacks_->OnReadEof();
    }
    return;
  }
  if (errno == EAGAIN || errno == EINTR) return;
  FinishClose(ErrnoStatus("recv", errno));
}

void TcpTransport::HandleHangup() {
  // Not reading, so the socket error (if any) is only visible through SO_ERROR.
  int error = 0;
  socklen_t len = sizeof(error);
  getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len);
  FinishClose(error != 0 ? ErrnoStatus("connection lost", error)
                         : absl::UnavailableError("tcp: connection lost"));
}

void TcpTransport::HandleWritable() {
  Flush();
  if (fd_ < 0 || has(kFailed)) return;
  if (has(kAboveHigh) && buffer_.size() <= low_watermark_) {
    clear(kAboveHigh);
    if (callbacks_ != nullptr) callbacks_->OnWriteBufferLow();
  }
}

void TcpTransport::Flush() {
  while (!buffer_.empty()) {
    absl::string_view pending = buffer_.view();
    const ssize_t n = send(fd_, pending.data(), pending.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) break;
      FinishClose(ErrnoStatus("send", errno));
      return;
    }
    buffer_.Consume(static_cast<std::size_t>(n));
    if (static_cast<std::size_t>(n) < pending.size()) break;
  }
  if (buffer_.empty()) {
    if (has(kClosing)) {
      FinishClose(absl::OkStatus());
      return;
    }
    if (has(kShutdownPending)) {
      clear(kShutdownPending);
      set(kWriteShut);
      shutdown(fd_, SHUT_WR);
      if (has(kReadEof)) {
        FinishClose(absl::OkStatus());
        return;
      }
    }
  }
  UpdateInterest();
}

void TcpTransport::UpdateInterest() {
  if (fd_ < 0) return;
  uint32_t wanted = 0;
  if (has(kStarted) && !has(kReadPaused) && !has(kReadEof) && !has(kClosing)) wanted |= EPOLLIN;
  if (!buffer_.empty()) wanted |= EPOLLOUT;
  if (wanted == interest_) return;
  // A registered fd with no interest would still report EPOLLHUP in a loop, so unregister.
  if (wanted == 0) {
    loop_.RemoveFd(fd_, *this);
  } else if (interest_ == 0) {
    if (!loop_.AddFd(fd_, wanted, *this).ok())
      return FinishClose(absl::InternalError("tcp: epoll registration failed"));
  } else {
    loop_.ModifyFd(fd_, wanted, *this).IgnoreError();
  }
  interest_ = wanted;
}

void TcpTransport::FinishClose(absl::Status reason) {
  if (has(kFailed)) return;
  set(kFailed);
  close_reason_ = std::move(reason);
  CloseFd();
  buffer_.Clear();
  if (callbacks_ != nullptr) loop_.Schedule(*this);
}

void TcpTransport::CloseFd() {
  if (fd_ < 0) return;
  if (interest_ != 0) loop_.RemoveFd(fd_, *this);
  interest_ = 0;
  close(fd_);
  fd_ = -1;
}

void TcpTransport::RunDeferredCall() {
  TransportCallbacks* callbacks = callbacks_;
  callbacks_ = nullptr;
  callbacks->OnClosed(std::move(close_reason_));  // May destroy `this`.
}

}  // namespace weft::reactor
