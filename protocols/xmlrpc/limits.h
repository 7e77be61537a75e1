// Size and count caps of the XML-RPC codec (docs/xmlrpc.md, "Limits").
//
// Part of //protocols/xmlrpc. The XML-RPC specification (http://xmlrpc.com/spec.md) sets no
// limits of its own ("the range of allowable values is implementation-dependent"), so each cap
// here is Weft's. A document that exceeds one is refused with kResourceExhausted before the
// decoder holds more than about the body's size in memory; the gateway answers with a fault.
#ifndef WEFT_PROTOCOLS_XMLRPC_LIMITS_H_
#define WEFT_PROTOCOLS_XMLRPC_LIMITS_H_

#include <cstdint>

namespace weft::protocols::xmlrpc {

struct XmlRpcLimits {
  // Largest request or response body, checked before parsing. Must stay below 4 GiB, since the
  // value model addresses its text with 32-bit offsets.
  uint32_t max_body_bytes = 4 * 1024 * 1024;
  // Deepest nesting of <array> and <struct> values; a scalar param has depth 0, and each array
  // or struct it sits in adds one.
  uint32_t max_depth = 64;
  // Most <value>s in one document, counting nested ones and every param.
  uint32_t max_values = 65536;
  // Longest text of one element after entity decoding: a string, a member name, and the
  // base64 text before decoding (whitespace included).
  uint32_t max_string_bytes = 1024 * 1024;
  // Longest <methodName>. The spec gives the charset but no length.
  uint32_t max_method_name_bytes = 256;
};

}  // namespace weft::protocols::xmlrpc

#endif  // WEFT_PROTOCOLS_XMLRPC_LIMITS_H_
