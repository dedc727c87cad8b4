/**
 * The PPU shades the background from pattern rows pre-decoded once (native/nes/pattern.h): CHR-ROM
 * rows when the ROM is parsed, CHR-RAM rows on every write. This program has CHR-RAM (NROM, no
 * CHR-ROM), fills the screen with tile 1 at fine X scroll 3, and rewrites tile 1's pattern through
 * $2007 in its tenth NMI. Every pixel of the frames before and after must be the pattern the
 * program wrote, decoded here from its bit planes; and a save state must bring its own CHR-RAM's
 * patterns back (the decoded rows are derived state, rebuilt on load).
 */
import { describe, expect, it } from 'vitest';

import { assemble } from '../../src/asm/index.js';
import { FRAME_HEIGHT, FRAME_WIDTH, Nes } from '../../src/index.js';

const FINE_X = 3;
const PALETTE = [0x0f, 0x16, 0x2a, 0x12];
// Bit plane 0 (8 bytes) then bit plane 1 (8 bytes), as CHR stores a tile.
// prettier-ignore
const PATTERN_A = [0x80, 0x41, 0x22, 0x14, 0x0f, 0xf0, 0x55, 0xaa, 0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff];
// prettier-ignore
const PATTERN_B = [0xc3, 0x00, 0xff, 0x18, 0x81, 0x7e, 0x33, 0xcc, 0xf0, 0xff, 0x00, 0x3c, 0x81, 0x66, 0x0f, 0x99];
const SWITCH_FRAME = 10;

const hexList = (bytes: number[]) => bytes.map((b) => `$${b.toString(16).padStart(2, '0')}`).join(', ');

const SOURCE = `
  .ines 1, 0, 0, 0
  .segment "PRG", $C000, $3FFA
frames = $00

reset:
  sei
  cld
  ldx #$FF
  txs
  lda #0
  sta $2000
  sta $2001
  sta frames
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
  cpx #4
  bne @palette
  ldx #0
  jsr load_tile
  lda #$20
  sta $2006
  lda #$00
  sta $2006
  lda #1
  ldy #3
  ldx #0
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
  jsr set_scroll
  lda #$0A
  sta $2001
@idle:
  jmp @idle

; Tile 1 ($0010-$001F) <- 16 bytes of patterns from offset X.
load_tile:
  lda #$00
  sta $2006
  lda #$10
  sta $2006
  ldy #16
@copy:
  lda patterns,x
  sta $2007
  inx
  dey
  bne @copy
  rts

set_scroll:
  lda #$80
  sta $2000
  lda #${FINE_X}
  sta $2005
  lda #0
  sta $2005
  rts

nmi:
  pha
  txa
  pha
  tya
  pha
  inc frames
  lda frames
  cmp #${SWITCH_FRAME}
  bne @done
  ldx #16
  jsr load_tile
@done:
  jsr set_scroll
  pla
  tay
  pla
  tax
  pla
  rti

palette:
  .byte ${hexList(PALETTE)}
patterns:
  .byte ${hexList(PATTERN_A)}
  .byte ${hexList(PATTERN_B)}

  .segment "VECTORS", $FFFA, 6
  .word nmi, reset, reset
`;

/** The frame the program should show with `pattern` in tile 1: palette indices, 256 × 240. */
function expectedFrame(pattern: number[]): Uint8Array {
  const out = new Uint8Array(FRAME_WIDTH * FRAME_HEIGHT);
  for (let y = 0; y < FRAME_HEIGHT; y++) {
    const lo = pattern[y & 7]!;
    const hi = pattern[(y & 7) + 8]!;
    for (let x = 0; x < FRAME_WIDTH; x++) {
      const bit = 7 - ((x + FINE_X) & 7);
      out[y * FRAME_WIDTH + x] = PALETTE[((lo >> bit) & 1) | (((hi >> bit) & 1) << 1)]!;
    }
  }
  return out;
}

/** The first pixel that differs, or undefined. */
function firstDiff(frame: Uint8Array, expected: Uint8Array): string | undefined {
  for (let i = 0; i < expected.length; i++) {
    if (frame[i] !== expected[i]) {
      return `pixel (${i % FRAME_WIDTH}, ${Math.floor(i / FRAME_WIDTH)}) is ${frame[i]}, expected ${expected[i]}`;
    }
  }
  return undefined;
}

describe('background shading from pre-decoded CHR-RAM patterns', () => {
  const rom = assemble(SOURCE).bytes;
  const frameA = expectedFrame(PATTERN_A);
  const frameB = expectedFrame(PATTERN_B);

  it('shows the patterns written to CHR-RAM, before and after a rewrite, at fine X scroll', () => {
    for (const fastPaths of [true, false]) {
      const nes = new Nes(rom, { fastPaths });
      try {
        nes.stepFrames(new Uint8Array(SWITCH_FRAME - 2));
        expect(firstDiff(nes.frame, frameA), `fastPaths ${fastPaths}, before the rewrite`).toBeUndefined();
        nes.stepFrames(new Uint8Array(8));
        expect(firstDiff(nes.frame, frameB), `fastPaths ${fastPaths}, after the rewrite`).toBeUndefined();
      } finally {
        nes.close();
      }
    }
  });

  it('rebuilds the decoded patterns from a loaded state', () => {
    const nes = new Nes(rom);
    const other = new Nes(rom);
    try {
      nes.stepFrames(new Uint8Array(5));
      const stateA = nes.saveState();
      nes.stepFrames(new Uint8Array(SWITCH_FRAME));
      expect(firstDiff(nes.frame, frameB)).toBeUndefined();
      const stateB = nes.saveState();

      // A console showing pattern B loads a state whose CHR-RAM holds pattern A, and back.
      other.stepFrames(new Uint8Array(SWITCH_FRAME + 5));
      other.loadState(stateA);
      other.stepFrame(0);
      expect(firstDiff(other.frame, frameA), 'after loading the state with pattern A').toBeUndefined();
      other.loadState(stateB);
      other.stepFrame(0);
      expect(firstDiff(other.frame, frameB), 'after loading the state with pattern B').toBeUndefined();
    } finally {
      nes.close();
      other.close();
    }
  });
});
