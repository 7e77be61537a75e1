#include "broker/testing/test_servants.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.pb.h"

namespace weft::broker::testing {
namespace {

using ::google::protobuf::Closure;
using ::google::protobuf::RpcController;

// A self-deleting Closure running a lambda once.
class LambdaClosure final : public Closure {
 public:
  explicit LambdaClosure(absl::AnyInvocable<void()> body) : body_(std::move(body)) {}
  void Run() override {
    absl::AnyInvocable<void()> body = std::move(body_);
    delete this;
    body();
  }

 private:
  absl::AnyInvocable<void()> body_;
};

class CalcServant final : public testdata::Calc {
 public:
  // `counted`: an exported object, tracked in state.live_objects.
  CalcServant(ServantState& state, bool counted) : state_(state), counted_(counted) {
    if (counted_) ++state_.live_objects;
  }
  ~CalcServant() override {
    if (counted_) --state_.live_objects;
  }

  void Add(RpcController*, const testdata::AddRequest* request, testdata::AddReply* response,
           Closure* done) override {
    response->set_sum(request->a() + request->b());
    done->Run();
  }
  void Echo(RpcController* controller, const testdata::Plain* request, testdata::Plain* response,
            Closure* done) override {
    CallContext& context = CallContext::From(controller);
    if (request->number() < 0) {
      context.SetStatus(absl::PermissionDeniedError("echo: negative number"));
    } else if (absl::string_view key = request->text(); absl::ConsumePrefix(&key, "metadata:")) {
      response->set_text(std::string(context.metadata(key)));
    } else {
      *response = *request;
    }
    done->Run();
  }

 private:
  ServantState& state_;
  const bool counted_;
};

class SlowServant final : public testdata::Slow {
 public:
  explicit SlowServant(ServantState& state) : state_(state) {}

  void Wait(RpcController* controller, const testdata::Plain*, testdata::Plain* response,
            Closure* done) override {
    Keep(
        CallContext::From(controller),
        [response](const std::string& text) { response->set_text(text); }, done);
  }
  void WaitHolding(RpcController* controller, const testdata::Holder*, testdata::Holder* response,
                   Closure* done) override {
    Keep(
        CallContext::From(controller),
        [response](const std::string& text) { response->set_label(text); }, done);
  }

 private:
  void Keep(CallContext& context, std::function<void(const std::string&)> set_text, Closure* done) {
    ServantState& state = state_;
    context.NotifyOnCancel(new LambdaClosure([&state, &context] {
      ++(context.IsCanceled() ? state.cancel_notices : state.end_notices);
    }));
    state_.slow_calls.push_back({&context, std::move(set_text), done});
  }

  ServantState& state_;
};

class ObjectsServant final : public testdata::Objects {
 public:
  explicit ObjectsServant(ServantState& state) : state_(state) {}

  void Make(RpcController* controller, const testdata::Plain* request, testdata::Holder* response,
            Closure* done) override {
    *response->mutable_ref() = CallContext::From(controller)
                                   .Export(std::make_unique<CalcServant>(state_, /*counted=*/true));
    response->set_label(request->text());
    done->Run();
  }
  void Watch(RpcController* controller, const testdata::Holder* request, testdata::Holder*,
             Closure* done) override {
    CallContext& context = CallContext::From(controller);
    absl::StatusOr<std::unique_ptr<ObjectHandle>> handle = context.Hold(request->ref());
    if (handle.ok()) {
      state_.watched = *std::move(handle);
    } else {
      context.SetStatus(handle.status());
    }
    done->Run();
  }
  void Poke(RpcController* controller, const testdata::Holder*, testdata::Holder* response,
            Closure* done) override;
  void Forget(RpcController*, const testdata::Holder*, testdata::Holder*, Closure* done) override {
    state_.watched.reset();
    done->Run();
  }

 private:
  ServantState& state_;
};

// Calls Add(20, 22) on the watched callback and answers when that call does.
void ObjectsServant::Poke(RpcController* controller, const testdata::Holder*,
                          testdata::Holder* response, Closure* done) {
  CallContext& context = CallContext::From(controller);
  if (state_.watched == nullptr) {
    context.SetStatus(absl::FailedPreconditionError("poke: no callback held"));
    done->Run();
    return;
  }
  struct Outbound {
    OutboundController controller;
    testdata::AddRequest request;
    testdata::AddReply reply;
  };
  auto* outbound = new Outbound;
  outbound->controller.set_timeout(state_.poke_timeout);
  outbound->request.set_a(20);
  outbound->request.set_b(22);
  testdata::Calc_Stub stub(&state_.watched->channel());
  stub.Add(&outbound->controller, &outbound->request, &outbound->reply,
           new LambdaClosure([outbound, &context, response, done] {
             if (outbound->controller.status().ok()) {
               response->set_label(absl::StrCat(outbound->reply.sum()));
             } else {
               context.SetStatus(outbound->controller.status());
             }
             delete outbound;
             done->Run();
           }));
}

void AddWithImports(const google::protobuf::FileDescriptor& file,
                    google::protobuf::FileDescriptorSet& set,
                    absl::flat_hash_set<std::string>& seen) {
  if (!seen.insert(file.name()).second) return;
  for (int i = 0; i < file.dependency_count(); ++i) AddWithImports(*file.dependency(i), set, seen);
  file.CopyTo(set.add_file());
}

}  // namespace

void ServantState::FinishSlow(std::size_t index, const std::string& text, absl::Status status) {
  SlowCall call = slow_calls[index];
  slow_calls.erase(slow_calls.begin() + static_cast<std::ptrdiff_t>(index));
  if (call.context->IsCanceled()) ++finished_cancelled;
  if (status.ok()) {
    call.set_text(text);
  } else {
    call.context->SetStatus(std::move(status));
  }
  call.done->Run();
}

std::vector<InProcessService> TestServices(ServantState& state) {
  std::vector<InProcessService> services;
  services.push_back({"weft.broker.testdata.Calc",
                      [&state] { return std::make_unique<CalcServant>(state, false); }});
  services.push_back(
      {"weft.broker.testdata.Slow", [&state] { return std::make_unique<SlowServant>(state); }});
  services.push_back({"weft.broker.testdata.Objects",
                      [&state] { return std::make_unique<ObjectsServant>(state); }});
  return services;
}

std::string DescriptorSetFor(const google::protobuf::FileDescriptor& file) {
  google::protobuf::FileDescriptorSet set;
  absl::flat_hash_set<std::string> seen;
  AddWithImports(file, set, seen);
  return set.SerializeAsString();
}

}  // namespace weft::broker::testing
