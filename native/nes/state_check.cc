#include "nes/state_check.h"

#include <string>

#include "common/error.h"
#include "nes/mappers/mapper.h"

namespace mario_rl::nes {

namespace {
// The catch-up chips run at least once per frame (VBL is always a scheduled event), so in a real
// state the PPU and APU trail the CPU by less than one frame (29,781 CPU cycles). Four frames of
// slack keeps every genuine state and still bounds the work the first StepFrame can be asked for.
constexpr uint64_t kMaxLagCycles = 4 * 29781;
// The APU frame sequencer's longest period (5-step mode), in CPU cycles.
constexpr uint64_t kMaxSequencerPeriod = 37282;
// Far beyond any real run (~1.8e12 hours) and small enough that cycles * 3 cannot overflow.
constexpr uint64_t kMaxCycles = uint64_t{1} << 60;

std::string Bad(const std::string& what, const char* field, uint64_t got) {
  return ExpectedMessage(what, field, std::to_string(got));
}
std::string BadSigned(const std::string& what, const char* field, int64_t got) {
  return ExpectedMessage(what, field, std::to_string(got));
}

// First flag (0 or 1) out of range, or "".
std::string CheckFlags(std::initializer_list<std::pair<const char*, uint8_t>> flags) {
  for (const auto& [name, value] : flags) {
    if (value > 1) return Bad("0 or 1", name, value);
  }
  return {};
}

std::string CheckCpu(const CpuState& c) {
  if (c.cycles > kMaxCycles) return Bad("a CPU cycle count below 2^60", "cpu.cycles", c.cycles);
  return CheckFlags({{"cpu.nmi_pending", c.nmi_pending}});
}

std::string CheckPpu(const PpuState& p, uint64_t cpu_cycles) {
  if (p.line < 0 || p.line > 261) return BadSigned("a scanline in [0, 261]", "ppu.line", p.line);
  if (p.dot < 0 || p.dot > 340) return BadSigned("a dot in [0, 340]", "ppu.dot", p.dot);
  // The PPU runs at 3 dots per CPU cycle; a register write may put it one cycle ahead.
  const uint64_t cpu_dots = cpu_cycles * 3;
  if (p.clock > cpu_dots + 3 || p.clock + kMaxLagCycles * 3 < cpu_dots) {
    return Bad("a PPU clock within " + std::to_string(kMaxLagCycles * 3) + " dots of 3 × cpu.cycles (" +
                   std::to_string(cpu_dots) + ")",
               "ppu.clock", p.clock);
  }
  if (p.fine_x > 7) return Bad("a fine X scroll in [0, 7]", "ppu.fine_x", p.fine_x);
  if (p.v > 0x7FFF) return Bad("a 15-bit VRAM address", "ppu.v", p.v);
  if (p.t > 0x7FFF) return Bad("a 15-bit VRAM address", "ppu.t", p.t);
  if (p.sprite_count > 8) return Bad("a sprite count in [0, 8]", "ppu.sprite_count", p.sprite_count);
  if (p.next_sprite_count > 8) return Bad("a sprite count in [0, 8]", "ppu.next_sprite_count", p.next_sprite_count);
  if (p.sprite0_hit_dot < -1 || p.sprite0_hit_dot > 340) {
    return BadSigned("-1 or a dot in [0, 340]", "ppu.sprite0_hit_dot", p.sprite0_hit_dot);
  }
  if (p.rendered_x < 0 || p.rendered_x > 256)
    return BadSigned("a pixel count in [0, 256]", "ppu.rendered_x", p.rendered_x);
  if (p.a12_low_cycle > cpu_cycles)
    return Bad("a CPU cycle not after cpu.cycles", "ppu.a12_low_cycle", p.a12_low_cycle);
  for (int i = 0; i < 4; ++i) {
    const uint16_t offset = p.nt_offset[i];
    if (offset > 0xC00 || (offset & 0x3FF) != 0) {
      const std::string field = "ppu.nt_offset[" + std::to_string(i) + "]";
      return Bad("0, 0x400, 0x800 or 0xC00", field.c_str(), offset);
    }
  }
  return CheckFlags({{"ppu.w", p.w},
                     {"ppu.odd_frame", p.odd_frame},
                     {"ppu.vbl_suppressed", p.vbl_suppressed},
                     {"ppu.warming_up", p.warming_up},
                     {"ppu.frame_done", p.frame_done},
                     {"ppu.sprite0_on_line", p.sprite0_on_line},
                     {"ppu.next_sprite0", p.next_sprite0},
                     {"ppu.skip_last_dot", p.skip_last_dot},
                     {"ppu.a12_high", p.a12_high}});
}

std::string CheckApu(const ApuState& a, uint64_t cpu_cycles) {
  if (a.cycles > cpu_cycles || a.cycles + kMaxLagCycles < cpu_cycles) {
    return Bad("a CPU cycle within " + std::to_string(kMaxLagCycles) + " cycles before cpu.cycles (" +
                   std::to_string(cpu_cycles) + ")",
               "apu.cycles", a.cycles);
  }
  // The sequencer loop walks from frame_reset_cycle to the present one step at a time.
  if (a.frame_reset_cycle > a.cycles + 8 || a.frame_reset_cycle + kMaxSequencerPeriod < a.cycles) {
    return Bad("a CPU cycle within one sequencer period of apu.cycles (" + std::to_string(a.cycles) + ")",
               "apu.frame_reset_cycle", a.frame_reset_cycle);
  }
  if (a.pending_4017_cycle > cpu_cycles + 8) {
    return Bad("0 or a CPU cycle at most 8 after cpu.cycles", "apu.pending_4017_cycle", a.pending_4017_cycle);
  }
  if (a.frame_mode > 1) return Bad("0 (4-step) or 1 (5-step)", "apu.frame_mode", a.frame_mode);
  const uint32_t steps = a.frame_mode ? 5 : 6;
  if (a.frame_step >= steps) {
    return Bad("a sequencer step in [0, " + std::to_string(steps - 1) + "]", "apu.frame_step", a.frame_step);
  }
  if (a.enabled > 0x1F) return Bad("channel enables in [0, 0x1F]", "apu.enabled", a.enabled);
  // The DMC: its timer period divides the catch-up (0 would divide by zero), its cycle stamps are
  // near the present, the reader's counters within what $4012/$4013 can set.
  if (a.dmc_period < 54 || a.dmc_period > 428 || (a.dmc_period & 1)) {
    return Bad("a DMC period of the NTSC table (an even number in [54, 428])", "apu.dmc_period", a.dmc_period);
  }
  if (a.dmc_clock_cycle + kMaxLagCycles < a.cycles || a.dmc_clock_cycle > a.cycles + 428 + 1) {
    return Bad("a CPU cycle within one DMC period after apu.cycles (" + std::to_string(a.cycles) + ")",
               "apu.dmc_clock_cycle", a.dmc_clock_cycle);
  }
  if (a.dmc_fetch_cycle > cpu_cycles + 8 || (a.dmc_fetch_cycle && !a.dmc_bytes_left)) {
    return Bad("0, or while bytes remain a CPU cycle at most 8 after cpu.cycles", "apu.dmc_fetch_cycle",
               a.dmc_fetch_cycle);
  }
  if (a.dmc_bits_left < 1 || a.dmc_bits_left > 8) return Bad("[1, 8]", "apu.dmc_bits_left", a.dmc_bits_left);
  if (a.dmc_sample_address < 0xC000 || (a.dmc_sample_address & 0x3F)) {
    return Bad("$C000 + a multiple of 64", "apu.dmc_sample_address", a.dmc_sample_address);
  }
  if (a.dmc_sample_length > 4081 || (a.dmc_sample_length & 0xF) != 1) {
    return Bad("16 * L + 1 bytes (L in [0, 255])", "apu.dmc_sample_length", a.dmc_sample_length);
  }
  if (a.dmc_address < 0x8000) return Bad("an address in [0x8000, 0xFFFF]", "apu.dmc_address", a.dmc_address);
  if (a.dmc_bytes_left > 4081) return Bad("at most 4081 bytes", "apu.dmc_bytes_left", a.dmc_bytes_left);
  if (a.dmc_level > 0x7F) return Bad("[0, 127]", "apu.dmc_level", a.dmc_level);
  return CheckFlags({{"apu.dmc_buffer_full", a.dmc_buffer_full},
                     {"apu.dmc_irq_enabled", a.dmc_irq_enabled},
                     {"apu.dmc_loop", a.dmc_loop},
                     {"apu.irq_inhibit", a.irq_inhibit},
                     {"apu.frame_irq", a.frame_irq},
                     {"apu.dmc_irq", a.dmc_irq},
                     {"apu.halt[0]", a.halt[0]},
                     {"apu.halt[1]", a.halt[1]},
                     {"apu.halt[2]", a.halt[2]},
                     {"apu.halt[3]", a.halt[3]}});
}

std::string CheckMapperCommon(const MapperState& m, uint64_t cpu_cycles) {
  if (m.last_write_cycle > cpu_cycles) {
    return Bad("a CPU cycle not after cpu.cycles", "mapper.last_write_cycle", m.last_write_cycle);
  }
  return CheckFlags({{"mapper.irq_enabled", m.irq_enabled},
                     {"mapper.irq_reload", m.irq_reload},
                     {"mapper.irq_line", m.irq_line},
                     {"mapper.prg_ram_enabled", m.prg_ram_enabled}});
}
}  // namespace

std::string CheckConsoleState(const ConsoleState& s, const Mapper& mapper) {
  std::string error = CheckCpu(s.cpu);
  if (error.empty()) error = CheckPpu(s.ppu, s.cpu.cycles);
  if (error.empty()) error = CheckApu(s.apu, s.cpu.cycles);
  if (error.empty()) error = CheckMapperCommon(s.mapper, s.cpu.cycles);
  // Bank registers need no range check here: MapPrg8k/MapChr1k reduce every bank number modulo
  // the cartridge's bank count, as the unconnected address lines of a real board do. The board
  // checks what its own registers can hold (e.g. MMC1's 5-bit shift register).
  if (error.empty()) error = mapper.CheckState(s.mapper);
  if (error.empty()) {
    error = CheckFlags({{"pad1.strobe", s.pad1.strobe}, {"pad2.strobe", s.pad2.strobe}});
  }
  if (error.empty() && s.irq_clock > s.cpu.cycles * 3 + 3) {
    error = Bad("a PPU clock not after 3 × cpu.cycles", "irq_clock", s.irq_clock);
  }
  if (error.empty() && s.cpu.nmi_clock > s.ppu.clock) {
    error = Bad("a PPU clock not after ppu.clock", "cpu.nmi_clock", s.cpu.nmi_clock);
  }
  return error;
}

}  // namespace mario_rl::nes
