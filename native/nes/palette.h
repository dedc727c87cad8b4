// The NES master palette: 64 entries x RGB, our own table (a common 2C02 approximation).
#pragma once

#include <cstdint>

namespace mario_rl::nes {

// 64 * 3 bytes, entry i at [3*i, 3*i+3).
const uint8_t* PaletteRgb();

}  // namespace mario_rl::nes
