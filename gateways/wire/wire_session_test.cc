// WireSession over InMemoryTransport and FakeEventLoop, with a real Broker and the broker's test
// servants: handshake, protocol errors, calls (byte by byte, pipelined, over the in-flight
// limit), liveness, draining, EOF, flow control, and the broker's traffic to the peer.
#include "gateways/wire/wire_session.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "broker/broker.h"
#include "broker/testdata/test_services.pb.h"
#include "broker/testing/test_servants.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "protocols/wire/wire_decoder.h"
#include "protocols/wire/wire_encoder.h"
#include "protocols/wire/wire_types.h"
#include "reactor/testing/fake_event_loop.h"
#include "reactor/testing/in_memory_transport.h"
#include "reactor/transport.h"

namespace weft::gateways::wire {
namespace {

namespace pw = ::weft::protocols::wire;
namespace testdata = ::weft::broker::testdata;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kCalc[] = "weft.broker.testdata.Calc";
constexpr char kSlow[] = "weft.broker.testdata.Slow";

// Forwards to an InMemoryTransport and counts Write() calls, to see coalescing.
class CountingTransport final : public reactor::Transport {
 public:
  explicit CountingTransport(reactor::Transport& inner) : inner_(inner) {}
  int writes() const { return writes_; }

  // reactor::Transport
  void SetCallbacks(reactor::TransportCallbacks& callbacks) override {
    inner_.SetCallbacks(callbacks);
  }
  absl::Status Write(absl::string_view bytes) override {
    ++writes_;
    return inner_.Write(bytes);
  }
  void PauseReading() override { inner_.PauseReading(); }
  void ResumeReading() override { inner_.ResumeReading(); }
  void ShutdownWrite() override { inner_.ShutdownWrite(); }
  void Close() override { inner_.Close(); }
  void Abort() override { inner_.Abort(); }
  void SetWatermarks(const reactor::WriteWatermarks& watermarks) override {
    inner_.SetWatermarks(watermarks);
  }
  std::size_t buffered_bytes() const override { return inner_.buffered_bytes(); }
  std::string peer_address() const override { return inner_.peer_address(); }
  std::string local_address() const override { return inner_.local_address(); }

 private:
  reactor::Transport& inner_;
  int writes_ = 0;
};

// A frame the session sent, with its own storage. Only the fields of its kind are set.
struct Sent {
  std::size_t kind = 0;  // Index in pw::Frame.
  uint64_t id = 0;       // call_id (Reply, Call, Cancel) or nonce (Ping, Pong).
  int32_t code = 0;
  std::string message;
  std::string payload;
  std::string service;
  std::string method;
  std::string topic;
  uint64_t object_id = 0;
  std::vector<uint64_t> ids;
  pw::Welcome welcome;  // Views not kept.

  bool is_reply() const { return kind == 4; }
  bool is_go_away() const { return kind == 11; }
};

constexpr std::size_t kWelcome = 1;
constexpr std::size_t kCall = 3;
constexpr std::size_t kReply = 4;
constexpr std::size_t kCancel = 5;
constexpr std::size_t kRelease = 6;
constexpr std::size_t kPublish = 7;
constexpr std::size_t kPing = 9;
constexpr std::size_t kPong = 10;
constexpr std::size_t kGoAway = 11;

std::vector<Sent> Decode(absl::string_view bytes) {
  pw::WireDecoder decoder;
  std::vector<Sent> out;
  EXPECT_TRUE(decoder.Feed(bytes).ok());
  while (std::optional<pw::Frame> frame = decoder.Next()) {
    Sent sent;
    sent.kind = frame->index();
    std::visit(
        [&sent](const auto& f) {
          using F = std::decay_t<decltype(f)>;
          if constexpr (std::is_same_v<F, pw::Reply>) {
            sent.id = f.call_id;
            sent.code = f.status_code;
            sent.message = std::string(f.status_message);
            sent.payload = std::string(f.payload);
          } else if constexpr (std::is_same_v<F, pw::GoAway>) {
            sent.code = f.status_code;
            sent.message = std::string(f.status_message);
          } else if constexpr (std::is_same_v<F, pw::Call>) {
            sent.id = f.call_id;
            sent.service = std::string(f.service);
            sent.object_id = f.object_id;
            sent.method = std::string(f.method);
            sent.payload = std::string(f.payload);
          } else if constexpr (std::is_same_v<F, pw::Cancel>) {
            sent.id = f.call_id;
          } else if constexpr (std::is_same_v<F, pw::Release>) {
            sent.ids = f.object_ids;
          } else if constexpr (std::is_same_v<F, pw::Publish>) {
            sent.topic = std::string(f.topic);
            sent.payload = std::string(f.payload);
          } else if constexpr (std::is_same_v<F, pw::Ping> || std::is_same_v<F, pw::Pong>) {
            sent.id = f.nonce;
          } else if constexpr (std::is_same_v<F, pw::Welcome>) {
            sent.welcome = pw::Welcome{f.version, {}, f.max_frame_bytes, f.max_in_flight};
            sent.message = std::string(f.node);
          }
        },
        *frame);
    out.push_back(std::move(sent));
  }
  EXPECT_TRUE(decoder.status().ok()) << decoder.status();
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  return out;
}

std::string HelloBytes(absl::string_view token = "", uint32_t version = 1) {
  std::string out;
  pw::EncodeHello(pw::Hello{version, "test", token}, out);
  return out;
}

std::string CallBytes(uint64_t call_id, absl::string_view service, absl::string_view method,
                      const google::protobuf::Message& request, uint64_t object_id = 0) {
  const std::string payload = request.SerializeAsString();
  pw::Call call;
  call.call_id = call_id;
  call.service = service;
  call.object_id = object_id;
  call.method = method;
  call.payload = payload;
  std::string out;
  pw::EncodeCall(call, out);
  return out;
}

template <typename T>
std::string Frame(const T& frame) {
  std::string out;
  pw::EncodeFrame(pw::Frame(frame), out);
  return out;
}

testdata::AddRequest Add(int64_t a, int64_t b) {
  testdata::AddRequest request;
  request.set_a(a);
  request.set_b(b);
  return request;
}

testdata::Plain Text(const std::string& text) {
  testdata::Plain plain;
  plain.set_text(text);
  return plain;
}

int64_t SumOf(const Sent& reply) {
  testdata::AddReply sum;
  EXPECT_TRUE(sum.ParseFromString(reply.payload));
  return sum.sum();
}

// One connection: the test plays the peer on `transport`.
struct Conn {
  Conn(reactor::FakeEventLoop& loop, broker::BrokerShard& shard, const WireSessionOptions& options,
       WireSessionSet* sessions)
      : transport(loop), counting(transport) {
    session = std::make_unique<WireSession>(loop, shard, options, sessions);
    session->ConnectionMade(counting);
    counting.SetCallbacks(*session);
  }

  // Everything the session wrote since the last call, decoded.
  std::vector<Sent> Take() { return Decode(transport.TakeWritten()); }

  reactor::InMemoryTransport transport;
  CountingTransport counting;
  std::unique_ptr<WireSession> session;
};

class WireSessionTest : public ::testing::Test {
 protected:
  WireSessionTest() {
    absl::StatusOr<std::unique_ptr<broker::Broker>> made = broker::Broker::Create(
        {&loop_}, broker::BrokerOptions{}, broker::testing::TestServices(state_));
    EXPECT_TRUE(made.ok());
    broker_ = *std::move(made);
  }
  ~WireSessionTest() override {
    conns_.clear();
    loop_.RunUntilIdle();
  }

  Conn& Connect() {
    conns_.push_back(std::make_unique<Conn>(loop_, broker_->shard(0), options_, &sessions_));
    return *conns_.back();
  }
  // A connection past the handshake, its Welcome consumed.
  Conn& Open() {
    Conn& conn = Connect();
    conn.transport.Deliver(HelloBytes());
    std::vector<Sent> welcome = conn.Take();
    EXPECT_EQ(welcome.size(), 1u);
    if (!welcome.empty()) {
      EXPECT_EQ(welcome[0].kind, kWelcome);
    }
    return conn;
  }

  // Expects exactly one frame, a GoAway with `code`, and a closed transport.
  static void ExpectGoAwayAndClose(Conn& conn, absl::StatusCode code) {
    std::vector<Sent> sent = conn.Take();
    ASSERT_FALSE(sent.empty());
    EXPECT_EQ(sent.back().kind, kGoAway);
    EXPECT_EQ(sent.back().code, static_cast<int32_t>(code)) << sent.back().message;
    EXPECT_TRUE(conn.transport.closed());
    EXPECT_FALSE(conn.transport.aborted());
  }

  reactor::FakeEventLoop loop_;
  broker::testing::ServantState state_;
  std::unique_ptr<broker::Broker> broker_;
  WireSessionOptions options_;
  WireSessionSet sessions_;
  std::vector<std::unique_ptr<Conn>> conns_;
};

TEST_F(WireSessionTest, HelloIsAnsweredWithWelcome) {
  options_.max_in_flight = 17;
  options_.node = "node-a";
  Conn& conn = Connect();

  conn.transport.Deliver(HelloBytes());

  std::vector<Sent> sent = conn.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].kind, kWelcome);
  EXPECT_EQ(sent[0].welcome.version, 1u);
  EXPECT_EQ(sent[0].message, "node-a");
  EXPECT_EQ(sent[0].welcome.max_frame_bytes, options_.limits.max_frame_bytes);
  EXPECT_EQ(sent[0].welcome.max_in_flight, 17u);
  EXPECT_FALSE(conn.transport.closed());
  EXPECT_EQ(broker_->stats().connections, 1u);
  EXPECT_EQ(sessions_.size(), 1u);
}

TEST_F(WireSessionTest, FrameBeforeHelloIsFailedPrecondition) {
  Conn& conn = Connect();
  conn.transport.Deliver(Frame(pw::Ping{1}));

  ExpectGoAwayAndClose(conn, absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(broker_->stats().connections, 0u);
}

TEST_F(WireSessionTest, SecondHelloIsFailedPrecondition) {
  Conn& conn = Open();
  conn.transport.Deliver(HelloBytes());

  ExpectGoAwayAndClose(conn, absl::StatusCode::kFailedPrecondition);
  loop_.RunUntilIdle();
  EXPECT_EQ(broker_->stats().connections, 0u);  // OnClosed disconnected it.
}

TEST_F(WireSessionTest, UnsupportedVersionIsFailedPrecondition) {
  Conn& conn = Connect();
  conn.transport.Deliver(HelloBytes("", 2));

  ExpectGoAwayAndClose(conn, absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(broker_->stats().connections, 0u);
}

TEST_F(WireSessionTest, TokensAreChecked) {
  const absl::flat_hash_set<std::string> tokens = {"s3cret"};
  options_.tokens = &tokens;
  Conn& wrong = Connect();
  Conn& missing = Connect();
  Conn& right = Connect();

  wrong.transport.Deliver(HelloBytes("guess"));
  missing.transport.Deliver(HelloBytes());
  right.transport.Deliver(HelloBytes("s3cret"));

  ExpectGoAwayAndClose(wrong, absl::StatusCode::kUnauthenticated);
  ExpectGoAwayAndClose(missing, absl::StatusCode::kUnauthenticated);
  std::vector<Sent> sent = right.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].kind, kWelcome);
  EXPECT_EQ(broker_->stats().connections, 1u);
}

TEST_F(WireSessionTest, GarbageIsInvalidArgument) {
  Conn& conn = Open();
  conn.transport.Deliver(absl::string_view("\x00\x00\x00\x03\xff\xff\xff", 7));

  ExpectGoAwayAndClose(conn, absl::StatusCode::kInvalidArgument);
}

TEST_F(WireSessionTest, OversizedLengthPrefixIsResourceExhausted) {
  options_.limits.max_frame_bytes = 1024;
  Conn& conn = Open();
  conn.transport.Deliver(absl::string_view("\x00\x00\x04\x01", 4));  // 1025 bytes announced.

  ExpectGoAwayAndClose(conn, absl::StatusCode::kResourceExhausted);
}

TEST_F(WireSessionTest, UnknownFrameKindIsUnimplemented) {
  Conn& conn = Open();
  // Field 15, an empty message: a kind this version does not know.
  conn.transport.Deliver(absl::string_view("\x00\x00\x00\x02\x7a\x00", 6));

  ExpectGoAwayAndClose(conn, absl::StatusCode::kUnimplemented);
}

TEST_F(WireSessionTest, FramesAfterAnErrorInTheSameChunkAreIgnored) {
  Conn& conn = Open();
  conn.transport.Deliver(HelloBytes() + CallBytes(1, kCalc, "Add", Add(1, 1)));

  std::vector<Sent> sent = conn.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].kind, kGoAway);
}

TEST_F(WireSessionTest, CallFedOneByteAtATimeIsAnswered) {
  Conn& conn = Open();
  const std::string bytes = CallBytes(5, kCalc, "Add", Add(20, 22));
  for (char c : bytes) conn.transport.Deliver(absl::string_view(&c, 1));

  std::vector<Sent> sent = conn.Take();
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_EQ(sent[0].kind, kReply);
  EXPECT_EQ(sent[0].id, 5u);
  EXPECT_EQ(sent[0].code, 0);
  EXPECT_EQ(SumOf(sent[0]), 42);
}

TEST_F(WireSessionTest, PipelinedCallsAreAnsweredInOneWrite) {
  Conn& conn = Open();
  const int writes_before = conn.counting.writes();
  std::string chunk;
  for (uint64_t id = 1; id <= 20; ++id) chunk += CallBytes(id, kCalc, "Add", Add(id, 100));
  chunk += CallBytes(21, "no.Such", "Add", Add(0, 0));

  conn.transport.Deliver(chunk);

  EXPECT_EQ(conn.counting.writes() - writes_before, 1);
  std::vector<Sent> sent = conn.Take();
  ASSERT_EQ(sent.size(), 21u);
  for (uint64_t id = 1; id <= 20; ++id) {
    EXPECT_EQ(sent[id - 1].id, id);
    EXPECT_EQ(SumOf(sent[id - 1]), static_cast<int64_t>(id + 100));
  }
  EXPECT_EQ(sent[20].code, static_cast<int32_t>(absl::StatusCode::kNotFound));
}

TEST_F(WireSessionTest, CallNamingBothOrNeitherOfServiceAndObjectIsInvalidArgument) {
  Conn& conn = Open();
  conn.transport.Deliver(CallBytes(1, kCalc, "Add", Add(1, 1), /*object_id=*/3) +
                         CallBytes(2, "", "Add", Add(1, 1)));

  std::vector<Sent> sent = conn.Take();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].code, static_cast<int32_t>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(sent[1].code, static_cast<int32_t>(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(conn.transport.closed());
}

TEST_F(WireSessionTest, CallsOverTheInFlightLimitAreResourceExhausted) {
  options_.max_in_flight = 2;
  Conn& conn = Open();
  conn.transport.Deliver(CallBytes(1, kSlow, "Wait", Text("a")) +
                         CallBytes(2, kSlow, "Wait", Text("b")) +
                         CallBytes(3, kSlow, "Wait", Text("c")));

  std::vector<Sent> sent = conn.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].id, 3u);
  EXPECT_EQ(sent[0].code, static_cast<int32_t>(absl::StatusCode::kResourceExhausted));
  ASSERT_EQ(state_.slow_calls.size(), 2u);

  state_.FinishSlow(0, "a done");
  conn.transport.Deliver(CallBytes(4, kSlow, "Wait", Text("d")));
  EXPECT_EQ(state_.slow_calls.size(), 2u);  // Room again.
  sent = conn.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].id, 1u);
  EXPECT_EQ(sent[0].code, 0);
  state_.FinishSlow(0, "");
  state_.FinishSlow(0, "");
}

TEST_F(WireSessionTest, CancelIsAnsweredCancelled) {
  Conn& conn = Open();
  conn.transport.Deliver(CallBytes(1, kSlow, "Wait", Text("a")) + Frame(pw::Cancel{1}) +
                         Frame(pw::Cancel{99}));

  std::vector<Sent> sent = conn.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].id, 1u);
  EXPECT_EQ(sent[0].code, static_cast<int32_t>(absl::StatusCode::kCancelled));
  EXPECT_EQ(state_.cancel_notices, 1);
  state_.FinishSlow(0, "late");
  EXPECT_THAT(conn.Take(), IsEmpty());
}

TEST_F(WireSessionTest, PingIsAnsweredWithPong) {
  Conn& conn = Open();
  conn.transport.Deliver(Frame(pw::Ping{0xfeed}));

  std::vector<Sent> sent = conn.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].kind, kPong);
  EXPECT_EQ(sent[0].id, 0xfeedu);
}

TEST_F(WireSessionTest, SilentPeerIsPingedAtHalfTheIdleTimeoutAndClosedAtIt) {
  options_.idle_timeout = absl::Seconds(10);
  Conn& conn = Open();

  loop_.AdvanceBy(absl::Seconds(5) - absl::Milliseconds(1));
  EXPECT_THAT(conn.Take(), IsEmpty());
  loop_.AdvanceBy(absl::Milliseconds(1));
  std::vector<Sent> sent = conn.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].kind, kPing);

  loop_.AdvanceBy(absl::Seconds(5));
  ExpectGoAwayAndClose(conn, absl::StatusCode::kUnavailable);
}

TEST_F(WireSessionTest, PeerThatAnswersPingsStaysOpen) {
  options_.idle_timeout = absl::Seconds(10);
  Conn& conn = Open();

  for (int i = 0; i < 6; ++i) {
    loop_.AdvanceBy(absl::Seconds(5));
    for (const Sent& sent : conn.Take()) {
      ASSERT_EQ(sent.kind, kPing);
      conn.transport.Deliver(Frame(pw::Pong{sent.id}));
    }
  }

  EXPECT_FALSE(conn.transport.closed());
}

TEST_F(WireSessionTest, PeerSilentBeforeHelloIsClosed) {
  options_.idle_timeout = absl::Seconds(10);
  Conn& conn = Connect();

  loop_.AdvanceBy(absl::Seconds(10));

  ExpectGoAwayAndClose(conn, absl::StatusCode::kUnavailable);
}

TEST_F(WireSessionTest, DrainAnswersCallsInFlightThenSaysGoAway) {
  Conn& conn = Open();
  conn.transport.Deliver(CallBytes(1, kSlow, "Wait", Text("a")));

  sessions_.DrainAll();
  EXPECT_THAT(conn.Take(), IsEmpty());
  EXPECT_FALSE(conn.transport.closed());
  conn.transport.Deliver(CallBytes(2, kCalc, "Add", Add(1, 1)));
  std::vector<Sent> sent = conn.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].id, 2u);
  EXPECT_EQ(sent[0].code, static_cast<int32_t>(absl::StatusCode::kUnavailable));

  state_.FinishSlow(0, "a done");

  sent = conn.Take();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].id, 1u);
  EXPECT_EQ(sent[0].code, 0);
  EXPECT_EQ(sent[1].kind, kGoAway);
  EXPECT_EQ(sent[1].code, static_cast<int32_t>(absl::StatusCode::kUnavailable));
  EXPECT_EQ(sent[1].message, "draining");
  EXPECT_TRUE(conn.transport.closed());
}

TEST_F(WireSessionTest, DrainWithNothingInFlightClosesAtOnce) {
  Conn& open = Open();
  Conn& greeting = Connect();

  sessions_.DrainAll();

  ExpectGoAwayAndClose(open, absl::StatusCode::kUnavailable);
  ExpectGoAwayAndClose(greeting, absl::StatusCode::kUnavailable);
}

TEST_F(WireSessionTest, PeerEofWithCallsInFlightIsAnsweredThenClosed) {
  Conn& conn = Open();
  conn.transport.Deliver(CallBytes(1, kSlow, "Wait", Text("a")));
  conn.transport.DeliverEof();
  EXPECT_FALSE(conn.transport.closed());

  state_.FinishSlow(0, "a done");

  std::vector<Sent> sent = conn.Take();
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent[0].kind, kReply);
  EXPECT_EQ(sent[0].code, 0);
  EXPECT_TRUE(conn.transport.closed());
  loop_.RunUntilIdle();
  EXPECT_EQ(broker_->stats().connections, 0u);
}

TEST_F(WireSessionTest, PeerEofWithNothingInFlightCloses) {
  Conn& conn = Open();
  conn.transport.DeliverEof();

  EXPECT_TRUE(conn.transport.closed());
  loop_.RunUntilIdle();
  EXPECT_EQ(broker_->stats().connections, 0u);
}

TEST_F(WireSessionTest, PeerResetDisconnectsAndCancelsItsCalls) {
  Conn& conn = Open();
  conn.transport.Deliver(CallBytes(1, kSlow, "Wait", Text("a")));
  conn.transport.DeliverReset();
  loop_.RunUntilIdle();

  EXPECT_EQ(broker_->stats().connections, 0u);
  EXPECT_EQ(state_.cancel_notices, 1);
  state_.FinishSlow(0, "late");
}

TEST_F(WireSessionTest, FullWriteBufferPausesReadingUntilItDrains) {
  Conn& conn = Connect();
  conn.transport.SetWatermarks({/*low=*/16, /*high=*/64, /*max=*/1 << 20});
  conn.transport.Deliver(HelloBytes());
  conn.transport.SetPeerWindow(0);

  std::string chunk;
  for (uint64_t id = 1; id <= 10; ++id) chunk += CallBytes(id, kCalc, "Add", Add(id, 0));
  conn.transport.Deliver(chunk);
  EXPECT_TRUE(conn.transport.reading_paused());
  conn.transport.Deliver(CallBytes(11, kCalc, "Add", Add(11, 0)));  // Waits.

  conn.transport.SetPeerWindow(reactor::InMemoryTransport::kUnlimitedWindow);
  EXPECT_FALSE(conn.transport.reading_paused());
  loop_.RunUntilIdle();

  std::vector<Sent> sent = conn.Take();
  ASSERT_EQ(sent.size(), 12u);  // Welcome and 11 replies.
  EXPECT_EQ(sent.back().id, 11u);
  EXPECT_EQ(SumOf(sent.back()), 11);
}

TEST_F(WireSessionTest, LateReplyAfterGoAwayIsNotWritten) {
  Conn& conn = Open();
  conn.transport.Deliver(CallBytes(1, kSlow, "Wait", Text("a")));
  conn.transport.SetPeerWindow(0);  // The GoAway waits in the transport's buffer.
  conn.transport.Deliver(absl::string_view("\x00\x00\x00\x01\xff", 5));
  ASSERT_TRUE(conn.transport.closed());

  state_.FinishSlow(0, "late");
  conn.transport.SetPeerWindow(reactor::InMemoryTransport::kUnlimitedWindow);

  EXPECT_FALSE(conn.transport.aborted());
  std::vector<Sent> sent = conn.Take();
  ASSERT_EQ(sent.size(), 1u);  // No frame follows a GoAway.
  EXPECT_EQ(sent[0].kind, kGoAway);
  EXPECT_EQ(sent[0].code, static_cast<int32_t>(absl::StatusCode::kInvalidArgument));
}

TEST_F(WireSessionTest, PeerGoAwayClosesTheSession) {
  Conn& conn = Open();
  conn.transport.Deliver(Frame(pw::GoAway{0, "bye"}) + Frame(pw::Ping{1}));

  EXPECT_THAT(conn.Take(), IsEmpty());
  EXPECT_TRUE(conn.transport.closed());
}

TEST_F(WireSessionTest, RegisteredServiceIsCalledThroughAnotherSession) {
  Conn& host = Open();
  Conn& caller = Open();
  const std::string descriptors =
      broker::testing::DescriptorSetFor(*testdata::Calc::descriptor()->file());
  host.transport.Deliver(Frame(pw::Register{9, {"weft.broker.testdata.CalcV2"}, descriptors}));
  std::vector<Sent> sent = host.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].id, 9u);
  EXPECT_EQ(sent[0].code, 0) << sent[0].message;

  caller.transport.Deliver(CallBytes(1, "weft.broker.testdata.CalcV2", "Add", Add(2, 2)));
  sent = host.Take();
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_EQ(sent[0].kind, kCall);
  EXPECT_EQ(sent[0].service, "weft.broker.testdata.CalcV2");
  EXPECT_EQ(sent[0].method, "Add");
  testdata::AddReply four;
  four.set_sum(4);
  const std::string payload = four.SerializeAsString();
  host.transport.Deliver(Frame(pw::Reply{sent[0].id, 0, "", payload}));

  sent = caller.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].id, 1u);
  EXPECT_EQ(SumOf(sent[0]), 4);

  // A deadline reaches the host as a Cancel; an error reply reaches the caller as its code.
  pw::Call call;
  call.call_id = 2;
  call.service = "weft.broker.testdata.CalcV2";
  call.method = "Add";
  call.timeout_micros = 1000;
  std::string bytes;
  pw::EncodeCall(call, bytes);
  caller.transport.Deliver(bytes);
  loop_.AdvanceBy(absl::Milliseconds(1));
  sent = host.Take();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].kind, kCancel);
  EXPECT_EQ(sent[1].id, sent[0].id);
  sent = caller.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].code, static_cast<int32_t>(absl::StatusCode::kDeadlineExceeded));
}

TEST_F(WireSessionTest, HostedCallbackIsCalledAndReleased) {
  Conn& conn = Open();
  testdata::Holder callback;
  callback.mutable_ref()->set_object_id(77);
  callback.mutable_ref()->set_interface(kCalc);
  conn.transport.Deliver(CallBytes(1, "weft.broker.testdata.Objects", "Watch", callback) +
                         CallBytes(2, "weft.broker.testdata.Objects", "Poke", testdata::Holder()));
  std::vector<Sent> sent = conn.Take();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].id, 1u);
  ASSERT_EQ(sent[1].kind, kCall);
  EXPECT_EQ(sent[1].object_id, 77u);
  EXPECT_THAT(sent[1].service, IsEmpty());
  testdata::AddReply sum;
  sum.set_sum(42);
  const std::string payload = sum.SerializeAsString();
  conn.transport.Deliver(
      Frame(pw::Reply{sent[1].id, 0, "", payload}) +
      CallBytes(3, "weft.broker.testdata.Objects", "Forget", testdata::Holder()));

  sent = conn.Take();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].id, 2u);
  EXPECT_EQ(sent[1].kind, kRelease);
  EXPECT_THAT(sent[1].ids, ElementsAre(77u));
  EXPECT_EQ(sent[2].id, 3u);
}

TEST_F(WireSessionTest, SubscriberReceivesPublications) {
  Conn& subscriber = Open();
  Conn& publisher = Open();
  subscriber.transport.Deliver(Frame(pw::Subscribe{"news", false}));

  publisher.transport.Deliver(Frame(pw::Publish{"news", "hello", "type.googleapis.com/x.Y"}));

  std::vector<Sent> sent = subscriber.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].kind, kPublish);
  EXPECT_EQ(sent[0].topic, "news");
  EXPECT_EQ(sent[0].payload, "hello");
  EXPECT_THAT(publisher.Take(), IsEmpty());

  subscriber.transport.Deliver(Frame(pw::Subscribe{"news", true}));
  publisher.transport.Deliver(Frame(pw::Publish{"news", "again", ""}));
  EXPECT_THAT(subscriber.Take(), IsEmpty());
}

TEST_F(WireSessionTest, SlowSubscriberDropsPublicationsThenIsClosed) {
  options_.max_dropped_publications = 2;
  Conn& subscriber = Connect();
  subscriber.transport.SetWatermarks({/*low=*/0, /*high=*/8, /*max=*/1 << 20});
  subscriber.transport.Deliver(HelloBytes() + Frame(pw::Subscribe{"t", false}));
  subscriber.transport.SetPeerWindow(0);
  Conn& publisher = Open();

  for (int i = 0; i < 3; ++i) publisher.transport.Deliver(Frame(pw::Publish{"t", "x", ""}));
  EXPECT_FALSE(subscriber.transport.closed());
  publisher.transport.Deliver(Frame(pw::Publish{"t", "x", ""}));

  EXPECT_TRUE(subscriber.transport.closed());
  subscriber.transport.SetPeerWindow(reactor::InMemoryTransport::kUnlimitedWindow);
  std::vector<Sent> sent = subscriber.Take();
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent.back().kind, kGoAway);
  EXPECT_EQ(sent.back().code, static_cast<int32_t>(absl::StatusCode::kResourceExhausted));
}

}  // namespace
}  // namespace weft::gateways::wire
