// The NES console: owns the chips (CPU, PPU, APU, cartridge mapper, controllers) as one value.
// Many consoles run side by side on different threads; nothing here is global. All mutable
// state lives in one trivially-copyable ConsoleState (plus the cartridge's PRG-RAM/CHR-RAM), so a
// save state is a couple of memcpys. Frame boundary: StepFrame returns at scanline 241 dot 1
// (start of vertical blank), so RAM read afterwards already reflects that frame's input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "nes/rom.h"

namespace mario_rl::nes {

enum class PowerOnRam : uint8_t { kZero, kFF, kRandom };

struct ConsoleOptions {
  PowerOnRam power_on_ram = PowerOnRam::kZero;
  uint64_t seed = 0;  // used by PowerOnRam::kRandom
  // false: the PPU steps every visible line event by event instead of through its whole-line
  // fast path (Ppu::RunVisibleLine). Same results, slower: tests compare the two.
  bool line_fast_path = true;
  // false: no fast paths at all (no idle-loop fast-forward, idle_loop.h; no whole-line PPU fast
  // path; the background's row cache rebuilt for every line, ppu.h): every cycle the slow way. Same RAM, registers,
  // cycles and frames, and save states that load either way; tests compare the two (tests/nes/fast-paths.test.ts).
  bool fast_paths = true;
};

struct CpuRegisters {
  uint16_t pc;
  uint8_t a, x, y, p, sp;
};

// Joypad bits, as the console contract and jsnes order them.
constexpr uint8_t kButtonA = 0x01, kButtonB = 0x02, kButtonSelect = 0x04, kButtonStart = 0x08, kButtonUp = 0x10,
                  kButtonDown = 0x20, kButtonLeft = 0x40, kButtonRight = 0x80;

constexpr int kFrameWidth = 256;
constexpr int kFrameHeight = 240;

// The save-state body checksum (docs/nes-core.md) and a helper that rewrites it in place, for
// tests and fuzzers that craft states to exercise CheckConsoleState.
uint64_t StateChecksum(const uint8_t* data, size_t size);
void SealState(uint8_t* data, size_t size);

class Machine;  // the chips and their wiring (machine.h); hidden to keep this header light

class Console {
 public:
  explicit Console(std::shared_ptr<const Rom> rom, const ConsoleOptions& options = {});
  ~Console();
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  // Runs until the start of the next vertical blank with joypad 1 holding `buttons`.
  // render=false writes no pixels; every timing side effect (sprite-0 hit, IRQs) is identical.
  void StepFrame(uint8_t buttons, bool render = true);
  void Reset();  // the console's reset button

  uint8_t* Ram();                // 2 KiB internal RAM, live, stable for the console's life
  const uint8_t* Frame() const;  // 256*240 palette indices 0..63 (greyscale applied)
  // Where rendered frames go from now on: `pixels` (256*240 bytes, owned by the caller and alive
  // while in use) or, for nullptr, the console's own buffer; Frame() then points there. Lets a
  // caller keep one frame while the next renders, without copying. Not part of save states.
  void SetFrameBuffer(uint8_t* pixels);
  uint8_t Peek(uint16_t address) const;        // side-effect-free CPU-bus read
  void Poke(uint16_t address, uint8_t value);  // RAM ($0000-$1FFF) and PRG-RAM ($6000-$7FFF)

  size_t StateSize() const;
  void SaveState(uint8_t* out) const;
  // Throws mario_rl::Error (console unchanged) for another ROM or version, a wrong size, a corrupt
  // body (checksum) or a field out of range (CheckConsoleState).
  void LoadState(const uint8_t* data, size_t size);

  uint8_t PeekPpu(uint16_t address) const;  // PPU-bus read ($0000-$3FFF), no side effects

  uint64_t FrameCount() const;
  int MapperNumber() const;
  const Rom& GetRom() const { return *rom_; }

  // CPU trace facility (nestest.log format).
  CpuRegisters Cpu() const;
  void SetCpu(const CpuRegisters& regs);
  uint64_t CpuCycles() const;
  void StepInstruction();
  std::string TraceLine() const;

 private:
  std::shared_ptr<const Rom> rom_;
  std::unique_ptr<Machine> machine_;
  struct Staged;  // LoadState copies and checks a state here before committing
  std::unique_ptr<Staged> staged_;
};

}  // namespace mario_rl::nes
