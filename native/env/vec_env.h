// The batched environment pool, in one sentence: actions -> copied into the pool -> the thread
// pool steps every lane (frame skip, game rules, fused preprocessing) -> each lane writes its
// slice of the caller's preallocated buffers. Nothing is allocated per step; lanes own all their
// state (console, game bookkeeping, RNG stream seeded from (seed, lane), frame-stack ring), so the
// results do not depend on the number of threads or on which thread steps which lane.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/rng.h"
#include "env/game.h"
#include "env/preprocess.h"
#include "env/thread_pool.h"
#include "env/tiles.h"
#include "nes/console.h"

namespace mario_rl::env {

constexpr int kMaxLanes = 512;
constexpr size_t kRamBytes = 2048;

// What a lane's observation is: preprocessed pixels (ObsSpec), the 2 KiB RAM, or the game's tile
// grid (TileSpec). RAM and tiles render no pixels.
enum class ObsKind { kPixels, kRam, kTiles };

struct VecEnvConfig {
  std::string game = "smb1";
  GameOptions game_options;
  int num_envs = 1;
  int num_threads = 1;
  int frame_skip = 4;
  bool max_pool = true;         // max over the last two frames of each skip
  double sticky_prob = 0.0;     // per frame, repeat the previous buttons with this probability
  int noop_max = 0;             // reset runs U{0..noop_max} no-op frames
  int max_episode_steps = 0;    // 0 = no limit; else truncated after this many agent steps
  int max_stall_steps = 0;      // 0 = never; else truncated after this many agent steps without a new max x
  bool stall_terminal = false;  // a stall cut ends the episode as terminated (like a death) instead of truncated
  float stall_reward = 0.0f;    // added to the reward of the step a stall cut ends
  ObsKind obs_kind = ObsKind::kPixels;
  ObsSpec obs;     // kPixels
  TileSpec tiles;  // kTiles
  uint64_t seed = 0;
  bool fast_paths = true;  // nes::ConsoleOptions::fast_paths of every console
};

// Caller-owned outputs, bound once; N = num_envs, F = info fields, C = reward components,
// O = observation bytes per lane.
struct StepBuffers {
  uint8_t* obs = nullptr;                  // [N, O]
  float* reward = nullptr;                 // [N]
  uint8_t* terminated = nullptr;           // [N]
  uint8_t* truncated = nullptr;            // [N]
  int32_t* info = nullptr;                 // [F, N]
  float* components = nullptr;             // [C, N]
  uint8_t* final_obs = nullptr;            // [N, O], written for lanes that finished this step
  int32_t* final_info = nullptr;           // [F, N], idem
  float* episode_return = nullptr;         // [N], idem
  int32_t* episode_length = nullptr;       // [N], idem
  int32_t* episode_max_x = nullptr;        // [N], idem (largest x position)
  uint8_t* episode_goal = nullptr;         // [N], idem (flag reached)
  uint8_t* episode_start_state = nullptr;  // [N], idem (1 = began from a start state)
};

// Linear annealing of the reward weights over `anneal_steps` env steps (0 = constant start
// values); the step count restarts whenever the shaping is set.
struct RewardShaping {
  RewardWeights start, end;
  int64_t anneal_steps = 0;
};

enum class StartMode { kFixed, kSample, kCycle };

// Resets counted since the last TakeStartStats(), summed over the lanes.
struct StartStats {
  uint64_t resets = 0;
  uint64_t from_start_states = 0;
};

// Draws with a probability are integer comparisons against thresholds out of 2^24, computed once
// when the weights or the share are set: the same on every platform and thread count.
constexpr uint32_t kStartDrawScale = 1u << 24;

class VecEnv {
 public:
  VecEnv(const VecEnvConfig& config, const uint8_t* rom, size_t rom_size);
  ~VecEnv();

  int NumEnvs() const { return config_.num_envs; }
  int NumActions() const { return game_->NumActions(); }
  size_t ObsBytes() const;  // per lane
  const Game& game() const { return *game_; }
  const VecEnvConfig& config() const { return config_; }

  void Bind(const StepBuffers& buffers) { buffers_ = buffers; }

  // All of these are synchronous and must not overlap a running step (Busy() is false).
  void Reset(bool reseed, uint64_t seed);
  // Step and StepAsync throw until the first Reset (Gymnasium: no step before reset): before it
  // the output buffers hold no observation the actions could have been chosen from.
  // Copies and range-checks the actions (throws RangeError naming the lane).
  void SetActions(const int32_t* actions, size_t count);
  void Step();
  // Starts a step on the pool and returns; done(ctx) runs on a worker when it is complete.
  // Errors are reported by TakeError() afterwards.
  void StepAsync(ThreadPool::Completion done, void* ctx);
  bool Busy() const { return pool_->Busy(); }
  // The first lane error of the last job ("" if none), cleared by the call.
  std::string TakeError();

  void SetRewardShaping(const RewardShaping& shaping);
  RewardWeights CurrentWeights() const;

  size_t StateSize() const;
  void SaveState(int lane, uint8_t* out) const;
  // share in [0, 1]: each reset starts from a start state with this probability (1 = always,
  // and no draw), else from a start point drawn by the stage weights.
  void SetStartStates(const std::vector<std::vector<uint8_t>>& states, StartMode mode, double share = 1.0);
  void ClearStartStates();
  // One weight per start point (finite, >= 0, at least one > 0); a reset without a start state
  // draws start point i with probability weights[i] / sum. Equal weights draw exactly as unset
  // ones do (uniformly, one NextBelow(n)), so seeded runs without weights are unchanged.
  void SetStageWeights(const std::vector<double>& weights);
  const std::vector<double>& StageWeights() const { return stage_weights_; }
  StartStats TakeStartStats();

 private:
  struct StartRecord {
    std::vector<uint8_t> state;
    std::vector<uint8_t> frame;  // palette indices of the frame shown at this state
  };
  struct alignas(64) Lane {  // own cache lines: lanes are written by different threads
    std::unique_ptr<nes::Console> console;
    std::unique_ptr<GameLane> game;
    Rng rng;
    FrameStack stack;                   // pixels: [stack, C, H, W]; tiles: [stack, rows, cols]
    std::vector<uint8_t> pool_frame;    // max-pool: the console renders here and into its own buffer in turn
    std::vector<uint8_t> scratch;       // resize working area
    std::vector<uint8_t> before_frame;  // state before the current unrendered frame (re-render on termination)
    uint8_t last_buttons = 0;
    int32_t episode_steps = 0;
    int32_t stall_steps = 0;   // agent steps since the episode's max x last grew
    int32_t stall_best_x = 0;  // the max x that stall_steps counts from
    double episode_return = 0.0;
    uint64_t cycle = 0;
    bool from_start_state = false;  // how the current episode began
    uint64_t resets = 0;            // since the last TakeStartStats()
    uint64_t resets_from_states = 0;
    std::string error;
  };

  static void StepTask(void* self, size_t position);
  // Orders the lanes for the next step from the last one (pool idle): lanes the front taker ran
  // stay at the front, most expensive first; the others stay at the back, most expensive last.
  // The threads then meet on the cheapest lanes, so the last lane taken is a short one and the
  // step's tail (one thread idle while another finishes) shrinks, while each thread keeps most
  // of its lanes (and their caches).
  void OrderLanes();
  static void ResetTask(void* self, size_t lane);
  void StepLane(size_t index);
  void ResetLane(size_t index);
  const StartRecord& DrawStart(size_t index);  // the record the lane's next episode starts from
  void WriteObs(size_t index);
  void PushTiles(Lane& lane) const;  // the lane's grid now, onto its frame stack
  void ThrowLaneError();
  void RequireBuffers() const;
  void RequireReset() const;
  StartRecord RecordFromState(const uint8_t* data, size_t size) const;

  VecEnvConfig config_;
  std::shared_ptr<const nes::Rom> rom_;
  nes::ConsoleOptions console_options_;  // every console's options (fast_paths from the config)
  std::unique_ptr<Game> game_;
  std::unique_ptr<Preprocessor> preprocessor_;
  std::vector<StartRecord> start_points_;  // from the game (e.g. one per stage)
  std::vector<StartRecord> start_states_;  // from setStartStates (take precedence)
  StartMode start_mode_ = StartMode::kFixed;
  uint32_t start_share_ = kStartDrawScale;  // out of kStartDrawScale; kStartDrawScale = no draw
  std::vector<double> stage_weights_;       // [start points], all 1 until SetStageWeights
  // Cumulative thresholds out of kStartDrawScale, one per start point; empty = uniform draw.
  std::vector<uint32_t> stage_thresholds_;
  std::vector<Lane> lanes_;
  std::vector<int32_t> actions_;
  StepBuffers buffers_;
  bool was_reset_ = false;  // set by the first Reset; lanes hold no episode before it
  RewardShaping shaping_;
  int64_t shaping_step_ = 0;
  RewardWeights step_weights_;  // weights of the step in flight
  std::unique_ptr<ThreadPool> pool_;
  // Step scheduling (never affects results): the pool's index i steps lane step_order_[i]. Before
  // each step the lanes are reordered by their last step's cost (see OrderLanes).
  std::vector<uint32_t> step_order_;
  std::vector<float> step_cost_us_;  // per lane, written by the thread that stepped it
};

}  // namespace mario_rl::env
