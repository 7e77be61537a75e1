// Every row of the HTTP gateway's status table.
#include "gateways/http/status_mapping.h"

#include <cstdint>

#include "gtest/gtest.h"
#include "protocols/jsonrpc/jsonrpc_types.h"

namespace weft::gateways::http {
namespace {

namespace jr = ::weft::protocols::jsonrpc;
using C = absl::StatusCode;

struct Expected {
  C code;
  int http_status;
  int32_t jsonrpc_code;
};

constexpr Expected kExpected[] = {
    {C::kOk, 200, 0},
    {C::kCancelled, 499, jr::kCancelledError},
    {C::kUnknown, 500, jr::kInternalError},
    {C::kInvalidArgument, 400, jr::kInvalidParams},
    {C::kDeadlineExceeded, 504, jr::kDeadlineExceededError},
    {C::kNotFound, 404, jr::kMethodNotFound},
    {C::kAlreadyExists, 409, jr::kInvalidParams},
    {C::kPermissionDenied, 403, jr::kPermissionDeniedError},
    {C::kResourceExhausted, 429, jr::kResourceExhaustedError},
    {C::kFailedPrecondition, 400, jr::kInvalidParams},
    {C::kAborted, 409, jr::kUnavailableError},
    {C::kOutOfRange, 400, jr::kInvalidParams},
    {C::kUnimplemented, 501, jr::kMethodNotFound},
    {C::kInternal, 500, jr::kInternalError},
    {C::kUnavailable, 503, jr::kUnavailableError},
    {C::kDataLoss, 500, jr::kInternalError},
    {C::kUnauthenticated, 401, jr::kUnauthenticatedError},
};

TEST(StatusMappingTest, CoversEveryCode) {
  EXPECT_EQ(sizeof(kExpected) / sizeof(kExpected[0]), 17u);
  for (const Expected& row : kExpected) {
    const StatusMapping& mapping = MappingFor(row.code);
    EXPECT_EQ(mapping.code, row.code);
    EXPECT_EQ(mapping.http_status, row.http_status) << static_cast<int>(row.code);
    EXPECT_EQ(mapping.jsonrpc_code, row.jsonrpc_code) << static_cast<int>(row.code);
    EXPECT_EQ(mapping.xmlrpc_fault_code, row.jsonrpc_code) << static_cast<int>(row.code);
  }
}

TEST(StatusMappingTest, UnknownNumbersGetTheUnknownRow) {
  EXPECT_EQ(MappingFor(static_cast<C>(99)).code, C::kUnknown);
  EXPECT_EQ(MappingFor(static_cast<C>(99)).http_status, 500);
}

}  // namespace
}  // namespace weft::gateways::http
