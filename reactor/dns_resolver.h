// DnsResolver: asynchronous host name resolution with c-ares, driven by the epoll loop.
//
// Part of //reactor, on EpollEventLoop. c-ares reports the sockets it wants watched through its
// socket-state callback; the resolver registers them with the loop and feeds readiness back with
// ares_process_fd(), and one loop Timer follows ares_timeout() for retries and timeouts. Nothing
// blocks and nothing runs on another thread. Results come back through a callback, always on a
// later loop iteration, and dropping the returned ResolveRequest cancels delivery.
#ifndef WEFT_REACTOR_DNS_RESOLVER_H_
#define WEFT_REACTOR_DNS_RESOLVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/event_loop.h"
#include "reactor/socket_address.h"

struct ares_channeldata;  // c-ares' channel, kept out of this header.

namespace weft::reactor {

enum class AddressFamily { kAny, kIpv4, kIpv6 };

// One resolved address with the requested port filled in.
struct ResolvedAddress {
  SocketAddress address;  // sockaddr_storage + length, ready for connect().
  std::string text;       // "127.0.0.1:80" or "[::1]:80".
};

struct DnsResolverOptions {
  // Name servers as "ip" or "ip:port" ("127.0.0.1:5353", "[::1]:53"); empty uses
  // /etc/resolv.conf.
  std::vector<std::string> servers;
  // Sources in order: 'f' is /etc/hosts, 'b' is DNS ("fb", "bf", "f", "b"); empty uses the
  // system's choice (resolv.conf "lookup", else "fb").
  std::string lookups;
  // How long each server gets for one try; c-ares doubles it after each round over all servers.
  absl::Duration try_timeout = absl::Seconds(2);
  // Tries per server before the query fails.
  int tries = 3;
};

using ResolveCallback = absl::AnyInvocable<void(absl::StatusOr<std::vector<ResolvedAddress>>)>;

namespace internal_dns {
class DnsQuery;
}  // namespace internal_dns

// A pending resolution. Destroying it cancels delivery: the callback will not run (and is
// released at once), even if the answer is already in. It may be destroyed inside its own
// callback and may outlive the resolver. Loop thread only.
class ResolveRequest final {
 public:
  ResolveRequest(const ResolveRequest&) = delete;
  ResolveRequest& operator=(const ResolveRequest&) = delete;
  ~ResolveRequest();

 private:
  friend class DnsResolver;
  explicit ResolveRequest(internal_dns::DnsQuery* query) : query_(query) {}

  internal_dns::DnsQuery* query_;  // Shared with c-ares; freed by whichever lets go last.
};

class DnsResolver final {
 public:
  // kInvalidArgument for a malformed server, lookups string, timeout or tries; kInternal when
  // c-ares fails to initialize. Loop thread only.
  static absl::StatusOr<std::unique_ptr<DnsResolver>> Create(EpollEventLoop& loop,
                                                             const DnsResolverOptions& options);
  // Requests still pending get kCancelled, on a later loop iteration.
  ~DnsResolver();

  DnsResolver(const DnsResolver&) = delete;
  DnsResolver& operator=(const DnsResolver&) = delete;

  // Resolves `host` (a name or a numeric address) to addresses of `family` with `port`. The
  // callback runs exactly once, on a later loop iteration, unless the request is destroyed first.
  // It gets a non-empty list or:
  //   kInvalidArgument   malformed host name
  //   kNotFound          no such name, or no address of that family
  //   kDeadlineExceeded  no server answered in time
  //   kUnavailable       servers refused, failed or could not be reached
  //   kCancelled         the resolver was destroyed first
  // Loop thread only.
  std::unique_ptr<ResolveRequest> Resolve(absl::string_view host, uint16_t port,
                                          AddressFamily family, ResolveCallback callback);

 private:
  class FdWatch;

  explicit DnsResolver(EpollEventLoop& loop);
  absl::Status Init(const DnsResolverOptions& options);

  // c-ares' socket-state callback (ares_sock_state_cb; ares_socket_t is int on Linux).
  static void OnSocketState(void* data, int fd, int readable, int writable);
  void WatchSocket(int fd, int readable, int writable);
  void ProcessFd(int fd, uint32_t events);
  void OnTimer();
  void UpdateTimer();

  EpollEventLoop& loop_;
  ares_channeldata* channel_ = nullptr;
  bool uses_dns_ = true;  // Whether the effective lookups include DNS ('b').
  std::unique_ptr<Timer> timer_;
  absl::flat_hash_map<int, std::unique_ptr<FdWatch>> watches_;
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_DNS_RESOLVER_H_
