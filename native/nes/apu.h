// APU registers without audio synthesis: $4015 status, the four length counters, the frame
// sequencer and its IRQ, timed to the CPU cycle (catch-up: run when read or when the IRQ is due).
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
  uint8_t ReadStatus();
  uint8_t PeekStatus() const;
  void WriteRegister(uint16_t address, uint8_t value);
  uint64_t NextEventCycle() const;

 private:
  void ClockLengths();
  void WriteFrameCounter(uint8_t value, uint64_t effect_cycle);
  Machine& m_;
};

}  // namespace mario_rl::nes
