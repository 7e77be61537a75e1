// Broker services hosted by connections (Register, calls routed to the host and replies routed
// back, deadlines, cancellation, host disconnect, queue limits), references crossing between
// connections, and publish/subscribe, on one loop and across two.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "broker/broker.h"
#include "broker/testdata/test_services.pb.h"
#include "broker/testing/broker_harness.h"
#include "broker/testing/test_servants.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "weft/v1/object_ref.pb.h"

namespace weft::broker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::NotNull;
using ::weft::broker::testing::BrokerHarness;
using ::weft::broker::testing::Client;
using ::weft::broker::testing::DescriptorSetFor;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;
namespace testdata = ::weft::broker::testdata;

constexpr char kCalcV2[] = "weft.broker.testdata.CalcV2";
constexpr char kRelay[] = "weft.broker.testdata.Relay";
constexpr char kCalcInterface[] = "weft.broker.testdata.Calc";

testdata::AddRequest Add(int64_t a, int64_t b) {
  testdata::AddRequest request;
  request.set_a(a);
  request.set_b(b);
  return request;
}

testdata::AddReply Sum(int64_t sum) {
  testdata::AddReply reply;
  reply.set_sum(sum);
  return reply;
}

template <typename T>
T Parse(const std::string& bytes) {
  T message;
  EXPECT_TRUE(message.ParseFromString(bytes));
  return message;
}

std::string TestDescriptors() { return DescriptorSetFor(*testdata::Calc::descriptor()->file()); }

class BrokerRemoteTest : public ::testing::Test {
 protected:
  // `host` registers `services` from the test proto's descriptor set; returns the reply status.
  absl::Status Register(BrokerHarness& harness, Client& host,
                        std::vector<absl::string_view> services, uint64_t call_id = 100,
                        const std::string& descriptors = TestDescriptors()) {
    harness.shard(host.shard).Register(host.ref, call_id, services, descriptors);
    harness.RunAll();
    if (host.peer.ReplyCount(call_id) != 1) {
      return absl::InternalError("register answered other than once");
    }
    return host.peer.ReplyFor(call_id)->status;
  }
  absl::Status Register(Client& host, std::vector<absl::string_view> services,
                        uint64_t call_id = 100) {
    return Register(harness_, host, std::move(services), call_id);
  }

  void Answer(BrokerHarness& harness, Client& host, std::size_t call_index,
              const google::protobuf::Message& response) {
    harness.shard(host.shard)
        .Reply(host.ref, host.peer.calls[call_index].call_id, absl::OkStatus(),
               response.SerializeAsString());
    harness.RunAll();
  }

  BrokerHarness harness_{1};
  Client& host_ = harness_.Connect(0, "host");
  Client& caller_ = harness_.Connect(0, "caller");
};

TEST_F(BrokerRemoteTest, RegisteredServiceIsCalledOnItsHostAndTheReplyRoutedBack) {
  const std::size_t services_before = harness_.broker().stats().services;
  ASSERT_THAT(Register(host_, {kCalcV2}), IsOk());
  EXPECT_EQ(harness_.broker().stats().services, services_before + 1);

  harness_.Call(caller_, 7, kCalcV2, "Add", Add(2, 3));
  harness_.RunAll();

  ASSERT_EQ(host_.peer.calls.size(), 1u);
  const auto& call = host_.peer.calls[0];
  EXPECT_EQ(call.service, kCalcV2);
  EXPECT_EQ(call.method, "Add");
  EXPECT_EQ(call.object_id, 0u);
  EXPECT_EQ(call.timeout_micros, 0);
  EXPECT_EQ(Parse<testdata::AddRequest>(call.payload).b(), 3);
  EXPECT_EQ(harness_.broker().stats().pending_calls, 1u);
  EXPECT_THAT(caller_.peer.replies, IsEmpty());

  Answer(harness_, host_, 0, Sum(5));

  ASSERT_EQ(caller_.peer.replies.size(), 1u);
  EXPECT_EQ(caller_.peer.replies[0].call_id, 7u);
  EXPECT_THAT(caller_.peer.replies[0].status, IsOk());
  EXPECT_EQ(Parse<testdata::AddReply>(caller_.peer.replies[0].payload).sum(), 5);
  EXPECT_EQ(harness_.broker().stats().pending_calls, 0u);
}

TEST_F(BrokerRemoteTest, CallsFromTwoConnectionsWithTheSameIdGetDistinctBrokerIds) {
  ASSERT_THAT(Register(host_, {kCalcV2}), IsOk());
  Client& other = harness_.Connect();
  harness_.Call(caller_, 1, kCalcV2, "Add", Add(1, 0));
  harness_.Call(other, 1, kCalcV2, "Add", Add(2, 0));
  harness_.RunAll();
  ASSERT_EQ(host_.peer.calls.size(), 2u);
  EXPECT_NE(host_.peer.calls[0].call_id, host_.peer.calls[1].call_id);

  Answer(harness_, host_, 1, Sum(2));
  Answer(harness_, host_, 0, Sum(1));

  ASSERT_THAT(caller_.peer.ReplyFor(1), NotNull());
  EXPECT_EQ(Parse<testdata::AddReply>(caller_.peer.ReplyFor(1)->payload).sum(), 1);
  ASSERT_THAT(other.peer.ReplyFor(1), NotNull());
  EXPECT_EQ(Parse<testdata::AddReply>(other.peer.ReplyFor(1)->payload).sum(), 2);
}

TEST_F(BrokerRemoteTest, HostErrorReachesTheCaller) {
  ASSERT_THAT(Register(host_, {kCalcV2}), IsOk());
  harness_.Call(caller_, 1, kCalcV2, "Add", Add(1, 1));
  harness_.RunAll();

  harness_.shard(0).Reply(host_.ref, host_.peer.calls[0].call_id,
                          absl::FailedPreconditionError("host: not ready"), "ignored");
  harness_.RunAll();

  ASSERT_THAT(caller_.peer.ReplyFor(1), NotNull());
  EXPECT_THAT(caller_.peer.ReplyFor(1)->status,
              StatusIs(absl::StatusCode::kFailedPrecondition, "host: not ready"));
  EXPECT_THAT(caller_.peer.ReplyFor(1)->payload, IsEmpty());
}

TEST_F(BrokerRemoteTest, ReplyFromAnotherConnectionOrForAnUnknownIdIsIgnored) {
  ASSERT_THAT(Register(host_, {kCalcV2}), IsOk());
  harness_.Call(caller_, 1, kCalcV2, "Add", Add(1, 1));
  harness_.RunAll();
  const uint64_t id = host_.peer.calls[0].call_id;

  harness_.shard(0).Reply(caller_.ref, id, absl::OkStatus(), Sum(99).SerializeAsString());
  harness_.shard(0).Reply(host_.ref, id + 1000, absl::OkStatus(), Sum(98).SerializeAsString());
  harness_.RunAll();
  EXPECT_THAT(caller_.peer.replies, IsEmpty());

  Answer(harness_, host_, 0, Sum(2));
  ASSERT_EQ(caller_.peer.replies.size(), 1u);
  EXPECT_EQ(Parse<testdata::AddReply>(caller_.peer.replies[0].payload).sum(), 2);
}

TEST_F(BrokerRemoteTest, MetadataAndTimeoutTravelToTheHost) {
  ASSERT_THAT(Register(host_, {kCalcV2}), IsOk());
  const std::string payload = Add(1, 1).SerializeAsString();
  const std::vector<std::pair<absl::string_view, absl::string_view>> metadata = {{"k", "v"}};
  IncomingCall call;
  call.call_id = 1;
  call.service = kCalcV2;
  call.method = "Add";
  call.payload = payload;
  call.timeout_micros = 250000;
  call.metadata = metadata;
  harness_.shard(0).Call(caller_.ref, call);
  harness_.RunAll();

  ASSERT_EQ(host_.peer.calls.size(), 1u);
  EXPECT_EQ(host_.peer.calls[0].timeout_micros, 250000);
  EXPECT_THAT(host_.peer.calls[0].metadata,
              ElementsAre(std::pair<std::string, std::string>("k", "v")));
}

TEST_F(BrokerRemoteTest, OneWayCallReachesTheHostAndNothingWaits) {
  ASSERT_THAT(Register(host_, {kCalcV2}), IsOk());
  harness_.Call(caller_, 1, kCalcV2, "Add", Add(1, 1), 0, /*one_way=*/true);
  harness_.RunAll();

  ASSERT_EQ(host_.peer.calls.size(), 1u);
  EXPECT_TRUE(host_.peer.calls[0].one_way);
  EXPECT_EQ(harness_.broker().stats().pending_calls, 0u);
  EXPECT_THAT(caller_.peer.replies, IsEmpty());
}

TEST_F(BrokerRemoteTest, DeadlineRepliesDeadlineExceededAndCancelsTheHost) {
  ASSERT_THAT(Register(host_, {kCalcV2}), IsOk());
  harness_.Call(caller_, 1, kCalcV2, "Add", Add(1, 1), /*timeout_micros=*/10000);
  harness_.RunAll();
  ASSERT_EQ(host_.peer.calls.size(), 1u);
  EXPECT_EQ(host_.peer.calls[0].timeout_micros, 10000);

  harness_.AdvanceAll(absl::Milliseconds(10));

  ASSERT_EQ(caller_.peer.replies.size(), 1u);
  EXPECT_THAT(caller_.peer.replies[0].status, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(host_.peer.cancels, ElementsAre(host_.peer.calls[0].call_id));
  Answer(harness_, host_, 0, Sum(2));  // Late: dropped.
  EXPECT_EQ(caller_.peer.replies.size(), 1u);
  EXPECT_EQ(harness_.broker().stats().pending_calls, 0u);
}

TEST_F(BrokerRemoteTest, CancelRepliesCancelledAndCancelsTheHost) {
  ASSERT_THAT(Register(host_, {kCalcV2}), IsOk());
  harness_.Call(caller_, 1, kCalcV2, "Add", Add(1, 1));
  harness_.RunAll();

  harness_.shard(0).Cancel(caller_.ref, 1);
  harness_.RunAll();

  ASSERT_EQ(caller_.peer.replies.size(), 1u);
  EXPECT_THAT(caller_.peer.replies[0].status, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_THAT(host_.peer.cancels, ElementsAre(host_.peer.calls[0].call_id));
  Answer(harness_, host_, 0, Sum(2));
  EXPECT_EQ(caller_.peer.replies.size(), 1u);
}

TEST_F(BrokerRemoteTest, HostDisconnectFailsWaitingCallsAndUnregisters) {
  ASSERT_THAT(Register(host_, {kCalcV2}), IsOk());
  harness_.Call(caller_, 1, kCalcV2, "Add", Add(1, 1));
  harness_.Call(caller_, 2, kCalcV2, "Add", Add(1, 2));
  harness_.RunAll();

  harness_.Disconnect(host_);
  harness_.RunAll();

  ASSERT_EQ(caller_.peer.replies.size(), 2u);
  EXPECT_THAT(caller_.peer.ReplyFor(1)->status, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(caller_.peer.ReplyFor(2)->status, StatusIs(absl::StatusCode::kUnavailable));
  harness_.Call(caller_, 3, kCalcV2, "Add", Add(1, 1));
  harness_.RunAll();
  ASSERT_THAT(caller_.peer.ReplyFor(3), NotNull());
  EXPECT_THAT(caller_.peer.ReplyFor(3)->status, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(harness_.broker().stats().pending_calls, 0u);
}

TEST_F(BrokerRemoteTest, CallerDisconnectCancelsItsCallsOnTheHost) {
  ASSERT_THAT(Register(host_, {kCalcV2}), IsOk());
  harness_.Call(caller_, 1, kCalcV2, "Add", Add(1, 1));
  harness_.RunAll();

  harness_.Disconnect(caller_);
  harness_.RunAll();

  EXPECT_THAT(host_.peer.cancels, ElementsAre(host_.peer.calls[0].call_id));
  EXPECT_EQ(harness_.broker().stats().pending_calls, 0u);
}

TEST_F(BrokerRemoteTest, FullQueueIsResourceExhausted) {
  BrokerOptions options;
  options.max_queue_depth = 2;
  BrokerHarness harness(1, options);
  Client& host = harness.Connect();
  Client& caller = harness.Connect();
  ASSERT_THAT(Register(harness, host, {kCalcV2}), IsOk());

  for (uint64_t id = 1; id <= 3; ++id) harness.Call(caller, id, kCalcV2, "Add", Add(1, 1));
  harness.RunAll();

  EXPECT_EQ(host.peer.calls.size(), 2u);
  ASSERT_EQ(caller.peer.replies.size(), 1u);
  EXPECT_EQ(caller.peer.replies[0].call_id, 3u);
  EXPECT_THAT(caller.peer.replies[0].status, StatusIs(absl::StatusCode::kResourceExhausted));
  // Room again once the host answers.
  Answer(harness, host, 0, Sum(2));
  harness.Call(caller, 4, kCalcV2, "Add", Add(1, 1));
  harness.RunAll();
  EXPECT_EQ(host.peer.calls.size(), 3u);
}

TEST_F(BrokerRemoteTest, RegisterRejectsMalformedDescriptors) {
  EXPECT_THAT(Register(harness_, host_, {kCalcV2}, 1, "\xff\xff\xff"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(BrokerRemoteTest, RegisterRejectsAServiceTheSetDoesNotDefine) {
  EXPECT_THAT(Register(host_, {"weft.broker.testdata.Nope"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Nope")));
  harness_.Call(caller_, 1, "weft.broker.testdata.Nope", "Add", Add(1, 1));
  ASSERT_THAT(caller_.peer.ReplyFor(1), NotNull());
  EXPECT_THAT(caller_.peer.ReplyFor(1)->status, StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(BrokerRemoteTest, RegisterRejectsANameRegisteredAlready) {
  ASSERT_THAT(Register(host_, {kCalcV2}), IsOk());
  Client& second = harness_.Connect();

  EXPECT_THAT(Register(second, {kCalcV2}, 1), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(Register(second, {kCalcInterface}, 2), StatusIs(absl::StatusCode::kAlreadyExists));
  // The first registration stands.
  harness_.Call(caller_, 1, kCalcV2, "Add", Add(1, 1));
  harness_.RunAll();
  EXPECT_EQ(host_.peer.calls.size(), 1u);
  EXPECT_THAT(second.peer.calls, IsEmpty());
}

TEST_F(BrokerRemoteTest, ServiceIsRegistrableAgainAfterItsHostLeft) {
  ASSERT_THAT(Register(host_, {kCalcV2}), IsOk());
  harness_.Disconnect(host_);
  harness_.RunAll();
  Client& second = harness_.Connect();

  EXPECT_THAT(Register(second, {kCalcV2}), IsOk());
}

TEST_F(BrokerRemoteTest, RegisterFromADynamicDescriptorSet) {
  // A file the broker does not have compiled in, importing one it does.
  google::protobuf::FileDescriptorSet set;
  google::protobuf::FileDescriptorProto& file = *set.add_file();
  file.set_name("remote/mirror.proto");
  file.set_package("remote");
  file.set_syntax("proto3");
  file.add_dependency("broker/testdata/test_services.proto");
  google::protobuf::ServiceDescriptorProto& service = *file.add_service();
  service.set_name("Mirror");
  google::protobuf::MethodDescriptorProto& method = *service.add_method();
  method.set_name("Reflect");
  method.set_input_type(".weft.broker.testdata.Holder");
  method.set_output_type(".weft.broker.testdata.Holder");
  ASSERT_THAT(Register(harness_, host_, {"remote.Mirror"}, 1, set.SerializeAsString()), IsOk());

  testdata::Holder holder;
  holder.mutable_ref()->set_object_id(5);
  holder.mutable_ref()->set_interface(kCalcInterface);
  harness_.Call(caller_, 2, "remote.Mirror", "Reflect", holder);
  harness_.RunAll();

  ASSERT_EQ(host_.peer.calls.size(), 1u);
  const testdata::Holder seen = Parse<testdata::Holder>(host_.peer.calls[0].payload);
  EXPECT_EQ(seen.ref().node(), "weft");
  EXPECT_NE(seen.ref().object_id(), 0u);
  Answer(harness_, host_, 0, seen);
  ASSERT_THAT(caller_.peer.ReplyFor(2), NotNull());
  EXPECT_THAT(caller_.peer.ReplyFor(2)->status, IsOk());
}

TEST_F(BrokerRemoteTest, RefusedRegisterLeavesNoDescriptorsBehind) {
  // The same file name with two different contents: only the refused set ever carried the first.
  auto set_defining = [](absl::string_view service_name) {
    google::protobuf::FileDescriptorSet set;
    google::protobuf::FileDescriptorProto& file = *set.add_file();
    file.set_name("remote/changing.proto");
    file.set_package("remote");
    file.set_syntax("proto3");
    file.add_dependency("broker/testdata/test_services.proto");
    google::protobuf::ServiceDescriptorProto& service = *file.add_service();
    service.set_name(std::string(service_name));
    google::protobuf::MethodDescriptorProto& method = *service.add_method();
    method.set_name("Reflect");
    method.set_input_type(".weft.broker.testdata.Plain");
    method.set_output_type(".weft.broker.testdata.Plain");
    return set.SerializeAsString();
  };
  EXPECT_THAT(Register(harness_, host_, {"remote.Elsewhere"}, 1, set_defining("First")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Register(harness_, host_, {"remote.Second"}, 2, set_defining("Second")), IsOk());
}

// References crossing between connections through a service a connection hosts.

TEST_F(BrokerRemoteTest, CallerCallbackIsRewrittenAndCalledBackWithItsOwnId) {
  ASSERT_THAT(Register(host_, {kRelay}), IsOk());
  testdata::Holder holder;
  holder.mutable_ref()->set_object_id(77);
  holder.mutable_ref()->set_interface(kCalcInterface);
  harness_.Call(caller_, 1, kRelay, "Pass", holder);
  harness_.RunAll();

  ASSERT_EQ(host_.peer.calls.size(), 1u);
  const weft::v1::ObjectRef ref = Parse<testdata::Holder>(host_.peer.calls[0].payload).ref();
  EXPECT_EQ(ref.node(), "weft");
  EXPECT_EQ(ref.interface(), kCalcInterface);
  EXPECT_NE(ref.object_id(), 0u);
  Answer(harness_, host_, 0, testdata::Holder());
  EXPECT_EQ(harness_.broker().stats().objects, 1u);  // The host holds the callback.

  harness_.CallObject(host_, 2, ref.object_id(), "Add", Add(3, 4));
  harness_.RunAll();
  ASSERT_EQ(caller_.peer.calls.size(), 1u);
  EXPECT_EQ(caller_.peer.calls[0].object_id, 77u);
  EXPECT_EQ(caller_.peer.calls[0].method, "Add");
  Answer(harness_, caller_, 0, Sum(7));
  ASSERT_THAT(host_.peer.ReplyFor(2), NotNull());
  EXPECT_EQ(Parse<testdata::AddReply>(host_.peer.ReplyFor(2)->payload).sum(), 7);

  const std::vector<uint64_t> ids = {ref.object_id()};
  harness_.shard(0).Release(host_.ref, ids);
  harness_.RunAll();
  EXPECT_THAT(caller_.peer.releases, ElementsAre(77u));
  EXPECT_EQ(harness_.broker().stats().objects, 0u);
}

TEST_F(BrokerRemoteTest, ObjectInAHostsReplyIsHeldByTheCaller) {
  ASSERT_THAT(Register(host_, {kRelay}), IsOk());
  harness_.Call(caller_, 1, kRelay, "Pass", testdata::Holder());
  harness_.RunAll();
  testdata::Holder reply;
  reply.mutable_ref()->set_object_id(55);
  reply.mutable_ref()->set_interface(kCalcInterface);
  Answer(harness_, host_, 0, reply);

  ASSERT_THAT(caller_.peer.ReplyFor(1), NotNull());
  const weft::v1::ObjectRef ref = Parse<testdata::Holder>(caller_.peer.ReplyFor(1)->payload).ref();
  EXPECT_EQ(ref.node(), "weft");
  EXPECT_EQ(harness_.broker().stats().objects, 1u);

  harness_.CallObject(caller_, 2, ref.object_id(), "Add", Add(1, 1));
  harness_.RunAll();
  ASSERT_EQ(host_.peer.calls.size(), 2u);
  EXPECT_EQ(host_.peer.calls[1].object_id, 55u);
  Answer(harness_, host_, 1, Sum(2));
  ASSERT_THAT(caller_.peer.ReplyFor(2), NotNull());
  EXPECT_EQ(Parse<testdata::AddReply>(caller_.peer.ReplyFor(2)->payload).sum(), 2);

  const std::vector<uint64_t> ids = {ref.object_id()};
  harness_.shard(0).Release(caller_.ref, ids);
  harness_.RunAll();
  EXPECT_THAT(host_.peer.releases, ElementsAre(55u));
}

TEST_F(BrokerRemoteTest, ObjectOfADisconnectedHostIsUnavailable) {
  ASSERT_THAT(Register(host_, {kRelay}), IsOk());
  harness_.Call(caller_, 1, kRelay, "Pass", testdata::Holder());
  harness_.RunAll();
  testdata::Holder reply;
  reply.mutable_ref()->set_object_id(55);
  reply.mutable_ref()->set_interface(kCalcInterface);
  Answer(harness_, host_, 0, reply);
  const weft::v1::ObjectRef ref = Parse<testdata::Holder>(caller_.peer.ReplyFor(1)->payload).ref();

  harness_.Disconnect(host_);
  harness_.RunAll();
  harness_.CallObject(caller_, 2, ref.object_id(), "Add", Add(1, 1));
  harness_.RunAll();

  ASSERT_THAT(caller_.peer.ReplyFor(2), NotNull());
  EXPECT_THAT(caller_.peer.ReplyFor(2)->status, StatusIs(absl::StatusCode::kUnavailable));
  const std::vector<uint64_t> ids = {ref.object_id()};
  harness_.shard(0).Release(caller_.ref, ids);
  harness_.RunAll();
  EXPECT_EQ(harness_.broker().stats().objects, 0u);
}

TEST_F(BrokerRemoteTest, ReplyWithAMalformedReferenceIsInternalToTheCaller) {
  ASSERT_THAT(Register(host_, {kRelay}), IsOk());
  harness_.Call(caller_, 1, kRelay, "Pass", testdata::Holder());
  harness_.RunAll();
  testdata::Holder reply;
  reply.mutable_ref()->set_object_id(55);
  reply.mutable_ref()->set_interface("no.Such");
  Answer(harness_, host_, 0, reply);

  ASSERT_THAT(caller_.peer.ReplyFor(1), NotNull());
  EXPECT_THAT(caller_.peer.ReplyFor(1)->status, StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(harness_.broker().stats().objects, 0u);
}

// Publish and subscribe.

TEST_F(BrokerRemoteTest, PublicationReachesEverySubscriberIncludingThePublisher) {
  harness_.shard(0).Subscribe(host_.ref, "news", false);
  harness_.shard(0).Subscribe(caller_.ref, "news", false);
  harness_.RunAll();

  harness_.shard(0).Publish(caller_.ref, "news", "hello", "type.googleapis.com/x.Y");
  harness_.shard(0).Publish(caller_.ref, "other", "nobody", "");

  ASSERT_EQ(host_.peer.publications.size(), 1u);
  EXPECT_EQ(host_.peer.publications[0].topic, "news");
  EXPECT_EQ(host_.peer.publications[0].payload, "hello");
  EXPECT_EQ(host_.peer.publications[0].type_url, "type.googleapis.com/x.Y");
  EXPECT_EQ(caller_.peer.publications.size(), 1u);
}

TEST_F(BrokerRemoteTest, UnsubscribeAndDisconnectStopDelivery) {
  harness_.shard(0).Subscribe(host_.ref, "news", false);
  harness_.shard(0).Subscribe(caller_.ref, "news", false);
  harness_.RunAll();

  harness_.shard(0).Subscribe(caller_.ref, "news", true);
  harness_.shard(0).Subscribe(caller_.ref, "never", true);  // Not subscribed: no-op.
  harness_.Disconnect(host_);
  harness_.RunAll();
  harness_.shard(0).Publish(caller_.ref, "news", "1", "");
  harness_.RunAll();

  EXPECT_THAT(caller_.peer.publications, IsEmpty());
  EXPECT_THAT(host_.peer.publications, IsEmpty());
}

TEST_F(BrokerRemoteTest, PublicationsArriveInOrder) {
  harness_.shard(0).Subscribe(host_.ref, "t", false);
  harness_.RunAll();
  for (const char* payload : {"1", "2", "3"})
    harness_.shard(0).Publish(caller_.ref, "t", payload, "");

  ASSERT_EQ(host_.peer.publications.size(), 3u);
  EXPECT_EQ(host_.peer.publications[0].payload, "1");
  EXPECT_EQ(host_.peer.publications[2].payload, "3");
}

// Two loops.

class BrokerRemoteCrossLoopTest : public BrokerRemoteTest {
 protected:
  BrokerHarness harness2_{2};
};

TEST_F(BrokerRemoteCrossLoopTest, CallerOnShardOneReachesAHostOnShardZero) {
  Client& host = harness2_.Connect(0);
  Client& caller = harness2_.Connect(1);
  ASSERT_THAT(Register(harness2_, host, {kCalcV2}), IsOk());

  harness2_.Call(caller, 1, kCalcV2, "Add", Add(4, 5));
  harness2_.RunAll();
  ASSERT_EQ(host.peer.calls.size(), 1u);
  Answer(harness2_, host, 0, Sum(9));

  ASSERT_THAT(caller.peer.ReplyFor(1), NotNull());
  EXPECT_EQ(Parse<testdata::AddReply>(caller.peer.ReplyFor(1)->payload).sum(), 9);
}

TEST_F(BrokerRemoteCrossLoopTest, HostOnShardOneIsReachableFromBothShardsOnceRegistered) {
  Client& host = harness2_.Connect(1);
  Client& near = harness2_.Connect(1);
  Client& far = harness2_.Connect(0);
  harness2_.shard(1).Register(host.ref, 100, {kCalcV2}, TestDescriptors());
  // The OK comes only after every shard routes to the service.
  harness2_.loop(1).RunUntilIdle();
  harness2_.loop(0).RunUntilIdle();
  EXPECT_THAT(host.peer.replies, IsEmpty());
  harness2_.RunAll();
  ASSERT_THAT(host.peer.ReplyFor(100), NotNull());
  ASSERT_THAT(host.peer.ReplyFor(100)->status, IsOk());

  harness2_.Call(near, 1, kCalcV2, "Add", Add(1, 1));
  harness2_.Call(far, 2, kCalcV2, "Add", Add(2, 2));
  harness2_.RunAll();
  ASSERT_EQ(host.peer.calls.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto request = Parse<testdata::AddRequest>(host.peer.calls[i].payload);
    Answer(harness2_, host, i, Sum(request.a() + request.b()));
  }

  ASSERT_THAT(near.peer.ReplyFor(1), NotNull());
  EXPECT_EQ(Parse<testdata::AddReply>(near.peer.ReplyFor(1)->payload).sum(), 2);
  ASSERT_THAT(far.peer.ReplyFor(2), NotNull());
  EXPECT_EQ(Parse<testdata::AddReply>(far.peer.ReplyFor(2)->payload).sum(), 4);
}

TEST_F(BrokerRemoteCrossLoopTest, DeadlineCancelAndHostDisconnectAcrossLoops) {
  Client& host = harness2_.Connect(1);
  Client& caller = harness2_.Connect(0);
  ASSERT_THAT(Register(harness2_, host, {kCalcV2}), IsOk());
  harness2_.Call(caller, 1, kCalcV2, "Add", Add(1, 1), /*timeout_micros=*/1000);
  harness2_.Call(caller, 2, kCalcV2, "Add", Add(1, 1));
  harness2_.Call(caller, 3, kCalcV2, "Add", Add(1, 1));
  harness2_.RunAll();
  ASSERT_EQ(host.peer.calls.size(), 3u);

  harness2_.AdvanceAll(absl::Milliseconds(1));
  harness2_.shard(0).Cancel(caller.ref, 2);
  harness2_.RunAll();
  EXPECT_THAT(caller.peer.ReplyFor(1)->status, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(caller.peer.ReplyFor(2)->status, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_THAT(host.peer.cancels,
              ElementsAre(host.peer.calls[0].call_id, host.peer.calls[1].call_id));

  harness2_.Disconnect(host);
  harness2_.RunAll();
  ASSERT_THAT(caller.peer.ReplyFor(3), NotNull());
  EXPECT_THAT(caller.peer.ReplyFor(3)->status, StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(BrokerRemoteCrossLoopTest, CallbackHostedOnShardOneIsCalledFromShardZero) {
  Client& host = harness2_.Connect(0);    // Hosts Relay.
  Client& caller = harness2_.Connect(1);  // Hosts the callback.
  ASSERT_THAT(Register(harness2_, host, {kRelay}), IsOk());
  testdata::Holder holder;
  holder.mutable_ref()->set_object_id(8);
  holder.mutable_ref()->set_interface(kCalcInterface);
  harness2_.Call(caller, 1, kRelay, "Pass", holder);
  harness2_.RunAll();
  ASSERT_EQ(host.peer.calls.size(), 1u);
  const uint64_t id = Parse<testdata::Holder>(host.peer.calls[0].payload).ref().object_id();

  harness2_.CallObject(host, 2, id, "Add", Add(1, 2));
  harness2_.RunAll();
  ASSERT_EQ(caller.peer.calls.size(), 1u);
  EXPECT_EQ(caller.peer.calls[0].object_id, 8u);
  Answer(harness2_, caller, 0, Sum(3));
  ASSERT_THAT(host.peer.ReplyFor(2), NotNull());
  EXPECT_EQ(Parse<testdata::AddReply>(host.peer.ReplyFor(2)->payload).sum(), 3);

  const std::vector<uint64_t> ids = {id};
  harness2_.shard(0).Release(host.ref, ids);
  harness2_.RunAll();
  EXPECT_THAT(caller.peer.releases, ElementsAre(8u));
}

TEST_F(BrokerRemoteCrossLoopTest, PublicationsCrossLoops) {
  Client& zero = harness2_.Connect(0);
  Client& one = harness2_.Connect(1);
  harness2_.shard(1).Subscribe(one.ref, "t", false);
  harness2_.shard(0).Subscribe(zero.ref, "t", false);
  harness2_.RunAll();

  harness2_.shard(0).Publish(zero.ref, "t", "from zero", "");
  harness2_.shard(1).Publish(one.ref, "t", "from one", "");
  harness2_.RunAll();

  ASSERT_EQ(zero.peer.publications.size(), 2u);
  ASSERT_EQ(one.peer.publications.size(), 2u);
  EXPECT_EQ(one.peer.publications[0].payload, "from one");  // Local delivery is immediate.
  EXPECT_EQ(one.peer.publications[1].payload, "from zero");

  harness2_.shard(1).Subscribe(one.ref, "t", true);
  harness2_.RunAll();
  harness2_.shard(0).Publish(zero.ref, "t", "again", "");
  harness2_.RunAll();
  EXPECT_EQ(one.peer.publications.size(), 2u);
  EXPECT_EQ(zero.peer.publications.size(), 3u);
}

}  // namespace
}  // namespace weft::broker
