// N-API wrappers for the replay trees: PriorityTree (the one the library uses) and
// BinarySumTreeBaseline (a plain binary tree kept only as bench/per.ts's C++ baseline).
// Every method is [sync] and short (microseconds per batch), so none needs a worker thread.
#include <napi.h>

#include <cmath>
#include <string>

#include "binding/module_registry.h"
#include "binding/napi_util.h"
#include "common/rng.h"
#include "replay/binary_sum_tree.h"
#include "replay/priority_tree.h"

namespace mario_rl {
namespace {

constexpr int64_t kMaxSeed = (int64_t{1} << 53) - 1;

// Reseeds rng when the seed argument is a number >= 0; -1 keeps the current stream.
void MaybeReseed(const Napi::CallbackInfo& info, size_t index, Rng& rng) {
  const int64_t seed = ExpectInteger(info, index, -1, kMaxSeed, "seed");
  if (seed >= 0) rng.Seed(static_cast<uint64_t>(seed));
}

void ExpectIndexInRange(Napi::Env env, int64_t index, int64_t capacity, size_t position) {
  if (index < 0 || index >= capacity) {
    throw Napi::RangeError::New(env, ExpectedMessage("an integer in [0, " + std::to_string(capacity - 1) + "]",
                                                     "indices[" + std::to_string(position) + "]",
                                                     std::to_string(index)));
  }
}

class PriorityTreeWrap : public Napi::ObjectWrap<PriorityTreeWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "PriorityTree",
                       {InstanceMethod("set", &PriorityTreeWrap::SetPriorities),
                        InstanceMethod("get", &PriorityTreeWrap::Get),
                        InstanceMethod("getMany", &PriorityTreeWrap::GetMany),
                        InstanceMethod("sample", &PriorityTreeWrap::Sample),
                        InstanceMethod("sampleWithUniforms", &PriorityTreeWrap::SampleWithUniforms),
                        InstanceMethod("total", &PriorityTreeWrap::Total),
                        InstanceMethod("min", &PriorityTreeWrap::Min),
                        InstanceMethod("filled", &PriorityTreeWrap::Filled),
                        InstanceMethod("capacity", &PriorityTreeWrap::Capacity),
                        InstanceMethod("memoryBytes", &PriorityTreeWrap::MemoryBytes)});
  }

  explicit PriorityTreeWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PriorityTreeWrap>(info) {
    const int64_t capacity = ExpectInteger(info, 0, 1, PriorityTree::kMaxCapacity, "capacity");
    Guard(info.Env(), [&] {
      tree_ = std::make_unique<PriorityTree>(capacity);
      return 0;
    });
  }

  PriorityTree& tree() { return *tree_; }
  Rng& rng() { return rng_; }

 private:
  // set(indices: Int32Array, priorities: Float32Array | Float64Array)
  Napi::Value SetPriorities(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto indices = ExpectTypedArray(info, 0, napi_int32_array, "Int32Array", "indices").As<Napi::Int32Array>();
    Napi::Value p = info[1];
    const bool is_f32 = p.IsTypedArray() && p.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array;
    const bool is_f64 = p.IsTypedArray() && p.As<Napi::TypedArray>().TypedArrayType() == napi_float64_array;
    if (!is_f32 && !is_f64) {
      throw Napi::TypeError::New(env, ExpectedMessage("a Float32Array or Float64Array", "priorities", DescribeValue(p)));
    }
    ExpectLength(env, p.As<Napi::TypedArray>(), indices.ElementLength(), "priorities");
    Guard(env, [&] {
      if (is_f32) {
        tree_->Set(indices.Data(), p.As<Napi::Float32Array>().Data(), indices.ElementLength());
      } else {
        tree_->Set(indices.Data(), p.As<Napi::Float64Array>().Data(), indices.ElementLength());
      }
      return 0;
    });
    return env.Undefined();
  }

  Napi::Value Get(const Napi::CallbackInfo& info) {
    const int64_t index = ExpectInteger(info, 0, 0, tree_->capacity() - 1, "index");
    return Napi::Number::New(info.Env(), tree_->Get(index));
  }

  // getMany(indices: Int32Array, out: Float64Array)
  Napi::Value GetMany(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto indices = ExpectTypedArray(info, 0, napi_int32_array, "Int32Array", "indices").As<Napi::Int32Array>();
    auto out = ExpectTypedArray(info, 1, napi_float64_array, "Float64Array", "out").As<Napi::Float64Array>();
    ExpectLength(env, out, indices.ElementLength(), "out");
    Guard(env, [&] {
      tree_->GetMany(indices.Data(), indices.ElementLength(), out.Data());
      return 0;
    });
    return env.Undefined();
  }

  // sample(out: Int32Array, seed: number) — seed -1 continues the tree's stream.
  Napi::Value Sample(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto out = ExpectTypedArray(info, 0, napi_int32_array, "Int32Array", "out").As<Napi::Int32Array>();
    MaybeReseed(info, 1, rng_);
    Guard(env, [&] {
      tree_->Sample(out.ElementLength(), rng_, out.Data());
      return 0;
    });
    return env.Undefined();
  }

  // sampleWithUniforms(uniforms: Float64Array, out: Int32Array)
  Napi::Value SampleWithUniforms(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto u = ExpectTypedArray(info, 0, napi_float64_array, "Float64Array", "uniforms").As<Napi::Float64Array>();
    auto out = ExpectTypedArray(info, 1, napi_int32_array, "Int32Array", "out").As<Napi::Int32Array>();
    ExpectLength(env, out, u.ElementLength(), "out");
    for (size_t i = 0; i < u.ElementLength(); ++i) {
      if (!(u[i] >= 0.0 && u[i] < 1.0)) {
        throw Napi::RangeError::New(env, ExpectedMessage("a number in [0, 1)", "uniforms[" + std::to_string(i) + "]",
                                                         DescribeValue(Napi::Number::New(env, u[i]))));
      }
    }
    Guard(env, [&] {
      tree_->SampleWithUniforms(u.Data(), u.ElementLength(), out.Data());
      return 0;
    });
    return env.Undefined();
  }

  Napi::Value Total(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), tree_->total()); }
  Napi::Value Min(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), tree_->min()); }
  Napi::Value Filled(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(tree_->filled()));
  }
  Napi::Value Capacity(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(tree_->capacity()));
  }
  Napi::Value MemoryBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(tree_->memory_bytes()));
  }

  std::unique_ptr<PriorityTree> tree_;
  Rng rng_;
};

class BinarySumTreeWrap : public Napi::ObjectWrap<BinarySumTreeWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "BinarySumTreeBaseline",
                       {InstanceMethod("set", &BinarySumTreeWrap::SetPriorities),
                        InstanceMethod("sample", &BinarySumTreeWrap::Sample),
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
    for (size_t i = 0; i < indices.ElementLength(); ++i) {
      ExpectIndexInRange(env, indices[i], capacity_, i);
      if (!(p[i] >= 0.0) || std::isinf(p[i])) {
        throw Napi::RangeError::New(env, ExpectedMessage("a finite priority >= 0", "priorities[" + std::to_string(i) + "]",
                                                         DescribeValue(Napi::Number::New(env, p[i]))));
      }
    }
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

void InitPriorityTree(Napi::Env env, Napi::Object exports) {
  exports.Set("PriorityTree", PriorityTreeWrap::Define(env));
  exports.Set("BinarySumTreeBaseline", BinarySumTreeWrap::Define(env));
}

}  // namespace
}  // namespace mario_rl

MARIO_RL_REGISTER_MODULE(priority_tree, mario_rl::InitPriorityTree);
