// LoopGroup: N EpollEventLoops on N threads, the shape of a multi-core Weft server.
//
// Part of //reactor. Each loop owns the connections it accepts for their whole life (no data is
// shared between loops); listeners on every loop share one port through SO_REUSEPORT and the
// kernel spreads connections across them. Set-up happens on the calling thread before Start():
// loops are bound to their creator until a thread runs them.
#ifndef WEFT_REACTOR_LOOP_GROUP_H_
#define WEFT_REACTOR_LOOP_GROUP_H_

#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "reactor/epoll_event_loop.h"

namespace weft::reactor {

class LoopGroup {
 public:
  // kInvalidArgument unless 1 <= size <= 1024; kInternal when a loop cannot be created.
  static absl::StatusOr<std::unique_ptr<LoopGroup>> Create(int size);
  // Stops and joins the threads, then destroys the loops.
  ~LoopGroup();

  LoopGroup(const LoopGroup&) = delete;
  LoopGroup& operator=(const LoopGroup&) = delete;

  int size() const { return static_cast<int>(loops_.size()); }
  EpollEventLoop& loop(int index) { return *loops_[index]; }

  // Runs loops 1..N-1 on new threads; loop 0 runs on the caller's thread in Run().
  void Start();
  // Runs loop 0 on the calling thread until Stop().
  void Run();
  // Stops every loop and joins the threads. Thread-safe, idempotent. Called from one of the
  // group's own loop threads, it joins the others; the destructor joins the caller's.
  void Stop();

 private:
  explicit LoopGroup(std::vector<std::unique_ptr<EpollEventLoop>> loops);

  std::vector<std::unique_ptr<EpollEventLoop>> loops_;
  absl::Mutex threads_mutex_;
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(threads_mutex_);
};

// The number of loops `weftd` and the examples use by default: one per online CPU.
int DefaultLoopCount();

}  // namespace weft::reactor

#endif  // WEFT_REACTOR_LOOP_GROUP_H_
