#include "nes/apu.h"

#include <algorithm>
#include <limits>

#include "nes/machine.h"

namespace mario_rl::nes {

namespace {
constexpr uint8_t kLengthTable[32] = {10, 254, 20, 2,  40, 4,  80, 6,  160, 8,  60, 10, 14, 12, 26, 14,
                                      12, 16,  24, 18, 48, 20, 96, 22, 192, 24, 72, 26, 16, 28, 32, 30};
// Frame sequencer steps, CPU cycles after the sequencer (re)starts. Flags: 1 = half frame
// (length counters), 2 = frame IRQ (4-step mode only).
struct Step {
  uint32_t cycle;
  uint8_t flags;
};
constexpr Step kFourStep[] = {{7457, 0}, {14913, 1}, {22371, 0}, {29828, 2}, {29829, 3}, {29830, 2}};
constexpr Step kFiveStep[] = {{7457, 0}, {14913, 1}, {22371, 0}, {29829, 0}, {37281, 1}};
constexpr uint32_t kFourStepPeriod = 29830, kFiveStepPeriod = 37282;
// DMC timer periods in CPU cycles by $4010 rate index (NTSC).
constexpr uint16_t kDmcPeriods[16] = {428, 380, 340, 320, 286, 254, 226, 214, 190, 160, 142, 128, 106, 84, 72, 54};
constexpr uint64_t kNoCycle = std::numeric_limits<uint64_t>::max();
// While the sample buffer is empty the DMC timer's phase matters to nothing until the buffer
// fills or the period changes (both catch it up first), so Run brings it up to date only this
// often (a frame): most Run calls then skip the DMC entirely.
constexpr uint64_t kDmcIdleCatchUpCycles = 29781;
}  // namespace

void Apu::PowerOn() {
  ApuState& a = m_.s.apu;
  a = ApuState{};
  a.cycles = m_.s.cpu.cycles;
  a.frame_reset_cycle = m_.s.cpu.cycles;
  a.dmc_period = kDmcPeriods[0];
  a.dmc_bits_left = 8;
  a.dmc_sample_address = a.dmc_address = 0xC000;
  a.dmc_sample_length = 1;
  // The timer clocks on put cycles (even CPU cycle numbers here, as OAM DMA's gets are odd), so a
  // reload fetch asks to halt on a put cycle as the NESdev wiki's DMA page says.
  a.dmc_clock_cycle = a.cycles + a.dmc_period + (a.cycles & 1);
}

void Apu::Reset() {
  Run(m_.s.cpu.cycles);
  ApuState& a = m_.s.apu;
  a.enabled = 0;
  for (auto& l : a.length) l = 0;
  a.frame_irq = 0;
  a.dmc_irq = 0;
  a.dmc_bytes_left = 0;  // $4015 = 0 stops the sample
  a.dmc_fetch_cycle = 0;
  WriteFrameCounter(static_cast<uint8_t>(a.frame_mode << 7 | (a.irq_inhibit ? 0x40 : 0)), m_.s.cpu.cycles);
}

void Apu::ClockLengths() {
  ApuState& a = m_.s.apu;
  for (int i = 0; i < 4; ++i) {
    if (!a.halt[i] && a.length[i]) --a.length[i];
  }
}

void Apu::WriteFrameCounter(uint8_t value, uint64_t effect_cycle) {
  ApuState& a = m_.s.apu;
  a.frame_mode = value >> 7;
  a.frame_reset_cycle = effect_cycle;
  a.frame_step = 0;
  if (a.frame_mode) ClockLengths();
}

void Apu::Run(uint64_t cycle) {
  ApuState& a = m_.s.apu;
  while (true) {
    const Step* steps = a.frame_mode ? kFiveStep : kFourStep;
    const uint32_t count = a.frame_mode ? 5 : 6;
    const uint64_t step_cycle = a.frame_reset_cycle + steps[a.frame_step].cycle;
    if (a.pending_4017_cycle && a.pending_4017_cycle <= step_cycle && a.pending_4017_cycle <= cycle) {
      const uint64_t when = a.pending_4017_cycle;
      a.pending_4017_cycle = 0;
      WriteFrameCounter(a.pending_4017, when);
      continue;
    }
    if (step_cycle > cycle) break;
    const uint8_t flags = steps[a.frame_step].flags;
    if (flags & 1) ClockLengths();
    if ((flags & 2) && !a.irq_inhibit) {
      if (!a.frame_irq && !m_.IrqLine()) m_.s.irq_clock = step_cycle * 3 + kPpuPhase;
      a.frame_irq = 1;
    }
    if (++a.frame_step == count) {
      a.frame_step = 0;
      a.frame_reset_cycle += a.frame_mode ? kFiveStepPeriod : kFourStepPeriod;
    }
  }
  if (a.dmc_clock_cycle <= cycle && (a.dmc_buffer_full || a.dmc_clock_cycle + kDmcIdleCatchUpCycles <= cycle)) {
    RunDmc(cycle);
  }
  a.cycles = cycle;
}

void Apu::SettleDmc(uint64_t cycle) {
  Run(cycle);
  if (m_.s.apu.dmc_clock_cycle <= cycle) RunDmc(cycle);
}

// The DMC timer clocks the output unit every dmc_period cycles; every 8th clock ends an output
// cycle, and the next one takes the sample buffer's byte (the buffer empties: the reader asks
// for a fetch if bytes remain). Nothing else is observable by the CPU, so whole runs of clocks
// are skipped arithmetically: at most two steps per call, whatever the time since the last.
void Apu::RunDmc(uint64_t cycle) {
  ApuState& a = m_.s.apu;
  while (a.dmc_clock_cycle <= cycle) {
    const uint64_t end = a.dmc_clock_cycle + uint64_t{a.dmc_bits_left - 1u} * a.dmc_period;
    if (!a.dmc_buffer_full || end > cycle) {
      const uint64_t clocks = (cycle - a.dmc_clock_cycle) / a.dmc_period + 1;
      a.dmc_bits_left = static_cast<uint8_t>((a.dmc_bits_left - 1u + 8u - clocks % 8) % 8 + 1);
      a.dmc_clock_cycle += clocks * a.dmc_period;
      break;
    }
    a.dmc_clock_cycle = end + a.dmc_period;
    a.dmc_bits_left = 8;
    a.dmc_buffer_full = 0;
    if (a.dmc_bytes_left) a.dmc_fetch_cycle = end;
  }
}

uint64_t Apu::DmcFetchCycle() const {
  const ApuState& a = m_.s.apu;
  if (a.dmc_fetch_cycle) return a.dmc_fetch_cycle;
  if (a.dmc_buffer_full && a.dmc_bytes_left) {
    return a.dmc_clock_cycle + uint64_t{a.dmc_bits_left - 1u} * a.dmc_period;
  }
  return kNoCycle;
}

void Apu::RestartDmcSample() {
  ApuState& a = m_.s.apu;
  a.dmc_address = a.dmc_sample_address;
  a.dmc_bytes_left = a.dmc_sample_length;
}

void Apu::DmcFetched(uint8_t value, uint64_t cycle) {
  ApuState& a = m_.s.apu;
  RunDmc(cycle - 1);  // the timer up to the get (its clocks are on puts): the phase now matters
  a.dmc_buffer = value;
  a.dmc_buffer_full = 1;
  a.dmc_fetch_cycle = 0;
  a.dmc_address = a.dmc_address == 0xFFFF ? 0x8000 : static_cast<uint16_t>(a.dmc_address + 1);
  if (--a.dmc_bytes_left) return;
  if (a.dmc_loop) {
    RestartDmcSample();
  } else if (a.dmc_irq_enabled) {
    if (!a.dmc_irq && !m_.IrqLine()) m_.s.irq_clock = cycle * 3 + kPpuPhase;
    a.dmc_irq = 1;
  }
}

uint64_t Apu::NextEventCycle() const {
  const ApuState& a = m_.s.apu;
  uint64_t next = std::numeric_limits<uint64_t>::max();
  if (a.pending_4017_cycle) next = a.pending_4017_cycle;
  if (!a.frame_mode && !a.irq_inhibit && !a.frame_irq) {
    uint64_t irq_cycle = a.frame_reset_cycle + kFourStepPeriod + kFourStep[3].cycle;
    for (uint32_t i = a.frame_step; i < 6; ++i) {
      if (kFourStep[i].flags & 2) {
        irq_cycle = a.frame_reset_cycle + kFourStep[i].cycle;
        break;
      }
    }
    next = std::min(next, irq_cycle);
  }
  return next;
}

uint8_t Apu::PeekStatus() const {
  const ApuState& a = m_.s.apu;
  uint8_t value = 0;
  for (int i = 0; i < 4; ++i) {
    if (a.length[i]) value |= static_cast<uint8_t>(1 << i);
  }
  if (a.dmc_bytes_left) value |= 0x10;
  if (a.frame_irq) value |= 0x40;
  if (a.dmc_irq) value |= 0x80;
  return value;
}

uint8_t Apu::ReadStatus() {
  Run(m_.s.cpu.cycles);
  const uint8_t value = PeekStatus();
  m_.s.apu.frame_irq = 0;
  return value;
}

void Apu::WriteRegister(uint16_t address, uint8_t value) {
  Run(m_.s.cpu.cycles);
  ApuState& a = m_.s.apu;
  switch (address) {
    case 0x4000: a.halt[0] = (value >> 5) & 1; break;
    case 0x4004: a.halt[1] = (value >> 5) & 1; break;
    case 0x4008: a.halt[2] = (value >> 7) & 1; break;
    case 0x400C: a.halt[3] = (value >> 5) & 1; break;
    case 0x4003:
    case 0x4007:
    case 0x400B:
    case 0x400F: {
      const int ch = (address - 0x4003) >> 2;
      if (a.enabled & (1 << ch)) a.length[ch] = kLengthTable[value >> 3];
      break;
    }
    case 0x4010:
      RunDmc(m_.s.cpu.cycles);  // the old period up to now
      a.dmc_irq_enabled = value >> 7;
      if (!a.dmc_irq_enabled) a.dmc_irq = 0;
      a.dmc_loop = (value >> 6) & 1;
      a.dmc_period = kDmcPeriods[value & 0x0F];  // from the timer's next reload on
      break;
    case 0x4011: a.dmc_level = value & 0x7F; break;
    case 0x4012: a.dmc_sample_address = static_cast<uint16_t>(0xC000 + value * 64); break;
    case 0x4013: a.dmc_sample_length = static_cast<uint16_t>(value * 16 + 1); break;
    case 0x4015:
      a.enabled = value & 0x1F;
      for (int i = 0; i < 4; ++i) {
        if (!(a.enabled & (1 << i))) a.length[i] = 0;
      }
      a.dmc_irq = 0;
      if (!(value & 0x10)) {
        // Stopping cancels a fetch not yet made (the wiki's glitches when stopping on the very
        // cycles of a DMA are not modelled).
        a.dmc_bytes_left = 0;
        a.dmc_fetch_cycle = 0;
      } else if (!a.dmc_bytes_left) {
        RestartDmcSample();
        // An empty buffer is filled at once: the "load" DMA asks to halt on the get cycle of
        // the second APU cycle after the write's (3 or 4 CPU cycles later).
        if (!a.dmc_buffer_full) a.dmc_fetch_cycle = m_.s.cpu.cycles + ((m_.s.cpu.cycles & 1) ? 4 : 3);
      }
      break;
    case 0x4017: {
      a.irq_inhibit = (value >> 6) & 1;
      if (a.irq_inhibit) a.frame_irq = 0;
      // The sequencer restarts 3 or 4 cycles after the write, depending on the APU cycle phase.
      const uint64_t now = m_.s.cpu.cycles;
      a.pending_4017 = value;
      a.pending_4017_cycle = now + ((now & 1) ? 4 : 3);
      break;
    }
    default: break;
  }
}

}  // namespace mario_rl::nes
