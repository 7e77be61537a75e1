#include "clients/cpp/object_ref_walker.h"

#include <vector>

#include "absl/container/flat_hash_set.h"

namespace weft::clients::internal {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool ObjectRefWalker::MayContain(const Descriptor& type) {
  auto it = cache_.find(&type);
  if (it != cache_.end()) return it->second;
  const bool yes = Compute(type);
  cache_[&type] = yes;
  return yes;
}

// Whether ObjectRef is reachable from `root` in the graph of message-typed fields (which may
// have cycles). Cached answers cut the search: a "no" type reaches nothing useful.
bool ObjectRefWalker::Compute(const Descriptor& root) {
  absl::flat_hash_set<const Descriptor*> visited = {&root};
  std::vector<const Descriptor*> stack = {&root};
  while (!stack.empty()) {
    const Descriptor* type = stack.back();
    stack.pop_back();
    if (type == weft::v1::ObjectRef::descriptor()) return true;
    for (int i = 0; i < type->field_count(); ++i) {
      const FieldDescriptor* field = type->field(i);
      if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
      const Descriptor* sub = field->message_type();
      if (auto it = cache_.find(sub); it != cache_.end()) {
        if (it->second) return true;
        continue;
      }
      if (visited.insert(sub).second) stack.push_back(sub);
    }
  }
  return false;
}

void ObjectRefWalker::ForEach(const Message& message,
                              absl::FunctionRef<void(const weft::v1::ObjectRef&)> visit) {
  const Descriptor& type = *message.GetDescriptor();
  if (!MayContain(type)) return;
  if (&type == weft::v1::ObjectRef::descriptor()) {
    if (const auto* ref = google::protobuf::DynamicCastToGenerated<weft::v1::ObjectRef>(&message)) {
      visit(*ref);
    } else {
      weft::v1::ObjectRef copy;
      copy.CopyFrom(message);
      visit(copy);
    }
    return;
  }
  const Reflection& reflection = *message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);  // Present fields, in field-number order.
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_extension() || !MayContain(*field->message_type())) continue;
    if (field->is_repeated()) {
      const int size = reflection.FieldSize(message, field);
      for (int i = 0; i < size; ++i)
        ForEach(reflection.GetRepeatedMessage(message, field, i), visit);
    } else {
      ForEach(reflection.GetMessage(message, field), visit);
    }
  }
}

}  // namespace weft::clients::internal
