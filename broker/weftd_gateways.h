// WeftdGateways: weftd's GatewayControl (broker/control/gateway_control.h) over the gateways it
// runs, one per event loop and protocol.
//
// Part of //broker:weftd. Each operation posts a task to every loop, which drains or resumes that
// loop's gateway there (gateways are loop-thread objects); the last loop to finish answers.
// Gateways are added before the loops run and outlive this object's last posted task (weftd
// destroys them after the loops stopped).
#ifndef WEFT_BROKER_WEFTD_GATEWAYS_H_
#define WEFT_BROKER_WEFTD_GATEWAYS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "broker/control/gateway_control.h"
#include "reactor/loop_group.h"

namespace weft::broker {

class WeftdGateways final : public control::GatewayControl {
 public:
  // `group` outlives this object.
  explicit WeftdGateways(reactor::LoopGroup& group) : group_(group) {}

  // Adds the gateway `name` whose instance for loop i is gateways[i] (one per loop, or none when
  // the gateway is off). `Gateway` has Drain(), Resume() and session_count(). Before the loops run.
  template <typename Gateway>
  void Add(std::string name, const std::vector<std::unique_ptr<Gateway>>& gateways) {
    if (gateways.empty()) return;
    Entry& entry = entries_.emplace_back();
    entry.name = std::move(name);
    for (const std::unique_ptr<Gateway>& gateway : gateways) {
      Gateway* g = gateway.get();
      entry.drain.push_back([g] {
        g->Drain();
        return g->session_count();
      });
      entry.resume.push_back([g] { return g->Resume(); });
    }
  }
  // weftd is shutting down: EnableGateway no longer listens again. Any thread.
  void Stop() { stopping_.store(true); }

  // control::GatewayControl
  std::vector<std::string> names() const override;
  void Drain(absl::string_view gateway,
             absl::AnyInvocable<void(absl::StatusOr<int64_t>)> done) override;
  void Enable(absl::string_view gateway, absl::AnyInvocable<void(absl::Status)> done) override;

 private:
  struct Entry {
    std::string name;
    // Per loop; each runs on its loop only.
    std::vector<absl::AnyInvocable<std::size_t()>> drain;
    std::vector<absl::AnyInvocable<absl::Status()>> resume;
  };
  Entry* Find(absl::string_view name);

  reactor::LoopGroup& group_;
  std::vector<Entry> entries_;  // Fixed once the loops run.
  std::atomic<bool> stopping_{false};
};

}  // namespace weft::broker

#endif  // WEFT_BROKER_WEFTD_GATEWAYS_H_
