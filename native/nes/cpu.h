// Ricoh 2A03 CPU core (6502 without decimal mode). Every bus access is one cycle, dummy reads
// included, so cycle counts and the timing of register accesses inside an instruction are exact.
#pragma once

#include <cstdint>
#include <string>

namespace mario_rl::nes {

class Machine;

class Cpu {
 public:
  explicit Cpu(Machine& machine) : m_(machine) {}
  void PowerOn();
  void Reset();
  // Executes one instruction, then services an NMI/IRQ polled during it.
  void Step();
  // Executes instructions until the PPU reports the start of vertical blank.
  void RunUntilFrameDone();
  std::string TraceLine() const;

 private:
  // kWatch: the watching path, whose reads check for a DMC DMA; it runs only the instructions
  // within kDmcWatchCycles of a DMC fetch, so the usual path has no DMC work at all.
  template <bool kLoop, bool kWatch>
  void Execute();
  template <bool kWatch>
  struct Core;  // the interpreter loop's registers and helpers (cpu.cc)
  void Interrupt(uint16_t vector, bool brk);
  Machine& m_;
};

}  // namespace mario_rl::nes
