// N-API wrapper over one nes::Console: the raw `NesCore` class behind src/nes.ts.
//
// Lifetime: the console lives in a shared_ptr. The live `ram`/`frame` views are external
// ArrayBuffers whose finalizers each hold a reference to it, so close() only drops the wrapper's
// reference: views handed out earlier stay valid memory (frozen contents) until JS collects them.
// Each view is created once and cached (V8 refuses two external buffers over the same memory).
// Every method after close() throws `Error: Nes is closed`.
#include <napi.h>

#include <cstring>
#include <memory>
#include <string>

#include "binding/module_registry.h"
#include "binding/napi_util.h"
#include "nes/console.h"
#include "nes/palette.h"

namespace mario_rl {
namespace {

constexpr size_t kRamSize = 2048;
constexpr size_t kFramePixels = static_cast<size_t>(nes::kFrameWidth) * nes::kFrameHeight;
constexpr size_t kRgbBytes = kFramePixels * 3;
// Seeds cross as doubles; TS allows integers up to 2^53 - 1.
constexpr int64_t kMaxSeed = (int64_t{1} << 53) - 1;

class NesCore : public Napi::ObjectWrap<NesCore> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NesCore",
                       {
                           InstanceMethod<&NesCore::StepFrame>("stepFrame"),
                           InstanceMethod<&NesCore::StepFrames>("stepFrames"),
                           InstanceMethod<&NesCore::Reset>("reset"),
                           InstanceMethod<&NesCore::RamView>("ramView"),
                           InstanceMethod<&NesCore::FrameView>("frameView"),
                           InstanceMethod<&NesCore::Peek>("peek"),
                           InstanceMethod<&NesCore::Poke>("poke"),
                           InstanceMethod<&NesCore::PeekPpu>("peekPpu"),
                           InstanceMethod<&NesCore::StateSize>("stateSize"),
                           InstanceMethod<&NesCore::SaveState>("saveState"),
                           InstanceMethod<&NesCore::SaveStateInto>("saveStateInto"),
                           InstanceMethod<&NesCore::LoadState>("loadState"),
                           InstanceMethod<&NesCore::FrameCount>("frameCount"),
                           InstanceMethod<&NesCore::Mapper>("mapper"),
                           InstanceMethod<&NesCore::ToRgb>("toRgb"),
                           InstanceMethod<&NesCore::Cpu>("cpu"),
                           InstanceMethod<&NesCore::SetCpu>("setCpu"),
                           InstanceMethod<&NesCore::CpuCycles>("cpuCycles"),
                           InstanceMethod<&NesCore::StepInstruction>("stepInstruction"),
                           InstanceMethod<&NesCore::TraceLine>("traceLine"),
                           InstanceMethod<&NesCore::Close>("close"),
                           InstanceMethod<&NesCore::IsClosed>("isClosed"),
                       });
  }

  // [sync] new NesCore(rom: Uint8Array, powerOnRam: 0|1|2, seed: integer in [0, 2^53-1],
  //                    fastPaths: 0|1)
  // Throws TypeError/RangeError for bad arguments, Error naming the bad header field or
  // "Unsupported mapper N" for a ROM the core cannot run.
  explicit NesCore(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NesCore>(info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array rom = ExpectUint8Array(info, 0, "rom");
    const int64_t power_on = ExpectInteger(info, 1, 0, 2, "powerOnRam");
    const int64_t seed = ExpectInteger(info, 2, 0, kMaxSeed, "seed");
    const int64_t fast_paths = ExpectInteger(info, 3, 0, 1, "fastPaths");
    nes::ConsoleOptions options;
    options.fast_paths = fast_paths != 0;
    options.power_on_ram = static_cast<nes::PowerOnRam>(power_on);
    options.seed = static_cast<uint64_t>(seed);
    Guard(env, [&] {
      auto parsed = nes::ParseRom(rom.Data(), rom.ByteLength());
      console_ = std::make_shared<nes::Console>(std::move(parsed), options);
      return 0;
    });
  }

 private:
  nes::Console& Live(Napi::Env env) {
    if (!console_) throw Napi::Error::New(env, "Nes is closed");
    return *console_;
  }

  static bool RenderArg(const Napi::CallbackInfo& info, size_t index) {
    Napi::Value v = info[index];
    if (v.IsUndefined()) return true;
    if (!v.IsBoolean()) {
      throw Napi::TypeError::New(info.Env(), ExpectedMessage("a boolean", "render", DescribeValue(v)));
    }
    return v.As<Napi::Boolean>().Value();
  }

  // Wraps console memory in an external ArrayBuffer that keeps the console alive.
  Napi::Uint8Array MakeView(Napi::Env env, uint8_t* data, size_t size) {
    auto* keep = new std::shared_ptr<nes::Console>(console_);
    Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(
        env, data, size, [](Napi::Env, void*, std::shared_ptr<nes::Console>* hint) { delete hint; }, keep);
    return Napi::Uint8Array::New(env, size, buffer, 0);
  }

  // [sync] stepFrame(buttons: 0..255, render?: boolean). Throws after close().
  Napi::Value StepFrame(const Napi::CallbackInfo& info) {
    nes::Console& console = Live(info.Env());
    const auto buttons = static_cast<uint8_t>(ExpectInteger(info, 0, 0, 255, "buttons"));
    const bool render = RenderArg(info, 1);
    Guard(info.Env(), [&] {
      console.StepFrame(buttons, render);
      return 0;
    });
    return info.Env().Undefined();
  }

  // [sync] stepFrames(buttons: Uint8Array, render?: boolean): one frame per byte.
  Napi::Value StepFrames(const Napi::CallbackInfo& info) {
    nes::Console& console = Live(info.Env());
    Napi::Uint8Array buttons = ExpectUint8Array(info, 0, "buttons");
    const bool render = RenderArg(info, 1);
    const uint8_t* data = buttons.Data();
    const size_t count = buttons.ElementLength();
    Guard(info.Env(), [&] {
      for (size_t i = 0; i < count; ++i) console.StepFrame(data[i], render);
      return 0;
    });
    return info.Env().Undefined();
  }

  // [sync] reset(): the console's reset button.
  Napi::Value Reset(const Napi::CallbackInfo& info) {
    nes::Console& console = Live(info.Env());
    Guard(info.Env(), [&] {
      console.Reset();
      return 0;
    });
    return info.Env().Undefined();
  }

  // [sync] ramView(): the live 2 KiB RAM as a Uint8Array (same object on every call).
  Napi::Value RamView(const Napi::CallbackInfo& info) {
    nes::Console& console = Live(info.Env());
    if (ram_view_.IsEmpty()) ram_view_ = Napi::Persistent(MakeView(info.Env(), console.Ram(), kRamSize));
    return ram_view_.Value();
  }

  // [sync] frameView(): the live 256x240 palette-index frame (same object on every call).
  Napi::Value FrameView(const Napi::CallbackInfo& info) {
    nes::Console& console = Live(info.Env());
    if (frame_view_.IsEmpty()) {
      // The view is read-only by contract; the buffer type needs a mutable pointer.
      auto* frame = const_cast<uint8_t*>(console.Frame());
      frame_view_ = Napi::Persistent(MakeView(info.Env(), frame, kFramePixels));
    }
    return frame_view_.Value();
  }

  // [sync] peek(address: 0..0xFFFF): side-effect-free CPU-bus read.
  Napi::Value Peek(const Napi::CallbackInfo& info) {
    nes::Console& console = Live(info.Env());
    const auto address = static_cast<uint16_t>(ExpectInteger(info, 0, 0, 0xFFFF, "address"));
    return Napi::Number::New(info.Env(), console.Peek(address));
  }

  // [sync] peekPpu(address: 0..0x3FFF): side-effect-free PPU-bus read (pattern tables,
  // nametables, palette).
  Napi::Value PeekPpu(const Napi::CallbackInfo& info) {
    nes::Console& console = Live(info.Env());
    const auto address = static_cast<uint16_t>(ExpectInteger(info, 0, 0, 0x3FFF, "address"));
    return Napi::Number::New(info.Env(), console.PeekPpu(address));
  }

  // [sync] poke(address, value): RAM or PRG-RAM; RangeError elsewhere.
  Napi::Value Poke(const Napi::CallbackInfo& info) {
    nes::Console& console = Live(info.Env());
    const auto address = static_cast<uint16_t>(ExpectInteger(info, 0, 0, 0xFFFF, "address"));
    const auto value = static_cast<uint8_t>(ExpectInteger(info, 1, 0, 255, "value"));
    Guard(info.Env(), [&] {
      console.Poke(address, value);
      return 0;
    });
    return info.Env().Undefined();
  }

  // [sync] stateSize(): bytes of a save state for this console.
  Napi::Value StateSize(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(Live(info.Env()).StateSize()));
  }

  // [sync] saveState(): a new Uint8Array holding the whole machine state.
  Napi::Value SaveState(const Napi::CallbackInfo& info) {
    nes::Console& console = Live(info.Env());
    const size_t size = console.StateSize();
    Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), size);
    Guard(info.Env(), [&] {
      console.SaveState(out.Data());
      return 0;
    });
    return out;
  }

  // [sync] saveStateInto(out: Uint8Array of stateSize() bytes). RangeError on another length.
  Napi::Value SaveStateInto(const Napi::CallbackInfo& info) {
    nes::Console& console = Live(info.Env());
    Napi::Uint8Array out = ExpectUint8Array(info, 0, "out");
    ExpectLength(info.Env(), out, console.StateSize(), "out");
    Guard(info.Env(), [&] {
      console.SaveState(out.Data());
      return 0;
    });
    return info.Env().Undefined();
  }

  // [sync] loadState(state: Uint8Array). Error (console unchanged) for a state of another ROM,
  // another version, a truncated buffer, a corrupt body (checksum) or a field out of range.
  Napi::Value LoadState(const Napi::CallbackInfo& info) {
    nes::Console& console = Live(info.Env());
    Napi::Uint8Array state = ExpectUint8Array(info, 0, "state");
    Guard(info.Env(), [&] {
      console.LoadState(state.Data(), state.ByteLength());
      return 0;
    });
    return info.Env().Undefined();
  }

  // [sync] frameCount(): frames stepped since power-on (restored by loadState).
  Napi::Value FrameCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(Live(info.Env()).FrameCount()));
  }

  // [sync] mapper(): iNES mapper number.
  Napi::Value Mapper(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), Live(info.Env()).MapperNumber());
  }

  // [sync] toRgb(out: Uint8Array of 256*240*3): converts the frame through the master palette.
  Napi::Value ToRgb(const Napi::CallbackInfo& info) {
    nes::Console& console = Live(info.Env());
    Napi::Uint8Array out = ExpectUint8Array(info, 0, "out");
    ExpectLength(info.Env(), out, kRgbBytes, "out");
    const uint8_t* frame = console.Frame();
    const uint8_t* palette = nes::PaletteRgb();
    uint8_t* dst = out.Data();
    for (size_t i = 0; i < kFramePixels; ++i) {
      const uint8_t* rgb = palette + 3 * (frame[i] & 0x3F);
      dst[3 * i] = rgb[0];
      dst[3 * i + 1] = rgb[1];
      dst[3 * i + 2] = rgb[2];
    }
    return out;
  }

  // [sync] cpu(): { pc, a, x, y, p, sp, cycles } (debugging; allocates an object).
  Napi::Value Cpu(const Napi::CallbackInfo& info) {
    nes::Console& console = Live(info.Env());
    const nes::CpuRegisters r = console.Cpu();
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("pc", r.pc);
    out.Set("a", r.a);
    out.Set("x", r.x);
    out.Set("y", r.y);
    out.Set("p", r.p);
    out.Set("sp", r.sp);
    out.Set("cycles", static_cast<double>(console.CpuCycles()));
    return out;
  }

  // [sync] setCpu(pc, a, x, y, p, sp): integers, pc in [0, 0xFFFF], others [0, 255].
  Napi::Value SetCpu(const Napi::CallbackInfo& info) {
    nes::Console& console = Live(info.Env());
    nes::CpuRegisters r{};
    r.pc = static_cast<uint16_t>(ExpectInteger(info, 0, 0, 0xFFFF, "pc"));
    r.a = static_cast<uint8_t>(ExpectInteger(info, 1, 0, 255, "a"));
    r.x = static_cast<uint8_t>(ExpectInteger(info, 2, 0, 255, "x"));
    r.y = static_cast<uint8_t>(ExpectInteger(info, 3, 0, 255, "y"));
    r.p = static_cast<uint8_t>(ExpectInteger(info, 4, 0, 255, "p"));
    r.sp = static_cast<uint8_t>(ExpectInteger(info, 5, 0, 255, "sp"));
    Guard(info.Env(), [&] {
      console.SetCpu(r);
      return 0;
    });
    return info.Env().Undefined();
  }

  // [sync] cpuCycles(): CPU cycles since power-on.
  Napi::Value CpuCycles(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(Live(info.Env()).CpuCycles()));
  }

  // [sync] stepInstruction(): executes one CPU instruction (the PPU/APU run alongside).
  Napi::Value StepInstruction(const Napi::CallbackInfo& info) {
    nes::Console& console = Live(info.Env());
    Guard(info.Env(), [&] {
      console.StepInstruction();
      return 0;
    });
    return info.Env().Undefined();
  }

  // [sync] traceLine(): nestest.log-format line for the next instruction.
  Napi::Value TraceLine(const Napi::CallbackInfo& info) {
    nes::Console& console = Live(info.Env());
    return Napi::String::New(info.Env(), Guard(info.Env(), [&] { return console.TraceLine(); }));
  }

  // [sync] close(): drops the console; idempotent. Views stay readable until collected.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    console_.reset();
    ram_view_.Reset();
    frame_view_.Reset();
    return info.Env().Undefined();
  }

  // [sync] isClosed(): never throws.
  Napi::Value IsClosed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !console_); }

  std::shared_ptr<nes::Console> console_;
  Napi::Reference<Napi::Uint8Array> ram_view_;
  Napi::Reference<Napi::Uint8Array> frame_view_;
};

void InitNes(Napi::Env env, Napi::Object exports) { exports.Set("NesCore", NesCore::Define(env)); }

}  // namespace
}  // namespace mario_rl

MARIO_RL_REGISTER_MODULE(nes, mario_rl::InitNes);
