// Test addon: hooks into the env module for tests/env: the core palette, the preprocessing on
// synthetic frames, the SMB1 RAM rules and the games' tile grids on synthetic RAM, a thread-pool
// stress run, and a plain console for reference runs.
#include <napi.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "binding/env_options.h"
#include "binding/module_registry.h"
#include "binding/napi_util.h"
#include "common/rng.h"
#include "env/game.h"
#include "env/game_registry.h"
#include "env/preprocess.h"
#include "env/smb1.h"
#include "env/thread_pool.h"
#include "nes/console.h"
#include "nes/palette.h"

namespace mario_rl {
namespace {

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
  if (!info[0].IsObject())
    throw Napi::TypeError::New(env, ExpectedMessage("an obs spec", "spec", DescribeValue(info[0])));
  const env::ObsSpec spec = ReadObsSpec(info[0].As<Napi::Object>());
  Napi::Uint8Array frames = ExpectUint8Array(info, 1, "frames");
  if (frames.ByteLength() == 0 || frames.ByteLength() % env::kSourcePixels != 0) {
    throw Napi::RangeError::New(env,
                                ExpectedMessage("a whole number of 256x240 frames", "frames", DescribeValue(frames)));
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

// [sync] envTileGrid(game, ram: Uint8Array(2048), rows, cols): the game's tile grid of that RAM,
// Uint8Array(rows * cols) row-major (Game::WriteTiles). RangeError for an unknown game, a game
// without a tile map or a size out of range.
Napi::Value TileGridJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString())
    throw Napi::TypeError::New(env, ExpectedMessage("a game name", "game", DescribeValue(info[0])));
  Napi::Uint8Array ram = ExpectUint8Array(info, 1, "ram");
  ExpectLength(env, ram, 2048, "ram");
  if (!info[2].IsNumber() || !info[3].IsNumber()) {
    throw Napi::TypeError::New(env, ExpectedMessage("integer rows and cols", "rows, cols", DescribeValue(info[2])));
  }
  env::TileSpec spec;
  spec.rows = info[2].As<Napi::Number>().Int32Value();
  spec.cols = info[3].As<Napi::Number>().Int32Value();
  return Guard(env, [&]() -> Napi::Value {
    env::ValidateTileSpec(spec);
    const std::string name = info[0].As<Napi::String>().Utf8Value();
    const auto game = env::MakeGame(name, env::GameOptions{});
    if (!game->HasTileMap()) throw RangeErrorOf(ExpectedMessage("a game with a tile map", "game", "'" + name + "'"));
    Napi::Uint8Array out = Napi::Uint8Array::New(env, spec.GridBytes());
    env::TileGrid grid(out.Data(), spec.rows, spec.cols);
    game->WriteTiles(ram.Data(), grid);
    return out;
  });
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
  if (!info[1].IsString())
    throw Napi::TypeError::New(env, ExpectedMessage("a string", "preset", DescribeValue(info[1])));
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
// a fresh pool and returns Uint32Array(count + 2): visit counts per index, at [count] the number of
// completions seen, and at [count + 1] the number of indices whose plain (non-atomic) write of the
// round number was not visible to the caller once Run returned (must be 0). Runs come in runs of
// four back to back (the pool's spin-waits), then a Launch+wait; every 16th job follows a 200 µs
// pause (longer than the workers' spin budget). Exercises the pool under load.
Napi::Value ThreadPoolCheckJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int threads = static_cast<int>(ExpectInteger(info, 0, 1, 64, "numThreads"));
  const size_t count = static_cast<size_t>(ExpectInteger(info, 1, 0, 1 << 20, "count"));
  const int rounds = static_cast<int>(ExpectInteger(info, 2, 1, 100000, "rounds"));
  struct Ctx {
    std::vector<std::atomic<uint32_t>> visits;
    std::vector<uint32_t> last_round;  // plain writes by the tasks, read by the caller after Run
    uint32_t round = 0;                // written by the caller between jobs
    uint32_t stale = 0;
    std::mutex mutex;
    std::condition_variable cv;
    uint32_t completions = 0;
    explicit Ctx(size_t n) : visits(n), last_round(n, 0) {}
  } ctx(count);
  Napi::Uint32Array out = Napi::Uint32Array::New(env, count + 2);
  Guard(env, [&] {
    env::ThreadPool pool(threads);
    auto task = [](void* c, size_t i) {
      auto* x = static_cast<Ctx*>(c);
      // A little uneven work so workers interleave.
      Rng rng(i);
      volatile uint64_t sink = 0;
      for (uint32_t k = 0; k < (i % 7) * 50; ++k) sink = sink + rng.NextU64();
      x->visits[i].fetch_add(1, std::memory_order_relaxed);
      x->last_round[i] = x->round;
    };
    for (int r = 0; r < rounds; ++r) {
      ctx.round = static_cast<uint32_t>(r + 1);
      if (r % 16 == 15) std::this_thread::sleep_for(std::chrono::microseconds(200));
      if (r % 5 != 4) {
        pool.Run(count, task, &ctx);
        for (size_t i = 0; i < count; ++i) ctx.stale += ctx.last_round[i] != ctx.round;
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
  out[count + 1] = ctx.stale;
  return out;
}

// Test hook: a plain console driven frame by frame from JS, the independent reference the env
// tests compare the pool against. new EnvTestConsole(rom); loadState(u8); stepFrame(buttons,
// render = false); ram() -> Uint8Array copy; frame() -> the last rendered frame's palette indices
// (256 x 240, a copy); poke(address, value); skipFrames(buttons, pokes) runs the frames through
// env::SkippedFrames (render needed) with RAM pokes (address, value) after frame `at` given as
// Int32Array triples (at, address, value), the way a game's SkipUnplayable interleaves them.
class EnvTestConsole : public Napi::ObjectWrap<EnvTestConsole> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "EnvTestConsole",
        {InstanceMethod<&EnvTestConsole::LoadState>("loadState"),
         InstanceMethod<&EnvTestConsole::StepFrame>("stepFrame"), InstanceMethod<&EnvTestConsole::RamCopy>("ram"),
         InstanceMethod<&EnvTestConsole::FrameCopy>("frame"), InstanceMethod<&EnvTestConsole::Poke>("poke"),
         InstanceMethod<&EnvTestConsole::SkipFrames>("skipFrames")});
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
    const auto buttons = static_cast<uint8_t>(ExpectInteger(info, 0, 0, 255, "buttons"));
    const bool render = info.Length() > 1 && info[1].ToBoolean().Value();
    console_->StepFrame(buttons, render);
    return info.Env().Undefined();
  }
  Napi::Value FrameCopy(const Napi::CallbackInfo& info) {
    constexpr size_t kPixels = 256 * 240;
    Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), kPixels);
    std::memcpy(out.Data(), console_->Frame(), kPixels);
    return out;
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
  Napi::Value SkipFrames(const Napi::CallbackInfo& info) {
    Napi::Uint8Array buttons = ExpectUint8Array(info, 0, "buttons");
    if (info.Length() < 2 || !info[1].IsTypedArray() ||
        info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
      throw Napi::TypeError::New(info.Env(), "Expected an Int32Array for pokes");
    }
    Napi::Int32Array pokes = info[1].As<Napi::Int32Array>();
    if (pokes.ElementLength() % 3 != 0)
      throw Napi::RangeError::New(info.Env(), "Expected (at, address, value) triples for pokes");
    for (size_t p = 0; p < pokes.ElementLength(); p += 3) {
      if (pokes[p] < 0 || static_cast<size_t>(pokes[p]) >= buttons.ByteLength() || pokes[p + 1] < 0 ||
          pokes[p + 1] > 0x7FF || pokes[p + 2] < 0 || pokes[p + 2] > 255) {
        throw Napi::RangeError::New(info.Env(),
                                    "Expected pokes with at < buttons.length, address in [0, 2047], value in [0, 255]");
      }
    }
    std::vector<uint8_t> state(console_->StateSize());
    env::SkippedFrames frames(*console_, true, state);
    for (size_t f = 0; f < buttons.ByteLength(); ++f) {
      frames.Step(buttons[f]);
      for (size_t p = 0; p < pokes.ElementLength(); p += 3) {
        if (static_cast<size_t>(pokes[p]) == f) console_->Ram()[pokes[p + 1]] = static_cast<uint8_t>(pokes[p + 2]);
      }
    }
    frames.Finish();
    return info.Env().Undefined();
  }
  std::unique_ptr<nes::Console> console_;
};

void InitEnvTestHooks(Napi::Env env, Napi::Object exports) {
  exports.Set("EnvTestConsole", EnvTestConsole::Define(env));
  exports.Set("envPaletteRgb", Napi::Function::New(env, PaletteRgbJs, "envPaletteRgb"));
  exports.Set("envPreprocessFrames", Napi::Function::New(env, PreprocessFramesJs, "envPreprocessFrames"));
  exports.Set("smb1ReadRam", Napi::Function::New(env, Smb1ReadRamJs, "smb1ReadRam"));
  exports.Set("smb1Rewards", Napi::Function::New(env, Smb1RewardsJs, "smb1Rewards"));
  exports.Set("envTileGrid", Napi::Function::New(env, TileGridJs, "envTileGrid"));
  exports.Set("envThreadPoolCheck", Napi::Function::New(env, ThreadPoolCheckJs, "envThreadPoolCheck"));
}

}  // namespace
}  // namespace mario_rl

MARIO_RL_REGISTER_MODULE(env_test_hooks, mario_rl::InitEnvTestHooks);
