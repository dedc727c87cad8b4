// Tile-grid observations (obs kind 'tiles', docs/env.md "Tile grids"): the screen as a grid of
// 16x16 px cells, one class id per cell, read from RAM by the game adapter (Game::WriteTiles).
// No pixels are rendered for it. Both built-in adapters use one geometry:
//   cell (r, c) = screen rows y in [32 + 16r, 48 + 16r) (the play field starts 32 px down, below
//   the HUD), level column floor(screenLeft / 16) + c (screenLeft = the screen's left edge in
//   level pixels); cells the game holds no data for (below the screen, columns not loaded) are
//   empty. Objects are stamped over the terrain, one cell each: items, then enemies, then the
//   player, who is always shown once (clamped into the grid); other objects off the grid are
//   dropped. The lane's FrameStack stacks the grids of the last `stack` agent steps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace mario_rl::env {

// Class ids (TILE_CLASSES in src/env/vec-env.ts lists the names in this order).
enum TileClass : uint8_t { kTileEmpty = 0, kTileSolid = 1, kTileEnemy = 2, kTilePlayer = 3, kTileItem = 4 };

constexpr int kMaxTileRows = 32;
constexpr int kMaxTileCols = 64;
constexpr int kTilePixels = 16;    // a cell's side
constexpr int kTileFieldTop = 32;  // screen y of row 0

struct TileSpec {
  int rows = 13;
  int cols = 16;
  int stack = 4;
  size_t GridBytes() const { return static_cast<size_t>(rows) * static_cast<size_t>(cols); }
};

// Checks 1 <= rows <= 32, 1 <= cols <= 64, 1 <= stack <= 16; throws mario_rl::Error (RangeError)
// naming obs.rows / obs.cols / obs.frameStack.
void ValidateTileSpec(const TileSpec& spec);

// A rows x cols grid of TileClass ids over a caller's buffer (row-major), written once per agent
// step by Game::WriteTiles; nothing is allocated.
class TileGrid {
 public:
  TileGrid(uint8_t* cells, int rows, int cols) : cells_(cells), rows_(rows), cols_(cols) {}
  int rows() const { return rows_; }
  int cols() const { return cols_; }
  void Clear() { std::memset(cells_, kTileEmpty, static_cast<size_t>(rows_) * static_cast<size_t>(cols_)); }
  // Terrain: the caller keeps (row, col) inside the grid.
  void Set(int row, int col, TileClass c) { cells_[row * cols_ + col] = c; }
  // An object: dropped when (row, col) is outside the grid.
  void Stamp(int row, int col, TileClass c) {
    if (row >= 0 && row < rows_ && col >= 0 && col < cols_) Set(row, col, c);
  }
  // An object that must always show (the player): clamped into the grid.
  void StampClamped(int row, int col, TileClass c) {
    Set(row < 0 ? 0 : row >= rows_ ? rows_ - 1 : row, col < 0 ? 0 : col >= cols_ ? cols_ - 1 : col, c);
  }

 private:
  uint8_t* cells_;
  int rows_, cols_;
};

// floor(a / 16) for negative a too (objects above the screen or left of the grid).
inline int FloorDiv16(int a) { return a >= 0 ? a / kTilePixels : -((-a + kTilePixels - 1) / kTilePixels); }

}  // namespace mario_rl::env
