// ClientFixture: a connected Client over a ScriptedBroker on a FakeEventLoop, for the client's
// unit tests.
//
// Part of //clients/cpp/testing (testonly).
#ifndef WEFT_CLIENTS_CPP_TESTING_CLIENT_FIXTURE_H_
#define WEFT_CLIENTS_CPP_TESTING_CLIENT_FIXTURE_H_

#include <memory>
#include <optional>
#include <utility>

#include "clients/cpp/client.h"
#include "clients/cpp/testing/scripted_broker.h"
#include "gtest/gtest.h"
#include "reactor/deferred.h"
#include "reactor/testing/fake_event_loop.h"

namespace weft::clients::testing {

// Captures a Deferred's result.
template <typename T>
class Captured {
 public:
  explicit Captured(reactor::Deferred<T> deferred)
      : deferred_(std::move(deferred).Handle(
            [this](reactor::DeferredResult<T> r) { result_.emplace(std::move(r)); })) {}
  // Cancels a call still pending, so its callback never outlives this.
  ~Captured() {
    if (!fired()) deferred_.Cancel();
  }
  Captured(const Captured&) = delete;  // The callback points at this.
  Captured& operator=(const Captured&) = delete;

  bool fired() const { return result_.has_value(); }
  const reactor::DeferredResult<T>& result() const { return *result_; }
  reactor::DeferredResult<T>& result() { return *result_; }
  void Cancel() { deferred_.Cancel(); }

 private:
  std::optional<reactor::DeferredResult<T>> result_;
  reactor::Deferred<void> deferred_;
};

class ClientFixture : public ::testing::Test {
 protected:
  // Destroys the client (and its servants) while fixture members they use are alive.
  void TearDown() override {
    client_.reset();
    loop_.RunUntilIdle();
  }

  // Connects a client and completes the handshake.
  void Connect(ClientOptions options = {}, uint32_t max_in_flight = 0,
               uint32_t max_frame_bytes = 0) {
    Captured<std::unique_ptr<Client>> connected(
        Client::Connect(loop_, broker_.Connector(), std::move(options)));
    broker_.AcceptHandshake(max_in_flight, max_frame_bytes);
    ASSERT_TRUE(connected.fired());
    ASSERT_TRUE(connected.result().ok()) << connected.result().status();
    client_ = *std::move(connected.result());
  }

  // The single frame of `kind` the client sent since the last take.
  weft::v1::Frame TakeOne(weft::v1::Frame::KindCase kind) {
    broker_.Pump();
    std::vector<weft::v1::Frame> frames = broker_.TakeFrames(kind);
    EXPECT_EQ(frames.size(), 1u);
    return frames.empty() ? weft::v1::Frame() : frames.front();
  }

  reactor::FakeEventLoop loop_;
  ScriptedBroker broker_{loop_};
  std::unique_ptr<Client> client_;
};

}  // namespace weft::clients::testing

#endif  // WEFT_CLIENTS_CPP_TESTING_CLIENT_FIXTURE_H_
