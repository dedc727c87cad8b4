// The SMB3 game adapter (see smb3.h and docs/env.md "Super Mario Bros. 3").
#include "env/smb3.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace mario_rl::env {
namespace smb3 {

namespace {
// World 1's tiles, read off the map screen and checked by entering each (tests/env/smb3.test.ts).
constexpr Level kMapped[] = {
    {1, 1, 0x20, 0x40}, {1, 2, 0x20, 0x80}, {1, 3, 0x20, 0xA0},
    {1, 4, 0x40, 0xA0}, {1, 5, 0xA0, 0x40}, {1, 6, 0xA0, 0x80},
};
}  // namespace

const Level* MappedLevels(int* count) {
  *count = static_cast<int>(sizeof(kMapped) / sizeof(kMapped[0]));
  return kMapped;
}

int LevelAt(int world, uint8_t map_row, uint8_t map_column) {
  for (const Level& l : kMapped) {
    if (l.world == world && l.map_row == map_row && l.map_column == map_column) return l.level;
  }
  return 0;
}

std::string ParseLevel(const std::string& text, Level* out) {
  const size_t dash = text.find('-');
  auto number = [](const std::string& s, int* v) {
    if (s.empty() || s.size() > 2) return false;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
    }
    *v = std::stoi(s);
    return true;
  };
  int world = 0, level = 0;
  if (dash == std::string::npos || !number(text.substr(0, dash), &world) || !number(text.substr(dash + 1), &level)) {
    return "a level 'W-L' like '1-1'";
  }
  if (world < 1 || world > kNumWorlds) return "a world 1..8 (Super Mario Bros. 3 has 8 worlds)";
  const int levels = kLevelsPerWorld[world - 1];
  if (level < 1 || level > levels) {
    return "a level 1.." + std::to_string(levels) + " of World " + std::to_string(world) + " (it has " +
           std::to_string(levels) + " numbered levels)";
  }
  for (const Level& l : kMapped) {
    if (l.world == world && l.level == level) {
      *out = l;
      return "";
    }
  }
  return "one of the levels whose map tile is known: '1-1' ... '1-6' (World " + std::to_string(world) +
         "'s map is not charted yet; docs/adding-a-game.md says how to add it)";
}

smb1::Snapshot Read(const nes::Console& console) {
  auto ram = [&](uint16_t a) { return static_cast<int32_t>(console.Peek(a)); };
  smb1::Snapshot s{};
  s.x_pos = ram(kXPage) * 256 + ram(kXPixel);
  s.y_pos = ram(kYPage) * 256 + ram(kYPixel);  // down from the level's top (SMB1's grows upward)
  s.world = ram(kWorld) + 1;
  s.stage = LevelAt(s.world, console.Peek(kLevelMapRow), console.Peek(kLevelMapColumn));
  s.area = 0;
  s.lives = ram(kLives);
  s.coins = ram(kCoins);
  s.score = (ram(kScore) * 65536 + ram(kScore + 1) * 256 + ram(kScore + 2)) * 10;  // shown with a fixed 0
  s.time = ram(kTime) * 100 + ram(kTime + 1) * 10 + ram(kTime + 2);
  s.status = ram(kPowerUp);
  s.player_state = ram(kDying);
  s.dying = ram(kDying) != 0;
  s.dead = false;  // episodes end on the first dying frame
  s.busy = false;
  s.world_over = false;
  // The level hands back to the map ($14) without a death: the goal card (or a boss) was reached.
  s.flag_get = ram(kExitToMap) != 0 && !s.dying;
  return s;
}

}  // namespace smb3

namespace {

// Action sets: ActionTable (game.h), the same as SMB1's: B runs (and, with the P-meter full, lets
// a raccoon fly by tapping A), so every set holds RIGHT+B and RIGHT+A+B.
const std::vector<std::string> kInfoFields = {"xPos",  "yPos", "world",  "stage",   "lives",       "coins",
                                              "score", "time", "status", "flagGet", "playerState", "dying"};
const std::vector<std::string> kComponentNames = {"distance", "time", "score", "coin", "powerUp", "flag", "death"};

// Power-on to the World 1 map: START held 6 frames in every 100 (title, then the 1-player game),
// checked against the map's start tile after kTitleFrames.
constexpr int kTitleFrames = 800;
constexpr uint8_t kStartRow = 0x40, kStartColumn = 0x20;
constexpr int kMaxLoadFrames = 600;  // from A on the map to a running clock and Mario placed

class Smb3Lane final : public GameLane {
 public:
  explicit Smb3Lane(smb1::Preset preset) : preset_(preset) {}

  void OnReset(nes::Console& console) override {
    const smb1::Snapshot s = smb3::Read(console);
    tracker_.Start(s);
    max_x_ = s.x_pos;
    reached_goal_ = false;
    Capture(s);
  }

  float AfterFrame(nes::Console& console, const RewardWeights& weights, float* components, bool* terminated) override {
    const smb1::Snapshot s = smb3::Read(console);
    const float reward = tracker_.Frame(s, preset_, weights, components);
    Capture(s);
    reached_goal_ = reached_goal_ || s.flag_get;
    *terminated = s.dying || s.flag_get;  // one life, one level
    return reward;
  }

  // Nothing to skip: the episode ends on the first dying or cleared frame, before any animation.
  void SkipUnplayable(nes::Console& /*console*/, SkippedFrames& /*frames*/) override {}

  void WriteInfo(int32_t* info, size_t stride) const override {
    for (size_t f = 0; f < kInfoFields.size(); ++f) info[f * stride] = info_[f];
  }
  int32_t MaxX() const override { return max_x_; }
  bool ReachedGoal() const override { return reached_goal_; }

 private:
  void Capture(const smb1::Snapshot& s) {
    const int32_t values[] = {s.x_pos, s.y_pos, s.world,  s.stage,    s.lives,        s.coins,
                              s.score, s.time,  s.status, s.flag_get, s.player_state, s.dying};
    static_assert(sizeof(values) / sizeof(values[0]) == 12, "one value per info field");
    std::memcpy(info_, values, sizeof(values));
    max_x_ = std::max(max_x_, s.x_pos);
  }

  smb1::Preset preset_;
  smb1::Tracker tracker_;
  int32_t info_[12] = {};
  int32_t max_x_ = 0;
  bool reached_goal_ = false;
};

class Smb3Game final : public Game {
 public:
  explicit Smb3Game(const GameOptions& options)
      : preset_(smb1::ParsePreset(options.reward)), actions_(options.actions) {
    for (const auto& text : options.stages) {
      smb3::Level level{};
      const std::string why = smb3::ParseLevel(text, &level);
      if (!why.empty()) throw RangeErrorOf(ExpectedMessage(why, "stages", "\"" + text + "\""));
      levels_.push_back(level);
    }
    int mapped = 0;
    if (levels_.empty()) levels_.push_back(smb3::MappedLevels(&mapped)[0]);  // default: 1-1
  }

  const char* Name() const override { return "smb3"; }

  void CheckRom(const nes::Rom& rom) const override {
    // SMB3 (USA/Europe) is MMC3 (mapper 4) with 256 KiB PRG and 128 KiB CHR, and PRG holds its status
    // bar's template: the P-meter (six arrows, "P"), "$", and the three item-card boxes (tile codes).
    static const uint8_t kPMeter[] = {0xEF, 0xEF, 0xEF, 0xEF, 0xEF, 0xEF, 0x3C, 0x3D, 0xFE, 0xEC};
    static const uint8_t kCardBoxes[] = {0xA5, 0xA8, 0xA4, 0xA4, 0xA9, 0xA4, 0xA4, 0xA9, 0xA4, 0xA4, 0xA5};
    const std::string found = "a ROM with mapper " + std::to_string(rom.mapper) + ", " +
                              std::to_string(rom.prg.size() / 1024) + " KiB PRG and " +
                              std::to_string(rom.chr.size() / 1024) + " KiB CHR";
    const std::string what = "a Super Mario Bros. 3 (NES) ROM (mapper 4, 256 KiB PRG, 128 KiB CHR)";
    std::string hint;
    if (rom.mapper == 0 && rom.prg.size() == 32 * 1024) {
      hint = " (that is Super Mario Bros.'s layout: use game 'smb1')";
    } else if (rom.mapper == 4 && rom.prg.size() == 128 * 1024 && rom.chr.size() == 128 * 1024) {
      hint = " (that is Super Mario Bros. 2 (USA)'s layout, which has no environment yet: docs/adding-a-game.md)";
    }
    if (rom.mapper != 4 || rom.prg.size() != 256 * 1024 || rom.chr.size() != 128 * 1024) {
      throw TypeErrorOf(ExpectedMessage(what, "rom", found + hint + "; Lost Levels has no environment yet either"));
    }
    if (!PrgContains(rom, kPMeter, sizeof(kPMeter)) || !PrgContains(rom, kCardBoxes, sizeof(kCardBoxes))) {
      throw TypeErrorOf(ExpectedMessage(what, "rom", found + " whose PRG lacks SMB3's status-bar template"));
    }
  }

  int NumActions() const override { return actions_.Size(); }
  uint8_t ActionButtons(int action) const override { return actions_.Buttons(action); }
  const std::vector<std::string>& InfoFields() const override { return kInfoFields; }
  const std::vector<std::string>& RewardComponents() const override { return kComponentNames; }
  RewardWeights DefaultRewardWeights() const override { return smb1::DefaultWeights(preset_); }

  size_t NumStartPoints() const override { return levels_.size(); }

  // Power-on, title, World 1 map; then the map position is written to the level's tile and A enters
  // it (the map's own lookup picks the level from the position). The start point is the first frame
  // with the level's clock running and Mario placed (x leaves 0).
  void BuildStartPoint(size_t index, nes::Console& console) const override {
    const smb3::Level& level = levels_.at(index);
    for (int f = 0; f < kTitleFrames; ++f)
      console.StepFrame(f % 100 >= 90 && f % 100 < 96 ? nes::kButtonStart : 0, false);
    uint8_t* ram = console.Ram();
    if (ram[smb3::kMapRow] != kStartRow || ram[smb3::kMapColumn] != kStartColumn || ram[smb3::kWorld] != 0) {
      throw Error("smb3: the title skip did not reach World 1's start tile within " + std::to_string(kTitleFrames) +
                  " frames (is this SMB3, and does the emulator run it?)");
    }
    ram[smb3::kMapRow] = level.map_row;
    ram[smb3::kMapColumn] = level.map_column;
    console.StepFrame(0, false);
    console.StepFrame(nes::kButtonA, false);
    console.StepFrame(nes::kButtonA, false);
    auto clock = [&] { return ram[smb3::kTime] + ram[smb3::kTime + 1] + ram[smb3::kTime + 2]; };
    auto x = [&] { return ram[smb3::kXPage] * 256 + ram[smb3::kXPixel]; };
    int frames = 0;
    auto step = [&](bool render) {
      if (++frames > kMaxLoadFrames) {
        throw Error("smb3: level " + std::to_string(level.world) + "-" + std::to_string(level.level) +
                    " did not start within " + std::to_string(kMaxLoadFrames) + " frames of entering it");
      }
      console.StepFrame(0, render);
    };
    while (clock() == 0) step(false);
    bool zeroed = false;  // $75 still holds the map row until the level's set-up clears it
    while (!(zeroed && x() != 0)) {
      zeroed = zeroed || x() == 0;
      step(false);
    }
    console.StepFrame(0, true);  // the reset observation: Mario stands still without input
  }

  std::unique_ptr<GameLane> NewLane() const override { return std::make_unique<Smb3Lane>(preset_); }

 private:
  smb1::Preset preset_;
  ActionTable actions_;
  std::vector<smb3::Level> levels_;
};

}  // namespace

std::unique_ptr<Game> MakeSmb3Game(const GameOptions& options) { return std::make_unique<Smb3Game>(options); }

}  // namespace mario_rl::env
