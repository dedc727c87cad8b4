// The SMB1 game adapter (see smb1.h and docs/env.md).
#include "env/smb1.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace mario_rl::env {
namespace smb1 {

int32_t ReadDigits(const uint8_t* ram, uint16_t address, int count) {
  int32_t value = 0;
  for (int i = 0; i < count; ++i) value = value * 10 + (ram[address + i] % 16);
  return value;
}

bool StageOver(const uint8_t* ram) {
  bool goal_object = false;
  for (int i = 0; i < 5; ++i) {
    const uint8_t t = ram[kEnemyTypes + i];
    goal_object = goal_object || t == kEnemyBowser || t == kEnemyFlagpole;
  }
  return goal_object && (ram[kFloatState] == 3 || ram[kPlayerState] == kStateFlagpole);
}

Snapshot Read(const uint8_t* ram) {
  Snapshot s{};
  s.x_pos = ram[kXPage] * 256 + ram[kXPixel];
  const int y_pixel = ram[kYPixel];
  s.y_pos = ram[kYViewport] < 1 ? 255 + (255 - y_pixel) : 255 - y_pixel;
  s.world = ram[kWorld] + 1;
  s.stage = ram[kStage] + 1;
  s.area = ram[kArea];
  s.lives = ram[kLives];
  s.coins = ReadDigits(ram, kCoins, 2);
  s.score = ReadDigits(ram, kScore, 6);
  s.time = ReadDigits(ram, kTime, 3);
  s.status = ram[kPowerUp];
  s.player_state = ram[kPlayerState];
  s.dying = s.player_state == kStateDying || ram[kYViewport] > 1;
  s.dead = s.player_state == kStateDead;
  s.busy = s.player_state <= 0x05 || s.player_state == 0x07;
  s.world_over = ram[kGameMode] == 2;
  s.flag_get = s.world_over || StageOver(ram);
  return s;
}

int TargetArea(int world, int stage) {
  const bool pipe_intro = (world == 1 || world == 2 || world == 4 || world == 7) && stage >= 2;
  return pipe_intro ? stage : stage - 1;  // 0-based: (stage - 1) + 1 with the intro area
}

bool ParseStage(const std::string& text, int* world, int* stage) {
  if (text.size() != 3 || text[1] != '-') return false;
  if (text[0] < '1' || text[0] > '8' || text[2] < '1' || text[2] > '4') return false;
  *world = text[0] - '0';
  *stage = text[2] - '0';
  return true;
}

Preset ParsePreset(const std::string& name) {
  if (name == "v0") return Preset::kV0;
  if (name == "shaped" || name == "v9") return Preset::kShaped;  // 'v9': the older name
  if (name == "uvipen") return Preset::kUvipen;
  throw RangeErrorOf(ExpectedMessage("one of 'v0', 'shaped', 'uvipen'", "reward", "\"" + name + "\""));
}

RewardWeights DefaultWeights(Preset preset) {
  switch (preset) {
    case Preset::kV0: return {1.0f, 0.0f};
    case Preset::kShaped: return {1.0f, 1.0f / 100.0f};
    case Preset::kUvipen: return {1.0f, 1.0f / 40.0f};
  }
  return {};
}

void Tracker::Start(const Snapshot& s) {
  x_last = s.x_pos;
  time_last = s.time;
  score_last = s.score;
  coins_last = s.coins;
  status_last = s.status;
  max_x = s.x_pos;
  flag_paid = false;
}

namespace {
float Clip(float r) { return std::min(15.0f, std::max(-15.0f, r)); }
}  // namespace

float Tracker::Frame(const Snapshot& s, Preset preset, const RewardWeights& w, float* components) {
  // Distance: dx, hidden when it jumps by more than 5 (teleports after deaths and area changes).
  int32_t dx = s.x_pos - x_last;
  const bool teleport = dx < -5 || dx > 5;
  if (teleport) dx = 0;
  int32_t progress = 0;  // shaped: only new ground counts; a teleport restarts the max
  if (teleport) {
    max_x = s.x_pos;
  } else if (s.x_pos > max_x) {
    progress = s.x_pos - max_x;
    max_x = s.x_pos;
  }
  const int32_t dtime = std::min(0, s.time - time_last);
  const int32_t dscore = s.score - score_last;
  int32_t dcoins = s.coins - coins_last;
  if (dcoins < 0) dcoins += 100;  // 99 -> 0 wraps (and grants a life)
  const int32_t dstatus = s.status - status_last;
  const bool died = s.dying || s.dead;
  const bool new_flag = s.flag_get && !flag_paid;
  if (new_flag) flag_paid = true;
  x_last = s.x_pos;
  time_last = s.time;
  score_last = s.score;
  coins_last = s.coins;
  status_last = s.status;

  float c[kNumComponents] = {};
  float reward = 0.0f;
  switch (preset) {
    case Preset::kV0:
      c[kDistanceReward] = w.distance * static_cast<float>(dx);
      c[kTimeReward] = static_cast<float>(dtime);
      c[kScoreReward] = w.score * static_cast<float>(dscore);
      c[kDeathReward] = died ? -25.0f : 0.0f;
      reward = Clip(c[kDistanceReward] + c[kTimeReward] + c[kScoreReward] + c[kDeathReward]);
      break;
    case Preset::kShaped:
      c[kDistanceReward] = w.distance * static_cast<float>(progress);
      c[kTimeReward] = static_cast<float>(dtime);
      c[kScoreReward] = w.score * static_cast<float>(dscore);
      c[kCoinReward] = 5.0f * static_cast<float>(dcoins);
      c[kPowerUpReward] = 5.0f * static_cast<float>(dstatus);
      c[kFlagReward] = new_flag ? 50.0f : 0.0f;
      c[kDeathReward] = died ? -25.0f : 0.0f;
      reward = Clip(c[kDistanceReward] + c[kTimeReward] + c[kScoreReward] + c[kCoinReward] + c[kPowerUpReward] +
                    c[kFlagReward] + c[kDeathReward]);
      break;
    case Preset::kUvipen: {
      c[kDistanceReward] = w.distance * static_cast<float>(dx);
      c[kTimeReward] = static_cast<float>(dtime);
      const float classic_death = died ? -25.0f : 0.0f;
      const float classic = Clip(c[kDistanceReward] + c[kTimeReward] + classic_death);
      c[kScoreReward] = w.score * static_cast<float>(dscore);
      c[kFlagReward] = new_flag ? 50.0f : 0.0f;
      c[kDeathReward] = died ? -50.0f : 0.0f;
      reward = (classic + c[kScoreReward] + c[kFlagReward] + c[kDeathReward]) / 10.0f;
      break;
    }
  }
  for (int i = 0; i < kNumComponents; ++i) components[i] += c[i];
  return reward;
}

TileClass MetatileClass(uint8_t metatile) {
  // The block buffer holds only what the game collides with: bushes, hills, clouds and water are
  // stored as 0 (BlockBuffLowBounds). Of the rest, the hidden blocks (0x5F, 0x60: invisible, hit
  // only from below) and the vine's blank (0x26) are passable; the flag pole (0x24, 0x25, 0x6D),
  // the '?' blocks (0xC0 coin, 0xC1 power-up), coins (0xC2, 0xC3) and the axe (0xC5) are items;
  // everything else (ground, bricks, pipes, used and solid blocks, cannons, bridges) is solid.
  // Bricks that hold an item look like bricks and stay solid: the grid shows what the screen does.
  switch (metatile) {
    case 0x00:
    case 0x26:
    case 0x5F:
    case 0x60: return kTileEmpty;
    case 0x24:
    case 0x25:
    case 0x6D:
    case 0xC0:
    case 0xC1:
    case 0xC2:
    case 0xC3:
    case 0xC5: return kTileItem;
    default: return kTileSolid;
  }
}

bool IsHazard(uint8_t enemy_type) {
  // Enemies up to Bowser's flame (0x00-0x15), Bowser (0x2D) and cannon bullet bills (0x33); not
  // the fireworks and frenzy controllers, vine, flags, jumpspring, warp zone or retainer, which
  // share the slots. Fire bars and platforms are drawn from their sprites (below).
  return enemy_type <= 0x15 || enemy_type == kEnemyBowser || enemy_type == 0x33;
}

bool IsFireBar(uint8_t enemy_type) { return enemy_type >= 0x1B && enemy_type <= 0x1F; }

bool IsPlatform(uint8_t enemy_type) { return enemy_type >= 0x24 && enemy_type <= 0x2C; }

void WriteTiles(const uint8_t* ram, TileGrid& grid) {
  const int screen_left = ram[kScreenLeftPage] * 256 + ram[kScreenLeft];
  const int first_col = screen_left / kTilePixels;
  const int next_col = ram[kParserPage] * 16 + ram[kParserColumn];
  for (int c = 0; c < grid.cols(); ++c) {
    const int col = first_col + c;
    const bool loaded = col < next_col && col >= next_col - 32;
    const uint8_t* column = ram + kMetatiles + ((col / 16) & 1) * kMetatilePage + col % 16;
    for (int r = 0; r < grid.rows(); ++r) {
      grid.Set(r, c, loaded && r < kMetatileRows ? MetatileClass(column[r * 16]) : kTileEmpty);
    }
  }
  // Objects at (y / 16 - 1, the column of x + 8): y is the top of a 32 px box whose lower half the
  // object fills when standing; the y viewport byte is 1 on the screen, 0 above, 2 below.
  auto row_of = [](int viewport, int y) { return FloorDiv16((viewport - 1) * 256 + y) - 1; };
  auto col_of = [&](int x) { return FloorDiv16(x + 8) - first_col; };
  auto slot = [&](int i, TileClass cls) {
    grid.Stamp(row_of(ram[kObjectYViewport + i], ram[kObjectYPixel + i]),
               col_of(ram[kObjectXPage + i] * 256 + ram[kObjectXPixel + i]), cls);
  };
  // A slot's sprites, each at the cell of its centre: an 8x8 sprite at OAM (x, y) covers screen
  // rows y + 1 ... y + 8 and columns x ... x + 7. Sprites moved off the screen (y >= 0xEF, the
  // game uses 0xF8) are skipped.
  auto sprites = [&](int i, TileClass cls) {
    for (int k = 0; k < kSlotSprites; ++k) {
      const uint8_t* sprite = ram + kOamShadow + ((ram[kObjectSpriteOffset + i] + 4 * k) & 0xFF);
      if (sprite[0] >= 0xEF) continue;
      grid.Stamp(FloorDiv16(sprite[0] + 4 - kTileFieldTop), FloorDiv16(screen_left + sprite[3] + 4) - first_col, cls);
    }
  };
  // Platforms and lifts stand in for terrain (the player stands on them), so they go first.
  for (int i = 0; i < kEnemySlots; ++i) {
    if (ram[kObjectActive + i] != 0 && IsPlatform(ram[kEnemyTypes + i])) sprites(i, kTileSolid);
  }
  if (ram[kObjectActive + kPowerUpSlot] != 0 && ram[kEnemyTypes + kPowerUpSlot] == kPowerUpObject) {
    slot(kPowerUpSlot, kTileItem);
  }
  for (int i = 0; i < kEnemySlots; ++i) {
    if (ram[kObjectActive + i] == 0) continue;
    const uint8_t type = ram[kEnemyTypes + i];
    if (IsHazard(type)) slot(i, kTileEnemy);
    else if (IsFireBar(type)) sprites(i, kTileEnemy);
  }
  grid.StampClamped(row_of(ram[kYViewport], ram[kPlayerYPixel]), col_of(ram[kXPage] * 256 + ram[kXPixel]), kTilePlayer);
}

}  // namespace smb1

namespace {

using namespace smb1;

const std::vector<std::string> kInfoFields = {"xPos",  "yPos", "world",  "stage",   "area",        "lives", "coins",
                                              "score", "time", "status", "flagGet", "playerState", "dying"};
const std::vector<std::string> kComponentNames = {"distance", "time", "score", "coin", "powerUp", "flag", "death"};

constexpr int kMaxBootFrames = 4000;  // start-screen skip gives up after this (broken ROM/core)
constexpr int kMaxSkipFrames = 2000;  // unplayable stretch cap (a game-over screen, a core bug)

struct Target {
  int world = 0, stage = 0;  // 1-based; 0 = full game from the ROM's own start
};

void Write(nes::Console& console, uint16_t address, uint8_t value) { console.Ram()[address] = value; }

class Smb1Lane final : public GameLane {
 public:
  Smb1Lane(Preset preset, bool single_stage) : preset_(preset), single_stage_(single_stage) {}

  void OnReset(nes::Console& console) override {
    const Snapshot s = Read(console.Ram());
    tracker_.Start(s);
    max_x_ = s.x_pos;
    reached_goal_ = false;
    Capture(s);
  }

  float AfterFrame(nes::Console& console, const RewardWeights& weights, float* components, bool* terminated) override {
    const Snapshot s = Read(console.Ram());
    const float reward = tracker_.Frame(s, preset_, weights, components);
    Capture(s);
    reached_goal_ = reached_goal_ || s.flag_get;
    *terminated = single_stage_ ? (s.dying || s.dead || s.flag_get) : s.lives == 0xFF;
    return reward;
  }

  void SkipUnplayable(nes::Console& console, SkippedFrames& frames) override {
    uint8_t* ram = console.Ram();
    Snapshot s = Read(ram);
    if (s.dying) {  // skip the death animation
      ram[kPlayerState] = kStateDead;
      frames.Step(0);
    }
    if (ram[kChangeAreaTimer] > 1 && ram[kChangeAreaTimer] < 255) ram[kChangeAreaTimer] = 1;
    for (int i = 0; i < kMaxSkipFrames; ++i) {
      s = Read(ram);
      if (!(s.busy || s.world_over)) break;
      ram[kPreLevelTimer] = 0;
      frames.Step(0);
    }
  }

  void WriteInfo(int32_t* info, size_t stride) const override {
    for (size_t f = 0; f < kInfoFields.size(); ++f) info[f * stride] = info_[f];
  }
  int32_t MaxX() const override { return max_x_; }
  bool ReachedGoal() const override { return reached_goal_; }

 private:
  void Capture(const Snapshot& s) {
    const int32_t values[] = {s.x_pos, s.y_pos, s.world,  s.stage,    s.area,         s.lives, s.coins,
                              s.score, s.time,  s.status, s.flag_get, s.player_state, s.dying};
    static_assert(sizeof(values) / sizeof(values[0]) == 13, "one value per info field");
    std::memcpy(info_, values, sizeof(values));
    max_x_ = std::max(max_x_, s.x_pos);
  }

  Preset preset_;
  bool single_stage_;
  Tracker tracker_;
  int32_t info_[13] = {};
  int32_t max_x_ = 0;
  bool reached_goal_ = false;
};

class Smb1Game final : public Game {
 public:
  explicit Smb1Game(const GameOptions& options) : preset_(ParsePreset(options.reward)), actions_(options.actions) {
    for (const auto& text : options.stages) {
      Target t;
      if (!ParseStage(text, &t.world, &t.stage)) {
        throw RangeErrorOf(ExpectedMessage("a stage 'W-S' with W in 1..8 and S in 1..4", "stages", "\"" + text + "\""));
      }
      targets_.push_back(t);
    }
    if (targets_.empty()) targets_.push_back(Target{});  // full game
  }

  const char* Name() const override { return "smb1"; }

  void CheckRom(const nes::Rom& rom) const override {
    // SMB1 is NROM (mapper 0) with 32 KiB PRG and 8 KiB CHR, and its status bar text ("MARIO",
    // "WORLD", "TIME" in the game's tile codes) sits in PRG.
    static const uint8_t kMario[] = {0x16, 0x0A, 0x1B, 0x12, 0x18};
    static const uint8_t kWorld[] = {0x20, 0x18, 0x1B, 0x15, 0x0D};
    static const uint8_t kTimeText[] = {0x1D, 0x12, 0x16, 0x0E};
    const std::string found = "a ROM with mapper " + std::to_string(rom.mapper) + ", " +
                              std::to_string(rom.prg.size() / 1024) + " KiB PRG and " +
                              std::to_string(rom.chr.size() / 1024) + " KiB CHR";
    const std::string what = "a Super Mario Bros. (NES) ROM (mapper 0, 32 KiB PRG, 8 KiB CHR)";
    if (rom.mapper != 0 || rom.prg.size() != 32 * 1024 || rom.chr.size() != 8 * 1024) {
      throw TypeErrorOf(ExpectedMessage(what, "rom", found));
    }
    if (!PrgContains(rom, kMario, sizeof(kMario)) || !PrgContains(rom, kWorld, sizeof(kWorld)) ||
        !PrgContains(rom, kTimeText, sizeof(kTimeText))) {
      throw TypeErrorOf(ExpectedMessage(what, "rom", found + " whose PRG lacks SMB1's status-bar text"));
    }
  }

  int NumActions() const override { return actions_.Size(); }
  uint8_t ActionButtons(int action) const override { return actions_.Buttons(action); }
  const std::vector<std::string>& InfoFields() const override { return kInfoFields; }
  const std::vector<std::string>& RewardComponents() const override { return kComponentNames; }
  RewardWeights DefaultRewardWeights() const override { return DefaultWeights(preset_); }

  size_t NumStartPoints() const override { return targets_.size(); }

  void BuildStartPoint(size_t index, nes::Console& console) const override {
    const Target& t = targets_.at(index);
    const bool single = t.world != 0;
    auto write_stage = [&] {
      if (!single) return;
      Write(console, kWorld, static_cast<uint8_t>(t.world - 1));
      Write(console, kStage, static_cast<uint8_t>(t.stage - 1));
      Write(console, kArea, static_cast<uint8_t>(TargetArea(t.world, t.stage)));
    };
    auto time = [&] { return ReadDigits(console.Ram(), kTime, 3); };
    int frames = 0;
    auto step = [&](uint8_t buttons) {
      console.StepFrame(buttons, true);
      if (++frames > kMaxBootFrames) {
        throw Error("smb1: the start-screen skip did not reach a running clock within " +
                    std::to_string(kMaxBootFrames) + " frames (is this SMB1, and does the emulator run it?)");
      }
    };
    step(nes::kButtonStart);
    step(0);
    while (time() == 0) {
      write_stage();
      step(nes::kButtonStart);
      write_stage();
      step(0);
      Write(console, kPreLevelTimer, 0);
    }
    const int32_t start_time = time();
    while (time() == start_time) {
      step(nes::kButtonStart);
      step(0);
    }
  }

  std::unique_ptr<GameLane> NewLane() const override {
    return std::make_unique<Smb1Lane>(preset_, targets_.front().world != 0);
  }

  bool HasTileMap() const override { return true; }
  void WriteTiles(const uint8_t* ram, TileGrid& grid) const override { smb1::WriteTiles(ram, grid); }

 private:
  Preset preset_;
  ActionTable actions_;
  std::vector<Target> targets_;
};

}  // namespace

std::unique_ptr<Game> MakeSmb1Game(const GameOptions& options) { return std::make_unique<Smb1Game>(options); }

}  // namespace mario_rl::env
