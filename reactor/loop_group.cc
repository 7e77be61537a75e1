#include "reactor/loop_group.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace weft::reactor {

absl::StatusOr<std::unique_ptr<LoopGroup>> LoopGroup::Create(int size) {
  if (size < 1 || size > 1024) {
    return absl::InvalidArgumentError(absl::StrCat("loop count ", size, " is not in 1..1024"));
  }
  std::vector<std::unique_ptr<EpollEventLoop>> loops;
  for (int i = 0; i < size; ++i) {
    absl::StatusOr<std::unique_ptr<EpollEventLoop>> loop = EpollEventLoop::Create();
    if (!loop.ok()) return loop.status();
    loops.push_back(*std::move(loop));
  }
  return std::unique_ptr<LoopGroup>(new LoopGroup(std::move(loops)));
}

LoopGroup::LoopGroup(std::vector<std::unique_ptr<EpollEventLoop>> loops)
    : loops_(std::move(loops)) {}

LoopGroup::~LoopGroup() { Stop(); }

void LoopGroup::Start() {
  for (std::size_t i = 1; i < loops_.size(); ++i) {
    EpollEventLoop* loop = loops_[i].get();
    threads_.emplace_back([loop] { loop->Run(); });
  }
}

void LoopGroup::Run() { loops_[0]->Run(); }

void LoopGroup::Stop() {
  for (auto& loop : loops_) loop->Stop();
  for (std::thread& thread : threads_) {
    if (thread.joinable() && thread.get_id() != std::this_thread::get_id()) thread.join();
  }
  threads_.clear();
}

int DefaultLoopCount() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

}  // namespace weft::reactor
