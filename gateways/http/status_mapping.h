// The HTTP gateway's one table from absl::StatusCode to protocol replies: the HTTP status a REST
// route answers with, the JSON-RPC error code and the XML-RPC faultCode.
//
// Part of //gateways/http. XML-RPC faultCodes use the JSON-RPC code of the same row (one
// numbering for both RPC paths, negative like the xmlrpc-epi "specification for fault code
// interoperability"); docs/http.md prints the table.
#ifndef WEFT_GATEWAYS_HTTP_STATUS_MAPPING_H_
#define WEFT_GATEWAYS_HTTP_STATUS_MAPPING_H_

#include <cstdint>

#include "absl/status/status.h"

namespace weft::gateways::http {

struct StatusMapping {
  absl::StatusCode code = absl::StatusCode::kUnknown;
  int http_status = 500;
  int32_t jsonrpc_code = 0;
  int32_t xmlrpc_fault_code = 0;
};

// The row of `code`; codes outside absl's 17 get the kUnknown row.
const StatusMapping& MappingFor(absl::StatusCode code);

}  // namespace weft::gateways::http

#endif  // WEFT_GATEWAYS_HTTP_STATUS_MAPPING_H_
