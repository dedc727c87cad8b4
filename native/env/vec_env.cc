#include "env/vec_env.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/error.h"
#include "env/game_registry.h"
#include "nes/palette.h"

namespace mario_rl::env {
namespace {

void CheckConfigRange(int64_t value, int64_t lo, int64_t hi, const char* name) {
  if (value < lo || value > hi) {
    throw RangeErrorOf(ExpectedMessage("an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", name,
                                       std::to_string(value)));
  }
}

// A number as JS prints the common cases (NaN, Infinity, 0.5), for error messages.
std::string NumberText(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char text[32];
  std::snprintf(text, sizeof(text), "%.17g", value);
  return text;
}

// A probability as a threshold out of kStartDrawScale (rounded to nearest).
uint32_t DrawThreshold(double probability) {
  return static_cast<uint32_t>(std::llround(probability * static_cast<double>(kStartDrawScale)));
}

}  // namespace

VecEnv::VecEnv(const VecEnvConfig& config, const uint8_t* rom, size_t rom_size) : config_(config) {
  CheckConfigRange(config.num_envs, 1, kMaxLanes, "numEnvs");
  CheckConfigRange(config.num_threads, 1, 256, "numThreads");
  CheckConfigRange(config.frame_skip, 1, 64, "frameSkip");
  CheckConfigRange(config.noop_max, 0, 10000, "noopMax");
  CheckConfigRange(config.max_episode_steps, 0, 1 << 30, "maxEpisodeSteps");
  CheckConfigRange(config.max_stall_steps, 0, 1 << 30, "maxStallSteps");
  if (!(config.stall_reward >= -1000.0f && config.stall_reward <= 1000.0f)) {
    throw RangeErrorOf(
        ExpectedMessage("a finite number in [-1000, 1000]", "stallReward", std::to_string(config.stall_reward)));
  }
  if (!(config.sticky_prob >= 0.0 && config.sticky_prob <= 1.0)) {
    throw RangeErrorOf(
        ExpectedMessage("a finite number in [0, 1]", "stickyActionProb", std::to_string(config.sticky_prob)));
  }
  if (config.obs_kind == ObsKind::kPixels) ValidateObsSpec(config.obs);
  if (config.obs_kind == ObsKind::kTiles) ValidateTileSpec(config.tiles);

  game_ = MakeGame(config.game, config.game_options);
  if (config.obs_kind == ObsKind::kTiles && !game_->HasTileMap()) {
    throw RangeErrorOf(
        ExpectedMessage("pixels or 'ram' (game '" + config.game + "' has no tile map)", "obs", "'tiles'"));
  }
  if (rom_size == 0) {
    throw TypeErrorOf(ExpectedMessage("a ROM image", "rom", "none (game '" + config.game + "')"));
  }
  rom_ = nes::ParseRom(rom, rom_size);
  console_options_.fast_paths = config.fast_paths;
  game_->CheckRom(*rom_);
  if (game_->RewardComponents().size() > 16) throw Error("VecEnv supports at most 16 reward components");
  preprocessor_ = std::make_unique<Preprocessor>(config.obs, nes::PaletteRgb());
  shaping_.start = shaping_.end = game_->DefaultRewardWeights();
  step_weights_ = shaping_.start;
  actions_.assign(static_cast<size_t>(config.num_envs), 0);
  pool_ = std::make_unique<ThreadPool>(config.num_threads);
  step_order_.resize(static_cast<size_t>(config.num_envs));
  for (size_t i = 0; i < step_order_.size(); ++i) step_order_[i] = static_cast<uint32_t>(i);
  step_cost_us_.assign(static_cast<size_t>(config.num_envs), 0.0f);

  // Start points: each boots its own console; built on the pool, errors reported in order.
  start_points_.resize(game_->NumStartPoints());
  std::vector<std::string> errors(start_points_.size());
  struct BuildCtx {
    VecEnv* self;
    std::vector<std::string>* errors;
  } build{this, &errors};
  pool_->Run(
      start_points_.size(),
      [](void* ctx, size_t i) {
        auto* b = static_cast<BuildCtx*>(ctx);
        try {
          nes::Console console(b->self->rom_, b->self->console_options_);
          b->self->game_->BuildStartPoint(i, console);
          StartRecord& rec = b->self->start_points_[i];
          rec.state.resize(console.StateSize());
          console.SaveState(rec.state.data());
          rec.frame.assign(console.Frame(), console.Frame() + kSourcePixels);
        } catch (const std::exception& e) {
          (*b->errors)[i] = e.what();
        }
      },
      &build);
  for (const auto& e : errors) {
    if (!e.empty()) throw Error(e);
  }
  stage_weights_.assign(start_points_.size(), 1.0);

  lanes_.resize(static_cast<size_t>(config.num_envs));
  for (size_t i = 0; i < lanes_.size(); ++i) {
    Lane& lane = lanes_[i];
    lane.console = std::make_unique<nes::Console>(rom_, console_options_);
    lane.game = game_->NewLane();
    lane.rng.Seed(config.seed, i);
    if (config.obs_kind == ObsKind::kTiles) lane.stack.Init(config.tiles.stack, config.tiles.GridBytes());
    if (config.obs_kind == ObsKind::kPixels) {
      lane.stack.Init(config.obs.stack, preprocessor_->FrameBytes());
      lane.scratch.assign(preprocessor_->ScratchBytes(), 0);
      lane.before_frame.assign(lane.console->StateSize(), 0);
      if (config.max_pool && config.frame_skip >= 2) lane.pool_frame.assign(kSourcePixels, 0);
    }
  }
}

VecEnv::~VecEnv() { pool_.reset(); }

size_t VecEnv::ObsBytes() const {
  switch (config_.obs_kind) {
    case ObsKind::kRam: return kRamBytes;
    case ObsKind::kTiles: return config_.tiles.GridBytes() * static_cast<size_t>(config_.tiles.stack);
    case ObsKind::kPixels:
    default: return preprocessor_->ObsBytes();
  }
}

void VecEnv::RequireBuffers() const {
  if (!buffers_.obs || !buffers_.reward || !buffers_.terminated || !buffers_.truncated || !buffers_.info ||
      !buffers_.components || !buffers_.final_obs || !buffers_.final_info || !buffers_.episode_return ||
      !buffers_.episode_length || !buffers_.episode_max_x || !buffers_.episode_goal || !buffers_.episode_start_state) {
    throw Error("VecEnv: output buffers are not bound");
  }
}

std::string VecEnv::TakeError() {
  for (auto& lane : lanes_) {
    if (!lane.error.empty()) {
      std::string e = "lane " + std::to_string(&lane - lanes_.data()) + ": " + lane.error;
      for (auto& l : lanes_) l.error.clear();
      return e;
    }
  }
  return {};
}

void VecEnv::ThrowLaneError() {
  std::string e = TakeError();
  if (!e.empty()) throw Error(e);
}

void VecEnv::Reset(bool reseed, uint64_t seed) {
  RequireBuffers();
  if (reseed) {
    for (size_t i = 0; i < lanes_.size(); ++i) {
      lanes_[i].rng.Seed(seed, i);
      lanes_[i].cycle = 0;
    }
  }
  pool_->Run(lanes_.size(), &VecEnv::ResetTask, this);
  // The reset ran lanes in index order: start the step order from there, so the next OrderLanes
  // reads the reset's front/back split against the right lanes.
  for (size_t i = 0; i < step_order_.size(); ++i) step_order_[i] = static_cast<uint32_t>(i);
  ThrowLaneError();
  was_reset_ = true;
}

void VecEnv::RequireReset() const {
  if (!was_reset_) throw Error("VecEnv: step() called before reset(); call reset() first");
}

void VecEnv::ResetTask(void* self, size_t index) {
  auto* env = static_cast<VecEnv*>(self);
  Lane& lane = env->lanes_[index];
  try {
    env->ResetLane(index);
    env->WriteObs(index);
    lane.game->WriteInfo(env->buffers_.info + index, env->lanes_.size());
    const size_t n = env->lanes_.size();
    env->buffers_.reward[index] = 0.0f;
    env->buffers_.terminated[index] = 0;
    env->buffers_.truncated[index] = 0;
    for (size_t c = 0; c < env->game_->RewardComponents().size(); ++c) env->buffers_.components[c * n + index] = 0.0f;
  } catch (const std::exception& e) {
    lane.error = e.what();
  }
}

const VecEnv::StartRecord& VecEnv::DrawStart(size_t index) {
  Lane& lane = lanes_[index];
  bool from_states = !start_states_.empty();
  // share 1 draws nothing, so runs that never set a share keep their random streams.
  if (from_states && start_share_ < kStartDrawScale) from_states = (lane.rng.NextU32() >> 8) < start_share_;
  lane.from_start_state = from_states;
  ++lane.resets;
  if (from_states) {
    ++lane.resets_from_states;
    const size_t n = start_states_.size();
    switch (start_mode_) {
      case StartMode::kFixed: return start_states_[index % n];
      case StartMode::kSample: return start_states_[lane.rng.NextBelow(static_cast<uint32_t>(n))];
      case StartMode::kCycle:
      default: return start_states_[(index + lane.cycle++ * lanes_.size()) % n];
    }
  }
  const size_t n = start_points_.size();
  if (n == 1) return start_points_[0];
  // Unset or equal weights: the uniform draw every seeded run made before weights existed.
  if (stage_thresholds_.empty()) return start_points_[lane.rng.NextBelow(static_cast<uint32_t>(n))];
  const uint32_t r = lane.rng.NextU32() >> 8;  // uniform in [0, kStartDrawScale)
  size_t i = 0;
  while (r >= stage_thresholds_[i]) ++i;  // ends: the last threshold is kStartDrawScale
  return start_points_[i];
}

void VecEnv::ResetLane(size_t index) {
  Lane& lane = lanes_[index];
  const StartRecord* rec = &DrawStart(index);
  nes::Console& console = *lane.console;
  console.LoadState(rec->state.data(), rec->state.size());
  const uint8_t* frame = rec->frame.data();
  if (config_.noop_max > 0) {
    const uint32_t noops = lane.rng.NextBelow(static_cast<uint32_t>(config_.noop_max) + 1);
    for (uint32_t f = 0; f < noops; ++f) console.StepFrame(0, config_.obs_kind == ObsKind::kPixels && f + 1 == noops);
    if (noops > 0) frame = console.Frame();
  }
  lane.game->OnReset(console);
  lane.last_buttons = 0;
  lane.episode_steps = 0;
  lane.stall_steps = 0;
  lane.stall_best_x = lane.game->MaxX();
  lane.episode_return = 0.0;
  if (config_.obs_kind == ObsKind::kPixels) {
    preprocessor_->Resize(frame, nullptr, lane.scratch.data(), lane.stack.NextSlot());
    lane.stack.Commit();
    lane.stack.FillWithNewest();
  } else if (config_.obs_kind == ObsKind::kTiles) {
    PushTiles(lane);
    lane.stack.FillWithNewest();
  }
}

void VecEnv::PushTiles(Lane& lane) const {
  TileGrid grid(lane.stack.NextSlot(), config_.tiles.rows, config_.tiles.cols);
  game_->WriteTiles(lane.console->Ram(), grid);
  lane.stack.Commit();
}

void VecEnv::WriteObs(size_t index) {
  uint8_t* out = buffers_.obs + index * ObsBytes();
  if (config_.obs_kind == ObsKind::kRam) {
    std::memcpy(out, lanes_[index].console->Ram(), kRamBytes);
  } else {
    lanes_[index].stack.WriteObs(out);
  }
}

void VecEnv::SetActions(const int32_t* actions, size_t count) {
  if (count != actions_.size()) {
    throw RangeErrorOf(ExpectedMessage("an Int32Array of length " + std::to_string(actions_.size()), "actions",
                                       "length " + std::to_string(count)));
  }
  const int32_t n = NumActions();
  for (size_t i = 0; i < count; ++i) {
    if (actions[i] < 0 || actions[i] >= n) {
      throw RangeErrorOf(ExpectedMessage("an integer in [0, " + std::to_string(n - 1) + "]",
                                         "actions[" + std::to_string(i) + "]", std::to_string(actions[i])));
    }
  }
  std::copy(actions, actions + count, actions_.begin());
}

RewardWeights VecEnv::CurrentWeights() const {
  if (shaping_.anneal_steps <= 0) return shaping_.start;
  const double t = std::min(1.0, static_cast<double>(shaping_step_) / static_cast<double>(shaping_.anneal_steps));
  RewardWeights w;
  w.distance = static_cast<float>(shaping_.start.distance + (shaping_.end.distance - shaping_.start.distance) * t);
  w.score = static_cast<float>(shaping_.start.score + (shaping_.end.score - shaping_.start.score) * t);
  return w;
}

void VecEnv::SetRewardShaping(const RewardShaping& shaping) {
  shaping_ = shaping;
  shaping_step_ = 0;
}

void VecEnv::OrderLanes() {
  if (pool_->NumThreads() < 2 || lanes_.size() < 3) return;
  const size_t front = std::min(pool_->FrontTaken(), step_order_.size());
  const auto by_cost = [this](uint32_t a, uint32_t b) {
    // Ties (equal costs, e.g. before the first step) keep lane order, so the order is a pure
    // function of the costs.
    return step_cost_us_[a] != step_cost_us_[b] ? step_cost_us_[a] > step_cost_us_[b] : a < b;
  };
  std::sort(step_order_.begin(), step_order_.begin() + static_cast<std::ptrdiff_t>(front), by_cost);
  std::sort(step_order_.rbegin(), step_order_.rbegin() + static_cast<std::ptrdiff_t>(step_order_.size() - front),
            by_cost);
}

void VecEnv::Step() {
  RequireBuffers();
  RequireReset();
  if (pool_->Busy()) throw Error("VecEnv: a step is already running");
  OrderLanes();
  step_weights_ = CurrentWeights();
  ++shaping_step_;
  pool_->Run(lanes_.size(), &VecEnv::StepTask, this);
  ThrowLaneError();
}

void VecEnv::StepAsync(ThreadPool::Completion done, void* ctx) {
  RequireBuffers();
  RequireReset();
  if (pool_->Busy()) throw Error("VecEnv: a step is already running");
  OrderLanes();
  step_weights_ = CurrentWeights();
  ++shaping_step_;
  pool_->Launch(lanes_.size(), &VecEnv::StepTask, this, done, ctx);
}

void VecEnv::StepTask(void* self, size_t position) {
  auto* env = static_cast<VecEnv*>(self);
  const size_t index = env->step_order_[position];
  try {
    const auto t0 = std::chrono::steady_clock::now();
    env->StepLane(index);
    env->step_cost_us_[index] = std::chrono::duration<float, std::micro>(std::chrono::steady_clock::now() - t0).count();
  } catch (const std::exception& e) {
    env->lanes_[index].error = e.what();
  }
}

void VecEnv::StepLane(size_t index) {
  Lane& lane = lanes_[index];
  nes::Console& console = *lane.console;
  const size_t n = lanes_.size();
  const int k = config_.frame_skip;
  const bool pixels = config_.obs_kind == ObsKind::kPixels;
  const bool pool = pixels && !lane.pool_frame.empty();
  const int first_render = pixels ? k - (pool ? 2 : 1) : k;
  const uint8_t buttons = game_->ActionButtons(actions_[index]);
  const size_t num_components = game_->RewardComponents().size();

  float components[16] = {};
  float reward = 0.0f;
  bool terminated = false;
  const uint8_t* pool_with = nullptr;  // the second-to-last frame's pixels, once rendered
  bool rendered = false;               // whether the frame the lane is at now was rendered
  for (int f = 0; f < k; ++f) {
    const bool render = f >= first_render;
    uint8_t pressed = buttons;
    if (config_.sticky_prob > 0.0 && lane.rng.NextDouble() < config_.sticky_prob) pressed = lane.last_buttons;
    lane.last_buttons = pressed;
    // A save state costs well under a microsecond: keep one before each unrendered frame so a
    // termination there can be replayed with pixels for an exact final observation.
    if (pixels && !render) console.SaveState(lane.before_frame.data());
    console.StepFrame(pressed, render);
    reward += lane.game->AfterFrame(console, step_weights_, components, &terminated);
    rendered = render;
    if (terminated) {
      if (pixels && !render) {
        console.LoadState(lane.before_frame.data(), lane.before_frame.size());
        console.StepFrame(pressed, true);  // deterministic: same RAM, now with the picture
        rendered = true;
      }
      break;
    }
    SkippedFrames skipped(console, render, lane.before_frame);
    lane.game->SkipUnplayable(console, skipped);
    skipped.Finish();
    if (pool && f == k - 2) {
      // Keep this frame for the max: the last one renders into the lane's other buffer (the
      // console's own or pool_frame, whichever this one is not).
      pool_with = console.Frame();
      console.SetFrameBuffer(pool_with == lane.pool_frame.data() ? nullptr : lane.pool_frame.data());
    }
  }
  if (rendered) {
    preprocessor_->Resize(console.Frame(), pool_with, lane.scratch.data(), lane.stack.NextSlot());
    lane.stack.Commit();
  } else if (config_.obs_kind == ObsKind::kTiles) {
    PushTiles(lane);  // from RAM where the step ended, the state the pixels would show
  }
  ++lane.episode_steps;
  if (lane.game->MaxX() > lane.stall_best_x) {
    lane.stall_best_x = lane.game->MaxX();
    lane.stall_steps = 0;
  } else {
    ++lane.stall_steps;
  }
  // A stall cut: truncated, or with stall_terminal ended like a death (no bootstrap from it).
  const bool stalled = !terminated && config_.max_stall_steps > 0 && lane.stall_steps >= config_.max_stall_steps;
  if (stalled) {
    reward += config_.stall_reward;
    terminated = config_.stall_terminal;
  }
  lane.episode_return += reward;
  const bool truncated =
      !terminated && (stalled || (config_.max_episode_steps > 0 && lane.episode_steps >= config_.max_episode_steps));

  buffers_.reward[index] = reward;
  buffers_.terminated[index] = terminated ? 1 : 0;
  buffers_.truncated[index] = truncated ? 1 : 0;
  for (size_t c = 0; c < num_components; ++c) buffers_.components[c * n + index] = components[c];
  if (terminated || truncated) {
    // Same-step autoreset: the finished episode's last observation/info go to final_*, and this
    // step's obs/info already show the new episode.
    uint8_t* final_obs = buffers_.final_obs + index * ObsBytes();
    if (config_.obs_kind == ObsKind::kRam) std::memcpy(final_obs, console.Ram(), kRamBytes);
    else lane.stack.WriteObs(final_obs);
    lane.game->WriteInfo(buffers_.final_info + index, n);
    buffers_.episode_return[index] = static_cast<float>(lane.episode_return);
    buffers_.episode_length[index] = lane.episode_steps;
    buffers_.episode_max_x[index] = lane.game->MaxX();
    buffers_.episode_goal[index] = lane.game->ReachedGoal() ? 1 : 0;
    buffers_.episode_start_state[index] = lane.from_start_state ? 1 : 0;
    ResetLane(index);
  }
  WriteObs(index);
  lane.game->WriteInfo(buffers_.info + index, n);
}

size_t VecEnv::StateSize() const { return lanes_.front().console->StateSize(); }

void VecEnv::SaveState(int lane, uint8_t* out) const {
  CheckConfigRange(lane, 0, NumEnvs() - 1, "lanes");
  lanes_[static_cast<size_t>(lane)].console->SaveState(out);
}

VecEnv::StartRecord VecEnv::RecordFromState(const uint8_t* data, size_t size) const {
  // The reset observation needs a rendered frame, and a save state holds none: run one no-op
  // frame from the state and start from there.
  nes::Console console(rom_, console_options_);
  console.LoadState(data, size);
  console.StepFrame(0, true);
  StartRecord rec;
  rec.state.resize(console.StateSize());
  console.SaveState(rec.state.data());
  rec.frame.assign(console.Frame(), console.Frame() + kSourcePixels);
  return rec;
}

void VecEnv::SetStartStates(const std::vector<std::vector<uint8_t>>& states, StartMode mode, double share) {
  if (states.empty()) throw RangeErrorOf(ExpectedMessage("a non-empty array of states", "states", "an empty array"));
  if (!(share >= 0.0 && share <= 1.0)) {
    throw RangeErrorOf(ExpectedMessage("a finite number in [0, 1]", "share", NumberText(share)));
  }
  std::vector<StartRecord> records;
  records.reserve(states.size());
  for (size_t i = 0; i < states.size(); ++i) {
    try {
      records.push_back(RecordFromState(states[i].data(), states[i].size()));
    } catch (const Error& e) {
      throw Error("states[" + std::to_string(i) + "]: " + e.what(), e.kind());
    }
  }
  start_states_ = std::move(records);
  start_mode_ = mode;
  start_share_ = DrawThreshold(share);
  for (auto& lane : lanes_) lane.cycle = 0;
}

void VecEnv::ClearStartStates() {
  start_states_.clear();
  start_share_ = kStartDrawScale;
}

void VecEnv::SetStageWeights(const std::vector<double>& weights) {
  const size_t n = start_points_.size();
  if (weights.size() != n) {
    const std::string what = n == 1 ? "an array of 1 weight (no stages list: one start point)"
                                    : "an array of " + std::to_string(n) + " weights (one per stage)";
    throw RangeErrorOf(ExpectedMessage(what, "weights", "an array of length " + std::to_string(weights.size())));
  }
  double max = 0.0;
  for (size_t i = 0; i < n; ++i) {
    if (!(std::isfinite(weights[i]) && weights[i] >= 0.0)) {
      throw RangeErrorOf(
          ExpectedMessage("a finite number >= 0", "weights[" + std::to_string(i) + "]", NumberText(weights[i])));
    }
    max = std::max(max, weights[i]);
  }
  if (max == 0.0) throw RangeErrorOf(ExpectedMessage("at least one weight > 0", "weights", "all zeros"));
  std::vector<uint32_t> thresholds;
  if (std::any_of(weights.begin(), weights.end(), [&](double w) { return w != weights[0]; })) {
    // Divided by the largest first, so the sum cannot overflow; zero weights get empty ranges.
    double total = 0.0;
    for (double w : weights) total += w / max;
    double prefix = 0.0;
    thresholds.resize(n);
    for (size_t i = 0; i < n; ++i) {
      prefix += weights[i] / max;
      thresholds[i] = std::min(DrawThreshold(prefix / total), kStartDrawScale);
    }
    thresholds.back() = kStartDrawScale;
  }
  stage_weights_ = weights;
  stage_thresholds_ = std::move(thresholds);
}

StartStats VecEnv::TakeStartStats() {
  StartStats stats;
  for (auto& lane : lanes_) {
    stats.resets += lane.resets;
    stats.from_start_states += lane.resets_from_states;
    lane.resets = lane.resets_from_states = 0;
  }
  return stats;
}

}  // namespace mario_rl::env
