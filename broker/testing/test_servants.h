// In-process servants for the broker facade tests, over broker/testdata/test_services.proto.
//
// Part of //broker/testing (testonly). Every loop gets its own servant instances; they share one
// ServantState the test owns, through which the test sees and steers what servants do:
//   - CalcServant (testdata.Calc): Add sums; Echo returns its request, or fails with
//     kPermissionDenied "echo: negative number" when number < 0. Echo of text "metadata:<key>"
//     answers the caller's metadata value for <key>.
//   - SlowServant (testdata.Slow): Wait and WaitHolding keep `done` in ServantState::slow_calls
//     until the test finishes it (FinishSlow) and count NotifyOnCancel notices.
//   - ObjectsServant (testdata.Objects): Make exports a CalcServant object; Watch/Poke/Forget
//     hold, call and drop a callback through ObjectHandle.
#ifndef WEFT_BROKER_TESTING_TEST_SERVANTS_H_
#define WEFT_BROKER_TESTING_TEST_SERVANTS_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "broker/broker.h"
#include "broker/call_context.h"
#include "broker/testdata/test_services.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/service.h"

namespace weft::broker::testing {

struct ServantState {
  // A Slow call the servant has not finished.
  struct SlowCall {
    CallContext* context = nullptr;
    // Sets the response's text (Wait) or label (WaitHolding).
    std::function<void(const std::string&)> set_text;
    google::protobuf::Closure* done = nullptr;
  };

  // Finishes slow_calls[index] with response text `text` (or with `status` when not OK) and
  // removes it from the list.
  void FinishSlow(std::size_t index, const std::string& text,
                  absl::Status status = absl::OkStatus());

  std::vector<SlowCall> slow_calls;
  // NotifyOnCancel callbacks of Slow calls that ran with IsCanceled() true / false.
  int cancel_notices = 0;
  int end_notices = 0;
  // Slow calls that saw IsCanceled() when they finished.
  int finished_cancelled = 0;

  // The callback ObjectsServant holds (Watch), and the timeout Poke gives its calls.
  std::unique_ptr<ObjectHandle> watched;
  absl::Duration poke_timeout = absl::InfiniteDuration();
  // Exported CalcServant objects alive now.
  int live_objects = 0;
};

// The services, with factories bound to `state` (which must outlive the broker and its loops).
std::vector<InProcessService> TestServices(ServantState& state);

// The serialized FileDescriptorSet of `file` and everything it imports.
std::string DescriptorSetFor(const google::protobuf::FileDescriptor& file);

}  // namespace weft::broker::testing

#endif  // WEFT_BROKER_TESTING_TEST_SERVANTS_H_
