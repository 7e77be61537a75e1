// Broker object references: objects servants export (create, hold, call, release, disconnect),
// and callbacks clients host (rewritten ids, calls routed back, release to the host), on one
// loop and across two.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "broker/broker.h"
#include "broker/testdata/test_services.pb.h"
#include "broker/testing/broker_harness.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "weft/v1/object_ref.pb.h"

namespace weft::broker {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::IsNull;
using ::testing::NotNull;
using ::weft::broker::testing::BrokerHarness;
using ::weft::broker::testing::Client;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;
namespace testdata = ::weft::broker::testdata;

constexpr char kObjects[] = "weft.broker.testdata.Objects";
constexpr char kCalcInterface[] = "weft.broker.testdata.Calc";

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

// A Holder carrying a callback the client hosts under its own id.
testdata::Holder Callback(uint64_t own_id, const std::string& interface = kCalcInterface) {
  testdata::Holder holder;
  holder.mutable_ref()->set_object_id(own_id);
  holder.mutable_ref()->set_interface(interface);
  return holder;
}

template <typename T>
T Parse(const std::string& bytes) {
  T message;
  EXPECT_TRUE(message.ParseFromString(bytes));
  return message;
}

class BrokerObjectsTest : public ::testing::Test {
 protected:
  // `client` asks Objects.Make for a new Calc object; returns its reference.
  weft::v1::ObjectRef Make(Client& client, uint64_t call_id) {
    harness_.Call(client, call_id, kObjects, "Make", Text("obj"));
    harness_.RunAll();
    const auto* reply = client.peer.ReplyFor(call_id);
    EXPECT_THAT(reply, NotNull());
    if (reply == nullptr) return {};
    EXPECT_THAT(reply->status, IsOk());
    return Parse<testdata::Holder>(reply->payload).ref();
  }

  // The callback host answers the broker's latest call to it with Add's sum.
  void AnswerAdd(Client& host, int64_t sum) {
    ASSERT_FALSE(host.peer.calls.empty());
    testdata::AddReply reply;
    reply.set_sum(sum);
    harness_.shard(host.shard)
        .Reply(host.ref, host.peer.calls.back().call_id, absl::OkStatus(),
               reply.SerializeAsString());
    harness_.RunAll();
  }

  BrokerHarness harness_{1};
  Client& client_ = harness_.Connect();
};

TEST_F(BrokerObjectsTest, MakeRepliesWithAReferenceTheCallerHolds) {
  const weft::v1::ObjectRef ref = Make(client_, 1);

  EXPECT_EQ(ref.node(), "weft");
  EXPECT_EQ(ref.interface(), kCalcInterface);
  EXPECT_NE(ref.object_id(), 0u);
  EXPECT_EQ(harness_.broker().stats().objects, 1u);
  EXPECT_EQ(harness_.state().live_objects, 1);
  EXPECT_EQ(harness_.broker().stats().pending_calls, 0u);
}

TEST_F(BrokerObjectsTest, CallOnAnObjectReachesIt) {
  const weft::v1::ObjectRef ref = Make(client_, 1);

  harness_.CallObject(client_, 2, ref.object_id(), "Add", Add(40, 2));

  ASSERT_THAT(client_.peer.ReplyFor(2), NotNull());
  EXPECT_THAT(client_.peer.ReplyFor(2)->status, IsOk());
  EXPECT_EQ(Parse<testdata::AddReply>(client_.peer.ReplyFor(2)->payload).sum(), 42);
}

TEST_F(BrokerObjectsTest, UnknownMethodOnAnObjectIsNotFound) {
  const weft::v1::ObjectRef ref = Make(client_, 1);

  harness_.CallObject(client_, 2, ref.object_id(), "Divide", Add(1, 1));

  ASSERT_THAT(client_.peer.ReplyFor(2), NotNull());
  EXPECT_THAT(client_.peer.ReplyFor(2)->status, StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(BrokerObjectsTest, ReleaseDestroysTheObject) {
  const weft::v1::ObjectRef ref = Make(client_, 1);
  const std::vector<uint64_t> ids = {ref.object_id()};

  harness_.shard(0).Release(client_.ref, ids);
  harness_.RunAll();

  EXPECT_EQ(harness_.broker().stats().objects, 0u);
  EXPECT_EQ(harness_.state().live_objects, 0);
  harness_.CallObject(client_, 2, ref.object_id(), "Add", Add(1, 1));
  ASSERT_THAT(client_.peer.ReplyFor(2), NotNull());
  EXPECT_THAT(client_.peer.ReplyFor(2)->status, StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(BrokerObjectsTest, ReleaseByAConnectionThatHoldsNothingIsIgnored) {
  const weft::v1::ObjectRef ref = Make(client_, 1);
  Client& other = harness_.Connect();
  const std::vector<uint64_t> ids = {ref.object_id(), ref.object_id(), 999};

  harness_.shard(0).Release(other.ref, ids);
  harness_.RunAll();

  EXPECT_EQ(harness_.broker().stats().objects, 1u);
  EXPECT_EQ(harness_.state().live_objects, 1);
}

TEST_F(BrokerObjectsTest, DisconnectReleasesEverythingTheConnectionHeld) {
  Make(client_, 1);
  Make(client_, 2);
  Make(client_, 3);
  ASSERT_EQ(harness_.broker().stats().objects, 3u);

  harness_.Disconnect(client_);
  harness_.RunAll();

  EXPECT_EQ(harness_.broker().stats().objects, 0u);
  EXPECT_EQ(harness_.state().live_objects, 0);
}

TEST_F(BrokerObjectsTest, OneWayMakeLeavesNoObjectBehind) {
  // Nobody receives the reference, so nobody can ever release it.
  harness_.Call(client_, 1, kObjects, "Make", Text("lost"), 0, /*one_way=*/true);
  harness_.RunAll();

  EXPECT_THAT(client_.peer.replies, IsEmpty());
  EXPECT_EQ(harness_.broker().stats().objects, 0u);
  EXPECT_EQ(harness_.state().live_objects, 0);
}

TEST_F(BrokerObjectsTest, ObjectFromTheHomeShardIsCallableFromShardOne) {
  BrokerHarness harness(2);
  Client& client = harness.Connect(1);
  harness.Call(client, 1, kObjects, "Make", Text("x"));
  harness.RunAll();
  ASSERT_THAT(client.peer.ReplyFor(1), NotNull());
  const weft::v1::ObjectRef ref = Parse<testdata::Holder>(client.peer.ReplyFor(1)->payload).ref();
  EXPECT_EQ(harness.broker().stats().objects, 1u);

  harness.CallObject(client, 2, ref.object_id(), "Add", Add(2, 2));
  harness.RunAll();
  ASSERT_THAT(client.peer.ReplyFor(2), NotNull());
  EXPECT_EQ(Parse<testdata::AddReply>(client.peer.ReplyFor(2)->payload).sum(), 4);

  const std::vector<uint64_t> ids = {ref.object_id()};
  harness.shard(1).Release(client.ref, ids);
  harness.RunAll();
  EXPECT_EQ(harness.broker().stats().objects, 0u);
  EXPECT_EQ(harness.state().live_objects, 0);
}

TEST_F(BrokerObjectsTest, DisconnectOnShardOneReleasesItsObjects) {
  BrokerHarness harness(2);
  Client& client = harness.Connect(1);
  harness.Call(client, 1, kObjects, "Make", Text("x"));
  harness.RunAll();
  ASSERT_EQ(harness.broker().stats().objects, 1u);

  harness.Disconnect(client);
  harness.RunAll();

  EXPECT_EQ(harness.broker().stats().objects, 0u);
  EXPECT_EQ(harness.state().live_objects, 0);
}

// Callbacks: a client passes its own object (empty node) in a request.

TEST_F(BrokerObjectsTest, HeldCallbackIsCalledBackWithTheHostsOwnId) {
  harness_.Call(client_, 1, kObjects, "Watch", Callback(77));
  harness_.RunAll();
  ASSERT_THAT(client_.peer.ReplyFor(1), NotNull());
  ASSERT_THAT(client_.peer.ReplyFor(1)->status, IsOk());
  EXPECT_EQ(harness_.broker().stats().objects, 1u);
  ASSERT_THAT(harness_.state().watched, NotNull());
  EXPECT_EQ(harness_.state().watched->ref().node(), "weft");
  EXPECT_NE(harness_.state().watched->ref().object_id(), 77u);  // Rewritten to the broker's id.
  EXPECT_TRUE(harness_.state().watched->alive());

  harness_.Call(client_, 2, kObjects, "Poke", testdata::Holder());
  harness_.RunAll();

  ASSERT_EQ(client_.peer.calls.size(), 1u);
  const auto& call = client_.peer.calls[0];
  EXPECT_EQ(call.object_id, 77u);
  EXPECT_THAT(call.service, IsEmpty());
  EXPECT_EQ(call.method, "Add");
  EXPECT_FALSE(call.one_way);
  EXPECT_EQ(Parse<testdata::AddRequest>(call.payload).a(), 20);
  EXPECT_THAT(client_.peer.ReplyFor(2), IsNull());  // Poke waits for the callback.

  AnswerAdd(client_, 42);

  ASSERT_THAT(client_.peer.ReplyFor(2), NotNull());
  EXPECT_THAT(client_.peer.ReplyFor(2)->status, IsOk());
  EXPECT_EQ(Parse<testdata::Holder>(client_.peer.ReplyFor(2)->payload).label(), "42");
}

TEST_F(BrokerObjectsTest, CallbackIsReleasedToItsHostWhenNobodyHoldsIt) {
  harness_.Call(client_, 1, kObjects, "Watch", Callback(77));
  harness_.RunAll();
  EXPECT_THAT(client_.peer.releases, IsEmpty());

  harness_.Call(client_, 2, kObjects, "Forget", testdata::Holder());
  harness_.RunAll();

  EXPECT_THAT(client_.peer.releases, ElementsAre(77u));
  EXPECT_EQ(harness_.broker().stats().objects, 0u);
}

TEST_F(BrokerObjectsTest, CallbackNobodyKeepsIsReleasedAfterTheCall) {
  // Poke does not hold the reference its request carries.
  harness_.Call(client_, 1, kObjects, "Poke", Callback(5));
  harness_.RunAll();

  ASSERT_THAT(client_.peer.ReplyFor(1), NotNull());
  EXPECT_THAT(client_.peer.ReplyFor(1)->status, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(client_.peer.releases, ElementsAre(5u));
  EXPECT_EQ(harness_.broker().stats().objects, 0u);
}

TEST_F(BrokerObjectsTest, CallbackWithUnknownInterfaceIsInvalidArgument) {
  harness_.Call(client_, 1, kObjects, "Watch", Callback(77, "no.Such"));
  harness_.RunAll();

  ASSERT_THAT(client_.peer.ReplyFor(1), NotNull());
  EXPECT_THAT(client_.peer.ReplyFor(1)->status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(harness_.broker().stats().objects, 0u);
}

TEST_F(BrokerObjectsTest, ReferenceToAnotherNodeIsInvalidArgument) {
  testdata::Holder holder = Callback(77);
  holder.mutable_ref()->set_node("elsewhere");
  harness_.Call(client_, 1, kObjects, "Watch", holder);
  harness_.RunAll();

  ASSERT_THAT(client_.peer.ReplyFor(1), NotNull());
  EXPECT_THAT(client_.peer.ReplyFor(1)->status, StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(BrokerObjectsTest, ReferenceToAnUnknownBrokerObjectIsNotFound) {
  testdata::Holder holder = Callback(4242);
  holder.mutable_ref()->set_node("weft");
  harness_.Call(client_, 1, kObjects, "Watch", holder);
  harness_.RunAll();

  ASSERT_THAT(client_.peer.ReplyFor(1), NotNull());
  EXPECT_THAT(client_.peer.ReplyFor(1)->status, StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(BrokerObjectsTest, ServantCanHoldAnObjectItExported) {
  const weft::v1::ObjectRef ref = Make(client_, 1);
  testdata::Holder holder;
  *holder.mutable_ref() = ref;
  harness_.Call(client_, 2, kObjects, "Watch", holder);
  harness_.RunAll();
  const std::vector<uint64_t> ids = {ref.object_id()};
  harness_.shard(0).Release(client_.ref, ids);
  harness_.RunAll();
  EXPECT_EQ(harness_.state().live_objects, 1);  // The servant's handle still holds it.

  harness_.Call(client_, 3, kObjects, "Poke", testdata::Holder());
  harness_.RunAll();
  ASSERT_THAT(client_.peer.ReplyFor(3), NotNull());
  EXPECT_EQ(Parse<testdata::Holder>(client_.peer.ReplyFor(3)->payload).label(), "42");

  harness_.Call(client_, 4, kObjects, "Forget", testdata::Holder());
  harness_.RunAll();
  EXPECT_EQ(harness_.broker().stats().objects, 0u);
  EXPECT_EQ(harness_.state().live_objects, 0);
}

TEST_F(BrokerObjectsTest, CallbackErrorReachesTheServant) {
  harness_.Call(client_, 1, kObjects, "Watch", Callback(77));
  harness_.Call(client_, 2, kObjects, "Poke", testdata::Holder());
  harness_.RunAll();
  ASSERT_EQ(client_.peer.calls.size(), 1u);

  harness_.shard(0).Reply(client_.ref, client_.peer.calls[0].call_id,
                          absl::ResourceExhaustedError("calc: busy"), "");
  harness_.RunAll();

  ASSERT_THAT(client_.peer.ReplyFor(2), NotNull());
  EXPECT_THAT(client_.peer.ReplyFor(2)->status,
              StatusIs(absl::StatusCode::kResourceExhausted, "calc: busy"));
}

TEST_F(BrokerObjectsTest, CallbackDeadlineFailsTheServantsCallAndCancelsTheHost) {
  harness_.state().poke_timeout = absl::Milliseconds(5);
  harness_.Call(client_, 1, kObjects, "Watch", Callback(77));
  harness_.Call(client_, 2, kObjects, "Poke", testdata::Holder());
  harness_.RunAll();
  ASSERT_EQ(client_.peer.calls.size(), 1u);
  EXPECT_GT(client_.peer.calls[0].timeout_micros, 0);

  harness_.AdvanceAll(absl::Milliseconds(5));

  ASSERT_THAT(client_.peer.ReplyFor(2), NotNull());
  EXPECT_THAT(client_.peer.ReplyFor(2)->status, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(client_.peer.cancels, ElementsAre(client_.peer.calls[0].call_id));
  // The host's late answer is ignored.
  AnswerAdd(client_, 42);
  EXPECT_EQ(client_.peer.ReplyCount(2), 1u);
}

TEST_F(BrokerObjectsTest, CallbackOfADisconnectedHostIsDead) {
  Client& host = harness_.Connect();
  harness_.Call(host, 1, kObjects, "Watch", Callback(9));
  harness_.RunAll();

  harness_.Disconnect(host);
  harness_.RunAll();
  EXPECT_FALSE(harness_.state().watched->alive());
  harness_.Call(client_, 2, kObjects, "Poke", testdata::Holder());
  harness_.RunAll();

  ASSERT_THAT(client_.peer.ReplyFor(2), NotNull());
  EXPECT_THAT(client_.peer.ReplyFor(2)->status, StatusIs(absl::StatusCode::kUnavailable));
  harness_.Call(client_, 3, kObjects, "Forget", testdata::Holder());
  harness_.RunAll();
  EXPECT_EQ(harness_.broker().stats().objects, 0u);
}

TEST_F(BrokerObjectsTest, HostDisconnectFailsTheCallWaitingOnIt) {
  Client& host = harness_.Connect();
  harness_.Call(host, 1, kObjects, "Watch", Callback(9));
  harness_.Call(client_, 2, kObjects, "Poke", testdata::Holder());
  harness_.RunAll();
  ASSERT_EQ(host.peer.calls.size(), 1u);

  harness_.Disconnect(host);
  harness_.RunAll();

  ASSERT_THAT(client_.peer.ReplyFor(2), NotNull());
  EXPECT_THAT(client_.peer.ReplyFor(2)->status, StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(BrokerObjectsTest, CallbackHostedOnShardOneIsCalledThere) {
  BrokerHarness harness(2);
  Client& host = harness.Connect(1);
  Client& caller = harness.Connect(0);
  harness.Call(host, 1, kObjects, "Watch", Callback(31));
  harness.RunAll();
  ASSERT_THAT(host.peer.ReplyFor(1), NotNull());
  ASSERT_THAT(host.peer.ReplyFor(1)->status, IsOk());

  harness.Call(caller, 2, kObjects, "Poke", testdata::Holder());
  harness.RunAll();
  ASSERT_EQ(host.peer.calls.size(), 1u);
  EXPECT_EQ(host.peer.calls[0].object_id, 31u);
  testdata::AddReply sum;
  sum.set_sum(7);
  harness.shard(1).Reply(host.ref, host.peer.calls[0].call_id, absl::OkStatus(),
                         sum.SerializeAsString());
  harness.RunAll();

  ASSERT_THAT(caller.peer.ReplyFor(2), NotNull());
  EXPECT_EQ(Parse<testdata::Holder>(caller.peer.ReplyFor(2)->payload).label(), "7");
  harness.Call(caller, 3, kObjects, "Forget", testdata::Holder());
  harness.RunAll();
  EXPECT_THAT(host.peer.releases, ElementsAre(31u));
}

}  // namespace
}  // namespace weft::broker
