// MMC1 (mapper 1, SxROM): 5-bit serial shift register; control, two CHR banks, PRG bank.
// regs[0] control, regs[1] CHR bank 0, regs[2] CHR bank 1, regs[3] PRG bank.
#include "common/error.h"
#include "nes/machine.h"

namespace mario_rl::nes {
namespace {
class Mmc1 final : public Mapper {
 public:
  using Mapper::Mapper;
  void PowerOn() override {
    MapperState& s = m_.s.mapper;
    s.regs[0] = 0x0C;
    s.shift = 0;
    s.shift_count = 0;
  }
  void Write(uint16_t address, uint8_t value) override {
    MapperState& s = m_.s.mapper;
    // The serial port ignores a write on the cycle right after another (RMW instructions).
    const uint64_t now = m_.s.cpu.cycles;
    const bool consecutive = s.last_write_cycle + 1 == now;
    s.last_write_cycle = now;
    if (consecutive) return;
    if (value & 0x80) {
      s.shift = 0;
      s.shift_count = 0;
      s.regs[0] |= 0x0C;
      ApplyBanks();
      return;
    }
    s.shift = static_cast<uint8_t>((s.shift >> 1) | ((value & 1) << 4));
    if (++s.shift_count < 5) return;
    s.regs[(address >> 13) & 3] = s.shift;
    s.shift = 0;
    s.shift_count = 0;
    ApplyBanks();
  }
  std::string CheckState(const MapperState& s) const override {
    // Registers and the shift register are loaded 5 bits at a time.
    for (int i = 0; i < 4; ++i) {
      if (s.regs[i] > 0x1F) {
        return ExpectedMessage("a 5-bit MMC1 register", "mapper.regs[" + std::to_string(i) + "]",
                               std::to_string(s.regs[i]));
      }
    }
    if (s.shift > 0x1F) return ExpectedMessage("a 5-bit shift register", "mapper.shift", std::to_string(s.shift));
    if (s.shift_count > 4)
      return ExpectedMessage("a bit count in [0, 4]", "mapper.shift_count", std::to_string(s.shift_count));
    return {};
  }
  void ApplyBanks() override {
    const MapperState& s = m_.s.mapper;
    const uint8_t control = s.regs[0];
    switch (control & 3) {
      case 0: m_.SetMirroring(Mirroring::kSingleLow); break;
      case 1: m_.SetMirroring(Mirroring::kSingleHigh); break;
      case 2: m_.SetMirroring(Mirroring::kVertical); break;
      default: m_.SetMirroring(Mirroring::kHorizontal); break;
    }
    // 512 KiB boards (SUROM) use CHR bank 0 bit 4 as the outer 256 KiB PRG select.
    const int outer = m_.rom.prg.size() > 256 * 1024 ? (s.regs[1] & 0x10) : 0;  // in 16 KiB units
    const int prg = (s.regs[3] & 0x0F) | outer;
    switch ((control >> 2) & 3) {
      case 0:
      case 1: {
        const int base = (prg & ~1) * 2;
        for (int i = 0; i < 4; ++i) m_.MapPrg8k(i, base + i);
        break;
      }
      case 2:
        m_.MapPrg8k(0, outer * 2);
        m_.MapPrg8k(1, outer * 2 + 1);
        m_.MapPrg8k(2, prg * 2);
        m_.MapPrg8k(3, prg * 2 + 1);
        break;
      default:
        m_.MapPrg8k(0, prg * 2);
        m_.MapPrg8k(1, prg * 2 + 1);
        m_.MapPrg8k(2, (outer | 0x0F) * 2);
        m_.MapPrg8k(3, (outer | 0x0F) * 2 + 1);
        break;
    }
    if (control & 0x10) {
      for (int i = 0; i < 4; ++i) m_.MapChr1k(i, s.regs[1] * 4 + i);
      for (int i = 0; i < 4; ++i) m_.MapChr1k(4 + i, s.regs[2] * 4 + i);
    } else {
      for (int i = 0; i < 8; ++i) m_.MapChr1k(i, (s.regs[1] & 0x1E) * 4 + i);
    }
    m_.s.mapper.prg_ram_enabled = (s.regs[3] & 0x10) ? 0 : 1;
  }
};
}  // namespace
std::unique_ptr<Mapper> CreateMmc1(Machine& machine) { return std::make_unique<Mmc1>(machine); }
}  // namespace mario_rl::nes
