// A fixed set of worker threads that run one indexed job at a time: Launch(count, task, ctx)
// runs task(ctx, i) for every i in [0, count) on the workers and calls the completion from the
// one that finishes last; Run does the same job with the calling thread taking indices beside
// NumThreads() - 1 workers, so a one-thread pool steps on the caller with no hand-off at all.
// Indices are taken dynamically from both ends of the range: the caller of Run (or the first
// worker of a Launch job) counts up from 0, the other workers count down from count - 1, so from
// step to step each thread mostly gets the same lanes back (their state stays in its core's
// caches) while the load still balances. Which thread runs an index never matters to the result. Nothing
// is allocated per job, so the environment step path stays allocation-free.
//
// Waiting: threads sleep on condition variables, and spin briefly (yielding the core every few µs)
// only where a core would sit idle anyway, so that back-to-back Run() steps do not pay a kernel wake-up (tens of µs on
// a VM) at each end of every step. Both spins are used only when the pool has no more threads than the machine has
// cores, and only around Run() jobs, where the caller and the NumThreads() - 1 workers fill NumThreads() cores:
//  - the caller of Run(), done with its indices, polls for the job's end for up to kCallerSpin
//    before sleeping (it would otherwise be woken by the last worker);
//  - a worker done with its part of a Run() job polls until the job has ended (for up to
//    kCallerSpin), then for the next job for up to twice the caller's last gap between jobs
//    (from one job's end to the next one's start), capped at kWorkerSpin, and not at all when that
//    gap was longer than the cap: a caller that does real work between steps (policy inference,
//    say) is not competed with. After Launch() jobs (stepAsync, where the caller keeps its core
//    busy) workers sleep at once.
#pragma once

#include <atomic>
#include <chrono>
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
  // After a job (pool idle): how many of its indices were taken from the front, i.e. indices
  // [0, FrontTaken()) ran on the caller of Run (or the first worker of a Launch job).
  size_t FrontTaken() const { return static_cast<size_t>(range_.load(std::memory_order_relaxed) & 0xffffffffu); }

  // Spin bounds (see the file comment).
  static constexpr std::chrono::microseconds kCallerSpin{500};
  static constexpr std::chrono::microseconds kWorkerSpin{100};

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
  // A worker after its part of a Run() job: polls (without the mutex) for the job's end, then for
  // up to `budget` for the next job (generation_ != seen).
  void SpinForJob(uint64_t seen, std::chrono::nanoseconds budget) const;
  // Under mutex_: marks the job ended (idle again).
  void MarkIdle();

  std::vector<std::thread> workers_;
  mutable std::mutex mutex_;
  std::condition_variable work_cv_;  // workers wait here for a new generation
  std::condition_variable idle_cv_;  // Run() and the destructor wait here for the job to finish
  // Written under mutex_; atomic so that the spins above can poll them without it.
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> busy_{false};
  bool stopping_ = false;
  bool spin_ = false;                                   // NumThreads() <= the machine's cores: the spins may run
  bool caller_job_ = false;                             // under mutex_: the current job came from Run()
  std::chrono::steady_clock::time_point started_at_{};  // under mutex_: the current job's start
  std::chrono::steady_clock::time_point ended_at_{};    // under mutex_: the last job's end
  int slots_ = 0;                                       // workers the current job still wants (taken on waking)
  int active_ = 0;                                      // participants (workers, the Run caller) still taking indices
  // The current job (written under mutex_ before the generation bump).
  Task task_ = nullptr;
  void* ctx_ = nullptr;
  Completion done_ = nullptr;
  void* done_ctx_ = nullptr;
  bool front_taken_ = false;  // under mutex_: a participant already counts up from 0
  // The untaken indices [front, back), packed as back << 32 | front so one CAS takes from
  // either end.
  std::atomic<uint64_t> range_{0};
};

}  // namespace mario_rl::env
