#include "gateways/http/rest_routes.h"

#include <cstdio>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gateways/http/json_mapping.h"
#include "google/protobuf/util/json_util.h"
#include "protocols/jsonrpc/jsonrpc_encoder.h"
#include "weft/v1/http.pb.h"

namespace weft::gateways::http {
namespace {

namespace pb = google::protobuf;
namespace ph = protocols::http;

constexpr ph::HttpMethod kMethods[] = {ph::HttpMethod::kGet, ph::HttpMethod::kPut,
                                       ph::HttpMethod::kPost, ph::HttpMethod::kDelete,
                                       ph::HttpMethod::kPatch};
constexpr absl::string_view kMethodNames[] = {"GET", "PUT", "POST", "DELETE", "PATCH"};

absl::string_view MethodName(ph::HttpMethod method) {
  for (std::size_t i = 0; i < std::size(kMethods); ++i) {
    if (kMethods[i] == method) return kMethodNames[i];
  }
  return "";
}

// The last field of a dotted path, each earlier one a singular message; null when there is none.
const pb::FieldDescriptor* FindFieldPath(const pb::Descriptor& root, absl::string_view path) {
  const pb::Descriptor* type = &root;
  const pb::FieldDescriptor* field = nullptr;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (type == nullptr) return nullptr;
    field = FindFieldByProtoOrJsonName(*type, part);
    if (field == nullptr) return nullptr;
    type = field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE && !field->is_repeated()
               ? field->message_type()
               : nullptr;
  }
  return field;
}

absl::Status FromProtobuf(const pb::util::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(std::string(status.message()));
}

// Sets (or appends to, when repeated) the field at `path` from its text form.
absl::Status SetFromText(pb::Message& message, absl::string_view path, absl::string_view text,
                         std::string& scratch) {
  pb::Message* target = &message;
  const pb::FieldDescriptor* field = nullptr;
  std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  for (std::size_t i = 0; i < parts.size(); ++i) {
    field = FindFieldByProtoOrJsonName(*target->GetDescriptor(), parts[i]);
    if (field == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("http: ", target->GetDescriptor()->full_name(),
                                                     " has no field '", parts[i], "' (from '", path,
                                                     "')"));
    }
    if (i + 1 < parts.size()) {
      if (field->is_repeated() || field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
        return absl::InvalidArgumentError(
            absl::StrCat("http: '", path, "': ", field->name(), " is not a message field"));
      }
      target = target->GetReflection()->MutableMessage(target, field);
    }
  }
  const pb::Reflection& r = *target->GetReflection();
  const bool repeated = field->is_repeated();
  if (field->is_map()) {
    return absl::InvalidArgumentError(absl::StrCat("http: '", path, "' is a map"));
  }
  auto bad = [&](absl::string_view kind) {
    return absl::InvalidArgumentError(
        absl::StrCat("http: '", path, "': '", text, "' is not ", kind));
  };
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32: {
      int32_t v = 0;
      if (!absl::SimpleAtoi(text, &v)) return bad("an int32");
      repeated ? r.AddInt32(target, field, v) : r.SetInt32(target, field, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_INT64: {
      int64_t v = 0;
      if (!absl::SimpleAtoi(text, &v)) return bad("an int64");
      repeated ? r.AddInt64(target, field, v) : r.SetInt64(target, field, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v = 0;
      if (!absl::SimpleAtoi(text, &v)) return bad("a uint32");
      repeated ? r.AddUInt32(target, field, v) : r.SetUInt32(target, field, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v = 0;
      if (!absl::SimpleAtoi(text, &v)) return bad("a uint64");
      repeated ? r.AddUInt64(target, field, v) : r.SetUInt64(target, field, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_DOUBLE: {
      double v = 0;
      if (!absl::SimpleAtod(text, &v)) return bad("a number");
      repeated ? r.AddDouble(target, field, v) : r.SetDouble(target, field, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_FLOAT: {
      float v = 0;
      if (!absl::SimpleAtof(text, &v)) return bad("a number");
      repeated ? r.AddFloat(target, field, v) : r.SetFloat(target, field, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_BOOL: {
      bool v = false;
      if (text == "true") {
        v = true;
      } else if (text != "false") {
        return bad("true or false");
      }
      repeated ? r.AddBool(target, field, v) : r.SetBool(target, field, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      const pb::EnumValueDescriptor* value = field->enum_type()->FindValueByName(std::string(text));
      int number = 0;
      if (value == nullptr && absl::SimpleAtoi(text, &number)) {
        value = field->enum_type()->FindValueByNumber(number);
      }
      if (value == nullptr) return bad(absl::StrCat("a ", field->enum_type()->full_name()));
      repeated ? r.AddEnum(target, field, value) : r.SetEnum(target, field, value);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_STRING: {
      std::string v;
      if (field->type() == pb::FieldDescriptor::TYPE_BYTES) {
        if (!absl::WebSafeBase64Unescape(text, &v) && !absl::Base64Unescape(text, &v)) {
          return bad("base64");
        }
      } else {
        v = std::string(text);
      }
      repeated ? r.AddString(target, field, std::move(v))
               : r.SetString(target, field, std::move(v));
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: {
      // Well-known types with a string JSON form (Timestamp, Duration, FieldMask, wrappers).
      scratch.clear();
      protocols::jsonrpc::EncodeString(text, scratch);
      pb::Message* sub = repeated ? r.AddMessage(target, field) : r.MutableMessage(target, field);
      const pb::util::Status parsed =
          pb::util::JsonStringToMessage(pb::StringPiece(scratch.data(), scratch.size()), sub);
      if (!parsed.ok()) return bad(absl::StrCat("a ", field->message_type()->full_name()));
      break;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ph::HttpMethod> RestMethodFromName(absl::string_view name) {
  for (std::size_t i = 0; i < std::size(kMethods); ++i) {
    if (kMethodNames[i] == name) return kMethods[i];
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", name, "' is not one of GET, PUT, POST, DELETE, PATCH"));
}

absl::StatusOr<RestRoute> BindRestRoute(const RestRouteSpec& spec,
                                        const pb::MethodDescriptor& method) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("rest route ", MethodName(spec.method), " ",
                                                   spec.path, " -> ", spec.call, ": ", why));
  };
  absl::StatusOr<ph::PathTemplate> path = ph::PathTemplate::Parse(spec.path);
  if (!path.ok()) return bad(path.status().message());
  RestRoute route;
  route.method = spec.method;
  route.path = *std::move(path);
  route.descriptor = &method;
  route.service = method.service()->full_name();
  route.method_name = method.name();
  const pb::Descriptor& request = *method.input_type();
  for (const std::string& variable : route.path.variables()) {
    const pb::FieldDescriptor* field = FindFieldPath(request, variable);
    if (field == nullptr || field->is_repeated() || field->is_map()) {
      return bad(absl::StrCat("'", variable, "' is not a singular field of ", request.full_name()));
    }
  }
  if (spec.body == "*") {
    route.has_body = true;
  } else if (!spec.body.empty()) {
    route.body_field = FindFieldByProtoOrJsonName(request, spec.body);
    if (route.body_field == nullptr) {
      return bad(absl::StrCat("body: ", request.full_name(), " has no field '", spec.body, "'"));
    }
    route.has_body = true;
  }
  if (!spec.response_body.empty()) {
    route.response_field = FindFieldByProtoOrJsonName(*method.output_type(), spec.response_body);
    if (route.response_field == nullptr || route.response_field->is_repeated() ||
        route.response_field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      return bad(absl::StrCat("response_body: '", spec.response_body,
                              "' is not a singular message field of ",
                              method.output_type()->full_name()));
    }
  }
  return route;
}

void RestRoutes::Refresh(const broker::BrokerShard& shard) {
  if (built_ && version_ == shard.routing_version()) return;
  built_ = true;
  version_ = shard.routing_version();
  routes_.clear();
  problems_.clear();
  auto add = [&](const RestRouteSpec& spec, const pb::MethodDescriptor& method) {
    absl::StatusOr<RestRoute> route = BindRestRoute(spec, method);
    if (route.ok()) {
      routes_.push_back(*std::move(route));
    } else {
      problems_.push_back(std::string(route.status().message()));
    }
  };
  for (const RestRouteSpec& spec : configured_) {
    const std::size_t dot = spec.call.rfind('.');
    absl::StatusOr<const pb::MethodDescriptor*> method =
        dot == std::string::npos
            ? absl::StatusOr<const pb::MethodDescriptor*>(absl::NotFoundError("no method"))
            : shard.FindMethod(absl::string_view(spec.call).substr(0, dot),
                               absl::string_view(spec.call).substr(dot + 1));
    // A service that has not registered yet gets its routes when it does.
    if (method.ok()) add(spec, **method);
  }
  for (const pb::ServiceDescriptor* service : shard.RegisteredServices()) {
    for (int i = 0; i < service->method_count(); ++i) {
      const pb::MethodDescriptor& method = *service->method(i);
      if (!method.options().HasExtension(weft::v1::http)) continue;
      const weft::v1::HttpRule& rule = method.options().GetExtension(weft::v1::http);
      RestRouteSpec spec;
      spec.call = method.full_name();
      spec.body = rule.body();
      spec.response_body = rule.response_body();
      switch (rule.pattern_case()) {
        case weft::v1::HttpRule::kGet:
          spec.method = ph::HttpMethod::kGet;
          spec.path = rule.get();
          break;
        case weft::v1::HttpRule::kPut:
          spec.method = ph::HttpMethod::kPut;
          spec.path = rule.put();
          break;
        case weft::v1::HttpRule::kPost:
          spec.method = ph::HttpMethod::kPost;
          spec.path = rule.post();
          break;
        case weft::v1::HttpRule::kDelete:
          spec.method = ph::HttpMethod::kDelete;
          spec.path = rule.delete_();
          break;
        case weft::v1::HttpRule::kPatch:
          spec.method = ph::HttpMethod::kPatch;
          spec.path = rule.patch();
          break;
        case weft::v1::HttpRule::PATTERN_NOT_SET:
          problems_.push_back(absl::StrCat("rest route of ", spec.call, ": no method and path"));
          continue;
      }
      add(spec, method);
    }
  }
  for (const std::string& problem : problems_) {
    std::fprintf(stderr, "weftd: http: %s (left out)\n", problem.c_str());
  }
}

const RestRoute* RestRoutes::Match(ph::HttpMethod method, absl::string_view path,
                                   std::vector<ph::PathTemplate::Binding>& bindings,
                                   std::string& allow) const {
  allow.clear();
  if (method == ph::HttpMethod::kHead) method = ph::HttpMethod::kGet;
  for (const RestRoute& route : routes_) {
    if (!route.path.Match(path, bindings)) continue;
    if (route.method == method) return &route;
    const absl::string_view name = MethodName(route.method);
    if (!absl::StrContains(allow, name)) absl::StrAppend(&allow, allow.empty() ? "" : ", ", name);
  }
  bindings.clear();
  return nullptr;
}

absl::Status BuildRestRequest(const RestRoute& route,
                              absl::Span<const ph::PathTemplate::Binding> bindings,
                              absl::string_view query, absl::string_view body, pb::Message& request,
                              std::string& scratch) {
  request.Clear();
  if (route.has_body && !body.empty()) {
    if (route.body_field == nullptr) {
      if (absl::Status s = FromProtobuf(
              pb::util::JsonStringToMessage(pb::StringPiece(body.data(), body.size()), &request));
          !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("http: body: ", s.message()));
      }
    } else {
      scratch.clear();
      absl::StrAppend(&scratch, "{\"", route.body_field->json_name(), "\":", body, "}");
      if (absl::Status s = FromProtobuf(pb::util::JsonStringToMessage(
              pb::StringPiece(scratch.data(), scratch.size()), &request));
          !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("http: body: ", s.message()));
      }
    }
  } else if (!route.has_body && !body.empty()) {
    return absl::InvalidArgumentError("http: this route takes no body");
  }
  for (const auto& [field, value] : bindings) {
    if (absl::Status s = SetFromText(request, field, value, scratch); !s.ok()) return s;
  }
  std::string key;
  std::string value;
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const std::size_t eq = pair.find('=');
    if (!ph::PercentDecode(pair.substr(0, eq), true, key) ||
        !ph::PercentDecode(eq == absl::string_view::npos ? "" : pair.substr(eq + 1), true, value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("http: query parameter '", pair, "': bad percent-encoding"));
    }
    if (absl::Status s = SetFromText(request, key, value, scratch); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status WriteRestResponse(const pb::FieldDescriptor* response_field,
                               const pb::Message& response, std::string& out) {
  pb::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  out.clear();
  const pb::Message& body = response_field == nullptr
                                ? response
                                : response.GetReflection()->GetMessage(response, response_field);
  return FromProtobuf(pb::util::MessageToJsonString(body, &out, options));
}

void WriteRestError(const absl::Status& status, std::string& out) {
  out.clear();
  absl::StrAppend(&out, "{\"code\":", static_cast<int>(status.code()), ",\"status\":\"",
                  absl::StatusCodeToString(status.code()), "\",\"message\":");
  protocols::jsonrpc::EncodeString(status.message(), out);
  out.push_back('}');
}

}  // namespace weft::gateways::http
