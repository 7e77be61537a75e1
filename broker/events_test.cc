#include "broker/events.h"

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/testing/fake_event_loop.h"

namespace weft::broker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Every event waiting, as "KIND subject".
std::vector<std::string> Drain(EventHub::Subscription& subscription) {
  std::vector<std::string> out;
  while (std::optional<BrokerEvent> event = subscription.Next()) {
    out.push_back(std::to_string(static_cast<int>(event->kind)) + " " + event->subject);
  }
  return out;
}

TEST(EventHubTest, NobodyWatchingMeansNotWatchedAndNothingKept) {
  reactor::FakeEventLoop loop;
  EventHub hub(loop);
  EXPECT_FALSE(hub.watched());
  hub.Emit(EventKind::kConnectionOpened, "1", "");  // Dropped: nobody listens.
  int ready = 0;
  std::unique_ptr<EventHub::Subscription> subscription = hub.Subscribe({}, 8, [&] { ++ready; });
  EXPECT_TRUE(hub.watched());
  EXPECT_EQ(subscription->Next(), std::nullopt);
  EXPECT_EQ(ready, 0);
  subscription.reset();
  EXPECT_FALSE(hub.watched());
}

TEST(EventHubTest, DeliversInOrderWithIncreasingSequenceAndSignalsOncePerBatch) {
  reactor::FakeEventLoop loop;
  EventHub hub(loop);
  int ready = 0;
  std::unique_ptr<EventHub::Subscription> subscription = hub.Subscribe({}, 8, [&] { ++ready; });
  hub.Emit(EventKind::kConnectionOpened, "7", "wire client 'a'");
  hub.Emit(EventKind::kServiceRegistered, "demo.Greeter", "by connection 7");
  EXPECT_EQ(ready, 1);  // Not again until Next() came up empty.
  std::optional<BrokerEvent> first = subscription->Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->kind, EventKind::kConnectionOpened);
  EXPECT_EQ(first->detail, "wire client 'a'");
  std::optional<BrokerEvent> second = subscription->Next();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->sequence, first->sequence + 1);
  EXPECT_EQ(subscription->Next(), std::nullopt);
  hub.Emit(EventKind::kConnectionClosed, "7", "");
  EXPECT_EQ(ready, 2);
  EXPECT_THAT(Drain(*subscription), ElementsAre("2 7"));
}

TEST(EventHubTest, FiltersByKind) {
  reactor::FakeEventLoop loop;
  EventHub hub(loop);
  std::unique_ptr<EventHub::Subscription> dead = hub.Subscribe({EventKind::kDeadLetter}, 8, [] {});
  std::unique_ptr<EventHub::Subscription> all = hub.Subscribe({}, 8, [] {});
  hub.Emit(EventKind::kConnectionOpened, "1", "");
  hub.Emit(EventKind::kDeadLetter, "greetings", "");
  EXPECT_THAT(Drain(*dead), ElementsAre("6 greetings"));
  EXPECT_THAT(Drain(*all), ElementsAre("1 1", "6 greetings"));
}

TEST(EventHubTest, ASlowSubscriberLosesItsOldestEventsAndIsToldHowMany) {
  reactor::FakeEventLoop loop;
  EventHub hub(loop);
  std::unique_ptr<EventHub::Subscription> slow = hub.Subscribe({}, 3, [] {});
  std::unique_ptr<EventHub::Subscription> fast = hub.Subscribe({}, 100, [] {});
  for (int i = 1; i <= 5; ++i) hub.Emit(EventKind::kRoutingFailed, std::to_string(i), "");
  std::optional<BrokerEvent> marker = slow->Next();
  ASSERT_TRUE(marker.has_value());
  EXPECT_EQ(marker->kind, EventKind::kEventsDropped);
  EXPECT_EQ(marker->sequence, 0u);
  EXPECT_THAT(marker->detail, HasSubstr("dropped 2 events"));
  EXPECT_THAT(Drain(*slow), ElementsAre("5 3", "5 4", "5 5"));
  EXPECT_THAT(Drain(*fast), ElementsAre("5 1", "5 2", "5 3", "5 4", "5 5"));  // Unaffected.
}

TEST(EventHubTest, EventsFromAnotherThreadArriveThroughTheHomeLoop) {
  reactor::FakeEventLoop loop;
  EventHub hub(loop);
  std::unique_ptr<EventHub::Subscription> subscription = hub.Subscribe({}, 8, [] {});
  std::thread other([&] { hub.Emit(EventKind::kConnectionClosed, "9", ""); });
  other.join();
  EXPECT_EQ(subscription->Next(), std::nullopt);  // Posted, not delivered yet.
  loop.RunUntilIdle();
  EXPECT_THAT(Drain(*subscription), ElementsAre("2 9"));
}

TEST(EventHubTest, ASubscriptionMayEndAfterTheHub) {
  std::unique_ptr<EventHub::Subscription> subscription;
  {
    reactor::FakeEventLoop loop;
    EventHub hub(loop);
    subscription = hub.Subscribe({}, 8, [] {});
  }
  subscription.reset();  // Under ASan: no use of the hub after it is gone.
}

}  // namespace
}  // namespace weft::broker
