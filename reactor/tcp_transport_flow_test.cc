// TcpTransport flow control (watermarks, the write limit) and closing (Close, ShutdownWrite,
// Abort, destruction) over real loopback sockets on an EpollEventLoop. The peer is a raw
// non-blocking socket, so the test decides exactly when bytes are read. Every wait is bounded
// (RunUntil, 10 s); "nothing happens" is checked with a few zero-wait iterations.
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/epoll_event_loop.h"
#include "reactor/tcp_test_util.h"
#include "reactor/tcp_transport.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

constexpr std::size_t kKiB = 1024;

class TcpTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<EpollEventLoop>> loop = EpollEventLoop::Create();
    ASSERT_THAT(loop, IsOk());
    loop_ = *std::move(loop);
  }

  // A transport and its raw peer socket (see ::weft::reactor::MakeTransportAndPeer).
  void MakeTransportAndPeer(int family, std::unique_ptr<TcpTransport>& transport, UniqueFd& peer,
                            bool small_send_buffer = false) {
    absl::StatusOr<TransportAndPeer> pair =
        ::weft::reactor::MakeTransportAndPeer(*loop_, family, small_send_buffer);
    ASSERT_THAT(pair, IsOk());
    transport = std::move(pair->transport);
    peer = std::move(pair->peer);
  }

  std::unique_ptr<EpollEventLoop> loop_;
};

TEST_F(TcpTransportTest, ShutdownWriteFlushesBufferedBytesFirst) {
  std::unique_ptr<TcpTransport> transport;
  UniqueFd peer;
  MakeTransportAndPeer(AF_INET, transport, peer, /*small_send_buffer=*/true);
  RecordingCallbacks events;
  transport->SetCallbacks(events);
  std::string sent;
  ASSERT_THAT(FillKernel(*transport, &sent), IsOk());
  transport->ShutdownWrite();
  EXPECT_THAT(transport->Write("x"), StatusIs(absl::StatusCode::kFailedPrecondition));
  std::string received;
  bool eof = false;
  ASSERT_TRUE(RunUntil(*loop_, [&] {
    Drained d = ReadAvailable(peer.get());
    received += d.bytes;
    eof = eof || d.eof;
    return eof;
  }));
  EXPECT_EQ(received.size(), sent.size());
  EXPECT_TRUE(received == sent);
  EXPECT_FALSE(events.closed());  // Reading continues after a half-close.
}

// --- Flow control -----------------------------------------------------------------------------

TEST_F(TcpTransportTest, SlowReaderGetsBackpressureBoundedBufferAndLowAfterDrain) {
  std::unique_ptr<TcpTransport> writer;
  UniqueFd peer;
  MakeTransportAndPeer(AF_INET, writer, peer, /*small_send_buffer=*/true);
  RecordingCallbacks events;
  writer->SetCallbacks(events);
  WriteWatermarks marks;
  marks.low = 16 * kKiB;
  marks.high = 64 * kKiB;
  marks.max = 256 * kKiB;
  writer->SetWatermarks(marks);

  // A producer that ignores OnWriteBufferHigh(): the buffer stops at `max`.
  std::string sent;
  absl::Status status;
  std::size_t buffered_at_high = 0;
  events.on_high = [&] { buffered_at_high = writer->buffered_bytes(); };
  for (int i = 0; i < 100000 && status.ok(); ++i) {
    const std::string chunk = Payload(8 * kKiB, static_cast<unsigned>(i));
    status = writer->Write(chunk);
    if (status.ok()) sent += chunk;
    ASSERT_LE(writer->buffered_bytes(), marks.max);
  }
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(events.high_count, 1);
  EXPECT_GT(buffered_at_high, marks.high);
  EXPECT_GT(writer->buffered_bytes(), marks.max - 8 * kKiB);
  EXPECT_LE(writer->buffered_bytes(), marks.max);

  // Still nothing drains while the peer does not read, and the rejected write left no trace.
  const std::size_t buffered = writer->buffered_bytes();
  RunReady(*loop_);
  EXPECT_EQ(writer->buffered_bytes(), buffered);
  EXPECT_EQ(events.low_count, 0);
  EXPECT_FALSE(events.closed());

  // The peer drains: OnWriteBufferLow() once the buffer is at or below `low`.
  std::string received;
  ASSERT_TRUE(RunUntil(*loop_, [&] {
    received += ReadAvailable(peer.get(), 32 * kKiB).bytes;
    return events.low_count > 0;
  }));
  EXPECT_EQ(events.low_count, 1);
  EXPECT_LE(writer->buffered_bytes(), marks.low);
  EXPECT_EQ(events.high_count, 1);

  // Writing works again and every accepted byte arrives, in order.
  ASSERT_THAT(writer->Write("tail"), IsOk());
  sent += "tail";
  ASSERT_TRUE(RunUntil(*loop_, [&] {
    received += ReadAvailable(peer.get()).bytes;
    return received.size() >= sent.size();
  }));
  EXPECT_EQ(received.size(), sent.size());
  EXPECT_TRUE(received == sent);
  EXPECT_FALSE(events.closed());
}

TEST_F(TcpTransportTest, WellBehavedProducerPausesAtHighAndResumesAtLow) {
  std::unique_ptr<TcpTransport> writer;
  UniqueFd peer;
  MakeTransportAndPeer(AF_INET, writer, peer, /*small_send_buffer=*/true);
  RecordingCallbacks events;
  writer->SetCallbacks(events);
  bool paused = false;
  events.on_high = [&] { paused = true; };
  events.on_low = [&] { paused = false; };
  const std::size_t total = 2 * 1024 * kKiB;
  std::size_t produced = 0;
  std::size_t received = 0;
  std::size_t max_buffered = 0;
  ASSERT_TRUE(RunUntil(*loop_, [&] {
    while (!paused && produced < total) {
      EXPECT_THAT(writer->Write(Payload(16 * kKiB, 5)), IsOk());
      produced += 16 * kKiB;
    }
    max_buffered = std::max(max_buffered, writer->buffered_bytes());
    // A slow reader: a little at a time.
    received += ReadAvailable(peer.get(), 32 * kKiB).bytes.size();
    return received == total;
  }));
  EXPECT_GE(events.high_count, 1);
  EXPECT_EQ(events.low_count, events.high_count);
  // Never more than one write past the high watermark.
  EXPECT_LE(max_buffered, WriteWatermarks{}.high + 16 * kKiB);
}

TEST_F(TcpTransportTest, WriteOverMaxIsRejectedWithoutSendingAnyOfIt) {
  std::unique_ptr<TcpTransport> writer;
  UniqueFd peer;
  MakeTransportAndPeer(AF_INET, writer, peer, /*small_send_buffer=*/true);
  RecordingCallbacks events;
  writer->SetCallbacks(events);
  WriteWatermarks marks;
  marks.low = 16 * kKiB;
  marks.high = 64 * kKiB;
  marks.max = 256 * kKiB;
  writer->SetWatermarks(marks);

  // The buffer is empty, so the kernel would take a prefix at once; a write that cannot be
  // accepted whole must not send part of itself (the caller could not know how much went).
  EXPECT_THAT(writer->Write(Payload(4 * 1024 * kKiB)),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(writer->buffered_bytes(), 0u);
  RunReady(*loop_);
  EXPECT_EQ(ReadAvailable(peer.get()).bytes.size(), 0u);
  EXPECT_EQ(events.high_count, 0);

  // The transport is still usable.
  ASSERT_THAT(writer->Write("after"), IsOk());
  std::string received;
  ASSERT_TRUE(RunUntil(*loop_, [&] {
    received += ReadAvailable(peer.get()).bytes;
    return received.size() >= 5;
  }));
  EXPECT_TRUE(received == "after") << received.size() << " bytes received";
}

// --- Close and Abort --------------------------------------------------------------------------

TEST_F(TcpTransportTest, CloseFlushesBufferedDataThenReportsOkExactlyOnce) {
  std::unique_ptr<TcpTransport> writer;
  UniqueFd peer;
  MakeTransportAndPeer(AF_INET, writer, peer, /*small_send_buffer=*/true);
  RecordingCallbacks events;
  writer->SetCallbacks(events);
  std::string sent;
  ASSERT_THAT(FillKernel(*writer, &sent), IsOk());
  const std::string extra = Payload(200 * kKiB, 9);
  ASSERT_THAT(writer->Write(extra), IsOk());
  sent += extra;

  writer->Close();
  EXPECT_FALSE(events.closed()) << "OnClosed() must never run inside Close()";
  EXPECT_THAT(writer->Write("late"), StatusIs(absl::StatusCode::kFailedPrecondition));
  RunReady(*loop_);
  EXPECT_FALSE(events.closed()) << "closed before the buffered bytes were sent";
  EXPECT_GT(writer->buffered_bytes(), 0u);

  std::string received;
  bool eof = false;
  ASSERT_TRUE(RunUntil(*loop_, [&] {
    Drained d = ReadAvailable(peer.get());
    received += d.bytes;
    EXPECT_EQ(d.error, 0);
    eof = eof || d.eof;
    return eof && events.closed();
  }));
  EXPECT_EQ(received.size(), sent.size());
  EXPECT_TRUE(received == sent);
  EXPECT_THAT(events.close_reason(), IsOk());
  writer->Close();  // A second Close() is a no-op.
  RunReady(*loop_);
  EXPECT_EQ(events.closed_reasons.size(), 1u);
  EXPECT_EQ(events.events_after_close, 0);
  EXPECT_EQ(writer->local_address(), "");
  EXPECT_EQ(writer->peer_address(), "");
}

TEST_F(TcpTransportTest, CloseWithNothingBufferedReportsOnTheNextIteration) {
  std::unique_ptr<TcpTransport> transport;
  UniqueFd peer;
  MakeTransportAndPeer(AF_UNIX, transport, peer);
  RecordingCallbacks events;
  transport->SetCallbacks(events);
  transport->Close();
  EXPECT_FALSE(events.closed());
  loop_->RunOnce(absl::ZeroDuration());
  ASSERT_EQ(events.closed_reasons.size(), 1u);
  EXPECT_THAT(events.close_reason(), IsOk());
  EXPECT_TRUE(RunUntil(*loop_, [&] { return ReadAvailable(peer.get()).eof; }));
}

TEST_F(TcpTransportTest, WritesAfterCloseAbortOrShutdownAreFailedPrecondition) {
  for (int which = 0; which < 3; ++which) {
    SCOPED_TRACE(which);
    std::unique_ptr<TcpTransport> transport;
    UniqueFd peer;
    MakeTransportAndPeer(AF_INET, transport, peer);
    RecordingCallbacks events;
    transport->SetCallbacks(events);
    if (which == 0) transport->Close();
    if (which == 1) transport->Abort();
    if (which == 2) transport->ShutdownWrite();
    EXPECT_THAT(transport->Write("x"), StatusIs(absl::StatusCode::kFailedPrecondition));
    RunReady(*loop_);
    EXPECT_THAT(transport->Write("x"), StatusIs(absl::StatusCode::kFailedPrecondition));
  }
}

TEST_F(TcpTransportTest, AbortReportsCancelledAndThePeerSeesAReset) {
  std::unique_ptr<TcpTransport> transport;
  UniqueFd peer;
  MakeTransportAndPeer(AF_INET, transport, peer, /*small_send_buffer=*/true);
  RecordingCallbacks events;
  transport->SetCallbacks(events);
  ASSERT_THAT(FillKernel(*transport, nullptr), IsOk());
  transport->Abort();
  EXPECT_EQ(transport->buffered_bytes(), 0u);  // Unsent bytes are discarded.
  EXPECT_FALSE(events.closed()) << "OnClosed() must never run inside Abort()";
  loop_->RunOnce(absl::ZeroDuration());
  ASSERT_EQ(events.closed_reasons.size(), 1u);
  EXPECT_THAT(events.close_reason(), StatusIs(absl::StatusCode::kCancelled));
  transport->Abort();  // Idempotent.
  transport->Close();
  RunReady(*loop_);
  EXPECT_EQ(events.closed_reasons.size(), 1u);

  int error = 0;
  bool eof = false;
  ASSERT_TRUE(RunUntil(*loop_, [&] {
    Drained d = ReadAvailable(peer.get());
    error = d.error;
    eof = d.eof;
    return error != 0 || eof;
  }));
  EXPECT_FALSE(eof) << "the peer saw an orderly FIN instead of a reset";
  EXPECT_EQ(error, ECONNRESET);
}

TEST_F(TcpTransportTest, AbortAfterCloseWithPendingBytesReportsCancelled) {
  std::unique_ptr<TcpTransport> transport;
  UniqueFd peer;
  MakeTransportAndPeer(AF_INET, transport, peer, /*small_send_buffer=*/true);
  RecordingCallbacks events;
  transport->SetCallbacks(events);
  ASSERT_THAT(FillKernel(*transport, nullptr), IsOk());
  transport->Close();
  transport->Abort();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return events.closed(); }));
  EXPECT_THAT(events.close_reason(), StatusIs(absl::StatusCode::kCancelled));
  RunReady(*loop_);
  EXPECT_EQ(events.closed_reasons.size(), 1u);
}

TEST_F(TcpTransportTest, DestroyingWithACloseReportPendingCallsNothing) {
  std::unique_ptr<TcpTransport> transport;
  UniqueFd peer;
  MakeTransportAndPeer(AF_INET, transport, peer);
  auto events = std::make_unique<RecordingCallbacks>();
  transport->SetCallbacks(*events);
  transport->Abort();
  transport.reset();
  events.reset();  // Any late OnClosed() would now be a use-after-free.
  RunReady(*loop_);
}

TEST_F(TcpTransportTest, CloseBeforeSetCallbacksIsReportedOnceCallbacksArrive) {
  std::unique_ptr<TcpTransport> transport;
  UniqueFd peer;
  MakeTransportAndPeer(AF_INET, transport, peer);
  transport->Close();
  RunReady(*loop_);
  RecordingCallbacks events;
  transport->SetCallbacks(events);
  EXPECT_FALSE(events.closed());
  ASSERT_TRUE(RunUntil(*loop_, [&] { return events.closed(); }));
  EXPECT_THAT(events.close_reason(), IsOk());
}

}  // namespace
}  // namespace weft::reactor
