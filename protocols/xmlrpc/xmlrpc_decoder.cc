#include "protocols/xmlrpc/xmlrpc_decoder.h"

#include <expat.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "protocols/xmlrpc/date_time.h"
#include "protocols/xmlrpc/limits.h"
#include "protocols/xmlrpc/scalar_text.h"
#include "protocols/xmlrpc/xmlrpc_types.h"

namespace weft::protocols::xmlrpc {

namespace {

// How every error for input that is not well-formed XML begins (IsMalformedXml()).
constexpr absl::string_view kMalformedXmlPrefix = "xmlrpc: malformed XML";

}  // namespace

bool IsMalformedXml(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument &&
         absl::StartsWith(status.message(), kMalformedXmlPrefix);
}

namespace {

using internal::IsXmlWhitespace;
using internal::TrimXmlWhitespace;

// The elements of XML-RPC (spec, "Request example" through "Response example"), plus the
// <nil/> extension and the virtual parent of the root.
enum class Tag : uint8_t {
  kDocument,
  kMethodCall,
  kMethodResponse,
  kMethodName,
  kParams,
  kParam,
  kFault,
  kValue,
  kStruct,
  kMember,
  kName,
  kArray,
  kData,
  // Types of a <value>.
  kInt,
  kI4,
  kI8,
  kBoolean,
  kString,
  kDouble,
  kDateTime,
  kBase64,
  kNil,
  // Apache XML-RPC's other extension types, refused with kUnimplemented.
  kExtension,
  kUnknown,
};

struct TagName {
  absl::string_view name;
  Tag tag;
};

// Most frequent first. Apache writes its extensions with an "ex:" namespace prefix, Python
// reads them with or without; expat runs without namespace processing, so both are listed.
constexpr TagName kTagNames[] = {
    {"value", Tag::kValue},
    {"int", Tag::kInt},
    {"string", Tag::kString},
    {"member", Tag::kMember},
    {"name", Tag::kName},
    {"param", Tag::kParam},
    {"i4", Tag::kI4},
    {"boolean", Tag::kBoolean},
    {"double", Tag::kDouble},
    {"struct", Tag::kStruct},
    {"array", Tag::kArray},
    {"data", Tag::kData},
    {"nil", Tag::kNil},
    {"params", Tag::kParams},
    {"methodName", Tag::kMethodName},
    {"methodCall", Tag::kMethodCall},
    {"methodResponse", Tag::kMethodResponse},
    {"base64", Tag::kBase64},
    {"dateTime.iso8601", Tag::kDateTime},
    {"i8", Tag::kI8},
    {"fault", Tag::kFault},
    {"ex:nil", Tag::kNil},
    {"ex:i8", Tag::kI8},
    {"i1", Tag::kExtension},
    {"i2", Tag::kExtension},
    {"float", Tag::kExtension},
    {"biginteger", Tag::kExtension},
    {"bigdecimal", Tag::kExtension},
    {"dom", Tag::kExtension},
    {"serializable", Tag::kExtension},
    {"ex:i1", Tag::kExtension},
    {"ex:i2", Tag::kExtension},
    {"ex:float", Tag::kExtension},
    {"ex:biginteger", Tag::kExtension},
    {"ex:bigdecimal", Tag::kExtension},
    {"ex:dom", Tag::kExtension},
    {"ex:serializable", Tag::kExtension},
    {"ex:dateTime", Tag::kExtension},
};

Tag LookupTag(absl::string_view name) {
  for (const TagName& entry : kTagNames) {
    if (entry.name == name) return entry.tag;
  }
  return Tag::kUnknown;
}

absl::string_view NameOf(Tag tag) {
  if (tag == Tag::kDocument) return "document";
  for (const TagName& entry : kTagNames) {
    if (entry.tag == tag) return entry.name;
  }
  return "?";
}

bool IsTypeTag(Tag tag) {
  return tag == Tag::kStruct || tag == Tag::kArray || (tag >= Tag::kInt && tag <= Tag::kNil);
}

// The grammar of the spec: may `child` come next in `parent`, which already holds `seen`
// children? The root, which depends on what is parsed, is checked by the caller.
bool IsAllowed(Tag parent, uint32_t seen, Tag child) {
  switch (parent) {
    case Tag::kMethodCall:  // <methodName>, then optionally <params>.
      return (seen == 0 && child == Tag::kMethodName) || (seen == 1 && child == Tag::kParams);
    case Tag::kMethodResponse:  // <params> or <fault>.
      return seen == 0 && (child == Tag::kParams || child == Tag::kFault);
    case Tag::kParams:  // Any number; a response's one <param> is checked by the caller.
      return child == Tag::kParam;
    case Tag::kParam:
    case Tag::kFault:
      return seen == 0 && child == Tag::kValue;
    case Tag::kValue:  // Text alone, or one typed element.
      return seen == 0 && IsTypeTag(child);
    case Tag::kStruct:
      return child == Tag::kMember;
    case Tag::kMember:  // <name>, then <value>.
      return (seen == 0 && child == Tag::kName) || (seen == 1 && child == Tag::kValue);
    case Tag::kArray:
      return seen == 0 && child == Tag::kData;
    case Tag::kData:
      return child == Tag::kValue;
    default:  // Elements that hold only text.
      return false;
  }
}

// An element name from the peer as it appears in messages.
std::string Quote(absl::string_view name) { return absl::CHexEscape(name.substr(0, 40)); }

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("xmlrpc: ", message));
}

absl::StatusOr<Fault> ReadFault(ValueRef value) {
  const absl::Status bad =
      Invalid("a <fault> holds a <struct> of exactly an int faultCode and a string faultString");
  if (value.type() != ValueType::kStruct || value.size() != 2) return bad;
  const std::optional<ValueRef> code = value.Find("faultCode");
  const std::optional<ValueRef> message = value.Find("faultString");
  if (!code || !message || code->type() != ValueType::kInt ||
      message->type() != ValueType::kString || code->int_value() < INT32_MIN ||
      code->int_value() > INT32_MAX) {
    return bad;
  }
  return Fault{static_cast<int32_t>(code->int_value()), std::string(message->string_value())};
}

}  // namespace

// The expat parser and the state of the document being parsed. Handlers record the first
// error in `status_` and stop expat; expat may still deliver a callback or two after that,
// which the handlers ignore.
class XmlRpcDecoder::Parser {
 public:
  explicit Parser(const XmlRpcLimits& limits) : limits_(limits), expat_(XML_ParserCreate(nullptr)) {
    // A nonzero salt, drawn once, spares expat a getrandom() per document; a secret one keeps
    // its hash tables safe from collision floods.
    absl::BitGen random;
    salt_ = absl::Uniform<unsigned long>(random) | 1;  // NOLINT(runtime/int): expat's type.
  }
  ~Parser() {
    if (expat_ != nullptr) XML_ParserFree(expat_);
  }

  // Parses `body`, whose root must be `root`, into `tree`. For a call, `tree` gets an array
  // of the params and `method_name` the name; for a response, `is_fault` says which kind.
  absl::Status Parse(absl::string_view body, Tag root, ValueTree& tree, std::string* method_name,
                     bool* is_fault);

 private:
  // What an open element has seen: children so far (by element, see AcceptChild()) and, for
  // an array or struct, its index in the tree.
  struct Frame {
    Tag tag;
    uint32_t seen = 0;
    uint32_t node = 0;
  };

  static void XMLCALL OnStartElement(void* self, const XML_Char* name, const XML_Char** atts);
  static void XMLCALL OnEndElement(void* self, const XML_Char* name);
  static void XMLCALL OnCharacterData(void* self, const XML_Char* text, int length);
  static void XMLCALL OnStartDoctype(void* self, const XML_Char* name, const XML_Char* sysid,
                                     const XML_Char* pubid, int has_internal_subset);

  void Start(absl::string_view name);
  void End();
  void Text(absl::string_view text);
  void Fail(absl::Status status);

  absl::Status AcceptChild(Frame& parent, Tag tag, absl::string_view name);
  absl::Status Open(Tag tag);
  absl::Status Close(const Frame& frame);
  absl::Status CloseScalar(Tag tag);
  absl::Status CloseNumber(Tag tag, absl::string_view text);
  absl::Status CloseMethodName();
  absl::Status CheckUniqueNames(uint32_t node);
  std::optional<uint32_t> TextLimit(const Frame& frame) const;
  absl::Status MalformedXml() const;

  const XmlRpcLimits limits_;
  XML_Parser expat_;
  unsigned long salt_;  // NOLINT(runtime/int): expat's type.
  bool fresh_ = true;   // No document parsed since XML_ParserCreate().

  // The current document.
  Tag root_ = Tag::kMethodCall;
  absl::Status status_;
  std::vector<Frame> stack_;
  std::string text_;  // Character data of the innermost element that holds text.
  ValueTree* tree_ = nullptr;
  std::string* method_name_ = nullptr;
  bool* is_fault_ = nullptr;
  uint32_t values_ = 0;
  uint32_t depth_ = 0;
  std::vector<absl::string_view> names_;  // Scratch for CheckUniqueNames().
};

absl::Status XmlRpcDecoder::Parser::Parse(absl::string_view body, Tag root, ValueTree& tree,
                                          std::string* method_name, bool* is_fault) {
  const uint64_t max_body = std::min<uint64_t>(limits_.max_body_bytes, INT_MAX);
  if (body.size() > max_body) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("xmlrpc: body of %d bytes exceeds %d", body.size(), max_body));
  }
  if (expat_ == nullptr) return absl::InternalError("xmlrpc: expat could not create a parser");
  if (!fresh_) XML_ParserReset(expat_, nullptr);  // Also clears the handlers.
  fresh_ = false;
  XML_SetUserData(expat_, this);
  XML_SetElementHandler(expat_, &OnStartElement, &OnEndElement);
  XML_SetCharacterDataHandler(expat_, &OnCharacterData);
  // Entities can only be declared in a DTD, which only a DOCTYPE brings, and refusing it
  // leaves just the predefined entities. No external entity handler is set, and parameter
  // entities are never parsed, so nothing outside the body is ever read.
  XML_SetStartDoctypeDeclHandler(expat_, &OnStartDoctype);
  XML_SetParamEntityParsing(expat_, XML_PARAM_ENTITY_PARSING_NEVER);
  XML_SetHashSalt(expat_, salt_);

  root_ = root;
  status_ = absl::OkStatus();
  stack_.clear();
  stack_.push_back(Frame{Tag::kDocument});
  text_.clear();
  tree.Clear();
  tree_ = &tree;
  method_name_ = method_name;
  is_fault_ = is_fault;
  values_ = 0;
  depth_ = 0;
  if (root == Tag::kMethodCall) tree.BeginArray();  // The params.

  const XML_Status result =
      XML_Parse(expat_, body.data(), static_cast<int>(body.size()), /*isFinal=*/XML_TRUE);
  if (!status_.ok()) return status_;
  if (result != XML_STATUS_OK) return MalformedXml();
  if (root == Tag::kMethodCall) tree.End();
  return absl::OkStatus();
}

absl::Status XmlRpcDecoder::Parser::MalformedXml() const {
  const XML_Error code = XML_GetErrorCode(expat_);
  if (code == XML_ERROR_NO_MEMORY) {
    return absl::ResourceExhaustedError("xmlrpc: expat ran out of memory");
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "%s at line %d, column %d: %s", kMalformedXmlPrefix, XML_GetCurrentLineNumber(expat_),
      XML_GetCurrentColumnNumber(expat_), XML_ErrorString(code)));
}

void XMLCALL XmlRpcDecoder::Parser::OnStartElement(void* self, const XML_Char* name,
                                                   const XML_Char** /*atts*/) {
  // Attributes carry nothing in XML-RPC; Apache puts xmlns:ex on the root. They are ignored.
  static_cast<Parser*>(self)->Start(name);
}

void XMLCALL XmlRpcDecoder::Parser::OnEndElement(void* self, const XML_Char* /*name*/) {
  // expat checks that end tags match start tags.
  static_cast<Parser*>(self)->End();
}

void XMLCALL XmlRpcDecoder::Parser::OnCharacterData(void* self, const XML_Char* text, int length) {
  static_cast<Parser*>(self)->Text(absl::string_view(text, static_cast<std::size_t>(length)));
}

void XMLCALL XmlRpcDecoder::Parser::OnStartDoctype(void* self, const XML_Char* /*name*/,
                                                   const XML_Char* /*sysid*/,
                                                   const XML_Char* /*pubid*/,
                                                   int /*has_internal_subset*/) {
  static_cast<Parser*>(self)->Fail(
      Invalid("DOCTYPE is not allowed (no DTDs or entity declarations)"));
}

void XmlRpcDecoder::Parser::Fail(absl::Status status) {
  if (!status_.ok()) return;
  status_ = std::move(status);
  XML_StopParser(expat_, /*resumable=*/XML_FALSE);
}

void XmlRpcDecoder::Parser::Start(absl::string_view name) {
  if (!status_.ok()) return;
  const Tag tag = LookupTag(name);
  if (absl::Status s = AcceptChild(stack_.back(), tag, name); !s.ok()) return Fail(std::move(s));
  if (absl::Status s = Open(tag); !s.ok()) return Fail(std::move(s));
}

void XmlRpcDecoder::Parser::End() {
  if (!status_.ok()) return;
  const Frame frame = stack_.back();
  stack_.pop_back();
  if (absl::Status s = Close(frame); !s.ok()) Fail(std::move(s));
}

absl::Status XmlRpcDecoder::Parser::AcceptChild(Frame& parent, Tag tag, absl::string_view name) {
  if (parent.tag == Tag::kDocument) {
    if (tag == root_) return absl::OkStatus();
    return Invalid(absl::StrCat("expected <", NameOf(root_), ">, got <", Quote(name), ">"));
  }
  if (parent.tag == Tag::kValue && tag == Tag::kExtension) {
    return absl::UnimplementedError(
        absl::StrCat("xmlrpc: extension type <", Quote(name), "> is not supported"));
  }
  if (!IsAllowed(parent.tag, parent.seen, tag)) {
    return Invalid(absl::StrCat("unexpected <", Quote(name), "> in <", NameOf(parent.tag), ">"));
  }
  if (parent.tag == Tag::kValue && !IsXmlWhitespace(text_)) {
    return Invalid("<value> mixes text and an element");
  }
  if (parent.tag == Tag::kParams && root_ == Tag::kMethodResponse && parent.seen == 1) {
    return Invalid("a methodResponse has exactly one <param>");
  }
  if (tag == Tag::kFault && is_fault_ != nullptr) *is_fault_ = true;
  ++parent.seen;
  return absl::OkStatus();
}

absl::Status XmlRpcDecoder::Parser::Open(Tag tag) {
  Frame frame{tag};
  if (tag == Tag::kValue && ++values_ > limits_.max_values) {
    return absl::ResourceExhaustedError(
        absl::StrCat("xmlrpc: more than ", limits_.max_values, " values"));
  }
  if (tag == Tag::kArray || tag == Tag::kStruct) {
    if (++depth_ > limits_.max_depth) {
      return absl::ResourceExhaustedError(
          absl::StrCat("xmlrpc: arrays and structs nest deeper than ", limits_.max_depth));
    }
    frame.node = tag == Tag::kArray ? tree_->BeginArray() : tree_->BeginStruct();
  }
  text_.clear();
  stack_.push_back(frame);
  return absl::OkStatus();
}

absl::Status XmlRpcDecoder::Parser::Close(const Frame& frame) {
  switch (frame.tag) {
    case Tag::kMethodCall:
      return frame.seen != 0 ? absl::OkStatus() : Invalid("<methodCall> lacks <methodName>");
    case Tag::kMethodResponse:
      return frame.seen != 0 ? absl::OkStatus()
                             : Invalid("<methodResponse> holds neither <params> nor <fault>");
    case Tag::kMethodName:
      return CloseMethodName();
    case Tag::kParams:
      if (root_ == Tag::kMethodResponse && frame.seen == 0) {
        return Invalid("a methodResponse has exactly one <param>");
      }
      return absl::OkStatus();
    case Tag::kParam:
    case Tag::kFault:
      return frame.seen != 0 ? absl::OkStatus()
                             : Invalid(absl::StrCat("<", NameOf(frame.tag), "> lacks a <value>"));
    case Tag::kValue:
      if (frame.seen == 0) tree_->AddString(text_);  // Spec: "If no type is indicated, the
      return absl::OkStatus();                       // type is string."
    case Tag::kMember:
      return frame.seen == 2 ? absl::OkStatus() : Invalid("<member> needs a <name> and a <value>");
    case Tag::kName:
      tree_->AddMember(text_);
      return absl::OkStatus();
    case Tag::kArray:
      if (frame.seen == 0) return Invalid("<array> lacks <data>");
      tree_->End();
      --depth_;
      return absl::OkStatus();
    case Tag::kStruct:
      tree_->End();
      --depth_;
      return CheckUniqueNames(frame.node);
    case Tag::kData:
    case Tag::kDocument:
      return absl::OkStatus();
    default:
      return CloseScalar(frame.tag);
  }
}

absl::Status XmlRpcDecoder::Parser::CloseMethodName() {
  if (!IsValidMethodName(text_)) {
    return Invalid(absl::StrCat("methodName '", Quote(text_),
                                "' is empty or has a character outside A-Z a-z 0-9 _ . : /"));
  }
  if (method_name_ != nullptr) method_name_->assign(text_);
  return absl::OkStatus();
}

absl::Status XmlRpcDecoder::Parser::CloseScalar(Tag tag) {
  switch (tag) {
    case Tag::kString:
      tree_->AddString(text_);
      return absl::OkStatus();
    case Tag::kNil:  // Whitespace only, checked by Text().
      tree_->AddNil();
      return absl::OkStatus();
    case Tag::kDateTime: {
      // Dates and numbers may be padded with whitespace, as pretty-printers write them and
      // Python's int() and float() accept; strings keep every character.
      const absl::string_view text = TrimXmlWhitespace(text_);
      if (absl::StatusOr<DateTime> value = ParseDateTime(text); !value.ok()) {
        return value.status();
      }
      tree_->AddDateTime(text);
      return absl::OkStatus();
    }
    case Tag::kBase64:
      if (absl::Status s = internal::DecodeBase64InPlace(text_); !s.ok()) return s;
      tree_->AddBase64(text_);
      return absl::OkStatus();
    default:
      return CloseNumber(tag, TrimXmlWhitespace(text_));
  }
}

absl::Status XmlRpcDecoder::Parser::CloseNumber(Tag tag, absl::string_view text) {
  if (tag == Tag::kBoolean) {
    absl::StatusOr<bool> value = internal::ParseBooleanText(text);
    if (!value.ok()) return value.status();
    tree_->AddBoolean(*value);
  } else if (tag == Tag::kDouble) {
    absl::StatusOr<double> value = internal::ParseDoubleText(text);
    if (!value.ok()) return value.status();
    tree_->AddDouble(*value);
  } else {  // <int>, <i4>: 32 bits; <i8>: 64.
    const bool wide = tag == Tag::kI8;
    absl::StatusOr<int64_t> value = internal::ParseIntText(
        text, NameOf(tag), wide ? INT64_MIN : INT32_MIN, wide ? INT64_MAX : INT32_MAX);
    if (!value.ok()) return value.status();
    tree_->AddInt(*value);
  }
  return absl::OkStatus();
}

// Spec: a struct's members are named; Python and Apache keep the last of two with one name,
// which the gateway could not map to one protobuf field, so Weft refuses the document.
absl::Status XmlRpcDecoder::Parser::CheckUniqueNames(uint32_t node) {
  const ValueRef value = tree_->value(node);
  if (value.size() < 2) return absl::OkStatus();
  names_.clear();
  for (const Member& member : value.members()) names_.push_back(member.name);
  std::sort(names_.begin(), names_.end());
  const auto duplicate = std::adjacent_find(names_.begin(), names_.end());
  if (duplicate == names_.end()) return absl::OkStatus();
  return Invalid(absl::StrCat("duplicate struct member name '", Quote(*duplicate), "'"));
}

// The most text `frame` may hold, or nullopt when it holds only elements and whitespace.
std::optional<uint32_t> XmlRpcDecoder::Parser::TextLimit(const Frame& frame) const {
  switch (frame.tag) {
    case Tag::kValue:
      if (frame.seen != 0) return std::nullopt;  // Text after the typed element.
      return limits_.max_string_bytes;
    case Tag::kMethodName:
      return limits_.max_method_name_bytes;
    case Tag::kName:
    case Tag::kInt:
    case Tag::kI4:
    case Tag::kI8:
    case Tag::kBoolean:
    case Tag::kString:
    case Tag::kDouble:
    case Tag::kDateTime:
    case Tag::kBase64:
      return limits_.max_string_bytes;
    default:
      return std::nullopt;
  }
}

void XmlRpcDecoder::Parser::Text(absl::string_view text) {
  if (!status_.ok()) return;
  const Frame& top = stack_.back();
  const std::optional<uint32_t> limit = TextLimit(top);
  if (!limit.has_value()) {
    if (!IsXmlWhitespace(text)) {
      Fail(Invalid(absl::StrCat("unexpected text in <", NameOf(top.tag), ">")));
    }
    return;
  }
  if (text.size() > *limit - text_.size()) {
    return Fail(absl::ResourceExhaustedError(
        absl::StrCat("xmlrpc: text of <", NameOf(top.tag), "> exceeds ", *limit, " bytes")));
  }
  text_.append(text.data(), text.size());
}

// --- XmlRpcDecoder -----------------------------------------------------------------------------

XmlRpcDecoder::XmlRpcDecoder(const XmlRpcLimits& limits)
    : parser_(std::make_unique<Parser>(limits)) {}

XmlRpcDecoder::~XmlRpcDecoder() = default;

absl::Status XmlRpcDecoder::ParseCall(absl::string_view body, MethodCall& call) {
  call.method_name.clear();
  return parser_->Parse(body, Tag::kMethodCall, call.values, &call.method_name, nullptr);
}

absl::Status XmlRpcDecoder::ParseResponse(absl::string_view body, MethodResponse& response) {
  response.fault.reset();
  bool is_fault = false;
  absl::Status status =
      parser_->Parse(body, Tag::kMethodResponse, response.values, nullptr, &is_fault);
  if (!status.ok() || !is_fault) return status;
  absl::StatusOr<Fault> fault = ReadFault(response.value());
  if (!fault.ok()) return fault.status();
  response.fault = *std::move(fault);
  return absl::OkStatus();
}

}  // namespace weft::protocols::xmlrpc
