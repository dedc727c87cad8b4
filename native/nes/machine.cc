#include "nes/machine.h"

#include <algorithm>
#include <cstring>

#include "common/rng.h"

namespace mario_rl::nes {

Machine::Machine(std::shared_ptr<const Rom> rom_in, const ConsoleOptions& options)
    : rom_ref(std::move(rom_in)), rom(*rom_ref), cpu(*this), ppu(*this), apu(*this) {
  prg_ram.assign(rom.prg_ram_size, 0);
  chr_ram.assign(rom.chr_ram_size, 0);
  chr_ram_rows.assign(rom.chr_ram_size / 2, 0);
  chr_writable = rom.chr.empty();
  mapper = CreateMapper(rom.mapper, *this);
  uses_a12 = mapper->UsesA12();
  line_fast_path = options.line_fast_path && options.fast_paths;
  fast_paths = options.fast_paths;
  Power(options);
}

void Machine::Power(const ConsoleOptions& options) {
  std::memset(static_cast<void*>(&s), 0, sizeof s);
  oam_dma_write_cycle = oam_dma_end_cycle = 0;
  switch (options.power_on_ram) {
    case PowerOnRam::kZero: break;
    case PowerOnRam::kFF: std::memset(s.ram, 0xFF, sizeof s.ram); break;
    case PowerOnRam::kRandom: {
      Rng rng(options.seed);
      for (size_t i = 0; i < sizeof s.ram; i += 8) {
        const uint64_t word = rng.NextU64();
        std::memcpy(s.ram + i, &word, 8);
      }
      break;
    }
  }
  std::fill(prg_ram.begin(), prg_ram.end(), 0);
  std::fill(chr_ram.begin(), chr_ram.end(), 0);
  std::fill(chr_ram_rows.begin(), chr_ram_rows.end(), 0);
  if (!rom.trainer.empty() && prg_ram.size() >= 0x1200) {
    std::memcpy(prg_ram.data() + 0x1000, rom.trainer.data(), rom.trainer.size());
  }
  s.mapper.prg_ram_enabled = 1;
  mapper->PowerOn();
  mapper->ApplyBanks();
  ppu.PowerOn();
  apu.PowerOn();
  cpu.PowerOn();
  ScheduleSync();
}

void Machine::Reset() {
  SyncAll();
  ppu.Reset();
  apu.Reset();
  cpu.Reset();
  ScheduleSync();
}

void Machine::RunFrame(uint8_t buttons, bool render_frame) {
  s.pad1.buttons = buttons;
  render = render_frame;
  s.ppu.frame_done = 0;
  cpu.RunUntilFrameDone();
  apu.SettleDmc(s.cpu.cycles);
  ++s.frame_count;
}

void Machine::SyncAll() {
  SyncPpu();
  apu.Run(s.cpu.cycles);
  ScheduleSync();
}

void Machine::ScheduleSync() {
  // With fast paths, sync only at the A12 rise that can raise the mapper's IRQ, not at every one.
  const int a12_rises = uses_a12 && fast_paths ? mapper->A12RisesUntilIrq() : 1;
  const uint64_t ppu_next = ppu.NextInterruptClock(a12_rises);
  const uint64_t ppu_cycle = (ppu_next - kPpuPhase + 2) / 3;
  next_sync_cycle = std::min(ppu_cycle, apu.NextEventCycle());
  dmc_fetch_cycle = apu.DmcFetchCycle();
  dmc_watch_cycle = dmc_fetch_cycle > kDmcWatchCycles ? dmc_fetch_cycle - kDmcWatchCycles : 0;
  attention_cycle = std::min(next_sync_cycle, dmc_watch_cycle);
}

void Machine::SetMirroring(Mirroring mirroring) {
  uint16_t* nt = s.ppu.nt_offset;
  uint16_t before[4];
  std::memcpy(before, nt, sizeof before);
  switch (mirroring) {
    case Mirroring::kHorizontal:
      nt[0] = 0;
      nt[1] = 0;
      nt[2] = 0x400;
      nt[3] = 0x400;
      break;
    case Mirroring::kVertical:
      nt[0] = 0;
      nt[1] = 0x400;
      nt[2] = 0;
      nt[3] = 0x400;
      break;
    case Mirroring::kFourScreen:
      nt[0] = 0;
      nt[1] = 0x400;
      nt[2] = 0x800;
      nt[3] = 0xC00;
      break;
    case Mirroring::kSingleLow: nt[0] = nt[1] = nt[2] = nt[3] = 0; break;
    case Mirroring::kSingleHigh: nt[0] = nt[1] = nt[2] = nt[3] = 0x400; break;
  }
  // Mappers re-apply their mirroring on every register write; only a change moves pixels.
  if (std::memcmp(before, nt, sizeof before) == 0) return;
  ppu.InvalidateLineCaches();
  ppu.InvalidateRowCache();
}

void Machine::MapPrg8k(int slot, int bank) {
  const int count = static_cast<int>(rom.prg.size() / 8192);
  bank %= count;
  if (bank < 0) bank += count;
  prg_map[slot] = rom.prg.data() + static_cast<size_t>(bank) * 8192;
  prg_read[4 + slot] = reinterpret_cast<uintptr_t>(prg_map[slot]) - (0x8000 + static_cast<uintptr_t>(slot) * 0x2000);
}

void Machine::MapChr1k(int slot, int bank) {
  uint8_t* base = chr_writable ? chr_ram.data() : const_cast<uint8_t*>(rom.chr.data());
  const size_t size = chr_writable ? chr_ram.size() : rom.chr.size();
  const int count = static_cast<int>(size / 1024);
  bank %= count;
  if (bank < 0) bank += count;
  uint64_t* rows = chr_writable ? chr_ram_rows.data() : const_cast<uint64_t*>(rom.chr_rows.data());
  uint64_t* const bank_rows = rows + static_cast<size_t>(bank) * kPatternRowsPer1k;
  // Mappers re-apply every bank on each register write; only a bank that moves changes pixels.
  if (chr_rows_map[slot] == bank_rows) return;
  chr_map[slot] = base + static_cast<size_t>(bank) * 1024;
  chr_rows_map[slot] = bank_rows;
  ppu.InvalidateLineCaches();
  ppu.InvalidateRowCache();  // it holds pointers into the old bank's rows
}

void Machine::DecodeChrRam() { DecodePatterns(chr_ram.data(), chr_ram.size(), chr_ram_rows.data()); }

uint8_t Machine::ReadIo(uint16_t address) {
  if (address < 0x4000) {
    SyncPpu();
    return ppu.ReadRegister(address);
  }
  if (address < 0x4020) {
    switch (address) {
      case 0x4015: return apu.ReadStatus();
      case 0x4016: return pad1.Read();
      case 0x4017: return pad2.Read();
      default: return static_cast<uint8_t>(address >> 8);
    }
  }
  if (address >= 0x6000 && !prg_ram.empty() && s.mapper.prg_ram_enabled) {
    return prg_ram[(address - 0x6000) % prg_ram.size()];
  }
  return static_cast<uint8_t>(address >> 8);
}

void Machine::WriteIo(uint16_t address, uint8_t value) {
  if (address < 0x4000) {
    ppu.Run(s.cpu.cycles * 3 + kPpuPhase + kPpuWriteDelay);
    ppu.WriteRegister(address, value);
    ScheduleSync();
    return;
  }
  if (address < 0x4020) {
    if (address == 0x4014) {
      OamDma(value);
    } else if (address == 0x4016) {
      pad1.WriteStrobe(value);
      pad2.WriteStrobe(value);
    } else {
      apu.WriteRegister(address, value);
      ScheduleSync();
    }
    return;
  }
  if (address < 0x6000) return;
  if (address < 0x8000) {
    if (!prg_ram.empty() && s.mapper.prg_ram_enabled) prg_ram[(address - 0x6000) % prg_ram.size()] = value;
    return;
  }
  SyncPpu();  // bank switches must not affect pixels or A12 clocks already due
  ppu.DrawToCurrentDot();
  mapper->Write(address, value);
  ScheduleSync();
}

void Machine::OamDma(uint8_t page) {
  // 513 cycles, 514 when the DMA starts on an odd CPU cycle: the halt, an alignment cycle if the
  // next one is a put, then 256 gets (odd cycle numbers) and puts.
  oam_dma_write_cycle = s.cpu.cycles;
  Tick();
  if (s.cpu.cycles & 1) Tick();
  const uint16_t base = static_cast<uint16_t>(page << 8);
  for (int i = 0; i < 256;) {
    // A DMC fetch whose halt and dummy cycles have passed (the CPU is halted already) takes this
    // get cycle; OAM DMA, with nothing to put, realigns on the next cycle: 2 cycles in all.
    if (s.cpu.cycles > dmc_fetch_cycle) {
      DmcGet();
      Tick();
      continue;
    }
    const uint8_t value = ReadNoDma(static_cast<uint16_t>(base + i));
    Tick();
    ppu.WriteOam(value);
    ++i;
  }
  // A DMC fetch that halted during the last get/put finishes before the CPU resumes: its get
  // on the next cycle (1 cycle) or, halted on the very last put, after a dummy and an alignment
  // cycle (3 cycles).
  if (dmc_fetch_cycle <= s.cpu.cycles) {
    while (s.cpu.cycles <= dmc_fetch_cycle || !((s.cpu.cycles + 1) & 1)) Tick();
    DmcGet();
  }
  oam_dma_end_cycle = s.cpu.cycles;
}

void Machine::DmcDma(uint16_t address) {
  // The halted CPU keeps driving its read on the halt, dummy and alignment cycles. The PPU sees
  // each of those cycles as a read of its register (an extra $2007 increment or $2002 clear per
  // cycle); a joypad sees one contiguous read (one extra shift), as does the APU's $4015. RAM and
  // ROM reads have no side effects. The CPU's own read comes after the get.
  const bool io = address >= 0x2000 && address < 0x4020;
  const bool ppu_register = address < 0x4000;
  ++s.cpu.cycles;  // halt
  if (io) ReadIo(address);
  ++s.cpu.cycles;  // dummy
  if (io && ppu_register) ReadIo(address);
  if (!((s.cpu.cycles + 1) & 1)) {  // alignment: gets are on odd cycle numbers
    ++s.cpu.cycles;
    if (io && ppu_register) ReadIo(address);
  }
  DmcGet();
}

void Machine::DmcGet() {
  apu.Run(s.cpu.cycles);  // an output cycle that ended since the request empties the buffer now
  ++s.cpu.cycles;
  if (s.apu.dmc_fetch_cycle) {
    // Samples live at $8000-$FFFF (they start at $C000 and wrap to $8000): PRG through the bus.
    const uint16_t address = s.apu.dmc_address;
    apu.DmcFetched(prg_map[(address >> 13) & 3][address & 0x1FFF], s.cpu.cycles);
  }
  ScheduleSync();
}

uint8_t Machine::Peek(uint16_t address) const {
  if (address < 0x2000) return s.ram[address & 0x7FF];
  if (address < 0x4000) return ppu.PeekRegister(address);
  if (address < 0x4020) {
    if (address == 0x4015) return apu.PeekStatus();
    if (address == 0x4016) return pad1.Peek();
    if (address == 0x4017) return pad2.Peek();
    return static_cast<uint8_t>(address >> 8);
  }
  if (address < 0x6000) return static_cast<uint8_t>(address >> 8);
  if (address < 0x8000) {
    if (prg_ram.empty() || !s.mapper.prg_ram_enabled) return static_cast<uint8_t>(address >> 8);
    return prg_ram[(address - 0x6000) % prg_ram.size()];
  }
  return prg_map[(address >> 13) & 3][address & 0x1FFF];
}

}  // namespace mario_rl::nes
