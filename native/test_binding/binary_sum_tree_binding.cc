// Test addon: BinarySumTreeBaseline, a plain binary sum tree (native/replay/binary_sum_tree.h)
// kept only as bench/per.ts's C++ baseline for PriorityTree. Every method is [sync].
#include <napi.h>

#include <cstdint>
#include <memory>

#include "binding/module_registry.h"
#include "binding/napi_util.h"
#include "binding/tree_args.h"
#include "common/rng.h"
#include "replay/binary_sum_tree.h"

namespace mario_rl {
namespace {

class BinarySumTreeWrap : public Napi::ObjectWrap<BinarySumTreeWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "BinarySumTreeBaseline",
        {InstanceMethod("set", &BinarySumTreeWrap::SetPriorities), InstanceMethod("sample", &BinarySumTreeWrap::Sample),
         InstanceMethod("total", &BinarySumTreeWrap::Total)});
  }

  explicit BinarySumTreeWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BinarySumTreeWrap>(info) {
    capacity_ = ExpectInteger(info, 0, 1, int64_t{1} << 30, "capacity");
    Guard(info.Env(), [&] {
      tree_ = std::make_unique<BinarySumTree>(capacity_);
      return 0;
    });
  }

 private:
  // set(indices: Int32Array, priorities: Float64Array)
  Napi::Value SetPriorities(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto indices = ExpectTypedArray(info, 0, napi_int32_array, "Int32Array", "indices").As<Napi::Int32Array>();
    auto p = ExpectTypedArray(info, 1, napi_float64_array, "Float64Array", "priorities").As<Napi::Float64Array>();
    ExpectLength(env, p, indices.ElementLength(), "priorities");
    ExpectIndicesAndPriorities(env, indices, p, capacity_);
    tree_->Set(indices.Data(), p.Data(), indices.ElementLength());
    return env.Undefined();
  }

  // sample(out: Int32Array, seed: number)
  Napi::Value Sample(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto out = ExpectTypedArray(info, 0, napi_int32_array, "Int32Array", "out").As<Napi::Int32Array>();
    MaybeReseed(info, 1, rng_);
    if (!(tree_->total() > 0.0)) throw Napi::Error::New(env, "Cannot sample from a tree whose total priority is 0");
    tree_->Sample(out.ElementLength(), rng_, out.Data());
    return env.Undefined();
  }

  Napi::Value Total(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), tree_->total()); }

  int64_t capacity_ = 0;
  std::unique_ptr<BinarySumTree> tree_;
  Rng rng_;
};

void InitBinarySumTree(Napi::Env env, Napi::Object exports) {
  exports.Set("BinarySumTreeBaseline", BinarySumTreeWrap::Define(env));
}

}  // namespace
}  // namespace mario_rl

MARIO_RL_REGISTER_MODULE(binary_sum_tree, mario_rl::InitBinarySumTree);
