// CNROM (mapper 3): fixed PRG, switchable 8 KiB CHR.
#include "nes/machine.h"

namespace mario_rl::nes {
namespace {
class Cnrom final : public Mapper {
 public:
  using Mapper::Mapper;
  void Write(uint16_t, uint8_t value) override {
    m_.s.mapper.regs[0] = value;
    ApplyBanks();
  }
  void ApplyBanks() override {
    for (int i = 0; i < 4; ++i) m_.MapPrg8k(i, i);
    const int bank = m_.s.mapper.regs[0] & 0x03;
    for (int i = 0; i < 8; ++i) m_.MapChr1k(i, bank * 8 + i);
    m_.SetMirroring(m_.rom.mirroring);
  }
};
}  // namespace
std::unique_ptr<Mapper> CreateCnrom(Machine& machine) { return std::make_unique<Cnrom>(machine); }
}  // namespace mario_rl::nes
