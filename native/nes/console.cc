#include "nes/console.h"

#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "nes/machine.h"
#include "nes/state_check.h"

namespace mario_rl::nes {

namespace {
// Save-state layout: header, ConsoleState, PRG-RAM, CHR-RAM. Bump kStateVersion whenever
// ConsoleState or this layout changes (2: 32-bit sizes and a checksum of the body; 3: the PPU's
// open-bus decay; 4: the APU's DMC).
constexpr uint32_t kStateMagic = 0x534E524D;  // "MRNS" little-endian
constexpr uint32_t kStateVersion = 4;
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

// The body checksum: a Fletcher-style sum over 8-byte words in four lanes (word k of the body
// feeds lane k % 4: a += w, b += a, so b weighs each word by its position), finished with a
// multiply-rotate mix; a zero-padded last word holds any tail. The loop is adds only, and save and
// load fold it into the copy they make anyway, so it costs a fraction of a microsecond for ~15 KB.
// Not cryptographic: it catches accidental corruption; CheckConsoleState catches the rest.
class BodySum {
 public:
  // Copies `size` bytes (a multiple of 8) from src to dst (dst may be null: sum only), summing them.
  void CopyAndAdd(uint8_t* dst, const uint8_t* src, size_t size) {
    const size_t words = size / 8;
    size_t i = 0;
    for (; i < words && (words_ + i) % 4 != 0; ++i) AddWord(dst, src, i);  // realign to lane 0
      // Locals, not members, so the sums stay in registers; two 2-lane vectors where the compiler
      // has vector types (GCC, Clang), which is what makes the sum nearly as cheap as the copy.
#if defined(__GNUC__)
    using V2 = uint64_t __attribute__((vector_size(16)));
    V2 a01 = {a_[0], a_[1]}, a23 = {a_[2], a_[3]}, b01 = {b_[0], b_[1]}, b23 = {b_[2], b_[3]};
    for (; i + 4 <= words; i += 4) {
      V2 w01, w23;
      std::memcpy(&w01, src + i * 8, 16);
      std::memcpy(&w23, src + i * 8 + 16, 16);
      if (dst != nullptr) {
        std::memcpy(dst + i * 8, &w01, 16);
        std::memcpy(dst + i * 8 + 16, &w23, 16);
      }
      a01 += w01;
      a23 += w23;
      b01 += a01;
      b23 += a23;
    }
    a_[0] = a01[0], a_[1] = a01[1], a_[2] = a23[0], a_[3] = a23[1];
    b_[0] = b01[0], b_[1] = b01[1], b_[2] = b23[0], b_[3] = b23[1];
#else
    for (; i + 4 <= words; i += 4) {
      for (int j = 0; j < 4; ++j) {
        const uint64_t w = LoadWord(src + (i + j) * 8);
        if (dst != nullptr) std::memcpy(dst + (i + j) * 8, &w, 8);
        a_[j] += w;
        b_[j] += a_[j];
      }
    }
#endif
    for (; i < words; ++i) AddWord(dst, src, i);
    words_ += words;
    bytes_ += size;
  }
  void AddTail(const uint8_t* src, size_t size) {  // size < 8
    uint8_t tail[8] = {};
    std::memcpy(tail, src, size);
    AddWord(nullptr, tail, 0);
    ++words_;
    bytes_ += size;
  }
  uint64_t Digest() const {
    uint64_t h = bytes_;
    for (int j = 0; j < 4; ++j) {
      h = Rotl(h ^ a_[j], 27) * kChecksumMix;
      h = Rotl(h ^ b_[j], 31) * kChecksumPrime;
    }
    return h ^ (h >> 29);
  }

 private:
  void AddWord(uint8_t* dst, const uint8_t* src, size_t i) {
    const uint64_t w = LoadWord(src + i * 8);
    if (dst != nullptr) std::memcpy(dst + i * 8, &w, 8);
    const size_t lane = (words_ + i) % 4;
    a_[lane] += w;
    b_[lane] += a_[lane];
  }
  uint64_t a_[4] = {1, 2, 3, 4};
  uint64_t b_[4] = {kChecksumPrime, kChecksumMix, ~kChecksumPrime, ~kChecksumMix};
  size_t words_ = 0;
  size_t bytes_ = 0;
};
static_assert(sizeof(ConsoleState) % 8 == 0, "the body checksum copies ConsoleState in 8-byte words");
}  // namespace

uint64_t StateChecksum(const uint8_t* data, size_t size) {
  BodySum sum;
  sum.CopyAndAdd(nullptr, data, size & ~size_t{7});
  if (size % 8 != 0) sum.AddTail(data + (size & ~size_t{7}), size % 8);
  return sum.Digest();
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

struct Console::Staged {
  ConsoleState s;
  std::vector<uint8_t> prg_ram, chr_ram;
};

Console::~Console() = default;

void Console::StepFrame(uint8_t buttons, bool render) { machine_->RunFrame(buttons, render); }
void Console::Reset() { machine_->Reset(); }
uint8_t* Console::Ram() { return machine_->s.ram; }
const uint8_t* Console::Frame() const { return machine_->frame; }
void Console::SetFrameBuffer(uint8_t* pixels) { machine_->frame = pixels ? pixels : machine_->own_frame; }
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
  uint8_t* at = out + sizeof(StateHeader);
  BodySum sum;
  sum.CopyAndAdd(at, reinterpret_cast<const uint8_t*>(&m.s), sizeof m.s);
  at += sizeof m.s;
  sum.CopyAndAdd(at, m.prg_ram.data(), m.prg_ram.size());
  at += m.prg_ram.size();
  sum.CopyAndAdd(at, m.chr_ram.data(), m.chr_ram.size());
  const StateHeader header{kStateMagic,
                           kStateVersion,
                           rom_->hash,
                           static_cast<uint32_t>(StateSize()),
                           static_cast<uint32_t>(sizeof(ConsoleState)),
                           sum.Digest()};
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
  // Everything is staged and checked first, so a rejected state leaves the console untouched;
  // the staged cartridge RAM is then swapped in (the bank tables are rebuilt below).
  Machine& m = *machine_;
  if (!staged_) staged_ = std::make_unique<Staged>();
  Staged& staged = *staged_;
  staged.prg_ram.resize(m.prg_ram.size());
  staged.chr_ram.resize(m.chr_ram.size());
  const uint8_t* body = data + sizeof header;
  BodySum sum;
  sum.CopyAndAdd(reinterpret_cast<uint8_t*>(&staged.s), body, sizeof(ConsoleState));
  body += sizeof(ConsoleState);
  sum.CopyAndAdd(staged.prg_ram.data(), body, staged.prg_ram.size());
  body += staged.prg_ram.size();
  sum.CopyAndAdd(staged.chr_ram.data(), body, staged.chr_ram.size());
  if (sum.Digest() != header.body_checksum) {
    throw Error("Invalid save state: state is corrupt (the checksum of its body does not match)");
  }
  const std::string problem = CheckConsoleState(staged.s, *m.mapper);
  if (!problem.empty()) throw Error("Invalid save state: " + problem);
  m.s = staged.s;
  m.prg_ram.swap(staged.prg_ram);
  m.chr_ram.swap(staged.chr_ram);
  m.DecodeChrRam();
  m.ApplyBanks();
  m.ppu.InvalidateLineCaches();
  m.ppu.InvalidateOamCache();
  m.ppu.InvalidateRowCache();
  m.oam_dma_write_cycle = m.oam_dma_end_cycle = 0;  // a DMA of the old timeline must not match
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
