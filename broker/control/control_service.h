// ControlService: weft.control.v1.Control (idl/weft/control/v1/control.proto) over the gRPC
// callback API, answering from the broker's home loop.
//
// Part of //broker/control. gRPC runs each handler on one of its own threads. A handler checks
// the caller's bearer token there (the token set is immutable), copies what it needs from the
// request, and posts the work to the home loop (loop 0), the only thread that may touch the
// Broker and its DurableQueues; the answer is written and the call finished from there, or from
// the store callback the work waits on (pending_call.h). Nothing here touches broker state off
// the home loop. Close() (any thread) refuses new calls and finishes the pending ones with
// UNAVAILABLE, so that the gRPC server can shut down even when the loops have stopped.
//
// ListObjects, which this build does not implement, answers UNIMPLEMENTED, after the auth check.
// ListConnections asks every loop for its connections and answers from the home loop once all
// did; CloseConnection asks the connection's own loop. Watch streams the broker's events
// (watch_call.h). ReloadConfig applies the config file's routes (config_reloader.h, shared with
// weftd's SIGHUP) and reports what needs a restart. DrainGateway and EnableGateway go through
// weftd's GatewayControl, which reaches every loop's gateway.
#ifndef WEFT_BROKER_CONTROL_CONTROL_SERVICE_H_
#define WEFT_BROKER_CONTROL_CONTROL_SERVICE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker/broker.h"
#include "broker/control/config_reloader.h"
#include "broker/control/gateway_control.h"
#include "broker/control/pending_call.h"
#include "broker/control/watch_call.h"
#include "reactor/event_loop.h"
#include "weft/config/v1/config.pb.h"
#include "weft/control/v1/control.grpc.pb.h"

namespace weft::broker::control {

// weftd's version, as GetStatus reports it.
inline constexpr char kWeftVersion[] = "0.1.0";

struct ControlServiceOptions {
  std::string node;
  int loops = 1;
  absl::Time started;
  // Bearer tokens a caller must present (`authorization: Bearer <token>`); nullopt: no auth.
  std::optional<absl::flat_hash_set<std::string>> tokens;
};

class ControlService final : public weft::control::v1::Control::CallbackService {
 public:
  // `broker`, `home` (its loop 0), `reloader` and `gateways` (nullable: DrainGateway and
  // EnableGateway then find no gateway) outlive this service.
  ControlService(Broker& broker, reactor::EventLoop& home, ControlServiceOptions options,
                 ConfigReloader& reloader, GatewayControl* gateways);
  ~ControlService() override;

  // What GetStatus lists; set once the listeners are bound. Any thread.
  void SetListeners(std::vector<weft::control::v1::ListenerStatus> listeners);
  // Refuses new calls and finishes pending ones with UNAVAILABLE. Idempotent, any thread.
  void Close() {
    tracker_->Close();
    watches_.EndAll();
  }
  // Ends every Watch stream with UNAVAILABLE and refuses new ones (they never end by themselves,
  // so a graceful server shutdown starts here). Idempotent, any thread.
  void EndWatches() { watches_.EndAll(); }

  // Control::CallbackService
  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* context,
                                      const weft::control::v1::GetStatusRequest* request,
                                      weft::control::v1::GetStatusResponse* response) override;
  grpc::ServerUnaryReactor* ListServices(
      grpc::CallbackServerContext* context, const weft::control::v1::ListServicesRequest* request,
      weft::control::v1::ListServicesResponse* response) override;
  grpc::ServerUnaryReactor* DescribeService(
      grpc::CallbackServerContext* context,
      const weft::control::v1::DescribeServiceRequest* request,
      weft::control::v1::DescribeServiceResponse* response) override;
  grpc::ServerUnaryReactor* ListObjects(grpc::CallbackServerContext* context,
                                        const weft::control::v1::ListObjectsRequest* request,
                                        weft::control::v1::ListObjectsResponse* response) override;
  grpc::ServerUnaryReactor* ListConnections(
      grpc::CallbackServerContext* context,
      const weft::control::v1::ListConnectionsRequest* request,
      weft::control::v1::ListConnectionsResponse* response) override;
  grpc::ServerUnaryReactor* CloseConnection(
      grpc::CallbackServerContext* context,
      const weft::control::v1::CloseConnectionRequest* request,
      weft::control::v1::CloseConnectionResponse* response) override;
  grpc::ServerUnaryReactor* ListRoutes(grpc::CallbackServerContext* context,
                                       const weft::control::v1::ListRoutesRequest* request,
                                       weft::control::v1::ListRoutesResponse* response) override;
  grpc::ServerUnaryReactor* PutRoute(grpc::CallbackServerContext* context,
                                     const weft::control::v1::PutRouteRequest* request,
                                     weft::control::v1::PutRouteResponse* response) override;
  grpc::ServerUnaryReactor* DeleteRoute(grpc::CallbackServerContext* context,
                                        const weft::control::v1::DeleteRouteRequest* request,
                                        weft::control::v1::DeleteRouteResponse* response) override;
  grpc::ServerUnaryReactor* ListQueues(grpc::CallbackServerContext* context,
                                       const weft::control::v1::ListQueuesRequest* request,
                                       weft::control::v1::ListQueuesResponse* response) override;
  grpc::ServerUnaryReactor* ListDeadLetters(
      grpc::CallbackServerContext* context,
      const weft::control::v1::ListDeadLettersRequest* request,
      weft::control::v1::ListDeadLettersResponse* response) override;
  grpc::ServerUnaryReactor* GetMessage(grpc::CallbackServerContext* context,
                                       const weft::control::v1::GetMessageRequest* request,
                                       weft::control::v1::GetMessageResponse* response) override;
  grpc::ServerUnaryReactor* Replay(grpc::CallbackServerContext* context,
                                   const weft::control::v1::ReplayRequest* request,
                                   weft::control::v1::ReplayResponse* response) override;
  grpc::ServerUnaryReactor* Purge(grpc::CallbackServerContext* context,
                                  const weft::control::v1::PurgeRequest* request,
                                  weft::control::v1::PurgeResponse* response) override;
  grpc::ServerUnaryReactor* DrainGateway(
      grpc::CallbackServerContext* context, const weft::control::v1::DrainGatewayRequest* request,
      weft::control::v1::DrainGatewayResponse* response) override;
  grpc::ServerUnaryReactor* EnableGateway(
      grpc::CallbackServerContext* context, const weft::control::v1::EnableGatewayRequest* request,
      weft::control::v1::EnableGatewayResponse* response) override;
  grpc::ServerUnaryReactor* ReloadConfig(
      grpc::CallbackServerContext* context, const weft::control::v1::ReloadConfigRequest* request,
      weft::control::v1::ReloadConfigResponse* response) override;
  grpc::ServerWriteReactor<weft::control::v1::Event>* Watch(
      grpc::CallbackServerContext* context,
      const weft::control::v1::WatchRequest* request) override;

 private:
  // Checks the caller's token (OK when no auth is configured). Any thread.
  grpc::Status Authenticate(const grpc::CallbackServerContext& context) const;
  // Authenticates, then runs `work` on the home loop with the call's Reply.
  template <typename Response>
  grpc::ServerUnaryReactor* OnHome(grpc::CallbackServerContext* context, Response* response,
                                   absl::AnyInvocable<void(Reply<Response>)> work);
  // Finishes at once with `status` (after the auth check, whose failure wins).
  grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context, grpc::Status status);

  Broker& broker_;
  reactor::EventLoop& home_;
  const ControlServiceOptions options_;
  ConfigReloader& reloader_;
  GatewayControl* const gateways_;
  std::shared_ptr<CallTracker> tracker_ = CallTracker::Create();
  WatchRegistry watches_;
  mutable absl::Mutex mutex_;
  std::vector<weft::control::v1::ListenerStatus> listeners_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace weft::broker::control

#endif  // WEFT_BROKER_CONTROL_CONTROL_SERVICE_H_
