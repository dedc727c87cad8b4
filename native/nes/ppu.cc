#include "nes/ppu.h"

#include <algorithm>
#include <cstring>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MARIO_RL_PPU_SSSE3 1
#endif

#include "nes/machine.h"
#include "nes/pattern.h"

namespace mario_rl::nes {

namespace {
constexpr int kDotsPerLine = 341;
constexpr int kVblLine = 241;
constexpr int kPreRenderLine = 261;
// How long a bit of the I/O data latch holds a 1 without being driven: about 600 ms (NESdev wiki,
// "Open bus behavior"; it varies between consoles), in PPU dots (5,369,318 per second).
constexpr uint64_t kOpenBusDecayDots = 3221591;
constexpr int kLines = 262;
// Disabling NMI this many dots after it rose still keeps it from reaching the CPU.
constexpr uint64_t kNmiCancelWindow = 2;
// The odd-frame skip is decided from the rendering state at this pre-render dot.
constexpr int kSkipDecisionDot = 339;
// With the background at $1000 and sprites at $0000, A12 has been low through vertical blank, so
// the pre-render line's first background pattern fetch is an extra rising edge.
constexpr int kPreRenderBgA12Dot = 5;
// A12 rise dots per line: sprites at $1000 (first sprite pattern fetch) / background at $1000
// (first pattern fetch for the next line).
constexpr int kBgHighA12Dot = 325;
// The closest two rendering A12 rises come: the pre-render line's dots 5 and 325 (otherwise one a
// line, 340 or 341 dots apart).
constexpr uint64_t kMinA12RiseGap = kBgHighA12Dot - kPreRenderBgA12Dot;

inline uint8_t PaletteIndex(uint16_t address) {
  uint8_t i = address & 0x1F;
  if ((i & 0x13) == 0x10) i &= 0x0F;  // $3F10/14/18/1C mirror $3F00/04/08/0C
  return i;
}
}  // namespace

const PpuState& Ppu::m_s() const { return m_.s.ppu; }

void Ppu::PowerOn() {
  PpuState& p = m_.s.ppu;
  p.ctrl = p.mask = p.status = p.oam_addr = 0;
  p.v = p.t = 0;
  p.fine_x = p.w = p.read_buffer = p.open_bus = 0;
  p.line = 0;
  p.dot = 0;
  p.clock = 0;
  p.sprite0_hit_dot = -1;
  for (auto& c : p.open_bus_clock) c = 0;
  p.warming_up = 1;
  // The palette RAM contents one real console powers up with (blargg's power_up_palette).
  static constexpr uint8_t kPowerUpPalette[32] = {0x09, 0x01, 0x00, 0x01, 0x00, 0x02, 0x02, 0x0D, 0x08, 0x10, 0x08,
                                                  0x24, 0x00, 0x00, 0x04, 0x2C, 0x09, 0x01, 0x34, 0x03, 0x00, 0x04,
                                                  0x00, 0x14, 0x08, 0x3A, 0x00, 0x02, 0x00, 0x20, 0x2C, 0x08};
  std::memcpy(p.palette, kPowerUpPalette, sizeof p.palette);
  InvalidateLineCaches();
  oam_dirty_ = true;
  row_valid_ = false;
}

void Ppu::Reset() {
  PpuState& p = m_.s.ppu;
  p.ctrl = p.mask = 0;
  p.w = 0;
  p.read_buffer = 0;
  p.fine_x = 0;
  p.t = 0;
  p.warming_up = 1;  // the NES-001's reset button resets the PPU too
  InvalidateLineCaches();
}

constexpr uint8_t kOpenBusGroups[3] = {0xC0, 0x20, 0x1F};  // PpuState::open_bus_clock's

void Ppu::DriveOpenBus(uint8_t value, uint8_t driven) {
  PpuState& p = m_.s.ppu;
  p.open_bus = static_cast<uint8_t>((driven == 0xFF ? 0 : OpenBusNow() & ~driven) | (value & driven));
  for (int g = 0; g < 3; ++g) {
    if (driven & kOpenBusGroups[g]) p.open_bus_clock[g] = p.clock;
  }
}

uint8_t Ppu::OpenBusNow() const {
  const PpuState& p = m_.s.ppu;
  uint8_t value = p.open_bus;
  for (int g = 0; g < 3; ++g) {
    if (p.clock >= p.open_bus_clock[g] + kOpenBusDecayDots) value &= static_cast<uint8_t>(~kOpenBusGroups[g]);
  }
  return value;
}

uint8_t Ppu::StatusReadValue() const { return static_cast<uint8_t>((m_.s.ppu.status & 0xE0) | (OpenBusNow() & 0x1F)); }

uint64_t Ppu::OpenBusLowBitsDecayClock() const {
  if ((OpenBusNow() & 0x1F) == 0) return UINT64_MAX;
  return m_.s.ppu.open_bus_clock[2] + kOpenBusDecayDots;
}

void Ppu::NoteSkippedStatusReads(uint64_t clock) {
  PpuState& p = m_.s.ppu;
  p.open_bus = StatusReadValue();
  p.open_bus_clock[0] = p.open_bus_clock[1] = clock;  // groups $C0 and $20: the status bits
}

uint8_t Ppu::ReadVram(uint16_t address) const {
  address &= 0x3FFF;
  if (address < 0x2000) return m_.chr_map[address >> 10][address & 0x3FF];
  const PpuState& p = m_.s.ppu;
  if (address < 0x3F00) return p.vram[p.nt_offset[(address >> 10) & 3] + (address & 0x3FF)];
  return p.palette[PaletteIndex(address)];
}

void Ppu::WriteVram(uint16_t address, uint8_t value) {
  address &= 0x3FFF;
  PpuState& p = m_.s.ppu;
  if (address < 0x2000) {
    if (m_.chr_writable) m_.WriteChr(address, value);
  } else if (address < 0x3F00) {
    p.vram[p.nt_offset[(address >> 10) & 3] + (address & 0x3FF)] = value;
    row_valid_ = false;
  } else {
    p.palette[PaletteIndex(address)] = value & 0x3F;
  }
  InvalidateLineCaches();
}

void Ppu::SetAddressBus(uint16_t address) {
  PpuState& p = m_.s.ppu;
  const bool high = (address & 0x1000) != 0;
  if (high && !p.a12_high) {
    if (m_.uses_a12) {
      m_.mapper->OnA12Rise(p.clock);
      m_.ScheduleSync();  // a $2006/$2007 access counted a rise the schedule did not
    }
  } else if (!high && p.a12_high) {
    p.a12_low_cycle = m_.s.cpu.cycles;
  }
  p.a12_high = high;
}

int Ppu::A12Dot() const {
  // With the usual split (background at $0000, sprites at $1000) A12 rises once per line when
  // sprite patterns are fetched (dot ~260); with the reverse split, at the next line's first
  // background fetch (dot ~324). The same table for both never toggles A12.
  const PpuState& p = m_.s.ppu;
  const bool bg_high = (p.ctrl & 0x10) != 0;
  const bool spr_high = (p.ctrl & 0x20) ? true : (p.ctrl & 0x08) != 0;
  if (!bg_high && spr_high) return 261;
  if (bg_high && !spr_high) return kBgHighA12Dot;
  return -1;
}

int Ppu::NextEventDot() const {
  const PpuState& p = m_.s.ppu;
  const int dot = p.dot;
  int next = kDotsPerLine;
  auto consider = [&](int d) {
    if (d > dot && d < next) next = d;
  };
  const int line = p.line;
  if (line < 240) {
    consider(1);
    consider(256);
    consider(257);
    if (p.sprite0_hit_dot > 0) consider(p.sprite0_hit_dot);
  } else if (line == kVblLine) {
    consider(1);
  } else if (line == kPreRenderLine) {
    consider(1);
    consider(256);
    consider(257);
    consider(304);
    consider(kSkipDecisionDot);
    consider(340);
    if ((p.mask & 0x18) && A12Dot() == kBgHighA12Dot && m_.uses_a12) consider(kPreRenderBgA12Dot);
  }
  if ((line < 240 || line == kPreRenderLine) && (p.mask & 0x18) && m_.uses_a12) {
    const int a12 = A12Dot();
    if (a12 > 0) consider(a12);
  }
  return next;
}

uint64_t Ppu::NextInterruptClock(int a12_rises) const {
  const PpuState& p = m_.s.ppu;
  const int64_t here = int64_t{p.line} * kDotsPerLine + p.dot;
  const int64_t vbl = int64_t{kVblLine} * kDotsPerLine + 1;
  int64_t delta;
  if (here < vbl) {
    delta = vbl - here;
  } else {
    delta = int64_t{kLines} * kDotsPerLine - here + vbl;
    if (p.odd_frame && (p.mask & 0x18)) delta -= 1;
  }
  uint64_t next = p.clock + static_cast<uint64_t>(delta);
  if ((p.mask & 0x18) && m_.uses_a12 && a12_rises < kNoA12Irq) {
    uint64_t first = UINT64_MAX;  // the next A12 rise
    const int a12 = A12Dot();
    if (a12 > 0) {
      // The next line (visible or pre-render) whose A12 dot is still ahead.
      int line = p.line;
      int64_t d = a12 - p.dot;
      if (!(line < 240 || line == kPreRenderLine) || d <= 0) {
        d += kDotsPerLine;
        line = (line + 1) % kLines;
        while (!(line < 240 || line == kPreRenderLine)) {
          d += kDotsPerLine;
          line = (line + 1) % kLines;
        }
      }
      first = p.clock + static_cast<uint64_t>(d);
    }
    if (a12 == kBgHighA12Dot && (p.line < kPreRenderLine || p.dot < kPreRenderBgA12Dot)) {
      const int64_t to_pre = int64_t{kPreRenderLine - p.line} * kDotsPerLine + kPreRenderBgA12Dot - p.dot;
      first = std::min(first, p.clock + static_cast<uint64_t>(to_pre));
    }
    // Rises are at least kMinA12RiseGap dots apart while ctrl and mask stay (a CPU write, after
    // which the machine schedules again), so the a12_rises-th is no earlier than this.
    if (first != UINT64_MAX) next = std::min(next, first + static_cast<uint64_t>(a12_rises - 1) * kMinA12RiseGap);
  }
  return next;
}

void Ppu::Run(uint64_t target) {
  PpuState& p = m_.s.ppu;
  while (p.clock < target) {
    if (p.dot == 0 && p.line < 240 && p.clock + kDotsPerLine <= target && m_.line_fast_path) {
      RunVisibleLine();
      continue;
    }
    const int next = NextEventDot();
    const uint64_t reach = p.clock + static_cast<uint64_t>(next - p.dot);
    if (reach > target) {
      p.dot = static_cast<int16_t>(p.dot + (target - p.clock));
      p.clock = target;
      return;
    }
    p.clock = reach;
    p.dot = static_cast<int16_t>(next);
    if (next == kDotsPerLine) {
      EndLine();
    } else {
      HandleEvent(next);
    }
  }
}

// A whole visible line as the loop in Run would step it (the events in dot order: 1, the sprite-0
// hit, 256, 257, the mapper's A12 rise at 261 or 325 when it watches A12 and rendering is on,
// then the line end) without searching for each next event. Run calls it only when the target
// covers the whole line, so no CPU access can land in between and the event dots are known after
// dot 1; an A12 rise that raises the mapper's IRQ records its own clock (Mapper::OnA12Rise), as
// when stepped. It restates NextEventDot's order for visible lines: ConsoleOptions::line_fast_path
// = false turns it off, and a test compares RAM and every frame both ways
// (tests/nes-core/test-roms.test.ts).
void Ppu::RunVisibleLine() {
  PpuState& p = m_.s.ppu;
  const uint64_t base = p.clock;  // the clock at dot 0
  auto at = [&](int dot) {
    p.dot = static_cast<int16_t>(dot);
    p.clock = base + static_cast<uint64_t>(dot);
  };
  // The visible-line events straight, without HandleEvent's search through the other lines' events.
  at(1);
  StartVisibleLine();
  const int s0 = p.sprite0_hit_dot;  // from ComputeSprite0Hit at dot 1; -1 when none
  if (s0 > 1 && s0 < 256) {
    at(s0);
    DeliverSprite0Hit(s0);
  }
  at(256);
  DeliverSprite0Hit(256);
  VisibleDot256();
  at(257);
  DeliverSprite0Hit(257);
  VisibleDot257();
  // (A hit is at most dot 256: sprite pixel x <= 254 shows at dot x + 2.)
  if (m_.uses_a12 && (p.mask & 0x18)) {
    const int a12 = A12Dot();
    if (a12 > 0) {
      at(a12);
      A12RiseEvent();
    }
  }
  p.dot = static_cast<int16_t>(kDotsPerLine);
  p.clock = base + kDotsPerLine;
  EndLine();
}

void Ppu::EndLine() {
  PpuState& p = m_.s.ppu;
  p.dot = 0;
  ++p.line;
  if (p.line == kLines) {
    p.line = 0;
    p.odd_frame ^= 1;
  }
  if (p.line < 240) {
    p.sprite_count = p.next_sprite_count;
    std::memcpy(p.sprites, p.next_sprites, sizeof p.sprites);
    p.sprite0_on_line = p.next_sprite0;
  } else {
    p.sprite_count = 0;
    p.sprite0_on_line = 0;
  }
  p.next_sprite_count = 0;
  p.next_sprite0 = 0;
  p.sprite0_hit_dot = -1;
  p.rendered_x = 0;
  InvalidateLineCaches();
}

void Ppu::HandleEvent(int dot) {
  PpuState& p = m_.s.ppu;
  const bool rendering = (p.mask & 0x18) != 0;
  const int line = p.line;
  if (line == kVblLine) {
    // dot 1: vertical blank starts.
    if (!p.vbl_suppressed) {
      p.status |= 0x80;
      if (p.ctrl & 0x80) {
        m_.s.cpu.nmi_pending = 1;
        m_.s.cpu.nmi_clock = p.clock;
      }
    }
    p.frame_done = 1;
    return;
  }
  if (line == kPreRenderLine && dot == 1) {
    p.status &= 0x1F;
    p.vbl_suppressed = 0;
    p.warming_up = 0;
    return;
  }
  if (line == kPreRenderLine && dot == kPreRenderBgA12Dot) {
    if (rendering && A12Dot() == kBgHighA12Dot && m_.uses_a12) m_.mapper->OnA12Rise(p.clock);
    return;
  }
  if (line == kPreRenderLine && dot == kSkipDecisionDot) {
    p.skip_last_dot = (p.odd_frame && rendering) ? 1 : 0;
    return;
  }
  if (line == kPreRenderLine && dot == 340) {
    if (p.skip_last_dot) EndLine();  // odd frames skip the last pre-render dot
    return;
  }
  if (line == kPreRenderLine && dot == 304) {
    if (rendering) p.v = static_cast<uint16_t>((p.v & ~0x7BE0) | (p.t & 0x7BE0));
    return;
  }
  if (dot == 1) {
    StartVisibleLine();
    return;
  }
  if (line < 240) DeliverSprite0Hit(dot);
  if (dot == 256) {
    VisibleDot256();  // on the pre-render line too: there is nothing to draw
    return;
  }
  if (dot == 257) {
    VisibleDot257();
    return;
  }
  if (rendering && dot == A12Dot() && m_.uses_a12) A12RiseEvent();
}

inline void Ppu::A12RiseEvent() {
  m_.mapper->OnA12Rise(m_.s.ppu.clock);
  m_.s.ppu.a12_high = 0;  // the line's fetches return A12 low before the CPU can look again
}

inline void Ppu::StartVisibleLine() {
  m_.s.ppu.rendered_x = 0;
  InvalidateLineCaches();
  ComputeSprite0Hit(0);
}

inline void Ppu::DeliverSprite0Hit(int dot) {
  PpuState& p = m_.s.ppu;
  if (dot != p.sprite0_hit_dot) return;
  if ((p.mask & 0x18) == 0x18) p.status |= 0x40;
  p.sprite0_hit_dot = -1;
}

inline void Ppu::VisibleDot256() {
  PpuState& p = m_.s.ppu;
  if (p.line < 240) CatchUpPixels();
  if (!(p.mask & 0x18)) return;
  // Increment fine Y, carrying into coarse Y (wrapping at row 29 to the next nametable).
  uint16_t v = p.v;
  if ((v & 0x7000) != 0x7000) {
    v += 0x1000;
  } else {
    v &= ~0x7000;
    int y = (v & 0x03E0) >> 5;
    if (y == 29) {
      y = 0;
      v ^= 0x0800;
    } else if (y == 31) {
      y = 0;
    } else {
      ++y;
    }
    v = static_cast<uint16_t>((v & ~0x03E0) | (y << 5));
  }
  p.v = v;
}

inline void Ppu::VisibleDot257() {
  PpuState& p = m_.s.ppu;
  if (!(p.mask & 0x18)) return;
  p.v = static_cast<uint16_t>((p.v & ~0x041F) | (p.t & 0x041F));
  if (p.line < 240) EvaluateSprites();
}

void Ppu::EvaluateSprites() {
  PpuState& p = m_.s.ppu;
  const int height = (p.ctrl & 0x20) ? 16 : 8;
  const int line = p.line;
  // Which of the 64 sprites cover this line: a per-line bitmask rebuilt only when OAM or the
  // sprite height changed (OAM is normally written once per frame, in vertical blank).
  if (oam_dirty_ || mask_height_ != height) {
    std::memset(line_masks_, 0, sizeof line_masks_);
    for (int k = 0; k < 64; ++k) {
      const int y = p.oam[k * 4];
      for (int r = 0; r < height && y + r < 240; ++r) line_masks_[y + r] |= uint64_t{1} << k;
    }
    oam_dirty_ = false;
    mask_height_ = height;
  }
  const uint64_t in_range = line_masks_[line];
  if (in_range == 0) {
    p.next_sprite_count = 0;
    return;
  }
  int count = 0;
  int n = 64;  // where the overflow search starts: after the 8th sprite found, else nowhere
  // Visit only the sprites in range (set bits), in OAM order.
  for (uint64_t bits = in_range; bits != 0 && count < 8; bits &= bits - 1) {
    const int k = __builtin_ctzll(bits);
    if (count == 7) n = k + 1;
    const int row = line - p.oam[k * 4];
    if (line >= 239) {
      ++count;
      continue;
    }
    const uint8_t tile = p.oam[k * 4 + 1];
    const uint8_t attr = p.oam[k * 4 + 2];
    int r = (attr & 0x80) ? height - 1 - row : row;
    uint16_t address;
    if (height == 16) {
      address = static_cast<uint16_t>(((tile & 1) << 12) | ((tile & 0xFE) << 4));
      if (r >= 8) {
        address += 16;
        r -= 8;
      }
    } else {
      address = static_cast<uint16_t>(((p.ctrl & 0x08) << 9) | (tile << 4));
    }
    address = static_cast<uint16_t>(address + r);
    uint8_t lo = ReadVram(address), hi = ReadVram(address + 8);
    if (attr & 0x40) {
      auto reverse = [](uint8_t b) {
        b = static_cast<uint8_t>((b & 0xF0) >> 4 | (b & 0x0F) << 4);
        b = static_cast<uint8_t>((b & 0xCC) >> 2 | (b & 0x33) << 2);
        return static_cast<uint8_t>((b & 0xAA) >> 1 | (b & 0x55) << 1);
      };
      lo = reverse(lo);
      hi = reverse(hi);
    }
    if (k == 0) p.next_sprite0 = 1;
    p.next_sprites[count] = SpriteSlot{p.oam[k * 4 + 3], attr, lo, hi};
    ++count;
  }
  // Overflow search with the hardware's diagonal-scan bug.
  int m = 0;
  for (; n < 64; ++n) {
    const int row = line - p.oam[n * 4 + m];
    if (row >= 0 && row < height) {
      p.status |= 0x20;
      break;
    }
    m = (m + 1) & 3;
  }
  p.next_sprite_count = static_cast<uint8_t>(line >= 239 ? 0 : count);
}

uint8_t Ppu::BgPixelAt(int x) const {
  const PpuState& p = m_.s.ppu;
  const int px = x + p.fine_x;
  int coarse = (p.v & 0x1F) + (px >> 3);
  uint16_t nt = p.v & 0x0C00;
  if (coarse >= 32) {
    coarse -= 32;
    nt ^= 0x0400;
  }
  const uint16_t nt_address = static_cast<uint16_t>(0x2000 | nt | (p.v & 0x03E0) | coarse);
  const uint8_t tile = ReadVram(nt_address);
  const uint16_t address = static_cast<uint16_t>(((p.ctrl & 0x10) << 8) | (tile << 4) | (p.v >> 12));
  const int bit = 7 - (px & 7);
  return static_cast<uint8_t>(((ReadVram(address) >> bit) & 1) | (((ReadVram(address + 8) >> bit) & 1) << 1));
}

void Ppu::ComputeSprite0Hit(int from_x) {
  PpuState& p = m_.s.ppu;
  p.sprite0_hit_dot = -1;
  if (!p.sprite0_on_line || (p.mask & 0x18) != 0x18 || (p.status & 0x40)) return;
  const SpriteSlot& s = p.sprites[0];
  const bool clip = (p.mask & 0x06) != 0x06;
  for (int i = 0; i < 8; ++i) {
    const int x = s.x + i;
    if (x > 254) break;
    if (x < from_x || (x < 8 && clip)) continue;
    const int bit = 7 - i;
    if ((((s.lo >> bit) | (s.hi >> bit)) & 1) == 0) continue;  // sprite pixel transparent
    if (BgPixelAt(x) == 0) continue;
    p.sprite0_hit_dot = static_cast<int16_t>(x + 2);
    return;
  }
}

void Ppu::CatchUpPixels() {
  PpuState& p = m_.s.ppu;
  if (!m_.render || p.line >= 240 || p.dot < 1) return;
  const int x1 = std::min<int>(p.dot, 256);  // pixel x is output at dot x + 1
  if (x1 > p.rendered_x) {
    RenderSpan(p.rendered_x, x1);
    p.rendered_x = static_cast<int16_t>(x1);
  }
}

namespace {
constexpr uint64_t kBytes = 0x0101010101010101ULL;

// A background pixel b and a sprite pixel s from the line caches to the frame's palette index: the
// sprite shows when opaque (bit 7) and not behind (bit 6) an opaque background pixel. Branch-free
// so the compose loops vectorise.
inline uint8_t ComposePixel(uint8_t b, uint8_t s) {
  const uint8_t wins = static_cast<uint8_t>(s & ~(b & (s << 1)) & 0x80);
  const uint8_t mask = static_cast<uint8_t>(-(wins >> 7));
  return static_cast<uint8_t>(((s & mask) | (b & ~mask)) & 0x3F);
}

#if MARIO_RL_PPU_SSSE3
const bool kHasSsse3 = __builtin_cpu_supports("ssse3");

// Shades the line's 33 tiles: each byte of a tile's decoded row (2-bit pixel value) ORed with its
// 4 * group indexes the 16-entry background colour table with one byte shuffle per two tiles.
// patterns/groups: the row cache; fine_y: the pattern row; palette: the 16 background entries;
// grey: the greyscale mask ($30 or $3F).
__attribute__((target("ssse3"))) void ShadeTilesSsse3(const uint64_t* const* patterns, const uint64_t* groups,
                                                      int fine_y, const uint8_t* palette, uint8_t grey, uint8_t* out) {
  // The 16-entry colour table, built in registers (byte stores then a vector load would stall
  // store forwarding): entry 4g+k = palette[4g+k] | opaque for k > 0, the backdrop for k = 0.
  const __m128i pal =
      _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(palette)), _mm_set1_epi8(static_cast<char>(grey)));
  const __m128i first_of_group = _mm_set1_epi32(0xFF);  // bytes 0, 4, 8, 12
  const __m128i backdrop = _mm_set1_epi8(static_cast<char>(palette[0] & grey));
  const __m128i colours =
      _mm_or_si128(_mm_and_si128(first_of_group, backdrop),
                   _mm_andnot_si128(first_of_group, _mm_or_si128(pal, _mm_set1_epi8(static_cast<char>(0x80)))));
  for (int i = 0; i < 32; i += 2) {
    const __m128i rows =
        _mm_set_epi64x(static_cast<int64_t>(patterns[i + 1][fine_y]), static_cast<int64_t>(patterns[i][fine_y]));
    const __m128i idx = _mm_or_si128(rows, _mm_load_si128(reinterpret_cast<const __m128i*>(groups + i)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i * 8), _mm_shuffle_epi8(colours, idx));
  }
  const __m128i last = _mm_cvtsi64_si128(static_cast<int64_t>(patterns[32][fine_y] | groups[32]));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out + 256), _mm_shuffle_epi8(colours, last));
}
#endif

}  // namespace

// Line caches hold final palette indices (greyscale applied) with flags in the top bits:
// background bit 7 = opaque; sprites bit 7 = opaque, bit 6 = behind the background.
// Palette, mask and bank changes invalidate them (after drawing the pixels before the change).
void Ppu::BuildBgLine() {
  const PpuState& p = m_.s.ppu;
  const uint8_t grey = (p.mask & 0x01) ? 0x30 : 0x3F;
  const int pattern_base = (p.ctrl & 0x10) << 8;
  // The row cache (ppu.h) serves the 8 lines of a tile row: tile numbers, palette groups and
  // pattern banks depend only on the coarse scroll, the nametables, the pattern table and CHR
  // banking, not on fine Y.
  const uint16_t row_key = static_cast<uint16_t>((p.v & 0x0FFF) | pattern_base);
  // Without fast paths it is rebuilt for every line: the reference the cache is tested against.
  if (!row_valid_ || row_key_ != row_key || !m_.fast_paths) {
    // Locals first: stores into the cache could otherwise alias them and force reloads.
    const uint64_t* banks[8];
    for (int i = 0; i < 8; ++i) banks[i] = m_.chr_rows_map[i];
    const uint8_t* tables[4];
    for (int i = 0; i < 4; ++i) tables[i] = p.vram + p.nt_offset[i];
    const int coarse_y = (p.v >> 5) & 31;
    int coarse = p.v & 0x1F;
    int nt = (p.v >> 10) & 3;
    const uint8_t* table = tables[nt];
    const int attr_row = 0x3C0 | ((coarse_y >> 2) << 3);
    const int attr_shift_y = (coarse_y & 2) << 1;
    for (int i = 0; i < 33; ++i) {
      const unsigned address = static_cast<unsigned>(pattern_base) | (unsigned{table[(coarse_y << 5) | coarse]} << 4);
      row_patterns_[i] = banks[(address >> 10) & 7] + PatternRowIndex(address);
      const unsigned group = (table[attr_row | (coarse >> 2)] >> (attr_shift_y | (coarse & 2))) & 3;
      row_groups_[i] = group * 4 * kBytes;
      if (++coarse == 32) {
        coarse = 0;
        nt ^= 1;
        table = tables[nt];
      }
    }
    row_key_ = row_key;
    row_valid_ = true;
  }
  const int fine_y = p.v >> 12;
#if MARIO_RL_PPU_SSSE3
  if (kHasSsse3) {
    ShadeTilesSsse3(row_patterns_, row_groups_, fine_y, p.palette, grey, bg_line_);
    bg_valid_ = true;
    return;
  }
#endif
  uint64_t colours[4][4];
  for (int group = 0; group < 4; ++group) {
    colours[group][0] = (p.palette[0] & grey) * kBytes;
    for (int k = 1; k < 4; ++k)
      colours[group][k] = static_cast<uint64_t>((p.palette[group * 4 + k] & grey) | 0x80) * kBytes;
  }
  uint64_t out[33];
  for (int i = 0; i < 33; ++i) {
    const uint64_t* c = colours[(row_groups_[i] >> 2) & 3];
    const uint64_t pix = row_patterns_[i][fine_y];
    const uint64_t l = (pix & kBytes) * 0xFF, h = ((pix >> 1) & kBytes) * 0xFF;
    out[i] = (~l & ~h & c[0]) | (l & ~h & c[1]) | (~l & h & c[2]) | (l & h & c[3]);
  }
  std::memcpy(bg_line_, out, sizeof out);
  bg_valid_ = true;
}

void Ppu::BuildSpriteLine() {
  const PpuState& p = m_.s.ppu;
  const uint8_t grey = (p.mask & 0x01) ? 0x30 : 0x3F;
  sprites_valid_ = true;
  if (p.sprite_count == 0) return;  // RenderSpan reads spr_line_ only when the line has sprites
  // 8 pixels at a time, one byte each (SWAR): lower OAM indices are drawn last and win. The
  // line buffer has 8 spare bytes so a sprite at x > 248 needs no special case.
  uint8_t* const line = spr_line_;
  std::memset(line, 0, sizeof spr_line_);
  for (int i = p.sprite_count - 1; i >= 0; --i) {
    const SpriteSlot& s = p.sprites[i];
    const uint8_t flags = static_cast<uint8_t>(0x80 | ((s.attr & 0x20) ? 0x40 : 0));
    const uint8_t* group = p.palette + 16 + (s.attr & 3) * 4;
    const uint64_t pix = DecodePatternRow(s.lo, s.hi);           // byte k = pixel k's value 0..3
    const uint64_t lo = pix & kBytes, hi = (pix >> 1) & kBytes;  // 1 per byte where the bit is set
    const uint64_t is1 = (lo & ~hi) * 0xFF, is2 = (hi & ~lo) * 0xFF, is3 = (lo & hi) * 0xFF;
    const uint64_t colour = (is1 & (static_cast<uint8_t>(flags | (group[1] & grey)) * kBytes)) |
                            (is2 & (static_cast<uint8_t>(flags | (group[2] & grey)) * kBytes)) |
                            (is3 & (static_cast<uint8_t>(flags | (group[3] & grey)) * kBytes));
    const uint64_t opaque = is1 | is2 | is3;
    uint64_t old;
    std::memcpy(&old, line + s.x, 8);
    const uint64_t merged = (colour & opaque) | (old & ~opaque);
    std::memcpy(line + s.x, &merged, 8);
  }
}

void Ppu::RenderSpan(int x0, int x1) {
  const PpuState& p = m_.s.ppu;
  uint8_t* out = m_.frame + p.line * kFrameWidth;
  const uint8_t grey = (p.mask & 0x01) ? 0x30 : 0x3F;
  if (!(p.mask & 0x18)) {
    // Rendering off: the backdrop, or the palette entry v points at.
    const uint8_t c = ((p.v & 0x3F00) == 0x3F00) ? p.palette[PaletteIndex(p.v)] : p.palette[0];
    std::memset(out + x0, c & grey, static_cast<size_t>(x1 - x0));
    return;
  }
  const bool bg_on = (p.mask & 0x08) != 0, spr_on = (p.mask & 0x10) != 0;
  if (bg_on && !bg_valid_) BuildBgLine();
  if (spr_on && !sprites_valid_) BuildSpriteLine();
  const uint8_t backdrop = p.palette[0] & grey;
  const bool sprites = spr_on && p.sprite_count != 0;
  // One pass from the line caches to the frame (no staging buffer); pixel x's background is bg[x].
  const uint8_t* __restrict bg = bg_line_ + p.fine_x;
  const uint8_t* __restrict spr = spr_line_;
  uint8_t* __restrict dst = out;
  int x = x0;
  if ((p.mask & 0x06) != 0x06) {
    // The left 8 pixels, where a layer is clipped.
    const bool bg_shown = bg_on && (p.mask & 0x02), sprites_shown = sprites && (p.mask & 0x04);
    for (const int end = std::min(x1, 8); x < end; ++x) {
      const uint8_t b = bg_shown ? bg[x] : backdrop;
      dst[x] = sprites_shown ? ComposePixel(b, spr[x]) : static_cast<uint8_t>(b & 0x3F);
    }
    if (x >= x1) return;
  }
  if (!bg_on) {
    if (!sprites) {
      std::memset(dst + x, backdrop, static_cast<size_t>(x1 - x));
      return;
    }
    for (; x < x1; ++x) dst[x] = ComposePixel(backdrop, spr[x]);
    return;
  }
  if (!sprites) {
    for (; x < x1; ++x) dst[x] = static_cast<uint8_t>(bg[x] & 0x3F);
    return;
  }
  for (; x < x1; ++x) dst[x] = ComposePixel(bg[x], spr[x]);
}

uint8_t Ppu::ReadRegister(uint16_t address) {
  PpuState& p = m_.s.ppu;
  switch (address & 7) {
    case 2: {
      const uint8_t result = static_cast<uint8_t>((p.status & 0xE0) | (OpenBusNow() & 0x1F));
      if (p.line == kVblLine) {
        if (p.dot == 0) {
          p.vbl_suppressed = 1;  // read one dot before VBL: flag never sets, no NMI
        } else if (p.dot <= 2) {
          m_.s.cpu.nmi_pending = 0;  // read as VBL sets: flag reads set, NMI suppressed
        }
      }
      p.status &= 0x7F;
      p.w = 0;
      DriveOpenBus(result, 0xE0);  // the status bits drive the latch; the low 5 keep decaying
      return result;
    }
    case 4: {
      uint8_t value = p.oam[p.oam_addr];
      if ((p.oam_addr & 3) == 2) value &= 0xE3;
      DriveOpenBus(value, 0xFF);
      return value;
    }
    case 7: {
      const uint16_t a = p.v & 0x3FFF;
      uint8_t result;
      uint8_t driven = 0xFF;
      if (a < 0x3F00) {
        result = p.read_buffer;
        p.read_buffer = ReadVram(a);
      } else {
        driven = 0x3F;  // palette RAM drives 6 bits; the top 2 come from the latch
        result = static_cast<uint8_t>((ReadVram(a) & 0x3F) | (OpenBusNow() & 0xC0));
        p.read_buffer = ReadVram(static_cast<uint16_t>(a - 0x1000));
      }
      p.v = static_cast<uint16_t>((p.v + ((p.ctrl & 0x04) ? 32 : 1)) & 0x7FFF);
      SetAddressBus(p.v);
      DriveOpenBus(result, driven);
      return result;
    }
    default: return p.open_bus = OpenBusNow();  // write-only registers: the latch, undriven
  }
}

uint8_t Ppu::PeekRegister(uint16_t address) const {
  const PpuState& p = m_.s.ppu;
  switch (address & 7) {
    case 2: return static_cast<uint8_t>((p.status & 0xE0) | (OpenBusNow() & 0x1F));
    case 4: return p.oam[p.oam_addr];
    case 7: return (p.v & 0x3FFF) >= 0x3F00 ? ReadVram(p.v) : p.read_buffer;
    default: return OpenBusNow();
  }
}

void Ppu::WriteOam(uint8_t value) {
  PpuState& p = m_.s.ppu;
  oam_dirty_ = true;
  p.oam[p.oam_addr++] = value;
}

void Ppu::WriteRegister(uint16_t address, uint8_t value) {
  PpuState& p = m_.s.ppu;
  DriveOpenBus(value, 0xFF);
  // Until the pre-render line after power or reset the PPU ignores $2000, $2001, $2005 and $2006
  // (NESdev wiki, "PPU power up state"); the latch still takes the value.
  if (p.warming_up && (0x63 >> (address & 7)) & 1) return;
  switch (address & 7) {
    case 0: {
      CatchUpPixels();
      const bool was_on = (p.ctrl & 0x80) && (p.status & 0x80);
      p.ctrl = value;
      p.t = static_cast<uint16_t>((p.t & ~0x0C00) | ((value & 3) << 10));
      const bool now_on = (p.ctrl & 0x80) && (p.status & 0x80);
      if (!was_on && now_on) {
        m_.s.cpu.nmi_pending = 1;
        m_.s.cpu.nmi_clock = p.clock;
      } else if (was_on && !now_on && m_.s.cpu.nmi_pending && p.clock - m_.s.cpu.nmi_clock <= kNmiCancelWindow) {
        m_.s.cpu.nmi_pending = 0;  // NMI disabled right as it rose: never reaches the CPU
      }
      bg_valid_ = false;
      sprites_valid_ = false;
      break;
    }
    case 1:
      CatchUpPixels();
      p.mask = value;
      InvalidateLineCaches();  // greyscale is baked into the cached colours
      // A mid-line change of the enables or clipping moves (or cancels) a pending sprite-0 hit.
      if (p.line < 240 && p.dot >= 1 && p.dot <= 256) ComputeSprite0Hit(p.dot);
      break;
    case 3: p.oam_addr = value; break;
    case 4:
      p.oam[p.oam_addr++] = value;
      oam_dirty_ = true;
      break;
    case 5:
      CatchUpPixels();
      if (!p.w) {
        p.t = static_cast<uint16_t>((p.t & ~0x001F) | (value >> 3));
        p.fine_x = value & 7;
      } else {
        p.t = static_cast<uint16_t>((p.t & ~0x73E0) | ((value & 7) << 12) | ((value & 0xF8) << 2));
      }
      p.w ^= 1;
      break;
    case 6:
      if (!p.w) {
        p.t = static_cast<uint16_t>((p.t & 0x00FF) | ((value & 0x3F) << 8));
      } else {
        CatchUpPixels();
        p.t = static_cast<uint16_t>((p.t & 0xFF00) | value);
        p.v = p.t;
        bg_valid_ = false;
        SetAddressBus(p.v);
      }
      p.w ^= 1;
      break;
    case 7:
      CatchUpPixels();
      WriteVram(p.v, value);
      p.v = static_cast<uint16_t>((p.v + ((p.ctrl & 0x04) ? 32 : 1)) & 0x7FFF);
      SetAddressBus(p.v);
      break;
    default: break;
  }
}

}  // namespace mario_rl::nes
