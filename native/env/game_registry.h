// Builds a Game by name ('smb1', ...). One line per game in game_registry.cc.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "env/game.h"

namespace mario_rl::env {

// Throws mario_rl::Error (RangeError) listing the known names for an unknown one.
std::unique_ptr<Game> MakeGame(const std::string& name, const GameOptions& options);
std::vector<std::string> GameNames();

}  // namespace mario_rl::env
