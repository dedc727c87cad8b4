// The game-adapter interface: everything game-specific about a batched environment. The pool
// (vec_env.h) only drives consoles through these two classes, so adding a game is one file
// implementing them plus one line in game_registry.cc (see docs/adding-a-game.md).
//
//   Game      one per VecEnv, immutable after construction and shared by all lanes/threads:
//             ROM check, action set, info/reward-component names, how to reach each start point.
//   GameLane  one per lane, owned by that lane and only touched by the thread stepping it:
//             per-episode bookkeeping (last x, last clock, ...), reward, termination, the frames
//             the agent never sees, and the info fields.
// A game may also describe its screen as a tile grid (obs kind 'tiles'): Game::WriteTiles, a
// const function of RAM, so every thread calls it on the shared Game.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "env/tiles.h"
#include "nes/console.h"
#include "nes/rom.h"

namespace mario_rl::env {

// Construction options handed to a game (validated in TS; the game re-checks and throws).
struct GameOptions {
  std::string actions = "simple";   // action-set name
  std::vector<std::string> stages;  // start targets; empty = the game's default start
  std::string reward = "v0";        // reward preset
};

// Run-time reward shaping: the pool computes the current (annealed) weights before each step and
// passes them to every lane; games define which components they scale.
// gym-super-mario-bros's action sets as joypad bytes (A=0x01 ... RIGHT=0x80), in its order, shared
// by every game: 'right-only' (or 'right'), 'simple', 'complex', and 'full' (all 256 bytes).
class ActionTable {
 public:
  explicit ActionTable(const std::string& name) {
    constexpr uint8_t A = 0x01, B = 0x02, UP = 0x10, DOWN = 0x20, LEFT = 0x40, RIGHT = 0x80;
    static const std::vector<uint8_t> kRightOnly = {0, RIGHT, RIGHT | A, RIGHT | B, RIGHT | A | B};
    static const std::vector<uint8_t> kSimple = {0, RIGHT, RIGHT | A, RIGHT | B, RIGHT | A | B, A, LEFT};
    static const std::vector<uint8_t> kComplex = {0,    RIGHT,    RIGHT | A, RIGHT | B,    RIGHT | A | B, A,
                                                  LEFT, LEFT | A, LEFT | B,  LEFT | A | B, DOWN,          UP};
    if (name == "right-only" || name == "right") table_ = &kRightOnly;
    else if (name == "simple") table_ = &kSimple;
    else if (name == "complex") table_ = &kComplex;
    else if (name != "full")
      throw RangeErrorOf(
          ExpectedMessage("one of 'right-only', 'simple', 'complex', 'full'", "actions", "\"" + name + "\""));
  }
  int Size() const { return table_ ? static_cast<int>(table_->size()) : 256; }
  uint8_t Buttons(int action) const {
    return table_ ? (*table_)[static_cast<size_t>(action)] : static_cast<uint8_t>(action);
  }

 private:
  const std::vector<uint8_t>* table_ = nullptr;  // null = all 256 button bytes
};

// Whether the ROM's PRG holds these bytes somewhere (the games' ROM checks look for their text).
inline bool PrgContains(const nes::Rom& rom, const void* bytes, size_t n) {
  const auto* b = static_cast<const uint8_t*>(bytes);
  return std::search(rom.prg.begin(), rom.prg.end(), b, b + n) != rom.prg.end();
}

struct RewardWeights {
  float distance = 1.0f;  // multiplies the progress/distance component
  float score = 0.0f;     // multiplies the score-difference component
};

// Steps the frames a game skips (SkipUnplayable). The agent can only ever see the last of them, so
// none is rendered while skipping; Finish() re-runs the last one with pixels from a save state
// taken before it. The emulation is deterministic, so the console ends in the same state either
// way; RAM pokes the game made after the last frame are kept by copying the RAM across.
class SkippedFrames {
 public:
  // `render`: whether the frame the lane ends on must have pixels. `state` holds one save state
  // (Console::StateSize bytes) when `render` is set.
  SkippedFrames(nes::Console& console, bool render, std::vector<uint8_t>& state)
      : console_(console), render_(render), state_(state) {}

  // Runs one frame with `buttons` held.
  void Step(uint8_t buttons) {
    if (render_) console_.SaveState(state_.data());
    console_.StepFrame(buttons, false);
    last_buttons_ = buttons;
    stepped_ = true;
  }

  // Gives the last skipped frame its pixels when they are needed. Call once, after skipping.
  void Finish() {
    if (!render_ || !stepped_) return;
    uint8_t ram[kInternalRamBytes];
    std::memcpy(ram, console_.Ram(), sizeof(ram));
    console_.LoadState(state_.data(), state_.size());
    console_.StepFrame(last_buttons_, true);
    std::memcpy(console_.Ram(), ram, sizeof(ram));
  }

 private:
  static constexpr size_t kInternalRamBytes = 2048;  // what Console::Ram() spans
  nes::Console& console_;
  bool render_;
  std::vector<uint8_t>& state_;
  uint8_t last_buttons_ = 0;
  bool stepped_ = false;
};

class GameLane {
 public:
  virtual ~GameLane() = default;

  // The lane's console was just restored to a start point: start a new episode's bookkeeping
  // (and capture the info fields of the reset observation).
  virtual void OnReset(nes::Console& console) = 0;

  // Called after every agent-controlled frame. Returns this frame's reward, adds the weighted
  // reward components into components[0..NumRewardComponents), sets *terminated when the
  // episode ended on this frame, and captures the info fields.
  virtual float AfterFrame(nes::Console& console, const RewardWeights& weights, float* components,
                           bool* terminated) = 0;

  // Runs the frames the agent never sees after a non-terminal frame (death animations, area
  // changes, cut-scenes) through frames.Step, never console.StepFrame; it may poke the console's
  // RAM (Ram()) before, between and after them. May run zero frames; bound every loop.
  virtual void SkipUnplayable(nes::Console& console, SkippedFrames& frames) = 0;

  // Writes the captured info fields: info[f * stride] for field f (stride = number of lanes).
  virtual void WriteInfo(int32_t* info, size_t stride) const = 0;

  // Episode statistics: the largest x position reached (level pixels; TS episode.maxX) and whether
  // the goal (the flag) was reached.
  virtual int32_t MaxX() const = 0;
  virtual bool ReachedGoal() const = 0;
};

class Game {
 public:
  virtual ~Game() = default;

  virtual const char* Name() const = 0;
  // Throws mario_rl::Error (TypeError) saying what was found if the ROM is not this game.
  virtual void CheckRom(const nes::Rom& rom) const = 0;

  virtual int NumActions() const = 0;
  virtual uint8_t ActionButtons(int action) const = 0;  // joypad byte (A=0x01 ... RIGHT=0x80)

  virtual const std::vector<std::string>& InfoFields() const = 0;
  virtual const std::vector<std::string>& RewardComponents() const = 0;
  virtual RewardWeights DefaultRewardWeights() const = 0;

  // Start points (e.g. one per requested stage). BuildStartPoint boots a freshly powered-on
  // console to point i; its last frame must be rendered (it becomes the reset observation).
  virtual size_t NumStartPoints() const = 0;
  virtual void BuildStartPoint(size_t index, nes::Console& console) const = 0;

  virtual std::unique_ptr<GameLane> NewLane() const = 0;

  // Tile-grid observations (tiles.h): whether the game has a tile map, and the grid of the screen
  // the 2 KiB RAM shows, every cell written. Called by any thread, so it reads only `ram`.
  virtual bool HasTileMap() const { return false; }
  virtual void WriteTiles(const uint8_t* /*ram*/, TileGrid& grid) const { grid.Clear(); }
};

}  // namespace mario_rl::env
