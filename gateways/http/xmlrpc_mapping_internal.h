// Internal to //gateways/http's XML-RPC mapping (xmlrpc_mapping.h): what its reading half
// (xmlrpc_mapping_read.cc) and its writing half (xmlrpc_mapping_write.cc) share.
#ifndef WEFT_GATEWAYS_HTTP_XMLRPC_MAPPING_INTERNAL_H_
#define WEFT_GATEWAYS_HTTP_XMLRPC_MAPPING_INTERNAL_H_

#include <array>
#include <bitset>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "gateways/http/xmlrpc_mapping.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "protocols/xmlrpc/date_time.h"
#include "protocols/xmlrpc/xmlrpc_encoder.h"
#include "protocols/xmlrpc/xmlrpc_types.h"

namespace weft::gateways::http::xmlrpc_mapping_internal {

namespace pb = google::protobuf;
using FD = pb::FieldDescriptor;
using protocols::xmlrpc::DateTime;
using protocols::xmlrpc::Member;
using protocols::xmlrpc::ValueRef;
using protocols::xmlrpc::ValueType;
using protocols::xmlrpc::ValueTypeName;
using protocols::xmlrpc::ValueWriter;

// Types with more fields (or enums with more values) than this look names up through
// protobuf's hash maps instead of a linear scan.
constexpr int kLinearLookupMax = 32;
// google.protobuf.Timestamp's range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;
constexpr absl::CivilSecond kUnixEpoch(1970, 1, 1, 0, 0, 0);
// Longest quote of peer text in an error message.
constexpr std::size_t kMaxQuoteBytes = 40;

inline std::string Quote(absl::string_view text) {
  if (text.size() <= kMaxQuoteBytes) return absl::StrCat("'", text, "'");
  return absl::StrCat("'", text.substr(0, kMaxQuoteBytes), "...'");
}

inline bool IsWrapper(const pb::Descriptor& type) {
  switch (type.well_known_type()) {
    case pb::Descriptor::WELLKNOWNTYPE_DOUBLEVALUE:
    case pb::Descriptor::WELLKNOWNTYPE_FLOATVALUE:
    case pb::Descriptor::WELLKNOWNTYPE_INT64VALUE:
    case pb::Descriptor::WELLKNOWNTYPE_UINT64VALUE:
    case pb::Descriptor::WELLKNOWNTYPE_INT32VALUE:
    case pb::Descriptor::WELLKNOWNTYPE_UINT32VALUE:
    case pb::Descriptor::WELLKNOWNTYPE_STRINGVALUE:
    case pb::Descriptor::WELLKNOWNTYPE_BYTESVALUE:
    case pb::Descriptor::WELLKNOWNTYPE_BOOLVALUE:
      return true;
    default:
      return false;
  }
}

inline bool IsTimestamp(const pb::Descriptor& type) {
  return type.well_known_type() == pb::Descriptor::WELLKNOWNTYPE_TIMESTAMP;
}

// The whole of `text` as a decimal integer: an optional "-" (signed types only), then digits.
template <typename Int>
bool ParseDecimal(absl::string_view text, Int& out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  std::from_chars_result result = std::from_chars(text.data(), end, out);
  return result.ec == std::errc() && result.ptr == end;
}

// The decimal digits of `value` in `buffer`.
template <typename Int>
absl::string_view FormatDecimal(Int value, std::array<char, 24>& buffer) {
  std::to_chars_result result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return absl::string_view(buffer.data(), result.ptr - buffer.data());
}

// The double nearest to the shortest decimal that reads back as `value`: 0.1f becomes 0.1, not
// 0.100000001490116.
inline double FloatToDouble(float value) {
  std::array<char, 32> buffer;
  std::to_chars_result text = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  double result = value;
  std::from_chars(buffer.data(), text.ptr, result);
  return result;
}

// The path to the value being converted, kept only to name it in error messages: the param
// number (positional params) and a stack of fields, each with the array index or map key under
// it. Pushing costs no allocation; Render() runs only on errors.
class FieldPath {
 public:
  struct Segment {
    absl::string_view name;
    int64_t index = -1;
    absl::string_view key;
    bool has_key = false;
  };

  void set_param(int param) { param_ = param; }
  // The depth guards stop recursion before the stack fills; past that, segments are counted but
  // not kept.
  void Push(absl::string_view name) {
    if (size_ < segments_.size()) segments_[size_] = Segment{name, -1, {}, false};
    ++size_;
  }
  void Pop() { --size_; }
  void SetIndex(int64_t index) {
    if (Segment* top = Top()) top->index = index;
  }
  void SetKey(absl::string_view key) {
    if (Segment* top = Top()) {
      top->key = key;
      top->has_key = true;
    }
  }

  // "param 2 (b.items[3])", "param 3", "field inner.counts[\"k\"]", or "" for the top level of a
  // struct param.
  std::string Render() const {
    std::string fields;
    for (std::size_t i = 0; i < size_ && i < segments_.size(); ++i) {
      const Segment& segment = segments_[i];
      absl::StrAppend(&fields, i == 0 ? "" : ".", segment.name);
      if (segment.index >= 0) absl::StrAppend(&fields, "[", segment.index, "]");
      if (segment.has_key) {
        absl::StrAppend(&fields, "[\"", segment.key.substr(0, kMaxQuoteBytes), "\"]");
      }
    }
    if (param_ > 0) {
      return fields.empty() ? absl::StrCat("param ", param_)
                            : absl::StrCat("param ", param_, " (", fields, ")");
    }
    return fields.empty() ? std::string() : absl::StrCat("field ", fields);
  }

  absl::Status Error(absl::StatusCode code, absl::string_view detail) const {
    const std::string where = Render();
    return absl::Status(code, absl::StrCat("xmlrpc: ", where, where.empty() ? "" : ": ", detail));
  }

 private:
  Segment* Top() {
    return size_ > 0 && size_ <= segments_.size() ? &segments_[size_ - 1] : nullptr;
  }

  std::array<Segment, kMaxXmlRpcMappingDepth + 2> segments_;
  std::size_t size_ = 0;
  int param_ = 0;
};

// Pushes a field on a FieldPath for one scope.
class PathScope {
 public:
  PathScope(FieldPath& path, absl::string_view name) : path_(path) { path_.Push(name); }
  ~PathScope() { path_.Pop(); }
  PathScope(const PathScope&) = delete;
  PathScope& operator=(const PathScope&) = delete;

 private:
  FieldPath& path_;
};

}  // namespace weft::gateways::http::xmlrpc_mapping_internal

#endif  // WEFT_GATEWAYS_HTTP_XMLRPC_MAPPING_INTERNAL_H_
