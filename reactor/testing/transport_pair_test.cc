// TransportPair: two InMemoryTransports connected by a pump, with TCP-like semantics.
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/testing/fake_event_loop.h"
#include "reactor/testing/in_memory_transport.h"
#include "reactor/testing/recording_callbacks.h"
#include "reactor/transport.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

class TransportPairTest : public ::testing::Test {
 protected:
  TransportPairTest() {
    a_->SetCallbacks(a_events_);
    b_->SetCallbacks(b_events_);
  }

  void TearDown() override {
    for (const RecordingCallbacks* events : {&a_events_, &b_events_}) {
      EXPECT_LE(events->closed_count(), 1);
      EXPECT_EQ(events->events_after_close(), 0);
    }
  }

  FakeEventLoop loop_;
  RecordingCallbacks a_events_;
  RecordingCallbacks b_events_;
  TransportPair pair_{loop_};
  std::unique_ptr<Transport> a_ = pair_.TakeA();
  std::unique_ptr<Transport> b_ = pair_.TakeB();
};

TEST_F(TransportPairTest, NothingMovesUntilPump) {
  ASSERT_THAT(a_->Write("ping"), IsOk());
  loop_.RunUntilIdle();
  EXPECT_THAT(b_events_.events(), IsEmpty());
  EXPECT_EQ(pair_.Pump(), 4u);
  EXPECT_THAT(b_events_.events(), ElementsAre("data:ping"));
  EXPECT_EQ(pair_.Pump(), 0u);
}

TEST_F(TransportPairTest, BytesFlowBothWays) {
  ASSERT_THAT(a_->Write("hello b"), IsOk());
  ASSERT_THAT(b_->Write("hello a"), IsOk());
  EXPECT_EQ(pair_.Pump(), 14u);
  EXPECT_EQ(a_events_.data(), "hello a");
  EXPECT_EQ(b_events_.data(), "hello b");
}

TEST_F(TransportPairTest, AddressesNameTheEnds) {
  EXPECT_EQ(a_->local_address(), "memory:a");
  EXPECT_EQ(a_->peer_address(), "memory:b");
  EXPECT_EQ(b_->local_address(), "memory:b");
  EXPECT_EQ(b_->peer_address(), "memory:a");
}

// What a TLS handshake needs: replies written from inside OnData() keep flowing in one Pump().
TEST_F(TransportPairTest, WritesFromInsideOnDataKeepFlowingWithinOnePump) {
  auto bounce = [](Transport& transport) {
    return [&transport](absl::string_view bytes) {
      const int n = std::stoi(std::string(bytes));
      if (n < 10) {
        ASSERT_THAT(transport.Write(absl::StrCat(n + 1)), IsOk());
      }
    };
  };
  a_events_.set_on_data(bounce(*a_));
  b_events_.set_on_data(bounce(*b_));
  ASSERT_THAT(a_->Write("0"), IsOk());
  pair_.Pump();
  EXPECT_EQ(b_events_.data(), "0246810");
  EXPECT_EQ(a_events_.data(), "13579");
  EXPECT_EQ(b_events_.data_calls() + a_events_.data_calls(), 11);
}

TEST_F(TransportPairTest, LargeTransfersArriveWholeInReadSizedChunks) {
  std::string big;
  for (int i = 0; big.size() < 1024 * 1024; ++i) big += absl::StrCat(i, ",");
  ASSERT_THAT(a_->Write(big), IsOk());
  ASSERT_THAT(b_->Write(big), IsOk());
  EXPECT_EQ(pair_.Pump(), 2 * big.size());
  EXPECT_EQ(b_events_.data(), big);
  EXPECT_EQ(a_events_.data(), big);
  const int chunks = static_cast<int>((big.size() + InMemoryTransport::kMaxReadChunk - 1) /
                                      InMemoryTransport::kMaxReadChunk);
  EXPECT_EQ(b_events_.data_calls(), chunks);
}

TEST_F(TransportPairTest, ReceiverWithoutCallbacksHoldsBytesBack) {
  TransportPair pair(loop_);
  std::unique_ptr<Transport> a = pair.TakeA();
  std::unique_ptr<Transport> b = pair.TakeB();
  RecordingCallbacks a_events, b_events;
  a->SetCallbacks(a_events);
  ASSERT_THAT(a->Write("early"), IsOk());
  EXPECT_EQ(pair.Pump(), 0u);
  b->SetCallbacks(b_events);
  EXPECT_EQ(pair.Pump(), 5u);
  EXPECT_EQ(b_events.data(), "early");
}

// --- Flow control ---

TEST_F(TransportPairTest, PausedReceiverHoldsBytesUntilResumed) {
  b_->PauseReading();
  ASSERT_THAT(a_->Write("wait"), IsOk());
  EXPECT_EQ(pair_.Pump(), 0u);
  b_->ResumeReading();
  EXPECT_EQ(pair_.Pump(), 4u);
  EXPECT_EQ(b_events_.data(), "wait");
}

TEST_F(TransportPairTest, ReceiverPausingInsideOnDataStopsTheFlow) {
  b_events_.set_on_data([&](absl::string_view) { b_->PauseReading(); });
  ASSERT_THAT(a_->Write(std::string(3 * InMemoryTransport::kMaxReadChunk, 'x')), IsOk());
  EXPECT_EQ(pair_.Pump(), InMemoryTransport::kMaxReadChunk);
  b_->ResumeReading();
  EXPECT_EQ(pair_.Pump(), InMemoryTransport::kMaxReadChunk);
}

TEST_F(TransportPairTest, WindowTurnsAPausedReceiverIntoSenderBackpressure) {
  a_->SetWatermarks({.low = 10, .high = 50, .max = 1000});
  pair_.SetWindow(TransportPair::Side::kA, 20);
  b_->PauseReading();
  ASSERT_THAT(a_->Write(std::string(100, 'w')), IsOk());
  EXPECT_EQ(a_->buffered_bytes(), 80u);
  EXPECT_THAT(a_events_.events(), ElementsAre("high"));
  EXPECT_EQ(pair_.Pump(), 0u);
  b_->ResumeReading();
  EXPECT_EQ(pair_.Pump(), 100u);
  EXPECT_EQ(a_->buffered_bytes(), 0u);
  EXPECT_THAT(a_events_.events(), ElementsAre("high", "low"));
  EXPECT_EQ(b_events_.data(), std::string(100, 'w'));
}

TEST_F(TransportPairTest, ProducerRefillingFromOnWriteBufferLowKeepsFlowing) {
  a_->SetWatermarks({.low = 0, .high = 4, .max = 1000});
  pair_.SetWindow(TransportPair::Side::kA, 8);
  int refills = 0;
  a_events_.set_on_low([&] {
    if (++refills < 5) {
      ASSERT_THAT(a_->Write(std::string(16, 'r')), IsOk());
    }
  });
  ASSERT_THAT(a_->Write(std::string(16, 'r')), IsOk());
  pair_.Pump();
  EXPECT_EQ(b_events_.data(), std::string(5 * 16, 'r'));
  EXPECT_EQ(refills, 5);
}

// --- Half-close and close ---

TEST_F(TransportPairTest, ShutdownWriteGivesThePeerEofAndTheOtherDirectionStaysOpen) {
  ASSERT_THAT(a_->Write("request"), IsOk());
  a_->ShutdownWrite();
  pair_.Pump();
  EXPECT_THAT(b_events_.events(), ElementsAre("data:request", "eof"));
  ASSERT_THAT(b_->Write("response"), IsOk());
  b_->Close();
  pair_.Pump();
  loop_.RunUntilIdle();
  // A had shut down its side, so B's FIN ends A's connection without an OnReadEof().
  EXPECT_THAT(a_events_.events(), ElementsAre("data:response", "closed:OK"));
  EXPECT_THAT(b_events_.events(), ElementsAre("data:request", "eof", "closed:OK"));
}

TEST_F(TransportPairTest, CloseDeliversTheRestThenEofAndThePeerClosesToo) {
  b_events_.set_on_read_eof([&] { b_->Close(); });  // Twisted's default Protocol behaviour.
  ASSERT_THAT(a_->Write("bye"), IsOk());
  a_->Close();
  loop_.RunUntilIdle();
  EXPECT_THAT(a_events_.events(), ElementsAre("closed:OK"));
  pair_.Pump();
  loop_.RunUntilIdle();
  EXPECT_THAT(b_events_.events(), ElementsAre("data:bye", "eof", "closed:OK"));
  EXPECT_EQ(pair_.Pump(), 0u);
}

TEST_F(TransportPairTest, CloseWaitsForAPausedPeerWhenTheWindowIsFull) {
  pair_.SetWindow(TransportPair::Side::kA, 2);
  b_->PauseReading();
  ASSERT_THAT(a_->Write("abcdef"), IsOk());
  a_->Close();
  pair_.Pump();
  loop_.RunUntilIdle();
  EXPECT_THAT(a_events_.events(), IsEmpty());  // Still flushing.
  b_->ResumeReading();
  pair_.Pump();
  loop_.RunUntilIdle();
  EXPECT_THAT(a_events_.events(), ElementsAre("closed:OK"));
  EXPECT_EQ(b_events_.data(), "abcdef");
  EXPECT_TRUE(b_events_.read_eof());
}

TEST_F(TransportPairTest, AbortResetsThePeerAndDropsBytesInFlight) {
  ASSERT_THAT(a_->Write("lost"), IsOk());
  a_->Abort();
  pair_.Pump();
  loop_.RunUntilIdle();
  EXPECT_THAT(a_events_.events(), ElementsAre("closed:CANCELLED"));
  EXPECT_THAT(b_events_.events(), ElementsAre("closed:UNAVAILABLE"));
  EXPECT_THAT(b_->Write("x"), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(TransportPairTest, BytesReachingAClosedPeerResetTheSender) {
  b_->Close();
  ASSERT_THAT(a_->Write("too late"), IsOk());
  pair_.Pump();
  loop_.RunUntilIdle();
  EXPECT_THAT(b_events_.events(), ElementsAre("closed:OK"));
  EXPECT_THAT(a_events_.events(), ElementsAre("closed:UNAVAILABLE"));
}

TEST_F(TransportPairTest, BothSidesClosingTogetherBothSeeOk) {
  a_->Close();
  b_->Close();
  pair_.Pump();
  loop_.RunUntilIdle();
  EXPECT_THAT(a_events_.events(), ElementsAre("closed:OK"));
  EXPECT_THAT(b_events_.events(), ElementsAre("closed:OK"));
}

// --- Lifetime ---

TEST_F(TransportPairTest, DestroyedTransportLooksLikeAClosedSocketToThePeer) {
  ASSERT_THAT(a_->Write("last words"), IsOk());
  a_.reset();
  pair_.Pump();
  EXPECT_THAT(b_events_.events(), ElementsAre("data:last words", "eof"));
  ASSERT_THAT(b_->Write("anyone?"), IsOk());
  pair_.Pump();
  loop_.RunUntilIdle();
  EXPECT_THAT(b_events_.events(), ElementsAre("data:last words", "eof", "closed:UNAVAILABLE"));
}

TEST_F(TransportPairTest, ReceiverMayDestroyItsTransportInsideOnDataDuringPump) {
  b_events_.set_on_data([&](absl::string_view) { b_.reset(); });
  ASSERT_THAT(a_->Write(std::string(2 * InMemoryTransport::kMaxReadChunk, 'k')), IsOk());
  pair_.Pump();
  loop_.RunUntilIdle();
  EXPECT_EQ(b_events_.data_calls(), 1);
  // B's destruction closes its socket (A sees the FIN); the rest of A's bytes then hit a closed
  // socket and A is reset.
  EXPECT_THAT(a_events_.events(), ElementsAre("eof", "closed:UNAVAILABLE"));
}

TEST_F(TransportPairTest, SenderMayDestroyItsTransportInsideOnWriteBufferLowDuringPump) {
  a_->SetWatermarks({.low = 0, .high = 1, .max = 1000});
  pair_.SetWindow(TransportPair::Side::kA, 4);
  ASSERT_THAT(a_->Write("abcdefgh"), IsOk());
  a_events_.set_on_low([&] { a_.reset(); });
  pair_.Pump();
  EXPECT_EQ(a_, nullptr);
  EXPECT_EQ(b_events_.data(), "abcdefgh");
  EXPECT_TRUE(b_events_.read_eof());
}

TEST_F(TransportPairTest, AbortedThenDestroyedTransportStillResetsThePeer) {
  a_->Abort();
  a_.reset();
  pair_.Pump();
  loop_.RunUntilIdle();
  EXPECT_THAT(b_events_.events(), ElementsAre("closed:UNAVAILABLE"));
}

TEST(TransportPairLifetimeTest, TransportsOutliveThePair) {
  FakeEventLoop loop;
  RecordingCallbacks events;
  std::unique_ptr<Transport> a;
  {
    TransportPair pair(loop);
    a = pair.TakeA();
  }  // B was never taken: it dies with the pair.
  a->SetCallbacks(events);
  EXPECT_THAT(a->Write("into the void"), IsOk());
  a->Close();
  loop.RunUntilIdle();
  EXPECT_THAT(events.events(), ElementsAre("closed:OK"));
}

TEST(TransportPairLifetimeTest, UntakenTransportsDieWithThePair) {
  FakeEventLoop loop;
  TransportPair pair(loop);
  EXPECT_EQ(pair.Pump(), 0u);
}

TEST(TransportPairDeathTest, TakingAnEndTwiceIsABug) {
  FakeEventLoop loop;
  TransportPair pair(loop);
  std::unique_ptr<Transport> a = pair.TakeA();
  EXPECT_DEATH(pair.TakeA(), "check failed");
}

}  // namespace
}  // namespace weft::reactor
