// Super Mario Bros. 3 (NES, mapper 4) adapter: the RAM facts (docs/env.md "Super Mario Bros. 3",
// each checked by running the ROM), the World 1 level table and the rules as pure functions of
// the console's memory, plus the Game/GameLane implementation in smb3.cc. The reward rules are
// SMB1's (smb1::Tracker on an smb1::Snapshot filled from SMB3's RAM).
#pragma once

#include <cstdint>
#include <string>

#include "env/game.h"
#include "env/smb1.h"

namespace mario_rl::env::smb3 {

// Internal RAM ($0000-$07FF). In a level $75 is the x page (on the map it is the map row).
constexpr uint16_t kXPage = 0x0075, kXPixel = 0x0090, kYPage = 0x0087, kYPixel = 0x00A2, kPowerUp = 0x00ED,
                   kDying = 0x00F1, kExitToMap = 0x0014, kTime = 0x05EE, kScore = 0x0715, kWorld = 0x0727,
                   kLives = 0x0736;
// Map position of the player: $75 row and $79 column on the map screen (multiples of 0x20), copied
// to WRAM $7976/$797A while a level runs (so the level being played is known from RAM).
constexpr uint16_t kMapRow = 0x0075, kMapColumn = 0x0079, kLevelMapRow = 0x7976, kLevelMapColumn = 0x797A;
// Work RAM ($6000-$7FFF, on the cartridge): coins.
constexpr uint16_t kCoins = 0x7DA2;

// A level the env can start: its name's world and level, and its tile on the world map.
struct Level {
  int world, level;
  uint8_t map_row, map_column;
};
constexpr int kNumWorlds = 8;
constexpr int kLevelsPerWorld[kNumWorlds] = {6, 5, 9, 6, 9, 10, 9, 2};  // numbered levels per world
// The levels with a known map tile (World 1's six), in order.
const Level* MappedLevels(int* count);
// The level whose map tile is (row, column) in world `world` (1-based); 0 when none is mapped.
int LevelAt(int world, uint8_t map_row, uint8_t map_column);

// Parses "W-L". Returns "" and fills *out, or the reason the name is refused (malformed, a world or
// level the game does not have, or a level whose map tile is not mapped yet).
std::string ParseLevel(const std::string& text, Level* out);

// Decoded quantities of the console's memory (internal RAM plus work RAM).
smb1::Snapshot Read(const nes::Console& console);

}  // namespace mario_rl::env::smb3
