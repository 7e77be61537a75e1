#include "broker/object_refs.h"

#include "google/protobuf/descriptor.h"

namespace weft::broker {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Reflection;
using ::weft::v1::ObjectRef;

using MutableVisit = absl::FunctionRef<void(ObjectRef&)>;
using ConstVisit = absl::FunctionRef<void(const ObjectRef&)>;

void VisitRef(Message& message, MutableVisit visit) {
  if (ObjectRef* ref = google::protobuf::DynamicCastToGenerated<ObjectRef>(&message)) {
    visit(*ref);
    return;
  }
  ObjectRef copy;
  copy.CopyFrom(message);
  visit(copy);
  message.CopyFrom(copy);
}

void VisitRef(const Message& message, ConstVisit visit) {
  if (const ObjectRef* ref = google::protobuf::DynamicCastToGenerated<ObjectRef>(&message)) {
    visit(*ref);
    return;
  }
  ObjectRef copy;
  copy.CopyFrom(message);
  visit(copy);
}

// Element access for the mutable and the read-only walk, so that one template serves both.
Message& Element(Message& message, const FieldDescriptor* field, int index) {
  return *message.GetReflection()->MutableRepeatedMessage(&message, field, index);
}
const Message& Element(const Message& message, const FieldDescriptor* field, int index) {
  return message.GetReflection()->GetRepeatedMessage(message, field, index);
}
Message& Singular(Message& message, const FieldDescriptor* field) {
  return *message.GetReflection()->MutableMessage(&message, field);
}
const Message& Singular(const Message& message, const FieldDescriptor* field) {
  return message.GetReflection()->GetMessage(message, field);
}

// `M` is Message or const Message; `Visit` the matching FunctionRef. Recursion depth is bounded
// by the message's nesting, which protobuf's parser already limits (100 by default).
template <typename M, typename Visit>
void Walk(M& message, const DescriptorRegistry& registry, Visit visit) {
  const Descriptor* type = message.GetDescriptor();
  if (type == ObjectRef::descriptor()) return VisitRef(message, visit);
  if (!registry.ContainsObjectRef(type)) return;
  const Reflection* reflection = message.GetReflection();
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    if (field->message_type() == nullptr || !registry.ContainsObjectRef(field->message_type())) {
      continue;
    }
    if (field->is_repeated()) {  // Map fields are repeated entries; only values can be refs.
      const int size = reflection->FieldSize(message, field);
      for (int j = 0; j < size; ++j) Walk(Element(message, field, j), registry, visit);
    } else if (reflection->HasField(message, field)) {
      Walk(Singular(message, field), registry, visit);
    }
  }
}

}  // namespace

void ForEachObjectRef(Message& message, const DescriptorRegistry& registry, MutableVisit visit) {
  Walk(message, registry, visit);
}

void ForEachObjectRef(const Message& message, const DescriptorRegistry& registry,
                      ConstVisit visit) {
  Walk(message, registry, visit);
}

}  // namespace weft::broker
