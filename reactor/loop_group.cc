#include "reactor/loop_group.h"

#include <algorithm>
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
  absl::MutexLock lock(&threads_mutex_);
  for (std::size_t i = 1; i < loops_.size(); ++i) {
    EpollEventLoop* loop = loops_[i].get();
    threads_.emplace_back([loop] { loop->Run(); });
  }
}

void LoopGroup::Run() { loops_[0]->Run(); }

void LoopGroup::Stop() {
  for (auto& loop : loops_) loop->Stop();
  std::vector<std::thread> joining;
  {
    absl::MutexLock lock(&threads_mutex_);
    // A loop thread cannot join itself (and destroying its joinable std::thread would terminate
    // the process): it stays in threads_ for a later Stop(), at the latest the destructor's.
    for (std::thread& thread : threads_) {
      if (thread.get_id() != std::this_thread::get_id()) joining.push_back(std::move(thread));
    }
    threads_.erase(std::remove_if(threads_.begin(), threads_.end(),
                                  [](const std::thread& thread) { return !thread.joinable(); }),
                   threads_.end());
  }
  for (std::thread& thread : joining) thread.join();
}

int DefaultLoopCount() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

}  // namespace weft::reactor
