// Super Mario Bros. (NES) adapter: RAM rules from the SMB RAM map reference (the semantics of
// gym-super-mario-bros), as pure functions on the 2 KiB RAM so they are testable on synthetic RAM,
// plus the Game/GameLane implementation in smb1.cc.
#pragma once

#include <cstdint>
#include <string>

#include "env/game.h"
#include "env/tiles.h"

namespace mario_rl::env::smb1 {

// RAM addresses.
constexpr uint16_t kPlayerState = 0x000E, kFloatState = 0x001D, kEnemyTypes = 0x0016, kXPage = 0x006D, kXPixel = 0x0086,
                   kYViewport = 0x00B5, kYPixel = 0x03B8, kScreenLeft = 0x071C, kChangeAreaTimer = 0x06DE,
                   kPowerUp = 0x0756, kLives = 0x075A, kStage = 0x075C, kWorld = 0x075F, kArea = 0x0760,
                   kGameMode = 0x0770, kPreLevelTimer = 0x07A0, kScore = 0x07DE, kCoins = 0x07ED, kTime = 0x07F8;
// Tile map (smb.md "The level as a tile grid"): the metatile buffer (two pages of 13 rows x 16
// columns, circular over 32 level columns), the area parser's next column (page, column: the
// buffer holds the 32 level columns before it), the screen's left page, the object slots (5
// enemies, then the power-up in slot 5) and the player's y.
constexpr uint16_t kMetatiles = 0x0500, kParserPage = 0x0725, kParserColumn = 0x0726, kScreenLeftPage = 0x071A,
                   kObjectActive = 0x000F, kObjectXPage = 0x006E, kObjectXPixel = 0x0087, kObjectYViewport = 0x00B6,
                   kObjectYPixel = 0x00CF, kPlayerYPixel = 0x00CE;
// What the game drew this frame: the OAM shadow page (4 bytes a sprite: y, tile, attributes, x;
// copied to the PPU at the next NMI) and each enemy slot's byte offset into it (6 sprites a slot).
// Platforms and fire bars are read from here: their extent and the fire bar's balls are not kept
// anywhere else in RAM.
constexpr uint16_t kOamShadow = 0x0200, kObjectSpriteOffset = 0x06E5;
constexpr int kMetatileRows = 13, kMetatilePage = 0xD0, kEnemySlots = 5, kPowerUpSlot = 5, kSlotSprites = 6;
constexpr uint8_t kStateDead = 0x06, kStateDying = 0x0B, kStateFlagpole = 0x04, kEnemyBowser = 0x2D,
                  kEnemyFlagpole = 0x31, kPowerUpObject = 0x2E;

// Decoded quantities of one RAM snapshot.
struct Snapshot {
  int32_t x_pos, y_pos, world, stage, area;  // world/stage 1-based (as gym reports), area 0-based
  int32_t lives, coins, score, time, status, player_state;
  bool dying, dead, busy, flag_get, world_over;
};

Snapshot Read(const uint8_t* ram);
int32_t ReadDigits(const uint8_t* ram, uint16_t address, int count);
// Stage over: a flagpole or Bowser in an enemy slot and float state 3 (gym's rule, which keeps
// vines out), or the same slot test with the engine in its flagpole routine (player state 4):
// that catches the grabs where the float state reads 2 (gym-super-mario-bros #91).
bool StageOver(const uint8_t* ram);
// Area of a single-stage target: stage (0-based) + 1 in worlds 1, 2, 4, 7 for stages 2-4 (the
// pipe-intro area), else the stage. world, stage 1-based.
int TargetArea(int world, int stage);
// Parses "W-S" (W 1..8, S 1..4); returns false when malformed or out of range.
bool ParseStage(const std::string& text, int* world, int* stage);

// Tile grid (docs/env.md "Tile grids"): the class of a block-buffer metatile, the enemy types
// stamped as one enemy cell, those drawn from their sprites (fire bars as enemy cells, platforms
// and lifts as solid ones), and the grid of the screen RAM shows.
TileClass MetatileClass(uint8_t metatile);
bool IsHazard(uint8_t enemy_type);
bool IsFireBar(uint8_t enemy_type);
bool IsPlatform(uint8_t enemy_type);
void WriteTiles(const uint8_t* ram, TileGrid& grid);

// Reward presets.
enum class Preset { kV0, kShaped, kUvipen };
enum Component {
  kDistanceReward,
  kTimeReward,
  kScoreReward,
  kCoinReward,
  kPowerUpReward,
  kFlagReward,
  kDeathReward,
  kNumComponents
};

// Per-episode bookkeeping of the reward rules.
struct Tracker {
  int32_t x_last = 0, time_last = 0, score_last = 0, coins_last = 0, status_last = 0, max_x = 0;
  bool flag_paid = false;
  void Start(const Snapshot& s);
  // One frame's reward (components weighted, pre-clip, added into `components`).
  float Frame(const Snapshot& s, Preset preset, const RewardWeights& w, float* components);
};

Preset ParsePreset(const std::string& name);  // throws RangeError
RewardWeights DefaultWeights(Preset preset);

}  // namespace mario_rl::env::smb1
