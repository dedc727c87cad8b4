#include "binding/module_registry.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace mario_rl {
namespace {

// Function-local static: registrars run during static initialisation of other translation
// units, so the list must exist before the first of them.
std::vector<std::pair<std::string, ModuleInit>>& Registry() {
  static std::vector<std::pair<std::string, ModuleInit>> registry;
  return registry;
}

}  // namespace

ModuleRegistrar::ModuleRegistrar(const char* name, ModuleInit init) { Registry().emplace_back(name, init); }

void InitRegisteredModules(Napi::Env env, Napi::Object exports) {
  auto modules = Registry();
  std::sort(modules.begin(), modules.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [name, init] : modules) init(env, exports);
}

}  // namespace mario_rl
