#include "env/thread_pool.h"

#include <algorithm>
#include <exception>

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
#include <immintrin.h>
#endif

#include "common/error.h"

namespace mario_rl::env {
namespace {

using Clock = std::chrono::steady_clock;

// Tells the core this is a spin-wait (frees pipeline resources, saves power).
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Polls done() until it is true or budget has passed. Every 32 polls (a few µs) it reads the clock
// and yields the core, so on a loaded machine a thread that could run there (the worker being
// waited for, another process) is not kept off it; with nothing else runnable the yield returns
// at once.
template <typename Done>
void SpinUntil(Done done, std::chrono::nanoseconds budget) {
  const Clock::time_point until = Clock::now() + budget;
  for (int i = 1;; ++i) {
    if (done()) return;
    CpuRelax();
    if ((i & 31) == 0) {
      if (Clock::now() >= until) return;
      std::this_thread::yield();
    }
  }
}

}  // namespace

ThreadPool::ThreadPool(int num_threads) {
  if (num_threads < 1)
    throw RangeErrorOf(ExpectedMessage("at least one thread", "numThreads", std::to_string(num_threads)));
  const unsigned cores = std::thread::hardware_concurrency();  // 0 when unknown: then never spin
  spin_ = cores > 0 && static_cast<unsigned>(num_threads) <= cores;
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

void ThreadPool::Start(size_t count, Task task, void* ctx, Completion done, void* done_ctx, int workers, bool caller) {
  if (count > 0xffffffffu) throw RangeErrorOf("ThreadPool: at most 2^32 - 1 indices per job");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (busy_) throw Error("ThreadPool: a job is already running");
    busy_ = true;
    task_ = task;
    ctx_ = ctx;
    done_ = done;
    done_ctx_ = done_ctx;
    range_.store(static_cast<uint64_t>(count) << 32, std::memory_order_relaxed);
    front_taken_ = caller;
    caller_job_ = caller;
    started_at_ = Clock::now();
    slots_ = workers;
    active_ = caller ? 1 : 0;
    ++generation_;
  }
  // Wake as many workers as the job wants; a worker that wakes to no free slot sleeps again.
  if (workers == NumThreads()) {
    work_cv_.notify_all();
  } else {
    for (int i = 0; i < workers; ++i) work_cv_.notify_one();
  }
}

void ThreadPool::Launch(size_t count, Task task, void* ctx, Completion done, void* done_ctx) {
  // At least one worker runs the job (and its completion), even with no index to take.
  const int workers = static_cast<int>(std::clamp<size_t>(count, 1, workers_.size()));
  Start(count, task, ctx, done, done_ctx, workers, false);
}

void ThreadPool::Run(size_t count, Task task, void* ctx) {
  // The caller takes one index itself: no more workers than the rest of the indices.
  const int workers = static_cast<int>(std::min<size_t>(count > 0 ? count - 1 : 0, workers_.size() - 1));
  Start(count, task, ctx, nullptr, nullptr, workers, true);
  std::exception_ptr error;
  try {
    TakeIndices(true, task, ctx);
  } catch (...) {
    // Tasks report their own errors; should one throw anyway, take no more indices, let the
    // workers finish theirs, and rethrow with the pool idle again.
    error = std::current_exception();
    DropIndices();
  }
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (Leave()) {
      MarkIdle();
    } else {
      if (spin_) {
        lock.unlock();
        SpinUntil([this] { return !busy_.load(std::memory_order_acquire); }, kCallerSpin);
        lock.lock();
      }
      idle_cv_.wait(lock, [this] { return !busy_; });
    }
  }
  if (error) std::rethrow_exception(error);
}

void ThreadPool::TakeIndices(bool from_front, Task task, void* ctx) {
  uint64_t r = range_.load(std::memory_order_relaxed);
  for (;;) {
    const uint64_t front = r & 0xffffffffu;
    const uint64_t back = r >> 32;
    if (front >= back) return;
    const uint64_t index = from_front ? front : back - 1;
    const uint64_t next = from_front ? (back << 32) | (front + 1) : ((back - 1) << 32) | front;
    if (!range_.compare_exchange_weak(r, next, std::memory_order_relaxed)) continue;  // r reloaded
    task(ctx, static_cast<size_t>(index));
    r = range_.load(std::memory_order_relaxed);
  }
}

void ThreadPool::DropIndices() {
  uint64_t r = range_.load(std::memory_order_relaxed);
  while (!range_.compare_exchange_weak(r, r & 0xffffffffu, std::memory_order_relaxed)) {
  }
}

bool ThreadPool::Leave() {
  // A participant leaves only once every index is taken, so workers that have not joined yet
  // would find nothing: drop their slots instead of waiting for them to wake.
  slots_ = 0;
  return --active_ == 0;
}

void ThreadPool::MarkIdle() {
  ended_at_ = Clock::now();
  busy_ = false;
}

void ThreadPool::SpinForJob(uint64_t seen, std::chrono::nanoseconds budget) const {
  const auto next_job = [&] { return generation_.load(std::memory_order_acquire) != seen; };
  SpinUntil([&] { return next_job() || !busy_.load(std::memory_order_acquire); }, kCallerSpin);
  if (budget.count() > 0) SpinUntil(next_job, budget);
}

void ThreadPool::WorkerLoop() {
  uint64_t seen = 0;
  // After a Run() job: how long to poll for the next one once it has ended (twice the caller's
  // last gap between jobs; 0 when that gap exceeded kWorkerSpin).
  bool after_run = false;
  std::chrono::nanoseconds spin_budget{0};
  for (;;) {
    bool from_front;
    Task task;
    void* ctx;
    if (after_run) SpinForJob(seen, spin_budget);
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_cv_.wait(lock, [&] { return stopping_ || (generation_ != seen && slots_ > 0); });
      if (stopping_) return;
      // The caller's gap between the previous job's end and this one's start (both stamped under
      // mutex_; meaningful only when this worker saw the previous job end, i.e. after_run).
      const std::chrono::nanoseconds gap = started_at_ - ended_at_;
      spin_budget = after_run && gap <= kWorkerSpin ? std::min<std::chrono::nanoseconds>(2 * gap, kWorkerSpin)
                                                    : std::chrono::nanoseconds{0};
      after_run = spin_ && caller_job_;
      seen = generation_;
      --slots_;
      ++active_;
      from_front = !front_taken_;
      front_taken_ = true;
      task = task_;
      ctx = ctx_;
    }
    TakeIndices(from_front, task, ctx);
    Completion done = nullptr;
    void* done_ctx = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!Leave()) continue;
      done = done_;
      done_ctx = done_ctx_;
      // Last one out: the job is complete. Idle before the completion runs, so a completion
      // that resolves a Promise (after which JS may launch the next job) never sees a busy pool.
      MarkIdle();
    }
    if (done) done(done_ctx);
    idle_cv_.notify_all();
  }
}

}  // namespace mario_rl::env
