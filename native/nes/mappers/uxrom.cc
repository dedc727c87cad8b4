// UxROM (mapper 2): switchable 16 KiB at $8000, last 16 KiB fixed at $C000, CHR-RAM.
#include "nes/machine.h"

namespace mario_rl::nes {
namespace {
class Uxrom final : public Mapper {
 public:
  using Mapper::Mapper;
  void Write(uint16_t, uint8_t value) override {
    m_.s.mapper.regs[0] = value;
    ApplyBanks();
  }
  void ApplyBanks() override {
    const int bank = m_.s.mapper.regs[0] & 0x1F;
    m_.MapPrg8k(0, bank * 2);
    m_.MapPrg8k(1, bank * 2 + 1);
    m_.MapPrg8k(2, -2);
    m_.MapPrg8k(3, -1);
    for (int i = 0; i < 8; ++i) m_.MapChr1k(i, i);
    m_.SetMirroring(m_.rom.mirroring);
  }
};
}  // namespace
std::unique_ptr<Mapper> CreateUxrom(Machine& machine) { return std::make_unique<Uxrom>(machine); }
}  // namespace mario_rl::nes
