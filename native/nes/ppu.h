// Ricoh 2C02 PPU as a catch-up chip. Run(target) advances the PPU clock to `target` dots,
// jumping between the few dots per scanline where something happens (sprite-0 hit, Y increment,
// horizontal copy + sprite evaluation, MMC3 A12 clock, VBL set/clear, odd-frame skip). Pixels are
// produced a span at a time: when a register write lands mid-line, the line is drawn up to that
// dot first, so the write affects only the pixels after it.
#pragma once

#include <cstdint>

#include "nes/state.h"

namespace mario_rl::nes {

class Machine;

class Ppu {
 public:
  explicit Ppu(Machine& machine) : m_(machine) {}
  void PowerOn();
  void Reset();
  void Run(uint64_t target);
  uint8_t ReadRegister(uint16_t address);
  void WriteRegister(uint16_t address, uint8_t value);
  void WriteOam(uint8_t value);  // OAM DMA
  // PPU clock of the next event the CPU must not miss: VBL/NMI, or the A12 rise after which the
  // mapper's IRQ can rise when that is `a12_rises` rises away (a lower bound past the first: the
  // scheduler asks again there; kNoA12Irq: none).
  uint64_t NextInterruptClock(int a12_rises) const;
  // PPU clock of the next dot at which anything in the PPU changes (a line event or line end).
  // Between the current clock and this one, register reads see a frozen state.
  // For the CPU's idle-loop skip (idle_loop.cc), which stands in for $2002 reads it does not
  // perform: what a $2002 read returns now (status bits over the decaying latch); the PPU clock
  // at which the latch's low five bits decay (UINT64_MAX when they are already 0); and the state
  // such reads leave, the last one at PPU clock `clock` (the latch's status bits refreshed).
  uint8_t StatusReadValue() const;
  uint64_t OpenBusLowBitsDecayClock() const;
  void NoteSkippedStatusReads(uint64_t clock);
  uint64_t NextEventClock() const { return m_s().clock + static_cast<uint64_t>(NextEventDot() - m_s().dot); }
  uint8_t PeekRegister(uint16_t address) const;
  uint8_t PeekVram(uint16_t address) const { return ReadVram(address); }
  // Draws the current line up to the current dot (before a bank switch changes the patterns).
  void DrawToCurrentDot() { CatchUpPixels(); }
  void InvalidateLineCaches() { bg_valid_ = sprites_valid_ = false; }
  void InvalidateOamCache() { oam_dirty_ = true; }
  void InvalidateRowCache() { row_valid_ = false; }

 private:
  bool RenderingEnabled() const { return (m_s().mask & 0x18) != 0; }
  const PpuState& m_s() const;
  int NextEventDot() const;
  void HandleEvent(int dot);
  // The events of a visible line (line < 240), shared by HandleEvent and RunVisibleLine: dot 1
  // (line start), the sprite-0 hit when `dot` is its dot, 256 (pixels, Y increment), 257
  // (horizontal copy, sprite evaluation for the next line).
  void StartVisibleLine();
  void DeliverSprite0Hit(int dot);
  void VisibleDot256();
  void VisibleDot257();
  void A12RiseEvent();  // the mapper's A12 clock at A12Dot() of a rendering line
  void EndLine();
  void RunVisibleLine();
  void EvaluateSprites();
  void ComputeSprite0Hit(int from_x);  // first hit at pixel >= from_x on this line
  void CatchUpPixels();
  void RenderSpan(int x0, int x1);
  void BuildBgLine();
  void BuildSpriteLine();
  uint8_t BgPixelAt(int x) const;
  uint8_t ReadVram(uint16_t address) const;
  void WriteVram(uint16_t address, uint8_t value);
  void SetAddressBus(uint16_t address);
  // The I/O data latch (open_bus): bits set in `driven` (a union of the groups $C0, $20, $1F)
  // take `value` and are refreshed; the rest keep decaying. OpenBusNow is the latch with every
  // group undriven for the decay time cleared.
  void DriveOpenBus(uint8_t value, uint8_t driven);
  uint8_t OpenBusNow() const;
  int A12Dot() const;

  Machine& m_;
  // Per-line caches derived from state (not saved): rebuilt lazily each line.
  bool bg_valid_ = false, sprites_valid_ = false;
  uint8_t bg_line_[256 + 16] = {};  // palette index per pixel, bit 7 = opaque
  // Palette index per pixel, bit 6 = behind the background, bit 7 = opaque; 8 spare bytes because
  // sprites are drawn 8 pixels at a time.
  uint8_t spr_line_[256 + 8] = {};
  // The row cache: what the 33 tiles of one tile row (8 lines) need for shading, built once per
  // row. row_patterns_[i] is tile i's 8 decoded pattern rows (pattern.h; index by fine Y), found
  // through chr_rows_map; row_groups_[i] its palette group as 4 * group in every byte, ready to
  // OR into a decoded row. Exact while VRAM, mirroring and the CHR banks stay: a nametable or
  // attribute write, SetMirroring, a MapChr1k that moves a bank and a state load clear
  // row_valid_; the scroll and the pattern table are in row_key_. CHR-RAM writes need nothing:
  // they update the decoded rows the pointers point at (Machine::WriteChr).
  bool row_valid_ = false;
  uint16_t row_key_ = 0;  // v & $0FFF (coarse X/Y, nametable) | the pattern table ($1000)
  const uint64_t* row_patterns_[33] = {};
  alignas(16) uint64_t row_groups_[34] = {};  // 34: the shader loads them two at a time
  bool oam_dirty_ = true;                     // line_masks_ must be rebuilt from OAM
  int mask_height_ = 0;
  uint64_t line_masks_[240] = {};  // bit k: sprite k covers the line (Y range only)
};

}  // namespace mario_rl::nes
