// N-API wrapper of GatherRows (native/replay/frame_gather.h), used by PrioritizedReplay to stack
// frames at sample time.
#include <napi.h>

#include <string>
#include <vector>

#include "binding/module_registry.h"
#include "binding/napi_util.h"
#include "replay/frame_gather.h"

namespace mario_rl {
namespace {

constexpr uint32_t kMaxChunks = 4096;

// [sync] gatherRows(chunks: Uint8Array[], rowsPerChunk: number, rowBytes: number, rows: Int32Array,
//                   out: Uint8Array): void
// Copies row rows[k] (row r = row r % rowsPerChunk of chunks[r / rowsPerChunk]) into row k of out;
// -1 writes zeros. TypeError for wrong types; RangeError if a chunk is not whole rows or longer than
// rowsPerChunk rows, only the last chunk is short, out's length is not rows.length · rowBytes, or a
// row is out of range (nothing written then). A few ms for B = 256 at 84×84×4 (obs + next obs).
Napi::Value GatherRowsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) {
    throw Napi::TypeError::New(env, ExpectedMessage("an array of Uint8Array", "chunks", DescribeValue(info[0])));
  }
  auto list = info[0].As<Napi::Array>();
  if (list.Length() < 1 || list.Length() > kMaxChunks) {
    throw Napi::RangeError::New(env, ExpectedMessage("1 to " + std::to_string(kMaxChunks) + " chunks", "chunks",
                                                     std::to_string(list.Length())));
  }
  const int64_t rows_per_chunk = ExpectInteger(info, 1, 1, int64_t{1} << 32, "rowsPerChunk");
  const int64_t row_bytes = ExpectInteger(info, 2, 1, int64_t{1} << 30, "rowBytes");
  auto rows = ExpectTypedArray(info, 3, napi_int32_array, "Int32Array", "rows").As<Napi::Int32Array>();
  auto out = ExpectUint8Array(info, 4, "out");
  std::vector<const uint8_t*> data(list.Length());
  size_t total_rows = 0;
  for (uint32_t c = 0; c < list.Length(); ++c) {
    Napi::Value v = list.Get(c);
    const std::string name = "chunks[" + std::to_string(c) + "]";
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      throw Napi::TypeError::New(env, ExpectedMessage("a Uint8Array", name, DescribeValue(v)));
    }
    auto chunk = v.As<Napi::Uint8Array>();
    const size_t bytes = chunk.ElementLength();
    const size_t full = static_cast<size_t>(rows_per_chunk) * static_cast<size_t>(row_bytes);
    const bool last = c + 1 == list.Length();
    if (bytes % static_cast<size_t>(row_bytes) != 0 || bytes > full || (!last && bytes != full)) {
      throw Napi::RangeError::New(
          env, ExpectedMessage(last ? "whole rows, at most rowsPerChunk of them" : "exactly rowsPerChunk rows", name,
                               DescribeValue(v)));
    }
    data[c] = chunk.Data();
    total_rows += bytes / static_cast<size_t>(row_bytes);
  }
  ExpectLength(env, out, rows.ElementLength() * static_cast<size_t>(row_bytes), "out");
  const FrameChunks src{data.data(), data.size(), static_cast<size_t>(rows_per_chunk), total_rows,
                        static_cast<size_t>(row_bytes)};
  Guard(env, [&] {
    GatherRows(src, rows.Data(), rows.ElementLength(), out.Data());
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
