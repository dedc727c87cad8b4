#include "env/game_registry.h"

#include "common/error.h"

namespace mario_rl::env {

// Each game's factory, defined in its own file.
std::unique_ptr<Game> MakeSmb1Game(const GameOptions& options);
std::unique_ptr<Game> MakeSmb3Game(const GameOptions& options);
std::unique_ptr<Game> MakeRunnerGame(const GameOptions& options);

namespace {

struct GameEntry {
  const char* name;
  std::unique_ptr<Game> (*make)(const GameOptions&);
};

// Adding a game: one line here (plus its file, test and doc entry).
const GameEntry kGames[] = {
    {"smb1", MakeSmb1Game},
    {"smb3", MakeSmb3Game},
    {"runner", MakeRunnerGame},
};

}  // namespace

std::vector<std::string> GameNames() {
  std::vector<std::string> names;
  for (const auto& entry : kGames) names.emplace_back(entry.name);
  return names;
}

std::unique_ptr<Game> MakeGame(const std::string& name, const GameOptions& options) {
  for (const auto& entry : kGames) {
    if (name == entry.name) return entry.make(options);
  }
  std::string known;
  for (const auto& entry : kGames) known += std::string(known.empty() ? "" : ", ") + "'" + entry.name + "'";
  throw RangeErrorOf(ExpectedMessage("one of " + known, "game", "\"" + name + "\""));
}

}  // namespace mario_rl::env
