// Idle-loop fast-forward. A short loop in PRG-ROM whose every iteration reads only memory that
// nothing but an event can change (internal RAM, ROM, $2002 while the PPU is between events) and
// leaves the CPU registers as it found them cannot change anything but time until the next event
// the catch-up chips have scheduled (NMI/VBL, frame-counter or mapper IRQ, sprite-0 hit, ...).
// Games wait this way: `JMP *` (SMB1), `LDA $10 / BPL` (SMB3), `LDA $2002 / AND #$40 / BEQ`
// (SMB1's sprite-0 wait), `BIT $2002 / BPL`. IdleLoops::Skip recognises such a loop by evaluating
// one iteration without side effects and checking that it maps the CPU state to itself; the CPU
// then adds whole iterations' cycles, stopping at least one iteration before the next event so
// the ordinary per-cycle path runs the iteration in which anything happens. The state after a
// skip is exactly what running the iterations would give: same registers, RAM and cycle count.
// Anything not recognised (code outside PRG-ROM, an interrupt pending, an unknown opcode, a read
// with side effects) runs the slow path. ConsoleOptions::fast_paths = false turns this off.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mario_rl::nes {

class Machine;

// The longest loop, in bytes from its first instruction to its back edge, the CPU asks about.
constexpr int kIdleLoopMaxBytes = 16;

// One per console (Machine), not part of save states: besides the check itself, it remembers
// loops whose code can never qualify (a store, an indexed read, an I/O read...), keyed by the
// PRG-ROM byte of their back edge, so the CPU's busy loops cost one compare on later passes. ROM
// never changes and the key is the byte itself, so bank switches need no invalidation.
class IdleLoops {
 public:
  // True when the loop closing at this PRG-ROM byte is known to be no idle loop.
  bool KnownBusy(const uint8_t* back_edge_byte) const { return busy_[Slot(back_edge_byte)] == back_edge_byte; }
  // Called by the CPU right after a branch or `JMP abs` at `back_edge` jumped back to `top`
  // (top <= back_edge <= top + kIdleLoopMaxBytes), with the CPU's registers and cycle counter.
  // Returns the CPU cycles of the whole iterations that can be skipped (0: none), and leaves
  // the state those iterations' $2002 reads would have left (the PPU's open-bus latch).
  uint64_t Skip(Machine& m, uint16_t top, uint16_t back_edge, uint64_t cycles, uint8_t a, uint8_t x, uint8_t y,
                uint8_t p);

 private:
  static size_t Slot(const uint8_t* byte) {
    const auto bits = reinterpret_cast<uintptr_t>(byte);
    return (bits ^ (bits >> 7)) & (kSlots - 1);
  }
  static constexpr size_t kSlots = 64;
  const uint8_t* busy_[kSlots] = {};
};

}  // namespace mario_rl::nes
