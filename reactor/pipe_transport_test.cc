#include "reactor/pipe_transport.h"

#include <signal.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/epoll_event_loop.h"
#include "tests/testing/status_matchers.h"

namespace weft::reactor {
namespace {

using ::testing::ElementsAre;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;

// Records every event; OnClosed() must be the last one and come exactly once.
class Recorder final : public TransportCallbacks {
 public:
  // TransportCallbacks
  void OnData(absl::string_view bytes) override {
    EXPECT_EQ(closes, 0);
    data.append(bytes.data(), bytes.size());
    if (on_data) on_data();
  }
  void OnReadEof() override {
    EXPECT_EQ(closes, 0);
    events.push_back("eof");
  }
  void OnWriteBufferHigh() override { events.push_back("high"); }
  void OnWriteBufferLow() override { events.push_back("low"); }
  void OnClosed(absl::Status status) override {
    ++closes;
    events.push_back("closed");
    reason = std::move(status);
  }

  std::string data;
  std::vector<std::string> events;
  int closes = 0;
  absl::Status reason;
  absl::AnyInvocable<void()> on_data;
};

class PipeTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<EpollEventLoop>> loop = EpollEventLoop::Create();
    ASSERT_THAT(loop.status(), IsOk());
    loop_ = *std::move(loop);
    absl::StatusOr<PipeTransportPair> pipe = PipeTransport::CreatePipe(*loop_);
    ASSERT_THAT(pipe.status(), IsOk());
    reader_ = std::move(pipe->read_end);
    writer_ = std::move(pipe->write_end);
  }

  // Runs the loop until `done` holds; false after 10 seconds.
  bool RunUntil(absl::FunctionRef<bool()> done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (!done()) {
      if (absl::Now() > deadline) return false;
      loop_->RunOnce(absl::Milliseconds(10));
    }
    return true;
  }

  // Runs a few iterations without waiting long, for "nothing happens" checks.
  void RunBriefly() {
    for (int i = 0; i < 5; ++i) loop_->RunOnce(absl::Milliseconds(2));
  }

  // Writes `total` bytes of a repeating pattern in 16 KiB chunks; returns what was written.
  std::string WritePattern(std::size_t total) {
    std::string all;
    for (std::size_t i = 0; i < total; ++i) all.push_back(static_cast<char>('a' + i % 26));
    for (std::size_t offset = 0; offset < total; offset += 16 * 1024) {
      EXPECT_THAT(writer_->Write(absl::string_view(all).substr(offset, 16 * 1024)), IsOk());
    }
    return all;
  }

  std::unique_ptr<EpollEventLoop> loop_;
  std::unique_ptr<PipeTransport> reader_;
  std::unique_ptr<PipeTransport> writer_;
  Recorder read_events_;
  Recorder write_events_;
};

TEST_F(PipeTransportTest, DeliversWrittenBytesToReadEnd) {
  reader_->SetCallbacks(read_events_);
  writer_->SetCallbacks(write_events_);
  ASSERT_THAT(writer_->Write("hello "), IsOk());
  ASSERT_THAT(writer_->Write("pipe"), IsOk());
  ASSERT_TRUE(RunUntil([&] { return read_events_.data == "hello pipe"; }));
  EXPECT_EQ(writer_->buffered_bytes(), 0u);
  EXPECT_EQ(reader_->end(), PipeEnd::kRead);
  EXPECT_EQ(writer_->end(), PipeEnd::kWrite);
}

TEST_F(PipeTransportTest, WriterCloseGivesReaderEofThenOkClose) {
  reader_->SetCallbacks(read_events_);
  writer_->SetCallbacks(write_events_);
  ASSERT_THAT(writer_->Write("last words"), IsOk());
  writer_->Close();
  EXPECT_EQ(write_events_.closes, 0);  // Never synchronously.
  ASSERT_TRUE(RunUntil([&] { return read_events_.closes == 1 && write_events_.closes == 1; }));
  EXPECT_EQ(read_events_.data, "last words");
  EXPECT_THAT(read_events_.events, ElementsAre("eof", "closed"));
  EXPECT_THAT(read_events_.reason, IsOk());
  EXPECT_THAT(write_events_.reason, IsOk());
  EXPECT_EQ(reader_->fd(), -1);
  RunBriefly();
  EXPECT_EQ(read_events_.closes, 1);
  EXPECT_EQ(write_events_.closes, 1);
}

TEST_F(PipeTransportTest, ReaderCloseIsAsynchronousAndOk) {
  reader_->SetCallbacks(read_events_);
  reader_->Close();
  reader_->Close();
  EXPECT_EQ(read_events_.closes, 0);
  ASSERT_TRUE(RunUntil([&] { return read_events_.closes == 1; }));
  EXPECT_THAT(read_events_.reason, IsOk());
  EXPECT_THAT(read_events_.events, ElementsAre("closed"));
}

TEST_F(PipeTransportTest, WriteOnReadEndFailsPrecondition) {
  reader_->SetCallbacks(read_events_);
  EXPECT_THAT(reader_->Write("x"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(PipeTransportTest, WriteAfterCloseFailsPrecondition) {
  writer_->SetCallbacks(write_events_);
  writer_->Close();
  EXPECT_THAT(writer_->Write("x"), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_TRUE(RunUntil([&] { return write_events_.closes == 1; }));
  EXPECT_THAT(writer_->Write("x"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(PipeTransportTest, WriteToVanishedReaderIsUnavailableWithoutSigpipe) {
  writer_->SetCallbacks(write_events_);
  reader_.reset();
  // Without the per-write suppression this would kill the test with SIGPIPE.
  EXPECT_THAT(writer_->Write("into the void"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(writer_->Write("again"), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_TRUE(RunUntil([&] { return write_events_.closes == 1; }));
  EXPECT_THAT(write_events_.reason, StatusIs(absl::StatusCode::kUnavailable));
  // The signal was consumed and the thread's mask restored.
  sigset_t pending;
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  EXPECT_EQ(sigismember(&mask, SIGPIPE), 0);
}

TEST_F(PipeTransportTest, IdleWriteEndNoticesReaderGone) {
  writer_->SetCallbacks(write_events_);
  reader_.reset();
  ASSERT_TRUE(RunUntil([&] { return write_events_.closes == 1; }));
  EXPECT_THAT(write_events_.reason, StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(PipeTransportTest, WatermarksSignalHighThenLowAndKeepOrder) {
  writer_->SetCallbacks(write_events_);
  writer_->SetWatermarks({.low = 4 * 1024, .high = 32 * 1024, .max = 1024 * 1024});
  // Nobody reads yet: the pipe fills (64 KiB by default) and the rest is buffered.
  const std::string sent = WritePattern(256 * 1024);
  EXPECT_GT(writer_->buffered_bytes(), 32u * 1024);
  EXPECT_THAT(write_events_.events, ElementsAre("high"));
  reader_->SetCallbacks(read_events_);
  ASSERT_TRUE(RunUntil([&] { return read_events_.data.size() == sent.size(); }));
  EXPECT_EQ(read_events_.data, sent);
  EXPECT_THAT(write_events_.events, ElementsAre("high", "low"));
}

TEST_F(PipeTransportTest, WritePastMaxIsResourceExhaustedAndSendsNothing) {
  writer_->SetCallbacks(write_events_);
  writer_->SetWatermarks({.low = 1024, .high = 4 * 1024, .max = 8 * 1024});
  while (writer_->buffered_bytes() == 0)
    ASSERT_THAT(writer_->Write(std::string(4096, 'x')), IsOk());
  const std::size_t before = writer_->buffered_bytes();
  EXPECT_THAT(writer_->Write(std::string(8 * 1024, 'y')),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(writer_->buffered_bytes(), before);
  RunBriefly();
  EXPECT_EQ(write_events_.closes, 0);  // Refusal does not close the transport.
}

TEST_F(PipeTransportTest, PauseReadingHoldsBytesUntilResume) {
  reader_->SetCallbacks(read_events_);
  reader_->PauseReading();
  ASSERT_THAT(writer_->Write("held"), IsOk());
  writer_->Close();
  RunBriefly();
  EXPECT_EQ(read_events_.data, "");
  EXPECT_TRUE(read_events_.events.empty());
  reader_->ResumeReading();
  ASSERT_TRUE(RunUntil([&] { return read_events_.closes == 1; }));
  EXPECT_EQ(read_events_.data, "held");
  EXPECT_THAT(read_events_.events, ElementsAre("eof", "closed"));
}

TEST_F(PipeTransportTest, CloseFlushesBufferedBytesBeforeClosing) {
  writer_->SetCallbacks(write_events_);
  const std::string sent = WritePattern(300 * 1024);
  ASSERT_GT(writer_->buffered_bytes(), 0u);
  writer_->Close();
  EXPECT_THAT(writer_->Write("late"), StatusIs(absl::StatusCode::kFailedPrecondition));
  reader_->SetCallbacks(read_events_);
  ASSERT_TRUE(RunUntil([&] { return read_events_.closes == 1 && write_events_.closes == 1; }));
  EXPECT_EQ(read_events_.data, sent);
  EXPECT_THAT(write_events_.reason, IsOk());
  EXPECT_THAT(read_events_.events, ElementsAre("eof", "closed"));
}

TEST_F(PipeTransportTest, ShutdownWriteFlushesThenFinishesWriteEnd) {
  writer_->SetCallbacks(write_events_);
  reader_->SetCallbacks(read_events_);
  ASSERT_THAT(writer_->Write("bye"), IsOk());
  writer_->ShutdownWrite();
  EXPECT_THAT(writer_->Write("x"), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_TRUE(RunUntil([&] { return read_events_.closes == 1 && write_events_.closes == 1; }));
  EXPECT_EQ(read_events_.data, "bye");
  EXPECT_THAT(write_events_.reason, IsOk());
}

TEST_F(PipeTransportTest, AbortDiscardsBufferAndReportsCancelled) {
  writer_->SetCallbacks(write_events_);
  WritePattern(128 * 1024);
  ASSERT_GT(writer_->buffered_bytes(), 0u);
  writer_->Abort();
  EXPECT_EQ(writer_->buffered_bytes(), 0u);
  EXPECT_EQ(write_events_.closes, 0);
  EXPECT_THAT(writer_->Write("x"), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_TRUE(RunUntil([&] { return write_events_.closes == 1; }));
  EXPECT_THAT(write_events_.reason, StatusIs(absl::StatusCode::kCancelled));
}

TEST_F(PipeTransportTest, ReportsCloseThatHappenedBeforeSetCallbacks) {
  reader_->Close();
  RunBriefly();
  reader_->SetCallbacks(read_events_);
  ASSERT_TRUE(RunUntil([&] { return read_events_.closes == 1; }));
  reader_->SetCallbacks(read_events_);
  RunBriefly();
  EXPECT_EQ(read_events_.closes, 1);
}

TEST_F(PipeTransportTest, MayBeDestroyedInsideOnData) {
  read_events_.on_data = [&] { reader_.reset(); };
  reader_->SetCallbacks(read_events_);
  ASSERT_THAT(writer_->Write("boom"), IsOk());
  ASSERT_TRUE(RunUntil([&] { return reader_ == nullptr; }));
  RunBriefly();
  EXPECT_EQ(read_events_.closes, 0);  // Destruction releases without OnClosed().
}

TEST_F(PipeTransportTest, DestroyingWithPendingCloseCancelsIt) {
  reader_->SetCallbacks(read_events_);
  reader_->Close();
  reader_.reset();
  RunBriefly();
  EXPECT_EQ(read_events_.closes, 0);
}

}  // namespace
}  // namespace weft::reactor
