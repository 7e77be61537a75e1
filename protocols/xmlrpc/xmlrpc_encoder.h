// XML-RPC encoders: ValueWriter streams values as XML, and the Encode*() functions append whole
// methodResponse, fault and methodCall documents.
//
// Part of //protocols/xmlrpc (sans-I/O). Output is compact UTF-8 with no whitespace between
// elements, every value typed (<string> is always written) and the declaration
// `<?xml version="1.0"?>`. Choices (docs/xmlrpc.md, "Encoding"):
//  - Integers in the int32 range are <int>; wider ones <i8>, which Python's xmlrpc.client and
//    Apache XML-RPC read but strict spec peers do not.
//  - Doubles use the spec's decimal-point notation (never an exponent), with the fewest digits
//    that read back to the same double. NaN and infinities have no representation: an error.
//  - Text escapes &, < and >, and CR as &#13; (a parser would turn a raw CR into LF). A string
//    or member name that is not valid UTF-8, or holds a character XML 1.0 cannot carry (U+0000
//    to U+001F other than tab, LF and CR, U+FFFE, U+FFFF), is an error (kInvalidArgument), not
//    silently re-typed as base64; the gateway maps `bytes` fields to <base64> itself.
//  - A fault's message never fails: such characters become U+FFFD.
#ifndef WEFT_PROTOCOLS_XMLRPC_XMLRPC_ENCODER_H_
#define WEFT_PROTOCOLS_XMLRPC_XMLRPC_ENCODER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "protocols/xmlrpc/date_time.h"
#include "protocols/xmlrpc/xmlrpc_types.h"

namespace weft::protocols::xmlrpc {

// Appends <value> elements to a string, for the gateway's hot path (protobuf message -> XML
// with no ValueTree in between). Each Append*() writes one whole <value>; arrays and structs
// are Begin/End pairs, and each struct member is BeginMember(name), one value, EndMember().
// The writer keeps no state beyond the first error: calls in the wrong order produce bad XML,
// which is the caller's bug. After an error status() stays failed and the output is
// incomplete; the caller truncates `out` back to where it started.
class ValueWriter {
 public:
  // `out` must outlive the writer.
  explicit ValueWriter(std::string& out) : out_(out) {}

  ValueWriter(const ValueWriter&) = delete;
  ValueWriter& operator=(const ValueWriter&) = delete;

  void AppendNil();
  void AppendBoolean(bool value);
  void AppendInt(int64_t value);
  void AppendDouble(double value);  // kInvalidArgument for NaN or an infinity.
  void AppendString(absl::string_view text);
  void AppendBase64(absl::string_view bytes);
  void AppendDateTime(const DateTime& value);  // kInvalidArgument for a field out of range.
  // A whole value from a tree, with everything inside it.
  void AppendValue(ValueRef value);

  void BeginArray();
  void EndArray();
  void BeginStruct();
  void BeginMember(absl::string_view name);
  void EndMember();
  void EndStruct();

  // OkStatus() or the first error, kInvalidArgument naming what could not be written.
  const absl::Status& status() const { return status_; }

 private:
  friend void AppendFaultValue(const Fault& fault, ValueWriter& writer);

  void Fail(absl::Status status);

  std::string& out_;
  absl::Status status_;
};

// Appends everything of a methodResponse before its value, and after it: for streaming a
// response with ValueWriter in between. EncodeResponse() is the three together.
void AppendResponseBegin(std::string& out);
void AppendResponseEnd(std::string& out);

// Appends a methodResponse returning `value`. On error (see ValueWriter) `out` is unchanged.
absl::Status EncodeResponse(ValueRef value, std::string& out);

// Appends a methodResponse carrying `fault`. Never fails.
void EncodeFault(const Fault& fault, std::string& out);

// Writes the <struct> of a fault as one value: the body of EncodeFault(), and a failed slot of
// a system.multicall response (multicall.h).
void AppendFaultValue(const Fault& fault, ValueWriter& writer);

// Appends a methodCall of `method_name` with `params`, an array whose elements are the params.
// kInvalidArgument for a method name outside the spec's charset or a value that cannot be
// written; then `out` is unchanged.
absl::Status EncodeCall(absl::string_view method_name, ValueRef params, std::string& out);

}  // namespace weft::protocols::xmlrpc

#endif  // WEFT_PROTOCOLS_XMLRPC_XMLRPC_ENCODER_H_
