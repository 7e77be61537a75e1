// ObjectRegistry: export, reference counts, release to zero, disconnect (of holders and of
// hosts), pending sweep, id uniqueness, and deferred destruction of servants.
#include "broker/object_registry.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "broker/ids.h"
#include "broker/testdata/test_services.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace weft::broker {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::IsNull;
using ::testing::NotNull;
using ::weft::testing::IsOk;
using ::weft::testing::StatusIs;
namespace testdata = ::weft::broker::testdata;

constexpr HolderId kAnn{1};
constexpr HolderId kBob{2};
constexpr HolderId kHost{3};

// Counts its destructions so tests can see exactly when a servant dies.
class CountingCalc : public testdata::Calc {
 public:
  explicit CountingCalc(int& destroyed) : destroyed_(destroyed) {}
  ~CountingCalc() override { ++destroyed_; }

 private:
  int& destroyed_;
};

class ObjectRegistryTest : public ::testing::Test {
 protected:
  ObjectId ExportCalc() {
    return registry_.ExportLocal(std::make_unique<CountingCalc>(destroyed_));
  }

  ObjectId ExportRemote(HolderId host, ObjectId remote_id) {
    absl::StatusOr<ObjectId> id =
        registry_.ExportRemote(*testdata::Calc::descriptor(), RemoteHost{host, remote_id});
    EXPECT_THAT(id, IsOk());
    return id.value_or(0);
  }

  Reclaimed Release(ObjectId id, HolderId holder, uint64_t count = 1) {
    absl::StatusOr<Reclaimed> reclaimed = registry_.Release(id, holder, count);
    EXPECT_THAT(reclaimed, IsOk());
    return reclaimed.ok() ? std::move(*reclaimed) : Reclaimed{};
  }

  int destroyed_ = 0;
  ObjectRegistry registry_;
};

TEST_F(ObjectRegistryTest, ExportedObjectIsPendingWithNoHolder) {
  const ObjectId id = ExportCalc();
  EXPECT_NE(id, 0u);
  const RegisteredObject* object = registry_.Find(id);
  ASSERT_THAT(object, NotNull());
  EXPECT_TRUE(object->pending());
  EXPECT_EQ(object->holder_count(), 0u);
  EXPECT_EQ(&object->interface(), testdata::Calc::descriptor());
  EXPECT_THAT(object->servant(), NotNull());
  EXPECT_FALSE(object->remote().has_value());
  EXPECT_EQ(registry_.size(), 1u);
  EXPECT_EQ(registry_.pending_count(), 1u);
}

TEST_F(ObjectRegistryTest, SweepDropsUnheldPendingObjectsAndHandsBackTheirServants) {
  const ObjectId unheld = ExportCalc();
  const ObjectId held = ExportCalc();
  ASSERT_THAT(registry_.AddRef(held, kAnn), IsOk());
  EXPECT_FALSE(registry_.Find(held)->pending());

  Reclaimed reclaimed = registry_.SweepUnheld();
  EXPECT_THAT(reclaimed.dropped, ElementsAre(unheld));
  EXPECT_EQ(reclaimed.servants.size(), 1u);
  EXPECT_THAT(registry_.Find(unheld), IsNull());
  EXPECT_THAT(registry_.Find(held), NotNull());
  EXPECT_EQ(destroyed_, 0);  // The caller decides when.
  reclaimed.servants.clear();
  EXPECT_EQ(destroyed_, 1);
  EXPECT_TRUE(registry_.SweepUnheld().empty());
}

TEST_F(ObjectRegistryTest, IdsAreNeverReused) {
  const ObjectId first = ExportCalc();
  registry_.SweepUnheld();
  const ObjectId second = ExportCalc();
  EXPECT_GT(second, first);
  EXPECT_THAT(registry_.Find(first), IsNull());
}

TEST_F(ObjectRegistryTest, ReleaseToZeroDropsTheObject) {
  const ObjectId id = ExportCalc();
  ASSERT_THAT(registry_.AddRef(id, kAnn, 2), IsOk());
  ASSERT_THAT(registry_.AddRef(id, kBob), IsOk());
  EXPECT_TRUE(Release(id, kAnn, 2).empty());
  EXPECT_EQ(registry_.Find(id)->references(kAnn), 0u);
  EXPECT_EQ(registry_.Find(id)->references(kBob), 1u);

  Reclaimed reclaimed = Release(id, kBob);
  EXPECT_THAT(reclaimed.dropped, ElementsAre(id));
  ASSERT_EQ(reclaimed.servants.size(), 1u);
  EXPECT_THAT(reclaimed.releases, IsEmpty());
  EXPECT_EQ(registry_.size(), 0u);
}

TEST_F(ObjectRegistryTest, ReleaseRejectsWhatTheHolderDoesNotHold) {
  const ObjectId id = ExportCalc();
  ASSERT_THAT(registry_.AddRef(id, kAnn, 2), IsOk());
  EXPECT_THAT(registry_.Release(id + 100, kAnn), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(registry_.Release(id, kBob), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(registry_.Release(id, kAnn, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(registry_.Release(id, kAnn, 3), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(registry_.Find(id)->references(kAnn), 2u);
}

TEST_F(ObjectRegistryTest, AddRefRejectsUnknownObjectsAndZeroCounts) {
  const ObjectId id = ExportCalc();
  EXPECT_THAT(registry_.AddRef(id + 1, kAnn), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(registry_.AddRef(id, kAnn, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(registry_.Find(id)->pending());
}

TEST_F(ObjectRegistryTest, FindForCallReportsUnknownObjects) {
  EXPECT_THAT(registry_.FindForCall(42), StatusIs(absl::StatusCode::kNotFound, "no object 42"));
  const ObjectId id = ExportCalc();
  absl::StatusOr<const RegisteredObject*> object = registry_.FindForCall(id);
  ASSERT_THAT(object, IsOk());
  EXPECT_THAT((*object)->servant(), NotNull());
}

TEST_F(ObjectRegistryTest, RemoteObjectKeepsOneIdPerHostObjectAndCountsWhatItReceived) {
  const ObjectId id = ExportRemote(kHost, 7);
  EXPECT_EQ(ExportRemote(kHost, 7), id);
  EXPECT_NE(ExportRemote(kBob, 7), id);
  EXPECT_EQ(registry_.Find(id)->remote(), (RemoteHost{kHost, 7}));
  EXPECT_THAT(registry_.Find(id)->servant(), IsNull());

  ASSERT_THAT(registry_.AddRef(id, kAnn), IsOk());
  Reclaimed reclaimed = Release(id, kAnn);
  EXPECT_THAT(reclaimed.releases, ElementsAre(RemoteRelease{RemoteHost{kHost, 7}, 2}));
  EXPECT_THAT(reclaimed.dropped, ElementsAre(id));
  EXPECT_NE(ExportRemote(kHost, 7), id);  // The host's object is new to us again.
}

TEST_F(ObjectRegistryTest, RemoteExportRejectsAChangedInterface) {
  ExportRemote(kHost, 7);
  EXPECT_THAT(registry_.ExportRemote(*testdata::Factory::descriptor(), RemoteHost{kHost, 7}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ObjectRegistryTest, ReleaseAllDropsEverythingTheHolderHeld) {
  const ObjectId only_ann = ExportCalc();
  const ObjectId shared = ExportCalc();
  const ObjectId remote = ExportRemote(kHost, 9);
  ASSERT_THAT(registry_.AddRef(only_ann, kAnn, 3), IsOk());
  ASSERT_THAT(registry_.AddRef(shared, kAnn), IsOk());
  ASSERT_THAT(registry_.AddRef(shared, kBob), IsOk());
  ASSERT_THAT(registry_.AddRef(remote, kAnn), IsOk());

  Reclaimed reclaimed = registry_.ReleaseAll(kAnn);
  EXPECT_THAT(reclaimed.dropped, ElementsAre(only_ann, remote));
  EXPECT_EQ(reclaimed.servants.size(), 1u);
  EXPECT_THAT(reclaimed.releases, ElementsAre(RemoteRelease{RemoteHost{kHost, 9}, 1}));
  EXPECT_THAT(reclaimed.deaths, IsEmpty());
  EXPECT_EQ(registry_.Find(shared)->references(kBob), 1u);
  EXPECT_EQ(registry_.Find(shared)->references(kAnn), 0u);
  EXPECT_TRUE(registry_.ReleaseAll(kAnn).empty());  // Nothing left to release.
}

TEST_F(ObjectRegistryTest, HostDisconnectKillsItsObjectsAndNamesTheirHolders) {
  const ObjectId held = ExportRemote(kHost, 1);
  const ObjectId pending = ExportRemote(kHost, 2);
  ASSERT_THAT(registry_.AddRef(held, kBob), IsOk());
  ASSERT_THAT(registry_.AddRef(held, kAnn), IsOk());

  Reclaimed reclaimed = registry_.ReleaseAll(kHost);
  EXPECT_THAT(reclaimed.deaths, ElementsAre(ObjectDeath{kAnn, held}, ObjectDeath{kBob, held}));
  EXPECT_THAT(reclaimed.releases, IsEmpty());
  EXPECT_TRUE(registry_.Find(held)->dead());
  EXPECT_THAT(registry_.FindForCall(held), StatusIs(absl::StatusCode::kUnavailable));

  // Dead objects still count references, and go quietly once nobody holds them.
  ASSERT_THAT(registry_.AddRef(held, kAnn), IsOk());
  EXPECT_TRUE(Release(held, kAnn, 2).releases.empty());
  Reclaimed last = Release(held, kBob);
  EXPECT_THAT(last.dropped, ElementsAre(held));
  EXPECT_THAT(last.releases, IsEmpty());
  Reclaimed swept = registry_.SweepUnheld();
  EXPECT_THAT(swept.dropped, ElementsAre(pending));
  EXPECT_THAT(swept.releases, IsEmpty());
  EXPECT_EQ(registry_.size(), 0u);
}

TEST_F(ObjectRegistryTest, HostThatHeldItsOwnObjectIsNotSentARelease) {
  const ObjectId id = ExportRemote(kHost, 1);
  ASSERT_THAT(registry_.AddRef(id, kHost), IsOk());
  ASSERT_THAT(registry_.AddRef(id, kBob), IsOk());
  Reclaimed reclaimed = registry_.ReleaseAll(kHost);
  EXPECT_THAT(reclaimed.releases, IsEmpty());
  EXPECT_THAT(reclaimed.deaths, ElementsAre(ObjectDeath{kBob, id}));

  const ObjectId alone = ExportRemote(kAnn, 1);
  ASSERT_THAT(registry_.AddRef(alone, kAnn), IsOk());
  Reclaimed gone = registry_.ReleaseAll(kAnn);
  EXPECT_THAT(gone.dropped, ElementsAre(alone));
  EXPECT_THAT(gone.releases, IsEmpty());
  EXPECT_THAT(gone.deaths, IsEmpty());
}

// A servant that drops the last reference to itself in the middle of a call: the registry must
// hand it back rather than destroy it under the running call.
class SelfReleasingCalc final : public CountingCalc {
 public:
  SelfReleasingCalc(int& destroyed, ObjectRegistry& registry, std::optional<Reclaimed>& out)
      : CountingCalc(destroyed), registry_(registry), out_(out) {}

  void set_id(ObjectId id) { id_ = id; }

  // testdata::Calc
  void Add(google::protobuf::RpcController* /*controller*/, const testdata::AddRequest* request,
           testdata::AddReply* reply, google::protobuf::Closure* done) override {
    out_ = registry_.Release(id_, kAnn).value();
    reply->set_sum(request->a() + request->b() + static_cast<int64_t>(id_));  // Still alive.
    done->Run();
  }

 private:
  ObjectRegistry& registry_;
  std::optional<Reclaimed>& out_;
  ObjectId id_ = 0;
};

TEST_F(ObjectRegistryTest, ServantReleasedDuringItsOwnCallOutlivesTheCall) {
  std::optional<Reclaimed> reclaimed;
  auto servant = std::make_unique<SelfReleasingCalc>(destroyed_, registry_, reclaimed);
  SelfReleasingCalc* raw = servant.get();
  const ObjectId id = registry_.ExportLocal(std::move(servant));
  raw->set_id(id);
  ASSERT_THAT(registry_.AddRef(id, kAnn), IsOk());

  testdata::AddRequest request;
  request.set_a(1);
  testdata::AddReply reply;
  registry_.FindForCall(id).value()->servant()->CallMethod(
      testdata::Calc::descriptor()->FindMethodByName("Add"), nullptr, &request, &reply,
      google::protobuf::NewCallback(&google::protobuf::DoNothing));
  EXPECT_EQ(reply.sum(), static_cast<int64_t>(1 + id));
  EXPECT_THAT(registry_.Find(id), IsNull());
  EXPECT_EQ(destroyed_, 0);
  ASSERT_TRUE(reclaimed.has_value());
  reclaimed.reset();
  EXPECT_EQ(destroyed_, 1);
}

TEST_F(ObjectRegistryTest, DestroyingTheRegistryDestroysRemainingServants) {
  {
    ObjectRegistry registry;
    registry.ExportLocal(std::make_unique<CountingCalc>(destroyed_));
  }
  EXPECT_EQ(destroyed_, 1);
}

}  // namespace
}  // namespace weft::broker
