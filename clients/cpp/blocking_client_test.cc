#include "clients/cpp/blocking_client.h"

#include <memory>

#include "demo/calculator.pb.h"
#include "demo/counter.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::clients {
namespace {

using ::weft::testing::StatusIs;

// Unit tests open no sockets: this covers the loop thread's start and shutdown and the typed
// templates; calls over a real connection are covered by the broker's end-to-end tests.
TEST(BlockingClientTest, BadEndpointFailsAndShutsTheLoopThreadDown) {
  absl::StatusOr<std::unique_ptr<BlockingClient>> client =
      BlockingClient::Connect("nonsense:1", ClientOptions{});
  EXPECT_THAT(client.status(), StatusIs(absl::StatusCode::kInvalidArgument));
}

// Instantiates the typed API (compile check only; never run).
[[maybe_unused]] void TypedApiCompiles(BlockingClient& client) {
  absl::StatusOr<demo::AddResponse> sum =
      client.Call(&demo::Calculator_Stub::Add, demo::AddRequest());
  absl::StatusOr<BlockingRef<demo::CounterObject_Stub>> ref =
      client.Adopt<demo::CounterObject_Stub>(weft::v1::ObjectRef());
  if (ref.ok()) {
    absl::StatusOr<demo::CounterValue> value =
        client.Call(*ref, &demo::CounterObject_Stub::Get, demo::GetRequest());
  }
}

}  // namespace
}  // namespace weft::clients
