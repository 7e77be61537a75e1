// InMemoryTransport against the Transport contract (reactor/transport.h), on a FakeEventLoop.
#include "reactor/testing/in_memory_transport.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/testing/fake_event_loop.h"
#include "reactor/testing/recording_callbacks.h"
#include "reactor/transport.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

class InMemoryTransportTest : public ::testing::Test {
 protected:
  InMemoryTransportTest() { transport_->SetCallbacks(callbacks_); }

  // Checks the contract invariants every test relies on.
  void TearDown() override {
    EXPECT_LE(callbacks_.closed_count(), 1);
    EXPECT_EQ(callbacks_.events_after_close(), 0);
  }

  FakeEventLoop loop_;
  RecordingCallbacks callbacks_;
  std::unique_ptr<InMemoryTransport> transport_ = std::make_unique<InMemoryTransport>(loop_);
};

// --- Writing ---

TEST_F(InMemoryTransportTest, WrittenBytesAppearInWrittenUntilTaken) {
  ASSERT_THAT(transport_->Write("hello "), IsOk());
  ASSERT_THAT(transport_->Write("world"), IsOk());
  ASSERT_THAT(transport_->Write(""), IsOk());
  EXPECT_EQ(transport_->written(), "hello world");
  EXPECT_EQ(transport_->buffered_bytes(), 0u);
  EXPECT_EQ(transport_->TakeWritten(), "hello world");
  EXPECT_EQ(transport_->written(), "");
  ASSERT_THAT(transport_->Write("!"), IsOk());
  EXPECT_EQ(transport_->ConsumeWritten(5), "!");
}

TEST_F(InMemoryTransportTest, WindowKeepsExcessBytesBuffered) {
  transport_->SetPeerWindow(4);
  ASSERT_THAT(transport_->Write("abcdefgh"), IsOk());
  EXPECT_EQ(transport_->written(), "abcd");
  EXPECT_EQ(transport_->buffered_bytes(), 4u);
  EXPECT_EQ(transport_->ConsumeWritten(3), "abc");
  EXPECT_EQ(transport_->written(), "defg");
  EXPECT_EQ(transport_->buffered_bytes(), 1u);
  transport_->SetPeerWindow(InMemoryTransport::kUnlimitedWindow);
  EXPECT_EQ(transport_->TakeWritten(), "defgh");
  EXPECT_EQ(transport_->buffered_bytes(), 0u);
}

TEST_F(InMemoryTransportTest, BufferedBytesStayInOrderBehindLaterWrites) {
  transport_->SetPeerWindow(2);
  ASSERT_THAT(transport_->Write("abc"), IsOk());
  ASSERT_THAT(transport_->Write("de"), IsOk());
  EXPECT_EQ(transport_->buffered_bytes(), 3u);
  EXPECT_EQ(transport_->TakeWritten(), "ab");
  EXPECT_EQ(transport_->TakeWritten(), "cd");
  EXPECT_EQ(transport_->TakeWritten(), "e");
  EXPECT_EQ(transport_->buffered_bytes(), 0u);
}

// --- Watermarks and the buffer limit ---

TEST_F(InMemoryTransportTest, HighWatermarkFiresInsideWriteOnceAndLowWhenDrained) {
  transport_->SetWatermarks({.low = 4, .high = 8, .max = 100});
  transport_->SetPeerWindow(0);
  ASSERT_THAT(transport_->Write("12345678"), IsOk());  // At the high mark, not above it.
  EXPECT_EQ(callbacks_.high_count(), 0);
  ASSERT_THAT(transport_->Write("9"), IsOk());
  EXPECT_EQ(callbacks_.high_count(), 1);  // Synchronously, inside Write().
  ASSERT_THAT(transport_->Write("abc"), IsOk());
  EXPECT_EQ(callbacks_.high_count(), 1);
  transport_->SetPeerWindow(5);  // 12 -> 7 buffered: still above low.
  EXPECT_EQ(callbacks_.low_count(), 0);
  transport_->SetPeerWindow(8);  // 12 -> 4 buffered: at low.
  EXPECT_EQ(callbacks_.low_count(), 1);
  EXPECT_THAT(callbacks_.events(), ElementsAre("high", "low"));
  ASSERT_THAT(transport_->Write("123456789"), IsOk());  // Above high again.
  EXPECT_EQ(callbacks_.high_count(), 2);
  EXPECT_EQ(transport_->TakeWritten(), "12345678");
  EXPECT_EQ(callbacks_.low_count(), 1);  // 13 -> 5 buffered.
  EXPECT_EQ(transport_->TakeWritten(), "9abc1234");
  EXPECT_EQ(callbacks_.low_count(), 2);
}

TEST_F(InMemoryTransportTest, ProducerMayWriteFromOnWriteBufferLow) {
  transport_->SetWatermarks({.low = 0, .high = 2, .max = 100});
  transport_->SetPeerWindow(0);
  int refills = 0;
  callbacks_.set_on_low([&] {
    if (++refills < 3) {
      ASSERT_THAT(transport_->Write("xyz"), IsOk());
    }
  });
  ASSERT_THAT(transport_->Write("xyz"), IsOk());
  transport_->SetPeerWindow(InMemoryTransport::kUnlimitedWindow);
  EXPECT_EQ(refills, 1);  // The refill left the buffer at once: no new high, so no new low.
  EXPECT_EQ(transport_->written(), "xyzxyz");
}

TEST_F(InMemoryTransportTest, WriteBeyondMaxFailsWithResourceExhaustedAndSendsNothing) {
  transport_->SetWatermarks({.low = 1, .high = 5, .max = 10});
  transport_->SetPeerWindow(4);
  ASSERT_THAT(transport_->Write("0123456789abcd"), IsOk());  // 4 sent, 10 buffered.
  EXPECT_EQ(transport_->buffered_bytes(), 10u);
  EXPECT_THAT(transport_->Write("x"), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(transport_->buffered_bytes(), 10u);
  EXPECT_EQ(transport_->written(), "0123");
  EXPECT_EQ(transport_->ConsumeWritten(1), "0");
  EXPECT_THAT(transport_->Write("x"), IsOk());  // A refused write left no partial bytes.
  EXPECT_EQ(transport_->TakeWritten(), "1234");
  transport_->SetPeerWindow(InMemoryTransport::kUnlimitedWindow);
  EXPECT_EQ(transport_->TakeWritten(), "56789abcdx");
}

TEST_F(InMemoryTransportTest, DefaultMaxBoundsTheBuffer) {
  transport_->SetPeerWindow(0);
  const std::string chunk(1024 * 1024, 'z');
  const std::size_t max_chunks = WriteWatermarks{}.max / chunk.size();
  for (std::size_t i = 0; i < max_chunks; ++i) ASSERT_THAT(transport_->Write(chunk), IsOk());
  EXPECT_THAT(transport_->Write("!"), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(callbacks_.high_count(), 1);
}

TEST(InMemoryTransportDeathTest, InconsistentWatermarksAreABug) {
  FakeEventLoop loop;
  InMemoryTransport transport(loop);
  EXPECT_DEATH(transport.SetWatermarks({.low = 10, .high = 5, .max = 20}), "check failed");
}

// --- Reading ---

TEST_F(InMemoryTransportTest, DeliverCallsOnDataSynchronously) {
  transport_->Deliver("abc");
  EXPECT_THAT(callbacks_.events(), ElementsAre("data:abc"));
  transport_->Deliver("");
  EXPECT_EQ(callbacks_.data_calls(), 1);
}

TEST_F(InMemoryTransportTest, LargeDeliveriesArriveInReadSizedChunks) {
  const std::string big(2 * InMemoryTransport::kMaxReadChunk + 10, 'q');
  transport_->Deliver(big);
  EXPECT_EQ(callbacks_.data_calls(), 3);
  EXPECT_EQ(callbacks_.data(), big);
}

TEST_F(InMemoryTransportTest, BytesDeliveredBeforeSetCallbacksArriveFromTheLoop) {
  InMemoryTransport fresh(loop_);
  RecordingCallbacks callbacks;
  fresh.Deliver("early");
  fresh.DeliverEof();
  fresh.SetCallbacks(callbacks);
  EXPECT_THAT(callbacks.events(), IsEmpty());  // Not inside SetCallbacks().
  loop_.RunUntilIdle();
  EXPECT_THAT(callbacks.events(), ElementsAre("data:early", "eof"));
}

TEST_F(InMemoryTransportTest, PausedReadingQueuesBytesUntilResumedAndTheLoopRuns) {
  transport_->PauseReading();
  EXPECT_TRUE(transport_->reading_paused());
  transport_->Deliver("one ");
  transport_->Deliver("two");
  transport_->DeliverEof();
  loop_.RunUntilIdle();
  EXPECT_THAT(callbacks_.events(), IsEmpty());
  transport_->ResumeReading();
  EXPECT_FALSE(transport_->reading_paused());
  EXPECT_THAT(callbacks_.events(), IsEmpty());  // Not inside ResumeReading().
  loop_.RunUntilIdle();
  EXPECT_THAT(callbacks_.events(), ElementsAre("data:one two", "eof"));
}

TEST_F(InMemoryTransportTest, PauseInsideOnDataStopsTheNextChunk) {
  callbacks_.set_on_data([&](absl::string_view) { transport_->PauseReading(); });
  transport_->Deliver(std::string(InMemoryTransport::kMaxReadChunk + 1, 'p'));
  EXPECT_EQ(callbacks_.data_calls(), 1);
  callbacks_.set_on_data(nullptr);
  transport_->ResumeReading();
  loop_.RunUntilIdle();
  EXPECT_EQ(callbacks_.data_calls(), 2);
  EXPECT_EQ(callbacks_.data().size(), InMemoryTransport::kMaxReadChunk + 1);
}

TEST_F(InMemoryTransportTest, DeliveryAfterResumeButBeforeTheLoopRunsKeepsOrder) {
  transport_->PauseReading();
  transport_->Deliver("a");
  transport_->ResumeReading();
  transport_->Deliver("b");  // Queued "a" goes first.
  loop_.RunUntilIdle();
  EXPECT_EQ(callbacks_.data(), "ab");
}

TEST_F(InMemoryTransportTest, EofIsDeliveredOnceAndWritingStaysAllowed) {
  transport_->DeliverEof();
  transport_->DeliverEof();
  EXPECT_THAT(callbacks_.events(), ElementsAre("eof"));
  EXPECT_THAT(transport_->Write("still here"), IsOk());
  EXPECT_FALSE(transport_->closed());
}

TEST(InMemoryTransportDeathTest, DeliveringAfterEofIsABugInTheTest) {
  FakeEventLoop loop;
  InMemoryTransport transport(loop);
  transport.DeliverEof();
  EXPECT_DEATH(transport.Deliver("late"), "check failed");
}

TEST_F(InMemoryTransportTest, ReplacingCallbacksRedirectsEvents) {
  RecordingCallbacks other;
  transport_->SetCallbacks(other);
  transport_->Deliver("x");
  EXPECT_THAT(callbacks_.events(), IsEmpty());
  EXPECT_THAT(other.events(), ElementsAre("data:x"));
}

// --- Closing ---

TEST_F(InMemoryTransportTest, CloseReportsOkFromTheLoopExactlyOnce) {
  ASSERT_THAT(transport_->Write("bye"), IsOk());
  transport_->Close();
  EXPECT_TRUE(transport_->closed());
  EXPECT_FALSE(callbacks_.closed());  // Never inside Close().
  transport_->Close();
  loop_.RunUntilIdle();
  EXPECT_THAT(callbacks_.events(), ElementsAre("closed:OK"));
  transport_->Close();
  transport_->Abort();
  loop_.RunUntilIdle();
  EXPECT_EQ(callbacks_.closed_count(), 1);
  EXPECT_EQ(transport_->written(), "bye");
}

TEST_F(InMemoryTransportTest, CloseFlushesBufferedBytesBeforeReportingClosed) {
  transport_->SetPeerWindow(2);
  ASSERT_THAT(transport_->Write("hello"), IsOk());
  transport_->Close();
  loop_.RunUntilIdle();
  EXPECT_FALSE(callbacks_.closed());
  EXPECT_EQ(transport_->TakeWritten(), "he");
  loop_.RunUntilIdle();
  EXPECT_FALSE(callbacks_.closed());           // "o" is still buffered.
  EXPECT_EQ(transport_->TakeWritten(), "ll");  // "o" leaves: the flush is complete.
  EXPECT_EQ(transport_->buffered_bytes(), 0u);
  EXPECT_FALSE(callbacks_.closed());  // Not inside the test's call either.
  loop_.RunUntilIdle();
  EXPECT_THAT(callbacks_.events(), ElementsAre("closed:OK"));
  EXPECT_EQ(transport_->written(), "o");  // Sent before the close; the peer may still read it.
}

TEST_F(InMemoryTransportTest, CloseStopsReading) {
  transport_->PauseReading();
  transport_->Deliver("queued");
  transport_->Close();
  transport_->Deliver("late");
  transport_->ResumeReading();
  loop_.RunUntilIdle();
  EXPECT_THAT(callbacks_.events(), ElementsAre("closed:OK"));
}

TEST_F(InMemoryTransportTest, WritesAfterCloseAbortOrShutdownFailWithFailedPrecondition) {
  InMemoryTransport closed(loop_), aborted(loop_), shut(loop_);
  closed.Close();
  aborted.Abort();
  shut.ShutdownWrite();
  for (InMemoryTransport* t : {&closed, &aborted, &shut}) {
    EXPECT_THAT(t->Write("x"), StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  loop_.RunUntilIdle();
  for (InMemoryTransport* t : {&closed, &aborted, &shut}) {
    EXPECT_THAT(t->Write("x"), StatusIs(absl::StatusCode::kFailedPrecondition));
  }
}

TEST_F(InMemoryTransportTest, AbortDiscardsBufferedBytesAndReportsCancelled) {
  transport_->SetPeerWindow(1);
  ASSERT_THAT(transport_->Write("abc"), IsOk());
  transport_->Abort();
  EXPECT_TRUE(transport_->aborted());
  EXPECT_TRUE(transport_->closed());
  EXPECT_EQ(transport_->buffered_bytes(), 0u);
  EXPECT_FALSE(callbacks_.closed());
  loop_.RunUntilIdle();
  EXPECT_THAT(callbacks_.events(), ElementsAre("closed:CANCELLED"));
}

TEST_F(InMemoryTransportTest, AbortDuringAPendingCloseReportsCancelled) {
  transport_->SetPeerWindow(0);
  ASSERT_THAT(transport_->Write("abc"), IsOk());
  transport_->Close();
  transport_->Abort();
  loop_.RunUntilIdle();
  EXPECT_THAT(callbacks_.events(), ElementsAre("closed:CANCELLED"));
}

TEST_F(InMemoryTransportTest, ResetReportsUnavailableAndLaterWritesFail) {
  transport_->SetPeerWindow(0);
  ASSERT_THAT(transport_->Write("unsent"), IsOk());
  transport_->DeliverReset();
  EXPECT_EQ(transport_->buffered_bytes(), 0u);
  EXPECT_THAT(transport_->Write("x"), StatusIs(absl::StatusCode::kUnavailable));
  loop_.RunUntilIdle();
  EXPECT_THAT(callbacks_.events(), ElementsAre("closed:UNAVAILABLE"));
  transport_->DeliverReset();
  transport_->Close();
  loop_.RunUntilIdle();
  EXPECT_EQ(callbacks_.closed_count(), 1);
}

TEST_F(InMemoryTransportTest, FailureBeforeSetCallbacksIsReportedOnceCallbacksArrive) {
  InMemoryTransport fresh(loop_);
  fresh.DeliverReset();
  loop_.RunUntilIdle();
  RecordingCallbacks callbacks;
  fresh.SetCallbacks(callbacks);
  EXPECT_FALSE(callbacks.closed());
  loop_.RunUntilIdle();
  EXPECT_THAT(callbacks.events(), ElementsAre("closed:UNAVAILABLE"));
}

TEST_F(InMemoryTransportTest, CloseFromInsideOnDataIsReportedFromTheLoop) {
  callbacks_.set_on_data([&](absl::string_view) { transport_->Close(); });
  transport_->Deliver("QUIT\r\n");
  EXPECT_THAT(callbacks_.events(), ElementsAre("data:QUIT\r\n"));
  loop_.RunUntilIdle();
  EXPECT_THAT(callbacks_.events(), ElementsAre("data:QUIT\r\n", "closed:OK"));
}

TEST_F(InMemoryTransportTest, CloseFromAQueuedDeliveryIsReportedInTheSameRun) {
  transport_->PauseReading();
  transport_->Deliver("QUIT\r\n");
  callbacks_.set_on_data([&](absl::string_view) { transport_->Close(); });
  transport_->ResumeReading();
  loop_.RunUntilIdle();
  EXPECT_THAT(callbacks_.events(), ElementsAre("data:QUIT\r\n", "closed:OK"));
}

TEST_F(InMemoryTransportTest, CloseFromAPostedTaskIsReportedInTheSameRun) {
  loop_.Post([&] { transport_->Close(); });
  loop_.RunUntilIdle();
  EXPECT_THAT(callbacks_.events(), ElementsAre("closed:OK"));
}

// --- Half-close ---

TEST_F(InMemoryTransportTest, ShutdownWriteFlushesFirstAndReadingContinues) {
  transport_->SetPeerWindow(2);
  ASSERT_THAT(transport_->Write("abcd"), IsOk());
  transport_->ShutdownWrite();
  EXPECT_FALSE(transport_->write_shut_down());
  EXPECT_THAT(transport_->Write("x"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(transport_->TakeWritten(), "ab");
  EXPECT_TRUE(transport_->write_shut_down());
  EXPECT_EQ(transport_->TakeWritten(), "cd");
  transport_->Deliver("reply");
  EXPECT_THAT(callbacks_.events(), ElementsAre("data:reply"));
  EXPECT_FALSE(transport_->closed());
}

TEST_F(InMemoryTransportTest, PeerEofAfterShutdownWriteClosesWithOk) {
  transport_->ShutdownWrite();
  transport_->DeliverEof();  // Both directions done: no OnReadEof, as on TcpTransport.
  EXPECT_THAT(callbacks_.events(), IsEmpty());
  loop_.RunUntilIdle();
  EXPECT_THAT(callbacks_.events(), ElementsAre("closed:OK"));
}

TEST_F(InMemoryTransportTest, ShutdownWriteAfterPeerEofClosesWithOk) {
  transport_->DeliverEof();
  transport_->ShutdownWrite();
  EXPECT_FALSE(callbacks_.closed());
  loop_.RunUntilIdle();
  EXPECT_THAT(callbacks_.events(), ElementsAre("eof", "closed:OK"));
}

// --- Lifetime ---

TEST_F(InMemoryTransportTest, DestroyingTheTransportCallsNothing) {
  transport_->Close();
  transport_.reset();
  loop_.RunUntilIdle();
  EXPECT_THAT(callbacks_.events(), IsEmpty());
}

TEST_F(InMemoryTransportTest, ConsumerMayDestroyTheTransportInsideOnData) {
  callbacks_.set_on_data([&](absl::string_view) { transport_.reset(); });
  InMemoryTransport* raw = transport_.get();
  raw->Deliver(std::string(3 * InMemoryTransport::kMaxReadChunk, 'd'));
  EXPECT_EQ(callbacks_.data_calls(), 1);
  loop_.RunUntilIdle();
  EXPECT_EQ(callbacks_.data_calls(), 1);
}

TEST_F(InMemoryTransportTest, ConsumerMayDestroyTheTransportInsideQueuedOnData) {
  transport_->PauseReading();
  transport_->Deliver(std::string(3 * InMemoryTransport::kMaxReadChunk, 'd'));
  callbacks_.set_on_data([&](absl::string_view) { transport_.reset(); });
  transport_->ResumeReading();
  loop_.RunUntilIdle();
  EXPECT_EQ(callbacks_.data_calls(), 1);
}

TEST_F(InMemoryTransportTest, ConsumerMayDestroyTheTransportInsideOnClosed) {
  callbacks_.set_on_closed([&](absl::Status) { transport_.reset(); });
  transport_->Abort();
  loop_.RunUntilIdle();
  EXPECT_EQ(transport_, nullptr);
  EXPECT_EQ(callbacks_.closed_count(), 1);
}

TEST_F(InMemoryTransportTest, ConsumerMayDestroyTheTransportInsideOnWriteBufferLow) {
  transport_->SetWatermarks({.low = 0, .high = 1, .max = 10});
  transport_->SetPeerWindow(0);
  ASSERT_THAT(transport_->Write("ab"), IsOk());
  callbacks_.set_on_low([&] { transport_.reset(); });
  InMemoryTransport* raw = transport_.get();
  raw->SetPeerWindow(InMemoryTransport::kUnlimitedWindow);
  EXPECT_EQ(transport_, nullptr);
}

TEST_F(InMemoryTransportTest, AddressesAreSettable) {
  EXPECT_EQ(transport_->peer_address(), "");
  transport_->set_peer_address("192.0.2.7:4242");
  transport_->set_local_address("127.0.0.1:7780");
  EXPECT_EQ(transport_->peer_address(), "192.0.2.7:4242");
  EXPECT_EQ(transport_->local_address(), "127.0.0.1:7780");
}

// The session-test shape from STYLE.md: a timer-driven close seen through the fake loop.
TEST_F(InMemoryTransportTest, WorksWithTimersOnTheFakeLoop) {
  std::unique_ptr<Timer> idle = loop_.CreateTimer([&] {
    ASSERT_THAT(transport_->Write("ERROR :ping timeout\r\n"), IsOk());
    transport_->Close();
  });
  idle->Schedule(absl::Seconds(120));
  loop_.AdvanceBy(absl::Seconds(121));
  EXPECT_EQ(transport_->written(), "ERROR :ping timeout\r\n");
  EXPECT_TRUE(transport_->closed());
  EXPECT_THAT(callbacks_.events(), ElementsAre("closed:OK"));
}

}  // namespace
}  // namespace weft::reactor
