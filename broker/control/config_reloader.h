// ConfigReloader: reloading weftd's config file while it runs, for the ReloadConfig RPC and for
// SIGHUP alike (docs/control.md "ReloadConfig").
//
// Part of //broker/control. Keeps the config whose routes are applied and applies a newly loaded
// one through the broker's routes (config_reload.h says what changes at run time and what needs a
// restart). Home loop only, except Load(), which only reads the file and may run on any thread.
#ifndef WEFT_BROKER_CONTROL_CONFIG_RELOADER_H_
#define WEFT_BROKER_CONTROL_CONFIG_RELOADER_H_

#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "broker/broker.h"
#include "weft/config/v1/config.pb.h"

namespace weft::broker::control {

class ConfigReloader {
 public:
  // What changed, one line each ("route put: demo.New"), or why nothing did.
  using Done = absl::AnyInvocable<void(absl::StatusOr<std::vector<std::string>>)>;

  // `broker` outlives the reloader. `config_path` is the file weftd was started with ("" for the
  // embedded default) and `running` the config it runs (resolved and validated).
  ConfigReloader(Broker& broker, std::string config_path, config::v1::BrokerConfig running);
  ConfigReloader(const ConfigReloader&) = delete;
  ConfigReloader& operator=(const ConfigReloader&) = delete;

  // Reads and validates the file again. kFailedPrecondition without a file (the embedded
  // default); kInvalidArgument naming the field and line for a file that does not parse or
  // validate. Any thread: it touches nothing but the file.
  absl::StatusOr<config::v1::BrokerConfig> Load() const;
  // Applies `next`'s routes; `done` runs on the home loop once every loop routes by them, or at
  // once with an error (a route that cannot be put; those before it stay applied). Home loop.
  void Apply(config::v1::BrokerConfig next, Done done);
  // Load() then Apply(): for SIGHUP, on the home loop (the file is small; Load refuses > 4 MiB).
  void Reload(Done done);

 private:
  Broker& broker_;
  const std::string config_path_;
  // The config whose routes are applied. Home loop only.
  config::v1::BrokerConfig running_;
};

}  // namespace weft::broker::control

#endif  // WEFT_BROKER_CONTROL_CONFIG_RELOADER_H_
