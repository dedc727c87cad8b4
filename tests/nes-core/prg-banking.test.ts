/**
 * The CPU's PRG-ROM reads (native/nes/cpu.cc) go through Machine::prg_read, pointers per 8 KiB slot
 * that MapPrg8k keeps offset by the slot's first address. A bank switch must move every kind of
 * read at once: data reads (absolute and indirect), the opcode and operand fetches of code in the
 * switched bank, and code whose instruction straddles the two 8 KiB slots of the 16 KiB bank.
 *
 * The program (UxROM, mapper 2: 16 KiB switchable at $8000, the last 16 KiB fixed at $C000) selects
 * banks 0, 1, 2 in turn from the fixed bank and, in each, records four values in RAM $10 + 4 * bank:
 * `lda $8000`, `lda ($F0),y` ($8001), a `jsr` to a routine at $9FFF whose `lda #imm` has its
 * opcode in the first slot and its operand in the second ($A000), and `lda $BFFF`. Each bank holds
 * its own bytes there, so a stale slot pointer reads another bank's value. The same program without
 * fast paths must leave the same RAM.
 */
import { describe, expect, it } from 'vitest';

import { assemble } from '../../src/asm/index.js';
import { Nes } from '../../src/index.js';

const BANKS = 3;
const hex = (value: number) => `$${value.toString(16).padStart(2, '0')}`;

/** What bank `bank` holds: at $8000, $8001, the routine's immediate ($A000) and $BFFF. */
const expected = (bank: number) => [0xa0 + bank, 0xb0 + bank, 0xc0 + bank, 0xd0 + bank];

function bankSource(bank: number): string {
  const [first, second, immediate, last] = expected(bank).map(hex);
  return `
  .segment "BANK${bank}", $8000, $4000
  .byte ${first}, ${second}
  .org $9FFF
  lda #${immediate}        ; opcode at $9FFF (first slot), operand at $A000 (second slot)
  rts
  .org $BFFF
  .byte ${last}
`;
}

function source(): string {
  const banks = Array.from({ length: BANKS }, (_, bank) => bankSource(bank)).join('');
  const perBank = Array.from(
    { length: BANKS },
    (_, bank) => `
  lda #${bank}
  sta bank_numbers + ${bank}   ; UxROM has bus conflicts: write over a ROM byte holding the value
  lda $8000
  sta $${(0x10 + bank * 4).toString(16)}
  ldy #1
  lda ($F0),y
  sta $${(0x11 + bank * 4).toString(16)}
  jsr $9FFF
  sta $${(0x12 + bank * 4).toString(16)}
  lda $BFFF
  sta $${(0x13 + bank * 4).toString(16)}`,
  ).join('');
  return `
  .ines ${BANKS + 1}, 0, 2, 1
${banks}
  .segment "FIXED", $C000, $3FFA
reset:
  sei
  cld
  ldx #$FF
  txs
  lda #$00
  sta $F0
  lda #$80
  sta $F1
${perBank}
  lda #1
  sta $00
done:
  jmp done
nmi:
  rti
bank_numbers:
  .byte ${Array.from({ length: BANKS }, (_, bank) => bank).join(', ')}
  .segment "VECTORS", $FFFA, 6
  .word nmi, reset, nmi
`;
}

describe('PRG-ROM reads follow bank switches (Machine::prg_read)', () => {
  it.each([true, false])('UxROM, banks 0-2, fastPaths: %s', (fastPaths) => {
    const nes = new Nes(assemble(source()).bytes, { fastPaths });
    try {
      for (let frame = 0; frame < 3; ++frame) nes.stepFrame(0);
      expect(nes.ram[0], 'the program ran to its end').toBe(1);
      for (let bank = 0; bank < BANKS; ++bank) {
        const got = Array.from(nes.ram.slice(0x10 + bank * 4, 0x14 + bank * 4));
        expect(got, `bank ${bank}: $8000, ($F0),y, code across $9FFF/$A000, $BFFF`).toEqual(expected(bank));
      }
    } finally {
      nes.close();
    }
  });
});
