// Helpers for the socket tests of //reactor (tcp_transport_test, tcp_transport_flow_test,
// tcp_listener_test, protocol_test, endpoint_factory_test, loop_group_test): a bounded RunUntil(),
// a recording TransportCallbacks, an accept queue, raw loopback socket pairs and scratch Unix
// socket paths.
//
// Part of //reactor, testonly. These tests use real loopback sockets on an EpollEventLoop; they
// bind port 0 and never sleep for a fixed time.
#ifndef WEFT_REACTOR_TCP_TEST_UTIL_H_
#define WEFT_REACTOR_TCP_TEST_UTIL_H_

#include <sys/socket.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/listener.h"
#include "reactor/socket_address.h"
#include "reactor/tcp_transport.h"
#include "reactor/transport.h"

namespace weft::reactor {

// Runs `loop` in RunOnce(10ms) steps until `done()` holds or `limit` passes; returns done().
bool RunUntil(EpollEventLoop& loop, absl::FunctionRef<bool()> done,
              absl::Duration limit = absl::Seconds(10));

// Runs `iterations` zero-wait iterations: enough for anything already ready to be dispatched.
void RunReady(EpollEventLoop& loop, int iterations = 5);

// Records every event; optional hooks run after the event is recorded. It also notes events
// that break the contract (anything after OnClosed(), OnReadEof() twice).
class RecordingCallbacks : public TransportCallbacks {
 public:
  // TransportCallbacks
  void OnData(absl::string_view bytes) override;
  void OnReadEof() override;
  void OnWriteBufferHigh() override;
  void OnWriteBufferLow() override;
  void OnClosed(absl::Status reason) override;

  bool closed() const { return !closed_reasons.empty(); }
  // The first OnClosed() status; OkStatus() placeholder is never returned before closed().
  const absl::Status& close_reason() const { return closed_reasons.front(); }

  std::string data;
  int data_events = 0;
  int eof_count = 0;
  int high_count = 0;
  int low_count = 0;
  std::vector<absl::Status> closed_reasons;
  int events_after_close = 0;

  absl::AnyInvocable<void(absl::string_view)> on_data;
  absl::AnyInvocable<void()> on_read_eof;
  absl::AnyInvocable<void()> on_high;
  absl::AnyInvocable<void()> on_low;
  absl::AnyInvocable<void(const absl::Status&)> on_closed;
};

// Keeps every accepted transport.
class AcceptQueue final : public ListenerCallbacks {
 public:
  // ListenerCallbacks
  void OnAccept(std::unique_ptr<Transport> transport) override;

  std::vector<std::unique_ptr<Transport>> accepted;
};

// Owns a raw file descriptor and closes it.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  ~UniqueFd();

  int get() const { return fd_; }
  int release();
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Two connected blocking stream sockets over loopback: AF_INET (127.0.0.1), AF_INET6 (::1) or
// AF_UNIX (socketpair). `first` is the connecting side, `second` the accepted side.
struct RawPair {
  UniqueFd first;
  UniqueFd second;
};
absl::StatusOr<RawPair> MakeRawPair(int family);

// A TcpTransport over the connecting end of MakeRawPair(family), and the raw peer socket (made
// non-blocking). With `small_send_buffer`, the transport's SO_SNDBUF is 16 KiB, so a peer that
// does not read fills the kernel quickly.
struct TransportAndPeer {
  std::unique_ptr<TcpTransport> transport;
  UniqueFd peer;
};
absl::StatusOr<TransportAndPeer> MakeTransportAndPeer(EpollEventLoop& loop, int family,
                                                      bool small_send_buffer = false);

// Writes 16 KiB chunks until the transport has to buffer, i.e. the kernel is full. Appends what
// it wrote to `sent` when that is not null.
absl::Status FillKernel(TcpTransport& transport, std::string* sent);

absl::Status SetNonBlocking(int fd);
// Makes close() send RST (SO_LINGER with a zero timeout).
absl::Status SetResetOnClose(int fd);
absl::Status SetSendBuffer(int fd, int bytes);
absl::Status SetReceiveBuffer(int fd, int bytes);

// Result of draining a non-blocking socket.
struct Drained {
  std::string bytes;
  bool eof = false;
  int error = 0;  // errno of a failed recv other than EAGAIN.
};
// Reads what `fd` has right now, without blocking (up to `max_bytes`).
Drained ReadAvailable(int fd, std::size_t max_bytes = 64 * 1024 * 1024);

// Writes all of `bytes` to a blocking socket; false on error.
bool WriteAll(int fd, absl::string_view bytes);

// A listening TCP socket on `host` port 0 that is bound but not yet listening: connections to it
// are refused. Returns the fd and stores the address.
absl::StatusOr<UniqueFd> BindUnlistened(absl::string_view host, SocketAddress& address);

// Deterministic test payload of `size` bytes.
std::string Payload(std::size_t size, unsigned seed = 1);

// A unique abstract Unix socket name ("@weft-test-<pid>-<n>").
std::string AbstractUnixName();

// A fresh directory under /tmp, removed with its contents on destruction. Paths in it are
// short enough for sun_path.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(absl::string_view name) const;

 private:
  std::string path_;
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_TCP_TEST_UTIL_H_
