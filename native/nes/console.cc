// Temporary skeleton so the contract compiles; replaced by the real machine.
#include "nes/console.h"

#include <cstring>
#include <vector>

#include "common/error.h"

namespace mario_rl::nes {

class Machine {
 public:
  uint8_t ram[2048] = {};
  uint8_t frame[kFrameWidth * kFrameHeight] = {};
  uint64_t frames = 0;
};

Console::Console(std::shared_ptr<const Rom> rom, const ConsoleOptions& options)
    : rom_(std::move(rom)), machine_(std::make_unique<Machine>()) {
  if (!rom_) throw Error("Console needs a ROM");
}
Console::~Console() = default;
void Console::StepFrame(uint8_t, bool) { ++machine_->frames; }
void Console::Reset() {}
uint8_t* Console::Ram() { return machine_->ram; }
const uint8_t* Console::Frame() const { return machine_->frame; }
uint8_t Console::Peek(uint16_t address) const { return address < 0x2000 ? machine_->ram[address & 0x7FF] : 0; }
void Console::Poke(uint16_t address, uint8_t value) {
  if (address >= 0x2000) throw RangeErrorOf("Poke address out of range");
  machine_->ram[address & 0x7FF] = value;
}
size_t Console::StateSize() const { return 2048; }
void Console::SaveState(uint8_t* out) const { std::memcpy(out, machine_->ram, 2048); }
void Console::LoadState(const uint8_t* data, size_t size) {
  if (size != 2048) throw Error("bad state size");
  std::memcpy(machine_->ram, data, 2048);
}
uint64_t Console::FrameCount() const { return machine_->frames; }
int Console::MapperNumber() const { return rom_->mapper; }
CpuRegisters Console::Cpu() const { return {}; }
void Console::SetCpu(const CpuRegisters&) {}
uint64_t Console::CpuCycles() const { return 0; }
void Console::StepInstruction() {}
std::string Console::TraceLine() const { return {}; }

}  // namespace mario_rl::nes
