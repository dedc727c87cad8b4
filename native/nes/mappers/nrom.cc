// NROM (mapper 0): 16 or 32 KiB PRG, 8 KiB CHR, no registers.
#include "nes/machine.h"

namespace mario_rl::nes {
namespace {
class Nrom final : public Mapper {
 public:
  using Mapper::Mapper;
  void Write(uint16_t, uint8_t) override {}
  void ApplyBanks() override {
    for (int i = 0; i < 4; ++i) m_.MapPrg8k(i, i);
    for (int i = 0; i < 8; ++i) m_.MapChr1k(i, i);
    m_.SetMirroring(m_.rom.mirroring);
  }
};
}  // namespace
std::unique_ptr<Mapper> CreateNrom(Machine& machine) { return std::make_unique<Nrom>(machine); }
}  // namespace mario_rl::nes
