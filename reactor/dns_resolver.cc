#include "reactor/dns_resolver.h"

#include <ares.h>
#include <sys/socket.h>

#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/call_once.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "reactor/base/check.h"

namespace weft::reactor {
namespace internal_dns {

// One resolution, shared by the caller's ResolveRequest and c-ares (which holds it as the
// ares_getaddrinfo() argument until it calls back; c-ares has no per-query cancel). Whichever
// lets go last deletes it. The result is delivered through the DeferredCall, so the callback
// never runs inside c-ares or inside Resolve().
class DnsQuery final : public DeferredCall {
 public:
  DnsQuery(EpollEventLoop& loop, std::string host, bool uses_dns, ResolveCallback callback)
      : loop_(loop), host_(std::move(host)), uses_dns_(uses_dns), callback_(std::move(callback)) {}

  const std::string& host() const { return host_; }
  // False when the lookups exclude DNS ("f"): only the hosts file is consulted.
  bool uses_dns() const { return uses_dns_; }
  void set_in_ares(bool in_ares) { in_ares_ = in_ares; }

  // Stores the outcome and schedules delivery, or frees the query when nobody wants it.
  void Complete(absl::StatusOr<std::vector<ResolvedAddress>> result) {
    in_ares_ = false;
    if (!handle_alive_) {
      delete this;
      return;
    }
    result_ = std::move(result);
    loop_.Schedule(*this);
  }

  // The ResolveRequest is gone: never deliver, and free the query unless c-ares still has it.
  void Cancel() {
    handle_alive_ = false;
    callback_ = nullptr;         // Releases whatever the callback captured, now.
    if (!in_ares_) delete this;  // Also unschedules a pending delivery.
  }

  // DeferredCall
  void RunDeferredCall() override {
    ResolveCallback callback = std::move(callback_);
    absl::StatusOr<std::vector<ResolvedAddress>> result = std::move(result_);
    callback(std::move(result));  // May destroy the ResolveRequest and with it `this`.
  }

 private:
  EpollEventLoop& loop_;
  const std::string host_;
  const bool uses_dns_;
  ResolveCallback callback_;
  absl::StatusOr<std::vector<ResolvedAddress>> result_;
  bool handle_alive_ = true;
  bool in_ares_ = false;
};

}  // namespace internal_dns

namespace {

using internal_dns::DnsQuery;

// c-ares status to the canonical code for callers.
absl::Status AresStatus(int code, absl::string_view host) {
  std::string message = absl::StrCat("dns: ", host, ": ", ares_strerror(code));
  switch (code) {
    case ARES_ENOTFOUND:
    case ARES_ENODATA:
    case ARES_ENONAME:
      return absl::NotFoundError(message);
    case ARES_ETIMEOUT:
      return absl::DeadlineExceededError(message);
    case ARES_ECONNREFUSED:
    case ARES_ESERVFAIL:
    case ARES_EREFUSED:
    case ARES_EFORMERR:
    case ARES_ENOTIMP:
    case ARES_EBADRESP:
    case ARES_EOF:
      return absl::UnavailableError(message);
    case ARES_EBADNAME:
    case ARES_EBADQUERY:
    case ARES_EBADFAMILY:
    case ARES_EBADFLAGS:
    case ARES_EBADHINTS:
    case ARES_EBADSTR:
    case ARES_ESERVICE:
      return absl::InvalidArgumentError(message);
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION:
      return absl::CancelledError(message);
    case ARES_ENOMEM:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::InternalError(message);
  }
}

// Rejects what no resolver could look up (RFC 1035 §2.3.4: labels of 1..63 octets, names up to
// 253 octets without the final dot) before it reaches c-ares, which wants a C string.
absl::Status ValidateHost(absl::string_view host) {
  absl::string_view name = host;
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253 || name.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("dns: bad host name '", host, "'"));
  }
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    if (label.empty() || label.size() > 63) {
      return absl::InvalidArgumentError(absl::StrCat("dns: bad host name '", host, "'"));
    }
  }
  return absl::OkStatus();
}

// A numeric address as the result for `family`, or nullopt when `host` is a name. c-ares 1.18
// mishandles some literals (an IPv4 one with AF_UNSPEC), so they never reach it.
std::optional<absl::StatusOr<std::vector<ResolvedAddress>>> ResolveLiteral(absl::string_view host,
                                                                           uint16_t port,
                                                                           AddressFamily family) {
  absl::StatusOr<SocketAddress> literal = SocketAddress::FromIp(host, port);
  if (!literal.ok()) return std::nullopt;
  const bool v4 = literal->family() == AF_INET;
  if ((family == AddressFamily::kIpv4 && !v4) || (family == AddressFamily::kIpv6 && v4)) {
    return absl::NotFoundError(
        absl::StrCat("dns: ", host, ": not an ", v4 ? "IPv6" : "IPv4", " address"));
  }
  ResolvedAddress address;
  address.address = *literal;
  address.text = literal->ToString();
  return std::vector<ResolvedAddress>{std::move(address)};
}

// The addresses in `info`, without duplicates, in c-ares' (RFC 6724) order.
absl::StatusOr<std::vector<ResolvedAddress>> ToAddresses(const ares_addrinfo* info,
                                                         absl::string_view host) {
  std::vector<ResolvedAddress> addresses;
  absl::flat_hash_set<std::string> seen;
  for (const ares_addrinfo_node* node = info->nodes; node != nullptr; node = node->ai_next) {
    if (node->ai_family != AF_INET && node->ai_family != AF_INET6) continue;
    ResolvedAddress address;
    address.address = SocketAddress::FromSockaddr(node->ai_addr, node->ai_addrlen);
    address.text = address.address.ToString();
    if (seen.insert(address.text).second) addresses.push_back(std::move(address));
  }
  if (addresses.empty()) return absl::NotFoundError(absl::StrCat("dns: ", host, ": no address"));
  return addresses;
}

void OnAddrInfo(void* arg, int status, int /*timeouts*/, ares_addrinfo* info) {
  auto* query = static_cast<DnsQuery*>(arg);
  // c-ares 1.18 starts a lookup with ARES_ECONNREFUSED as its status, so a name missing from the
  // hosts file comes back as that when no DNS server was asked.
  if (status == ARES_ECONNREFUSED && !query->uses_dns()) status = ARES_ENOTFOUND;
  absl::StatusOr<std::vector<ResolvedAddress>> result;
  if (status == ARES_SUCCESS && info != nullptr) {
    result = ToAddresses(info, query->host());
  } else {
    result = AresStatus(status == ARES_SUCCESS ? ARES_ENODATA : status, query->host());
  }
  if (info != nullptr) ares_freeaddrinfo(info);
  query->Complete(std::move(result));
}

int InitAresLibrary() {
  // Process-wide library state (a no-op on Linux in this c-ares), not application state.
  static absl::once_flag once;
  static int status = ARES_SUCCESS;
  absl::call_once(once, [] { status = ares_library_init(ARES_LIB_INIT_ALL); });
  return status;
}

}  // namespace

ResolveRequest::~ResolveRequest() { query_->Cancel(); }

// Feeds readiness of one c-ares socket back to c-ares.
class DnsResolver::FdWatch final : public FdHandler {
 public:
  FdWatch(DnsResolver& resolver, int fd) : resolver_(resolver), fd_(fd) {}
  // FdHandler
  void OnFdEvents(uint32_t events) override {
    // c-ares may close this socket meanwhile, deleting `this`: touch no member afterwards.
    resolver_.ProcessFd(fd_, events);
  }

 private:
  DnsResolver& resolver_;
  const int fd_;
};

absl::StatusOr<std::unique_ptr<DnsResolver>> DnsResolver::Create(
    EpollEventLoop& loop, const DnsResolverOptions& options) {
  WEFT_DCHECK(loop.IsInLoopThread());
  if (options.tries < 1) return absl::InvalidArgumentError("dns: tries must be at least 1");
  if (options.try_timeout < absl::Milliseconds(1) || options.try_timeout > absl::Hours(1)) {
    return absl::InvalidArgumentError("dns: try_timeout must be between 1ms and 1h");
  }
  if (options.lookups.find_first_not_of("fb") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("dns: lookups must consist of 'f' and 'b': '", options.lookups, "'"));
  }
  if (const int status = InitAresLibrary(); status != ARES_SUCCESS) {
    return absl::InternalError(absl::StrCat("dns: ares_library_init: ", ares_strerror(status)));
  }
  std::unique_ptr<DnsResolver> resolver(new DnsResolver(loop));
  if (absl::Status s = resolver->Init(options); !s.ok()) return s;
  return resolver;
}

DnsResolver::DnsResolver(EpollEventLoop& loop)
    : loop_(loop), timer_(loop.CreateTimer([this] { OnTimer(); })) {}

absl::Status DnsResolver::Init(const DnsResolverOptions& options) {
  ares_options ares{};
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  ares.sock_state_cb = &DnsResolver::OnSocketState;
  ares.sock_state_cb_data = this;
  ares.timeout = static_cast<int>(absl::ToInt64Milliseconds(options.try_timeout));
  ares.tries = options.tries;
  std::string lookups = options.lookups;
  if (!lookups.empty()) {
    ares.lookups = lookups.data();
    mask |= ARES_OPT_LOOKUPS;
  }
  if (const int status = ares_init_options(&channel_, &ares, mask); status != ARES_SUCCESS) {
    channel_ = nullptr;
    return absl::InternalError(absl::StrCat("dns: ares_init_options: ", ares_strerror(status)));
  }
  // The effective lookups (the system's when none were given) tell whether DNS is ever asked.
  ares_options saved{};
  int saved_mask = 0;
  if (ares_save_options(channel_, &saved, &saved_mask) == ARES_SUCCESS) {
    uses_dns_ = saved.lookups == nullptr || std::strchr(saved.lookups, 'b') != nullptr;
    ares_destroy_options(&saved);
  }
  if (!options.servers.empty()) {
    const std::string csv = absl::StrJoin(options.servers, ",");
    if (const int status = ares_set_servers_ports_csv(channel_, csv.c_str());
        status != ARES_SUCCESS) {
      return absl::InvalidArgumentError(
          absl::StrCat("dns: bad server list '", csv, "': ", ares_strerror(status)));
    }
  }
  return absl::OkStatus();
}

DnsResolver::~DnsResolver() {
  // Fails pending queries with ARES_EDESTRUCTION (delivered later as kCancelled) and closes the
  // sockets, which reports each of them to WatchSocket() while the members are still intact.
  if (channel_ != nullptr) ares_destroy(channel_);
  for (auto& [fd, watch] : watches_) loop_.RemoveFd(fd, *watch);
}

std::unique_ptr<ResolveRequest> DnsResolver::Resolve(absl::string_view host, uint16_t port,
                                                     AddressFamily family,
                                                     ResolveCallback callback) {
  WEFT_DCHECK(loop_.IsInLoopThread());
  auto* query = new DnsQuery(loop_, std::string(host), uses_dns_, std::move(callback));
  std::unique_ptr<ResolveRequest> request(new ResolveRequest(query));
  if (auto literal = ResolveLiteral(host, port, family); literal.has_value()) {
    query->Complete(*std::move(literal));
    return request;
  }
  if (absl::Status s = ValidateHost(host); !s.ok()) {
    query->Complete(std::move(s));
    return request;
  }
  ares_addrinfo_hints hints{};
  hints.ai_flags = ARES_AI_NUMERICSERV;
  hints.ai_family = family == AddressFamily::kIpv4   ? AF_INET
                    : family == AddressFamily::kIpv6 ? AF_INET6
                                                     : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  const std::string service = std::to_string(port);
  query->set_in_ares(true);
  // May call OnAddrInfo() at once (numeric hosts, /etc/hosts); delivery is deferred regardless.
  ares_getaddrinfo(channel_, query->host().c_str(), service.c_str(), &hints, &OnAddrInfo, query);
  UpdateTimer();
  return request;
}

void DnsResolver::OnSocketState(void* data, int fd, int readable, int writable) {
  static_cast<DnsResolver*>(data)->WatchSocket(fd, readable, writable);
}

void DnsResolver::WatchSocket(int fd, int readable, int writable) {
  auto it = watches_.find(fd);
  if (readable == 0 && writable == 0) {
    if (it == watches_.end()) return;
    loop_.RemoveFd(fd, *it->second);
    watches_.erase(it);  // May be the FdWatch whose OnFdEvents() is running; it touches nothing.
    return;
  }
  const uint32_t events =
      (readable != 0 ? uint32_t{EPOLLIN} : 0u) | (writable != 0 ? uint32_t{EPOLLOUT} : 0u);
  if (it != watches_.end()) {
    loop_.ModifyFd(fd, events, *it->second).IgnoreError();
    return;
  }
  auto watch = std::make_unique<FdWatch>(*this, fd);
  // Should the kernel refuse, the query still ends through its timeout.
  if (loop_.AddFd(fd, events, *watch).ok()) watches_.emplace(fd, std::move(watch));
}

void DnsResolver::ProcessFd(int fd, uint32_t events) {
  // Errors and hang-ups are read by c-ares, which then fails over or fails the query.
  const bool readable = (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0;
  const bool writable = (events & EPOLLOUT) != 0;
  ares_process_fd(channel_, readable ? fd : ARES_SOCKET_BAD, writable ? fd : ARES_SOCKET_BAD);
  UpdateTimer();
}

void DnsResolver::OnTimer() {
  ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // Handles expired tries.
  UpdateTimer();
}

void DnsResolver::UpdateTimer() {
  timeval storage;
  const timeval* next = ares_timeout(channel_, nullptr, &storage);
  if (next == nullptr) {
    timer_->Cancel();
  } else {
    timer_->Schedule(absl::DurationFromTimeval(*next));
  }
}

}  // namespace weft::reactor
