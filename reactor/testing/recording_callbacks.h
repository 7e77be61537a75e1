// RecordingCallbacks: a TransportCallbacks that records every event, for transport tests.
//
// Part of //reactor/testing (testonly). Tests of InMemoryTransport, TransportPair and wrappers
// such as TLS assert on the recorded sequence ("data:hi", "eof", "high", "low", "closed:OK") and
// on the bytes received, and may install hooks that act from inside a callback (write a reply,
// close, destroy the transport). It also counts the contract violations every transport test
// wants to rule out: a second OnClosed() and any event after OnClosed().
#ifndef WEFT_REACTOR_TESTING_RECORDING_CALLBACKS_H_
#define WEFT_REACTOR_TESTING_RECORDING_CALLBACKS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "reactor/transport.h"

namespace weft::reactor {

class RecordingCallbacks final : public TransportCallbacks {
 public:
  // Data events longer than this are recorded as "data:<N bytes>".
  static constexpr std::size_t kMaxRecordedDataEvent = 64;

  // TransportCallbacks
  void OnData(absl::string_view bytes) override {
    Record(bytes.size() <= kMaxRecordedDataEvent ? absl::StrCat("data:", bytes)
                                                 : absl::StrCat("data:<", bytes.size(), " bytes>"));
    data_.append(bytes.data(), bytes.size());
    ++data_calls_;
    if (on_data_) on_data_(bytes);
  }
  void OnReadEof() override {
    Record("eof");
    read_eof_ = true;
    if (on_read_eof_) on_read_eof_();
  }
  void OnWriteBufferHigh() override {
    Record("high");
    ++high_count_;
    if (on_high_) on_high_();
  }
  void OnWriteBufferLow() override {
    Record("low");
    ++low_count_;
    if (on_low_) on_low_();
  }
  void OnClosed(absl::Status reason) override {
    Record(absl::StrCat("closed:", absl::StatusCodeToString(reason.code())));
    ++closed_count_;
    closed_reason_ = reason;
    if (on_closed_) on_closed_(std::move(reason));
  }

  // Hooks run after the event is recorded; they may destroy the transport.
  void set_on_data(absl::AnyInvocable<void(absl::string_view)> hook) { on_data_ = std::move(hook); }
  void set_on_read_eof(absl::AnyInvocable<void()> hook) { on_read_eof_ = std::move(hook); }
  void set_on_high(absl::AnyInvocable<void()> hook) { on_high_ = std::move(hook); }
  void set_on_low(absl::AnyInvocable<void()> hook) { on_low_ = std::move(hook); }
  void set_on_closed(absl::AnyInvocable<void(absl::Status)> hook) { on_closed_ = std::move(hook); }

  const std::vector<std::string>& events() const { return events_; }
  const std::string& data() const { return data_; }
  std::string TakeData() { return std::exchange(data_, std::string()); }
  int data_calls() const { return data_calls_; }
  bool read_eof() const { return read_eof_; }
  int high_count() const { return high_count_; }
  int low_count() const { return low_count_; }
  int closed_count() const { return closed_count_; }
  bool closed() const { return closed_count_ > 0; }
  // The reason passed to the (first) OnClosed(), if any.
  const std::optional<absl::Status>& closed_reason() const { return closed_reason_; }
  // Events that arrived after an OnClosed(), which the Transport contract forbids.
  int events_after_close() const { return events_after_close_; }

 private:
  void Record(std::string event) {
    if (closed_count_ > 0) ++events_after_close_;
    events_.push_back(std::move(event));
  }

  std::vector<std::string> events_;
  std::string data_;
  int data_calls_ = 0;
  bool read_eof_ = false;
  int high_count_ = 0;
  int low_count_ = 0;
  int closed_count_ = 0;
  int events_after_close_ = 0;
  std::optional<absl::Status> closed_reason_;
  absl::AnyInvocable<void(absl::string_view)> on_data_;
  absl::AnyInvocable<void()> on_read_eof_;
  absl::AnyInvocable<void()> on_high_;
  absl::AnyInvocable<void()> on_low_;
  absl::AnyInvocable<void(absl::Status)> on_closed_;
};

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_TESTING_RECORDING_CALLBACKS_H_
