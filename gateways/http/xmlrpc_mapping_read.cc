// The reading half of the XML-RPC mapping: XML-RPC params onto a protobuf message.
#include "gateways/http/xmlrpc_mapping.h"
#include "gateways/http/xmlrpc_mapping_internal.h"

namespace weft::gateways::http {
namespace xmlrpc_mapping_internal {
namespace {

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

}  // namespace
}  // namespace xmlrpc_mapping_internal

absl::Status XmlRpcParamsToMessage(protocols::xmlrpc::ValueRef params,
                                   google::protobuf::Message& out) {
  xmlrpc_mapping_internal::Reader reader;
  return reader.ReadParams(params, out);
}

}  // namespace weft::gateways::http
