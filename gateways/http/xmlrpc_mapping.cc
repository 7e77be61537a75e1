#include "gateways/http/xmlrpc_mapping.h"

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
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "protocols/xmlrpc/date_time.h"
#include "protocols/xmlrpc/xmlrpc_encoder.h"
#include "protocols/xmlrpc/xmlrpc_types.h"

namespace weft::gateways::http {
namespace {

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

std::string Quote(absl::string_view text) {
  if (text.size() <= kMaxQuoteBytes) return absl::StrCat("'", text, "'");
  return absl::StrCat("'", text.substr(0, kMaxQuoteBytes), "...'");
}

bool IsWrapper(const pb::Descriptor& type) {
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

bool IsTimestamp(const pb::Descriptor& type) {
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
double FloatToDouble(float value) {
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

// --- XML-RPC -> protobuf -------------------------------------------------------------------------

// One converted scalar, in the member its field's cpp_type uses.
struct Scalar {
  int64_t int_value = 0;  // INT32, INT64, ENUM
  uint64_t uint_value = 0;
  double double_value = 0;
  bool bool_value = false;
  absl::string_view text;  // STRING (both string and bytes)
};

// Sets `field` of `message` (or, when repeated, appends to it) to `value`.
void Store(pb::Message& message, const FD& field, const Scalar& value) {
  const pb::Reflection& r = *message.GetReflection();
  const bool add = field.is_repeated();
  switch (field.cpp_type()) {
    case FD::CPPTYPE_INT32: {
      const auto v = static_cast<int32_t>(value.int_value);
      return add ? r.AddInt32(&message, &field, v) : r.SetInt32(&message, &field, v);
    }
    case FD::CPPTYPE_INT64:
      return add ? r.AddInt64(&message, &field, value.int_value)
                 : r.SetInt64(&message, &field, value.int_value);
    case FD::CPPTYPE_UINT32: {
      const auto v = static_cast<uint32_t>(value.uint_value);
      return add ? r.AddUInt32(&message, &field, v) : r.SetUInt32(&message, &field, v);
    }
    case FD::CPPTYPE_UINT64:
      return add ? r.AddUInt64(&message, &field, value.uint_value)
                 : r.SetUInt64(&message, &field, value.uint_value);
    case FD::CPPTYPE_DOUBLE:
      return add ? r.AddDouble(&message, &field, value.double_value)
                 : r.SetDouble(&message, &field, value.double_value);
    case FD::CPPTYPE_FLOAT: {
      const auto v = static_cast<float>(value.double_value);
      return add ? r.AddFloat(&message, &field, v) : r.SetFloat(&message, &field, v);
    }
    case FD::CPPTYPE_BOOL:
      return add ? r.AddBool(&message, &field, value.bool_value)
                 : r.SetBool(&message, &field, value.bool_value);
    case FD::CPPTYPE_STRING:
      return add ? r.AddString(&message, &field, std::string(value.text))
                 : r.SetString(&message, &field, std::string(value.text));
    case FD::CPPTYPE_ENUM: {
      const auto v = static_cast<int>(value.int_value);
      return add ? r.AddEnumValue(&message, &field, v) : r.SetEnumValue(&message, &field, v);
    }
    case FD::CPPTYPE_MESSAGE:
      break;  // Messages are read in place, never through a Scalar.
  }
}

// What a value for `field` (one element of it, when repeated) may be, for error messages.
absl::string_view ExpectedFor(const FD& field) {
  switch (field.cpp_type()) {
    case FD::CPPTYPE_INT32:
      return "int";
    case FD::CPPTYPE_INT64:
      return "int or decimal string";
    case FD::CPPTYPE_UINT32:
    case FD::CPPTYPE_UINT64:
      return "non-negative int or decimal string";
    case FD::CPPTYPE_DOUBLE:
    case FD::CPPTYPE_FLOAT:
      return "double or int";
    case FD::CPPTYPE_BOOL:
      return "boolean";
    case FD::CPPTYPE_STRING:
      return field.type() == FD::TYPE_BYTES ? "base64" : "string";
    case FD::CPPTYPE_ENUM:
      return "enum name string or int";
    case FD::CPPTYPE_MESSAGE:
      return IsTimestamp(*field.message_type()) ? "dateTime.iso8601 or struct" : "struct";
  }
  return "value";
}

class Reader {
 public:
  absl::Status ReadParams(ValueRef params, pb::Message& out);

 private:
  absl::Status ReadStruct(ValueRef value, pb::Message& out);
  absl::Status ReadField(const FD& field, ValueRef value, pb::Message& out);
  absl::Status ReadRepeated(const FD& field, ValueRef value, pb::Message& out);
  absl::Status ReadMap(const FD& field, ValueRef value, pb::Message& out);
  // A struct, a Timestamp's dateTime or a wrapper's scalar into `out`.
  absl::Status ReadMessageValue(ValueRef value, pb::Message& out);
  absl::Status ReadTimestamp(ValueRef value, pb::Message& out);
  absl::Status ReadScalar(const FD& field, ValueRef value, Scalar& out);
  absl::Status ReadSigned(const FD& field, ValueRef value, int64_t min, int64_t max, int64_t& out);
  absl::Status ReadUnsigned(const FD& field, ValueRef value, uint64_t max, uint64_t& out);
  absl::Status ReadEnum(const FD& field, ValueRef value, int64_t& out);
  absl::Status ReadMapKey(const FD& key_field, absl::string_view text, Scalar& out);

  const FD* FindField(const pb::Descriptor& type, absl::string_view name);
  bool SeenBefore(const pb::Descriptor& type, ValueRef value, std::size_t position, const FD& field,
                  const std::bitset<256>& seen);
  absl::Status Enter();
  void Leave() { --depth_; }
  absl::Status Fail(absl::string_view detail) const {
    return path_.Error(absl::StatusCode::kInvalidArgument, detail);
  }
  absl::Status Mismatch(absl::string_view expected, ValueRef value) const {
    return Fail(absl::StrCat("expected ", expected, ", got ", ValueTypeName(value.type())));
  }

  FieldPath path_;
  int depth_ = 0;
  std::string scratch_;  // For protobuf lookups that take a std::string.
};

absl::Status Reader::Enter() {
  if (++depth_ > kMaxXmlRpcMappingDepth) {
    return path_.Error(absl::StatusCode::kResourceExhausted,
                       absl::StrCat("nesting deeper than ", kMaxXmlRpcMappingDepth));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadParams(ValueRef params, pb::Message& out) {
  out.Clear();
  if (params.type() != ValueType::kArray) return Mismatch("params array", params);
  if (params.size() == 1 && (*params.elements().begin()).type() == ValueType::kStruct) {
    return ReadStruct(*params.elements().begin(), out);
  }
  const pb::Descriptor& type = *out.GetDescriptor();
  if (params.size() > static_cast<std::size_t>(type.field_count())) {
    path_.set_param(type.field_count() + 1);
    return Fail(absl::StrCat(params.size(), " params given, ", type.full_name(), " has only ",
                             type.field_count(), " fields"));
  }
  int index = 0;
  for (ValueRef param : params.elements()) {
    const FD& field = *type.field(index);
    path_.set_param(++index);
    PathScope scope(path_, field.name());
    if (absl::Status s = ReadField(field, param, out); !s.ok()) return s;
  }
  return absl::OkStatus();
}

const FD* Reader::FindField(const pb::Descriptor& type, absl::string_view name) {
  if (type.field_count() <= kLinearLookupMax) {
    for (int i = 0; i < type.field_count(); ++i) {
      const FD* field = type.field(i);
      if (field->name() == name || field->json_name() == name || field->camelcase_name() == name) {
        return field;
      }
    }
    return nullptr;
  }
  scratch_.assign(name.data(), name.size());
  if (const FD* field = type.FindFieldByName(scratch_)) return field;
  if (const FD* field = type.FindFieldByCamelcaseName(scratch_)) return field;
  for (int i = 0; i < type.field_count(); ++i) {  // A json_name set in the .proto.
    if (type.field(i)->json_name() == name) return type.field(i);
  }
  return nullptr;
}

// Whether a member before `position` of the struct `value` also named `field` (by its other
// name). `seen` holds the fields so far with index < 256; others are found by looking again.
bool Reader::SeenBefore(const pb::Descriptor& type, ValueRef value, std::size_t position,
                        const FD& field, const std::bitset<256>& seen) {
  if (field.index() < 256) return seen[field.index()];
  std::size_t i = 0;
  for (Member member : value.members()) {
    if (i++ == position) break;
    if (FindField(type, member.name) == &field) return true;
  }
  return false;
}

absl::Status Reader::ReadStruct(ValueRef value, pb::Message& out) {
  if (absl::Status s = Enter(); !s.ok()) return s;
  const pb::Descriptor& type = *out.GetDescriptor();
  std::bitset<256> seen;
  std::size_t position = 0;
  for (Member member : value.members()) {
    const FD* field = FindField(type, member.name);
    if (field == nullptr) {
      return Fail(
          absl::StrCat("member ", Quote(member.name), " is not a field of ", type.full_name()));
    }
    PathScope scope(path_, field->name());
    if (SeenBefore(type, value, position, *field, seen)) {
      return Fail("given twice (by its proto and its JSON name)");
    }
    if (field->index() < 256) seen.set(field->index());
    if (absl::Status s = ReadField(*field, member.value, out); !s.ok()) return s;
    ++position;
  }
  Leave();
  return absl::OkStatus();
}

absl::Status Reader::ReadField(const FD& field, ValueRef value, pb::Message& out) {
  if (value.type() == ValueType::kNil) return absl::OkStatus();
  if (field.is_map()) return ReadMap(field, value, out);
  if (field.is_repeated()) return ReadRepeated(field, value, out);
  const pb::Reflection& r = *out.GetReflection();
  if (const pb::OneofDescriptor* oneof = field.real_containing_oneof();
      oneof != nullptr && r.HasOneof(out, oneof)) {
    return Fail(absl::StrCat("oneof ", oneof->name(), " already set by ",
                             r.GetOneofFieldDescriptor(out, oneof)->name()));
  }
  if (field.cpp_type() == FD::CPPTYPE_MESSAGE) {
    return ReadMessageValue(value, *r.MutableMessage(&out, &field));
  }
  Scalar scalar;
  if (absl::Status s = ReadScalar(field, value, scalar); !s.ok()) return s;
  Store(out, field, scalar);
  return absl::OkStatus();
}

absl::Status Reader::ReadRepeated(const FD& field, ValueRef value, pb::Message& out) {
  if (value.type() != ValueType::kArray) return Mismatch("array", value);
  if (absl::Status s = Enter(); !s.ok()) return s;
  const pb::Reflection& r = *out.GetReflection();
  int64_t index = 0;
  for (ValueRef element : value.elements()) {
    path_.SetIndex(index++);
    if (element.type() == ValueType::kNil) return Fail("nil is not allowed in an array");
    if (field.cpp_type() == FD::CPPTYPE_MESSAGE) {
      if (absl::Status s = ReadMessageValue(element, *r.AddMessage(&out, &field)); !s.ok()) {
        return s;
      }
      continue;
    }
    Scalar scalar;
    if (absl::Status s = ReadScalar(field, element, scalar); !s.ok()) return s;
    Store(out, field, scalar);
  }
  path_.SetIndex(-1);
  Leave();
  return absl::OkStatus();
}

absl::Status Reader::ReadMap(const FD& field, ValueRef value, pb::Message& out) {
  if (value.type() != ValueType::kStruct) return Mismatch("struct", value);
  if (absl::Status s = Enter(); !s.ok()) return s;
  const pb::Reflection& r = *out.GetReflection();
  const FD& key_field = *field.message_type()->map_key();
  const FD& value_field = *field.message_type()->map_value();
  for (Member member : value.members()) {
    path_.SetKey(member.name);
    if (member.value.type() == ValueType::kNil) return Fail("nil is not allowed as a map value");
    Scalar key;
    if (absl::Status s = ReadMapKey(key_field, member.name, key); !s.ok()) return s;
    pb::Message& entry = *r.AddMessage(&out, &field);
    Store(entry, key_field, key);
    if (value_field.cpp_type() == FD::CPPTYPE_MESSAGE) {
      pb::Message& target = *entry.GetReflection()->MutableMessage(&entry, &value_field);
      if (absl::Status s = ReadMessageValue(member.value, target); !s.ok()) return s;
      continue;
    }
    Scalar scalar;
    if (absl::Status s = ReadScalar(value_field, member.value, scalar); !s.ok()) return s;
    Store(entry, value_field, scalar);
  }
  Leave();
  return absl::OkStatus();
}

absl::Status Reader::ReadMapKey(const FD& key_field, absl::string_view text, Scalar& out) {
  bool ok = false;
  switch (key_field.cpp_type()) {
    case FD::CPPTYPE_STRING:
      out.text = text;
      return absl::OkStatus();
    case FD::CPPTYPE_BOOL:
      ok = text == "true" || text == "false";
      out.bool_value = text == "true";
      break;
    case FD::CPPTYPE_INT32: {
      int32_t v = 0;
      ok = ParseDecimal(text, v);
      out.int_value = v;
      break;
    }
    case FD::CPPTYPE_INT64:
      ok = ParseDecimal(text, out.int_value);
      break;
    case FD::CPPTYPE_UINT32: {
      uint32_t v = 0;
      ok = ParseDecimal(text, v);
      out.uint_value = v;
      break;
    }
    case FD::CPPTYPE_UINT64:
      ok = ParseDecimal(text, out.uint_value);
      break;
    default:
      break;  // protoc allows no other key types.
  }
  if (ok) return absl::OkStatus();
  return Fail(
      absl::StrCat("key ", Quote(text), " is not a valid ", FD::TypeName(key_field.type())));
}

absl::Status Reader::ReadMessageValue(ValueRef value, pb::Message& out) {
  const pb::Descriptor& type = *out.GetDescriptor();
  if (IsTimestamp(type) && value.type() == ValueType::kDateTime) return ReadTimestamp(value, out);
  if (IsWrapper(type)) {
    const FD& inner = *type.field(0);
    Scalar scalar;
    if (absl::Status s = ReadScalar(inner, value, scalar); !s.ok()) return s;
    Store(out, inner, scalar);
    return absl::OkStatus();
  }
  if (value.type() != ValueType::kStruct) {
    return Mismatch(IsTimestamp(type) ? "dateTime.iso8601 or struct" : "struct", value);
  }
  return ReadStruct(value, out);
}

// A dateTime without a zone is UTC (see the header).
absl::Status Reader::ReadTimestamp(ValueRef value, pb::Message& out) {
  const DateTime t = value.date_time_value();
  const absl::CivilSecond civil(t.year, t.month, t.day, t.hour, t.minute, t.second);
  const int64_t seconds = (civil - kUnixEpoch) - int64_t{t.utc_offset_minutes.value_or(0)} * 60;
  if (seconds < kMinTimestampSeconds || seconds > kMaxTimestampSeconds) {
    return Fail(absl::StrCat("dateTime ", Quote(value.string_value()),
                             " is outside google.protobuf.Timestamp's years 0001 to 9999"));
  }
  const pb::Reflection& r = *out.GetReflection();
  r.SetInt64(&out, out.GetDescriptor()->FindFieldByNumber(1), seconds);
  r.SetInt32(&out, out.GetDescriptor()->FindFieldByNumber(2), t.nanos);
  return absl::OkStatus();
}

absl::Status Reader::ReadScalar(const FD& field, ValueRef value, Scalar& out) {
  switch (field.cpp_type()) {
    case FD::CPPTYPE_INT32:
      return ReadSigned(field, value, std::numeric_limits<int32_t>::min(),
                        std::numeric_limits<int32_t>::max(), out.int_value);
    case FD::CPPTYPE_INT64:
      return ReadSigned(field, value, std::numeric_limits<int64_t>::min(),
                        std::numeric_limits<int64_t>::max(), out.int_value);
    case FD::CPPTYPE_UINT32:
      return ReadUnsigned(field, value, std::numeric_limits<uint32_t>::max(), out.uint_value);
    case FD::CPPTYPE_UINT64:
      return ReadUnsigned(field, value, std::numeric_limits<uint64_t>::max(), out.uint_value);
    case FD::CPPTYPE_DOUBLE:
    case FD::CPPTYPE_FLOAT:
      if (value.type() == ValueType::kInt) {
        out.double_value = static_cast<double>(value.int_value());
      } else if (value.type() == ValueType::kDouble) {
        out.double_value = value.double_value();
      } else {
        return Mismatch(ExpectedFor(field), value);
      }
      if (field.cpp_type() == FD::CPPTYPE_FLOAT &&
          std::fabs(out.double_value) > std::numeric_limits<float>::max()) {
        return Fail(absl::StrCat("double ", out.double_value, " out of range for float"));
      }
      return absl::OkStatus();
    case FD::CPPTYPE_BOOL:
      if (value.type() != ValueType::kBoolean) return Mismatch(ExpectedFor(field), value);
      out.bool_value = value.bool_value();
      return absl::OkStatus();
    case FD::CPPTYPE_STRING: {
      const ValueType want =
          field.type() == FD::TYPE_BYTES ? ValueType::kBase64 : ValueType::kString;
      if (value.type() != want) return Mismatch(ExpectedFor(field), value);
      out.text = value.string_value();
      return absl::OkStatus();
    }
    case FD::CPPTYPE_ENUM:
      return ReadEnum(field, value, out.int_value);
    case FD::CPPTYPE_MESSAGE:
      break;
  }
  return Mismatch(ExpectedFor(field), value);
}

// int64 fields also take a decimal string: JavaScript and Python peers that cannot send <i8>.
absl::Status Reader::ReadSigned(const FD& field, ValueRef value, int64_t min, int64_t max,
                                int64_t& out) {
  const bool takes_string = field.cpp_type() == FD::CPPTYPE_INT64;
  if (value.type() == ValueType::kInt) {
    out = value.int_value();
  } else if (value.type() == ValueType::kString && takes_string) {
    if (!ParseDecimal(value.string_value(), out)) {
      return Fail(absl::StrCat("string ", Quote(value.string_value()),
                               " is not a decimal integer in the range of ",
                               FD::TypeName(field.type())));
    }
  } else {
    return Mismatch(ExpectedFor(field), value);
  }
  if (out < min || out > max) {
    return Fail(absl::StrCat("int ", out, " out of range for ", FD::TypeName(field.type())));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadUnsigned(const FD& field, ValueRef value, uint64_t max, uint64_t& out) {
  if (value.type() == ValueType::kInt) {
    if (value.int_value() < 0) {
      return Fail(absl::StrCat("int ", value.int_value(), " out of range for ",
                               FD::TypeName(field.type())));
    }
    out = static_cast<uint64_t>(value.int_value());
  } else if (value.type() == ValueType::kString) {
    if (!ParseDecimal(value.string_value(), out)) {
      return Fail(absl::StrCat("string ", Quote(value.string_value()),
                               " is not a decimal integer in the range of ",
                               FD::TypeName(field.type())));
    }
  } else {
    return Mismatch(ExpectedFor(field), value);
  }
  if (out > max) {
    return Fail(absl::StrCat("int ", out, " out of range for ", FD::TypeName(field.type())));
  }
  return absl::OkStatus();
}

// Open (proto3) enums keep numbers they do not declare, as protobuf does; closed ones do not.
absl::Status Reader::ReadEnum(const FD& field, ValueRef value, int64_t& out) {
  const pb::EnumDescriptor& type = *field.enum_type();
  if (value.type() == ValueType::kString) {
    const absl::string_view name = value.string_value();
    const pb::EnumValueDescriptor* found = nullptr;
    if (type.value_count() <= kLinearLookupMax) {
      for (int i = 0; i < type.value_count() && found == nullptr; ++i) {
        if (type.value(i)->name() == name) found = type.value(i);
      }
    } else {
      scratch_.assign(name.data(), name.size());
      found = type.FindValueByName(scratch_);
    }
    if (found == nullptr) {
      return Fail(absl::StrCat(Quote(name), " is not a value of enum ", type.full_name()));
    }
    out = found->number();
    return absl::OkStatus();
  }
  if (value.type() != ValueType::kInt) return Mismatch(ExpectedFor(field), value);
  out = value.int_value();
  if (out < std::numeric_limits<int32_t>::min() || out > std::numeric_limits<int32_t>::max()) {
    return Fail(absl::StrCat("int ", out, " out of range for enum ", type.full_name()));
  }
  const bool open = type.file()->syntax() == pb::FileDescriptor::SYNTAX_PROTO3;
  if (!open && type.FindValueByNumber(static_cast<int>(out)) == nullptr) {
    return Fail(absl::StrCat(out, " is not a value of enum ", type.full_name()));
  }
  return absl::OkStatus();
}

// --- protobuf -> XML-RPC -------------------------------------------------------------------------

class Writer {
 public:
  explicit Writer(ValueWriter& writer) : writer_(writer) {}

  absl::Status WriteMessage(const pb::Message& message);

 private:
  absl::Status WriteField(const pb::Message& message, const FD& field);
  absl::Status WriteMap(const pb::Message& message, const FD& field);
  // The value of a singular field (index -1) or of one element of a repeated one.
  absl::Status WriteValue(const pb::Message& message, const FD& field, int index);
  absl::Status WriteDouble(double value, absl::string_view type);
  absl::Status WriteMessageValue(const pb::Message& message);
  absl::Status WriteTimestamp(const pb::Message& message);
  absl::Status Enter();
  void Leave() { --depth_; }
  // The writer's first error, if any, named by the path.
  absl::Status Check() const;

  ValueWriter& writer_;
  FieldPath path_;
  int depth_ = 0;
};

absl::Status Writer::Enter() {
  if (++depth_ > kMaxXmlRpcMappingDepth) {
    return path_.Error(absl::StatusCode::kResourceExhausted,
                       absl::StrCat("nesting deeper than ", kMaxXmlRpcMappingDepth));
  }
  return absl::OkStatus();
}

absl::Status Writer::Check() const {
  if (writer_.status().ok()) return absl::OkStatus();
  return path_.Error(writer_.status().code(),
                     absl::StripPrefix(writer_.status().message(), "xmlrpc: "));
}

absl::Status Writer::WriteMessage(const pb::Message& message) {
  if (absl::Status s = Enter(); !s.ok()) return s;
  const pb::Descriptor& type = *message.GetDescriptor();
  const pb::Reflection& r = *message.GetReflection();
  writer_.BeginStruct();
  for (int i = 0; i < type.field_count(); ++i) {
    const FD& field = *type.field(i);
    if (field.has_presence() && !r.HasField(message, &field)) continue;
    PathScope scope(path_, field.name());
    writer_.BeginMember(field.name());
    if (absl::Status s = WriteField(message, field); !s.ok()) return s;
    writer_.EndMember();
  }
  writer_.EndStruct();
  Leave();
  return absl::OkStatus();
}

absl::Status Writer::WriteField(const pb::Message& message, const FD& field) {
  if (field.is_map()) return WriteMap(message, field);
  if (!field.is_repeated()) return WriteValue(message, field, -1);
  if (absl::Status s = Enter(); !s.ok()) return s;
  writer_.BeginArray();
  const int size = message.GetReflection()->FieldSize(message, &field);
  for (int i = 0; i < size; ++i) {
    path_.SetIndex(i);
    if (absl::Status s = WriteValue(message, field, i); !s.ok()) return s;
  }
  path_.SetIndex(-1);
  writer_.EndArray();
  Leave();
  return absl::OkStatus();
}

absl::Status Writer::WriteMap(const pb::Message& message, const FD& field) {
  if (absl::Status s = Enter(); !s.ok()) return s;
  const pb::Reflection& r = *message.GetReflection();
  const FD& key_field = *field.message_type()->map_key();
  const FD& value_field = *field.message_type()->map_value();
  std::array<char, 24> digits;
  std::string scratch;
  writer_.BeginStruct();
  const int size = r.FieldSize(message, &field);
  for (int i = 0; i < size; ++i) {
    const pb::Message& entry = r.GetRepeatedMessage(message, &field, i);
    const pb::Reflection& er = *entry.GetReflection();
    absl::string_view key;
    switch (key_field.cpp_type()) {
      case FD::CPPTYPE_INT32:
        key = FormatDecimal(er.GetInt32(entry, &key_field), digits);
        break;
      case FD::CPPTYPE_INT64:
        key = FormatDecimal(er.GetInt64(entry, &key_field), digits);
        break;
      case FD::CPPTYPE_UINT32:
        key = FormatDecimal(er.GetUInt32(entry, &key_field), digits);
        break;
      case FD::CPPTYPE_UINT64:
        key = FormatDecimal(er.GetUInt64(entry, &key_field), digits);
        break;
      case FD::CPPTYPE_BOOL:
        key = er.GetBool(entry, &key_field) ? "true" : "false";
        break;
      default:
        key = er.GetStringReference(entry, &key_field, &scratch);
        break;
    }
    path_.SetKey(key);
    writer_.BeginMember(key);
    if (absl::Status s = Check(); !s.ok()) return s;
    if (absl::Status s = WriteValue(entry, value_field, -1); !s.ok()) return s;
    writer_.EndMember();
  }
  writer_.EndStruct();
  Leave();
  return absl::OkStatus();
}

absl::Status Writer::WriteDouble(double value, absl::string_view type) {
  if (!std::isfinite(value)) {
    return path_.Error(absl::StatusCode::kInvalidArgument,
                       absl::StrCat(type, " ", value, " cannot be written in XML-RPC"));
  }
  writer_.AppendDouble(value);
  return absl::OkStatus();
}

absl::Status Writer::WriteValue(const pb::Message& message, const FD& field, int index) {
  const pb::Reflection& r = *message.GetReflection();
  // The singular or the repeated getter, by `index`.
  auto get = [&](auto single, auto repeated) {
    return index < 0 ? (r.*single)(message, &field) : (r.*repeated)(message, &field, index);
  };
  switch (field.cpp_type()) {
    case FD::CPPTYPE_INT32:
      writer_.AppendInt(get(&pb::Reflection::GetInt32, &pb::Reflection::GetRepeatedInt32));
      return absl::OkStatus();
    case FD::CPPTYPE_INT64:
      writer_.AppendInt(get(&pb::Reflection::GetInt64, &pb::Reflection::GetRepeatedInt64));
      return absl::OkStatus();
    case FD::CPPTYPE_UINT32:
      writer_.AppendInt(get(&pb::Reflection::GetUInt32, &pb::Reflection::GetRepeatedUInt32));
      return absl::OkStatus();
    case FD::CPPTYPE_UINT64: {
      const uint64_t v = get(&pb::Reflection::GetUInt64, &pb::Reflection::GetRepeatedUInt64);
      if (v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        writer_.AppendInt(static_cast<int64_t>(v));
      } else {
        std::array<char, 24> digits;
        writer_.AppendString(FormatDecimal(v, digits));
      }
      return absl::OkStatus();
    }
    case FD::CPPTYPE_DOUBLE:
      return WriteDouble(get(&pb::Reflection::GetDouble, &pb::Reflection::GetRepeatedDouble),
                         "double");
    case FD::CPPTYPE_FLOAT: {
      const float v = get(&pb::Reflection::GetFloat, &pb::Reflection::GetRepeatedFloat);
      return WriteDouble(std::isfinite(v) ? FloatToDouble(v) : v, "float");
    }
    case FD::CPPTYPE_BOOL:
      writer_.AppendBoolean(get(&pb::Reflection::GetBool, &pb::Reflection::GetRepeatedBool));
      return absl::OkStatus();
    case FD::CPPTYPE_STRING: {
      std::string scratch;  // Used only by string representations other than std::string.
      const std::string& text =
          index < 0 ? r.GetStringReference(message, &field, &scratch)
                    : r.GetRepeatedStringReference(message, &field, index, &scratch);
      if (field.type() == FD::TYPE_BYTES) {
        writer_.AppendBase64(text);
      } else {
        writer_.AppendString(text);
      }
      return Check();
    }
    case FD::CPPTYPE_ENUM: {
      const int number = get(&pb::Reflection::GetEnumValue, &pb::Reflection::GetRepeatedEnumValue);
      if (const pb::EnumValueDescriptor* v = field.enum_type()->FindValueByNumber(number)) {
        writer_.AppendString(v->name());
      } else {
        writer_.AppendInt(number);
      }
      return absl::OkStatus();
    }
    case FD::CPPTYPE_MESSAGE:
      return WriteMessageValue(index < 0 ? r.GetMessage(message, &field)
                                         : r.GetRepeatedMessage(message, &field, index));
  }
  return absl::OkStatus();
}

absl::Status Writer::WriteMessageValue(const pb::Message& message) {
  const pb::Descriptor& type = *message.GetDescriptor();
  if (IsTimestamp(type)) return WriteTimestamp(message);
  if (IsWrapper(type)) return WriteValue(message, *type.field(0), -1);
  return WriteMessage(message);
}

// UTC, without a zone designator (see the header).
absl::Status Writer::WriteTimestamp(const pb::Message& message) {
  const pb::Reflection& r = *message.GetReflection();
  const int64_t seconds = r.GetInt64(message, message.GetDescriptor()->FindFieldByNumber(1));
  const int32_t nanos = r.GetInt32(message, message.GetDescriptor()->FindFieldByNumber(2));
  if (seconds < kMinTimestampSeconds || seconds > kMaxTimestampSeconds || nanos < 0 ||
      nanos > 999'999'999) {
    return path_.Error(absl::StatusCode::kInvalidArgument,
                       absl::StrCat("Timestamp seconds ", seconds, " nanos ", nanos,
                                    " is outside years 0001 to 9999"));
  }
  const absl::CivilSecond civil = kUnixEpoch + seconds;
  DateTime t;
  t.year = static_cast<int32_t>(civil.year());
  t.month = civil.month();
  t.day = civil.day();
  t.hour = civil.hour();
  t.minute = civil.minute();
  t.second = civil.second();
  t.nanos = nanos;
  writer_.AppendDateTime(t);
  return Check();
}

// --- Introspection -------------------------------------------------------------------------------

absl::string_view XmlRpcTypeOf(const FD& field, bool element) {
  if (field.is_map()) return "struct";
  if (field.is_repeated() && !element) return "array";
  switch (field.cpp_type()) {
    case FD::CPPTYPE_INT32:
      return "int";
    case FD::CPPTYPE_INT64:
    case FD::CPPTYPE_UINT32:
    case FD::CPPTYPE_UINT64:
      return "i8";
    case FD::CPPTYPE_DOUBLE:
    case FD::CPPTYPE_FLOAT:
      return "double";
    case FD::CPPTYPE_BOOL:
      return "boolean";
    case FD::CPPTYPE_STRING:
      return field.type() == FD::TYPE_BYTES ? "base64" : "string";
    case FD::CPPTYPE_ENUM:
      return "string";
    case FD::CPPTYPE_MESSAGE: {
      const pb::Descriptor& type = *field.message_type();
      if (IsTimestamp(type)) return "dateTime.iso8601";
      if (IsWrapper(type)) return XmlRpcTypeOf(*type.field(0), true);
      return "struct";
    }
  }
  return "struct";
}

// "int64", "repeated string", "map<string, int64>", "demo.Inner", "repeated demo.Color".
std::string ProtoTypeOf(const FD& field) {
  auto element = [](const FD& f) -> std::string {
    if (f.cpp_type() == FD::CPPTYPE_MESSAGE) return f.message_type()->full_name();
    if (f.cpp_type() == FD::CPPTYPE_ENUM) return f.enum_type()->full_name();
    return FD::TypeName(f.type());
  };
  if (field.is_map()) {
    return absl::StrCat("map<", element(*field.message_type()->map_key()), ", ",
                        element(*field.message_type()->map_value()), ">");
  }
  return absl::StrCat(field.is_repeated() ? "repeated " : "", element(field));
}

void AppendFieldList(const pb::Descriptor& type, bool numbered, std::string& out) {
  if (type.field_count() == 0) absl::StrAppend(&out, "  (no fields)\n");
  for (int i = 0; i < type.field_count(); ++i) {
    const FD& field = *type.field(i);
    absl::StrAppend(&out, "  ", numbered ? absl::StrCat(i + 1, ". ") : "", field.name(), ": ",
                    ProtoTypeOf(field), " (", XmlRpcTypeOf(field, false), ")\n");
  }
}

}  // namespace

absl::Status XmlRpcParamsToMessage(ValueRef params, pb::Message& out) {
  Reader reader;
  return reader.ReadParams(params, out);
}

absl::Status WriteMessageAsXmlRpc(const pb::Message& message, ValueWriter& writer) {
  if (!writer.status().ok()) return writer.status();
  Writer w(writer);
  return w.WriteMessage(message);
}

std::vector<std::string> XmlRpcSignature(const pb::MethodDescriptor& method) {
  const pb::Descriptor& request = *method.input_type();
  std::vector<std::string> signature;
  signature.reserve(request.field_count() + 1);
  signature.emplace_back("struct");
  for (int i = 0; i < request.field_count(); ++i) {
    signature.emplace_back(XmlRpcTypeOf(*request.field(i), false));
  }
  return signature;
}

std::string XmlRpcMethodHelp(const pb::MethodDescriptor& method) {
  std::string out = absl::StrCat(method.full_name(), "(", method.input_type()->full_name(),
                                 ") returns ", method.output_type()->full_name(), "\n",
                                 "Params: one struct with the request's fields by name, or the "
                                 "fields in this order:\n");
  AppendFieldList(*method.input_type(), /*numbered=*/true, out);
  absl::StrAppend(&out, "Returns a struct:\n");
  AppendFieldList(*method.output_type(), /*numbered=*/false, out);
  absl::StrAppend(&out,
                  "(Field names and types only: descriptor comments are not available at run "
                  "time.)\n");
  return out;
}

}  // namespace weft::gateways::http
