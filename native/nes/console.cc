#include "nes/console.h"

#include <cstddef>
#include <cstring>
#include <string>

#include "common/error.h"
#include "nes/machine.h"
#include "nes/state_check.h"

namespace mario_rl::nes {

namespace {
// Save-state layout: header, ConsoleState, PRG-RAM, CHR-RAM. Bump kStateVersion whenever
// ConsoleState or this layout changes (2: 32-bit sizes and a checksum of the body).
constexpr uint32_t kStateMagic = 0x534E524D;  // "MRNS" little-endian
constexpr uint32_t kStateVersion = 2;
struct StateHeader {
  uint32_t magic;
  uint32_t version;
  uint64_t rom_hash;
  uint32_t total_size;
  uint32_t state_struct_size;
  uint64_t body_checksum;  // StateChecksum of everything after the header
};
static_assert(sizeof(StateHeader) == 32, "state header is 32 bytes");

inline uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
inline uint64_t LoadWord(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;  // little-endian hosts only (x86-64, arm64), like the rest of the state format
}
constexpr uint64_t kChecksumPrime = 0x9E3779B97F4A7C15ULL;
constexpr uint64_t kChecksumMix = 0xBF58476D1CE4E5B9ULL;
}  // namespace

// Multiply-rotate over 8-byte words in four independent lanes (word k feeds lane k % 4), so the
// multiplies overlap and ~15 KB hash in well under a microsecond; a zero-padded last word holds
// any tail. Not cryptographic: it catches accidental corruption; CheckConsoleState catches the rest.
uint64_t StateChecksum(const uint8_t* data, size_t size) {
  uint64_t lane[4] = {kChecksumPrime, kChecksumMix, ~kChecksumPrime, ~kChecksumMix};
  const size_t words = size / 8;
  size_t k = 0;
  for (; k + 4 <= words; k += 4) {
    for (int j = 0; j < 4; ++j) lane[j] = Rotl((lane[j] ^ LoadWord(data + (k + j) * 8)) * kChecksumPrime, 31);
  }
  for (; k < words; ++k) lane[k % 4] = Rotl((lane[k % 4] ^ LoadWord(data + k * 8)) * kChecksumPrime, 31);
  if (size % 8 != 0) {
    uint8_t tail[8] = {};
    std::memcpy(tail, data + words * 8, size % 8);
    lane[k % 4] = Rotl((lane[k % 4] ^ LoadWord(tail)) * kChecksumPrime, 31);
  }
  uint64_t h = size;
  for (int j = 0; j < 4; ++j) h = Rotl(h ^ lane[j], 27) * kChecksumMix;
  h ^= h >> 31;
  h *= kChecksumPrime;
  return h ^ (h >> 29);
}

void SealState(uint8_t* data, size_t size) {
  if (data == nullptr || size < sizeof(StateHeader)) {
    throw Error(ExpectedMessage("a save state of at least 32 bytes", "state", std::to_string(size) + " bytes"));
  }
  const uint64_t checksum = StateChecksum(data + sizeof(StateHeader), size - sizeof(StateHeader));
  std::memcpy(data + offsetof(StateHeader, body_checksum), &checksum, sizeof checksum);
}

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
  uint8_t* const body = out + sizeof(StateHeader);
  uint8_t* at = body;
  std::memcpy(at, &m.s, sizeof m.s);
  at += sizeof m.s;
  if (!m.prg_ram.empty()) std::memcpy(at, m.prg_ram.data(), m.prg_ram.size());
  at += m.prg_ram.size();
  if (!m.chr_ram.empty()) std::memcpy(at, m.chr_ram.data(), m.chr_ram.size());
  const size_t total = StateSize();
  const StateHeader header{kStateMagic,
                           kStateVersion,
                           rom_->hash,
                           static_cast<uint32_t>(total),
                           static_cast<uint32_t>(sizeof(ConsoleState)),
                           StateChecksum(body, total - sizeof(StateHeader))};
  std::memcpy(out, &header, sizeof header);
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
  const uint8_t* body = data + sizeof header;
  if (StateChecksum(body, size - sizeof header) != header.body_checksum) {
    throw Error("Invalid save state: state is corrupt (the checksum of its body does not match)");
  }
  // Everything is checked on a staged copy, so a rejected state leaves the console untouched.
  Machine& m = *machine_;
  if (!staged_) staged_ = std::make_unique<ConsoleState>();
  std::memcpy(staged_.get(), body, sizeof(ConsoleState));
  const std::string problem = CheckConsoleState(*staged_, *m.mapper);
  if (!problem.empty()) throw Error("Invalid save state: " + problem);
  m.s = *staged_;
  body += sizeof(ConsoleState);
  if (!m.prg_ram.empty()) std::memcpy(m.prg_ram.data(), body, m.prg_ram.size());
  body += m.prg_ram.size();
  if (!m.chr_ram.empty()) std::memcpy(m.chr_ram.data(), body, m.chr_ram.size());
  m.ApplyBanks();
  m.ppu.InvalidateLineCaches();
  m.ppu.InvalidateOamCache();
  m.ppu.InvalidateRowCache();
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
