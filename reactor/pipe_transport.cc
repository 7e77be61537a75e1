#include "reactor/pipe_transport.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "absl/strings/str_cat.h"
#include "reactor/base/check.h"

namespace weft::reactor {
namespace {

// write(2) that cannot raise SIGPIPE: blocks it in this thread for the call and, when the write
// failed with EPIPE, consumes the signal the kernel queued for the thread. When a SIGPIPE is
// already pending (so it is blocked already, and standard signals coalesce) there is nothing to
// block or consume. errno is preserved from write().
ssize_t WriteWithoutSigpipe(int fd, absl::string_view bytes) {
  sigset_t sigpipe;
  sigemptyset(&sigpipe);
  sigaddset(&sigpipe, SIGPIPE);
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  const bool already_pending = sigismember(&pending, SIGPIPE) == 1;
  sigset_t old_mask;
  if (!already_pending) pthread_sigmask(SIG_BLOCK, &sigpipe, &old_mask);
  const ssize_t n = write(fd, bytes.data(), bytes.size());
  if (!already_pending) {
    const int saved_errno = errno;
    if (n < 0 && saved_errno == EPIPE) {
      const timespec zero{};
      while (sigtimedwait(&sigpipe, nullptr, &zero) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    errno = saved_errno;
  }
  return n;
}

}  // namespace

PipeTransport::PipeTransport(EpollEventLoop& loop, int fd, PipeEnd end, std::string name)
    : loop_(loop), name_(std::move(name)), fd_(fd), end_(end) {
  const int flags = fcntl(fd_, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK) == 0) fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
}

PipeTransport::~PipeTransport() { CloseFd(); }

absl::StatusOr<PipeTransportPair> PipeTransport::CreatePipe(EpollEventLoop& loop) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    const int error = errno;
    std::string message = absl::StrCat("pipe: pipe2: ", strerror(error));
    if (error == EMFILE || error == ENFILE) return absl::ResourceExhaustedError(message);
    return absl::InternalError(message);
  }
  PipeTransportPair pair;
  pair.read_end = std::make_unique<PipeTransport>(loop, fds[0], PipeEnd::kRead);
  pair.write_end = std::make_unique<PipeTransport>(loop, fds[1], PipeEnd::kWrite);
  return pair;
}

void PipeTransport::SetCallbacks(TransportCallbacks& callbacks) {
  WEFT_DCHECK(loop_.IsInLoopThread());
  callbacks_ = &callbacks;
  set(kStarted);
  if (has(kFailed)) {
    if (!has(kReported)) loop_.Schedule(*this);  // Finished before anyone listened.
    return;
  }
  UpdateInterest();
}

absl::Status PipeTransport::Write(absl::string_view bytes) {
  WEFT_DCHECK(loop_.IsInLoopThread());
  if (end_ == PipeEnd::kRead) {
    return absl::FailedPreconditionError(absl::StrCat(name_, ": read end is not writable"));
  }
  if (has(kClosing))
    return absl::FailedPreconditionError(absl::StrCat(name_, ": write after close"));
  if (has(kFailed)) return absl::UnavailableError(absl::StrCat(name_, ": read end closed"));
  // All or nothing: a refused write sends none of its bytes, so the stream stays intact.
  if (buffer_.size() + bytes.size() > max_buffer_) {
    return absl::ResourceExhaustedError(absl::StrCat(name_, ": write buffer limit exceeded"));
  }
  if (buffer_.empty() && !bytes.empty()) {
    const ssize_t n = WriteWithoutSigpipe(fd_, bytes);
    if (n == static_cast<ssize_t>(bytes.size())) return absl::OkStatus();
    if (n >= 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
    } else if (errno != EAGAIN && errno != EINTR) {
      absl::Status error = ErrnoStatus("write", errno);
      FinishClose(error);
      return error;
    }
  }
  if (bytes.empty()) return absl::OkStatus();
  buffer_.Append(bytes);
  UpdateInterest();
  if (!has(kAboveHigh) && buffer_.size() > high_watermark_) {
    set(kAboveHigh);
    if (callbacks_ != nullptr) callbacks_->OnWriteBufferHigh();
  }
  return absl::OkStatus();
}

void PipeTransport::PauseReading() {
  WEFT_DCHECK(loop_.IsInLoopThread());
  set(kReadPaused);
  UpdateInterest();
}

void PipeTransport::ResumeReading() {
  WEFT_DCHECK(loop_.IsInLoopThread());
  clear(kReadPaused);
  UpdateInterest();
}

void PipeTransport::ShutdownWrite() {
  // A pipe half-closes by closing its write end, which finishes a write-end transport.
  if (end_ == PipeEnd::kWrite) Close();
}

void PipeTransport::Close() {
  WEFT_DCHECK(loop_.IsInLoopThread());
  if (fd_ < 0 || has(kClosing)) return;
  set(kClosing);
  if (buffer_.empty()) {
    FinishClose(absl::OkStatus());
  } else {
    UpdateInterest();  // Keep writing until the buffer drains.
  }
}

void PipeTransport::Abort() {
  WEFT_DCHECK(loop_.IsInLoopThread());
  if (fd_ < 0) return;
  buffer_.Clear();
  set(kClosing);
  FinishClose(absl::CancelledError(absl::StrCat(name_, ": aborted")));
}

void PipeTransport::SetWatermarks(const WriteWatermarks& requested) {
  const WriteWatermarks watermarks = requested.Normalized();
  low_watermark_ = watermarks.low;
  high_watermark_ = watermarks.high;
  max_buffer_ = watermarks.max;
}

void PipeTransport::OnFdEvents(uint32_t events) {
  if (end_ == PipeEnd::kRead) {
    // EPOLLHUP (writer gone) is handled by reading: the remaining bytes, then end of file.
    if ((interest_ & EPOLLIN) != 0) HandleReadable();
  } else {
    HandleWritable(events);
  }
}

void PipeTransport::HandleReadable() {
  char* buffer = loop_.read_buffer();
  const ssize_t n = read(fd_, buffer, EpollEventLoop::kReadBufferSize);
  if (n > 0) {
    callbacks_->OnData(absl::string_view(buffer, static_cast<std::size_t>(n)));
    return;  // May have destroyed `this`.
  }
  if (n == 0) {
    // Nothing is left to do on a pipe whose writer has gone: finish now, so OnClosed() follows
    // OnReadEof() from the loop.
    TransportCallbacks* callbacks = callbacks_;
    FinishClose(absl::OkStatus());
    callbacks->OnReadEof();  // May destroy `this`.
    return;
  }
  if (errno == EAGAIN || errno == EINTR) return;
  FinishClose(ErrnoStatus("read", errno));
}

void PipeTransport::HandleWritable(uint32_t events) {
  if ((events & (EPOLLERR | EPOLLHUP)) != 0) {
    FinishClose(absl::UnavailableError(absl::StrCat(name_, ": read end closed")));
    return;
  }
  if (!Flush()) return;
  if (has(kAboveHigh) && buffer_.size() <= low_watermark_) {
    clear(kAboveHigh);
    if (callbacks_ != nullptr) callbacks_->OnWriteBufferLow();
  }
}

bool PipeTransport::Flush() {
  while (!buffer_.empty()) {
    absl::string_view pending = buffer_.view();
    const ssize_t n = WriteWithoutSigpipe(fd_, pending);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) break;
      FinishClose(ErrnoStatus("write", errno));
      return false;
    }
    buffer_.Consume(static_cast<std::size_t>(n));
    if (static_cast<std::size_t>(n) < pending.size()) break;
  }
  if (buffer_.empty() && has(kClosing)) {
    FinishClose(absl::OkStatus());
    return false;
  }
  UpdateInterest();
  return true;
}

void PipeTransport::UpdateInterest() {
  if (fd_ < 0) return;
  uint32_t wanted = 0;
  bool want_registered = false;
  if (end_ == PipeEnd::kRead) {
    if (has(kStarted) && !has(kReadPaused) && !has(kClosing)) wanted = EPOLLIN;
    // A read end registered with no interest would report EPOLLHUP in a loop, so unregister.
    want_registered = wanted != 0;
  } else {
    if (!buffer_.empty()) wanted = EPOLLOUT;
    // An idle write end stays registered with no interest: epoll still reports EPOLLERR once the
    // reader goes away, which finishes the transport.
    want_registered = has(kStarted) || !buffer_.empty();
  }
  if (want_registered == registered_ && wanted == interest_) return;
  if (!want_registered) {
    loop_.RemoveFd(fd_, *this);
  } else if (!registered_) {
    if (absl::Status s = loop_.AddFd(fd_, wanted, *this); !s.ok()) {
      return FinishClose(absl::InternalError(absl::StrCat(name_, ": ", s.message())));
    }
  } else {
    loop_.ModifyFd(fd_, wanted, *this).IgnoreError();
  }
  registered_ = want_registered;
  interest_ = wanted;
}

void PipeTransport::FinishClose(absl::Status reason) {
  if (has(kFailed)) return;
  set(kFailed);
  close_reason_ = std::move(reason);
  CloseFd();
  buffer_.Clear();
  if (callbacks_ != nullptr) loop_.Schedule(*this);
}

void PipeTransport::CloseFd() {
  if (fd_ < 0) return;
  if (registered_) loop_.RemoveFd(fd_, *this);
  registered_ = false;
  interest_ = 0;
  close(fd_);
  fd_ = -1;
}

absl::Status PipeTransport::ErrnoStatus(absl::string_view what, int error) const {
  if (error == EPIPE) return absl::UnavailableError(absl::StrCat(name_, ": read end closed"));
  return absl::UnavailableError(absl::StrCat(name_, ": ", what, ": ", strerror(error)));
}

void PipeTransport::RunDeferredCall() {
  TransportCallbacks* callbacks = callbacks_;
  callbacks_ = nullptr;
  set(kReported);
  callbacks->OnClosed(std::move(close_reason_));  // May destroy `this`.
}

}  // namespace weft::reactor
