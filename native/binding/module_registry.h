// Each binding file registers the classes and functions it exports with
// MARIO_RL_REGISTER_MODULE(name, InitFn); addon.cc calls every registered init once, in name
// order, when Node loads the addon. Adding a binding therefore touches no shared file.
#pragma once

#include <napi.h>

namespace mario_rl {

using ModuleInit = void (*)(Napi::Env env, Napi::Object exports);

class ModuleRegistrar {
 public:
  ModuleRegistrar(const char* name, ModuleInit init);
};

// Runs every registered init (sorted by name) against exports.
void InitRegisteredModules(Napi::Env env, Napi::Object exports);

}  // namespace mario_rl

#define MARIO_RL_REGISTER_MODULE(name, init) static ::mario_rl::ModuleRegistrar mario_rl_registrar_##name(#name, init)
