#include "tests/testing/status_matchers.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::testing {
namespace {

using ::testing::DescribeMatcher;
using ::testing::Gt;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(StatusMatchersTest, IsOkMatchesOkStatusAndStatusOr) {
  EXPECT_THAT(absl::OkStatus(), IsOk());
  EXPECT_THAT(absl::StatusOr<int>(3), IsOk());
  EXPECT_THAT(absl::InternalError("boom"), Not(IsOk()));
  EXPECT_THAT(absl::StatusOr<int>(absl::NotFoundError("x")), Not(IsOk()));
}

TEST(StatusMatchersTest, StatusIsComparesCodeAndOptionallyMessage) {
  const absl::Status status = absl::FailedPreconditionError("tcp: write after close");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(status, Not(StatusIs(absl::StatusCode::kUnavailable)));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition, "tcp: write after close"));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("after close")));
  EXPECT_THAT(status, Not(StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("reset"))));
  EXPECT_THAT(absl::OkStatus(), StatusIs(absl::StatusCode::kOk));
  EXPECT_THAT(absl::StatusOr<std::string>(absl::CancelledError("stop")),
              StatusIs(absl::StatusCode::kCancelled));
}

TEST(StatusMatchersTest, IsOkAndHoldsMatchesTheValue) {
  EXPECT_THAT(absl::StatusOr<int>(42), IsOkAndHolds(42));
  EXPECT_THAT(absl::StatusOr<int>(42), IsOkAndHolds(Gt(40)));
  EXPECT_THAT(absl::StatusOr<int>(42), Not(IsOkAndHolds(41)));
  EXPECT_THAT(absl::StatusOr<int>(absl::UnknownError("?")), Not(IsOkAndHolds(42)));
  EXPECT_THAT(absl::StatusOr<std::string>("abc"), IsOkAndHolds(HasSubstr("b")));
}

TEST(StatusMatchersTest, DescriptionsNameTheExpectation) {
  EXPECT_EQ(DescribeMatcher<absl::Status>(IsOk()), "is OK");
  EXPECT_THAT(DescribeMatcher<absl::Status>(StatusIs(absl::StatusCode::kNotFound)),
              HasSubstr("status code that is equal to"));
}

}  // namespace
}  // namespace weft::testing
