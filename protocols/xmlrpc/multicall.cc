#include "protocols/xmlrpc/multicall.h"

#include <cstddef>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/types/span.h"
#include "protocols/xmlrpc/xmlrpc_encoder.h"
#include "protocols/xmlrpc/xmlrpc_types.h"

namespace weft::protocols::xmlrpc {
namespace {

absl::StatusOr<MulticallEntry> ReadEntry(ValueRef call, std::size_t slot) {
  auto bad = [slot](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("xmlrpc: system.multicall call ", slot, " ", why));
  };
  if (call.type() != ValueType::kStruct) return bad("is not a struct");
  const std::optional<ValueRef> name = call.Find("methodName");
  if (!name.has_value() || name->type() != ValueType::kString) {
    return bad("lacks a string methodName");
  }
  if (!IsValidMethodName(name->string_value())) {
    return bad("has a methodName outside A-Z a-z 0-9 _ . : /");
  }
  if (name->string_value() == kMulticallMethod) return bad("calls system.multicall");
  const std::optional<ValueRef> params = call.Find("params");
  if (!params.has_value() || params->type() != ValueType::kArray) {
    return bad("lacks an array params");
  }
  return MulticallEntry{name->string_value(), *params};
}

}  // namespace

absl::Status SplitMulticall(ValueRef params, std::vector<absl::StatusOr<MulticallEntry>>& entries) {
  entries.clear();
  if (params.type() != ValueType::kArray || params.size() != 1 ||
      (*params.elements().begin()).type() != ValueType::kArray) {
    return absl::InvalidArgumentError("xmlrpc: system.multicall takes one array of calls");
  }
  const ValueRef calls = *params.elements().begin();
  entries.reserve(calls.size());
  std::size_t slot = 0;
  for (ValueRef call : calls.elements()) entries.push_back(ReadEntry(call, slot++));
  return absl::OkStatus();
}

absl::Status EncodeMulticallResponse(absl::Span<const MulticallResult> results, std::string& out) {
  const std::size_t start = out.size();
  AppendResponseBegin(out);
  ValueWriter writer(out);
  writer.BeginArray();
  for (std::size_t slot = 0; slot < results.size(); ++slot) {
    if (const Fault* fault = std::get_if<Fault>(&results[slot])) {
      AppendFaultValue(*fault, writer);
      continue;
    }
    writer.BeginArray();
    writer.AppendValue(std::get<ValueRef>(results[slot]));
    writer.EndArray();
    if (!writer.status().ok()) {
      out.resize(start);
      return absl::InvalidArgumentError(
          absl::StrCat("xmlrpc: system.multicall result ", slot, ": ",
                       absl::StripPrefix(writer.status().message(), "xmlrpc: ")));
    }
  }
  writer.EndArray();
  AppendResponseEnd(out);
  return absl::OkStatus();
}

}  // namespace weft::protocols::xmlrpc
