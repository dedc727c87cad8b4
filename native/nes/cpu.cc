#include "nes/cpu.h"

#include <algorithm>
#include <cstdio>

#include "nes/idle_loop.h"
#include "nes/machine.h"

// The interpreter's helpers (Cpu::Core's member functions) must inline into the dispatch loop.
// Sanitizer builds (the fuzzer) leave inlining to the compiler: with every helper forced inline,
// GCC 12 spends over 8 minutes on this file under ASan + UBSan (44 s before Core existed).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define MARIO_RL_ALWAYS_INLINE
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define MARIO_RL_ALWAYS_INLINE
#endif
#endif
#ifndef MARIO_RL_ALWAYS_INLINE
#if defined(__GNUC__) || defined(__clang__)
#define MARIO_RL_ALWAYS_INLINE __attribute__((always_inline))
#else
#define MARIO_RL_ALWAYS_INLINE
#endif
#endif

#if defined(__GNUC__) || defined(__clang__)
#define MARIO_RL_NOINLINE __attribute__((noinline))
#else
#define MARIO_RL_NOINLINE
#endif

namespace mario_rl::nes {

namespace {
constexpr uint8_t kC = 0x01, kZ = 0x02, kI = 0x04, kD = 0x08, kB = 0x10, kU = 0x20, kV = 0x40, kN = 0x80;
}  // namespace

void Cpu::PowerOn() {
  CpuState& c = m_.s.cpu;
  c.a = c.x = c.y = 0;
  c.p = kU | kI;
  c.sp = 0x00;
  c.nmi_pending = 0;
  Reset();
}

void Cpu::Reset() {
  // The reset sequence: 7 cycles, three suppressed pushes, then the vector.
  CpuState& c = m_.s.cpu;
  m_.Tick();
  m_.Tick();
  for (int i = 0; i < 3; ++i) {
    m_.Tick();
    --c.sp;
  }
  c.p |= kI;
  const uint8_t lo = m_.Read(0xFFFC);
  const uint8_t hi = m_.Read(0xFFFD);
  c.pc = static_cast<uint16_t>(lo | (hi << 8));
}

void Cpu::Interrupt(uint16_t vector, bool brk) {
  CpuState& c = m_.s.cpu;
  Machine& m = m_;
  if (!brk) {
    m.Read(c.pc);
    m.Read(c.pc);
  }
  m.Write(0x100 | c.sp--, c.pc >> 8);
  m.Write(0x100 | c.sp--, c.pc & 0xFF);
  // NMI hijack: an NMI arriving during BRK/IRQ's pushes takes over the vector. Bring the PPU up
  // to now first if its NMI edge is due (nothing else syncs it inside the sequence).
  m.Poll();
  if (vector == 0xFFFE && c.nmi_pending && c.nmi_clock <= static_cast<uint64_t>(c.cycles * 3 + kPpuPhase)) {
    vector = 0xFFFA;
    c.nmi_pending = 0;
  }
  m.Write(0x100 | c.sp--, static_cast<uint8_t>(c.p | kU | (brk ? kB : 0)));
  c.p |= kI;
  const uint8_t lo = m.Read(vector);
  const uint8_t hi = m.Read(vector + 1);
  c.pc = static_cast<uint16_t>(lo | (hi << 8));
}

// The interpreter's working set: the 6502 registers and the cycle counter as plain members of
// an object that lives on Execute's stack. Every member function is force-inlined, so the
// compiler sees one function with scalar locals and keeps them in host registers (lambdas that
// captured each other by reference left the cycle counter and P in memory: a store and reload
// per bus cycle). They are written back to CpuState only around out-of-line work (interrupts,
// the catch-up chips, and at the end), which never reads them.
template <bool kWatch>
struct Cpu::Core {
  explicit Core(Machine& machine)
      : m(machine),
        c(machine.s.cpu),
        ram(machine.s.ram),
        a(c.a),
        x(c.x),
        y(c.y),
        p(c.p),
        sp(c.sp),
        pc(c.pc),
        cyc(c.cycles),
        nz(NzOf(c.p)) {
    RefreshLimit();
  }

  Machine& m;
  CpuState& c;
  uint8_t* const ram;
  // p holds C, I, D, V and bits 4-5; its N and Z bits are stale. N and Z live in nz, the last
  // flag-setting result (lazy flags: most results are never tested, so storing one is cheaper
  // than computing two flags): Z = low byte zero, N = bit 7 or bit 8 set (BIT's N is its
  // operand's bit 7, which bit 8 carries). flags() assembles the architectural P.
  uint8_t a, x, y, p, sp;
  uint16_t pc;
  uint64_t cyc;
  uint16_t nz;
  // The instruction tail takes its slow path (catch-up sync, interrupt poll, end of frame) only
  // when cyc >= limit. limit is 0 while an interrupt is pending / unmasked or the frame is done,
  // and is dropped to 0 by anything out of line (I/O, BRK) and by instructions that change the
  // I flag, so one compare of two registers replaces six loads per instruction.
  uint64_t limit = 0;
  // Instructions that do not poll on their penultimate cycle mark the cycle they ended on (the
  // tail compares it with cyc, so a stale mark never matches): a taken branch that stays in its
  // page polls before its second cycle only; BRK, the interrupt sequence, does not poll at all.
  uint64_t early_poll_end = 0;
  uint64_t no_poll_end = 0;

  MARIO_RL_ALWAYS_INLINE void RefreshLimit() {
    const bool attention = c.nmi_pending || (m.IrqLine() && !(p & kI)) || m.s.ppu.frame_done;
    limit = attention ? 0 : m.attention_cycle;
  }

  static MARIO_RL_ALWAYS_INLINE uint16_t NzOf(uint8_t flags) {
    return static_cast<uint16_t>(((flags & kZ) ? 0 : 1) | ((flags & kN) ? 0x100 : 0));
  }
  MARIO_RL_ALWAYS_INLINE bool zero() const { return (nz & 0xFF) == 0; }
  MARIO_RL_ALWAYS_INLINE bool negative() const { return (nz & 0x180) != 0; }
  MARIO_RL_ALWAYS_INLINE uint8_t flags() const {
    return static_cast<uint8_t>((p & ~(kZ | kN)) | (zero() ? kZ : 0) | (negative() ? kN : 0));
  }
  MARIO_RL_ALWAYS_INLINE void set_flags(uint8_t flags) {
    p = flags;
    nz = NzOf(flags);
  }

  MARIO_RL_ALWAYS_INLINE void sync_out() {
    // Barriers keep GCC from merging the byte stores into one word it would then assemble on
    // every instruction of the loop.
    c.a = a;
    asm volatile("" ::: "memory");
    c.x = x;
    asm volatile("" ::: "memory");
    c.y = y;
    asm volatile("" ::: "memory");
    c.p = flags();
    asm volatile("" ::: "memory");
    c.sp = sp;
    c.pc = pc;
    c.cycles = cyc;
  }
  MARIO_RL_ALWAYS_INLINE void sync_in() {
    a = c.a;
    x = c.x;
    y = c.y;
    set_flags(c.p);
    sp = c.sp;
    pc = c.pc;
    cyc = c.cycles;
  }
  // Near a DMC fetch (kWatch), every read cycle may be the one the DMA halts on, whatever it
  // reads: the shortcuts below that skip the bus for RAM and PRG-ROM apply only without kWatch.
  MARIO_RL_ALWAYS_INLINE void dmc_halt(uint16_t address) {
    if constexpr (kWatch) {
      if (cyc + 1 >= m.dmc_fetch_cycle) {
        c.cycles = cyc;
        m.DmcDma(address);
        cyc = c.cycles;
        limit = 0;
      }
    }
  }
  // A PRG-ROM byte ($8000-$FFFF): one load for the slot, one for the byte, no masking.
  MARIO_RL_ALWAYS_INLINE uint8_t prg(uint16_t address) const {
    return *reinterpret_cast<const uint8_t*>(m.prg_read[static_cast<uint32_t>(address) >> 13] + address);
  }
  // One bus cycle each. RAM and PRG-ROM are inline; the rest goes through the machine.
  MARIO_RL_ALWAYS_INLINE uint8_t rd(uint16_t address) {
    dmc_halt(address);
    ++cyc;
    if (address < 0x2000) return ram[address & 0x7FF];
    if (address >= 0x8000) return prg(address);
    c.cycles = cyc;
    const uint8_t v = m.ReadIo(address);
    cyc = c.cycles;
    limit = 0;
    return v;
  }
  // A bus cycle whose value the instruction ignores (dummy reads): RAM and PRG-ROM reads have no
  // side effects, so only I/O is actually read.
  MARIO_RL_ALWAYS_INLINE void dummy_rd(uint16_t address) {
    if (static_cast<uint16_t>(address - 0x2000) >= 0x6000) {
      dmc_halt(address);
      ++cyc;
      return;
    }
    rd(address);
  }
  // A bus cycle on the stack page or zero page (RAM): nothing to read (a DMC halt there repeats a
  // RAM read, which has no effect, so any RAM address stands for it).
  MARIO_RL_ALWAYS_INLINE void dummy_ram_rd() {
    dmc_halt(0x0100);
    ++cyc;
  }
  MARIO_RL_ALWAYS_INLINE void wr(uint16_t address, uint8_t value) {
    ++cyc;
    if (address < 0x2000) {
      ram[address & 0x7FF] = value;
      return;
    }
    c.cycles = cyc;
    m.WriteIo(address, value);
    cyc = c.cycles;
    limit = 0;
  }
  MARIO_RL_ALWAYS_INLINE void set_zn(uint8_t v) { nz = v; }
  // Code runs from PRG-ROM almost always: test that first.
  MARIO_RL_ALWAYS_INLINE uint8_t fetch() {
    const uint16_t address = pc++;
    if (address >= 0x8000) {
      dmc_halt(address);
      ++cyc;
      return prg(address);
    }
    return rd(address);
  }
  MARIO_RL_ALWAYS_INLINE uint16_t fetch16() {
    const uint8_t lo = fetch();
    return static_cast<uint16_t>(lo | (fetch() << 8));
  }
  MARIO_RL_ALWAYS_INLINE void push(uint8_t v) { wr(0x100 | sp--, v); }
  MARIO_RL_ALWAYS_INLINE uint8_t pull() { return rd(0x100 | ++sp); }
  // Addressing modes return the effective address. `write` selects the always-dummy-read form
  // of indexed modes (stores and read-modify-write).
  MARIO_RL_ALWAYS_INLINE uint16_t zp() { return fetch(); }
  MARIO_RL_ALWAYS_INLINE uint16_t zpi(uint8_t index) {
    const uint8_t base = fetch();
    dummy_ram_rd();
    return static_cast<uint8_t>(base + index);
  }
  MARIO_RL_ALWAYS_INLINE uint16_t abs() { return fetch16(); }
  MARIO_RL_ALWAYS_INLINE uint16_t absi(uint8_t index, bool write) {
    const uint16_t base = fetch16();
    const uint16_t addr = static_cast<uint16_t>(base + index);
    if (write || ((base ^ addr) & 0xFF00)) dummy_rd(static_cast<uint16_t>((base & 0xFF00) | (addr & 0xFF)));
    return addr;
  }
  MARIO_RL_ALWAYS_INLINE uint16_t indx() {
    uint8_t z = fetch();
    dummy_ram_rd();
    z = static_cast<uint8_t>(z + x);
    const uint8_t lo = rd(z);
    const uint8_t hi = rd(static_cast<uint8_t>(z + 1));
    return static_cast<uint16_t>(lo | (hi << 8));
  }
  MARIO_RL_ALWAYS_INLINE uint16_t indy(bool write) {
    const uint8_t z = fetch();
    const uint8_t lo = rd(z);
    const uint8_t hi = rd(static_cast<uint8_t>(z + 1));
    const uint16_t base = static_cast<uint16_t>(lo | (hi << 8));
    const uint16_t addr = static_cast<uint16_t>(base + y);
    if (write || ((base ^ addr) & 0xFF00)) dummy_rd(static_cast<uint16_t>((base & 0xFF00) | (addr & 0xFF)));
    return addr;
  }
  MARIO_RL_ALWAYS_INLINE void adc(uint8_t v) {
    const unsigned sum = a + v + (p & kC);
    const uint8_t r = static_cast<uint8_t>(sum);
    p = static_cast<uint8_t>((p & ~(kC | kV)) | (sum > 0xFF ? kC : 0) | ((~(a ^ v) & (a ^ r) & 0x80) ? kV : 0));
    a = r;
    set_zn(a);
  }
  MARIO_RL_ALWAYS_INLINE void sbc(uint8_t v) { adc(static_cast<uint8_t>(~v)); }
  MARIO_RL_ALWAYS_INLINE void cmp(uint8_t reg, uint8_t v) {
    p = static_cast<uint8_t>((p & ~kC) | (reg >= v ? kC : 0));
    set_zn(static_cast<uint8_t>(reg - v));
  }
  MARIO_RL_ALWAYS_INLINE uint8_t asl(uint8_t v) {
    p = static_cast<uint8_t>((p & ~kC) | (v >> 7));
    v = static_cast<uint8_t>(v << 1);
    set_zn(v);
    return v;
  }
  MARIO_RL_ALWAYS_INLINE uint8_t lsr(uint8_t v) {
    p = static_cast<uint8_t>((p & ~kC) | (v & 1));
    v >>= 1;
    set_zn(v);
    return v;
  }
  MARIO_RL_ALWAYS_INLINE uint8_t rol(uint8_t v) {
    const uint8_t carry = p & kC;
    p = static_cast<uint8_t>((p & ~kC) | (v >> 7));
    v = static_cast<uint8_t>((v << 1) | carry);
    set_zn(v);
    return v;
  }
  MARIO_RL_ALWAYS_INLINE uint8_t ror(uint8_t v) {
    const uint8_t carry = p & kC;
    p = static_cast<uint8_t>((p & ~kC) | (v & 1));
    v = static_cast<uint8_t>((v >> 1) | (carry << 7));
    set_zn(v);
    return v;
  }
  MARIO_RL_ALWAYS_INLINE void bit(uint8_t v) {
    p = static_cast<uint8_t>((p & ~kV) | (v & kV));
    nz = static_cast<uint16_t>((a & v) | ((v & kN) << 1));
  }
  MARIO_RL_ALWAYS_INLINE void branch(bool taken) {
    const int8_t offset = static_cast<int8_t>(fetch());
    if (!taken) return;
    dummy_rd(pc);
    const uint16_t target = static_cast<uint16_t>(pc + offset);
    if ((target ^ pc) & 0xFF00) {
      dummy_rd(static_cast<uint16_t>((pc & 0xFF00) | (target & 0xFF)));
    } else {
      early_poll_end = cyc;
    }
    const uint16_t at = static_cast<uint16_t>(pc - 2);
    pc = target;
    if (offset < 0 && offset >= -(kIdleLoopMaxBytes + 2)) skip_idle_loop(at);
  }
  // Backward jumps over a few bytes may close an idle loop (idle_loop.h).
  MARIO_RL_ALWAYS_INLINE void skip_idle_loop(uint16_t back_edge) {
    if (!m.fast_paths || back_edge < 0x8000) return;
    if (m.idle_loops.KnownBusy(&m.prg_map[(back_edge >> 13) & 3][back_edge & 0x1FFF])) return;
    const uint64_t skipped = m.idle_loops.Skip(m, pc, back_edge, cyc, a, x, y, flags());
    if (early_poll_end == cyc) early_poll_end += skipped;  // the last skipped branch polls as this one would
    cyc += skipped;
  }
  // Read-modify-write: read, dummy write of the old value, write of the new one.
  template <typename Op>
  MARIO_RL_ALWAYS_INLINE uint8_t rmw(uint16_t addr, Op op) {
    uint8_t v = rd(addr);
    wr(addr, v);
    v = op(v);
    wr(addr, v);
    return v;
  }
  // SHX/SHY/SHA/TAS: store value & (high byte of base + 1); the high byte is corrupted on a carry.
  MARIO_RL_ALWAYS_INLINE void sh(uint16_t base, uint8_t index, uint8_t value) {
    const uint16_t addr = static_cast<uint16_t>(base + index);
    dummy_rd(static_cast<uint16_t>((base & 0xFF00) | (addr & 0xFF)));
    const uint8_t hi = static_cast<uint8_t>((base >> 8) + 1);
    const uint8_t v = value & hi;
    const uint16_t target = ((base ^ addr) & 0xFF00) ? static_cast<uint16_t>((v << 8) | (addr & 0xFF)) : addr;
    wr(target, v);
  }

  // The opcode switch below is laid out by hand, one case per line; clang-format would rewrap it.
  // clang-format off
  // The 6502's "group one" instructions share eight addressing modes at fixed opcode offsets:
  // (zp,x) +0x01, zp +0x05, #imm +0x09, abs +0x0D, (zp),y +0x11, zp,x +0x15, abs,y +0x19,
  // abs,x +0x1D. `body` uses the operand v.
#define MARIO_RL_ALU_GROUP(base, body)                                                       \
    case base + 0x09: { const uint8_t v = fetch(); body; } break;                             \
    case base + 0x05: { const uint8_t v = rd(zp()); body; } break;                           \
    case base + 0x15: { const uint8_t v = rd(zpi(x)); body; } break;                          \
    case base + 0x0D: { const uint8_t v = rd(abs()); body; } break;                           \
    case base + 0x1D: { const uint8_t v = rd(absi(x, false)); body; } break;                  \
    case base + 0x19: { const uint8_t v = rd(absi(y, false)); body; } break;                  \
    case base + 0x01: { const uint8_t v = rd(indx()); body; } break;                          \
    case base + 0x11: { const uint8_t v = rd(indy(false)); body; } break;

  // Executes one instruction (kLoop false) or instructions until the PPU reports the start of
  // vertical blank (kLoop true).
  template <bool kLoop>
  MARIO_RL_ALWAYS_INLINE void Run() {
    // CLI/SEI/PLP: interrupts were polled with the old I flag, i_before. They set delayed_i and
    // drop limit to 0, so the tail's slow path, which clears delayed_i, always follows them.
    uint8_t i_before = 0;
    bool delayed_i = false;
    do {
    const uint8_t op = fetch();
    switch (op) {
      // Loads and stores.
      MARIO_RL_ALU_GROUP(0xA0, a = v; set_zn(a))  // LDA
      case 0xA2: x = fetch(); set_zn(x); break;
      case 0xA6: x = rd(zp()); set_zn(x); break;
      case 0xB6: x = rd(zpi(y)); set_zn(x); break;
      case 0xAE: x = rd(abs()); set_zn(x); break;
      case 0xBE: x = rd(absi(y, false)); set_zn(x); break;
      case 0xA0: y = fetch(); set_zn(y); break;
      case 0xA4: y = rd(zp()); set_zn(y); break;
      case 0xB4: y = rd(zpi(x)); set_zn(y); break;
      case 0xAC: y = rd(abs()); set_zn(y); break;
      case 0xBC: y = rd(absi(x, false)); set_zn(y); break;
      case 0x85: wr(zp(), a); break;
      case 0x95: wr(zpi(x), a); break;
      case 0x8D: wr(abs(), a); break;
      case 0x9D: wr(absi(x, true), a); break;
      case 0x99: wr(absi(y, true), a); break;
      case 0x81: wr(indx(), a); break;
      case 0x91: wr(indy(true), a); break;
      case 0x86: wr(zp(), x); break;
      case 0x96: wr(zpi(y), x); break;
      case 0x8E: wr(abs(), x); break;
      case 0x84: wr(zp(), y); break;
      case 0x94: wr(zpi(x), y); break;
      case 0x8C: wr(abs(), y); break;
      // Transfers.
      case 0xAA: dummy_rd(pc); x = a; set_zn(x); break;
      case 0xA8: dummy_rd(pc); y = a; set_zn(y); break;
      case 0x8A: dummy_rd(pc); a = x; set_zn(a); break;
      case 0x98: dummy_rd(pc); a = y; set_zn(a); break;
      case 0xBA: dummy_rd(pc); x = sp; set_zn(x); break;
      case 0x9A: dummy_rd(pc); sp = x; break;
      // Stack.
      case 0x48: dummy_rd(pc); push(a); break;
      case 0x08: dummy_rd(pc); push(flags() | kB | kU); break;
      case 0x68: dummy_rd(pc); dummy_ram_rd(); a = pull(); set_zn(a); break;
      case 0x28: dummy_rd(pc); dummy_ram_rd(); i_before = p & kI; set_flags(static_cast<uint8_t>((pull() & ~kB) | kU)); delayed_i = true; limit = 0; break;
      // Arithmetic and logic.
      MARIO_RL_ALU_GROUP(0x60, adc(v))                // ADC
      MARIO_RL_ALU_GROUP(0xE0, sbc(v))                // SBC
      case 0xEB: sbc(fetch()); break;                 // unofficial SBC #imm
      MARIO_RL_ALU_GROUP(0x20, a &= v; set_zn(a))     // AND
      MARIO_RL_ALU_GROUP(0x00, a |= v; set_zn(a))     // ORA
      MARIO_RL_ALU_GROUP(0x40, a ^= v; set_zn(a))     // EOR
      MARIO_RL_ALU_GROUP(0xC0, cmp(a, v))             // CMP
      case 0xE0: cmp(x, fetch()); break;
      case 0xE4: cmp(x, rd(zp())); break;
      case 0xEC: cmp(x, rd(abs())); break;
      case 0xC0: cmp(y, fetch()); break;
      case 0xC4: cmp(y, rd(zp())); break;
      case 0xCC: cmp(y, rd(abs())); break;
      case 0x24: bit(rd(zp())); break;
      case 0x2C: bit(rd(abs())); break;
      // Increments and decrements.
      case 0xE8: dummy_rd(pc); ++x; set_zn(x); break;
      case 0xC8: dummy_rd(pc); ++y; set_zn(y); break;
      case 0xCA: dummy_rd(pc); --x; set_zn(x); break;
      case 0x88: dummy_rd(pc); --y; set_zn(y); break;
#define MARIO_RL_RMW_GROUP(op_zp, op_zpx, op_abs, op_absx, body)                         \
    case op_zp: rmw(zp(), [&](uint8_t v) MARIO_RL_ALWAYS_INLINE { body; }); break;                              \
    case op_zpx: rmw(zpi(x), [&](uint8_t v) MARIO_RL_ALWAYS_INLINE { body; }); break;                           \
    case op_abs: rmw(abs(), [&](uint8_t v) MARIO_RL_ALWAYS_INLINE { body; }); break;                            \
    case op_absx: rmw(absi(x, true), [&](uint8_t v) MARIO_RL_ALWAYS_INLINE { body; }); break;
      MARIO_RL_RMW_GROUP(0xE6, 0xF6, 0xEE, 0xFE, ++v; set_zn(v); return v)
      MARIO_RL_RMW_GROUP(0xC6, 0xD6, 0xCE, 0xDE, --v; set_zn(v); return v)
      MARIO_RL_RMW_GROUP(0x06, 0x16, 0x0E, 0x1E, return asl(v))
      MARIO_RL_RMW_GROUP(0x46, 0x56, 0x4E, 0x5E, return lsr(v))
      MARIO_RL_RMW_GROUP(0x26, 0x36, 0x2E, 0x3E, return rol(v))
      MARIO_RL_RMW_GROUP(0x66, 0x76, 0x6E, 0x7E, return ror(v))
      case 0x0A: dummy_rd(pc); a = asl(a); break;
      case 0x4A: dummy_rd(pc); a = lsr(a); break;
      case 0x2A: dummy_rd(pc); a = rol(a); break;
      case 0x6A: dummy_rd(pc); a = ror(a); break;
      // Jumps and calls.
      case 0x4C: {
        const uint16_t at = static_cast<uint16_t>(pc - 1);
        pc = fetch16();
        if (pc <= at && at - pc <= kIdleLoopMaxBytes) skip_idle_loop(at);
        break;
      }
      case 0x6C: {
        const uint16_t ptr = fetch16();
        const uint8_t lo = rd(ptr);
        const uint8_t hi = rd(static_cast<uint16_t>((ptr & 0xFF00) | ((ptr + 1) & 0xFF)));
        pc = static_cast<uint16_t>(lo | (hi << 8));
        break;
      }
      case 0x20: {
        const uint8_t lo = fetch();
        dummy_ram_rd();
        push(pc >> 8);
        push(pc & 0xFF);
        const uint8_t hi = rd(pc);
        pc = static_cast<uint16_t>(lo | (hi << 8));
        break;
      }
      case 0x60: {
        dummy_rd(pc);
        dummy_ram_rd();
        const uint8_t lo = pull();
        const uint8_t hi = pull();
        pc = static_cast<uint16_t>(lo | (hi << 8));
        dummy_rd(pc++);
        break;
      }
      case 0x40: {
        dummy_rd(pc);
        dummy_ram_rd();
        set_flags(static_cast<uint8_t>((pull() & ~kB) | kU));
        const uint8_t lo = pull();
        const uint8_t hi = pull();
        pc = static_cast<uint16_t>(lo | (hi << 8));
        limit = 0;  // P came off the stack
        break;
      }
      case 0x00: fetch(); sync_out(); m.cpu.Interrupt(0xFFFE, true); sync_in(); limit = 0; no_poll_end = cyc; break;
      // Branches.
      case 0x10: branch(!negative()); break;
      case 0x30: branch(negative()); break;
      case 0x50: branch(!(p & kV)); break;
      case 0x70: branch(p & kV); break;
      case 0x90: branch(!(p & kC)); break;
      case 0xB0: branch(p & kC); break;
      case 0xD0: branch(!zero()); break;
      case 0xF0: branch(zero()); break;
      // Flags.
      case 0x18: dummy_rd(pc); p &= ~kC; break;
      case 0x38: dummy_rd(pc); p |= kC; break;
      case 0x58: dummy_rd(pc); i_before = p & kI; p &= ~kI; delayed_i = true; limit = 0; break;
      case 0x78: dummy_rd(pc); i_before = p & kI; p |= kI; delayed_i = true; limit = 0; break;
      case 0xB8: dummy_rd(pc); p &= ~kV; break;
      case 0xD8: dummy_rd(pc); p &= ~kD; break;
      case 0xF8: dummy_rd(pc); p |= kD; break;
      case 0xEA: dummy_rd(pc); break;
      // Unofficial NOPs.
      case 0x1A: case 0x3A: case 0x5A: case 0x7A: case 0xDA: case 0xFA: dummy_rd(pc); break;
      case 0x80: case 0x82: case 0x89: case 0xC2: case 0xE2: fetch(); break;
      case 0x04: case 0x44: case 0x64: fetch(); dummy_ram_rd(); break;
      case 0x14: case 0x34: case 0x54: case 0x74: case 0xD4: case 0xF4: zpi(x); dummy_ram_rd(); break;
      case 0x0C: dummy_rd(abs()); break;
      case 0x1C: case 0x3C: case 0x5C: case 0x7C: case 0xDC: case 0xFC: dummy_rd(absi(x, false)); break;
      // Unofficial loads/stores.
      case 0xA7: a = x = rd(zp()); set_zn(a); break;
      case 0xB7: a = x = rd(zpi(y)); set_zn(a); break;
      case 0xAF: a = x = rd(abs()); set_zn(a); break;
      case 0xBF: a = x = rd(absi(y, false)); set_zn(a); break;
      case 0xA3: a = x = rd(indx()); set_zn(a); break;
      case 0xB3: a = x = rd(indy(false)); set_zn(a); break;
      case 0xAB: a = x = fetch(); set_zn(a); break;
      case 0x87: wr(zp(), a & x); break;
      case 0x97: wr(zpi(y), a & x); break;
      case 0x8F: wr(abs(), a & x); break;
      case 0x83: wr(indx(), a & x); break;
      // Unofficial immediates.
      case 0x0B: case 0x2B: a &= fetch(); set_zn(a); p = static_cast<uint8_t>((p & ~kC) | (a >> 7)); break;
      case 0x4B: a &= fetch(); a = lsr(a); break;
      case 0x6B: {
        a &= fetch();
        a = static_cast<uint8_t>((a >> 1) | ((p & kC) << 7));
        set_zn(a);
        p = static_cast<uint8_t>((p & ~(kC | kV)) | ((a >> 6) & 1) | (((a >> 6) ^ (a >> 5)) & 1 ? kV : 0));
        break;
      }
      case 0xCB: {
        const uint8_t v = fetch();
        const uint8_t ax = a & x;
        p = static_cast<uint8_t>((p & ~kC) | (ax >= v ? kC : 0));
        x = static_cast<uint8_t>(ax - v);
        set_zn(x);
        break;
      }
      case 0x8B: a = static_cast<uint8_t>((a | 0xEE) & x & fetch()); set_zn(a); break;
      // Unofficial SHx family and LAS/TAS.
      case 0x9C: sh(fetch16(), x, y); break;
      case 0x9E: sh(fetch16(), y, x); break;
      case 0x9F: sh(fetch16(), y, a & x); break;
      case 0x93: {
        const uint8_t z = fetch();
        const uint8_t lo = rd(z);
        const uint8_t hi = rd(static_cast<uint8_t>(z + 1));
        sh(static_cast<uint16_t>(lo | (hi << 8)), y, a & x);
        break;
      }
      case 0x9B: sp = a & x; sh(fetch16(), y, sp); break;
      case 0xBB: {
        const uint8_t v = rd(absi(y, false)) & sp;
        a = x = sp = v;
        set_zn(v);
        break;
      }
#define MARIO_RL_UNOFFICIAL_RMW(base, body)                                          \
    case base + 0x07: rmw(zp(), [&](uint8_t v) MARIO_RL_ALWAYS_INLINE { body; }); break;                    \
    case base + 0x17: rmw(zpi(x), [&](uint8_t v) MARIO_RL_ALWAYS_INLINE { body; }); break;                  \
    case base + 0x0F: rmw(abs(), [&](uint8_t v) MARIO_RL_ALWAYS_INLINE { body; }); break;                   \
    case base + 0x1F: rmw(absi(x, true), [&](uint8_t v) MARIO_RL_ALWAYS_INLINE { body; }); break;           \
    case base + 0x1B: rmw(absi(y, true), [&](uint8_t v) MARIO_RL_ALWAYS_INLINE { body; }); break;           \
    case base + 0x03: rmw(indx(), [&](uint8_t v) MARIO_RL_ALWAYS_INLINE { body; }); break;                  \
    case base + 0x13: rmw(indy(true), [&](uint8_t v) MARIO_RL_ALWAYS_INLINE { body; }); break;
      MARIO_RL_UNOFFICIAL_RMW(0x00, v = asl(v); a |= v; set_zn(a); return v)          // SLO
      MARIO_RL_UNOFFICIAL_RMW(0x20, v = rol(v); a &= v; set_zn(a); return v)          // RLA
      MARIO_RL_UNOFFICIAL_RMW(0x40, v = lsr(v); a ^= v; set_zn(a); return v)          // SRE
      MARIO_RL_UNOFFICIAL_RMW(0x60, v = ror(v); adc(v); return v)                     // RRA
      MARIO_RL_UNOFFICIAL_RMW(0xC0, --v; cmp(a, v); return v)                         // DCP
      MARIO_RL_UNOFFICIAL_RMW(0xE0, ++v; sbc(v); return v)                            // ISB
#undef MARIO_RL_UNOFFICIAL_RMW
#undef MARIO_RL_RMW_GROUP
#undef MARIO_RL_ALU_GROUP
      default:
        // KIL/JAM opcodes: the real CPU locks up; we spin on the opcode (PC does not advance).
        dummy_rd(pc);
        --pc;
        break;
    }

    // Interrupts were polled during the instruction's next-to-last cycle. Nothing below can
    // happen unless a catch-up event is due or an interrupt is pending / unmasked.
    if (cyc < limit) continue;
    if (cyc >= m.next_sync_cycle || c.nmi_pending ||
        (m.IrqLine() && !((delayed_i ? i_before : p) & kI))) {
      sync_out();
      m.Poll();
      // The lines as they were at the end of the penultimate cycle; a taken branch in its page
      // looks one cycle earlier, and an instruction whose write started OAM DMA looks at the
      // cycle before that write (the DMA stalls the next instruction's opcode fetch).
      uint64_t poll_cycle = c.cycles - 1;
      if (early_poll_end == c.cycles) poll_cycle = c.cycles - 2;
      if (m.oam_dma_end_cycle == c.cycles) poll_cycle = m.oam_dma_write_cycle - 1;
      const uint64_t poll_clock = poll_cycle * 3 + kPpuPhase + 1;
      if (no_poll_end == c.cycles) {
        // BRK just ran its interrupt sequence: the handler's first instruction runs first.
      } else if (c.nmi_pending && c.nmi_clock <= poll_clock) {
        c.nmi_pending = 0;
        m.cpu.Interrupt(0xFFFA, false);
        m.Poll();
      } else if (m.IrqLine() && !(delayed_i ? i_before : (p & kI)) && m.s.irq_clock <= poll_clock) {
        m.cpu.Interrupt(0xFFFE, false);
        m.Poll();
      }
      sync_in();
    }
    delayed_i = false;
    if constexpr (kLoop && !kWatch) {
      // A DMC fetch may come within the next instruction: run it on the watching path (Step is
      // out of line: the loop keeps one copy of the interpreter).
      if (cyc >= m.dmc_watch_cycle && !m.s.ppu.frame_done) {
        sync_out();
        while (m.dmc_fetch_cycle <= c.cycles + kDmcWatchCycles && !m.s.ppu.frame_done) m.cpu.Step();
        sync_in();
      }
    }
    RefreshLimit();
    if (m.s.ppu.frame_done) break;
    } while (kLoop);
    sync_out();
  }
  // clang-format on
};

template <bool kLoop, bool kWatch>
inline MARIO_RL_ALWAYS_INLINE void Cpu::Execute() {
  Core<kWatch> core(m_);
  core.template Run<kLoop>();
}

MARIO_RL_NOINLINE void Cpu::Step() {
  if (m_.dmc_fetch_cycle <= m_.s.cpu.cycles + kDmcWatchCycles) {
    Execute<false, true>();
  } else {
    Execute<false, false>();
  }
}

void Cpu::RunUntilFrameDone() {
  // A frame can end inside a DMC fetch's watch window: finish it on the watching path first.
  while (m_.dmc_fetch_cycle <= m_.s.cpu.cycles + kDmcWatchCycles && !m_.s.ppu.frame_done) Step();
  if (!m_.s.ppu.frame_done) Execute<true, false>();
}

}  // namespace mario_rl::nes
