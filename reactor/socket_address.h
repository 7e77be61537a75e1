// SocketAddress: an IPv4, IPv6 or Unix socket address with parsing and printing.
//
// Part of //reactor. Used by listeners, connectors, UDP sockets and endpoint strings. Parsing
// accepts numeric addresses only; names go through DnsResolver first.
#ifndef WEFT_REACTOR_SOCKET_ADDRESS_H_
#define WEFT_REACTOR_SOCKET_ADDRESS_H_

#include <sys/socket.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace weft::reactor {

class SocketAddress {
 public:
  SocketAddress() = default;

  // "127.0.0.1", "::1" or "[::1]" plus a port. kInvalidArgument for anything that is not a
  // numeric address or a port outside 0..65535.
  static absl::StatusOr<SocketAddress> FromIp(absl::string_view host, int port);
  // A filesystem (or, with a leading '@', abstract) Unix socket path. kInvalidArgument when empty
  // or longer than sun_path allows.
  static absl::StatusOr<SocketAddress> FromUnixPath(absl::string_view path);
  // Copies a kernel-filled address (accept, getsockname, recvfrom).
  static SocketAddress FromSockaddr(const sockaddr* addr, socklen_t len);

  // The local or peer address of a socket; an empty address on failure.
  static SocketAddress Local(int fd);
  static SocketAddress Peer(int fd);

  int family() const { return storage_.ss_family; }
  const sockaddr* sockaddr_ptr() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t length() const { return length_; }
  bool empty() const { return length_ == 0; }

  // The port for IP addresses, 0 otherwise.
  int port() const;
  // "127.0.0.1" or "::1" (no brackets); the path for Unix addresses.
  std::string host() const;
  // "127.0.0.1:80", "[::1]:80", "unix:/path".
  std::string ToString() const;

 private:
  sockaddr_storage storage_{};
  socklen_t length_ = 0;
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_SOCKET_ADDRESS_H_
