// Validation of a restored ConsoleState. A save state is a memcpy of the console, so a crafted or
// corrupted body could hold a scanline of 30000 (an out-of-bounds frame write), a sprite count of
// 200 (reads past the sprite slots) or a PPU clock far ahead of the CPU (a catch-up loop that runs
// for hours). LoadState runs CheckConsoleState on a staged copy before committing anything.
#pragma once

#include <string>

#include "nes/state.h"

namespace mario_rl::nes {

class Mapper;

// "" when every field that indexes memory or drives a loop is in range and the clocks agree with
// each other; otherwise one "Expected … for … but received …" message naming the first bad field.
std::string CheckConsoleState(const ConsoleState& s, const Mapper& mapper);

}  // namespace mario_rl::nes
