// N-API wrappers for the replay trees: PriorityTree (the one the library uses), CudaPriorityTree
// (its GPU mirror) and cudaInfo(). Every method is [sync] and short (microseconds per batch), so
// none needs a worker thread. (bench/per.ts's plain binary tree lives in the test addon,
// native/test_binding/.)
#include <napi.h>

#include <string>
#include <vector>

#include "binding/module_registry.h"
#include "binding/napi_util.h"
#include "binding/tree_args.h"
#include "common/rng.h"
#include "replay/cuda/cuda_priority_tree.h"
#include "replay/priority_tree.h"

namespace mario_rl {
namespace {

// Marks PriorityTree wrappers so CudaPriorityTree can check what it was given before unwrapping.
constexpr napi_type_tag kPriorityTreeTag = {0x6d6172696f726c31ULL, 0x7072696f74726565ULL};

class PriorityTreeWrap : public Napi::ObjectWrap<PriorityTreeWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "PriorityTree",
        {InstanceMethod("set", &PriorityTreeWrap::SetPriorities), InstanceMethod("get", &PriorityTreeWrap::Get),
         InstanceMethod("getMany", &PriorityTreeWrap::GetMany), InstanceMethod("sample", &PriorityTreeWrap::Sample),
         InstanceMethod("sampleWithUniforms", &PriorityTreeWrap::SampleWithUniforms),
         InstanceMethod("total", &PriorityTreeWrap::Total), InstanceMethod("min", &PriorityTreeWrap::Min),
         InstanceMethod("filled", &PriorityTreeWrap::Filled), InstanceMethod("capacity", &PriorityTreeWrap::Capacity),
         InstanceMethod("memoryBytes", &PriorityTreeWrap::MemoryBytes)});
  }

  explicit PriorityTreeWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PriorityTreeWrap>(info) {
    const int64_t capacity = ExpectInteger(info, 0, 1, PriorityTree::kMaxCapacity, "capacity");
    Guard(info.Env(), [&] {
      tree_ = std::make_unique<PriorityTree>(capacity);
      return 0;
    });
    napi_type_tag_object(info.Env(), info.This(), &kPriorityTreeTag);
  }

  // The wrapped tree of value, or TypeError naming `name` if value is not a PriorityTree.
  static PriorityTreeWrap* FromValue(Napi::Env env, Napi::Value value, const char* name) {
    bool tagged = false;
    if (value.IsObject()) napi_check_object_type_tag(env, value, &kPriorityTreeTag, &tagged);
    if (!tagged) throw Napi::TypeError::New(env, ExpectedMessage("a native PriorityTree", name, DescribeValue(value)));
    return Unwrap(value.As<Napi::Object>());
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
      throw Napi::TypeError::New(env,
                                 ExpectedMessage("a Float32Array or Float64Array", "priorities", DescribeValue(p)));
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

class CudaPriorityTreeWrap : public Napi::ObjectWrap<CudaPriorityTreeWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "CudaPriorityTree",
        {InstanceMethod("set", &CudaPriorityTreeWrap::SetPriorities),
         InstanceMethod("sample", &CudaPriorityTreeWrap::Sample),
         InstanceMethod("sampleWithUniforms", &CudaPriorityTreeWrap::SampleWithUniforms),
         InstanceMethod("total", &CudaPriorityTreeWrap::Total), InstanceMethod("min", &CudaPriorityTreeWrap::Min),
         InstanceMethod("memoryBytes", &CudaPriorityTreeWrap::MemoryBytes),
         InstanceMethod("dispose", &CudaPriorityTreeWrap::Dispose)});
  }

  // new CudaPriorityTree(cpuTree: PriorityTree): mirrors cpuTree on device 0.
  explicit CudaPriorityTreeWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CudaPriorityTreeWrap>(info) {
    PriorityTreeWrap* cpu = PriorityTreeWrap::FromValue(info.Env(), info[0], "tree");
    cpu_ = &cpu->tree();
    cpu_ref_ = Napi::Persistent(info[0].As<Napi::Object>());
    Guard(info.Env(), [&] {
      gpu_ = std::make_unique<CudaPriorityTree>(*cpu_);
      return 0;
    });
  }

 private:
  CudaPriorityTree& gpu(Napi::Env env) {
    if (!gpu_) throw Napi::Error::New(env, "CudaPriorityTree was disposed");
    return *gpu_;
  }

  // set(indices: Int32Array, priorities: Float64Array): the batch the CPU tree already took.
  Napi::Value SetPriorities(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto indices = ExpectTypedArray(info, 0, napi_int32_array, "Int32Array", "indices").As<Napi::Int32Array>();
    auto p = ExpectTypedArray(info, 1, napi_float64_array, "Float64Array", "priorities").As<Napi::Float64Array>();
    ExpectLength(env, p, indices.ElementLength(), "priorities");
    ExpectIndicesAndPriorities(env, indices, p, cpu_->capacity());
    CudaPriorityTree& g = gpu(env);
    Guard(env, [&] {
      g.Set(indices.Data(), p.Data(), indices.ElementLength());
      return 0;
    });
    return env.Undefined();
  }

  // Draws with the uniforms in uniforms_ (use_key false) or CounterUniform(key, i) (use_key true).
  void Draw(Napi::Env env, Napi::Int32Array& out_idx, Napi::Float32Array& out_w, double beta, bool use_key,
            uint64_t key) {
    if (!(cpu_->total() > 0.0))
      throw Napi::Error::New(env, "Cannot sample from a PriorityTree whose total priority is 0");
    CudaPriorityTree& g = gpu(env);
    Guard(env, [&] {
      if (use_key) {
        g.SampleWithKey(key, out_idx.ElementLength(), beta, cpu_->filled(), out_idx.Data(), out_w.Data());
      } else {
        g.SampleWithUniforms(uniforms_.data(), out_idx.ElementLength(), beta, cpu_->filled(), out_idx.Data(),
                             out_w.Data());
      }
      return 0;
    });
  }

  // sample(outIndices: Int32Array, outWeights: Float32Array, beta: number, seed: number)
  // Uniforms come from the same seeded stream as PriorityTree.sample, so the draws are equal.
  Napi::Value Sample(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto out_idx = ExpectTypedArray(info, 0, napi_int32_array, "Int32Array", "outIndices").As<Napi::Int32Array>();
    auto out_w = ExpectTypedArray(info, 1, napi_float32_array, "Float32Array", "outWeights").As<Napi::Float32Array>();
    ExpectLength(env, out_w, out_idx.ElementLength(), "outWeights");
    const double beta = ExpectBeta(info, 2);
    MaybeReseed(info, 3, rng_);
    if (!(cpu_->total() > 0.0))
      throw Napi::Error::New(env, "Cannot sample from a PriorityTree whose total priority is 0");
    // One key per call from the same stream as PriorityTree.sample: the kernel derives the uniforms.
    Draw(env, out_idx, out_w, beta, true, rng_.NextU64());
    return env.Undefined();
  }

  // sampleWithUniforms(uniforms: Float64Array, beta: number, outIndices: Int32Array, outWeights: Float32Array)
  Napi::Value SampleWithUniforms(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto u = ExpectTypedArray(info, 0, napi_float64_array, "Float64Array", "uniforms").As<Napi::Float64Array>();
    const double beta = ExpectBeta(info, 1);
    auto out_idx = ExpectTypedArray(info, 2, napi_int32_array, "Int32Array", "outIndices").As<Napi::Int32Array>();
    auto out_w = ExpectTypedArray(info, 3, napi_float32_array, "Float32Array", "outWeights").As<Napi::Float32Array>();
    ExpectLength(env, out_idx, u.ElementLength(), "outIndices");
    ExpectLength(env, out_w, u.ElementLength(), "outWeights");
    uniforms_.resize(u.ElementLength());
    for (size_t i = 0; i < u.ElementLength(); ++i) {
      if (!(u[i] >= 0.0 && u[i] < 1.0)) {
        throw Napi::RangeError::New(env, ExpectedMessage("a number in [0, 1)", "uniforms[" + std::to_string(i) + "]",
                                                         DescribeValue(Napi::Number::New(env, u[i]))));
      }
      uniforms_[i] = u[i];
    }
    Draw(env, out_idx, out_w, beta, false, 0);
    return env.Undefined();
  }

  static double ExpectBeta(const Napi::CallbackInfo& info, size_t index) {
    Napi::Value v = info[index];
    if (!v.IsNumber())
      throw Napi::TypeError::New(info.Env(), ExpectedMessage("a number in [0, 1]", "beta", DescribeValue(v)));
    const double beta = v.As<Napi::Number>().DoubleValue();
    if (!(beta >= 0.0 && beta <= 1.0)) {
      throw Napi::RangeError::New(info.Env(), ExpectedMessage("a number in [0, 1]", "beta", DescribeValue(v)));
    }
    return beta;
  }

  Napi::Value Total(const Napi::CallbackInfo& info) {
    CudaPriorityTree& g = gpu(info.Env());
    return Napi::Number::New(info.Env(), Guard(info.Env(), [&] { return g.Total(); }));
  }
  Napi::Value Min(const Napi::CallbackInfo& info) {
    CudaPriorityTree& g = gpu(info.Env());
    return Napi::Number::New(info.Env(), Guard(info.Env(), [&] { return g.Min(); }));
  }
  Napi::Value MemoryBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), gpu_ ? static_cast<double>(gpu_->memory_bytes()) : 0.0);
  }
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    gpu_.reset();
    return info.Env().Undefined();
  }

  const PriorityTree* cpu_ = nullptr;
  Napi::ObjectReference cpu_ref_;  // keeps the CPU tree alive as long as its mirror
  std::unique_ptr<CudaPriorityTree> gpu_;
  std::vector<double> uniforms_;
  Rng rng_;
};

// [sync] cudaInfo(): { compiled, available, devices, deviceName, reason }. Never throws.
Napi::Value CudaInfo(const Napi::CallbackInfo& info) {
  const CudaStatus status = QueryCuda();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("compiled", status.compiled);
  out.Set("available", status.available);
  out.Set("devices", status.devices);
  out.Set("deviceName", status.device_name);
  out.Set("reason", status.reason);
  return out;
}

void InitPriorityTree(Napi::Env env, Napi::Object exports) {
  exports.Set("PriorityTree", PriorityTreeWrap::Define(env));
  exports.Set("CudaPriorityTree", CudaPriorityTreeWrap::Define(env));
  exports.Set("cudaInfo", Napi::Function::New(env, CudaInfo, "cudaInfo"));
}

}  // namespace
}  // namespace mario_rl

MARIO_RL_REGISTER_MODULE(priority_tree, mario_rl::InitPriorityTree);
