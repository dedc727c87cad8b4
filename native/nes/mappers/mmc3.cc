// MMC3 (mapper 4, TxROM): 8 bank registers, PRG/CHR inversion, mirroring, and a scanline
// counter clocked by rising edges of PPU A12. regs[0..7] R0-R7, regs[8] bank select,
// regs[9] mirroring, regs[10] PRG-RAM protect.
#include "common/error.h"
#include "nes/machine.h"

namespace mario_rl::nes {
namespace {
class Mmc3 final : public Mapper {
 public:
  using Mapper::Mapper;
  void PowerOn() override {
    MapperState& s = m_.s.mapper;
    static constexpr uint8_t kInitial[8] = {0, 2, 4, 5, 6, 7, 0, 1};
    for (int i = 0; i < 8; ++i) s.regs[i] = kInitial[i];
    s.regs[9] = m_.rom.mirroring == Mirroring::kHorizontal ? 1 : 0;
  }
  void Write(uint16_t address, uint8_t value) override {
    MapperState& s = m_.s.mapper;
    const bool odd = address & 1;
    switch (address & 0xE000) {
      case 0x8000:
        if (odd) {
          s.regs[s.regs[8] & 7] = value;
        } else {
          s.regs[8] = value;
        }
        ApplyBanks();
        break;
      case 0xA000:
        if (odd) {
          s.regs[10] = value;
          s.prg_ram_enabled = (value & 0x80) ? 1 : 0;
        } else {
          s.regs[9] = value & 1;
          ApplyBanks();
        }
        break;
      case 0xC000:
        if (odd) {
          s.irq_counter = 0;
          s.irq_reload = 1;
        } else {
          s.irq_latch = value;
        }
        break;
      default:
        if (odd) {
          s.irq_enabled = 1;
        } else {
          s.irq_enabled = 0;
          s.irq_line = 0;
        }
        break;
    }
  }
  bool UsesA12() const override { return true; }
  void OnA12Rise(uint64_t ppu_clock) override {
    MapperState& s = m_.s.mapper;
    if (s.irq_counter == 0 || s.irq_reload) {
      s.irq_counter = s.irq_latch;
      s.irq_reload = 0;
    } else {
      --s.irq_counter;
    }
    if (s.irq_counter == 0 && s.irq_enabled && !s.irq_line) {
      if (!m_.IrqLine()) m_.s.irq_clock = ppu_clock;
      s.irq_line = 1;
    }
  }
  int A12RisesUntilIrq() const override {
    const MapperState& s = m_.s.mapper;
    if (!s.irq_enabled || s.irq_line) return kNoA12Irq;              // disabled, or already high (cleared by $E000)
    if (s.irq_counter == 0 || s.irq_reload) return 1 + s.irq_latch;  // one rise reloads, `latch` count down
    return s.irq_counter;
  }
  std::string CheckState(const MapperState& s) const override {
    if (s.regs[9] > 1)
      return ExpectedMessage("0 (vertical) or 1 (horizontal)", "mapper.regs[9]", std::to_string(s.regs[9]));
    return {};
  }
  void ApplyBanks() override {
    const MapperState& s = m_.s.mapper;
    const uint8_t select = s.regs[8];
    if (select & 0x40) {
      m_.MapPrg8k(0, -2);
      m_.MapPrg8k(2, s.regs[6]);
    } else {
      m_.MapPrg8k(0, s.regs[6]);
      m_.MapPrg8k(2, -2);
    }
    m_.MapPrg8k(1, s.regs[7]);
    m_.MapPrg8k(3, -1);
    const int flip = (select & 0x80) ? 4 : 0;
    m_.MapChr1k(0 ^ flip, s.regs[0] & 0xFE);
    m_.MapChr1k(1 ^ flip, s.regs[0] | 1);
    m_.MapChr1k(2 ^ flip, s.regs[1] & 0xFE);
    m_.MapChr1k(3 ^ flip, s.regs[1] | 1);
    for (int i = 0; i < 4; ++i) m_.MapChr1k((4 + i) ^ flip, s.regs[2 + i]);
    if (m_.rom.mirroring == Mirroring::kFourScreen) {
      m_.SetMirroring(Mirroring::kFourScreen);
    } else {
      m_.SetMirroring(s.regs[9] ? Mirroring::kHorizontal : Mirroring::kVertical);
    }
  }
};
}  // namespace
std::unique_ptr<Mapper> CreateMmc3(Machine& machine) { return std::make_unique<Mmc3>(machine); }
}  // namespace mario_rl::nes
