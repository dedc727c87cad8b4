/**
 * The 151 official 6502 opcodes, by mnemonic and addressing mode. Facts from the MOS 6502
 * programming manual; undocumented opcodes are deliberately absent (the assembler rejects them).
 */

/** Addressing modes, named as in the 6502 manuals. */
export type AddressingMode =
  | 'implied'
  | 'accumulator'
  | 'immediate'
  | 'zeroPage'
  | 'zeroPageX'
  | 'zeroPageY'
  | 'absolute'
  | 'absoluteX'
  | 'absoluteY'
  | 'indirect'
  | 'indirectX'
  | 'indirectY'
  | 'relative';

/** Operand size in bytes for each mode (the opcode byte not included). */
export const OPERAND_SIZE: Readonly<Record<AddressingMode, number>> = {
  implied: 0,
  accumulator: 0,
  immediate: 1,
  zeroPage: 1,
  zeroPageX: 1,
  zeroPageY: 1,
  absolute: 2,
  absoluteX: 2,
  absoluteY: 2,
  indirect: 2,
  indirectX: 1,
  indirectY: 1,
  relative: 1,
};

/** How each mode is written, for error messages. */
export const MODE_SYNTAX: Readonly<Record<AddressingMode, string>> = {
  implied: '(no operand)',
  accumulator: 'A',
  immediate: '#value',
  zeroPage: 'zp',
  zeroPageX: 'zp,X',
  zeroPageY: 'zp,Y',
  absolute: 'addr',
  absoluteX: 'addr,X',
  absoluteY: 'addr,Y',
  indirect: '(addr)',
  indirectX: '(zp,X)',
  indirectY: '(zp),Y',
  relative: 'label',
};

type Row = Partial<Record<AddressingMode, number>>;

// The eight "group one" instructions share one layout: imm, zp, zp,X, abs, abs,X, abs,Y, (zp,X), (zp),Y.
function groupOne(imm: number | undefined, base: number): Row {
  const row: Row = {
    zeroPage: base + 0x04,
    zeroPageX: base + 0x14,
    absolute: base + 0x0c,
    absoluteX: base + 0x1c,
    absoluteY: base + 0x18,
    indirectX: base + 0x00,
    indirectY: base + 0x10,
  };
  if (imm !== undefined) row.immediate = imm;
  return row;
}

// Shifts and rotates: A, zp, zp,X, abs, abs,X.
function shift(base: number): Row {
  return { accumulator: base + 0x0a, zeroPage: base + 0x06, zeroPageX: base + 0x16, absolute: base + 0x0e, absoluteX: base + 0x1e };
}

/** mnemonic (upper case) → mode → opcode byte. */
export const OPCODES: Readonly<Record<string, Row>> = {
  ORA: groupOne(0x09, 0x01),
  AND: groupOne(0x29, 0x21),
  EOR: groupOne(0x49, 0x41),
  ADC: groupOne(0x69, 0x61),
  STA: groupOne(undefined, 0x81),
  LDA: groupOne(0xa9, 0xa1),
  CMP: groupOne(0xc9, 0xc1),
  SBC: groupOne(0xe9, 0xe1),

  ASL: shift(0x00),
  ROL: shift(0x20),
  LSR: shift(0x40),
  ROR: shift(0x60),

  STX: { zeroPage: 0x86, zeroPageY: 0x96, absolute: 0x8e },
  LDX: { immediate: 0xa2, zeroPage: 0xa6, zeroPageY: 0xb6, absolute: 0xae, absoluteY: 0xbe },
  STY: { zeroPage: 0x84, zeroPageX: 0x94, absolute: 0x8c },
  LDY: { immediate: 0xa0, zeroPage: 0xa4, zeroPageX: 0xb4, absolute: 0xac, absoluteX: 0xbc },
  DEC: { zeroPage: 0xc6, zeroPageX: 0xd6, absolute: 0xce, absoluteX: 0xde },
  INC: { zeroPage: 0xe6, zeroPageX: 0xf6, absolute: 0xee, absoluteX: 0xfe },
  CPX: { immediate: 0xe0, zeroPage: 0xe4, absolute: 0xec },
  CPY: { immediate: 0xc0, zeroPage: 0xc4, absolute: 0xcc },
  BIT: { zeroPage: 0x24, absolute: 0x2c },

  JMP: { absolute: 0x4c, indirect: 0x6c },
  JSR: { absolute: 0x20 },

  BPL: { relative: 0x10 },
  BMI: { relative: 0x30 },
  BVC: { relative: 0x50 },
  BVS: { relative: 0x70 },
  BCC: { relative: 0x90 },
  BCS: { relative: 0xb0 },
  BNE: { relative: 0xd0 },
  BEQ: { relative: 0xf0 },

  BRK: { implied: 0x00 },
  RTI: { implied: 0x40 },
  RTS: { implied: 0x60 },
  PHP: { implied: 0x08 },
  PLP: { implied: 0x28 },
  PHA: { implied: 0x48 },
  PLA: { implied: 0x68 },
  DEY: { implied: 0x88 },
  TAY: { implied: 0xa8 },
  INY: { implied: 0xc8 },
  INX: { implied: 0xe8 },
  CLC: { implied: 0x18 },
  SEC: { implied: 0x38 },
  CLI: { implied: 0x58 },
  SEI: { implied: 0x78 },
  TYA: { implied: 0x98 },
  CLV: { implied: 0xb8 },
  CLD: { implied: 0xd8 },
  SED: { implied: 0xf8 },
  TXA: { implied: 0x8a },
  TXS: { implied: 0x9a },
  TAX: { implied: 0xaa },
  TSX: { implied: 0xba },
  DEX: { implied: 0xca },
  NOP: { implied: 0xea },
};

/** True if `name` (any case) is an official 6502 mnemonic. */
export function isMnemonic(name: string): boolean {
  return Object.hasOwn(OPCODES, name.toUpperCase());
}
