// A fixed set of worker threads that run one indexed job at a time: Launch(count, task, ctx)
// runs task(ctx, i) for every i in [0, count) on the workers and calls the completion from the
// one that finishes last; Run does the same job with the calling thread taking indices beside
// NumThreads() - 1 workers, so a one-thread pool steps on the caller with no hand-off at all.
// Indices are taken dynamically from both ends of the range: the caller of Run (or the first
// worker of a Launch job) counts up from 0, the other workers count down from count - 1, so from
// step to step each thread mostly gets the same lanes back (their state stays in its core's
// caches) while the load still balances. Which thread runs an index never matters to the result. Workers
// sleep on a condition variable between jobs (no spin-waits), and nothing is allocated per job,
// so the environment step path stays allocation-free.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace mario_rl::env {

class ThreadPool {
 public:
  using Task = void (*)(void* ctx, size_t index);
  using Completion = void (*)(void* ctx);

  // num_threads >= 1 workers, started now and joined by the destructor.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Starts a job and returns at once. `done(done_ctx)` runs on a worker thread after every index
  // has finished. Throws if a job is already running (callers serialize jobs).
  void Launch(size_t count, Task task, void* ctx, Completion done, void* done_ctx);

  // Runs a job on the calling thread and NumThreads() - 1 workers, and returns when it has
  // finished. Throws if a job is already running.
  void Run(size_t count, Task task, void* ctx);

  int NumThreads() const { return static_cast<int>(workers_.size()); }
  bool Busy() const;

 private:
  // Sets up a job for `workers` workers (plus the caller, who then counts as active).
  void Start(size_t count, Task task, void* ctx, Completion done, void* done_ctx, int workers, bool caller);
  // Runs task(ctx, i) for indices taken from the front (from_front) or the back of the range
  // until none is left.
  void TakeIndices(bool from_front, Task task, void* ctx);
  // Makes the range empty (no participant takes another index).
  void DropIndices();
  // Under mutex_: a participant found no index left. True when the job is complete (it was the
  // last one still running an index).
  bool Leave();
  void WorkerLoop();

  std::vector<std::thread> workers_;
  mutable std::mutex mutex_;
  std::condition_variable work_cv_;   // workers wait here for a new generation
  std::condition_variable idle_cv_;   // Run() and the destructor wait here for the job to finish
  uint64_t generation_ = 0;
  bool stopping_ = false;
  bool busy_ = false;
  int slots_ = 0;                     // workers the current job still wants (taken on waking)
  int active_ = 0;                    // participants (workers, the Run caller) still taking indices
  // The current job (written under mutex_ before the generation bump).
  Task task_ = nullptr;
  void* ctx_ = nullptr;
  Completion done_ = nullptr;
  void* done_ctx_ = nullptr;
  bool front_taken_ = false;           // under mutex_: a participant already counts up from 0
  // The untaken indices [front, back), packed as back << 32 | front so one CAS takes from
  // either end.
  std::atomic<uint64_t> range_{0};
};

}  // namespace mario_rl::env
