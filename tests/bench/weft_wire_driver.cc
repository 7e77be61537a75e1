#include "tests/bench/weft_wire_driver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "demo/calculator.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/message_lite.h"
#include "tests/bench/bench_util.h"
#include "weft/v1/wire.pb.h"

namespace weft::bench {
namespace {

using ::google::protobuf::io::CodedOutputStream;

constexpr uint32_t kProtocolVersion = 1;
constexpr uint32_t kDefaultMaxFrameBytes = 4 << 20;  // docs/wire.md, Limits.
constexpr int kHandshakeTimeoutSeconds = 10;
constexpr int64_t kDrainNanos = int64_t{10} * 1000 * 1000 * 1000;
constexpr int32_t kStatusUnimplemented = 12;
constexpr std::size_t kReadBufferBytes = 64 * 1024;
constexpr int kMaxEvents = 256;
// The tag of weft.v1.Frame's `call` (field 4, length-delimited): (4 << 3) | 2.
constexpr uint8_t kCallTag = 0x22;

absl::Status ErrnoError(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat("weft: ", what, ": ", strerror(errno)));
}

absl::Status GoAwayError(const weft::v1::GoAway& go_away) {
  return absl::UnavailableError(absl::StrCat(
      "weft: broker sent GoAway code ", go_away.status().code(), ": ", go_away.status().message()));
}

// Appends the 4-byte big-endian length of a frame body (docs/wire.md, Framing).
void AppendLength(std::size_t length, std::string& out) {
  const char prefix[4] = {static_cast<char>(length >> 24), static_cast<char>(length >> 16),
                          static_cast<char>(length >> 8), static_cast<char>(length)};
  out.append(prefix, sizeof(prefix));
}

// Appends `frame`, length-prefixed.
void AppendFrame(const weft::v1::Frame& frame, std::string& out) {
  const std::size_t length = frame.ByteSizeLong();
  AppendLength(length, out);
  const std::size_t at = out.size();
  out.resize(at + length);
  frame.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out.data() + at));
}

// Appends Frame{call: `call`}, length-prefixed: the bytes protoc's code writes for that Frame,
// without copying `call` into one.
void AppendCallFrame(const weft::v1::Call& call, std::string& out) {
  const std::size_t call_size = call.ByteSizeLong();
  const std::size_t size_bytes = CodedOutputStream::VarintSize32(static_cast<uint32_t>(call_size));
  AppendLength(1 + size_bytes + call_size, out);
  const std::size_t at = out.size();
  out.resize(at + 1 + size_bytes + call_size);
  uint8_t* p = reinterpret_cast<uint8_t*>(out.data() + at);
  *p++ = kCallTag;
  p = CodedOutputStream::WriteVarint32ToArray(static_cast<uint32_t>(call_size), p);
  call.SerializeWithCachedSizesToArray(p);
}

// A call in flight on one connection; its slot index is (call_id - 1) % slots.size().
struct Pending {
  uint64_t call_id = 0;  // 0: the slot is idle.
  int64_t expected_sum = 0;
  int64_t issued_at = 0;
};

struct Conn {
  int fd = -1;
  std::string in;   // The start of a frame that has not fully arrived yet.
  std::string out;  // Bytes the kernel has not taken yet, from out_start.
  std::size_t out_start = 0;
  bool want_write = false;  // Registered for EPOLLOUT.
  uint32_t max_frame_bytes = kDefaultMaxFrameBytes;
  uint32_t max_in_flight = 0;  // 0: not announced.
  std::vector<Pending> slots;
};

class WeftWireDriver final : public RpcDriver {
 public:
  explicit WeftWireDriver(WeftWireOptions options)
      : options_(std::move(options)), buffer_(new char[kReadBufferBytes]) {
    call_.set_service(options_.service);
    call_.set_method(options_.method);
  }
  ~WeftWireDriver() override {
    for (Conn& conn : conns_) close(conn.fd);
    if (epoll_fd_ >= 0) close(epoll_fd_);
  }

  // RpcDriver
  absl::Status Connect(const Target& target, int conns) override;
  absl::Status Run(int in_flight, CallMeter& meter) override;

 private:
  absl::StatusOr<int> Dial(const sockaddr_in& address);
  absl::Status Handshake(Conn& conn);
  absl::Status SendBlocking(Conn& conn);
  absl::Status ReadFrameBlocking(Conn& conn);
  absl::Status Start(uint32_t index, int in_flight);
  void IssueCall(Conn& conn, Pending& slot, uint64_t call_id, int64_t now);
  absl::Status Flush(uint32_t index);
  absl::Status OnReadable(uint32_t index, CallMeter& meter);
  absl::Status OnFrame(Conn& conn, CallMeter& meter);
  absl::StatusOr<Pending*> CheckReply(Conn& conn);
  absl::Status OnReply(Conn& conn, CallMeter& meter);

  const WeftWireOptions options_;
  std::vector<Conn> conns_;
  int epoll_fd_ = -1;
  uint64_t seq_ = 0;
  std::size_t outstanding_ = 0;
  bool stopping_ = false;
  std::unique_ptr<char[]> buffer_;  // Every recv() lands here.
  // Reused for every frame and call.
  weft::v1::Frame frame_;
  weft::v1::Call call_;
  demo::AddRequest request_;
  demo::AddResponse response_;
};

absl::StatusOr<int> WeftWireDriver::Dial(const sockaddr_in& address) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket");
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const timeval timeout{kHandshakeTimeoutSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    absl::Status s = ErrnoError("connect");
    close(fd);
    return s;
  }
  return fd;
}

absl::Status WeftWireDriver::Connect(const Target& target, int conns) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(target.port));
  if (inet_pton(AF_INET, target.host.c_str(), &address.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("weft: '", target.host, "' is not IPv4"));
  }
  conns_.reserve(static_cast<std::size_t>(conns));
  for (int i = 0; i < conns; ++i) {
    absl::StatusOr<int> fd = Dial(address);
    if (!fd.ok()) return fd.status();
    conns_.emplace_back().fd = *fd;
    if (absl::Status s = Handshake(conns_.back()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Hello, then Welcome (docs/wire.md: nothing else is sent before it arrives), then one Add call
// answered; all blocking, SO_RCVTIMEO bounding each read.
absl::Status WeftWireDriver::Handshake(Conn& conn) {
  frame_.Clear();
  weft::v1::Hello& hello = *frame_.mutable_hello();
  hello.set_version(kProtocolVersion);
  hello.set_client_name(options_.client_name);
  hello.set_token(options_.token);
  AppendFrame(frame_, conn.out);
  if (absl::Status s = SendBlocking(conn); !s.ok()) return s;
  if (absl::Status s = ReadFrameBlocking(conn); !s.ok()) return s;
  if (!frame_.has_welcome()) return absl::DataLossError("weft: first frame is not Welcome");
  const weft::v1::Welcome& welcome = frame_.welcome();
  if (welcome.max_frame_bytes() > 0) conn.max_frame_bytes = welcome.max_frame_bytes();
  conn.max_in_flight = welcome.max_in_flight();

  conn.slots.assign(1, Pending{});
  IssueCall(conn, conn.slots[0], 1, MonotonicNanos());
  if (absl::Status s = SendBlocking(conn); !s.ok()) return s;
  while (conn.slots[0].call_id != 0) {
    if (absl::Status s = ReadFrameBlocking(conn); !s.ok()) return s;
    if (!frame_.has_reply()) continue;  // Nothing else needs an answer before the run.
    absl::StatusOr<Pending*> slot = CheckReply(conn);
    if (!slot.ok()) return slot.status();
    (*slot)->call_id = 0;
  }
  return absl::OkStatus();
}

// Sends all of conn.out on the still blocking socket.
absl::Status WeftWireDriver::SendBlocking(Conn& conn) {
  if (send(conn.fd, conn.out.data(), conn.out.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(conn.out.size())) {
    return ErrnoError("send");
  }
  conn.out.clear();
  return absl::OkStatus();
}

// Reads exactly one frame of `conn` into frame_, blocking: the handshake reads byte-exact frames,
// so nothing after the frame is consumed. A GoAway fails with its status.
absl::Status WeftWireDriver::ReadFrameBlocking(Conn& conn) {
  auto read_exactly = [&conn](char* at, std::size_t size) -> absl::Status {
    for (std::size_t done = 0; done < size;) {
      const ssize_t n = recv(conn.fd, at + done, size - done, 0);
      if (n == 0) return absl::UnavailableError("weft: broker closed the connection");
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return absl::DeadlineExceededError("weft: no answer to Hello or the first call in 10 s");
      }
      if (n < 0 && errno != EINTR) return ErrnoError("recv");
      if (n > 0) done += static_cast<std::size_t>(n);
    }
    return absl::OkStatus();
  };
  unsigned char prefix[4];
  if (absl::Status s = read_exactly(reinterpret_cast<char*>(prefix), 4); !s.ok()) return s;
  const uint32_t length = (uint32_t{prefix[0]} << 24) | (uint32_t{prefix[1]} << 16) |
                          (uint32_t{prefix[2]} << 8) | uint32_t{prefix[3]};
  if (length == 0 || length > conn.max_frame_bytes) {
    return absl::DataLossError(absl::StrCat("weft: frame length ", length, " out of range"));
  }
  std::string body(length, '\0');
  if (absl::Status s = read_exactly(body.data(), length); !s.ok()) return s;
  if (!frame_.ParseFromString(body)) {
    return absl::DataLossError("weft: frame does not parse as weft.v1.Frame");
  }
  return frame_.has_go_away() ? GoAwayError(frame_.go_away()) : absl::OkStatus();
}

// Appends call_id (with the next operands) to conn.out and arms `slot` with it.
void WeftWireDriver::IssueCall(Conn& conn, Pending& slot, uint64_t call_id, int64_t now) {
  const AddOperands operands(++seq_);
  request_.set_a(operands.a);
  request_.set_b(operands.b);
  call_.set_call_id(call_id);
  request_.SerializeToString(call_.mutable_payload());  // Reuses the payload's capacity.
  AppendCallFrame(call_, conn.out);
  slot.call_id = call_id;
  slot.expected_sum = operands.sum();
  slot.issued_at = now;
}

absl::Status WeftWireDriver::Flush(uint32_t index) {
  Conn& conn = conns_[index];
  while (conn.out_start < conn.out.size()) {
    const ssize_t n = send(conn.fd, conn.out.data() + conn.out_start,
                           conn.out.size() - conn.out_start, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return ErrnoError("send");
    if (n < 0) break;
    conn.out_start += static_cast<std::size_t>(n);
  }
  if (conn.out_start == conn.out.size()) {
    conn.out.clear();
    conn.out_start = 0;
  }
  const bool want_write = !conn.out.empty();
  if (want_write == conn.want_write) return absl::OkStatus();
  conn.want_write = want_write;
  epoll_event event{};
  event.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
  event.data.u32 = index;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn.fd, &event) != 0) return ErrnoError("epoll_ctl");
  return absl::OkStatus();
}

// One recv(), every complete frame in it handled, then one send() of everything they produced.
absl::Status WeftWireDriver::OnReadable(uint32_t index, CallMeter& meter) {
  Conn& conn = conns_[index];
  const ssize_t n = recv(conn.fd, buffer_.get(), kReadBufferBytes, 0);
  if (n == 0) return absl::UnavailableError("weft: broker closed a connection");
  if (n < 0) {
    return errno == EAGAIN || errno == EINTR ? absl::OkStatus() : ErrnoError("recv");
  }
  // Frames are parsed in place from buffer_; only a frame split across reads is gathered in
  // conn.in.
  absl::string_view data(buffer_.get(), static_cast<std::size_t>(n));
  if (!conn.in.empty()) {
    conn.in.append(data.data(), data.size());
    data = conn.in;
  }
  std::size_t used = 0;
  while (data.size() - used >= 4) {
    const auto* p = reinterpret_cast<const unsigned char*>(data.data() + used);
    const uint32_t length =
        (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
    if (length == 0 || length > conn.max_frame_bytes) {
      return absl::DataLossError(absl::StrCat("weft: frame length ", length, " out of range"));
    }
    if (data.size() - used - 4 < length) break;
    if (!frame_.ParseFromArray(p + 4, static_cast<int>(length))) {
      return absl::DataLossError("weft: frame does not parse as weft.v1.Frame");
    }
    used += 4 + length;
    if (absl::Status s = OnFrame(conn, meter); !s.ok()) return s;
  }
  conn.in.assign(data.substr(used).data(), data.size() - used);  // May alias conn.in: assign.
  return Flush(index);
}

// Handles frame_, just parsed from `conn`.
absl::Status WeftWireDriver::OnFrame(Conn& conn, CallMeter& meter) {
  switch (frame_.kind_case()) {
    case weft::v1::Frame::kReply:
      return OnReply(conn, meter);
    case weft::v1::Frame::kPing: {
      const uint64_t nonce = frame_.ping().nonce();
      frame_.Clear();
      frame_.mutable_pong()->set_nonce(nonce);
      AppendFrame(frame_, conn.out);
      return absl::OkStatus();
    }
    case weft::v1::Frame::kCall: {  // This client hosts nothing.
      const uint64_t call_id = frame_.call().call_id();
      if (frame_.call().one_way()) return absl::OkStatus();
      frame_.Clear();
      weft::v1::Reply& reply = *frame_.mutable_reply();
      reply.set_call_id(call_id);
      reply.mutable_status()->set_code(kStatusUnimplemented);
      reply.mutable_status()->set_message("rpc_loadgen hosts no objects");
      AppendFrame(frame_, conn.out);
      return absl::OkStatus();
    }
    case weft::v1::Frame::kGoAway:
      return GoAwayError(frame_.go_away());
    default:
      return absl::OkStatus();  // Pong, Publish and the like: nothing to do.
  }
}

// Checks the Reply in frame_ against its call: known call_id, OK status, the right sum. Returns
// the call's slot.
absl::StatusOr<Pending*> WeftWireDriver::CheckReply(Conn& conn) {
  const weft::v1::Reply& reply = frame_.reply();
  const uint64_t call_id = reply.call_id();
  Pending* slot = call_id == 0 ? nullptr : &conn.slots[(call_id - 1) % conn.slots.size()];
  if (slot == nullptr || slot->call_id != call_id) {
    return absl::DataLossError(absl::StrCat("weft: Reply to unknown call_id ", call_id));
  }
  if (reply.status().code() != 0) {
    return absl::UnavailableError(absl::StrCat("weft: Add failed: code ", reply.status().code(),
                                               ": ", reply.status().message()));
  }
  if (options_.accepted_only) {
    if (!reply.payload().empty()) {
      return absl::DataLossError("weft: expected an empty (accepted) reply");
    }
    return slot;
  }
  if (!response_.ParseFromString(reply.payload())) {
    return absl::DataLossError("weft: Reply payload is not a demo.AddResponse");
  }
  if (response_.sum() != slot->expected_sum) {
    return absl::DataLossError(
        absl::StrCat("weft: Add returned ", response_.sum(), ", expected ", slot->expected_sum));
  }
  return slot;
}

// Records the Reply in frame_ and, unless stopping, issues the slot's next call.
absl::Status WeftWireDriver::OnReply(Conn& conn, CallMeter& meter) {
  const int64_t now = MonotonicNanos();
  absl::StatusOr<Pending*> slot = CheckReply(conn);
  if (!slot.ok()) return slot.status();
  meter.Record((*slot)->issued_at, now);
  const uint64_t next_id = (*slot)->call_id + conn.slots.size();
  (*slot)->call_id = 0;
  --outstanding_;
  if (!stopping_) {
    IssueCall(conn, **slot, next_id, now);
    ++outstanding_;
  }
  return absl::OkStatus();
}

// Makes connection `index` non-blocking, watches it and sends its first `in_flight` calls.
absl::Status WeftWireDriver::Start(uint32_t index, int in_flight) {
  Conn& conn = conns_[index];
  if (conn.max_in_flight > 0 && static_cast<uint32_t>(in_flight) > conn.max_in_flight) {
    return absl::InvalidArgumentError(absl::StrCat("weft: --in_flight=", in_flight,
                                                   " exceeds the broker's max_in_flight ",
                                                   conn.max_in_flight));
  }
  const int flags = 1;
  if (ioctl(conn.fd, FIONBIO, &flags) != 0) return ErrnoError("ioctl(FIONBIO)");
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u32 = index;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, conn.fd, &event) != 0) return ErrnoError("epoll_ctl");
  // Call ids continue after the handshake's (1): slot s carries ids 2 + s + k * in_flight.
  conn.slots.assign(static_cast<std::size_t>(in_flight), Pending{});
  const int64_t now = MonotonicNanos();
  for (std::size_t s = 0; s < conn.slots.size(); ++s) {
    IssueCall(conn, conn.slots[s], 1 + conn.slots.size() + s, now);
    ++outstanding_;
  }
  return Flush(index);
}

absl::Status WeftWireDriver::Run(int in_flight, CallMeter& meter) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return ErrnoError("epoll_create1");
  for (uint32_t i = 0; i < conns_.size(); ++i) {
    if (absl::Status s = Start(i, in_flight); !s.ok()) return s;
  }
  int64_t give_up_at = 0;
  epoll_event ready[kMaxEvents];
  while (outstanding_ > 0) {
    const int n = epoll_wait(epoll_fd_, ready, kMaxEvents, 100);
    if (n < 0 && errno != EINTR) return ErrnoError("epoll_wait");
    for (int i = 0; i < n; ++i) {
      const uint32_t index = ready[i].data.u32;
      absl::Status s = (ready[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0
                           ? OnReadable(index, meter)
                           : Flush(index);
      if (!s.ok()) return s;
    }
    const int64_t now = MonotonicNanos();
    if (!stopping_ && meter.Finished(now)) {
      stopping_ = true;
      give_up_at = now + kDrainNanos;
    }
    if (stopping_ && now > give_up_at) {
      return absl::DeadlineExceededError(
          absl::StrCat("weft: ", outstanding_, " calls still unanswered 10 s after the run"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::unique_ptr<RpcDriver> MakeWeftWireDriver(WeftWireOptions options) {
  return std::make_unique<WeftWireDriver>(std::move(options));
}

}  // namespace weft::bench
