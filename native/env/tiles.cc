#include "env/tiles.h"

#include <string>

#include "common/error.h"

namespace mario_rl::env {
namespace {

void CheckRange(int value, int lo, int hi, const char* name) {
  if (value < lo || value > hi) {
    throw RangeErrorOf(ExpectedMessage("an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", name,
                                       std::to_string(value)));
  }
}

}  // namespace

void ValidateTileSpec(const TileSpec& spec) {
  CheckRange(spec.rows, 1, kMaxTileRows, "obs.rows");
  CheckRange(spec.cols, 1, kMaxTileCols, "obs.cols");
  CheckRange(spec.stack, 1, 16, "obs.frameStack");
}

}  // namespace mario_rl::env
