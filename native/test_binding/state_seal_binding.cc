// Test addon: nesSealState(state), which rewrites a save state's body checksum in place
// (SealState, native/nes/console.h), so the parser fuzzer (scripts/parser-fuzz-lib.ts) can craft
// states whose bodies reach the field checks of state_check.cc. [sync]; TypeError for a
// non-Uint8Array, RangeError for one shorter than the 32-byte state header.
#include <napi.h>

#include "binding/module_registry.h"
#include "binding/napi_util.h"
#include "nes/console.h"

namespace mario_rl {
namespace {

constexpr size_t kStateHeaderBytes = 32;

Napi::Value SealStateHook(const Napi::CallbackInfo& info) {
  Napi::TypedArray a = ExpectTypedArray(info, 0, napi_uint8_array, "Uint8Array", "state");
  if (a.ElementLength() < kStateHeaderBytes) {
    throw Napi::RangeError::New(info.Env(), ExpectedMessage("a Uint8Array of at least 32 bytes", "state",
                                                            std::to_string(a.ElementLength()) + " bytes"));
  }
  uint8_t* data = static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
  nes::SealState(data, a.ElementLength());
  return info.Env().Undefined();
}

void InitStateSeal(Napi::Env env, Napi::Object exports) {
  exports.Set("nesSealState", Napi::Function::New(env, SealStateHook, "nesSealState"));
}

}  // namespace
}  // namespace mario_rl

MARIO_RL_REGISTER_MODULE(state_seal, mario_rl::InitStateSeal);
