// N-API wrapper of env::VecEnv (native/env/vec_env.h) plus test hooks for the preprocessing,
// the SMB1 RAM rules and the thread pool. TS (src/env/vec-env.ts) validates every argument;
// this layer re-checks types and sizes and turns core errors into JS errors.
//
//   new VecEnv(config, rom)          [sync] boots the start points; throws TypeError/RangeError/Error
//   bind(buffers)                    [sync] binds the caller-owned output arrays (once)
//   reset(seed | undefined)          [sync] resets every lane; throws if a step is in flight
//   step(actions)                    [sync] steps every lane; throws if a step is in flight
//   stepAsync(actions)               [async] Promise<void> resolved from the worker threads
//   setRewardShaping(dS, dE, sS, sE, steps), rewardWeights()                 [sync]
//   saveState(lane), setStartStates(states, mode), clearStartStates()         [sync]
//   close()                          [sync] joins the threads; throws if a step is in flight
#include <napi.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <optional>

#include "binding/module_registry.h"
#include "binding/napi_util.h"
#include "common/rng.h"
#include "env/game_registry.h"
#include "env/preprocess.h"
#include "env/smb1.h"
#include "env/thread_pool.h"
#include "env/vec_env.h"
#include "nes/palette.h"

namespace mario_rl {
namespace {

std::string GetString(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), ExpectedMessage("a string", key, DescribeValue(v)));
  return v.As<Napi::String>().Utf8Value();
}

double GetNumber(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), ExpectedMessage("a number", key, DescribeValue(v)));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) throw Napi::RangeError::New(o.Env(), ExpectedMessage("a finite number", key, DescribeValue(v)));
  return d;
}

int GetInt(Napi::Object o, const char* key) {
  const double d = GetNumber(o, key);
  if (d != std::floor(d) || std::fabs(d) > 2147483647.0) {
    throw Napi::RangeError::New(o.Env(), ExpectedMessage("an integer", key, std::to_string(d)));
  }
  return static_cast<int>(d);
}

bool GetBool(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsBoolean()) throw Napi::TypeError::New(o.Env(), ExpectedMessage("a boolean", key, DescribeValue(v)));
  return v.As<Napi::Boolean>().Value();
}

env::ObsSpec ReadObsSpec(Napi::Object o) {
  env::ObsSpec spec;
  spec.width = GetInt(o, "width");
  spec.height = GetInt(o, "height");
  spec.stack = GetInt(o, "stack");
  spec.grayscale = GetBool(o, "grayscale");
  spec.crop_top = GetInt(o, "cropTop");
  spec.crop_bottom = GetInt(o, "cropBottom");
  spec.crop_left = GetInt(o, "cropLeft");
  spec.crop_right = GetInt(o, "cropRight");
  return spec;
}

uint64_t SeedFrom(Napi::Env env, Napi::Value v) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, ExpectedMessage("an integer seed", "seed", DescribeValue(v)));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < 0 || d > 9007199254740991.0) {
    throw Napi::RangeError::New(env, ExpectedMessage("an integer in [0, 2^53-1]", "seed", DescribeValue(v)));
  }
  return static_cast<uint64_t>(d);
}

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
                           InstanceMethod<&VecEnvWrap::Close>("close"),
                           InstanceAccessor<&VecEnvWrap::Describe>("description"),
                       });
  }

  explicit VecEnvWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VecEnvWrap>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, ExpectedMessage("a config object", "config", DescribeValue(info[0])));
    Napi::Object c = info[0].As<Napi::Object>();
    Napi::Uint8Array rom = ExpectUint8Array(info, 1, "rom");
    env::VecEnvConfig config;
    config.game = GetString(c, "game");
    config.game_options.actions = GetString(c, "actions");
    config.game_options.reward = GetString(c, "reward");
    Napi::Value stages = c.Get("stages");
    if (!stages.IsArray()) throw Napi::TypeError::New(env, ExpectedMessage("an array of strings", "stages", DescribeValue(stages)));
    Napi::Array arr = stages.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      Napi::Value s = arr.Get(i);
      if (!s.IsString()) throw Napi::TypeError::New(env, ExpectedMessage("a string", "stages[" + std::to_string(i) + "]", DescribeValue(s)));
      config.game_options.stages.push_back(s.As<Napi::String>().Utf8Value());
    }
    config.num_envs = GetInt(c, "numEnvs");
    config.num_threads = GetInt(c, "numThreads");
    config.frame_skip = GetInt(c, "frameSkip");
    config.max_pool = GetBool(c, "maxPool");
    config.sticky_prob = GetNumber(c, "stickyActionProb");
    config.noop_max = GetInt(c, "noopMax");
    config.max_episode_steps = GetInt(c, "maxEpisodeSteps");
    config.obs_ram = GetBool(c, "obsRam");
    config.obs = ReadObsSpec(c);
    config.seed = SeedFrom(env, c.Get("seed"));
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
      throw Napi::Error::New(env, std::string("VecEnv.") + what + "() called while a stepAsync() is in flight; await it first");
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
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, ExpectedMessage("a buffers object", "buffers", DescribeValue(info[0])));
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
    b.episode_progress = Field<int32_t>(o, "episodeMaxX", napi_int32_array, "Int32Array", n);
    b.episode_goal = Field<uint8_t>(o, "episodeFlag", napi_uint8_array, "Uint8Array", n);
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
    const auto* data = reinterpret_cast<const int32_t*>(static_cast<const uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset());
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
    Ref();             // keep this object alive until the step settles
    tsfn_.Ref(env);    // and the event loop, so the Promise can settle
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
      if (!info[i].IsNumber()) throw Napi::TypeError::New(env, ExpectedMessage("a finite number", name, DescribeValue(info[i])));
      const double d = info[i].As<Napi::Number>().DoubleValue();
      if (!std::isfinite(d)) throw Napi::RangeError::New(env, ExpectedMessage("a finite number", name, DescribeValue(info[i])));
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
    if (!info[0].IsArray()) throw Napi::TypeError::New(env, ExpectedMessage("an array of Uint8Array", "states", DescribeValue(info[0])));
    Napi::Array arr = info[0].As<Napi::Array>();
    std::vector<std::vector<uint8_t>> states;
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      Napi::Value v = arr.Get(i);
      if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
        throw Napi::TypeError::New(env, ExpectedMessage("a Uint8Array", "states[" + std::to_string(i) + "]", DescribeValue(v)));
      }
      Napi::Uint8Array s = v.As<Napi::Uint8Array>();
      states.emplace_back(s.Data(), s.Data() + s.ByteLength());
    }
    const std::string mode = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
    env::StartMode m;
    if (mode == "fixed") m = env::StartMode::kFixed;
    else if (mode == "sample") m = env::StartMode::kSample;
    else if (mode == "cycle") m = env::StartMode::kCycle;
    else throw Napi::RangeError::New(env, ExpectedMessage("one of 'fixed', 'sample', 'cycle'", "mode", DescribeValue(info[1])));
    Guard(env, [&] {
      e.SetStartStates(states, m);
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

// ---- test hooks ---------------------------------------------------------------------------

// [sync] envPaletteRgb(): Uint8Array(192), the core palette the luma LUT is built from.
Napi::Value PaletteRgbJs(const Napi::CallbackInfo& info) {
  Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), 192);
  std::memcpy(out.Data(), nes::PaletteRgb(), 192);
  return out;
}

// [sync] envPreprocessFrames(spec, frames: Uint8Array(T*61440), maxPool: boolean): runs T frames
// (palette indices) through the preprocessor and one frame stack: frame t is pooled with frame
// t-1 when maxPool and t > 0. Returns Uint8Array(T * obsBytes), the observation after each push.
Napi::Value PreprocessFramesJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, ExpectedMessage("an obs spec", "spec", DescribeValue(info[0])));
  const env::ObsSpec spec = ReadObsSpec(info[0].As<Napi::Object>());
  Napi::Uint8Array frames = ExpectUint8Array(info, 1, "frames");
  if (frames.ByteLength() == 0 || frames.ByteLength() % env::kSourcePixels != 0) {
    throw Napi::RangeError::New(env, ExpectedMessage("a whole number of 256x240 frames", "frames", DescribeValue(frames)));
  }
  const bool max_pool = info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
  return Guard(env, [&]() -> Napi::Value {
    env::Preprocessor pre(spec, nes::PaletteRgb());
    env::FrameStack stack(spec.stack, pre.FrameBytes());
    const size_t t_count = frames.ByteLength() / env::kSourcePixels;
    Napi::Uint8Array out = Napi::Uint8Array::New(env, t_count * pre.ObsBytes());
    std::vector<uint8_t> scratch(pre.ScratchBytes());
    for (size_t t = 0; t < t_count; ++t) {
      const uint8_t* frame = frames.Data() + t * env::kSourcePixels;
      const bool pool = max_pool && t > 0;
      pre.Resize(frame, pool ? frame - env::kSourcePixels : nullptr, scratch.data(), stack.NextSlot());
      stack.Commit();
      if (t == 0) stack.FillWithNewest();
      stack.WriteObs(out.Data() + t * pre.ObsBytes());
    }
    return out;
  });
}

// [sync] smb1ReadRam(ram: Uint8Array(2048)): the decoded quantities and predicates.
Napi::Value Smb1ReadRamJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array ram = ExpectUint8Array(info, 0, "ram");
  ExpectLength(env, ram, 2048, "ram");
  const env::smb1::Snapshot s = env::smb1::Read(ram.Data());
  Napi::Object o = Napi::Object::New(env);
  o.Set("xPos", s.x_pos);
  o.Set("yPos", s.y_pos);
  o.Set("world", s.world);
  o.Set("stage", s.stage);
  o.Set("area", s.area);
  o.Set("lives", s.lives);
  o.Set("coins", s.coins);
  o.Set("score", s.score);
  o.Set("time", s.time);
  o.Set("status", s.status);
  o.Set("playerState", s.player_state);
  o.Set("dying", s.dying);
  o.Set("dead", s.dead);
  o.Set("busy", s.busy);
  o.Set("flagGet", s.flag_get);
  o.Set("worldOver", s.world_over);
  return o;
}

// [sync] smb1Rewards(rams: Uint8Array(T*2048), preset, distanceWeight, scoreWeight): starts the
// reward bookkeeping on RAM 0 and returns { reward: Float32Array(T-1), components:
// Float32Array((T-1)*7) } for RAMs 1..T-1.
Napi::Value Smb1RewardsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array rams = ExpectUint8Array(info, 0, "rams");
  if (rams.ByteLength() < 2 * 2048 || rams.ByteLength() % 2048 != 0) {
    throw Napi::RangeError::New(env, ExpectedMessage("at least two 2048-byte RAMs", "rams", DescribeValue(rams)));
  }
  if (!info[1].IsString()) throw Napi::TypeError::New(env, ExpectedMessage("a string", "preset", DescribeValue(info[1])));
  return Guard(env, [&]() -> Napi::Value {
    const auto preset = env::smb1::ParsePreset(info[1].As<Napi::String>().Utf8Value());
    env::RewardWeights w = env::smb1::DefaultWeights(preset);
    if (info[2].IsNumber()) w.distance = info[2].As<Napi::Number>().FloatValue();
    if (info[3].IsNumber()) w.score = info[3].As<Napi::Number>().FloatValue();
    const size_t t_count = rams.ByteLength() / 2048;
    Napi::Float32Array reward = Napi::Float32Array::New(env, t_count - 1);
    Napi::Float32Array comps = Napi::Float32Array::New(env, (t_count - 1) * env::smb1::kNumComponents);
    std::memset(comps.Data(), 0, comps.ByteLength());
    env::smb1::Tracker tracker;
    tracker.Start(env::smb1::Read(rams.Data()));
    for (size_t t = 1; t < t_count; ++t) {
      reward[t - 1] = tracker.Frame(env::smb1::Read(rams.Data() + t * 2048), preset, w,
                                    comps.Data() + (t - 1) * env::smb1::kNumComponents);
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("reward", reward);
    o.Set("components", comps);
    return o;
  });
}

// [sync] envThreadPoolCheck(numThreads, count, rounds): runs `rounds` jobs of `count` indices on
// a fresh pool (alternating Run and Launch+wait) and returns Uint32Array(count) of visit counts
// per index plus, at [count], the number of completions seen. Exercises the pool under load.
Napi::Value ThreadPoolCheckJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int threads = static_cast<int>(ExpectInteger(info, 0, 1, 64, "numThreads"));
  const size_t count = static_cast<size_t>(ExpectInteger(info, 1, 0, 1 << 20, "count"));
  const int rounds = static_cast<int>(ExpectInteger(info, 2, 1, 100000, "rounds"));
  struct Ctx {
    std::vector<std::atomic<uint32_t>> visits;
    std::mutex mutex;
    std::condition_variable cv;
    uint32_t completions = 0;
    explicit Ctx(size_t n) : visits(n) {}
  } ctx(count);
  Napi::Uint32Array out = Napi::Uint32Array::New(env, count + 1);
  Guard(env, [&] {
    env::ThreadPool pool(threads);
    auto task = [](void* c, size_t i) {
      auto* x = static_cast<Ctx*>(c);
      // A little uneven work so workers interleave.
      Rng rng(i);
      volatile uint64_t sink = 0;
      for (uint32_t k = 0; k < (i % 7) * 50; ++k) sink = sink + rng.NextU64();
      x->visits[i].fetch_add(1, std::memory_order_relaxed);
    };
    for (int r = 0; r < rounds; ++r) {
      if (r % 2 == 0) {
        pool.Run(count, task, &ctx);
        std::lock_guard<std::mutex> lock(ctx.mutex);
        ++ctx.completions;
      } else {
        std::unique_lock<std::mutex> lock(ctx.mutex);
        const uint32_t before = ctx.completions;
        lock.unlock();
        pool.Launch(
            count, task, &ctx,
            [](void* c) {
              auto* x = static_cast<Ctx*>(c);
              {
                std::lock_guard<std::mutex> l(x->mutex);
                ++x->completions;
              }
              x->cv.notify_all();
            },
            &ctx);
        lock.lock();
        ctx.cv.wait(lock, [&] { return ctx.completions != before; });
      }
    }
    return 0;
  });
  for (size_t i = 0; i < count; ++i) out[i] = ctx.visits[i].load();
  out[count] = ctx.completions;
  return out;
}

// Test hook: a plain console driven frame by frame from JS, the independent reference the env
// tests compare the pool against. new EnvTestConsole(rom); loadState(u8); stepFrame(buttons);
// ram() -> Uint8Array copy; poke(address, value).
class EnvTestConsole : public Napi::ObjectWrap<EnvTestConsole> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "EnvTestConsole",
                       {InstanceMethod<&EnvTestConsole::LoadState>("loadState"),
                        InstanceMethod<&EnvTestConsole::StepFrame>("stepFrame"),
                        InstanceMethod<&EnvTestConsole::RamCopy>("ram"), InstanceMethod<&EnvTestConsole::Poke>("poke")});
  }
  explicit EnvTestConsole(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EnvTestConsole>(info) {
    Napi::Uint8Array rom = ExpectUint8Array(info, 0, "rom");
    Guard(info.Env(), [&] {
      console_ = std::make_unique<nes::Console>(nes::ParseRom(rom.Data(), rom.ByteLength()));
      return 0;
    });
  }

 private:
  Napi::Value LoadState(const Napi::CallbackInfo& info) {
    Napi::Uint8Array s = ExpectUint8Array(info, 0, "state");
    Guard(info.Env(), [&] {
      console_->LoadState(s.Data(), s.ByteLength());
      return 0;
    });
    return info.Env().Undefined();
  }
  Napi::Value StepFrame(const Napi::CallbackInfo& info) {
    console_->StepFrame(static_cast<uint8_t>(ExpectInteger(info, 0, 0, 255, "buttons")), false);
    return info.Env().Undefined();
  }
  Napi::Value RamCopy(const Napi::CallbackInfo& info) {
    Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), 2048);
    std::memcpy(out.Data(), console_->Ram(), 2048);
    return out;
  }
  Napi::Value Poke(const Napi::CallbackInfo& info) {
    const auto address = static_cast<uint16_t>(ExpectInteger(info, 0, 0, 0x7FF, "address"));
    console_->Ram()[address] = static_cast<uint8_t>(ExpectInteger(info, 1, 0, 255, "value"));
    return info.Env().Undefined();
  }
  std::unique_ptr<nes::Console> console_;
};

// [sync] envGameNames(): the registered game adapters.
Napi::Value GameNamesJs(const Napi::CallbackInfo& info) {
  const auto names = env::GameNames();
  Napi::Array out = Napi::Array::New(info.Env(), names.size());
  for (size_t i = 0; i < names.size(); ++i) out.Set(static_cast<uint32_t>(i), names[i]);
  return out;
}

void InitVecEnv(Napi::Env env, Napi::Object exports) {
  exports.Set("envGameNames", Napi::Function::New(env, GameNamesJs, "envGameNames"));
  exports.Set("EnvTestConsole", EnvTestConsole::Define(env));
  exports.Set("VecEnv", VecEnvWrap::Define(env));
  exports.Set("envPaletteRgb", Napi::Function::New(env, PaletteRgbJs, "envPaletteRgb"));
  exports.Set("envPreprocessFrames", Napi::Function::New(env, PreprocessFramesJs, "envPreprocessFrames"));
  exports.Set("smb1ReadRam", Napi::Function::New(env, Smb1ReadRamJs, "smb1ReadRam"));
  exports.Set("smb1Rewards", Napi::Function::New(env, Smb1RewardsJs, "smb1Rewards"));
  exports.Set("envThreadPoolCheck", Napi::Function::New(env, ThreadPoolCheckJs, "envThreadPoolCheck"));
}

}  // namespace
}  // namespace mario_rl

MARIO_RL_REGISTER_MODULE(vec_env, mario_rl::InitVecEnv);
