// HttpSession's JSON-RPC and XML-RPC paths: a call's method is found in the loop's routing
// snapshot, its request message built from the params through the descriptor pool, the broker
// called, and the reply written back in the caller's encoding (docs/http.md, "Calling
// services").
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateways/http/http_session.h"
#include "gateways/http/status_mapping.h"
#include "gateways/http/xmlrpc_mapping.h"
#include "google/protobuf/util/json_util.h"
#include "protocols/jsonrpc/jsonrpc_encoder.h"
#include "protocols/xmlrpc/multicall.h"
#include "protocols/xmlrpc/xmlrpc_encoder.h"

namespace weft::gateways::http {
namespace {

namespace jr = protocols::jsonrpc;
namespace ph = protocols::http;
namespace xr = protocols::xmlrpc;
namespace pb = google::protobuf;

// The system.* methods of XML-RPC introspection and their signatures.
constexpr absl::string_view kListMethods = "system.listMethods";
constexpr absl::string_view kMethodSignature = "system.methodSignature";
constexpr absl::string_view kMethodHelp = "system.methodHelp";

struct SystemMethodInfo {
  absl::string_view name;
  absl::string_view signature[2];
  absl::string_view help;
};
constexpr SystemMethodInfo kSystemMethods[] = {
    {kListMethods, {"array", ""}, "The names of every callable method."},
    {kMethodSignature, {"array", "string"}, "The signatures of a method: [[return, params...]]."},
    {kMethodHelp, {"string", "string"}, "What a method takes and returns."},
    {xr::kMulticallMethod,
     {"array", "array"},
     "Runs several calls in one request: [{methodName, params}, ...] -> [[value] or fault, ...]."},
};

const SystemMethodInfo* FindSystemMethod(absl::string_view name) {
  for (const SystemMethodInfo& info : kSystemMethods) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

// The broker method a "package.Service.Method" name calls, after routes.
absl::StatusOr<const pb::MethodDescriptor*> FindMethod(const broker::BrokerShard& shard,
                                                       absl::string_view full_name,
                                                       absl::string_view& service,
                                                       absl::string_view& method) {
  const std::size_t dot = full_name.rfind('.');
  if (dot == absl::string_view::npos || dot == 0 || dot + 1 == full_name.size()) {
    return absl::NotFoundError(
        absl::StrCat("http: method '", full_name, "' is not of the form package.Service.Method"));
  }
  service = full_name.substr(0, dot);
  method = full_name.substr(dot + 1);
  return shard.FindMethod(service, method);
}

// FindMethod() for a client's call: a failure is a routing failure the control plane watches.
absl::StatusOr<const pb::MethodDescriptor*> FindMethodToCall(broker::BrokerShard& shard,
                                                             absl::string_view full_name,
                                                             absl::string_view& service,
                                                             absl::string_view& method) {
  absl::StatusOr<const pb::MethodDescriptor*> found = FindMethod(shard, full_name, service, method);
  if (!found.ok()) {
    shard.ReportRoutingFailure(service.empty() ? full_name : service, method, found.status());
  }
  return found;
}

// protobuf 3.21's util::Status as absl::Status.
absl::Status FromProtobuf(const pb::util::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(std::string(status.message()));
}

int32_t JsonRpcCodeFor(const absl::Status& status) {
  return MappingFor(status.code()).jsonrpc_code;
}

}  // namespace

pb::Message& HttpSession::RequestFor(const pb::MethodDescriptor& method) {
  HttpLoopContext::MethodMessages& messages = context_.messages_[&method];
  if (messages.request == nullptr) {
    messages.request.reset(context_.factory_.GetPrototype(method.input_type())->New());
  }
  return *messages.request;
}

pb::Message& HttpSession::ResponseFor(const pb::MethodDescriptor& method) {
  HttpLoopContext::MethodMessages& messages = context_.messages_[&method];
  if (messages.response == nullptr) {
    messages.response.reset(context_.factory_.GetPrototype(method.output_type())->New());
  }
  return *messages.response;
}

void HttpSession::CallBroker(absl::string_view service, absl::string_view method_name,
                             const pb::MethodDescriptor& method, const pb::Message& request,
                             Slot& slot, std::size_t entry, Kind kind, absl::string_view json_id,
                             bool one_way, const pb::FieldDescriptor* response_field) {
  std::string& payload = context_.request_bytes_;
  payload.clear();
  request.AppendToString(&payload);
  broker::IncomingCall call;
  call.call_id = next_call_id_++;
  call.service = service;
  call.method = method_name;
  call.payload = payload;
  call.timeout_micros = context_.options_.call_timeout_micros;
  call.one_way = one_way;
  HttpCounters::Add(context_.counters_.rpc_calls);
  if (!one_way) {
    calls_[call.call_id] =
        PendingCall{slot.seq, entry, &method, response_field, kind, std::string(json_id)};
    ++slot.pending;
  }
  shard_.Call(connection_, call);
}

void HttpSession::CompleteCall(const PendingCall& call, Slot& slot, const absl::Status& status,
                               const broker::Payload& payload) {
  std::string& out = slot.entries[call.entry];
  out.clear();
  absl::Status result = status;
  const pb::Message* response = nullptr;
  if (result.ok() && payload.message() != nullptr &&
      payload.message()->GetDescriptor() == call.method->output_type()) {
    response = payload.message();  // An in-process servant's own response: no bytes between.
  } else if (result.ok()) {
    pb::Message& parsed = ResponseFor(*call.method);
    parsed.Clear();
    std::string& bytes = context_.scratch_;
    bytes.clear();
    payload.AppendTo(bytes);
    response = &parsed;
    if (!parsed.ParseFromString(bytes)) {
      result = absl::InternalError(absl::StrCat("http: the reply does not parse as ",
                                                call.method->output_type()->full_name()));
    }
  }
  if (call.kind == Kind::kRest) {
    if (result.ok()) {
      result = WriteRestResponse(call.response_field, *response, out);
      if (result.ok()) {
        slot.status = 200;
        return;
      }
      result = absl::InternalError(
          absl::StrCat("http: cannot write the reply as JSON: ", result.message()));
    }
    slot.status = MappingFor(result.code()).http_status;
    return WriteRestError(result, out);
  }
  if (call.kind == Kind::kJsonRpc) {
    if (result.ok()) {
      std::string& json = context_.json_;
      json.clear();
      if (context_.json_support_.Supported(*response->GetDescriptor())) {
        MessageToJson(*response, json);
      } else {
        pb::util::JsonPrintOptions options;
        options.always_print_primitive_fields = true;
        result = FromProtobuf(pb::util::MessageToJsonString(*response, &json, options));
      }
      if (result.ok()) return jr::EncodeResult(call.id, json, out);
      result = absl::InternalError(
          absl::StrCat("http: cannot write the reply as JSON: ", result.message()));
    }
    HttpCounters::Add(context_.counters_.rpc_errors);
    return jr::EncodeError(call.id, jr::ErrorObject{JsonRpcCodeFor(result), result.message(), {}},
                           out);
  }
  if (result.ok()) {
    xr::ValueWriter writer(out);
    if (call.kind == Kind::kXmlRpc) {
      xr::AppendResponseBegin(out);
    } else {
      writer.BeginArray();
    }
    result = WriteMessageAsXmlRpc(*response, writer);
    if (result.ok()) result = writer.status();
    if (result.ok()) {
      if (call.kind == Kind::kXmlRpc) {
        xr::AppendResponseEnd(out);
      } else {
        writer.EndArray();
      }
      return;
    }
    out.clear();
    result = absl::InternalError(
        absl::StrCat("http: cannot write the reply as XML-RPC: ", result.message()));
  }
  WriteFault(slot, call.entry, result);
}

void HttpSession::WriteFault(Slot& slot, std::size_t entry, const absl::Status& status) {
  HttpCounters::Add(context_.counters_.rpc_errors);
  const xr::Fault fault{MappingFor(status.code()).xmlrpc_fault_code, std::string(status.message())};
  std::string& out = slot.entries[entry];
  out.clear();
  if (slot.kind == Kind::kXmlRpc) return xr::EncodeFault(fault, out);
  xr::ValueWriter writer(out);
  xr::AppendFaultValue(fault, writer);
}

void HttpSession::PrepareEntries(Slot& slot, Kind kind, std::size_t count) {
  slot.kind = kind;
  slot.entry_count = count;
  if (slot.entries.size() < count) slot.entries.resize(count);
  for (std::size_t i = 0; i < count; ++i) slot.entries[i].clear();
}

// --- JSON-RPC --------------------------------------------------------------------------------

void HttpSession::HandleJsonRpc(const ph::HttpRequest& request, Slot& slot) {
  const jr::ParsedRequest& parsed = jsonrpc_.Parse(request.body);
  PrepareEntries(slot, Kind::kJsonRpc, parsed.entries.size());
  slot.batch = parsed.batch;
  slot.pending = 1;  // Held until every entry started: replies may come at once.
  for (std::size_t i = 0; i < parsed.entries.size(); ++i) {
    if (const auto* error = std::get_if<jr::CallError>(&parsed.entries[i])) {
      if (!error->notification) HttpCounters::Add(context_.counters_.rpc_errors);
      jr::EncodeCallError(*error, slot.entries[i]);
      continue;
    }
    StartJsonRpcCall(std::get<jr::Call>(parsed.entries[i]), slot, i);
  }
  if (--slot.pending == 0) Finish(slot);
}

void HttpSession::StartJsonRpcCall(const jr::Call& call, Slot& slot, std::size_t entry) {
  absl::string_view service;
  absl::string_view method_name;
  absl::StatusOr<const pb::MethodDescriptor*> method =
      FindMethodToCall(shard_, call.method, service, method_name);
  absl::Status status = method.status();
  if (status.ok()) {
    pb::Message& request = RequestFor(**method);
    request.Clear();
    status = BuildJsonRequest(call, request);
    if (status.ok()) {
      return CallBroker(service, method_name, **method, request, slot, entry, Kind::kJsonRpc,
                        call.id, call.notification);
    }
  }
  if (call.notification) return;  // Never answered, not even with an error (spec §4.1).
  HttpCounters::Add(context_.counters_.rpc_errors);
  // A bad method name is "Method not found" whatever the routing said; bad params are -32602.
  const int32_t code = !method.ok() && method.status().code() == absl::StatusCode::kNotFound
                           ? jr::kMethodNotFound
                       : method.ok() ? jr::kInvalidParams
                                     : JsonRpcCodeFor(status);
  jr::EncodeError(call.id, jr::ErrorObject{code, status.message(), {}}, slot.entries[entry]);
}

absl::Status HttpSession::ParseJson(absl::string_view json, pb::Message& message) {
  if (context_.json_support_.Supported(*message.GetDescriptor())) {
    return JsonToMessage(json, message, context_.json_buffer_);
  }
  return FromProtobuf(
      pb::util::JsonStringToMessage(pb::StringPiece(json.data(), json.size()), &message));
}

absl::Status HttpSession::BuildJsonRequest(const jr::Call& call, pb::Message& message) {
  switch (call.params_kind) {
    case jr::ParamsKind::kNone:
      return absl::OkStatus();
    case jr::ParamsKind::kObject:
      return ParseJson(call.params, message);
    case jr::ParamsKind::kArray:
      break;
  }
  // By position: element i is field i in declaration order, so the same JSON mapping applies.
  const pb::Descriptor& type = *message.GetDescriptor();
  if (call.positional.size() > static_cast<std::size_t>(type.field_count())) {
    return absl::InvalidArgumentError(absl::StrCat("jsonrpc: ", call.positional.size(),
                                                   " params given; ", type.full_name(), " has ",
                                                   type.field_count(), " fields"));
  }
  std::string& json = context_.json_;
  json.clear();
  json.push_back('{');
  for (std::size_t i = 0; i < call.positional.size(); ++i) {
    if (i > 0) json.push_back(',');
    absl::StrAppend(&json, "\"", type.field(static_cast<int>(i))->json_name(),
                    "\":", call.positional[i]);
  }
  json.push_back('}');
  return ParseJson(json, message);
}

void HttpSession::FinishJsonRpc(Slot& slot) {
  std::string& body = context_.scratch_;
  body.clear();
  jr::ResponseWriter writer(slot.batch, body);
  for (std::size_t i = 0; i < slot.entry_count; ++i) {
    if (!slot.entries[i].empty()) writer.AddEncoded(slot.entries[i]);
  }
  if (writer.Finish() == 0) return Respond(slot, 204, "", "");  // Notifications only.
  Respond(slot, 200, "application/json", body);
}

// --- REST ------------------------------------------------------------------------------------

void HttpSession::HandleRest(const ph::HttpRequest& request, const RestRoute& route, Slot& slot) {
  PrepareEntries(slot, Kind::kRest, 1);
  absl::StatusOr<const pb::MethodDescriptor*> method =
      shard_.FindMethod(route.service, route.method_name);
  if (!method.ok()) shard_.ReportRoutingFailure(route.service, route.method_name, method.status());
  absl::Status status = method.status();
  if (status.ok() && *method != route.descriptor) {
    // A route moved the call to another service whose types differ from the binding's.
    status = absl::FailedPreconditionError(absl::StrCat(
        "http: ", route.service, ".", route.method_name, " is routed to other message types"));
  }
  if (status.ok()) {
    pb::Message& message = RequestFor(**method);
    const absl::string_view target = request.target;
    const std::size_t question = target.find('?');
    status = BuildRestRequest(
        route, context_.bindings_,
        question == absl::string_view::npos ? absl::string_view() : target.substr(question + 1),
        request.body, message, context_.json_);
    if (status.ok()) {
      slot.pending = 1;  // Held until the call started: the reply may come at once.
      CallBroker(route.service, route.method_name, **method, message, slot, 0, Kind::kRest, "",
                 false, route.response_field);
      if (--slot.pending == 0) Finish(slot);
      return;
    }
  }
  slot.status = MappingFor(status.code()).http_status;
  WriteRestError(status, slot.entries[0]);
  Finish(slot);
}

// --- XML-RPC ---------------------------------------------------------------------------------

void HttpSession::HandleXmlRpc(const ph::HttpRequest& request, Slot& slot) {
  PrepareEntries(slot, Kind::kXmlRpc, 1);
  xr::MethodCall& call = context_.xml_call_;
  if (absl::Status parsed = context_.xmlrpc_.ParseCall(request.body, call); !parsed.ok()) {
    // The xmlrpc-epi interoperability codes: -32700 not well formed, -32600 not XML-RPC.
    HttpCounters::Add(context_.counters_.rpc_errors);
    const int32_t code = xr::IsMalformedXml(parsed) ? jr::kParseError : jr::kInvalidRequest;
    xr::EncodeFault(xr::Fault{code, std::string(parsed.message())}, slot.entries[0]);
    return Finish(slot);
  }
  slot.pending = 1;  // Held until every call started: replies may come at once.
  if (call.method_name == xr::kMulticallMethod) {
    std::vector<absl::StatusOr<xr::MulticallEntry>>& entries = context_.multicall_;
    if (absl::Status split = xr::SplitMulticall(call.params(), entries); !split.ok()) {
      WriteFault(slot, 0, split);
    } else {
      PrepareEntries(slot, Kind::kXmlMulticall, entries.size());
      for (std::size_t i = 0; i < entries.size(); ++i) {
        if (!entries[i].ok()) {
          WriteFault(slot, i, entries[i].status());
          continue;
        }
        StartXmlRpcCall(entries[i]->method_name, entries[i]->params, slot, i);
      }
    }
  } else {
    StartXmlRpcCall(call.method_name, call.params(), slot, 0);
  }
  if (--slot.pending == 0) Finish(slot);
}

void HttpSession::StartXmlRpcCall(absl::string_view method_name, xr::ValueRef params, Slot& slot,
                                  std::size_t entry) {
  if (FindSystemMethod(method_name) != nullptr) {
    std::string& out = slot.entries[entry];
    out.clear();
    xr::ValueWriter writer(out);
    if (slot.kind == Kind::kXmlRpc) {
      xr::AppendResponseBegin(out);
    } else {
      writer.BeginArray();
    }
    absl::Status status = SystemMethod(method_name, params, writer);
    if (status.ok()) status = writer.status();
    if (!status.ok()) return WriteFault(slot, entry, status);
    if (slot.kind == Kind::kXmlRpc) {
      xr::AppendResponseEnd(out);
    } else {
      writer.EndArray();
    }
    return;
  }
  absl::string_view service;
  absl::string_view name;
  absl::StatusOr<const pb::MethodDescriptor*> method =
      FindMethodToCall(shard_, method_name, service, name);
  if (!method.ok()) return WriteFault(slot, entry, method.status());
  pb::Message& request = RequestFor(**method);
  request.Clear();
  if (absl::Status built = XmlRpcParamsToMessage(params, request); !built.ok()) {
    // Bad params are always -32602, whatever status the mapping chose.
    return WriteFault(slot, entry, absl::InvalidArgumentError(built.message()));
  }
  CallBroker(service, name, **method, request, slot, entry, slot.kind, "", false);
}

absl::Status HttpSession::SystemMethod(absl::string_view method_name, xr::ValueRef params,
                                       xr::ValueWriter& writer) {
  if (method_name == kListMethods) {
    writer.BeginArray();
    for (const pb::ServiceDescriptor* service : shard_.RegisteredServices()) {
      for (int i = 0; i < service->method_count(); ++i) {
        writer.AppendString(service->method(i)->full_name());
      }
    }
    for (const SystemMethodInfo& info : kSystemMethods) writer.AppendString(info.name);
    writer.EndArray();
    return absl::OkStatus();
  }
  // methodSignature and methodHelp take one string: the method's name.
  if (params.size() != 1 ||
      params.elements().begin().operator*().type() != xr::ValueType::kString) {
    return absl::InvalidArgumentError(
        absl::StrCat("xmlrpc: ", method_name, " takes one string, a method name"));
  }
  const absl::string_view target = (*params.elements().begin()).string_value();
  const SystemMethodInfo* system = FindSystemMethod(target);
  const pb::MethodDescriptor* method = nullptr;
  if (system == nullptr) {
    absl::string_view service;
    absl::string_view name;
    absl::StatusOr<const pb::MethodDescriptor*> found = FindMethod(shard_, target, service, name);
    if (!found.ok()) return found.status();
    method = *found;
  }
  if (method_name == kMethodHelp) {
    writer.AppendString(system != nullptr ? std::string(system->help) : XmlRpcMethodHelp(*method));
    return absl::OkStatus();
  }
  writer.BeginArray();
  writer.BeginArray();
  if (system != nullptr) {
    for (absl::string_view type : system->signature) {
      if (!type.empty()) writer.AppendString(type);
    }
  } else {
    for (const std::string& type : XmlRpcSignature(*method)) writer.AppendString(type);
  }
  writer.EndArray();
  writer.EndArray();
  return absl::OkStatus();
}

void HttpSession::FinishXmlRpc(Slot& slot) {
  if (slot.kind == Kind::kXmlRpc) return Respond(slot, 200, "text/xml", slot.entries[0]);
  std::string& body = context_.scratch_;
  body.clear();
  xr::AppendResponseBegin(body);
  xr::ValueWriter writer(body);
  writer.BeginArray();
  for (std::size_t i = 0; i < slot.entry_count; ++i) body.append(slot.entries[i]);
  writer.EndArray();
  xr::AppendResponseEnd(body);
  Respond(slot, 200, "text/xml", body);
}

}  // namespace weft::gateways::http
