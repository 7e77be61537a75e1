// The XML-RPC value model: ValueTree (a flat, reusable store of values), ValueRef (a read-only
// handle to one value in it), and the MethodCall, MethodResponse and Fault messages.
//
// Part of //protocols/xmlrpc (sans-I/O). A tree keeps its values as one vector of fixed-size
// nodes in document order (pre-order: a container, then its children) plus one string holding
// all their text, so parsing a document allocates nothing once the vectors have grown, and
// Clear() keeps the capacity for the next request. Types (docs/xmlrpc.md, "Value model"):
//   kInt       <int>, <i4> (32-bit) and <i8> (64-bit), held as int64_t
//   kBoolean   <boolean>, 0 or 1
//   kString    <string>, and a <value> holding only text
//   kDouble    <double>; finite when parsed (the encoder refuses NaN and infinities)
//   kDateTime  <dateTime.iso8601>, kept as its text; date_time_value() has the fields
//   kBase64    <base64>, kept decoded
//   kArray, kStruct (members in document order; the decoder refuses duplicate names, the
//              builder does not check)
//   kNil       <nil/>, the common extension Python sends with allow_none=True
#ifndef WEFT_PROTOCOLS_XMLRPC_XMLRPC_TYPES_H_
#define WEFT_PROTOCOLS_XMLRPC_XMLRPC_TYPES_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "protocols/xmlrpc/date_time.h"

namespace weft::protocols::xmlrpc {

enum class ValueType : uint8_t {
  kNil,
  kBoolean,
  kInt,
  kDouble,
  kString,
  kDateTime,
  kBase64,
  kArray,
  kStruct,
};

// "nil", "boolean", "int", "double", "string", "dateTime.iso8601", "base64", "array", "struct".
absl::string_view ValueTypeName(ValueType type);

// The spec's charset for a methodName: non-empty, only A-Z a-z 0-9 _ . : /
bool IsValidMethodName(absl::string_view name);

class ValueTree;
struct Member;

// A value inside a ValueTree: a pointer to the tree and an index, valid until the tree is
// cleared or destroyed (adding values to the tree does not invalidate it). Calling an accessor
// for another type (int_value() on a string) is a bug, checked in debug builds.
class ValueRef {
 public:
  // Iterates over the elements of an array (T = ValueRef) or the members of a struct (Member).
  template <typename T>
  class Range;

  ValueType type() const;
  bool bool_value() const;
  int64_t int_value() const;
  double double_value() const;
  // kString: the text; kBase64: the decoded bytes; kDateTime: the ISO 8601 text.
  absl::string_view string_value() const;
  DateTime date_time_value() const;

  // Elements of an array or members of a struct; 0 for a scalar.
  std::size_t size() const;
  Range<ValueRef> elements() const;  // kArray only
  Range<Member> members() const;     // kStruct only
  // The member called `name` of a struct, in linear time; nullopt when there is none.
  std::optional<ValueRef> Find(absl::string_view name) const;

  // A compact Python-like rendering for tests and logs: {"a": [1, "x", nil]}.
  std::string DebugString() const;

  // Deep equality of values (not of trees or positions); doubles compare bit for bit.
  friend bool operator==(ValueRef a, ValueRef b);

 private:
  friend class ValueTree;
  ValueRef(const ValueTree* tree, uint32_t index) : tree_(tree), index_(index) {}

  const ValueTree* tree_;
  uint32_t index_;
};

// For gtest and logs: the DebugString().
inline std::ostream& operator<<(std::ostream& os, ValueRef value) {
  return os << value.DebugString();
}

struct Member {
  absl::string_view name;
  ValueRef value;
};

// A sequence of top-level values, each with its subtree, built in document order. Building
// calls return the new value's index; value(index) reads it back. Inside a struct each value
// must follow AddMember(); elsewhere AddMember() must not be called; End() closes the innermost
// open array or struct. Breaking these rules, or holding over 4 GiB of text, is a bug and
// fails a WEFT_CHECK. Not thread-safe; copying copies the values.
class ValueTree {
 public:
  // Forgets all values, keeping the memory for reuse.
  void Clear();
  bool empty() const { return nodes_.empty(); }
  // Values held, counting nested ones.
  std::size_t value_count() const { return nodes_.size(); }

  ValueRef value(uint32_t index) const;
  ValueRef root() const { return value(0); }

  uint32_t AddNil();
  uint32_t AddBoolean(bool value);
  uint32_t AddInt(int64_t value);
  uint32_t AddDouble(double value);
  uint32_t AddString(absl::string_view text);
  uint32_t AddBase64(absl::string_view bytes);
  // `iso8601` must be accepted by ParseDateTime() (checked in debug builds); FormatDateTime()
  // makes one from fields.
  uint32_t AddDateTime(absl::string_view iso8601);
  // A deep copy of `value`, which must live in another tree.
  uint32_t AddCopy(ValueRef value);
  uint32_t BeginArray();
  uint32_t BeginStruct();
  void AddMember(absl::string_view name);
  void End();

 private:
  friend class ValueRef;
  friend bool operator==(ValueRef a, ValueRef b);
  template <typename T>
  friend class ValueRef::Range;

  struct Node {
    // kBoolean, kInt: the value; kDouble: its bits; text types: offset << 32 | size in text_.
    uint64_t payload = 0;
    uint32_t name_offset = 0;  // The member name, when the parent is a struct.
    uint32_t name_size = 0;
    uint32_t end = 0;   // One past the last node of this value's subtree.
    uint32_t size = 0;  // kArray, kStruct: direct children.
    ValueType type = ValueType::kNil;
  };

  uint32_t AddNode(ValueType type, uint64_t payload);
  uint64_t AppendText(absl::string_view text);
  absl::string_view Text(uint64_t packed) const;
  absl::string_view NameOf(uint32_t index) const;

  std::vector<Node> nodes_;
  std::string text_;
  std::vector<uint32_t> open_;  // Open containers, innermost last.
  std::optional<uint64_t> pending_name_;
};

template <typename T>
class ValueRef::Range {
 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = T;

    T operator*() const;
    iterator& operator++() {
      index_ = tree_->nodes_[index_].end;
      return *this;
    }
    iterator operator++(int) {
      iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const iterator&, const iterator&) = default;

   private:
    friend class Range;
    iterator(const ValueTree* tree, uint32_t index) : tree_(tree), index_(index) {}
    const ValueTree* tree_;
    uint32_t index_;
  };

  iterator begin() const { return iterator(tree_, first_); }
  iterator end() const { return iterator(tree_, end_); }

 private:
  friend class ValueRef;
  Range(const ValueTree* tree, uint32_t first, uint32_t end)
      : tree_(tree), first_(first), end_(end) {}
  const ValueTree* tree_;
  uint32_t first_;
  uint32_t end_;
};

template <>
inline ValueRef ValueRef::Range<ValueRef>::iterator::operator*() const {
  return ValueRef(tree_, index_);
}
template <>
inline Member ValueRef::Range<Member>::iterator::operator*() const {
  return Member{tree_->NameOf(index_), ValueRef(tree_, index_)};
}

// A <fault>: faultCode (an <int>) and faultString (a <string>).
struct Fault {
  int32_t code = 0;
  std::string message;

  friend bool operator==(const Fault&, const Fault&) = default;
};

// A <methodCall>. `values` holds exactly one top-level value, the params as an array (empty
// when the call has none), so params() is valid once a decoder or a caller has built it.
struct MethodCall {
  std::string method_name;
  ValueTree values;

  ValueRef params() const { return values.root(); }
};

// A <methodResponse>: `values` holds one top-level value, the returned value or, when `fault`
// is set, the fault's <struct> as sent.
struct MethodResponse {
  ValueTree values;
  std::optional<Fault> fault;

  ValueRef value() const { return values.root(); }
};

}  // namespace weft::protocols::xmlrpc

#endif  // WEFT_PROTOCOLS_XMLRPC_XMLRPC_TYPES_H_
