/**
 * The background's row cache (native/nes/ppu.h): each tile's decoded pattern rows and palette
 * group, found once per tile row (8 lines) and reused by its lines. A change in the middle of a
 * tile row must show from the pixel it lands on, not from the next tile row. Each program here
 * scrolls two differently filled nametables across the screen (X = 131), waits for a sprite-0 hit
 * on line 100 (the fifth line of tile row 12) and then makes one change; its NMI undoes it for the
 * next frame:
 * - `chr bank`: a CNROM CHR bank switch (MapChr1k moves every bank: the cache's pointers go stale);
 * - `pattern table`: a `$2000` write selecting the background patterns at `$1000`;
 * - `mirroring`: an MMC1 control write from vertical to horizontal mirroring (the right part of the
 *   screen shows nametable `$2000` instead of `$2400`).
 * Every pixel is checked against frames computed here from the patterns: the one before the change
 * up to the pixel where it lands (which must be on line 100 or 101), the one after it from there.
 * The frames must also equal those of the core without fast paths, which rebuilds the cache for
 * every line.
 */
import { describe, expect, it } from 'vitest';

import { assemble } from '../../src/asm/index.js';
import { FRAME_HEIGHT, FRAME_WIDTH, Nes, bytesEqual } from '../../src/index.js';

const SCROLL_X = 131; // coarse X 16, fine X 3: the screen shows nametable $2000 then $2400
const SPRITE_X = 200; // sprite 0: a solid tile behind the background, lines 100-107
const SPRITE_Y = 99;
const HIT_LINE = SPRITE_Y + 1;
// prettier-ignore
const PALETTE = [
  0x0f, 0x16, 0x2a, 0x12, 0x0f, 0x06, 0x07, 0x08, 0x0f, 0x09, 0x0a, 0x0b, 0x0f, 0x0c, 0x1c, 0x2c,
  0x0f, 0x30, 0x31, 0x32, 0x0f, 0x33, 0x34, 0x35, 0x0f, 0x36, 0x37, 0x38, 0x0f, 0x39, 0x3a, 0x3b,
];

/** A tile's 16 CHR bytes (bit plane 0, then bit plane 1); `opaque` sets plane 1 to $FF. */
function pattern(seed: number, opaque: boolean): number[] {
  let x = seed;
  const next = () => {
    x = (x * 1103515245 + 12345) >>> 0;
    return (x >>> 16) & 0xff;
  };
  const plane0 = Array.from({ length: 8 }, next);
  const plane1 = Array.from({ length: 8 }, () => (opaque ? 0xff : next()));
  return [...plane0, ...plane1];
}

// Tile 1 fills nametable $2000, tile 2 nametable $2400 (tile 2 opaque everywhere, so the sprite-0
// hit comes at x = 200 on line 100 in every program); tile 3 is solid (the sprite).
const SOLID = [...Array<number>(8).fill(0xff), ...Array<number>(8).fill(0)];
const TILES = {
  bank0Low: [pattern(1, false), pattern(2, true)],
  bank0High: [pattern(3, false), pattern(4, true)],
  bank1Low: [pattern(5, false), pattern(6, true)],
  bank1High: [pattern(7, false), pattern(8, true)],
};

/** Two 8 KiB CHR banks: tiles 1-3 at $0000 and at $1000 of each. */
function chr(): number[] {
  const out = new Array<number>(0x4000).fill(0);
  const put = (address: number, bytes: number[]) => bytes.forEach((b, i) => (out[address + i] = b));
  const tables: [number, number[][]][] = [
    [0x0000, TILES.bank0Low],
    [0x1000, TILES.bank0High],
    [0x2000, TILES.bank1Low],
    [0x3000, TILES.bank1High],
  ];
  for (const [base, tiles] of tables) {
    put(base + 0x10, tiles[0]!);
    put(base + 0x20, tiles[1]!);
    put(base + 0x30, SOLID);
  }
  return out;
}

interface BackgroundState {
  bank: 0 | 1;
  table: 0 | 1;
  horizontal: boolean;
}

interface Program {
  name: string;
  mapper: number;
  before: BackgroundState;
  after: BackgroundState;
  /** Puts the cartridge in the `before` state (reset and NMI); may use A. */
  restore: string;
  /** The change, right after the sprite-0 hit; may use A. */
  change: string;
}

// MMC1's control register, 5 bits written one at a time (vertical $0E, horizontal $0F; PRG mode 3,
// CHR 8 KiB mode).
const mmc1Control = (value: number) => `lda #$${value.toString(16)}\n  sta $8000\n` + '  lsr\n  sta $8000\n'.repeat(4);

const PROGRAMS: Program[] = [
  {
    name: 'chr bank',
    mapper: 3,
    before: { bank: 0, table: 0, horizontal: false },
    after: { bank: 1, table: 0, horizontal: false },
    // CNROM has bus conflicts: write the bank number over a ROM byte that holds it.
    restore: 'lda #0\n  sta bank_numbers',
    change: 'lda #1\n  sta bank_numbers + 1',
  },
  {
    name: 'pattern table',
    mapper: 3,
    before: { bank: 0, table: 0, horizontal: false },
    after: { bank: 0, table: 1, horizontal: false },
    restore: 'lda #0\n  sta bank_numbers',
    change: 'lda #$90\n  sta $2000',
  },
  {
    name: 'mirroring',
    mapper: 1,
    before: { bank: 0, table: 0, horizontal: false },
    after: { bank: 0, table: 0, horizontal: true },
    restore: mmc1Control(0x0e),
    change: mmc1Control(0x0f),
  },
];

const hexList = (bytes: number[]) => bytes.map((b) => `$${b.toString(16).padStart(2, '0')}`).join(', ');

function source(program: Program): string {
  const chrLines: string[] = [];
  const bytes = chr();
  for (let i = 0; i < bytes.length; i += 32) chrLines.push(`  .byte ${hexList(bytes.slice(i, i + 32))}`);
  return `
  .ines 1, 2, ${program.mapper}, 1
  .segment "PRG", $C000, $3FFA
ready = $00

reset:
  sei
  cld
  ldx #$FF
  txs
  lda #0
  sta $2000
  sta $2001
  sta ready
  ${program.restore}
@vbl1:
  bit $2002
  bpl @vbl1
@vbl2:
  bit $2002
  bpl @vbl2
  lda #$3F
  sta $2006
  lda #$00
  sta $2006
  ldx #0
@palette:
  lda palette,x
  sta $2007
  inx
  cpx #32
  bne @palette
  lda #$20
  sta $2006
  lda #$00
  sta $2006
  lda #1
  jsr fill_nametable
  lda #2
  jsr fill_nametable
  lda #0
  sta $2003
  ldx #0
@sprite0:
  lda sprite0,x
  sta $2004
  inx
  cpx #4
  bne @sprite0
  lda #$FF
@hide:
  sta $2004
  inx
  bne @hide
  jsr frame_start
  lda #$1E
  sta $2001
main:
  lda ready
  beq main
  lda #0
  sta ready
@clear:
  bit $2002
  bvs @clear
@hit:
  bit $2002
  bvc @hit
  ${program.change}
  jmp main

; 960 bytes of tile A, then 64 attribute bytes of 0.
fill_nametable:
  ldx #0
  ldy #3
@pages:
  sta $2007
  inx
  bne @pages
  dey
  bne @pages
@rest:
  sta $2007
  inx
  cpx #192
  bne @rest
  lda #0
  ldx #64
@attributes:
  sta $2007
  dex
  bne @attributes
  rts

frame_start:
  ${program.restore}
  lda #$80
  sta $2000
  lda #${SCROLL_X}
  sta $2005
  lda #0
  sta $2005
  rts

nmi:
  pha
  jsr frame_start
  lda #1
  sta ready
  pla
  rti

bank_numbers:
  .byte 0, 1
palette:
  .byte ${hexList(PALETTE)}
sprite0:
  .byte ${SPRITE_Y}, 3, $20, ${SPRITE_X}

  .segment "VECTORS", $FFFA, 6
  .word nmi, reset, reset

  .segment "CHR", $0000, $4000
${chrLines.join('\n')}
`;
}

/** The frame the program shows with the background in `state` throughout: palette indices. */
function expectedFrame(state: BackgroundState): Uint8Array {
  const key = `bank${state.bank}${state.table ? 'High' : 'Low'}` as keyof typeof TILES;
  const tiles = TILES[key];
  const out = new Uint8Array(FRAME_WIDTH * FRAME_HEIGHT);
  for (let y = 0; y < FRAME_HEIGHT; y++) {
    for (let x = 0; x < FRAME_WIDTH; x++) {
      const world = x + SCROLL_X;
      const nametable = (world >> 8) & 1;
      const tile = nametable === 1 && !state.horizontal ? tiles[1]! : tiles[0]!;
      const bit = 7 - (world & 7);
      const value = ((tile[y & 7]! >> bit) & 1) | (((tile[(y & 7) + 8]! >> bit) & 1) << 1);
      const sprite = x >= SPRITE_X && x < SPRITE_X + 8 && y >= HIT_LINE && y < HIT_LINE + 8;
      out[y * FRAME_WIDTH + x] = value !== 0 ? PALETTE[value]! : sprite ? PALETTE[17]! : PALETTE[0]!;
    }
  }
  return out;
}

/** undefined when `frame` is `before` up to one pixel on line 100 or 101 and `after` from it on. */
function checkChange(frame: Uint8Array, before: Uint8Array, after: Uint8Array): string | undefined {
  let split = 0;
  while (split < frame.length && frame[split] === before[split]) split++;
  const line = Math.floor(split / FRAME_WIDTH);
  if (line < HIT_LINE || line > HIT_LINE + 1) {
    return `the frame leaves the 'before' picture at line ${line}, x ${split % FRAME_WIDTH} (expected line ${HIT_LINE} or ${HIT_LINE + 1})`;
  }
  for (let i = split; i < frame.length; i++) {
    if (frame[i] !== after[i]) {
      return `changed at line ${line}, x ${split % FRAME_WIDTH}, but pixel (${i % FRAME_WIDTH}, ${Math.floor(i / FRAME_WIDTH)}) is ${frame[i]}, not the 'after' picture's ${after[i]}`;
    }
  }
  return undefined;
}

describe('background row cache: changes in the middle of a tile row', () => {
  it('the changes are visible on every line of the tile row (the test patterns differ row by row)', () => {
    for (const program of PROGRAMS) {
      const before = expectedFrame(program.before);
      const after = expectedFrame(program.after);
      for (let y = HIT_LINE; y < HIT_LINE + 4; y++) {
        const row = (frame: Uint8Array) => frame.subarray(y * FRAME_WIDTH, (y + 1) * FRAME_WIDTH);
        expect(bytesEqual(row(before), row(after)), `${program.name}, line ${y}`).toBe(false);
      }
    }
  });

  for (const program of PROGRAMS) {
    it(`${program.name}: each frame changes at the pixel the write lands on, as without fast paths`, () => {
      const rom = assemble(source(program)).bytes;
      const before = expectedFrame(program.before);
      const after = expectedFrame(program.after);
      const fast = new Nes(rom, { fastPaths: true });
      const exact = new Nes(rom, { fastPaths: false });
      try {
        for (let f = 0; f < 12; f++) {
          fast.stepFrame(0);
          exact.stepFrame(0);
          expect(bytesEqual(fast.frame, exact.frame), `frame ${f}: fast paths on and off`).toBe(true);
          if (f >= 3) expect(checkChange(fast.frame, before, after), `frame ${f}`).toBeUndefined();
        }
      } finally {
        fast.close();
        exact.close();
      }
    });
  }
});
