// Entry point of the mario_rl addon. Classes register themselves (module_registry.h); this file
// only adds buildInfo(), which the loader and `mario-rl doctor` use to describe the binary.
#include <napi.h>

#include <thread>

#include "binding/module_registry.h"

namespace mario_rl {
namespace {

#ifndef MARIO_RL_VERSION
#define MARIO_RL_VERSION "0.1.0"
#endif

// [sync] buildInfo(): { version, napiVersion, cuda, compiler, hardwareConcurrency }
Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("version", MARIO_RL_VERSION);
  out.Set("napiVersion", NAPI_VERSION);
#ifdef MARIO_RL_WITH_CUDA
  out.Set("cuda", true);
#else
  out.Set("cuda", false);
#endif
#if defined(__clang__)
  out.Set("compiler", "clang " __clang_version__);
#elif defined(__GNUC__)
  out.Set("compiler", "gcc " __VERSION__);
#elif defined(_MSC_VER)
  out.Set("compiler", "msvc " + std::to_string(_MSC_VER));
#else
  out.Set("compiler", "unknown");
#endif
  out.Set("hardwareConcurrency", static_cast<double>(std::thread::hardware_concurrency()));
  return out;
}

}  // namespace
}  // namespace mario_rl

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  exports.Set("buildInfo", Napi::Function::New(env, mario_rl::BuildInfo, "buildInfo"));
  mario_rl::InitRegisteredModules(env, exports);
  return exports;
}

NODE_API_MODULE(mario_rl, InitAddon)
