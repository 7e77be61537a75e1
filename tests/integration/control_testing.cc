#include "tests/integration/control_testing.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <variant>

#include "absl/container/flat_hash_set.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "protocols/http/http_types.h"
#include "protocols/wire/wire_encoder.h"

namespace weft::testing {
namespace {

namespace pw = protocols::wire;
namespace ph = protocols::http;

void AddFile(const google::protobuf::FileDescriptor& file, absl::flat_hash_set<std::string>& seen,
             google::protobuf::FileDescriptorSet& set) {
  if (!seen.insert(file.name()).second) return;
  for (int i = 0; i < file.dependency_count(); ++i) AddFile(*file.dependency(i), seen, set);
  file.CopyTo(set.add_file());
}

}  // namespace

bool Eventually(const std::function<bool()>& condition) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

google::protobuf::FileDescriptorSet DescriptorSetOf(const google::protobuf::FileDescriptor& file) {
  google::protobuf::FileDescriptorSet set;
  absl::flat_hash_set<std::string> seen;
  AddFile(file, seen, set);
  return set;
}

RawSocket::RawSocket(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

RawSocket::~RawSocket() { close(fd_); }

void RawSocket::Send(absl::string_view bytes) {
  ASSERT_EQ(send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(bytes.size()));
}

std::optional<std::string> RawSocket::Receive(std::size_t max) {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, 10000) <= 0) {
    ADD_FAILURE() << "nothing received within 10 s";
    return std::nullopt;
  }
  std::string buffer(max, '\0');
  const ssize_t n = recv(fd_, buffer.data(), buffer.size(), 0);
  buffer.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return buffer;
}

bool RawSocket::ClosedWithin(absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  char buffer[4096];
  while (absl::Now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    if (recv(fd_, buffer, sizeof buffer, 0) <= 0) return true;
  }
  return false;
}

void RawWire::SendFrame(const pw::Frame& frame) {
  std::string bytes;
  pw::EncodeFrame(frame, bytes);
  socket_.Send(bytes);
}

void RawWire::Hello(absl::string_view client_name) {
  SendFrame(pw::Hello{1, client_name, ""});
  std::optional<pw::Frame> welcome = Next();
  ASSERT_TRUE(welcome.has_value());
  ASSERT_TRUE(std::holds_alternative<pw::Welcome>(*welcome));
}

std::optional<pw::Frame> RawWire::Next() {
  while (true) {
    if (std::optional<pw::Frame> frame = decoder_.Next()) return frame;
    std::optional<std::string> bytes = socket_.Receive();
    if (!bytes.has_value() || bytes->empty()) return std::nullopt;
    chunk_ = *std::move(bytes);  // The decoder's frames are views into what it was fed.
    if (!decoder_.Feed(chunk_).ok()) return std::nullopt;
  }
}

void RawHttp::Request(absl::string_view request, ph::HttpMethod method) {
  decoder_.ExpectResponse(method);
  socket_.Send(request);
}

std::optional<RawHttp::Response> RawHttp::Next() {
  auto convert = [](const ph::HttpResponse& r) {
    Response out;
    out.status = r.status_code;
    out.body = std::string(r.body);
    out.connection = std::string(ph::FindHeader(r.headers, "Connection").value_or(""));
    return out;
  };
  while (true) {
    if (std::optional<ph::HttpResponse> r = decoder_.Next()) return convert(*r);
    std::optional<std::string> bytes = socket_.Receive();
    if (!bytes.has_value()) return std::nullopt;
    if (bytes->empty()) {
      (void)decoder_.FeedEof();  // A response delimited by the close.
      std::optional<ph::HttpResponse> r = decoder_.Next();
      if (!r.has_value()) return std::nullopt;
      return convert(*r);
    }
    chunk_ = *std::move(bytes);
    if (!decoder_.Feed(chunk_).ok()) return std::nullopt;
  }
}

}  // namespace weft::testing
