/**
 * Shared helpers for the NES suites: ROM paths from the environment (skipping with a visible
 * message when unset) and a tiny synthetic NROM cartridge assembled here, so the API suites run
 * without any ROM file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Returns the env var's value, or undefined after a console.warn naming it (the suite skips). */
export function romEnv(name: 'NES_TEST_ROMS' | 'MARIO_ROM' | 'SMB3_ROM', what: string): string | undefined {
  const value = process.env[name];
  if (!value || !existsSync(value)) {
    console.warn(`[skip] ${what}: set ${name} to run it (currently ${value ? `${value} does not exist` : 'unset'})`);
    return undefined;
  }
  return value;
}

/** Reads a test ROM from $NES_TEST_ROMS/<suite>/<file>. */
export function readTestRom(root: string, suite: string, file: string): Uint8Array {
  return new Uint8Array(readFileSync(join(root, suite, file)));
}

/** iNES header for `prgBanks` × 16 KiB PRG and `chrBanks` × 8 KiB CHR. */
export function inesHeader(mapper: number, prgBanks: number, chrBanks: number, flags6 = 0): Uint8Array {
  const h = new Uint8Array(16);
  h.set([0x4e, 0x45, 0x53, 0x1a, prgBanks, chrBanks, ((mapper & 0x0f) << 4) | flags6, mapper & 0xf0]);
  return h;
}

/**
 * A 24 KiB NROM image whose program: waits two vblanks, sets the backdrop colour to `backdrop`,
 * shows the background, enables NMI and idles. Its NMI handler increments $00 and reads joypad 1
 * into $01 (first button read ends in bit 7, so $01 = bit-reverse of the held byte).
 */
export function syntheticRom(backdrop = 0x21): Uint8Array {
  const prg = new Uint8Array(0x4000);
  // prettier-ignore
  const reset = [
    0x78, 0xd8, 0xa2, 0xff, 0x9a,             // SEI CLD LDX #$FF TXS
    0x2c, 0x02, 0x20, 0x10, 0xfb,             // wait vblank
    0x2c, 0x02, 0x20, 0x10, 0xfb,             // wait vblank
    0xa9, 0x3f, 0x8d, 0x06, 0x20, 0xa9, 0x00, 0x8d, 0x06, 0x20, // $2006 <- $3F00
    0xa9, backdrop, 0x8d, 0x07, 0x20,         // palette[0] <- backdrop
    0xa9, 0x00, 0x8d, 0x06, 0x20, 0x8d, 0x06, 0x20, 0x8d, 0x05, 0x20, 0x8d, 0x05, 0x20, // v=t=0, scroll 0
    0xa9, 0x0a, 0x8d, 0x01, 0x20,             // show background (+ left column)
    0xa9, 0x80, 0x8d, 0x00, 0x20,             // NMI on
  ];
  prg.set(reset, 0);
  const idle = 0xc000 + reset.length;
  prg.set([0x4c, idle & 0xff, idle >> 8], reset.length); // JMP idle
  // prettier-ignore
  const nmi = [
    0xe6, 0x00,                               // INC $00
    0xa9, 0x01, 0x8d, 0x16, 0x40, 0xa9, 0x00, 0x8d, 0x16, 0x40, // strobe joypad
    0xa2, 0x08,                               // LDX #8
    0xad, 0x16, 0x40, 0x4a, 0x26, 0x01, 0xca, 0xd0, 0xf7, // read 8 bits into $01
    0x40,                                     // RTI
  ];
  prg.set(nmi, 0x40);
  prg.set([0x40, 0xc0, 0x00, 0xc0, 0x00, 0xc0], 0x3ffa); // NMI $C040, RESET $C000, IRQ $C000
  const rom = new Uint8Array(16 + 0x4000 + 0x2000);
  rom.set(inesHeader(0, 1, 1), 0);
  rom.set(prg, 16);
  return rom;
}

/**
 * A 32 KiB MMC3 image that keeps the scanline IRQ busy, so the scheduler's A12 countdown
 * (Mapper::A12RisesUntilIrq) meets every counter state: each NMI (frame) arms the IRQ with the next
 * latch of a table ($00 fires on every line, up to $FF, past the frame), enables it on most frames
 * and disables it on one, and reloads the counter; the IRQ handler acknowledges, re-arms with latch
 * 7 without a reload (the counter runs on from 0), counts IRQs in $01 and toggles greyscale, so
 * the frame shows the line each IRQ was taken on. The main loop idles on a
 * RAM flag the NMI sets, then points v at $0FFF and reads $2007 twice (an A12 rise in a read). Sprites at $1000, so A12
 * rises once per rendered line.
 */
export function syntheticMmc3IrqRom(): Uint8Array {
  const prg = new Uint8Array(0x8000);
  const base = 0xe000; // the fixed last 8 KiB bank
  const at = (address: number, bytes: number[]): void => prg.set(bytes, address - 0x8000);
  const lo = (a: number): number => a & 0xff;
  const hi = (a: number): number => a >> 8;
  const latches = 0xe100;
  const enables = 0xe108;
  const main = base + 34;
  // prettier-ignore
  at(base, [
    0x78, 0xd8, 0xa2, 0xff, 0x9a,             // SEI CLD LDX #$FF TXS
    0xa9, 0x40, 0x8d, 0x17, 0x40,             // no APU frame IRQ (only the MMC3's)
    0x2c, 0x02, 0x20, 0x10, 0xfb,             // wait vblank
    0x2c, 0x02, 0x20, 0x10, 0xfb,             // wait vblank
    0xa9, 0x1e, 0x8d, 0x01, 0x20,             // show background and sprites
    0xa9, 0x88, 0x8d, 0x00, 0x20,             // NMI on, sprites at $1000
    0x58,                                     // CLI
    0x4c, lo(main), hi(main),                 // JMP main
  ]);
  // prettier-ignore
  at(main, [
    0xa5, 0x11, 0xf0, 0xfc,                   // main: LDA $11 / BEQ main (idle until the NMI)
    0xa9, 0x00, 0x85, 0x11,                   // LDA #0 STA $11
    0xa9, 0x0f, 0x8d, 0x06, 0x20,             // $2006 <- $0F
    0xa9, 0xff, 0x8d, 0x06, 0x20,             // $2006 <- $FF (v = $0FFF)
    0xad, 0x07, 0x20, 0xad, 0x07, 0x20,       // LDA $2007 twice: v = $1000 raises A12 in a read
    0x4c, lo(main), hi(main),                 // JMP main
  ]);
  const nmi = 0xe040;
  // prettier-ignore
  at(nmi, [
    0xe6, 0x00,                               // INC $00
    0xa6, 0x10,                               // LDX $10
    0xbd, lo(latches), hi(latches),           // LDA latches,X
    0x8d, 0x00, 0xc0, 0x8d, 0x01, 0xc0,       // STA $C000 (latch) STA $C001 (reload)
    0xbd, lo(enables), hi(enables),           // LDA enables,X
    0xf0, 0x05,                               // BEQ +5
    0x8d, 0x01, 0xe0,                         // STA $E001 (enable)
    0xd0, 0x03,                               // BNE +3
    0x8d, 0x00, 0xe0,                         // STA $E000 (disable)
    0xe8, 0x8a, 0x29, 0x07, 0x85, 0x10,       // INX TXA AND #7 STA $10
    0xa9, 0x01, 0x85, 0x11,                   // LDA #1 STA $11
    0x40,                                     // RTI
  ]);
  const irq = 0xe080;
  // prettier-ignore
  at(irq, [
    0x48,                                     // PHA
    0x8d, 0x00, 0xe0,                         // STA $E000 (acknowledge)
    0xa9, 0x07, 0x8d, 0x00, 0xc0,             // LDA #7 STA $C000 (no reload)
    0x8d, 0x01, 0xe0,                         // STA $E001
    0xe6, 0x01,                               // INC $01
    0xa5, 0x01, 0x29, 0x01, 0x09, 0x1e,       // LDA $01 AND #1 ORA #$1E
    0x8d, 0x01, 0x20,                         // STA $2001 (greyscale on/off: the frame shows when)
    0x68, 0x40,                               // PLA RTI
  ]);
  at(latches, [0x00, 0x01, 0x14, 0x64, 0xc8, 0xff, 0x07, 0xef]);
  at(enables, [1, 1, 1, 0, 1, 1, 1, 1]);
  at(0xfffa, [lo(nmi), hi(nmi), lo(base), hi(base), lo(irq), hi(irq)]);
  const rom = new Uint8Array(16 + prg.length + 0x2000);
  rom.set(inesHeader(4, 2, 1), 0);
  rom.set(prg, 16);
  return rom;
}

/** Reverses the bit order of a byte. */
export function reverseBits(b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((b >> i) & 1) << (7 - i);
  return r;
}

/** Joypad byte for frame f of the SMB1 input script in reference/baselines.md. */
export function smbScript(f: number): number {
  if (f < 60) return 0;
  if (f < 66) return 0x08;
  if (f < 120) return 0;
  if (f < 130) return 0x08;
  return 0x82 | (f % 40 < 12 ? 0x01 : 0);
}

/** The script's first `n` frames as one byte per frame. */
export function smbScriptBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let f = 0; f < n; f++) out[f] = smbScript(f);
  return out;
}

/** Outcome of a blargg ROM that reports through $6000. */
export interface BlarggResult {
  /** $6000 once the ROM finished (0 = passed), or -1 when it never produced a valid report. */
  status: number;
  /** The zero-terminated text at $6004. */
  text: string;
  /** Frames run. */
  frames: number;
}

interface Steppable {
  stepFrame(buttons?: number, opts?: { render?: boolean }): void;
  peek(address: number): number;
  reset(): void;
}

/** Reads the zero-terminated report text at $6004. */
export function blarggText(nes: Steppable): string {
  let text = '';
  for (let a = 0x6004; a < 0x7000; a++) {
    const c = nes.peek(a);
    if (c === 0) break;
    text += String.fromCharCode(c);
  }
  return text.trim();
}

/**
 * Runs a ROM that follows blargg's $6000 protocol: $6001-$6003 = DE B0 61 once the report is
 * valid; $6000 = 0x80 while running, 0x81 when it wants the reset button pressed (after at least
 * 100 ms), otherwise the result code (0 = pass). Gives up after `maxFrames`.
 */
export function runBlargg(nes: Steppable, maxFrames = 3600): BlarggResult {
  let resetAt = -1;
  for (let f = 1; f <= maxFrames; f++) {
    nes.stepFrame(0, { render: false });
    const valid = nes.peek(0x6001) === 0xde && nes.peek(0x6002) === 0xb0 && nes.peek(0x6003) === 0x61;
    if (!valid) continue;
    const status = nes.peek(0x6000);
    if (status === 0x81) {
      if (resetAt < 0) resetAt = f + 10; // 10 frames ≈ 167 ms
      if (f === resetAt) nes.reset();
      continue;
    }
    resetAt = -1;
    if (status < 0x80) return { status, text: blarggText(nes), frames: f };
  }
  return { status: -1, text: blarggText(nes), frames: maxFrames };
}

/** Nametable 0 as text lines: blargg's fonts put ASCII glyphs at their ASCII tile numbers. */
export function nametableText(nes: { peekPpu(address: number): number }): string[] {
  const lines: string[] = [];
  for (let row = 0; row < 30; row++) {
    let line = '';
    for (let col = 0; col < 32; col++) {
      const tile = nes.peekPpu(0x2000 + row * 32 + col);
      line += tile >= 0x20 && tile < 0x7f ? String.fromCharCode(tile) : ' ';
    }
    if (line.trim()) lines.push(line.trim());
  }
  return lines;
}

const MASK64 = (1n << 64n) - 1n;
const rotl64 = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & MASK64;
const CHECKSUM_PRIME = 0x9e3779b97f4a7c15n;
const CHECKSUM_MIX = 0xbf58476d1ce4e5b9n;

/**
 * The save-state body checksum of docs/nes-core.md, written independently of the C++ (BigInt,
 * word by word), so a test can craft a state that passes the checksum and reaches the field checks.
 */
export function stateChecksum(body: Uint8Array): bigint {
  const a = [1n, 2n, 3n, 4n];
  const b = [CHECKSUM_PRIME, CHECKSUM_MIX, ~CHECKSUM_PRIME & MASK64, ~CHECKSUM_MIX & MASK64];
  const words = Math.ceil(body.length / 8);
  const padded = new Uint8Array(words * 8);
  padded.set(body);
  const view = new DataView(padded.buffer);
  for (let k = 0; k < words; k++) {
    a[k % 4] = (a[k % 4]! + view.getBigUint64(k * 8, true)) & MASK64;
    b[k % 4] = (b[k % 4]! + a[k % 4]!) & MASK64;
  }
  let h = BigInt(body.length);
  for (let j = 0; j < 4; j++) {
    h = (rotl64(h ^ a[j]!, 27n) * CHECKSUM_MIX) & MASK64;
    h = (rotl64(h ^ b[j]!, 31n) * CHECKSUM_PRIME) & MASK64;
  }
  return h ^ (h >> 29n);
}

/** Rewrites the checksum (header bytes 24-31) of a save state in place, after editing its body. */
export function sealState(state: Uint8Array): Uint8Array {
  new DataView(state.buffer, state.byteOffset).setBigUint64(24, stateChecksum(state.subarray(32)), true);
  return state;
}

/** Byte offsets in a save state (32-byte header + ConsoleState, offsetof on x86-64; state version 4). */
export const STATE_OFFSETS = {
  cpuCycles: 32 + 8,
  ppuFineX: 32 + 32,
  ppuLine: 32 + 36,
  ppuDot: 32 + 38,
  ppuClock: 32 + 40,
  ppuSpriteCount: 32 + 51,
  ppuRenderedX: 32 + 60,
  ppuNtOffset: 32 + 136,
  apuFrameStep: 32 + 4600,
  apuDmcPeriod: 32 + 4624,
} as const;
