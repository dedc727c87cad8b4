// Cartridge boards. A mapper keeps its registers in MapperState (part of the save state) and
// expresses banking by filling Machine's pointer tables (prg_map / chr_map / nametable offsets),
// so CPU and PPU reads never make a virtual call. Only register writes and MMC3's A12 clock do.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "nes/state.h"

namespace mario_rl::nes {

class Machine;

// Mapper::A12RisesUntilIrq when no number of A12 rises can raise the IRQ line (until a write).
constexpr int kNoA12Irq = 1 << 30;

class Mapper {
 public:
  explicit Mapper(Machine& machine) : m_(machine) {}
  virtual ~Mapper() = default;
  virtual void PowerOn() {}                                 // initial registers
  virtual void Write(uint16_t address, uint8_t value) = 0;  // CPU write to $8000-$FFFF
  virtual void ApplyBanks() = 0;                            // registers -> pointer tables
  virtual bool UsesA12() const { return false; }
  virtual void OnA12Rise(uint64_t ppu_clock) {}  // PPU address line A12 rose
  // The fewest A12 rises after which the IRQ line can rise (1: maybe the next one), or kNoA12Irq.
  // Only a CPU write can change the answer other than by a rise, so the scheduler
  // (Machine::ScheduleSync) need not stop at the rises before it.
  virtual int A12RisesUntilIrq() const { return 1; }
  // "" when a restored MapperState holds only what this board's registers can (LoadState), else an
  // "Expected … for … but received …" message. Bank numbers are always safe (see MapPrg8k).
  virtual std::string CheckState(const MapperState&) const { return {}; }

 protected:
  Machine& m_;
};

// The registry: builds the board for an iNES mapper number (ParseRom already rejected others).
std::unique_ptr<Mapper> CreateMapper(int number, Machine& machine);

}  // namespace mario_rl::nes
