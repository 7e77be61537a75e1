#include "protocols/xmlrpc/xmlrpc_types.h"

#include <bit>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "protocols/xmlrpc/date_time.h"
#include "reactor/base/check.h"

namespace weft::protocols::xmlrpc {

absl::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kNil:
      return "nil";
    case ValueType::kBoolean:
      return "boolean";
    case ValueType::kInt:
      return "int";
    case ValueType::kDouble:
      return "double";
    case ValueType::kString:
      return "string";
    case ValueType::kDateTime:
      return "dateTime.iso8601";
    case ValueType::kBase64:
      return "base64";
    case ValueType::kArray:
      return "array";
    case ValueType::kStruct:
      return "struct";
  }
  return "unknown";
}

bool IsValidMethodName(absl::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == ':' || c == '/';
    if (!ok) return false;
  }
  return true;
}

// --- ValueTree ---------------------------------------------------------------------------------

void ValueTree::Clear() {
  nodes_.clear();
  text_.clear();
  open_.clear();
  pending_name_.reset();
}

ValueRef ValueTree::value(uint32_t index) const {
  WEFT_DCHECK(index < nodes_.size());
  return ValueRef(this, index);
}

uint64_t ValueTree::AppendText(absl::string_view text) {
  WEFT_CHECK(text_.size() + text.size() <= std::numeric_limits<uint32_t>::max());
  const uint64_t packed = (uint64_t{text_.size()} << 32) | text.size();
  text_.append(text.data(), text.size());
  return packed;
}

absl::string_view ValueTree::Text(uint64_t packed) const {
  return absl::string_view(text_).substr(packed >> 32, packed & 0xffffffffu);
}

absl::string_view ValueTree::NameOf(uint32_t index) const {
  const Node& node = nodes_[index];
  return absl::string_view(text_).substr(node.name_offset, node.name_size);
}

uint32_t ValueTree::AddNode(ValueType type, uint64_t payload) {
  WEFT_CHECK(nodes_.size() < std::numeric_limits<uint32_t>::max());
  const bool in_struct = !open_.empty() && nodes_[open_.back()].type == ValueType::kStruct;
  WEFT_CHECK(in_struct == pending_name_.has_value());
  const uint32_t index = static_cast<uint32_t>(nodes_.size());
  Node& node = nodes_.emplace_back();
  node.type = type;
  node.payload = payload;
  node.end = index + 1;
  if (pending_name_.has_value()) {
    node.name_offset = static_cast<uint32_t>(*pending_name_ >> 32);
    node.name_size = static_cast<uint32_t>(*pending_name_ & 0xffffffffu);
    pending_name_.reset();
  }
  if (!open_.empty()) ++nodes_[open_.back()].size;
  return index;
}

uint32_t ValueTree::AddNil() { return AddNode(ValueType::kNil, 0); }

uint32_t ValueTree::AddBoolean(bool value) { return AddNode(ValueType::kBoolean, value ? 1 : 0); }

uint32_t ValueTree::AddInt(int64_t value) {
  return AddNode(ValueType::kInt, static_cast<uint64_t>(value));
}

uint32_t ValueTree::AddDouble(double value) {
  return AddNode(ValueType::kDouble, std::bit_cast<uint64_t>(value));
}

uint32_t ValueTree::AddString(absl::string_view text) {
  return AddNode(ValueType::kString, AppendText(text));
}

uint32_t ValueTree::AddBase64(absl::string_view bytes) {
  return AddNode(ValueType::kBase64, AppendText(bytes));
}

uint32_t ValueTree::AddDateTime(absl::string_view iso8601) {
  WEFT_DCHECK(ParseDateTime(iso8601).ok());
  return AddNode(ValueType::kDateTime, AppendText(iso8601));
}

uint32_t ValueTree::BeginArray() {
  const uint32_t index = AddNode(ValueType::kArray, 0);
  open_.push_back(index);
  return index;
}

uint32_t ValueTree::BeginStruct() {
  const uint32_t index = AddNode(ValueType::kStruct, 0);
  open_.push_back(index);
  return index;
}

void ValueTree::AddMember(absl::string_view name) {
  WEFT_CHECK(!open_.empty() && nodes_[open_.back()].type == ValueType::kStruct);
  WEFT_CHECK(!pending_name_.has_value());
  pending_name_ = AppendText(name);
}

void ValueTree::End() {
  WEFT_CHECK(!open_.empty() && !pending_name_.has_value());
  nodes_[open_.back()].end = static_cast<uint32_t>(nodes_.size());
  open_.pop_back();
}

uint32_t ValueTree::AddCopy(ValueRef value) {
  WEFT_CHECK(value.tree_ != this);
  const ValueTree& from = *value.tree_;
  const uint32_t first = value.index_;
  const uint32_t last = from.nodes_[first].end;
  // Copy the subtree node by node, re-pointing its text into this tree; then fix the `end`s,
  // which move by the same distance as the nodes.
  const uint32_t copy = AddNode(from.nodes_[first].type, 0);
  nodes_.resize(nodes_.size() + (last - first - 1));
  for (uint32_t i = first; i < last; ++i) {
    const Node& src = from.nodes_[i];
    Node& dst = nodes_[copy + (i - first)];
    if (i != first) {
      dst = src;
      const uint64_t name = AppendText(from.NameOf(i));
      dst.name_offset = static_cast<uint32_t>(name >> 32);
    } else {
      dst.size = src.size;
      dst.payload = src.payload;
    }
    dst.end = copy + (src.end - first);
    const bool has_text = src.type == ValueType::kString || src.type == ValueType::kBase64 ||
                          src.type == ValueType::kDateTime;
    if (has_text) dst.payload = AppendText(from.Text(src.payload));
  }
  return copy;
}

// --- ValueRef ----------------------------------------------------------------------------------

ValueType ValueRef::type() const { return tree_->nodes_[index_].type; }

bool ValueRef::bool_value() const {
  WEFT_DCHECK(type() == ValueType::kBoolean);
  return tree_->nodes_[index_].payload != 0;
}

int64_t ValueRef::int_value() const {
  WEFT_DCHECK(type() == ValueType::kInt);
  return static_cast<int64_t>(tree_->nodes_[index_].payload);
}

double ValueRef::double_value() const {
  WEFT_DCHECK(type() == ValueType::kDouble);
  return std::bit_cast<double>(tree_->nodes_[index_].payload);
}

absl::string_view ValueRef::string_value() const {
  WEFT_DCHECK(type() == ValueType::kString || type() == ValueType::kBase64 ||
              type() == ValueType::kDateTime);
  return tree_->Text(tree_->nodes_[index_].payload);
}

DateTime ValueRef::date_time_value() const {
  absl::StatusOr<DateTime> parsed = ParseDateTime(string_value());
  WEFT_DCHECK(parsed.ok());
  return parsed.ok() ? *parsed : DateTime{};
}

std::size_t ValueRef::size() const { return tree_->nodes_[index_].size; }

ValueRef::Range<ValueRef> ValueRef::elements() const {
  WEFT_DCHECK(type() == ValueType::kArray);
  return Range<ValueRef>(tree_, index_ + 1, tree_->nodes_[index_].end);
}

ValueRef::Range<Member> ValueRef::members() const {
  WEFT_DCHECK(type() == ValueType::kStruct);
  return Range<Member>(tree_, index_ + 1, tree_->nodes_[index_].end);
}

std::optional<ValueRef> ValueRef::Find(absl::string_view name) const {
  for (const Member& member : members()) {
    if (member.name == name) return member.value;
  }
  return std::nullopt;
}

bool operator==(ValueRef a, ValueRef b) {
  const ValueTree& ta = *a.tree_;
  const ValueTree& tb = *b.tree_;
  const uint32_t length = ta.nodes_[a.index_].end - a.index_;
  if (length != tb.nodes_[b.index_].end - b.index_) return false;
  for (uint32_t i = 0; i < length; ++i) {
    const ValueTree::Node& na = ta.nodes_[a.index_ + i];
    const ValueTree::Node& nb = tb.nodes_[b.index_ + i];
    if (na.type != nb.type || na.size != nb.size) return false;
    // The subtrees have the same shape only if every `end` sits at the same distance.
    if (na.end - a.index_ != nb.end - b.index_) return false;
    if (i != 0 && ta.NameOf(a.index_ + i) != tb.NameOf(b.index_ + i)) return false;
    switch (na.type) {
      case ValueType::kString:
      case ValueType::kBase64:
      case ValueType::kDateTime:
        if (ta.Text(na.payload) != tb.Text(nb.payload)) return false;
        break;
      default:
        if (na.payload != nb.payload) return false;
    }
  }
  return true;
}

namespace {

void AppendDebugString(ValueRef value, std::string& out) {
  switch (value.type()) {
    case ValueType::kNil:
      out.append("nil");
      return;
    case ValueType::kBoolean:
      out.append(value.bool_value() ? "true" : "false");
      return;
    case ValueType::kInt:
      absl::StrAppend(&out, value.int_value());
      return;
    case ValueType::kDouble: {
      char buffer[32];
      const std::to_chars_result r =
          std::to_chars(buffer, buffer + sizeof(buffer), value.double_value());
      out.append(buffer, r.ptr);
      return;
    }
    case ValueType::kString:
      absl::StrAppend(&out, "\"", absl::CHexEscape(value.string_value()), "\"");
      return;
    case ValueType::kBase64:
      absl::StrAppend(&out, "b\"", absl::CHexEscape(value.string_value()), "\"");
      return;
    case ValueType::kDateTime:
      absl::StrAppend(&out, "dateTime(", absl::CHexEscape(value.string_value()), ")");
      return;
    case ValueType::kArray: {
      out.push_back('[');
      const char* separator = "";
      for (ValueRef element : value.elements()) {
        out.append(separator);
        AppendDebugString(element, out);
        separator = ", ";
      }
      out.push_back(']');
      return;
    }
    case ValueType::kStruct: {
      out.push_back('{');
      const char* separator = "";
      for (const Member& member : value.members()) {
        absl::StrAppend(&out, separator, "\"", absl::CHexEscape(member.name), "\": ");
        AppendDebugString(member.value, out);
        separator = ", ";
      }
      out.push_back('}');
      return;
    }
  }
}

}  // namespace

std::string ValueRef::DebugString() const {
  std::string out;
  AppendDebugString(*this, out);
  return out;
}

}  // namespace weft::protocols::xmlrpc
