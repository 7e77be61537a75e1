// system.multicall: splitting a call into its calls, and encoding the combined response.
//
// Part of //protocols/xmlrpc (sans-I/O). The shape is the de-facto standard from Eric Kidd's
// proposal (xmlrpc-c, Python's SimpleXMLRPCServer and xmlrpc.client.MultiCall):
//   in   system.multicall([{"methodName": "a.b", "params": [...]}, ...])
//   out  [[value], {"faultCode": c, "faultString": s}, ...], one slot per call, in order: a
//        one-element array holding the call's value, or a fault struct.
// A malformed multicall as a whole (not one array param) fails the call; a malformed entry
// only fails its own slot. Dispatching the calls is the gateway's job.
#ifndef WEFT_PROTOCOLS_XMLRPC_MULTICALL_H_
#define WEFT_PROTOCOLS_XMLRPC_MULTICALL_H_

#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "protocols/xmlrpc/xmlrpc_types.h"

namespace weft::protocols::xmlrpc {

inline constexpr absl::string_view kMulticallMethod = "system.multicall";

// One call inside a system.multicall. Both fields point into the tree of the multicall's
// MethodCall and are valid as long as it is.
struct MulticallEntry {
  absl::string_view method_name;
  ValueRef params;  // An array.
};

// Splits the params of a system.multicall call into `entries` (cleared first), one per element
// of the array, in order. Returns kInvalidArgument when `params` is not exactly one array; the
// gateway answers with a single fault. An element that is not a struct with a valid string
// methodName and an array params, or that names system.multicall itself (no nesting: it would
// multiply the work of one request), gets a kInvalidArgument in its slot, which the gateway
// answers with a fault in that slot of the response. Other members are ignored, as Python does.
absl::Status SplitMulticall(ValueRef params, std::vector<absl::StatusOr<MulticallEntry>>& entries);

// The outcome of one call: its return value (in any tree), or a fault.
using MulticallResult = std::variant<ValueRef, Fault>;

// Appends the methodResponse of a system.multicall: each value as a one-element array, each
// fault as a fault struct. On error (a value ValueWriter cannot write, see xmlrpc_encoder.h)
// returns kInvalidArgument naming the slot and leaves `out` unchanged. To stream values
// without a tree instead, write the same shape with AppendResponseBegin(), a ValueWriter
// (BeginArray(); per slot BeginArray(), the value, EndArray() or AppendFaultValue(); EndArray())
// and AppendResponseEnd().
absl::Status EncodeMulticallResponse(absl::Span<const MulticallResult> results, std::string& out);

}  // namespace weft::protocols::xmlrpc

#endif  // WEFT_PROTOCOLS_XMLRPC_MULTICALL_H_
