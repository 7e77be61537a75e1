// XmlRpcDecoder: parses one XML-RPC document (a whole HTTP body) into a MethodCall or a
// MethodResponse, with expat.
//
// Part of //protocols/xmlrpc (sans-I/O: bytes in, values out). Unlike Weft's stream decoders
// there is no Feed()/Next(): an XML-RPC message is exactly one HTTP body, which the HTTP codec
// has already delimited (Content-Length or chunked) and capped, and nothing in a call can be
// acted on before its closing tag, so the decoder takes the body whole. That lets it refuse an
// oversized body before reading a byte of it, parse in one pass, and reuse one expat parser
// and one set of buffers for every request. For the same reason a failed parse does not
// poison the decoder: the next Parse*() starts afresh.
//
// Security (docs/xmlrpc.md, "Security"): a document with a DOCTYPE is refused, so no entity
// can be declared (billion laughs) and no external entity or DTD is ever resolved (XXE);
// only the five predefined entities and character references are decoded.
#ifndef WEFT_PROTOCOLS_XMLRPC_XMLRPC_DECODER_H_
#define WEFT_PROTOCOLS_XMLRPC_XMLRPC_DECODER_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "protocols/xmlrpc/limits.h"
#include "protocols/xmlrpc/xmlrpc_types.h"

namespace weft::protocols::xmlrpc {

// One decoder per thread (each event loop or session owns one); not thread-safe.
class XmlRpcDecoder {
 public:
  explicit XmlRpcDecoder(const XmlRpcLimits& limits = XmlRpcLimits{});
  ~XmlRpcDecoder();

  XmlRpcDecoder(const XmlRpcDecoder&) = delete;
  XmlRpcDecoder& operator=(const XmlRpcDecoder&) = delete;

  // Parses a <methodCall> into `call`, reusing its memory. Errors, each "xmlrpc: ..." naming
  // the element or value at fault (after an error `call` holds no meaningful value):
  //   kInvalidArgument    malformed XML, a DOCTYPE, a wrong element or text where another was
  //                       expected, a bad scalar (int overflow, boolean other than 0/1, bad
  //                       base64, double or dateTime), a duplicate struct member name, a
  //                       methodName outside A-Z a-z 0-9 _ . : /
  //   kResourceExhausted  a limit in XmlRpcLimits exceeded, or expat out of memory
  //   kUnimplemented      an Apache extension type (<ex:i1>, <float>, <dom>, ...)
  //   kInternal           expat could not allocate its parser
  absl::Status ParseCall(absl::string_view body, MethodCall& call);

  // Parses a <methodResponse> (exactly one <param>, or a <fault> whose <struct> has exactly an
  // int faultCode and a string faultString) into `response`, with the errors of ParseCall().
  absl::Status ParseResponse(absl::string_view body, MethodResponse& response);

 private:
  class Parser;  // The expat state and handlers, in the .cc.

  std::unique_ptr<Parser> parser_;
};

// Whether a ParseCall() or ParseResponse() error is about the XML itself (not well-formed, an
// undeclared entity), as opposed to well-formed XML that is not XML-RPC: the xmlrpc-epi fault
// codes tell the two apart (-32700 and -32600).
bool IsMalformedXml(const absl::Status& status);

}  // namespace weft::protocols::xmlrpc

#endif  // WEFT_PROTOCOLS_XMLRPC_XMLRPC_DECODER_H_
