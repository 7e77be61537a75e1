#include "gateways/http/status_mapping.h"

#include <cstddef>

#include "protocols/jsonrpc/jsonrpc_types.h"

namespace weft::gateways::http {
namespace {

namespace jr = protocols::jsonrpc;
using C = absl::StatusCode;

// faultCode = the JSON-RPC code of the row.
constexpr StatusMapping Row(C code, int http_status, int32_t jsonrpc_code) {
  return StatusMapping{code, http_status, jsonrpc_code, jsonrpc_code};
}

// Indexed by the numeric value of absl::StatusCode (0 to 16).
constexpr StatusMapping kTable[] = {
    Row(C::kOk, 200, 0),
    Row(C::kCancelled, 499, jr::kCancelledError),
    Row(C::kUnknown, 500, jr::kInternalError),
    Row(C::kInvalidArgument, 400, jr::kInvalidParams),
    Row(C::kDeadlineExceeded, 504, jr::kDeadlineExceededError),
    Row(C::kNotFound, 404, jr::kMethodNotFound),
    Row(C::kAlreadyExists, 409, jr::kInvalidParams),
    Row(C::kPermissionDenied, 403, jr::kPermissionDeniedError),
    Row(C::kResourceExhausted, 429, jr::kResourceExhaustedError),
    Row(C::kFailedPrecondition, 400, jr::kInvalidParams),
    Row(C::kAborted, 409, jr::kUnavailableError),
    Row(C::kOutOfRange, 400, jr::kInvalidParams),
    Row(C::kUnimplemented, 501, jr::kMethodNotFound),
    Row(C::kInternal, 500, jr::kInternalError),
    Row(C::kUnavailable, 503, jr::kUnavailableError),
    Row(C::kDataLoss, 500, jr::kInternalError),
    Row(C::kUnauthenticated, 401, jr::kUnauthenticatedError),
};

}  // namespace

const StatusMapping& MappingFor(absl::StatusCode code) {
  const auto index = static_cast<std::size_t>(code);
  if (index >= sizeof(kTable) / sizeof(kTable[0])) return kTable[2];
  return kTable[index];
}

}  // namespace weft::gateways::http
