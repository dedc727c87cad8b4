// Every mutable register and memory of the console in one trivially-copyable struct, so a save
// state is a memcpy (plus the cartridge's PRG-RAM and CHR-RAM, whose sizes depend on the ROM).
// Pointers (bank tables) are never stored here: they are rebuilt from these fields after a load.
#pragma once

#include <cstdint>
#include <type_traits>

namespace mario_rl::nes {

struct CpuState {
  uint16_t pc = 0;
  uint8_t a = 0, x = 0, y = 0, sp = 0xFD, p = 0x24;
  uint8_t nmi_pending = 0;  // an NMI edge was seen and not yet serviced
  uint64_t cycles = 0;      // CPU cycles since power-on
  uint64_t nmi_clock = 0;   // PPU clock of the pending NMI edge
};

// One sprite fetched for the line being drawn.
struct SpriteSlot {
  uint8_t x, attr, lo, hi;
};

struct PpuState {
  uint8_t ctrl = 0, mask = 0, status = 0, oam_addr = 0;
  uint16_t v = 0, t = 0;
  uint8_t fine_x = 0, w = 0, read_buffer = 0, open_bus = 0;
  int16_t line = 0, dot = 0;  // position: scanline 0..261, dot 0..340
  uint64_t clock = 0;         // PPU dots since power-on
  uint8_t odd_frame = 0;
  uint8_t vbl_suppressed = 0;  // $2002 was read just before VBL would set this frame
  uint8_t frame_done = 0;      // VBL started since the console last returned a frame
  uint8_t sprite_count = 0;    // sprites on the line being drawn
  uint8_t sprite0_on_line = 0;
  uint8_t next_sprite_count = 0;
  uint8_t next_sprite0 = 0;
  uint8_t skip_last_dot = 0;     // odd frame with rendering on: pre-render line is one dot short
  uint8_t a12_high = 0;          // PPU address line A12 as last driven by CPU accesses
  int16_t sprite0_hit_dot = -1;  // dot at which sprite-0 hit sets on this line, -1 none
  int16_t rendered_x = 0;        // pixels already produced on this line
  uint64_t a12_low_cycle = 0;    // CPU cycle A12 last went low
  SpriteSlot sprites[8] = {};
  SpriteSlot next_sprites[8] = {};
  uint16_t nt_offset[4] = {0, 0x400, 0, 0x400};  // nametable -> vram offset (mirroring)
  uint8_t oam[256] = {};
  uint8_t palette[32] = {};
  uint8_t vram[4096] = {};  // 2 KiB used unless the cartridge has four-screen VRAM
  // PPU clock the bits of open_bus were last driven (they decay), per group of bits that are
  // always driven together: [0] bits 7-6, [1] bit 5, [2] bits 4-0.
  uint64_t open_bus_clock[3] = {};
  uint8_t warming_up = 0;  // after power/reset, until the pre-render line: $2000/1/5/6 writes ignored
};

struct ApuState {
  uint64_t cycles = 0;              // CPU cycle the APU has been run to
  uint64_t frame_reset_cycle = 0;   // CPU cycle the frame sequencer (re)started
  uint64_t pending_4017_cycle = 0;  // when a $4017 write takes effect (0: none)
  uint8_t pending_4017 = 0;
  uint8_t frame_mode = 0;  // 0: 4-step, 1: 5-step
  uint8_t irq_inhibit = 0;
  uint8_t frame_irq = 0;
  uint8_t enabled = 0;  // $4015 channel enables (bits 0-4)
  uint8_t dmc_irq = 0;
  uint8_t length[4] = {};
  uint8_t halt[4] = {};
  uint32_t frame_step = 0;  // index of the next sequencer step
  // DMC (delta modulation channel), as far as the CPU can observe it: the timer, the output
  // unit's bit counter, the sample buffer and the memory reader whose fetches are DMC DMAs.
  uint64_t dmc_clock_cycle = 0;     // CPU cycle of the timer's next clock (always a put cycle)
  uint64_t dmc_fetch_cycle = 0;     // CPU cycle a requested fetch (DMA) tries to halt from (0: none)
  uint16_t dmc_period = 0;          // timer period in CPU cycles ($4010 rate index, NTSC table)
  uint16_t dmc_sample_address = 0;  // $4012: $C000 + A * 64
  uint16_t dmc_sample_length = 0;   // $4013: L * 16 + 1
  uint16_t dmc_address = 0;         // the reader's next address
  uint16_t dmc_bytes_left = 0;      // bytes the reader has still to fetch
  uint8_t dmc_bits_left = 0;        // output unit: bits left in this output cycle (1..8)
  uint8_t dmc_buffer_full = 0;
  uint8_t dmc_buffer = 0;
  uint8_t dmc_irq_enabled = 0;
  uint8_t dmc_loop = 0;
  uint8_t dmc_level = 0;  // $4011 output level (no audio is synthesised)
};

struct MapperState {
  uint8_t regs[16] = {};
  uint8_t shift = 0, shift_count = 0;
  uint8_t irq_counter = 0, irq_latch = 0, irq_enabled = 0, irq_reload = 0, irq_line = 0;
  uint8_t prg_ram_enabled = 1;
  uint64_t last_write_cycle = 0;
};

struct ControllerState {
  uint8_t buttons = 0;  // joypad 1 held this frame
  uint8_t shift = 0;    // bits left to shift out
  uint8_t strobe = 0;
  uint8_t reads = 0;
};

struct ConsoleState {
  CpuState cpu;
  PpuState ppu;
  ApuState apu;
  MapperState mapper;
  ControllerState pad1, pad2;
  uint64_t frame_count = 0;
  uint64_t irq_clock = 0;  // PPU clock when the IRQ line last rose
  uint8_t ram[2048] = {};
};

static_assert(std::is_trivially_copyable_v<ConsoleState>, "save states memcpy ConsoleState");

}  // namespace mario_rl::nes
