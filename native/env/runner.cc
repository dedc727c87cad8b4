// The built-in game's adapter ('runner': games/runner, docs/builtin-game.md). Mirrors the SMB1
// adapter's shape: a start-screen skip per stage, done rules, info fields and a v0-like reward
// (dx, clock, death penalty, flag bonus). Its ROM is assets/runner.nes, which the TypeScript
// VecEnv loads and passes when the caller gives no `rom`.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "env/game.h"

namespace mario_rl::env {

namespace {

// RAM map (docs/builtin-game.md; RUNNER_RAM in src/games/runner.ts).
constexpr uint16_t kMode = 0x20, kStage = 0x21, kLives = 0x22, kPlayerState = 0x23, kXLow = 0x24, kXHigh = 0x25,
                   kY = 0x27, kCameraLow = 0x30, kCameraHigh = 0x31, kClock = 0x32, kStomps = 0x3A, kFlagColumn = 0x3B,
                   kWalkerState = 0x40, kWalkerXLow = 0x46, kWalkerXHigh = 0x4C, kWalkerY = 0x52, kLevel = 0x0400;
constexpr uint8_t kModePlaying = 1, kModeGameOver = 2;
constexpr uint8_t kAlive = 0, kDying = 1, kDead = 2, kCleared = 3;
constexpr int kNumStages = 3;
constexpr int kLevelColumns = 64, kScreenRows = 15, kWalkerSlots = 6;
constexpr uint8_t kWalking = 1;

constexpr int kBootIdleFrames = 10;   // frames on the title screen before the stage is written
constexpr int kMaxLoadFrames = 30;    // a stage loads in 2 frames; more means a broken ROM/core
constexpr int kMaxSkipFrames = 2000;  // unplayable stretch cap (death, flag pause, reload)

struct Snapshot {
  int32_t x_pos, y_pos, stage, lives, time, player_state, stomps;
  bool dying, dead, cleared, game_over, playing;
};

Snapshot Read(const uint8_t* ram) {
  Snapshot s{};
  s.x_pos = ram[kXHigh] * 256 + ram[kXLow];
  s.y_pos = 255 - ram[kY];  // up positive, like SMB's y_pos
  s.stage = ram[kStage] + 1;
  s.lives = ram[kLives];
  s.time = ram[kClock] * 100 + ram[kClock + 1] * 10 + ram[kClock + 2];
  s.player_state = ram[kPlayerState];
  s.stomps = ram[kStomps];
  s.playing = ram[kMode] == kModePlaying;
  s.game_over = ram[kMode] == kModeGameOver;
  s.dying = s.playing && s.player_state == kDying;
  s.dead = s.playing && s.player_state == kDead;
  s.cleared = s.playing && s.player_state == kCleared;
  return s;
}

// The tile grid (tiles.h geometry): the level is in RAM, one byte per 16 px column ($RH: brick
// at screen row R, 0 none; ground H blocks high, 0 = pit), so the grid is that, cut to the screen
// from the camera, minus the top 32 px (the HUD; nothing of a level is drawn there). The flag pole
// (its ball at screen row 2 down to the ground) is an item, the one thing the runner has to reach.
// Sprites are 16 x 16 with y their top, so objects sit at the cell of their centre.
void WriteRunnerTiles(const uint8_t* ram, TileGrid& grid) {
  const int first_col = (ram[kCameraHigh] * 256 + ram[kCameraLow]) / kTilePixels;
  const int first_row = kTileFieldTop / kTilePixels;
  for (int c = 0; c < grid.cols(); ++c) {
    const int col = first_col + c;
    const uint8_t column = col < kLevelColumns ? ram[kLevel + col] : 0;
    const int ground = col < kLevelColumns ? kScreenRows - (column & 0x0F) : kScreenRows;  // first ground row
    const int brick = column >> 4;
    const bool pole = col == ram[kFlagColumn];
    for (int r = 0; r < grid.rows(); ++r) {
      const int y = first_row + r;  // screen row
      TileClass cls = kTileEmpty;
      if (y < kScreenRows && (y >= ground || (brick != 0 && y == brick))) cls = kTileSolid;
      else if (y < kScreenRows && pole) cls = kTileItem;
      grid.Set(r, c, cls);
    }
  }
  auto row_of = [&](int y) { return FloorDiv16(y + kTilePixels / 2) - first_row; };
  auto col_of = [&](int x) { return FloorDiv16(x + kTilePixels / 2) - first_col; };
  for (int i = 0; i < kWalkerSlots; ++i) {
    if (ram[kWalkerState + i] != kWalking) continue;  // squashed walkers are harmless
    grid.Stamp(row_of(ram[kWalkerY + i]), col_of(ram[kWalkerXHigh + i] * 256 + ram[kWalkerXLow + i]), kTileEnemy);
  }
  grid.StampClamped(row_of(ram[kY]), col_of(ram[kXHigh] * 256 + ram[kXLow]), kTilePlayer);
}

const std::vector<std::string> kInfoFields = {"xPos",    "yPos",        "stage", "lives", "time",
                                              "flagGet", "playerState", "dying", "stomps"};
enum Component { kDistance, kTime, kFlag, kDeath, kNumComponents };
const std::vector<std::string> kComponentNames = {"distance", "time", "flag", "death"};
constexpr float kFlagBonus = 50.0f, kDeathPenalty = -25.0f, kClip = 15.0f;

// Stage 1..3 from '1', '2', '3' (or '1-1', '1-2', '1-3', SMB-style).
int ParseStage(const std::string& text) {
  if (text.size() == 1 && text[0] >= '1' && text[0] <= '0' + kNumStages) return text[0] - '0';
  if (text.size() == 3 && text[0] == '1' && text[1] == '-' && text[2] >= '1' && text[2] <= '0' + kNumStages) {
    return text[2] - '0';
  }
  throw RangeErrorOf(
      ExpectedMessage("a runner stage '1', '2' or '3' (or '1-1', '1-2', '1-3')", "stages", "\"" + text + "\""));
}

class RunnerLane final : public GameLane {
 public:
  explicit RunnerLane(bool single_stage) : single_stage_(single_stage) {}

  void OnReset(nes::Console& console) override {
    const Snapshot s = Read(console.Ram());
    x_last_ = s.x_pos;
    time_last_ = s.time;
    max_x_ = s.x_pos;
    flag_paid_ = false;
    reached_goal_ = false;
    Capture(s);
  }

  float AfterFrame(nes::Console& console, const RewardWeights& weights, float* components, bool* terminated) override {
    const Snapshot s = Read(console.Ram());
    int32_t dx = s.x_pos - x_last_;
    if (dx < -5 || dx > 5) dx = 0;  // a respawn, not movement
    const int32_t dtime = std::min(0, s.time - time_last_);
    const bool new_flag = s.cleared && !flag_paid_;
    if (new_flag) flag_paid_ = true;
    if (!s.cleared) flag_paid_ = false;
    x_last_ = s.x_pos;
    time_last_ = s.time;

    float c[kNumComponents] = {};
    c[kDistance] = weights.distance * static_cast<float>(dx);
    c[kTime] = static_cast<float>(dtime);
    c[kFlag] = new_flag ? kFlagBonus : 0.0f;
    c[kDeath] = (s.dying || s.dead) ? kDeathPenalty : 0.0f;
    for (int i = 0; i < kNumComponents; ++i) components[i] += c[i];
    const float reward = std::clamp(c[kDistance] + c[kTime] + c[kFlag] + c[kDeath], -kClip, kClip);

    reached_goal_ = reached_goal_ || s.cleared;
    // Single stage: one life, ends on death or flag. Full game: ends on the last life's death.
    const bool last_death = (s.dying || s.dead) && s.lives <= 1;
    *terminated = single_stage_ ? (s.dying || s.dead || s.cleared) : (last_death || s.game_over);
    Capture(s);
    return reward;
  }

  void SkipUnplayable(nes::Console& console, SkippedFrames& frames) override {
    // Full-game episodes: fast-forward deaths, the pause at the flag and stage reloads.
    const uint8_t* ram = console.Ram();
    for (int i = 0; i < kMaxSkipFrames; ++i) {
      const Snapshot s = Read(ram);
      if ((s.playing && s.player_state == kAlive) || s.game_over) break;
      frames.Step(0);
    }
    const Snapshot s = Read(ram);
    x_last_ = s.x_pos;  // the respawn is not progress
  }

  void WriteInfo(int32_t* info, size_t stride) const override {
    for (size_t f = 0; f < kInfoFields.size(); ++f) info[f * stride] = info_[f];
  }
  int32_t MaxX() const override { return max_x_; }
  bool ReachedGoal() const override { return reached_goal_; }

 private:
  void Capture(const Snapshot& s) {
    const int32_t values[] = {s.x_pos,           s.y_pos,        s.stage,         s.lives, s.time,
                              s.cleared ? 1 : 0, s.player_state, s.dying ? 1 : 0, s.stomps};
    static_assert(sizeof(values) / sizeof(values[0]) == 9, "one value per info field");
    std::memcpy(info_, values, sizeof(values));
    max_x_ = std::max(max_x_, s.x_pos);
  }

  bool single_stage_;
  int32_t x_last_ = 0, time_last_ = 0, max_x_ = 0;
  bool flag_paid_ = false, reached_goal_ = false;
  int32_t info_[9] = {};
};

class RunnerGame final : public Game {
 public:
  explicit RunnerGame(const GameOptions& options) : actions_(options.actions) {
    if (options.reward != "v0") {
      throw RangeErrorOf(
          ExpectedMessage("'v0' (the only preset of game 'runner')", "reward", "\"" + options.reward + "\""));
    }
    for (const auto& text : options.stages) stages_.push_back(ParseStage(text));
    single_stage_ = !stages_.empty();
    if (stages_.empty()) stages_.push_back(1);  // full game from stage 1
  }

  const char* Name() const override { return "runner"; }

  void CheckRom(const nes::Rom& rom) const override {
    const std::string what = "the runner ROM (mapper 0, 16 KiB PRG, 8 KiB CHR, title 'RUNNER')";
    const std::string found = "a ROM with mapper " + std::to_string(rom.mapper) + ", " +
                              std::to_string(rom.prg.size() / 1024) + " KiB PRG and " +
                              std::to_string(rom.chr.size() / 1024) + " KiB CHR";
    if (rom.mapper != 0 || rom.prg.size() != 16 * 1024 || rom.chr.size() != 8 * 1024) {
      throw TypeErrorOf(ExpectedMessage(what, "rom", found));
    }
    static const char kTitle[] = "RUNNER";  // the title-screen text, stored as ASCII tile numbers
    static const char kPress[] = "PRESS START";
    if (!PrgContains(rom, kTitle, std::strlen(kTitle)) || !PrgContains(rom, kPress, std::strlen(kPress)))
      throw TypeErrorOf(ExpectedMessage(what, "rom", found + " without runner's title text"));
  }

  int NumActions() const override { return actions_.Size(); }
  uint8_t ActionButtons(int action) const override { return actions_.Buttons(action); }
  const std::vector<std::string>& InfoFields() const override { return kInfoFields; }
  const std::vector<std::string>& RewardComponents() const override { return kComponentNames; }
  RewardWeights DefaultRewardWeights() const override { return {1.0f, 0.0f}; }

  size_t NumStartPoints() const override { return stages_.size(); }

  // Title screen, write the stage (like SMB's world/stage bytes), START, wait for the load.
  void BuildStartPoint(size_t index, nes::Console& console) const override {
    for (int i = 0; i < kBootIdleFrames; ++i) console.StepFrame(0, true);
    console.Ram()[kStage] = static_cast<uint8_t>(stages_.at(index) - 1);
    console.StepFrame(nes::kButtonStart, true);
    for (int i = 0; Read(console.Ram()).playing == false || console.Ram()[kPlayerState] != kAlive; ++i) {
      if (i >= kMaxLoadFrames) {
        throw Error("runner: the stage did not start within " + std::to_string(kMaxLoadFrames) +
                    " frames of START (is this the runner ROM, and does the emulator run it?)");
      }
      console.StepFrame(0, true);
    }
  }

  std::unique_ptr<GameLane> NewLane() const override { return std::make_unique<RunnerLane>(single_stage_); }

  bool HasTileMap() const override { return true; }
  void WriteTiles(const uint8_t* ram, TileGrid& grid) const override { WriteRunnerTiles(ram, grid); }

 private:
  ActionTable actions_;
  std::vector<int> stages_;  // 1-based
  bool single_stage_ = false;
};

}  // namespace

std::unique_ptr<Game> MakeRunnerGame(const GameOptions& options) { return std::make_unique<RunnerGame>(options); }

}  // namespace mario_rl::env
