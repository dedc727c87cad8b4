// Entry point of mario_rl_test.node, the test addon: hooks that reach inside the core for tests
// and benches (tests/native-test-addon.ts loads it). Built by `npm run build:native` next to the
// shipped addon, never copied to prebuilds/ and never packed. Its wrappers register themselves
// the way the shipped ones do (binding/module_registry.h); this library has its own registry.
#include <napi.h>

#include "binding/module_registry.h"

static Napi::Object InitTestAddon(Napi::Env env, Napi::Object exports) {
  mario_rl::InitRegisteredModules(env, exports);
  return exports;
}

NODE_API_MODULE(mario_rl_test, InitTestAddon)
