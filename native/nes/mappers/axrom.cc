// AxROM (mapper 7): switchable 32 KiB PRG, single-screen mirroring chosen by bit 4, CHR-RAM.
#include "nes/machine.h"

namespace mario_rl::nes {
namespace {
class Axrom final : public Mapper {
 public:
  using Mapper::Mapper;
  void Write(uint16_t, uint8_t value) override {
    m_.s.mapper.regs[0] = value;
    ApplyBanks();
  }
  void ApplyBanks() override {
    const uint8_t r = m_.s.mapper.regs[0];
    const int bank = r & 0x07;
    for (int i = 0; i < 4; ++i) m_.MapPrg8k(i, bank * 4 + i);
    for (int i = 0; i < 8; ++i) m_.MapChr1k(i, i);
    m_.SetMirroring((r & 0x10) ? Mirroring::kSingleHigh : Mirroring::kSingleLow);
  }
};
}  // namespace
std::unique_ptr<Mapper> CreateAxrom(Machine& machine) { return std::make_unique<Axrom>(machine); }
}  // namespace mario_rl::nes
