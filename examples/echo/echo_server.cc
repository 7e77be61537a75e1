// echo_server: a TCP/TLS/Unix echo server on Weft's reactor.
//
//   echo_server ENDPOINT [--loops N]
//
// Prints "listening on <endpoint>" (with the bound port) once every loop accepts. With N loops,
// each runs on its own thread with its own SO_REUSEPORT listener. SIGTERM or SIGINT stops it
// cleanly with exit status 0. The echo protocol is a
// well-behaved producer: it stops reading while the peer is slow to read its echoes, so a client
// that never reads cannot grow the server's memory.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "reactor/endpoint.h"
#include "reactor/endpoint_factory.h"
#include "reactor/loop_group.h"
#include "reactor/protocol.h"
#include "reactor/signal_watcher.h"

namespace weft::examples {
namespace {

using reactor::Protocol;

class Echo final : public Protocol {
 public:
  // TransportCallbacks
  void OnData(absl::string_view bytes) override {
    if (!transport().Write(bytes).ok()) transport().Abort();
  }
  void OnWriteBufferHigh() override { transport().PauseReading(); }
  void OnWriteBufferLow() override { transport().ResumeReading(); }
  void OnClosed(absl::Status) override {}
};

class EchoFactory final : public reactor::Factory {
 public:
  std::unique_ptr<Protocol> BuildProtocol(absl::string_view) override {
    return std::make_unique<Echo>();
  }
};

struct Options {
  std::string endpoint;
  int loops = 1;
};

bool ParseArgs(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--loops" && i + 1 < argc) {
      if (!absl::SimpleAtoi(argv[++i], &options.loops) || options.loops < 1) return false;
    } else if (options.endpoint.empty() && !arg.empty() && arg[0] != '-') {
      options.endpoint = std::string(arg);
    } else {
      return false;
    }
  }
  return !options.endpoint.empty();
}

int Main(int argc, char** argv) {
  constexpr int kStopSignals[] = {SIGTERM, SIGINT};
  if (absl::Status s = reactor::BlockSignals(kStopSignals); !s.ok()) {
    std::fprintf(stderr, "echo_server: %s\n", s.ToString().c_str());
    return 1;
  }
  Options options;
  if (!ParseArgs(argc, argv, options)) {
    std::fprintf(stderr, "usage: echo_server ENDPOINT [--loops N]\n");
    return 2;
  }
  absl::StatusOr<reactor::ServerEndpoint> endpoint = reactor::ParseServerEndpoint(options.endpoint);
  if (!endpoint.ok()) {
    std::fprintf(stderr, "echo_server: %s\n", endpoint.status().ToString().c_str());
    return 2;
  }
  absl::StatusOr<std::unique_ptr<reactor::LoopGroup>> group =
      reactor::LoopGroup::Create(options.loops);
  if (!group.ok()) {
    std::fprintf(stderr, "echo_server: %s\n", group.status().ToString().c_str());
    return 1;
  }
  endpoint->reuse_port = endpoint->reuse_port || options.loops > 1;
  EchoFactory factory;
  std::vector<std::unique_ptr<reactor::ProtocolServer>> servers;
  std::vector<std::unique_ptr<reactor::Listener>> listeners;
  for (int i = 0; i < options.loops; ++i) {
    reactor::EpollEventLoop& loop = (*group)->loop(i);
    servers.push_back(std::make_unique<reactor::ProtocolServer>(loop, factory));
    absl::StatusOr<std::unique_ptr<reactor::Listener>> listener =
        reactor::ListenEndpoint(loop, *endpoint, *servers.back());
    if (!listener.ok()) {
      std::fprintf(stderr, "echo_server: %s\n", listener.status().ToString().c_str());
      return 1;
    }
    // Port 0 picks a port once; the other loops join it.
    endpoint->port = (*listener)->port();
    listeners.push_back(*std::move(listener));
  }
  absl::StatusOr<std::unique_ptr<reactor::SignalWatcher>> stop = reactor::SignalWatcher::Create(
      (*group)->loop(0), kStopSignals, [&group](int) { (*group)->Stop(); });
  if (!stop.ok()) {
    std::fprintf(stderr, "echo_server: %s\n", stop.status().ToString().c_str());
    return 1;
  }
  std::printf("listening on %s\n", endpoint->ToString().c_str());
  std::fflush(stdout);
  (*group)->Start();
  (*group)->Run();
  (*group)->Stop();
  return 0;
}

}  // namespace
}  // namespace weft::examples

int main(int argc, char** argv) { return weft::examples::Main(argc, argv); }
