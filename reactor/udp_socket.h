// UdpSocket: a bound datagram socket (IPv4 or IPv6) on an EpollEventLoop.
//
// Part of //reactor. Datagrams are read into the loop's shared buffer and handed to
// DatagramCallbacks without a copy; sends go straight to the kernel, since UDP has no stream to
// buffer (a full send buffer drops the datagram with kResourceExhausted, as UDP would).
#ifndef WEFT_REACTOR_UDP_SOCKET_H_
#define WEFT_REACTOR_UDP_SOCKET_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/socket_address.h"

namespace weft::reactor {

class DatagramCallbacks {
 public:
  DatagramCallbacks() = default;
  DatagramCallbacks(const DatagramCallbacks&) = delete;
  DatagramCallbacks& operator=(const DatagramCallbacks&) = delete;
  virtual ~DatagramCallbacks() = default;

  // One datagram from `from`. `data` is valid only during the call. A datagram longer than
  // the loop's read buffer (64 KiB, the UDP maximum) cannot occur.
  virtual void OnDatagram(absl::string_view data, const SocketAddress& from) = 0;

  // An asynchronous error reported by the kernel (ICMP unreachable on a connected socket).
  virtual void OnError(absl::Status error) = 0;
};

class UdpSocket final : private FdHandler {
 public:
  // Binds `address` (port 0 picks one). `callbacks` must outlive the socket. kUnavailable when
  // the address is taken, kPermissionDenied for privileged ports. Loop thread only.
  static absl::StatusOr<std::unique_ptr<UdpSocket>> Bind(EpollEventLoop& loop,
                                                         const SocketAddress& address,
                                                         DatagramCallbacks& callbacks);
  ~UdpSocket() override;

  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // Sends one datagram. kResourceExhausted when the send buffer is full (the datagram is
  // dropped), kInvalidArgument when it is too long, kUnavailable for other kernel errors.
  absl::Status SendTo(absl::string_view data, const SocketAddress& to);

  // Restricts the socket to one peer, so ICMP errors from it reach OnError().
  absl::Status Connect(const SocketAddress& peer);
  // Sends to the connected peer.
  absl::Status Send(absl::string_view data);

  void PauseReading();
  void ResumeReading();

  const SocketAddress& local_address() const { return local_; }

 private:
  UdpSocket(EpollEventLoop& loop, int fd, SocketAddress local, DatagramCallbacks& callbacks);

  // FdHandler
  void OnFdEvents(uint32_t events) override;

  absl::Status SendResult(ssize_t n, std::size_t size);

  EpollEventLoop& loop_;
  const int fd_;
  const SocketAddress local_;
  DatagramCallbacks& callbacks_;
  bool reading_ = false;
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_UDP_SOCKET_H_
