#include "reactor/udp_socket.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace weft::reactor {
namespace {

absl::Status UdpError(absl::string_view what, int error) {
  std::string message = absl::StrCat("udp: ", what, ": ", strerror(error));
  switch (error) {
    case EAGAIN:
    case ENOBUFS:
      return absl::ResourceExhaustedError(message);
    case EMSGSIZE:
      return absl::InvalidArgumentError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<UdpSocket>> UdpSocket::Bind(EpollEventLoop& loop,
                                                           const SocketAddress& address,
                                                           DatagramCallbacks& callbacks) {
  int fd = socket(address.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("udp: socket: ", strerror(errno)));
  if (bind(fd, address.sockaddr_ptr(), address.length()) != 0) {
    const int error = errno;
    close(fd);
    return UdpError(absl::StrCat("bind ", address.ToString()), error);
  }
  std::unique_ptr<UdpSocket> udp(new UdpSocket(loop, fd, SocketAddress::Local(fd), callbacks));
  udp->ResumeReading();
  return udp;
}

UdpSocket::UdpSocket(EpollEventLoop& loop, int fd, SocketAddress local,
                     DatagramCallbacks& callbacks)
    : loop_(loop), fd_(fd), local_(std::move(local)), callbacks_(callbacks) {}

UdpSocket::~UdpSocket() {
  PauseReading();
  close(fd_);
}

absl::Status UdpSocket::SendTo(absl::string_view data, const SocketAddress& to) {
  const ssize_t n = sendto(fd_, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                           to.sockaddr_ptr(), to.length());
  return SendResult(n, data.size());
}

absl::Status UdpSocket::Connect(const SocketAddress& peer) {
  if (connect(fd_, peer.sockaddr_ptr(), peer.length()) != 0) {
    return UdpError(absl::StrCat("connect ", peer.ToString()), errno);
  }
  return absl::OkStatus();
}

absl::Status UdpSocket::Send(absl::string_view data) {
  const ssize_t n = send(fd_, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  return SendResult(n, data.size());
}

absl::Status UdpSocket::SendResult(ssize_t n, std::size_t size) {
  if (n < 0) return UdpError("send", errno);
  if (static_cast<std::size_t>(n) != size) return absl::InternalError("udp: short send");
  return absl::OkStatus();
}

void UdpSocket::PauseReading() {
  if (!reading_) return;
  loop_.RemoveFd(fd_, *this);
  reading_ = false;
}

void UdpSocket::ResumeReading() {
  if (reading_) return;
  reading_ = loop_.AddFd(fd_, EPOLLIN, *this).ok();
}

void UdpSocket::OnFdEvents(uint32_t) {
  sockaddr_storage from;
  socklen_t from_len = sizeof(from);
  char* buffer = loop_.read_buffer();
  const ssize_t n = recvfrom(fd_, buffer, EpollEventLoop::kReadBufferSize, MSG_DONTWAIT,
                             reinterpret_cast<sockaddr*>(&from), &from_len);
  if (n >= 0) {
    callbacks_.OnDatagram(
        absl::string_view(buffer, static_cast<std::size_t>(n)),
        SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&from), from_len));
  } else if (errno != EAGAIN && errno != EINTR) {
    callbacks_.OnError(UdpError("receive", errno));
  }
}

}  // namespace weft::reactor
