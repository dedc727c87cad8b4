#include "nes/idle_loop.h"

#include <algorithm>
#include <cstdint>

#include "nes/machine.h"

namespace mario_rl::nes {

namespace {

constexpr uint8_t kC = 0x01, kZ = 0x02, kI = 0x04, kV = 0x40, kN = 0x80;

// Margin in PPU dots kept before the PPU's next event when a loop reads $2002 (as the per-cycle
// path would see it, a read this close to an event may already observe it).
constexpr int64_t kStatusReadMargin = 5;

// One iteration evaluated on copies of the registers, reading memory without side effects.
class Iteration {
 public:
  Iteration(const Machine& m, uint8_t a, uint8_t x, uint8_t y, uint8_t p) : a(a), x(x), y(y), p(p), m_(m) {}

  // Runs the straight-line body [top, back_edge); false for anything that is not a pure read.
  bool Body(uint16_t top, uint16_t back_edge) {
    uint16_t pc = top;
    while (pc != back_edge) {
      if (pc > back_edge) return Busy();  // an instruction straddles the back edge
      const uint8_t op = Rom(pc);
      const uint8_t lo = Rom(pc + 1);
      const uint16_t abs = static_cast<uint16_t>(lo | (Rom(pc + 2) << 8));
      uint8_t v = 0;
      // Operand: immediate (2 cycles), zero page (3) or absolute (4); the read is the last cycle.
      switch (op & 0x1F) {
        case 0x09:
        case 0x00:
        case 0x02:
          if (op == 0x00 || op == 0x20 || op == 0x40 || op == 0x60) return Busy();  // BRK JSR RTI RTS
          v = lo;
          cycles += 2;
          pc += 2;
          break;
        case 0x05:
        case 0x04:
        case 0x06:
          cycles += 3;
          if (!Read(lo, v)) return false;
          pc += 2;
          break;
        case 0x0D:
        case 0x0C:
        case 0x0E:
          cycles += 4;
          if (!Read(abs, v)) return false;
          pc += 3;
          break;
        default:
          if (!Implied(op)) return Busy();
          cycles += 2;
          pc += 1;
          continue;
      }
      switch (op) {
        case 0xA9:
        case 0xA5:
        case 0xAD:
          a = v;
          SetZn(a);
          break;  // LDA
        case 0xA2:
        case 0xA6:
        case 0xAE:
          x = v;
          SetZn(x);
          break;  // LDX
        case 0xA0:
        case 0xA4:
        case 0xAC:
          y = v;
          SetZn(y);
          break;  // LDY
        case 0x29:
        case 0x25:
        case 0x2D:
          a &= v;
          SetZn(a);
          break;  // AND
        case 0x09:
        case 0x05:
        case 0x0D:
          a |= v;
          SetZn(a);
          break;  // ORA
        case 0x49:
        case 0x45:
        case 0x4D:
          a ^= v;
          SetZn(a);
          break;  // EOR
        case 0xC9:
        case 0xC5:
        case 0xCD: Compare(a, v); break;  // CMP
        case 0xE0:
        case 0xE4:
        case 0xEC: Compare(x, v); break;  // CPX
        case 0xC0:
        case 0xC4:
        case 0xCC: Compare(y, v); break;  // CPY
        case 0x24:
        case 0x2C:  // BIT
          p = static_cast<uint8_t>((p & ~(kZ | kV | kN)) | ((a & v) ? 0 : kZ) | (v & (kV | kN)));
          break;
        default: return Busy();
      }
    }
    return true;
  }

  // The back edge: `JMP top` or a conditional branch that is taken to `top`.
  bool BackEdge(uint16_t top, uint16_t back_edge) {
    const uint8_t op = Rom(back_edge);
    if (op == 0x4C) {
      if ((Rom(back_edge + 1) | (Rom(back_edge + 2) << 8)) != top) return Busy();
      cycles += 3;
      return true;
    }
    if ((op & 0x1F) != 0x10) return Busy();
    static constexpr uint8_t kFlag[4] = {kN, kV, kC, kZ};
    const bool taken = ((p & kFlag[op >> 6]) != 0) == ((op & 0x20) != 0);
    const uint16_t next = static_cast<uint16_t>(back_edge + 2);
    if (!taken || static_cast<uint16_t>(next + static_cast<int8_t>(Rom(back_edge + 1))) != top) return false;
    cycles += ((next ^ top) & 0xFF00) ? 4 : 3;
    return true;
  }

  uint8_t a, x, y, p;
  bool busy = false;              // failed on the code itself (not on the state): the loop never qualifies
  int64_t cycles = 0;             // CPU cycles of the iteration so far
  int64_t last_status_read = -1;  // cycle (1-based, within the iteration) of the last $2002 read

 private:
  uint8_t Rom(uint32_t address) const {
    return m_.prg_map[(address >> 13) & 3][address & 0x1FFF];  // callers keep address >= $8000
  }
  bool Read(uint16_t address, uint8_t& v) {
    if (address < 0x2000) {
      v = m_.s.ram[address & 0x7FF];
      return true;
    }
    if (address >= 0x8000) {
      v = Rom(address);
      return true;
    }
    if (address < 0x4000 && (address & 7) == 2) {
      // A $2002 read has no side effect when it clears nothing (VBL flag and write latch already
      // clear) and leaves the open bus as it was (its top bits already equal the status).
      const PpuState& ps = m_.s.ppu;
      if ((ps.status & 0x80) || ps.w || ((ps.open_bus ^ ps.status) & 0xE0)) return false;
      v = m_.ppu.StatusReadValue();  // the latch's low bits as decayed by now
      last_status_read = cycles;
      return true;
    }
    return Busy();  // APU, controllers, PRG-RAM, open bus: not known to be side-effect free
  }
  bool Implied(uint8_t op) {
    switch (op) {
      case 0xEA: return true;            // NOP
      case 0x18: p &= ~kC; return true;  // CLC
      case 0x38: p |= kC; return true;   // SEC
      case 0xB8: p &= ~kV; return true;  // CLV
      case 0xAA:
        x = a;
        SetZn(x);
        return true;  // TAX
      case 0xA8:
        y = a;
        SetZn(y);
        return true;  // TAY
      case 0x8A:
        a = x;
        SetZn(a);
        return true;  // TXA
      case 0x98:
        a = y;
        SetZn(a);
        return true;  // TYA
      default: return false;
    }
  }
  void SetZn(uint8_t v) { p = static_cast<uint8_t>((p & ~(kZ | kN)) | (v ? 0 : kZ) | (v & kN)); }
  void Compare(uint8_t reg, uint8_t v) {
    p = static_cast<uint8_t>((p & ~kC) | (reg >= v ? kC : 0));
    SetZn(static_cast<uint8_t>(reg - v));
  }

  bool Busy() {
    busy = true;
    return false;
  }

  const Machine& m_;
};

}  // namespace

uint64_t IdleLoops::Skip(Machine& m, uint16_t top, uint16_t back_edge, uint64_t cycles, uint8_t a, uint8_t x, uint8_t y,
                         uint8_t p) {
  // Only code in PRG-ROM: a loop in RAM or PRG-RAM could be rewritten (by itself, DMA or an NMI).
  const uint8_t* key = &m.prg_map[(back_edge >> 13) & 3][back_edge & 0x1FFF];
  if (top < 0x8000 || back_edge > 0xFFFD) {
    busy_[Slot(key)] = key;
    return 0;
  }
  if (m.s.cpu.nmi_pending || (m.IrqLine() && !(p & kI))) return 0;
  Iteration it(m, a, x, y, p);
  if (!it.Body(top, back_edge) || !it.BackEdge(top, back_edge)) {
    if (it.busy) busy_[Slot(key)] = key;
    return 0;
  }
  if (it.a != a || it.x != x || it.y != y || it.p != p) return 0;  // not a fixed point
  const int64_t period = it.cycles;
  // Every skipped instruction must end before the next catch-up event (or the watch window of a
  // DMC fetch), with one iteration to spare: the per-cycle path runs the iteration in which the
  // event happens.
  const int64_t sync_room = static_cast<int64_t>(m.attention_cycle) - static_cast<int64_t>(cycles) - 1;
  int64_t n = sync_room / period - 1;
  if (it.last_status_read >= 0) {
    // Iteration k (from 0) reads $2002 at CPU cycle cycles + k * period + last_status_read at
    // the latest; every such read must see the PPU between events.
    const int64_t first_read = 3 * (static_cast<int64_t>(cycles) + it.last_status_read) + kPpuPhase;
    const int64_t ppu_room = static_cast<int64_t>(m.ppu.NextEventClock()) - kStatusReadMargin - first_read;
    if (ppu_room < 0) return 0;
    n = std::min(n, ppu_room / (3 * period) + 1);
    // Every skipped read must return what the first did: none after the latch's low bits decay.
    const uint64_t decay = m.ppu.OpenBusLowBitsDecayClock();
    if (decay != UINT64_MAX) {
      const int64_t decay_room = static_cast<int64_t>(decay) - 1 - first_read;
      if (decay_room < 0) return 0;
      n = std::min(n, decay_room / (3 * period) + 1);
    }
    if (n > 0) m.ppu.NoteSkippedStatusReads(static_cast<uint64_t>(first_read + 3 * period * (n - 1)));
  }
  return n > 0 ? static_cast<uint64_t>(n * period) : 0;
}

}  // namespace mario_rl::nes
