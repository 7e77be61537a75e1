#include "reactor/socket_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace weft::reactor {

absl::StatusOr<SocketAddress> SocketAddress::FromIp(absl::string_view host, int port) {
  if (port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("port out of range: ", port));
  }
  if (absl::ConsumePrefix(&host, "[") && !absl::ConsumeSuffix(&host, "]")) {
    return absl::InvalidArgumentError(absl::StrCat("unbalanced bracket in address: [", host));
  }
  const std::string text(host);
  SocketAddress address;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address.storage_);
  if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    address.length_ = sizeof(sockaddr_in);
    return address;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address.storage_);
  if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    address.length_ = sizeof(sockaddr_in6);
    return address;
  }
  return absl::InvalidArgumentError(absl::StrCat("not a numeric IP address: '", host, "'"));
}

absl::StatusOr<SocketAddress> SocketAddress::FromUnixPath(absl::string_view path) {
  SocketAddress address;
  auto* un = reinterpret_cast<sockaddr_un*>(&address.storage_);
  if (path.empty()) return absl::InvalidArgumentError("empty unix socket path");
  if (path.size() >= sizeof(un->sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unix socket path longer than ", sizeof(un->sun_path) - 1, " bytes"));
  }
  un->sun_family = AF_UNIX;
  std::memcpy(un->sun_path, path.data(), path.size());
  if (path[0] == '@') un->sun_path[0] = '\0';  // Linux abstract namespace.
  address.length_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() +
                                           (path[0] == '@' ? 0 : 1));
  return address;
}

SocketAddress SocketAddress::FromSockaddr(const sockaddr* addr, socklen_t len) {
  SocketAddress address;
  if (len > sizeof(address.storage_)) len = sizeof(address.storage_);
  std::memcpy(&address.storage_, addr, len);
  address.length_ = len;
  return address;
}

SocketAddress SocketAddress::Local(int fd) {
  sockaddr_storage storage;
  socklen_t len = sizeof(storage);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &len) != 0) return SocketAddress();
  return FromSockaddr(reinterpret_cast<sockaddr*>(&storage), len);
}

SocketAddress SocketAddress::Peer(int fd) {
  sockaddr_storage storage;
  socklen_t len = sizeof(storage);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &len) != 0) return SocketAddress();
  return FromSockaddr(reinterpret_cast<sockaddr*>(&storage), len);
}

int SocketAddress::port() const {
  if (family() == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  }
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  }
  return 0;
}

std::string SocketAddress::host() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buffer,
              sizeof(buffer));
    return buffer;
  }
  if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buffer,
              sizeof(buffer));
    return buffer;
  }
  if (family() == AF_UNIX) {
    const auto* un = reinterpret_cast<const sockaddr_un*>(&storage_);
    const std::size_t offset = offsetof(sockaddr_un, sun_path);
    if (length_ <= offset) return "";
    std::size_t size = length_ - offset;
    if (un->sun_path[0] == '\0')
      return absl::StrCat("@", absl::string_view(un->sun_path + 1, size - 1));
    return std::string(un->sun_path, strnlen(un->sun_path, size));
  }
  return "";
}

std::string SocketAddress::ToString() const {
  switch (family()) {
    case AF_INET:
      return absl::StrCat(host(), ":", port());
    case AF_INET6:
      return absl::StrCat("[", host(), "]:", port());
    case AF_UNIX:
      // An unnamed socket (the client end of a Unix connection) has no printable address.
      return host().empty() ? "" : absl::StrCat("unix:", host());
    default:
      return "";
  }
}

}  // namespace weft::reactor
