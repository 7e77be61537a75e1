// The writing half of the XML-RPC mapping: protobuf messages as XML-RPC values, and the
// introspection texts.
#include "gateways/http/xmlrpc_mapping.h"
#include "gateways/http/xmlrpc_mapping_internal.h"

namespace weft::gateways::http {
namespace xmlrpc_mapping_internal {
namespace {

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
}  // namespace xmlrpc_mapping_internal

absl::Status WriteMessageAsXmlRpc(const google::protobuf::Message& message,
                                  protocols::xmlrpc::ValueWriter& writer) {
  if (!writer.status().ok()) return writer.status();
  xmlrpc_mapping_internal::Writer w(writer);
  return w.WriteMessage(message);
}

std::vector<std::string> XmlRpcSignature(const google::protobuf::MethodDescriptor& method) {
  const google::protobuf::Descriptor& request = *method.input_type();
  std::vector<std::string> signature;
  signature.reserve(request.field_count() + 1);
  signature.emplace_back("struct");
  for (int i = 0; i < request.field_count(); ++i) {
    signature.emplace_back(xmlrpc_mapping_internal::XmlRpcTypeOf(*request.field(i), false));
  }
  return signature;
}

std::string XmlRpcMethodHelp(const google::protobuf::MethodDescriptor& method) {
  std::string out = absl::StrCat(method.full_name(), "(", method.input_type()->full_name(),
                                 ") returns ", method.output_type()->full_name(), "\n",
                                 "Params: one struct with the request's fields by name, or the "
                                 "fields in this order:\n");
  xmlrpc_mapping_internal::AppendFieldList(*method.input_type(), /*numbered=*/true, out);
  absl::StrAppend(&out, "Returns a struct:\n");
  xmlrpc_mapping_internal::AppendFieldList(*method.output_type(), /*numbered=*/false, out);
  absl::StrAppend(&out,
                  "(Field names and types only: descriptor comments are not available at run "
                  "time.)\n");
  return out;
}

}  // namespace weft::gateways::http
