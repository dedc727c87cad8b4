// APU registers without audio synthesis: $4015 status, the four length counters, the frame
// sequencer and its IRQ, timed to the CPU cycle (catch-up: run when read or when the IRQ is due),
// and the DMC as far as the CPU sees it: its timer and output unit empty the sample buffer every
// 8 timer clocks, and each refill is a fetch the Machine performs as a DMC DMA (machine.cc).
#pragma once

#include <cstdint>

namespace mario_rl::nes {

class Machine;

class Apu {
 public:
  explicit Apu(Machine& machine) : m_(machine) {}
  void PowerOn();
  void Reset();
  void Run(uint64_t cycle);
  // Run, and an idle DMC timer up to `cycle` too (Run leaves it behind by up to a frame, which nothing
  // can observe): called at the end of each frame, so a save state does not depend on how often
  // the machine synced (fast paths on or off).
  void SettleDmc(uint64_t cycle);
  uint8_t ReadStatus();
  uint8_t PeekStatus() const;
  void WriteRegister(uint16_t address, uint8_t value);
  uint64_t NextEventCycle() const;
  // The CPU cycle the DMC's next sample fetch asks to halt the CPU from (one pending now, or the
  // end of the output cycle that will empty a full buffer while bytes remain); UINT64_MAX: none.
  // Exact before the APU has been run that far, so the CPU can watch for it in advance.
  uint64_t DmcFetchCycle() const;
  // The DMA's get cycle (`cycle`) delivered the sample byte `value` from the reader's address.
  void DmcFetched(uint8_t value, uint64_t cycle);

 private:
  void ClockLengths();
  void WriteFrameCounter(uint8_t value, uint64_t effect_cycle);
  void RunDmc(uint64_t cycle);
  void RestartDmcSample();
  Machine& m_;
};

}  // namespace mario_rl::nes
