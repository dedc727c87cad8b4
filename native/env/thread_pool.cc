#include "env/thread_pool.h"

#include "common/error.h"

namespace mario_rl::env {

ThreadPool::ThreadPool(int num_threads) {
  if (num_threads < 1) throw RangeErrorOf(ExpectedMessage("at least one thread", "numThreads", std::to_string(num_threads)));
  workers_.reserve(static_cast<size_t>(num_threads));
  for (int i = 0; i < num_threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    // A job still running (e.g. the object was collected mid-stepAsync) finishes first.
    idle_cv_.wait(lock, [this] { return !busy_; });
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (auto& worker : workers_) worker.join();
}

bool ThreadPool::Busy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return busy_;
}

void ThreadPool::Launch(size_t count, Task task, void* ctx, Completion done, void* done_ctx) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (busy_) throw Error("ThreadPool::Launch: a job is already running");
    busy_ = true;
    count_ = count;
    task_ = task;
    ctx_ = ctx;
    done_ = done;
    done_ctx_ = done_ctx;
    next_index_.store(0, std::memory_order_relaxed);
    active_workers_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  work_cv_.notify_all();
}

void ThreadPool::Run(size_t count, Task task, void* ctx) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    run_finished_ = false;
  }
  Launch(
      count, task, ctx,
      [](void* self_ptr) {
        auto* self = static_cast<ThreadPool*>(self_ptr);
        {
          std::lock_guard<std::mutex> lock(self->mutex_);
          self->run_finished_ = true;
        }
        self->idle_cv_.notify_all();
      },
      this);
  std::unique_lock<std::mutex> lock(mutex_);
  idle_cv_.wait(lock, [this] { return run_finished_; });
}

void ThreadPool::WorkerLoop() {
  uint64_t seen = 0;
  for (;;) {
    size_t count;
    Task task;
    void* ctx;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_cv_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      count = count_;
      task = task_;
      ctx = ctx_;
    }
    for (;;) {
      const size_t i = next_index_.fetch_add(1, std::memory_order_relaxed);
      if (i >= count) break;
      task(ctx, i);
    }
    Completion done = nullptr;
    void* done_ctx = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--active_workers_ != 0) continue;
      done = done_;
      done_ctx = done_ctx_;
      // Last worker out: the job is complete. Idle before the completion runs, so a completion
      // that resolves a Promise (after which JS may launch the next job) never sees a busy pool.
      busy_ = false;
    }
    if (done) done(done_ctx);
    idle_cv_.notify_all();
  }
}

}  // namespace mario_rl::env
