// JsonTree: a plain JSON value tree and a strict parser for it, for tests and the fuzz target to
// check what the codec reads and writes against an independent parse.
//
// Part of //protocols/jsonrpc/testing (testonly). It uses RapidJSON's reader, parsing in place
// and recursively, rather than rapidjson::Document: the Document's internal stack does
// arithmetic on a null pointer on first use, which clang's UBSan (`--config=fuzz`) reports.
#ifndef WEFT_PROTOCOLS_JSONRPC_TESTING_JSON_TREE_H_
#define WEFT_PROTOCOLS_JSONRPC_TESTING_JSON_TREE_H_

#include <rapidjson/reader.h>
#include <rapidjson/stream.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace weft::protocols::jsonrpc::testing {

struct JsonTree {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  // The first member named `key`, or nullptr.
  const JsonTree* Find(absl::string_view key) const {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) return &items[i];
    }
    return nullptr;
  }
  bool operator==(const JsonTree& other) const = default;

  Type type = Type::kNull;
  std::string text;               // A string unescaped, a number as written, "true", "false".
  std::vector<JsonTree> items;    // Elements, or member values.
  std::vector<std::string> keys;  // Member names, beside `items`.
};

enum class JsonVerdict { kValid, kInvalid, kTooDeep };

// Deeper text makes the parser give up (the tree and RapidJSON's parser both recurse).
inline constexpr std::size_t kJsonTreeMaxDepth = 200;

namespace internal {

// RapidJSON's Handler concept, building a JsonTree. Numbers arrive as RawNumber() only.
class JsonTreeBuilder {
 public:
  explicit JsonTreeBuilder(JsonTree& root) : root_(root) {}

  bool too_deep() const { return too_deep_; }

  bool Null() { return Add(JsonTree::Type::kNull, {}); }
  bool Bool(bool b) { return Add(JsonTree::Type::kBool, b ? "true" : "false"); }
  bool Int(int) { return false; }
  bool Uint(unsigned) { return false; }
  bool Int64(int64_t) { return false; }
  bool Uint64(uint64_t) { return false; }
  bool Double(double) { return false; }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    return Add(JsonTree::Type::kNumber, absl::string_view(s, n));
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    return Add(JsonTree::Type::kString, absl::string_view(s, n));
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    open_.back()->keys.emplace_back(s, n);
    return true;
  }
  bool StartObject() { return Open(JsonTree::Type::kObject); }
  bool EndObject(rapidjson::SizeType) { return Close(); }
  bool StartArray() { return Open(JsonTree::Type::kArray); }
  bool EndArray(rapidjson::SizeType) { return Close(); }

 private:
  JsonTree* Place() { return open_.empty() ? &root_ : &open_.back()->items.emplace_back(); }
  bool Add(JsonTree::Type type, absl::string_view text) {
    JsonTree* value = Place();
    value->type = type;
    value->text = std::string(text);
    return true;
  }
  bool Open(JsonTree::Type type) {
    if (open_.size() >= kJsonTreeMaxDepth) {
      too_deep_ = true;
      return false;
    }
    // A container's items do not move while a child is open: siblings come after it closes.
    JsonTree* value = Place();
    value->type = type;
    open_.push_back(value);
    return true;
  }
  bool Close() {
    open_.pop_back();
    return true;
  }

  JsonTree& root_;
  std::vector<JsonTree*> open_;
  bool too_deep_ = false;
};

}  // namespace internal

// Parses `json` as exactly one RFC 8259 JSON text: UTF-8 checked, nothing but whitespace
// around the value (a NUL byte included). No byte order mark.
inline JsonVerdict ParseJsonTree(absl::string_view json, JsonTree& out) {
  out = JsonTree();
  std::string buffer(json);
  buffer.append(4, '\0');  // RapidJSON's UTF-8 check reads up to 3 bytes ahead unchecked.
  rapidjson::InsituStringStream stream(buffer.data());
  internal::JsonTreeBuilder builder(out);
  rapidjson::Reader reader;
  constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseValidateEncodingFlag |
                              rapidjson::kParseNumbersAsStringsFlag;
  const rapidjson::ParseResult result = reader.Parse<kFlags>(stream, builder);
  if (builder.too_deep()) return JsonVerdict::kTooDeep;
  return result && stream.Tell() == json.size() ? JsonVerdict::kValid : JsonVerdict::kInvalid;
}

}  // namespace weft::protocols::jsonrpc::testing

#endif  // WEFT_PROTOCOLS_JSONRPC_TESTING_JSON_TREE_H_
