// N-API wrapper of env::VecEnv (native/env/vec_env.h). TS (src/env/vec-env.ts) validates every
// argument; this layer re-checks types and sizes and turns core errors into JS errors. Test
// hooks live in env_test_hooks_binding.cc.
//
//   new VecEnv(config, rom)          [sync] boots the start points; throws TypeError/RangeError/Error
//   bind(buffers)                    [sync] binds the caller-owned output arrays (once)
//   reset(seed | undefined)          [sync] resets every lane; throws if a step is in flight
//   step(actions)                    [sync] steps every lane; throws if a step is in flight or
//                                    before the first reset
//   stepAsync(actions)               [async] Promise<void> resolved from the worker threads; throws
//                                    synchronously like step
//   setRewardShaping(dS, dE, sS, sE, steps), rewardWeights()                 [sync]
//   saveState(lane), setStartStates(states, mode, share), clearStartStates()  [sync]
//   setStageWeights(weights), stageWeights(), startStats()                     [sync]
//   close()                          [sync] joins the threads; throws if a step is in flight
//   envGameNames()                   [sync] the registered game adapters
#include <napi.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "binding/env_options.h"
#include "binding/module_registry.h"
#include "binding/napi_util.h"
#include "env/game_registry.h"
#include "env/vec_env.h"

namespace mario_rl {
namespace {

class VecEnvWrap;
void OnStepDone(Napi::Env env, Napi::Function, VecEnvWrap* self, void*);
using StepTsfn = Napi::TypedThreadSafeFunction<VecEnvWrap, void, OnStepDone>;

class VecEnvWrap : public Napi::ObjectWrap<VecEnvWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "VecEnv",
                       {
                           InstanceMethod<&VecEnvWrap::Bind>("bind"),
                           InstanceMethod<&VecEnvWrap::Reset>("reset"),
                           InstanceMethod<&VecEnvWrap::Step>("step"),
                           InstanceMethod<&VecEnvWrap::StepAsync>("stepAsync"),
                           InstanceMethod<&VecEnvWrap::SetRewardShaping>("setRewardShaping"),
                           InstanceMethod<&VecEnvWrap::RewardWeightsJs>("rewardWeights"),
                           InstanceMethod<&VecEnvWrap::SaveState>("saveState"),
                           InstanceMethod<&VecEnvWrap::SetStartStates>("setStartStates"),
                           InstanceMethod<&VecEnvWrap::ClearStartStates>("clearStartStates"),
                           InstanceMethod<&VecEnvWrap::SetStageWeights>("setStageWeights"),
                           InstanceMethod<&VecEnvWrap::StageWeightsJs>("stageWeights"),
                           InstanceMethod<&VecEnvWrap::StartStatsJs>("startStats"),
                           InstanceMethod<&VecEnvWrap::Close>("close"),
                           InstanceAccessor<&VecEnvWrap::Describe>("description"),
                       });
  }

  explicit VecEnvWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VecEnvWrap>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject())
      throw Napi::TypeError::New(env, ExpectedMessage("a config object", "config", DescribeValue(info[0])));
    Napi::Object c = info[0].As<Napi::Object>();
    Napi::Uint8Array rom = ExpectUint8Array(info, 1, "rom");
    env::VecEnvConfig config;
    config.game = GetString(c, "game");
    config.game_options.actions = GetString(c, "actions");
    config.game_options.reward = GetString(c, "reward");
    Napi::Value stages = c.Get("stages");
    if (!stages.IsArray())
      throw Napi::TypeError::New(env, ExpectedMessage("an array of strings", "stages", DescribeValue(stages)));
    Napi::Array arr = stages.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      Napi::Value s = arr.Get(i);
      if (!s.IsString())
        throw Napi::TypeError::New(env,
                                   ExpectedMessage("a string", "stages[" + std::to_string(i) + "]", DescribeValue(s)));
      config.game_options.stages.push_back(s.As<Napi::String>().Utf8Value());
    }
    config.num_envs = GetInt(c, "numEnvs");
    config.num_threads = GetInt(c, "numThreads");
    config.frame_skip = GetInt(c, "frameSkip");
    config.max_pool = GetBool(c, "maxPool");
    config.sticky_prob = GetNumber(c, "stickyActionProb");
    config.noop_max = GetInt(c, "noopMax");
    config.max_episode_steps = GetInt(c, "maxEpisodeSteps");
    config.max_stall_steps = GetInt(c, "maxStallSteps");
    config.stall_terminal = GetBool(c, "stallTerminal");
    config.stall_reward = static_cast<float>(GetNumber(c, "stallReward"));
    const std::string obs_kind = GetString(c, "obsKind");
    if (obs_kind == "pixels") config.obs_kind = env::ObsKind::kPixels;
    else if (obs_kind == "ram") config.obs_kind = env::ObsKind::kRam;
    else if (obs_kind == "tiles") config.obs_kind = env::ObsKind::kTiles;
    else
      throw Napi::RangeError::New(env,
                                  ExpectedMessage("one of 'pixels', 'ram', 'tiles'", "obsKind", "'" + obs_kind + "'"));
    config.obs = ReadObsSpec(c);
    config.tiles.rows = GetInt(c, "tileRows");
    config.tiles.cols = GetInt(c, "tileCols");
    config.tiles.stack = config.obs.stack;
    config.seed = SeedFrom(env, c.Get("seed"));
    config.fast_paths = GetBool(c, "fastPaths");
    Guard(env, [&] {
      env_ = std::make_unique<env::VecEnv>(config, rom.Data(), rom.ByteLength());
      return 0;
    });
    tsfn_ = StepTsfn::New(env, "mario-rl VecEnv.stepAsync", 0, 1, this);
    tsfn_.Unref(env);
    has_tsfn_ = true;
  }

  ~VecEnvWrap() override {
    // Never destroyed mid-step: stepAsync holds a reference to this object until it settles.
    env_.reset();
    if (has_tsfn_) tsfn_.Release();
  }

  void Settle(Napi::Env env) {
    in_flight_ = false;
    tsfn_.Unref(env);
    const std::string error = env_->TakeError();
    if (error.empty()) {
      deferred_->Resolve(env.Undefined());
    } else {
      deferred_->Reject(Napi::Error::New(env, error).Value());
    }
    deferred_.reset();
    Unref();
  }

 private:
  env::VecEnv& Live(Napi::Env env) {
    if (!env_) throw Napi::Error::New(env, "VecEnv is closed");
    return *env_;
  }
  void RequireIdle(Napi::Env env, const char* what) {
    if (in_flight_) {
      throw Napi::Error::New(
          env, std::string("VecEnv.") + what + "() called while a stepAsync() is in flight; await it first");
    }
  }

  Napi::Value Describe(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    env::VecEnv& e = Live(env);
    Napi::Object o = Napi::Object::New(env);
    o.Set("numEnvs", e.NumEnvs());
    o.Set("numActions", e.NumActions());
    o.Set("obsBytes", static_cast<double>(e.ObsBytes()));
    o.Set("stateSize", static_cast<double>(e.StateSize()));
    auto names = [&](const std::vector<std::string>& list) {
      Napi::Array a = Napi::Array::New(env, list.size());
      for (size_t i = 0; i < list.size(); ++i) a.Set(static_cast<uint32_t>(i), list[i]);
      return a;
    };
    o.Set("infoFields", names(e.game().InfoFields()));
    o.Set("rewardComponents", names(e.game().RewardComponents()));
    Napi::Array buttons = Napi::Array::New(env, static_cast<size_t>(e.NumActions()));
    for (int a = 0; a < e.NumActions(); ++a) buttons.Set(static_cast<uint32_t>(a), e.game().ActionButtons(a));
    o.Set("actionButtons", buttons);
    return o;
  }

  template <typename T>
  T* Field(Napi::Object o, const char* key, napi_typedarray_type type, const char* type_name, size_t length) {
    Napi::Value v = o.Get(key);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
      throw Napi::TypeError::New(o.Env(), ExpectedMessage(std::string("a ") + type_name, key, DescribeValue(v)));
    }
    Napi::TypedArray a = v.As<Napi::TypedArray>();
    ExpectLength(o.Env(), a, length, key);
    kept_.push_back(Napi::Persistent(a.As<Napi::Object>()));
    return reinterpret_cast<T*>(static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset());
  }

  Napi::Value Bind(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    env::VecEnv& e = Live(env);
    RequireIdle(env, "bind");
    if (!info[0].IsObject())
      throw Napi::TypeError::New(env, ExpectedMessage("a buffers object", "buffers", DescribeValue(info[0])));
    Napi::Object o = info[0].As<Napi::Object>();
    const size_t n = static_cast<size_t>(e.NumEnvs());
    const size_t f = e.game().InfoFields().size();
    const size_t c = e.game().RewardComponents().size();
    kept_.clear();
    env::StepBuffers b;
    b.obs = Field<uint8_t>(o, "obs", napi_uint8_array, "Uint8Array", n * e.ObsBytes());
    b.reward = Field<float>(o, "reward", napi_float32_array, "Float32Array", n);
    b.terminated = Field<uint8_t>(o, "terminated", napi_uint8_array, "Uint8Array", n);
    b.truncated = Field<uint8_t>(o, "truncated", napi_uint8_array, "Uint8Array", n);
    b.info = Field<int32_t>(o, "info", napi_int32_array, "Int32Array", f * n);
    b.components = Field<float>(o, "components", napi_float32_array, "Float32Array", c * n);
    b.final_obs = Field<uint8_t>(o, "finalObs", napi_uint8_array, "Uint8Array", n * e.ObsBytes());
    b.final_info = Field<int32_t>(o, "finalInfo", napi_int32_array, "Int32Array", f * n);
    b.episode_return = Field<float>(o, "episodeReturn", napi_float32_array, "Float32Array", n);
    b.episode_length = Field<int32_t>(o, "episodeLength", napi_int32_array, "Int32Array", n);
    b.episode_max_x = Field<int32_t>(o, "episodeMaxX", napi_int32_array, "Int32Array", n);
    b.episode_goal = Field<uint8_t>(o, "episodeFlag", napi_uint8_array, "Uint8Array", n);
    b.episode_start_state = Field<uint8_t>(o, "episodeStartState", napi_uint8_array, "Uint8Array", n);
    e.Bind(b);
    return env.Undefined();
  }

  Napi::Value Reset(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    env::VecEnv& e = Live(env);
    RequireIdle(env, "reset");
    const bool reseed = !info[0].IsUndefined();
    const uint64_t seed = reseed ? SeedFrom(env, info[0]) : 0;
    Guard(env, [&] {
      e.Reset(reseed, seed);
      return 0;
    });
    return env.Undefined();
  }

  void TakeActions(const Napi::CallbackInfo& info, env::VecEnv& e) {
    Napi::TypedArray a = ExpectTypedArray(info, 0, napi_int32_array, "Int32Array", "actions");
    const auto* data =
        reinterpret_cast<const int32_t*>(static_cast<const uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset());
    Guard(info.Env(), [&] {
      e.SetActions(data, a.ElementLength());
      return 0;
    });
  }

  Napi::Value Step(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    env::VecEnv& e = Live(env);
    RequireIdle(env, "step");
    TakeActions(info, e);
    Guard(env, [&] {
      e.Step();
      return 0;
    });
    return env.Undefined();
  }

  Napi::Value StepAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    env::VecEnv& e = Live(env);
    RequireIdle(env, "stepAsync");
    TakeActions(info, e);  // copied: the caller may reuse its array at once
    deferred_.emplace(env);
    Napi::Promise promise = deferred_->Promise();
    in_flight_ = true;
    Ref();           // keep this object alive until the step settles
    tsfn_.Ref(env);  // and the event loop, so the Promise can settle
    try {
      e.StepAsync(
          [](void* ctx) {
            auto* self = static_cast<VecEnvWrap*>(ctx);
            self->tsfn_.NonBlockingCall();
          },
          this);
    } catch (const std::exception& ex) {
      in_flight_ = false;
      tsfn_.Unref(env);
      Unref();
      deferred_.reset();
      ThrowJs(env, ex);
    }
    return promise;
  }

  Napi::Value SetRewardShaping(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    env::VecEnv& e = Live(env);
    RequireIdle(env, "setRewardShaping");
    env::RewardShaping s;
    auto num = [&](size_t i, const char* name) {
      if (!info[i].IsNumber())
        throw Napi::TypeError::New(env, ExpectedMessage("a finite number", name, DescribeValue(info[i])));
      const double d = info[i].As<Napi::Number>().DoubleValue();
      if (!std::isfinite(d))
        throw Napi::RangeError::New(env, ExpectedMessage("a finite number", name, DescribeValue(info[i])));
      return d;
    };
    s.start.distance = static_cast<float>(num(0, "distanceWeight"));
    s.end.distance = static_cast<float>(num(1, "distanceWeightEnd"));
    s.start.score = static_cast<float>(num(2, "scoreWeight"));
    s.end.score = static_cast<float>(num(3, "scoreWeightEnd"));
    s.anneal_steps = static_cast<int64_t>(ExpectInteger(info, 4, 0, int64_t{1} << 50, "annealSteps"));
    e.SetRewardShaping(s);
    return env.Undefined();
  }

  Napi::Value RewardWeightsJs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const env::RewardWeights w = Live(env).CurrentWeights();
    Napi::Object o = Napi::Object::New(env);
    o.Set("distanceWeight", w.distance);
    o.Set("scoreWeight", w.score);
    return o;
  }

  Napi::Value SaveState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    env::VecEnv& e = Live(env);
    RequireIdle(env, "saveStates");
    const int lane = static_cast<int>(ExpectInteger(info, 0, 0, e.NumEnvs() - 1, "lane"));
    Napi::Uint8Array out = Napi::Uint8Array::New(env, e.StateSize());
    Guard(env, [&] {
      e.SaveState(lane, out.Data());
      return 0;
    });
    return out;
  }

  Napi::Value SetStartStates(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    env::VecEnv& e = Live(env);
    RequireIdle(env, "setStartStates");
    if (!info[0].IsArray())
      throw Napi::TypeError::New(env, ExpectedMessage("an array of Uint8Array", "states", DescribeValue(info[0])));
    Napi::Array arr = info[0].As<Napi::Array>();
    std::vector<std::vector<uint8_t>> states;
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      Napi::Value v = arr.Get(i);
      if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
        throw Napi::TypeError::New(
            env, ExpectedMessage("a Uint8Array", "states[" + std::to_string(i) + "]", DescribeValue(v)));
      }
      Napi::Uint8Array s = v.As<Napi::Uint8Array>();
      states.emplace_back(s.Data(), s.Data() + s.ByteLength());
    }
    const std::string mode = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
    env::StartMode m;
    if (mode == "fixed") m = env::StartMode::kFixed;
    else if (mode == "sample") m = env::StartMode::kSample;
    else if (mode == "cycle") m = env::StartMode::kCycle;
    else
      throw Napi::RangeError::New(env,
                                  ExpectedMessage("one of 'fixed', 'sample', 'cycle'", "mode", DescribeValue(info[1])));
    if (!info[2].IsNumber())
      throw Napi::TypeError::New(env, ExpectedMessage("a number in [0, 1]", "share", DescribeValue(info[2])));
    const double share = info[2].As<Napi::Number>().DoubleValue();
    Guard(env, [&] {
      e.SetStartStates(states, m, share);  // the core range-checks share
      return 0;
    });
    return env.Undefined();
  }

  Napi::Value ClearStartStates(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    env::VecEnv& e = Live(env);
    RequireIdle(env, "clearStartStates");
    e.ClearStartStates();
    return env.Undefined();
  }

  Napi::Value SetStageWeights(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    env::VecEnv& e = Live(env);
    RequireIdle(env, "setStageWeights");
    if (!info[0].IsArray())
      throw Napi::TypeError::New(env, ExpectedMessage("an array of numbers", "weights", DescribeValue(info[0])));
    Napi::Array arr = info[0].As<Napi::Array>();
    std::vector<double> weights;
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      Napi::Value v = arr.Get(i);
      if (!v.IsNumber())
        throw Napi::TypeError::New(env,
                                   ExpectedMessage("a number", "weights[" + std::to_string(i) + "]", DescribeValue(v)));
      weights.push_back(v.As<Napi::Number>().DoubleValue());
    }
    Guard(env, [&] {
      e.SetStageWeights(weights);  // the core checks length and values
      return 0;
    });
    return env.Undefined();
  }

  Napi::Value StageWeightsJs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const std::vector<double>& weights = Live(env).StageWeights();
    Napi::Array out = Napi::Array::New(env, weights.size());
    for (size_t i = 0; i < weights.size(); ++i) out.Set(static_cast<uint32_t>(i), weights[i]);
    return out;
  }

  Napi::Value StartStatsJs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    env::VecEnv& e = Live(env);
    RequireIdle(env, "startStats");  // the lanes write the counters while a step runs
    const env::StartStats stats = e.TakeStartStats();
    Napi::Object o = Napi::Object::New(env);
    o.Set("resets", static_cast<double>(stats.resets));
    o.Set("fromStartStates", static_cast<double>(stats.from_start_states));
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!env_) return env.Undefined();
    RequireIdle(env, "close");
    env_.reset();
    kept_.clear();
    if (has_tsfn_) {
      tsfn_.Release();
      has_tsfn_ = false;
    }
    return env.Undefined();
  }

  std::unique_ptr<env::VecEnv> env_;
  std::vector<Napi::ObjectReference> kept_;  // bound output arrays, kept alive
  StepTsfn tsfn_;
  bool has_tsfn_ = false;
  bool in_flight_ = false;
  std::optional<Napi::Promise::Deferred> deferred_;  // no heap allocation per stepAsync
};

void OnStepDone(Napi::Env env, Napi::Function, VecEnvWrap* self, void*) {
  if (env != nullptr && self != nullptr) self->Settle(env);
}

// [sync] envGameNames(): the registered game adapters.
Napi::Value GameNamesJs(const Napi::CallbackInfo& info) {
  const auto names = env::GameNames();
  Napi::Array out = Napi::Array::New(info.Env(), names.size());
  for (size_t i = 0; i < names.size(); ++i) out.Set(static_cast<uint32_t>(i), names[i]);
  return out;
}

void InitVecEnv(Napi::Env env, Napi::Object exports) {
  exports.Set("envGameNames", Napi::Function::New(env, GameNamesJs, "envGameNames"));
  exports.Set("VecEnv", VecEnvWrap::Define(env));
}

}  // namespace
}  // namespace mario_rl

MARIO_RL_REGISTER_MODULE(vec_env, mario_rl::InitVecEnv);
