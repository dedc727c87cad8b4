#include "nes/console.h"

#include <cstring>
#include <string>

#include "common/error.h"
#include "nes/machine.h"

namespace mario_rl::nes {

namespace {
// Save-state layout: header, ConsoleState, PRG-RAM, CHR-RAM. Bump kStateVersion whenever
// ConsoleState or this layout changes.
constexpr uint32_t kStateMagic = 0x534E524D;  // "MRNS" little-endian
constexpr uint32_t kStateVersion = 1;
struct StateHeader {
  uint32_t magic;
  uint32_t version;
  uint64_t rom_hash;
  uint64_t total_size;
  uint64_t state_struct_size;
};
static_assert(sizeof(StateHeader) == 32, "state header is 32 bytes");
}  // namespace

Console::Console(std::shared_ptr<const Rom> rom, const ConsoleOptions& options) : rom_(std::move(rom)) {
  if (!rom_) throw Error("Console needs a parsed ROM but received none");
  machine_ = std::make_unique<Machine>(rom_, options);
}

Console::~Console() = default;

void Console::StepFrame(uint8_t buttons, bool render) { machine_->RunFrame(buttons, render); }
void Console::Reset() { machine_->Reset(); }
uint8_t* Console::Ram() { return machine_->s.ram; }
const uint8_t* Console::Frame() const { return machine_->frame; }
uint8_t Console::Peek(uint16_t address) const { return machine_->Peek(address); }

void Console::Poke(uint16_t address, uint8_t value) {
  if (address < 0x2000) {
    machine_->s.ram[address & 0x7FF] = value;
    return;
  }
  if (address >= 0x6000 && address < 0x8000 && !machine_->prg_ram.empty()) {
    machine_->prg_ram[(address - 0x6000) % machine_->prg_ram.size()] = value;
    return;
  }
  throw RangeErrorOf(ExpectedMessage(machine_->prg_ram.empty()
                                         ? "an address in [0x0000, 0x1FFF] (this cartridge has no PRG-RAM)"
                                         : "an address in [0x0000, 0x1FFF] or [0x6000, 0x7FFF]",
                                     "address", std::to_string(address)));
}

size_t Console::StateSize() const {
  return sizeof(StateHeader) + sizeof(ConsoleState) + machine_->prg_ram.size() + machine_->chr_ram.size();
}

void Console::SaveState(uint8_t* out) const {
  const Machine& m = *machine_;
  const StateHeader header{kStateMagic, kStateVersion, rom_->hash, StateSize(), sizeof(ConsoleState)};
  std::memcpy(out, &header, sizeof header);
  out += sizeof header;
  std::memcpy(out, &m.s, sizeof m.s);
  out += sizeof m.s;
  if (!m.prg_ram.empty()) std::memcpy(out, m.prg_ram.data(), m.prg_ram.size());
  out += m.prg_ram.size();
  if (!m.chr_ram.empty()) std::memcpy(out, m.chr_ram.data(), m.chr_ram.size());
}

void Console::LoadState(const uint8_t* data, size_t size) {
  if (data == nullptr || size < sizeof(StateHeader)) {
    throw Error("Invalid save state: expected " + std::to_string(StateSize()) + " bytes but received " +
                std::to_string(size));
  }
  StateHeader header;
  std::memcpy(&header, data, sizeof header);
  if (header.magic != kStateMagic) throw Error("Invalid save state: bad magic (not a mario-rl NES state)");
  if (header.version != kStateVersion || header.state_struct_size != sizeof(ConsoleState)) {
    throw Error("Invalid save state: version " + std::to_string(header.version) + " is not the supported version " +
                std::to_string(kStateVersion));
  }
  if (header.rom_hash != rom_->hash) throw Error("Invalid save state: it was saved from a different ROM");
  if (size != StateSize() || header.total_size != StateSize()) {
    throw Error("Invalid save state: expected " + std::to_string(StateSize()) + " bytes but received " +
                std::to_string(size));
  }
  Machine& m = *machine_;
  data += sizeof header;
  std::memcpy(&m.s, data, sizeof m.s);
  data += sizeof m.s;
  if (!m.prg_ram.empty()) std::memcpy(m.prg_ram.data(), data, m.prg_ram.size());
  data += m.prg_ram.size();
  if (!m.chr_ram.empty()) std::memcpy(m.chr_ram.data(), data, m.chr_ram.size());
  m.ApplyBanks();
  m.ppu.InvalidateLineCaches();
  m.ppu.InvalidateOamCache();
  m.ScheduleSync();
}

uint8_t Console::PeekPpu(uint16_t address) const { return machine_->ppu.PeekVram(address); }

uint64_t Console::FrameCount() const { return machine_->s.frame_count; }
int Console::MapperNumber() const { return rom_->mapper; }

CpuRegisters Console::Cpu() const {
  const CpuState& c = machine_->s.cpu;
  return CpuRegisters{c.pc, c.a, c.x, c.y, c.p, c.sp};
}

void Console::SetCpu(const CpuRegisters& regs) {
  CpuState& c = machine_->s.cpu;
  c.pc = regs.pc;
  c.a = regs.a;
  c.x = regs.x;
  c.y = regs.y;
  c.p = regs.p;
  c.sp = regs.sp;
}

uint64_t Console::CpuCycles() const { return machine_->s.cpu.cycles; }
void Console::StepInstruction() { machine_->cpu.Step(); }
std::string Console::TraceLine() const { return machine_->cpu.TraceLine(); }

}  // namespace mario_rl::nes
