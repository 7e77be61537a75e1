// End to end: bad input on the native wire protocol against the real weftd (started on port 0).
// Every case gets a clear answer (a Reply error, or GoAway and a closed connection), and the
// daemon keeps serving: each case is followed by a good call on a fresh connection, and the
// daemon must drain and exit 0 at the end (under ASan: without a leak).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "demo/calculator.pb.h"
#include "demo/counter.pb.h"
#include "gtest/gtest.h"
#include "protocols/wire/wire_decoder.h"
#include "protocols/wire/wire_encoder.h"
#include "tests/integration/weftd_process.h"

namespace weft::testing {
namespace {

namespace pw = protocols::wire;

// A blocking loopback connection speaking raw frames.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawConnection() { close(fd_); }

  bool connected() const { return connected_; }
  void Send(absl::string_view bytes) {
    ASSERT_EQ(send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  void SendFrame(const pw::Frame& frame) {
    std::string bytes;
    pw::EncodeFrame(frame, bytes);
    Send(bytes);
  }
  void Hello() {
    SendFrame(pw::Hello{1, "wire_input_test", ""});
    std::optional<pw::Frame> welcome = Next();
    ASSERT_TRUE(welcome.has_value());
    ASSERT_TRUE(std::holds_alternative<pw::Welcome>(*welcome));
  }
  // The next frame, or nullopt when the peer closed (or 10 s passed: a hang fails the test).
  // Views in the frame stay valid until the next call.
  std::optional<pw::Frame> Next() {
    while (true) {
      if (std::optional<pw::Frame> frame = decoder_.Next()) return frame;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 10000) <= 0) {
        ADD_FAILURE() << "no answer within 10 s";
        return std::nullopt;
      }
      const ssize_t n = recv(fd_, buffer_, sizeof buffer_, 0);
      if (n <= 0) return std::nullopt;
      if (!decoder_.Feed(absl::string_view(buffer_, n)).ok()) return std::nullopt;
    }
  }
  // True when the peer closes (EOF or reset) within 10 s, skipping any frames.
  bool ClosedByPeer() {
    pollfd p{fd_, POLLIN, 0};
    while (poll(&p, 1, 10000) > 0) {
      const ssize_t n = recv(fd_, buffer_, sizeof buffer_, 0);
      if (n <= 0) return true;
    }
    return false;
  }

 private:
  int fd_;
  bool connected_ = false;
  pw::WireDecoder decoder_;
  char buffer_[65536];
};

pw::Call MakeCall(uint64_t call_id, absl::string_view service, absl::string_view method,
                  const std::string& payload) {
  pw::Call call;
  call.call_id = call_id;
  call.service = service;
  call.method = method;
  call.payload = payload;
  return call;
}

class WireInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<WeftdProcess>> weftd = WeftdProcess::Start(
        "services { name: \"demo.Calculator\" }\nservices { name: \"demo.Counter\" }\n");
    ASSERT_TRUE(weftd.ok()) << weftd.status();
    weftd_ = *std::move(weftd);
  }
  void TearDown() override {
    if (weftd_ != nullptr) {
      EXPECT_EQ(weftd_->Stop(), 0) << weftd_->stderr_text();
    }
  }

  // A good call on a new connection: the daemon is still serving.
  void ExpectStillServing() {
    RawConnection connection(weftd_->port());
    ASSERT_TRUE(connection.connected());
    connection.Hello();
    demo::AddRequest request;
    request.set_a(20);
    request.set_b(22);
    connection.SendFrame(MakeCall(1, "demo.Calculator", "Add", request.SerializeAsString()));
    std::optional<pw::Frame> reply = connection.Next();
    ASSERT_TRUE(reply.has_value());
    const auto& r = std::get<pw::Reply>(*reply);
    EXPECT_EQ(r.status_code, 0);
    demo::AddResponse response;
    ASSERT_TRUE(response.ParseFromArray(r.payload.data(), r.payload.size()));
    EXPECT_EQ(response.sum(), 42);
  }

  // Expects GoAway with `code` and then the connection closed.
  static void ExpectGoAway(RawConnection& connection, absl::StatusCode code) {
    std::optional<pw::Frame> frame = connection.Next();
    ASSERT_TRUE(frame.has_value());
    ASSERT_TRUE(std::holds_alternative<pw::GoAway>(*frame));
    EXPECT_EQ(std::get<pw::GoAway>(*frame).status_code, static_cast<int32_t>(code))
        << std::get<pw::GoAway>(*frame).status_message;
    EXPECT_TRUE(connection.ClosedByPeer());
  }

  // Expects a Reply to `call_id` with `code`.
  static void ExpectReply(RawConnection& connection, uint64_t call_id, absl::StatusCode code) {
    std::optional<pw::Frame> frame = connection.Next();
    ASSERT_TRUE(frame.has_value());
    ASSERT_TRUE(std::holds_alternative<pw::Reply>(*frame));
    EXPECT_EQ(std::get<pw::Reply>(*frame).call_id, call_id);
    EXPECT_EQ(std::get<pw::Reply>(*frame).status_code, static_cast<int32_t>(code))
        << std::get<pw::Reply>(*frame).status_message;
  }

  std::unique_ptr<WeftdProcess> weftd_;
};

TEST_F(WireInputTest, OversizedLengthGetsResourceExhaustedAndClose) {
  RawConnection connection(weftd_->port());
  connection.Hello();
  connection.Send(std::string("\xff\xff\xff\xf0", 4));
  ExpectGoAway(connection, absl::StatusCode::kResourceExhausted);
  ExpectStillServing();
}

TEST_F(WireInputTest, GarbageGetsInvalidArgumentAndClose) {
  RawConnection connection(weftd_->port());
  connection.Hello();
  connection.Send(std::string("\x00\x00\x00\x06garbag", 10));
  ExpectGoAway(connection, absl::StatusCode::kInvalidArgument);
  ExpectStillServing();
}

TEST_F(WireInputTest, FrameBeforeHelloGetsFailedPrecondition) {
  RawConnection connection(weftd_->port());
  connection.SendFrame(pw::Ping{7});
  ExpectGoAway(connection, absl::StatusCode::kFailedPrecondition);
  ExpectStillServing();
}

TEST_F(WireInputTest, TruncatedFramesNeitherCrashNorBlockOthers) {
  {
    RawConnection gone(weftd_->port());
    gone.Hello();
    gone.Send(std::string("\x00\x00\x01\x00partial", 11));
  }  // Closed mid-frame.
  RawConnection stalled(weftd_->port());
  stalled.Hello();
  stalled.Send(std::string("\x00\x00\x01\x00partial", 11));  // Stays open mid-frame.
  ExpectStillServing();
}

TEST_F(WireInputTest, UnknownServiceMethodAndBadPayloadGetRepliesAndKeepTheConnection) {
  RawConnection connection(weftd_->port());
  connection.Hello();
  connection.SendFrame(MakeCall(1, "no.Such", "Add", ""));
  ExpectReply(connection, 1, absl::StatusCode::kNotFound);
  connection.SendFrame(MakeCall(2, "demo.Calculator", "Multiply", ""));
  ExpectReply(connection, 2, absl::StatusCode::kNotFound);
  connection.SendFrame(MakeCall(3, "demo.Calculator", "Add", "\xff\xff"));
  ExpectReply(connection, 3, absl::StatusCode::kInvalidArgument);
  demo::DivideRequest divide;
  divide.set_dividend(1);
  connection.SendFrame(MakeCall(4, "demo.Calculator", "Divide", divide.SerializeAsString()));
  ExpectReply(connection, 4, absl::StatusCode::kInvalidArgument);
  demo::AddRequest add;
  add.set_a(1);
  connection.SendFrame(MakeCall(5, "demo.Calculator", "Add", add.SerializeAsString()));
  ExpectReply(connection, 5, absl::StatusCode::kOk);
}

TEST_F(WireInputTest, CallsOnReleasedObjectsGetNotFound) {
  RawConnection connection(weftd_->port());
  connection.Hello();
  demo::CreateRequest create;
  create.set_initial(5);
  connection.SendFrame(MakeCall(1, "demo.Counter", "Create", create.SerializeAsString()));
  std::optional<pw::Frame> frame = connection.Next();
  ASSERT_TRUE(frame.has_value());
  const auto& reply = std::get<pw::Reply>(*frame);
  ASSERT_EQ(reply.status_code, 0) << reply.status_message;
  demo::CreateResponse created;
  ASSERT_TRUE(created.ParseFromArray(reply.payload.data(), reply.payload.size()));
  const uint64_t id = created.counter().object_id();
  ASSERT_NE(id, 0u);
  EXPECT_EQ(created.counter().interface(), "demo.CounterObject");

  pw::Call get;
  get.call_id = 2;
  get.object_id = id;
  get.method = "Get";
  connection.SendFrame(get);
  frame = connection.Next();
  ASSERT_TRUE(frame.has_value());
  demo::CounterValue value;
  const auto& got = std::get<pw::Reply>(*frame);
  ASSERT_EQ(got.status_code, 0) << got.status_message;
  ASSERT_TRUE(value.ParseFromArray(got.payload.data(), got.payload.size()));
  EXPECT_EQ(value.value(), 5);

  connection.SendFrame(pw::Release{{id}});
  get.call_id = 3;
  connection.SendFrame(get);
  ExpectReply(connection, 3, absl::StatusCode::kNotFound);
  get.call_id = 4;
  get.object_id = 987654321;
  connection.SendFrame(get);
  ExpectReply(connection, 4, absl::StatusCode::kNotFound);
}

TEST_F(WireInputTest, CallNamingServiceAndObjectIsInvalid) {
  RawConnection connection(weftd_->port());
  connection.Hello();
  pw::Call call = MakeCall(1, "demo.Calculator", "Add", "");
  call.object_id = 3;
  connection.SendFrame(call);
  ExpectReply(connection, 1, absl::StatusCode::kInvalidArgument);
}

TEST(WeftdStartTest, InvalidConfigFailsNamingTheField) {
  absl::StatusOr<std::pair<int, std::string>> result =
      WeftdProcess::RunToExit("wire { max_in_flight: -4 }\n");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->first, 2);
  EXPECT_NE(result->second.find("max_in_flight"), std::string::npos) << result->second;
}

TEST(WeftdStartTest, UnknownFlagIsAUsageError) {
  absl::StatusOr<std::pair<int, std::string>> result =
      WeftdProcess::RunToExit("", {"--frobnicate"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->first, 2);
  EXPECT_NE(result->second.find("usage"), std::string::npos) << result->second;
}

}  // namespace
}  // namespace weft::testing
