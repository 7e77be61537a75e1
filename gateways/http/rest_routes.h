// REST routes of the HTTP gateway (docs/http.md, "REST routes"): HTTP method and path template
// bound to a service method, from the `weft.v1.http` option on the method (idl/weft/v1/http.proto)
// or from the config (`http { rest { ... } }`), and the mapping of a request's path variables,
// query string and body onto the request message, and of the response message onto the body.
//
// Part of //gateways/http. One RestRoutes per loop (in HttpLoopContext); loop thread only.
#ifndef WEFT_GATEWAYS_HTTP_REST_ROUTES_H_
#define WEFT_GATEWAYS_HTTP_REST_ROUTES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "broker/broker_shard.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "protocols/http/http_types.h"
#include "protocols/http/path_template.h"

namespace weft::gateways::http {

// One binding as written: by a method option or a config entry.
struct RestRouteSpec {
  protocols::http::HttpMethod method = protocols::http::HttpMethod::kGet;
  std::string path;           // A path template.
  std::string call;           // "pkg.Service.Method".
  std::string body;           // "*", a field name, or "".
  std::string response_body;  // A message field of the response, or "".
};

// A binding checked against its method's descriptors.
struct RestRoute {
  protocols::http::HttpMethod method = protocols::http::HttpMethod::kGet;
  protocols::http::PathTemplate path;
  std::string service;
  std::string method_name;
  const google::protobuf::MethodDescriptor* descriptor = nullptr;
  // Null: the whole request (body "*"), or no body when !has_body.
  const google::protobuf::FieldDescriptor* body_field = nullptr;
  bool has_body = false;
  const google::protobuf::FieldDescriptor* response_field = nullptr;
};

// "GET", "PUT", "POST", "DELETE" or "PATCH"; kInvalidArgument otherwise.
absl::StatusOr<protocols::http::HttpMethod> RestMethodFromName(absl::string_view name);

// Checks `spec` against `method` (the path's variables and the body name request fields, the
// response body a message field of the response). kInvalidArgument naming the problem.
absl::StatusOr<RestRoute> BindRestRoute(const RestRouteSpec& spec,
                                        const google::protobuf::MethodDescriptor& method);

class RestRoutes {
 public:
  // `configured` come first, in order, then the options of registered services.
  explicit RestRoutes(std::vector<RestRouteSpec> configured = {})
      : configured_(std::move(configured)) {}

  // Re-reads the bindings when `shard` took a new routing snapshot since the last call. Bindings
  // that do not fit their method are left out and listed by problems().
  void Refresh(const broker::BrokerShard& shard);

  // The route for `method` and `path` (HEAD matches GET), with its variables in `bindings`;
  // nullptr when none. Then `allow` lists the methods the path has ("GET, POST"), empty when the
  // path matches nothing (404 rather than 405).
  const RestRoute* Match(protocols::http::HttpMethod method, absl::string_view path,
                         std::vector<protocols::http::PathTemplate::Binding>& bindings,
                         std::string& allow) const;

  // Why bindings were left out at the last Refresh().
  const std::vector<std::string>& problems() const { return problems_; }
  std::size_t size() const { return routes_.size(); }

 private:
  std::vector<RestRouteSpec> configured_;
  std::vector<RestRoute> routes_;
  std::vector<std::string> problems_;
  uint64_t version_ = 0;
  bool built_ = false;
};

// Fills `request` (cleared first): the body (JSON, by protobuf's mapping) as the route says,
// then each path variable, then each query parameter ("a.b=1&tags=x&tags=y": repeated fields
// take every value). kInvalidArgument naming the field or parameter at fault.
absl::Status BuildRestRequest(const RestRoute& route,
                              absl::Span<const protocols::http::PathTemplate::Binding> bindings,
                              absl::string_view query, absl::string_view body,
                              google::protobuf::Message& request, std::string& scratch);

// The response body: the response (or its field `response_field`, RestRoute::response_field)
// as JSON, default-valued fields printed.
absl::Status WriteRestResponse(const google::protobuf::FieldDescriptor* response_field,
                               const google::protobuf::Message& response, std::string& out);

// An error body: {"code":3,"status":"INVALID_ARGUMENT","message":"..."} (google.rpc.Status's
// JSON shape).
void WriteRestError(const absl::Status& status, std::string& out);

}  // namespace weft::gateways::http

#endif  // WEFT_GATEWAYS_HTTP_REST_ROUTES_H_
