#include "gateways/http/json_mapping.h"

#include <array>
#include <bitset>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <system_error>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/stubs/common.h"
#include "protocols/jsonrpc/jsonrpc_encoder.h"
#include "rapidjson/error/en.h"
#include "rapidjson/reader.h"

namespace weft::gateways::http {
namespace {

namespace pb = google::protobuf;
using FD = pb::FieldDescriptor;

constexpr int kMaxDepth = 64;
constexpr int kSeenFields = 256;

absl::Status Bad(const FD& field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("json: field ", field.name(), ": ", why));
}

// One JSON scalar as RapidJSON's reader delivers it.
struct Scalar {
  enum class Kind { kNull, kBool, kNumber, kString } kind = Kind::kNull;
  bool bool_value = false;
  absl::string_view text;  // kNumber: the number as written; kString: the unescaped text.
};

// Whether `text` (a string holding a number) has white space around it, which absl's parsers
// would skip and protobuf's refuses.
bool Padded(absl::string_view text) {
  return !text.empty() && (absl::ascii_isspace(static_cast<unsigned char>(text.front())) ||
                           absl::ascii_isspace(static_cast<unsigned char>(text.back())));
}

// Whether a JSON number's text has a fraction or an exponent.
bool HasFraction(absl::string_view number) {
  return number.find_first_of(".eE") != absl::string_view::npos;
}

// A number (integral if written with a fraction or exponent) or a decimal string, as an Int,
// range-checked.
template <typename Int>
bool ReadInteger(const Scalar& value, Int& out) {
  if (value.kind == Scalar::Kind::kString) {
    return !Padded(value.text) && absl::SimpleAtoi(value.text, &out);
  }
  if (value.kind != Scalar::Kind::kNumber) return false;
  if (!HasFraction(value.text)) return absl::SimpleAtoi(value.text, &out);
  double d = 0;
  if (!absl::SimpleAtod(value.text, &d) || !std::isfinite(d) || std::trunc(d) != d) return false;
  // Exactly representable bounds: the min of a signed type, and 2^digits for the max.
  const double low = static_cast<double>(std::numeric_limits<Int>::min());
  const double high = std::ldexp(1.0, std::numeric_limits<Int>::digits);
  if (d < low || d >= high) return false;
  out = static_cast<Int>(d);
  return true;
}

bool ReadDouble(const Scalar& value, double& out) {
  if (value.kind == Scalar::Kind::kNumber) {
    return absl::SimpleAtod(value.text, &out) && std::isfinite(out);
  }
  if (value.kind != Scalar::Kind::kString) return false;
  if (value.text == "NaN") {
    out = std::numeric_limits<double>::quiet_NaN();
  } else if (value.text == "Infinity") {
    out = std::numeric_limits<double>::infinity();
  } else if (value.text == "-Infinity") {
    out = -std::numeric_limits<double>::infinity();
  } else {
    return !Padded(value.text) && absl::SimpleAtod(value.text, &out) && std::isfinite(out);
  }
  return true;
}

// RapidJSON's SAX handler: fills the message as the events arrive, so no DOM is built and
// RapidJSON's internal stack is never used: the parse runs in place, numbers come as their text
// (converted here exactly, by absl's integer parser and strtod), and it is recursive, its depth
// bounded by refusing to go deeper than kMaxDepth, which stops the parse.
class Handler {
 public:
  explicit Handler(pb::Message& root) : root_(root) {}

  const absl::Status& status() const { return status_; }

  bool Null() { return OnScalar(Scalar{}); }
  bool Bool(bool b) {
    Scalar v;
    v.kind = Scalar::Kind::kBool;
    v.bool_value = b;
    return OnScalar(v);
  }
  // Numbers arrive as RawNumber (kParseNumbersAsStringsFlag).
  bool Int(int) { return Fail(Internal()); }
  bool Uint(unsigned) { return Fail(Internal()); }
  bool Int64(int64_t) { return Fail(Internal()); }
  bool Uint64(uint64_t) { return Fail(Internal()); }
  bool Double(double) { return Fail(Internal()); }
  bool RawNumber(const char* text, rapidjson::SizeType size, bool) {
    Scalar v;
    v.kind = Scalar::Kind::kNumber;
    v.text = absl::string_view(text, size);
    return OnScalar(v);
  }
  bool String(const char* text, rapidjson::SizeType size, bool) {
    // RapidJSON validates the bytes, but a \u escape of a lone surrogate decodes to bytes that
    // are not UTF-8; proto3 strings must be.
    if (!pb::internal::IsStructurallyValidUTF8(text, static_cast<int>(size))) {
      return Fail(absl::InvalidArgumentError("json: a string is not valid UTF-8"));
    }
    Scalar v;
    v.kind = Scalar::Kind::kString;
    v.text = absl::string_view(text, size);
    return OnScalar(v);
  }
  bool StartObject();
  bool Key(const char* text, rapidjson::SizeType size, bool);
  bool EndObject(rapidjson::SizeType) {
    --depth_;
    return true;
  }
  bool StartArray();
  bool EndArray(rapidjson::SizeType) {
    --depth_;
    return true;
  }

 private:
  // What the next value is for.
  struct Frame {
    enum class Kind { kMessage, kRepeated, kMap } kind = Kind::kMessage;
    pb::Message* message = nullptr;
    const FD* field = nullptr;  // kMessage: the member whose value comes next (after Key).
    std::string key;            // kMap: the key of the entry whose value comes next.
    // A member named twice (also by its proto and its JSON name) is refused: kMessage, by field
    // index (the first kSeenFields fields); kMap, by key.
    std::bitset<kSeenFields> seen;
    absl::flat_hash_set<std::string> keys;
  };

  static absl::Status Internal() {
    return absl::InternalError("json: a number not as text (a parse flag is wrong)");
  }
  bool Fail(absl::Status status) {
    if (status_.ok()) status_ = std::move(status);
    return false;
  }
  bool Push(Frame::Kind kind, pb::Message* message, const FD* field) {
    if (depth_ >= kMaxDepth) {
      return Fail(
          absl::ResourceExhaustedError(absl::StrCat("json: nested deeper than ", kMaxDepth)));
    }
    Frame& frame = frames_[depth_++];
    frame.kind = kind;
    frame.message = message;
    frame.field = field;
    frame.seen.reset();
    frame.keys.clear();
    return true;
  }
  Frame& Top() { return frames_[depth_ - 1]; }
  // A oneof member about to be set while another member of its oneof is.
  absl::Status CheckOneof(const pb::Message& message, const FD& field);
  // A new map entry of the top kMap frame, its key set from the frame's key.
  absl::StatusOr<pb::Message*> NewMapEntry();
  bool OnScalar(const Scalar& value);
  // Sets (or adds, when `repeated`) `field` of `message` from `value`.
  absl::Status SetScalar(pb::Message& message, const FD& field, const Scalar& value, bool repeated);
  absl::Status SetMapKey(pb::Message& entry, const FD& key, absl::string_view text);

  pb::Message& root_;
  absl::Status status_;
  std::array<Frame, kMaxDepth> frames_;
  int depth_ = 0;
  std::string bytes_;
};

absl::Status Handler::CheckOneof(const pb::Message& message, const FD& field) {
  const pb::OneofDescriptor* oneof = field.real_containing_oneof();
  if (oneof == nullptr) return absl::OkStatus();
  const FD* set = message.GetReflection()->GetOneofFieldDescriptor(message, oneof);
  if (set != nullptr && set != &field) {
    return Bad(field, absl::StrCat("oneof ", oneof->name(), " already has ", set->name()));
  }
  return absl::OkStatus();
}

absl::StatusOr<pb::Message*> Handler::NewMapEntry() {
  Frame& frame = Top();
  pb::Message* entry = frame.message->GetReflection()->AddMessage(frame.message, frame.field);
  if (absl::Status s = SetMapKey(*entry, *frame.field->message_type()->map_key(), frame.key);
      !s.ok()) {
    return s;
  }
  return entry;
}

bool Handler::StartObject() {
  if (depth_ == 0) return Push(Frame::Kind::kMessage, &root_, nullptr);
  Frame& frame = Top();
  switch (frame.kind) {
    case Frame::Kind::kMessage: {
      const FD& field = *frame.field;
      if (field.is_map()) return Push(Frame::Kind::kMap, frame.message, &field);
      if (field.is_repeated() || field.cpp_type() != FD::CPPTYPE_MESSAGE) {
        return Fail(Bad(field, "unexpected object"));
      }
      if (absl::Status s = CheckOneof(*frame.message, field); !s.ok()) return Fail(s);
      return Push(Frame::Kind::kMessage,
                  frame.message->GetReflection()->MutableMessage(frame.message, &field), nullptr);
    }
    case Frame::Kind::kRepeated: {
      const FD& field = *frame.field;
      if (field.cpp_type() != FD::CPPTYPE_MESSAGE) return Fail(Bad(field, "unexpected object"));
      return Push(Frame::Kind::kMessage,
                  frame.message->GetReflection()->AddMessage(frame.message, &field), nullptr);
    }
    case Frame::Kind::kMap: {
      const FD& mapped = *frame.field->message_type()->map_value();
      if (mapped.cpp_type() != FD::CPPTYPE_MESSAGE) {
        return Fail(Bad(*frame.field, "unexpected object"));
      }
      absl::StatusOr<pb::Message*> entry = NewMapEntry();
      if (!entry.ok()) return Fail(entry.status());
      return Push(Frame::Kind::kMessage, (*entry)->GetReflection()->MutableMessage(*entry, &mapped),
                  nullptr);
    }
  }
  return Fail(Internal());
}

bool Handler::Key(const char* text, rapidjson::SizeType size, bool) {
  Frame& frame = Top();
  const absl::string_view name(text, size);
  if (!pb::internal::IsStructurallyValidUTF8(text, static_cast<int>(size))) {
    return Fail(absl::InvalidArgumentError("json: a member name is not valid UTF-8"));
  }
  if (frame.kind == Frame::Kind::kMap) {
    frame.key.assign(name.data(), name.size());
    if (!frame.keys.insert(frame.key).second) {
      return Fail(Bad(*frame.field, absl::StrCat("map key '", name, "' given twice")));
    }
    return true;
  }
  const pb::Descriptor& type = *frame.message->GetDescriptor();
  frame.field = FindFieldByProtoOrJsonName(type, name);
  if (frame.field == nullptr) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("json: ", type.full_name(), " has no field '", name, "'")));
  }
  const int index = frame.field->index();
  if (index < kSeenFields) {
    if (frame.seen.test(index)) return Fail(Bad(*frame.field, "given twice"));
    frame.seen.set(index);
  }
  return true;
}

bool Handler::StartArray() {
  if (depth_ == 0) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("json: ", root_.GetDescriptor()->full_name(), " must be a JSON object")));
  }
  Frame& frame = Top();
  if (frame.kind != Frame::Kind::kMessage || !frame.field->is_repeated() || frame.field->is_map()) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("json: unexpected array", frame.field != nullptr ? " for field " : "",
                     frame.field != nullptr ? frame.field->name() : "")));
  }
  return Push(Frame::Kind::kRepeated, frame.message, frame.field);
}

bool Handler::OnScalar(const Scalar& value) {
  if (depth_ == 0) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("json: ", root_.GetDescriptor()->full_name(), " must be a JSON object")));
  }
  Frame& frame = Top();
  const bool null = value.kind == Scalar::Kind::kNull;
  switch (frame.kind) {
    case Frame::Kind::kMessage: {
      const FD& field = *frame.field;
      if (null) return true;  // The default.
      if (field.is_map()) return Fail(Bad(field, "expected an object (a map)"));
      if (field.is_repeated()) return Fail(Bad(field, "expected an array"));
      if (absl::Status s = CheckOneof(*frame.message, field); !s.ok()) return Fail(s);
      absl::Status s = SetScalar(*frame.message, field, value, false);
      return s.ok() || Fail(s);
    }
    case Frame::Kind::kRepeated: {
      if (null) return Fail(Bad(*frame.field, "null in a repeated field"));
      absl::Status s = SetScalar(*frame.message, *frame.field, value, true);
      return s.ok() || Fail(s);
    }
    case Frame::Kind::kMap: {
      if (null) return Fail(Bad(*frame.field, "null map value"));
      absl::StatusOr<pb::Message*> entry = NewMapEntry();
      if (!entry.ok()) return Fail(entry.status());
      absl::Status s = SetScalar(**entry, *frame.field->message_type()->map_value(), value, false);
      return s.ok() || Fail(s);
    }
  }
  return Fail(Internal());
}

absl::Status Handler::SetMapKey(pb::Message& entry, const FD& key, absl::string_view text) {
  const pb::Reflection& r = *entry.GetReflection();
  bool ok = true;
  switch (key.cpp_type()) {
    case FD::CPPTYPE_STRING:
      r.SetString(&entry, &key, std::string(text));
      break;
    case FD::CPPTYPE_BOOL:
      ok = text == "true" || text == "false";
      r.SetBool(&entry, &key, text == "true");
      break;
    case FD::CPPTYPE_INT32: {
      int32_t v = 0;
      ok = absl::SimpleAtoi(text, &v);
      r.SetInt32(&entry, &key, v);
      break;
    }
    case FD::CPPTYPE_INT64: {
      int64_t v = 0;
      ok = absl::SimpleAtoi(text, &v);
      r.SetInt64(&entry, &key, v);
      break;
    }
    case FD::CPPTYPE_UINT32: {
      uint32_t v = 0;
      ok = absl::SimpleAtoi(text, &v);
      r.SetUInt32(&entry, &key, v);
      break;
    }
    case FD::CPPTYPE_UINT64: {
      uint64_t v = 0;
      ok = absl::SimpleAtoi(text, &v);
      r.SetUInt64(&entry, &key, v);
      break;
    }
    default:
      ok = false;
  }
  if (!ok) return Bad(key, absl::StrCat("bad map key '", text, "'"));
  return absl::OkStatus();
}

absl::Status Handler::SetScalar(pb::Message& out, const FD& field, const Scalar& value,
                                bool repeated) {
  const pb::Reflection& r = *out.GetReflection();
  switch (field.cpp_type()) {
    case FD::CPPTYPE_INT32: {
      int32_t v = 0;
      if (!ReadInteger(value, v)) return Bad(field, "expected an int32");
      repeated ? r.AddInt32(&out, &field, v) : r.SetInt32(&out, &field, v);
      return absl::OkStatus();
    }
    case FD::CPPTYPE_INT64: {
      int64_t v = 0;
      if (!ReadInteger(value, v)) return Bad(field, "expected an int64");
      repeated ? r.AddInt64(&out, &field, v) : r.SetInt64(&out, &field, v);
      return absl::OkStatus();
    }
    case FD::CPPTYPE_UINT32: {
      uint32_t v = 0;
      if (!ReadInteger(value, v)) return Bad(field, "expected a uint32");
      repeated ? r.AddUInt32(&out, &field, v) : r.SetUInt32(&out, &field, v);
      return absl::OkStatus();
    }
    case FD::CPPTYPE_UINT64: {
      uint64_t v = 0;
      if (!ReadInteger(value, v)) return Bad(field, "expected a uint64");
      repeated ? r.AddUInt64(&out, &field, v) : r.SetUInt64(&out, &field, v);
      return absl::OkStatus();
    }
    case FD::CPPTYPE_DOUBLE: {
      double v = 0;
      if (!ReadDouble(value, v)) return Bad(field, "expected a number");
      repeated ? r.AddDouble(&out, &field, v) : r.SetDouble(&out, &field, v);
      return absl::OkStatus();
    }
    case FD::CPPTYPE_FLOAT: {
      double v = 0;
      if (!ReadDouble(value, v)) return Bad(field, "expected a number");
      if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max()) {
        return Bad(field, "out of range for a float");
      }
      const float f = static_cast<float>(v);
      repeated ? r.AddFloat(&out, &field, f) : r.SetFloat(&out, &field, f);
      return absl::OkStatus();
    }
    case FD::CPPTYPE_BOOL: {
      bool v = false;
      if (value.kind == Scalar::Kind::kBool) {
        v = value.bool_value;
      } else if (value.kind == Scalar::Kind::kString &&
                 (value.text == "true" || value.text == "false")) {
        v = value.text == "true";  // As protobuf's parser allows.
      } else {
        return Bad(field, "expected true or false");
      }
      repeated ? r.AddBool(&out, &field, v) : r.SetBool(&out, &field, v);
      return absl::OkStatus();
    }
    case FD::CPPTYPE_ENUM: {
      const pb::EnumDescriptor& type = *field.enum_type();
      int number = 0;
      if (value.kind == Scalar::Kind::kString) {
        const pb::EnumValueDescriptor* known = type.FindValueByName(std::string(value.text));
        if (known == nullptr) {
          return Bad(field, absl::StrCat("'", value.text, "' is not a ", type.full_name()));
        }
        number = known->number();
      } else if (!ReadInteger(value, number)) {
        return Bad(field, absl::StrCat("expected a ", type.full_name()));
      } else if (type.file()->syntax() == pb::FileDescriptor::SYNTAX_PROTO2 &&
                 type.FindValueByNumber(number) == nullptr) {
        // A proto2 enum is closed: only its declared numbers.
        return Bad(field, absl::StrCat(number, " is not a ", type.full_name()));
      }
      repeated ? r.AddEnumValue(&out, &field, number) : r.SetEnumValue(&out, &field, number);
      return absl::OkStatus();
    }
    case FD::CPPTYPE_STRING: {
      if (value.kind != Scalar::Kind::kString) return Bad(field, "expected a string");
      if (field.type() == FD::TYPE_BYTES) {
        if (!absl::Base64Unescape(value.text, &bytes_) &&
            !absl::WebSafeBase64Unescape(value.text, &bytes_)) {
          return Bad(field, "expected base64");
        }
        repeated ? r.AddString(&out, &field, bytes_) : r.SetString(&out, &field, bytes_);
      } else {
        repeated ? r.AddString(&out, &field, std::string(value.text))
                 : r.SetString(&out, &field, std::string(value.text));
      }
      return absl::OkStatus();
    }
    case FD::CPPTYPE_MESSAGE:
      return Bad(field, "expected an object");
  }
  return Bad(field, "unsupported type");
}

// --- Writing ---------------------------------------------------------------------------------

template <typename Number>
void AppendShortest(Number value, std::string& out) {
  if (std::isnan(value)) {
    out += "\"NaN\"";
  } else if (std::isinf(value)) {
    out += value > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else if (value == 0 && std::signbit(value)) {
    out += "-0.0";  // "-0" reads back as the integer 0 in protobuf's parser, losing the sign.
  } else {
    std::array<char, 32> buffer;
    const std::to_chars_result end =
        std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    out.append(buffer.data(), end.ptr);
  }
}

void WriteMessage(const pb::Message& message, std::string& out);

void WriteValue(const pb::Message& message, const FD& field, int index, std::string& out) {
  const pb::Reflection& r = *message.GetReflection();
  const bool repeated = index >= 0;
  switch (field.cpp_type()) {
    case FD::CPPTYPE_INT32:
      absl::StrAppend(&out, repeated ? r.GetRepeatedInt32(message, &field, index)
                                     : r.GetInt32(message, &field));
      return;
    case FD::CPPTYPE_UINT32:
      absl::StrAppend(&out, repeated ? r.GetRepeatedUInt32(message, &field, index)
                                     : r.GetUInt32(message, &field));
      return;
    case FD::CPPTYPE_INT64:
      absl::StrAppend(
          &out, "\"",
          repeated ? r.GetRepeatedInt64(message, &field, index) : r.GetInt64(message, &field),
          "\"");
      return;
    case FD::CPPTYPE_UINT64:
      absl::StrAppend(
          &out, "\"",
          repeated ? r.GetRepeatedUInt64(message, &field, index) : r.GetUInt64(message, &field),
          "\"");
      return;
    case FD::CPPTYPE_DOUBLE:
      AppendShortest(
          repeated ? r.GetRepeatedDouble(message, &field, index) : r.GetDouble(message, &field),
          out);
      return;
    case FD::CPPTYPE_FLOAT:
      AppendShortest(
          repeated ? r.GetRepeatedFloat(message, &field, index) : r.GetFloat(message, &field), out);
      return;
    case FD::CPPTYPE_BOOL:
      out += (repeated ? r.GetRepeatedBool(message, &field, index) : r.GetBool(message, &field))
                 ? "true"
                 : "false";
      return;
    case FD::CPPTYPE_ENUM: {
      const int number = repeated ? r.GetRepeatedEnumValue(message, &field, index)
                                  : r.GetEnumValue(message, &field);
      if (const pb::EnumValueDescriptor* known = field.enum_type()->FindValueByNumber(number)) {
        absl::StrAppend(&out, "\"", known->name(), "\"");
      } else {
        absl::StrAppend(&out, number);
      }
      return;
    }
    case FD::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& text = repeated
                                    ? r.GetRepeatedStringReference(message, &field, index, &scratch)
                                    : r.GetStringReference(message, &field, &scratch);
      if (field.type() == FD::TYPE_BYTES) {
        absl::StrAppend(&out, "\"", absl::Base64Escape(text), "\"");
      } else {
        protocols::jsonrpc::EncodeString(text, out);
      }
      return;
    }
    case FD::CPPTYPE_MESSAGE:
      WriteMessage(
          repeated ? r.GetRepeatedMessage(message, &field, index) : r.GetMessage(message, &field),
          out);
      return;
  }
}

void WriteMapKey(const pb::Message& entry, const FD& key, std::string& out) {
  const pb::Reflection& r = *entry.GetReflection();
  switch (key.cpp_type()) {
    case FD::CPPTYPE_STRING:
      protocols::jsonrpc::EncodeString(r.GetString(entry, &key), out);
      return;
    case FD::CPPTYPE_BOOL:
      out += r.GetBool(entry, &key) ? "\"true\"" : "\"false\"";
      return;
    case FD::CPPTYPE_INT32:
      absl::StrAppend(&out, "\"", r.GetInt32(entry, &key), "\"");
      return;
    case FD::CPPTYPE_INT64:
      absl::StrAppend(&out, "\"", r.GetInt64(entry, &key), "\"");
      return;
    case FD::CPPTYPE_UINT32:
      absl::StrAppend(&out, "\"", r.GetUInt32(entry, &key), "\"");
      return;
    case FD::CPPTYPE_UINT64:
      absl::StrAppend(&out, "\"", r.GetUInt64(entry, &key), "\"");
      return;
    default:
      out += "\"\"";
  }
}

void WriteMessage(const pb::Message& message, std::string& out) {
  const pb::Descriptor& type = *message.GetDescriptor();
  const pb::Reflection& r = *message.GetReflection();
  out.push_back('{');
  bool first = true;
  for (int i = 0; i < type.field_count(); ++i) {
    const FD& field = *type.field(i);
    if (!field.is_repeated() && field.has_presence() && !r.HasField(message, &field)) continue;
    if (!first) out.push_back(',');
    first = false;
    absl::StrAppend(&out, "\"", field.json_name(), "\":");
    if (field.is_map()) {
      const FD& key = *field.message_type()->map_key();
      const FD& mapped = *field.message_type()->map_value();
      out.push_back('{');
      const int size = r.FieldSize(message, &field);
      for (int j = 0; j < size; ++j) {
        const pb::Message& entry = r.GetRepeatedMessage(message, &field, j);
        if (j > 0) out.push_back(',');
        WriteMapKey(entry, key, out);
        out.push_back(':');
        WriteValue(entry, mapped, -1, out);
      }
      out.push_back('}');
    } else if (field.is_repeated()) {
      out.push_back('[');
      const int size = r.FieldSize(message, &field);
      for (int j = 0; j < size; ++j) {
        if (j > 0) out.push_back(',');
        WriteValue(message, field, j, out);
      }
      out.push_back(']');
    } else {
      WriteValue(message, field, -1, out);
    }
  }
  out.push_back('}');
}

}  // namespace

const pb::FieldDescriptor* FindFieldByProtoOrJsonName(const pb::Descriptor& type,
                                                      absl::string_view name) {
  const FD* by_json_name = nullptr;
  for (int i = 0; i < type.field_count(); ++i) {
    const FD* field = type.field(i);
    if (field->name() == name) return field;
    if (by_json_name == nullptr && field->json_name() == name) by_json_name = field;
  }
  return by_json_name;
}

bool JsonMappingSupport::Supported(const pb::Descriptor& type) {
  auto it = cache_.find(&type);
  if (it != cache_.end()) return it->second;
  const bool supported = Compute(type, 0);
  cache_[&type] = supported;
  return supported;
}

bool JsonMappingSupport::Compute(const pb::Descriptor& type, int depth) {
  if (depth > kMaxDepth) return true;  // A recursive type: its fields were checked above.
  if (type.well_known_type() != pb::Descriptor::WELLKNOWNTYPE_UNSPECIFIED) return false;
  for (int i = 0; i < type.field_count(); ++i) {
    const FD& field = *type.field(i);
    if (field.type() == FD::TYPE_GROUP) return false;
    if (field.cpp_type() != FD::CPPTYPE_MESSAGE) continue;
    const pb::Descriptor& sub = *field.message_type();
    if (&sub == &type) continue;
    if (field.is_map()) {
      const FD& mapped = *sub.map_value();
      if (mapped.cpp_type() == FD::CPPTYPE_MESSAGE && !Compute(*mapped.message_type(), depth + 1)) {
        return false;
      }
      continue;
    }
    if (!Compute(sub, depth + 1)) return false;
  }
  return true;
}

absl::Status JsonToMessage(absl::string_view json, pb::Message& out, std::string& buffer) {
  out.Clear();
  // Parsed in place: a NUL-terminated copy that RapidJSON unescapes strings into.
  buffer.assign(json.data(), json.size());
  buffer.push_back('\0');
  Handler handler(out);
  rapidjson::Reader reader;
  rapidjson::InsituStringStream stream(buffer.data());
  const rapidjson::ParseResult result =
      reader.Parse<rapidjson::kParseInsituFlag | rapidjson::kParseNumbersAsStringsFlag |
                   rapidjson::kParseValidateEncodingFlag>(stream, handler);
  if (!handler.status().ok()) return handler.status();
  if (result.IsError()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "json: ", rapidjson::GetParseError_En(result.Code()), " at ", result.Offset()));
  }
  return absl::OkStatus();
}

void MessageToJson(const pb::Message& message, std::string& out) { WriteMessage(message, out); }

}  // namespace weft::gateways::http
