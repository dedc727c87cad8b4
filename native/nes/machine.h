// The wiring of one console: state, cartridge memory, bank tables and the CPU bus. The CPU,
// PPU, APU and mapper each live in their own file and reach each other only through Machine.
// Hot path: RAM and PRG-ROM reads are inline table lookups; everything else goes through
// ReadIo/WriteIo. The PPU and APU are catch-up chips: they run only when the CPU touches them,
// when an interrupt-relevant event is due (Poll), or at the end of a frame.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "nes/apu.h"
#include "nes/console.h"
#include "nes/controller.h"
#include "nes/cpu.h"
#include "nes/idle_loop.h"
#include "nes/mappers/mapper.h"
#include "nes/pattern.h"
#include "nes/ppu.h"
#include "nes/state.h"

namespace mario_rl::nes {

// PPU dots per CPU cycle and the PPU clock an access in CPU cycle n observes: 3n + kPpuPhase.
constexpr int64_t kPpuPhase = 0;
// PPU register writes land this many dots after a read in the same cycle would.
constexpr int64_t kPpuWriteDelay = 1;

class Machine {
 public:
  Machine(std::shared_ptr<const Rom> rom, const ConsoleOptions& options);
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  void Power(const ConsoleOptions& options);
  void Reset();
  void RunFrame(uint8_t buttons, bool render);

  // CPU bus; every call is one CPU cycle (a DMC DMA due at this read steals its cycles first).
  uint8_t Read(uint16_t address) {
    if (s.cpu.cycles + 1 >= dmc_fetch_cycle) DmcDma(address);
    return ReadNoDma(address);
  }
  uint8_t ReadNoDma(uint16_t address) {
    ++s.cpu.cycles;
    if (address < 0x2000) return s.ram[address & 0x7FF];
    if (address >= 0x8000) return prg_map[(address >> 13) & 3][address & 0x1FFF];
    return ReadIo(address);
  }
  void Write(uint16_t address, uint8_t value) {
    ++s.cpu.cycles;
    if (address < 0x2000) {
      s.ram[address & 0x7FF] = value;
      return;
    }
    WriteIo(address, value);
  }
  void Tick() { ++s.cpu.cycles; }

  // Brings the PPU and APU up to the current CPU cycle.
  void SyncPpu() { ppu.Run(s.cpu.cycles * 3 + kPpuPhase); }
  void SyncAll();
  // Called after every instruction: runs the catch-up chips when an event is due.
  void Poll() {
    if (s.cpu.cycles >= next_sync_cycle) SyncAll();
  }
  void ScheduleSync();  // recomputes next_sync_cycle
  bool IrqLine() const { return (s.apu.frame_irq | s.apu.dmc_irq | s.mapper.irq_line) != 0; }

  uint8_t Peek(uint16_t address) const;
  uint8_t PpuPeek(uint16_t address) const;  // PPU bus, no side effects

  // Rebuilds pointer tables from state (after a mapper write or a state load).
  void ApplyBanks() { mapper->ApplyBanks(); }
  void SetMirroring(Mirroring mirroring);
  void MapPrg8k(int slot, int bank);  // slot 0..3 = $8000,$A000,$C000,$E000; negative = from end
  void MapChr1k(int slot, int bank);  // slot 0..7 = 1 KiB windows of $0000-$1FFF
  // A PPU write to CHR-RAM ($0000-$1FFF through chr_map), keeping its decoded row current.
  void WriteChr(uint16_t address, uint8_t value) {
    uint8_t* bank = chr_map[(address >> 10) & 7];
    bank[address & 0x3FF] = value;
    const unsigned plane0 = address & 0x3F7;
    chr_rows_map[(address >> 10) & 7][PatternRowIndex(address)] = DecodePatternRow(bank[plane0], bank[plane0 + 8]);
  }
  void DecodeChrRam();  // chr_ram_rows from chr_ram (after a state load)

  std::shared_ptr<const Rom> rom_ref;
  const Rom& rom;
  ConsoleState s;
  std::vector<uint8_t> prg_ram;  // PRG-RAM ($6000-$7FFF), size from the header
  std::vector<uint8_t> chr_ram;  // CHR-RAM when the cartridge has no CHR-ROM
  // CHR-RAM's pattern rows pre-decoded (pattern.h; derived, not state): chr_ram.size() / 2.
  std::vector<uint64_t> chr_ram_rows;
  const uint8_t* prg_map[4] = {};
  // prg_map again, for the CPU's reads: prg_read[address >> 13] + address is the host address of
  // PRG-ROM byte `address` ($8000-$FFFF: entries 4-7, each offset by its slot's first address, so
  // a read needs no masking). Kept by MapPrg8k; derived, not state.
  uintptr_t prg_read[8] = {};
  uint8_t* chr_map[8] = {};
  uint64_t* chr_rows_map[8] = {};  // the decoded rows of the banks in chr_map (Rom::chr_rows or chr_ram_rows)
  bool chr_writable = false;
  bool uses_a12 = false;       // the mapper watches PPU A12 (cached: asked once, not per event)
  bool line_fast_path = true;  // ConsoleOptions::line_fast_path && fast_paths
  bool fast_paths = true;      // ConsoleOptions::fast_paths (idle-loop fast-forward, the PPU's row cache)
  IdleLoops idle_loops;        // the fast-forward's check and its cache of busy loops (not state)
  std::unique_ptr<Mapper> mapper;
  Cpu cpu;
  Ppu ppu;
  Apu apu;
  Controller pad1{s.pad1}, pad2{s.pad2};
  uint64_t next_sync_cycle = 0;
  // Apu::DmcFetchCycle() as of the last ScheduleSync (not state: derived from it). The CPU runs
  // the instructions that start from dmc_watch_cycle = dmc_fetch_cycle - kDmcWatchCycles on its
  // watching path, whose reads check for the DMA. attention_cycle = min(next_sync_cycle,
  // dmc_watch_cycle): where the CPU's loop and the idle-loop fast-forward must stop and look.
  uint64_t dmc_fetch_cycle = UINT64_MAX;
  uint64_t dmc_watch_cycle = UINT64_MAX;
  uint64_t attention_cycle = 0;
  // The last OAM DMA: the CPU cycle of the $4014 write and the cycle the DMA ended on. Read by
  // the CPU's interrupt poll right after the instruction; not state (never live across a save).
  uint64_t oam_dma_write_cycle = 0;
  uint64_t oam_dma_end_cycle = 0;
  bool render = true;
  uint8_t own_frame[kFrameWidth * kFrameHeight] = {};
  uint8_t* frame = own_frame;  // where rendered pixels go (Console::SetFrameBuffer)

  // Everything but RAM and PRG-ROM; the cycle has already been counted.
  uint8_t ReadIo(uint16_t address);
  void WriteIo(uint16_t address, uint8_t value);
  // A DMC DMA that halts the CPU on its read of `address`, due now (CPU cycle + 1 >=
  // dmc_fetch_cycle): the halt cycle (the CPU's read goes out; it is repeated after the DMA, so
  // a register with read side effects sees two reads), a dummy cycle, an alignment cycle when
  // the next one is a put cycle, the get. 3 or 4 cycles.
  void DmcDma(uint16_t address);

 private:
  void OamDma(uint8_t page);
  void DmcGet();  // the DMC DMA's get cycle: the sample byte through the CPU bus
};

// How far ahead of a DMC fetch the CPU switches to its watching path: more than the longest
// instruction's reads (7 cycles).
constexpr uint64_t kDmcWatchCycles = 8;

}  // namespace mario_rl::nes
