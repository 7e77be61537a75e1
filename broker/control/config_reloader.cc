#include "broker/control/config_reloader.h"

#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "broker/config.h"
#include "broker/control/config_reload.h"
#include "broker/route_config.h"

namespace weft::broker::control {

ConfigReloader::ConfigReloader(Broker& broker, std::string config_path,
                               config::v1::BrokerConfig running)
    : broker_(broker), config_path_(std::move(config_path)), running_(std::move(running)) {}

absl::StatusOr<config::v1::BrokerConfig> ConfigReloader::Load() const {
  if (config_path_.empty()) {
    return absl::FailedPreconditionError(
        "control: weftd runs the embedded default config (no --config); there is no file to "
        "reload");
  }
  return LoadConfigFile(config_path_);
}

void ConfigReloader::Reload(Done done) {
  absl::StatusOr<config::v1::BrokerConfig> next = Load();
  if (!next.ok()) return done(next.status());
  Apply(*std::move(next), std::move(done));
}

void ConfigReloader::Apply(config::v1::BrokerConfig next, Done done) {
  const ReloadPlan plan = PlanReload(running_, next);
  // Answers when the last `applied` callback ran; an error answers at once instead.
  struct Progress {
    explicit Progress(Done d) : done(std::move(d)) {}
    Done done;
    std::vector<std::string> changes;
    int pending = 1;
    void Finish(absl::StatusOr<std::vector<std::string>> result) {
      if (done == nullptr) return;
      Done answer = std::move(done);
      done = nullptr;
      answer(std::move(result));
    }
    void Applied() {
      if (--pending == 0) Finish(std::move(changes));
    }
  };
  auto progress = std::make_shared<Progress>(std::move(done));
  for (const std::string& target : plan.deletes) {
    ++progress->pending;
    if (broker_.DeleteRoute(target, [progress] { progress->Applied(); })) {
      progress->changes.push_back(absl::StrCat("route deleted: ", target));
    } else {
      --progress->pending;  // Deleted through the control plane meanwhile.
    }
  }
  for (const config::v1::Route& route : plan.puts) {
    ++progress->pending;
    absl::Status put =
        broker_.PutRoute(RouteSpecFromConfig(route), [progress] { progress->Applied(); });
    if (!put.ok()) {
      // The routes before this one are applied; running_ stays, so that a reload of a fixed file
      // puts them again (a put replaces) and finishes the job.
      return progress->Finish(absl::Status(
          put.code(), absl::StrCat("routes: '", route.target(), "': ", put.message(),
                                   " (the routes listed before it in the file were applied)")));
    }
    progress->changes.push_back(absl::StrCat("route put: ", route.target()));
  }
  for (const std::string& field : plan.restart_needed) {
    progress->changes.push_back(absl::StrCat(field, ": changed; restart weftd to apply"));
  }
  running_ = std::move(next);
  progress->Applied();
}

}  // namespace weft::broker::control
