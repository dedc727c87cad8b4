// N-API wrapper of GatherRows (native/replay/frame_gather.h), used by PrioritizedReplay to stack
// frames at sample time.
#include <napi.h>

#include "binding/module_registry.h"
#include "binding/napi_util.h"
#include "replay/frame_gather.h"

namespace mario_rl {
namespace {

// [sync] gatherRows(src: Uint8Array, rowBytes: number, rows: Int32Array, out: Uint8Array): void
// Copies row rows[k] of src into row k of out (zeros for -1). TypeError for wrong array types;
// RangeError if src is not whole rows, out's length is not rows.length · rowBytes, or a row is out
// of range (nothing written then). A few ms for ~15 MB (B = 256, 84×84×4, obs and next obs).
Napi::Value GatherRowsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto src = ExpectUint8Array(info, 0, "src");
  const int64_t row_bytes = ExpectInteger(info, 1, 1, int64_t{1} << 30, "rowBytes");
  auto rows = ExpectTypedArray(info, 2, napi_int32_array, "Int32Array", "rows").As<Napi::Int32Array>();
  auto out = ExpectUint8Array(info, 3, "out");
  if (src.ElementLength() % static_cast<size_t>(row_bytes) != 0) {
    throw Napi::RangeError::New(env, ExpectedMessage("a multiple of rowBytes (" + std::to_string(row_bytes) + ")",
                                                     "src length", std::to_string(src.ElementLength())));
  }
  ExpectLength(env, out, rows.ElementLength() * static_cast<size_t>(row_bytes), "out");
  Guard(env, [&] {
    GatherRows(src.Data(), src.ElementLength() / static_cast<size_t>(row_bytes), static_cast<size_t>(row_bytes),
               rows.Data(), rows.ElementLength(), out.Data());
    return 0;
  });
  return env.Undefined();
}

void InitFrameGather(Napi::Env env, Napi::Object exports) {
  exports.Set("gatherRows", Napi::Function::New(env, GatherRowsJs, "gatherRows"));
}

}  // namespace
}  // namespace mario_rl

MARIO_RL_REGISTER_MODULE(frame_gather, mario_rl::InitFrameGather);
