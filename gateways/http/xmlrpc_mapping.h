// Conversion between XML-RPC values (//protocols/xmlrpc) and protobuf messages, through
// descriptors and google::protobuf::Reflection, for the HTTP gateway's `POST /RPC2`: the params
// of a methodCall become the request message of the named service method, and its response
// message becomes the returned value.
//
// Part of //gateways/http (glue between a codec and the broker's message types). It works on any
// message type, compiled in or registered at run time through a DescriptorPool.
//
// Params: one param that is a <struct> sets the request's fields by name (the proto field name
// or its JSON name, lowerCamel); otherwise the params are positional, one per field in
// declaration order (fewer params leave the rest unset). A consequence: a request whose first
// field is a message or a map cannot take that field positionally as its only param; send
// {"field": {...}} instead.
//
// Type rules, XML-RPC -> protobuf (`nil` leaves a singular field unset; it is an error inside an
// array or as a map value):
//   int32, sint32, sfixed32     int/i4/i8 in the int32 range
//   int64, sint64, sfixed64     int/i4/i8, or a decimal string ("-12") in the int64 range
//   uint32, fixed32             int/i4/i8 or decimal string, 0..4294967295
//   uint64, fixed64             non-negative int/i4/i8, or decimal string up to 2^64-1
//   double                      double or int
//   float                       double (finite in float's range; rounded) or int
//   bool                        boolean
//   string                      string (also an untyped <value>)
//   bytes                       base64
//   enum                        the value's name as a string, or an int: any int32 for an open
//                               (proto3) enum, a declared number for a closed (proto2) one
//   message                     struct, by field name (recursively)
//   google.protobuf.Timestamp   dateTime.iso8601 (see below), or a struct {seconds, nanos}
//   google.protobuf.*Value      the wrapped scalar by the rules above (Int32Value <- int, ...)
//   repeated T                  array of T
//   map<K, V>                   struct; member names converted to K (decimal for ints, "true" or
//                               "false" for bool), values V
// Timestamps: XML-RPC's dateTime has no zone ("should be in the server's time"); Weft takes a
// dateTime without a zone as UTC, honours an explicit zone (Z, +hh:mm) when one is sent, and
// reads second 60 (a leap second) as second 0 of the next minute.
//
// Protobuf -> XML-RPC: a message is a struct holding every field under its proto name, except
// unset message fields and unset fields with explicit presence (`optional`, oneof members,
// proto2 fields), which are omitted; proto3 scalars appear with their defaults.
//   int32, sint32, sfixed32     <int>
//   int64, uint32, ... uint64   <int> in the int32 range, otherwise <i8> (Python's xmlrpc.client
//                               reads it); uint64 above 2^63-1 as a decimal <string>
//   float, double               <double> (a float with float's shortest digits: 0.1f is 0.1);
//                               NaN and infinities are an error (XML-RPC has no way to write
//                               them, and a string in their place would surprise the client)
//   bool, string, bytes         <boolean>, <string>, <base64>
//   enum                        the value's name as a <string>; a number the enum does not
//                               declare (open enums) as <int>
//   message, map                <struct>; map keys as decimal, "true"/"false" or the string
//   repeated                    <array> (empty when the field is)
//   google.protobuf.Timestamp   <dateTime.iso8601> in UTC without a zone designator, the form
//                               Python parses ("20260101T10:00:00"), with a fraction only when
//                               nanos is not 0
//   google.protobuf.*Value      the wrapped scalar when set, omitted when not
//
// Nesting (each message, array and map counts one level, as in XmlRpcLimits::max_depth) is
// capped at kMaxXmlRpcMappingDepth both ways, so neither a hand-built tree nor a deep message
// recurses without bound.
//
// Cost: no heap allocation of our own per call (xmlrpc_mapping_test counts them for the demo
// calls), except a scratch string for name lookups in messages or enums with more than 32
// fields or values when the name is over 15 bytes (protobuf's lookups take a std::string), and
// error messages. Protobuf reflection allocates where it must (a string field's copy beyond
// std::string's inline buffer, new submessages, map entries: reading a map through reflection
// syncs its repeated view), and so does ValueWriter::AppendDateTime (FormatDateTime returns a
// std::string).
#ifndef WEFT_GATEWAYS_HTTP_XMLRPC_MAPPING_H_
#define WEFT_GATEWAYS_HTTP_XMLRPC_MAPPING_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "protocols/xmlrpc/xmlrpc_encoder.h"
#include "protocols/xmlrpc/xmlrpc_types.h"

namespace weft::gateways::http {

// Deepest nesting of messages, arrays and maps the mapping follows (XmlRpcLimits::max_depth).
inline constexpr int kMaxXmlRpcMappingDepth = 64;

// Clears `out` and sets its fields from `params`, the params array of a methodCall
// (MethodCall::params()). On error `out` holds whatever was set before it. Errors, each
// "xmlrpc: ..." naming the param or field ("xmlrpc: param 2 (b): expected int, got string",
// "xmlrpc: field inner.count: int 4294967296 out of range for int32"):
//   kInvalidArgument    a value of the wrong type or out of range, an unknown struct member, a
//                       field given twice (by proto and JSON name, or two members of a oneof),
//                       more params than the message has fields
//   kResourceExhausted  nesting deeper than kMaxXmlRpcMappingDepth
absl::Status XmlRpcParamsToMessage(protocols::xmlrpc::ValueRef params,
                                   google::protobuf::Message& out);

// Writes `message` to `writer` as one <struct> value. Returns OkStatus() or the error, naming
// the field ("xmlrpc: field ratio: double nan cannot be written in XML-RPC"):
//   kInvalidArgument    a NaN or infinite float/double, a string the encoder refuses (invalid
//                       UTF-8, a control character), a Timestamp outside 0001..9999
//   kResourceExhausted  nesting deeper than kMaxXmlRpcMappingDepth
// After an error the writer's output is incomplete (writer.status() may still be OK); the
// caller truncates its string back to where it started, as with any ValueWriter error.
absl::Status WriteMessageAsXmlRpc(const google::protobuf::Message& message,
                                  protocols::xmlrpc::ValueWriter& writer);

// The signature system.methodSignature returns for `method`: the XML-RPC type of the return
// value ("struct"), then of each positional param, i.e. of each request field in order: "int"
// (32-bit ints), "i8" (64-bit and unsigned ints), "double", "boolean", "string" (strings and
// enums), "base64", "dateTime.iso8601" (Timestamp), "struct" (messages, maps), "array"
// (repeated); a wrapper has its scalar's type.
std::vector<std::string> XmlRpcSignature(const google::protobuf::MethodDescriptor& method);

// The text system.methodHelp returns for `method`: its request and response types and their
// fields with proto and XML-RPC types. Built from names only: descriptor comments are not
// available at run time.
std::string XmlRpcMethodHelp(const google::protobuf::MethodDescriptor& method);

}  // namespace weft::gateways::http

#endif  // WEFT_GATEWAYS_HTTP_XMLRPC_MAPPING_H_
