import { describe, expect, it } from 'vitest';

import { assemble, AsmError, inesHeader, OPCODES } from '../../src/asm/index.js';

/** Assembles `source` at $0600 (no segments) and returns the bytes as hex. */
function hex(source: string): string {
  return Buffer.from(assemble(`  .org $0600\n${source}`).bytes).toString('hex');
}

/** The diagnostics' messages of a failing assembly. */
function errorsOf(source: string, options = {}): string[] {
  try {
    assemble(source, options);
  } catch (err) {
    expect(err).toBeInstanceOf(AsmError);
    return (err as AsmError).diagnostics.map((d) => `${d.file}:${d.line}: ${d.message}`);
  }
  throw new Error('expected the assembly to fail');
}

// The official opcode matrix written out by column, independently of src/asm/opcodes.ts:
// imm zp zp,X zp,Y abs abs,X abs,Y (ind) (zp,X) (zp),Y; "--" = no such mode.
const MATRIX = `
ADC 69 65 75 -- 6D 7D 79 -- 61 71
AND 29 25 35 -- 2D 3D 39 -- 21 31
BIT -- 24 -- -- 2C -- -- -- -- --
CMP C9 C5 D5 -- CD DD D9 -- C1 D1
CPX E0 E4 -- -- EC -- -- -- -- --
CPY C0 C4 -- -- CC -- -- -- -- --
DEC -- C6 D6 -- CE DE -- -- -- --
EOR 49 45 55 -- 4D 5D 59 -- 41 51
INC -- E6 F6 -- EE FE -- -- -- --
JMP -- -- -- -- 4C -- -- 6C -- --
JSR -- -- -- -- 20 -- -- -- -- --
LDA A9 A5 B5 -- AD BD B9 -- A1 B1
LDX A2 A6 -- B6 AE -- BE -- -- --
LDY A0 A4 B4 -- AC BC -- -- -- --
ORA 09 05 15 -- 0D 1D 19 -- 01 11
SBC E9 E5 F5 -- ED FD F9 -- E1 F1
STA -- 85 95 -- 8D 9D 99 -- 81 91
STX -- 86 -- 96 8E -- -- -- -- --
STY -- 84 94 -- 8C -- -- -- -- --
ASL -- 06 16 -- 0E 1E -- -- -- --
LSR -- 46 56 -- 4E 5E -- -- -- --
ROL -- 26 36 -- 2E 3E -- -- -- --
ROR -- 66 76 -- 6E 7E -- -- -- --
`;
const OPERAND_FORMS = ['#$12', '$12', '$12,x', '$12,y', '$1234', '$1234,x', '$1234,y', '($1234)', '($12,x)', '($12),y'];
const OPERAND_BYTES = ['12', '12', '12', '12', '3412', '3412', '3412', '3412', '12', '12'];
const IMPLIED =
  'BRK 00 CLC 18 CLD D8 CLI 58 CLV B8 DEX CA DEY 88 INX E8 INY C8 NOP EA PHA 48 PHP 08 PLA 68 PLP 28 RTI 40 RTS 60 SEC 38 SED F8 SEI 78 TAX AA TAY A8 TSX BA TXA 8A TXS 9A TYA 98';
const ACCUMULATOR = 'ASL 0A LSR 4A ROL 2A ROR 6A';
const BRANCHES = 'BPL 10 BMI 30 BVC 50 BVS 70 BCC 90 BCS B0 BNE D0 BEQ F0';

function pairs(text: string): [string, string][] {
  const words = text.split(/\s+/).filter(Boolean);
  const out: [string, string][] = [];
  for (let i = 0; i < words.length; i += 2) out.push([words[i]!, words[i + 1]!.toLowerCase()]);
  return out;
}

describe('assembler: opcodes and addressing modes', () => {
  it('encodes every official opcode in every addressing mode it has', () => {
    let count = 0;
    for (const row of MATRIX.trim().split('\n')) {
      const [mnemonic, ...codes] = row.split(/\s+/);
      codes.forEach((code, i) => {
        if (code === '--') return;
        expect(hex(`  ${mnemonic!.toLowerCase()} ${OPERAND_FORMS[i]}`), `${mnemonic} ${OPERAND_FORMS[i]}`).toBe(code.toLowerCase() + OPERAND_BYTES[i]);
        count++;
      });
    }
    for (const [mnemonic, code] of pairs(IMPLIED)) {
      expect(hex(`  ${mnemonic}`), mnemonic).toBe(code);
      count++;
    }
    for (const [mnemonic, code] of pairs(ACCUMULATOR)) {
      expect(hex(`  ${mnemonic} a`), `${mnemonic} A`).toBe(code);
      expect(hex(`  ${mnemonic}`), `${mnemonic} (no operand)`).toBe(code);
      count++;
    }
    for (const [mnemonic, code] of pairs(BRANCHES)) {
      // A branch to itself: offset -2.
      expect(hex(`here: ${mnemonic} here`), mnemonic).toBe(`${code}fe`);
      count++;
    }
    expect(count).toBe(151);
    const tableCount = Object.values(OPCODES).reduce((n, row) => n + Object.keys(row).length, 0);
    expect(tableCount).toBe(151);
  });

  it('picks zero page for known small addresses and absolute otherwise', () => {
    expect(hex('  lda $0012')).toBe('a512'); // value < 256: zero page, whatever the spelling
    expect(hex('  lda $0100')).toBe('ad0001');
    expect(hex('  sta $12,y')).toBe('991200'); // STA has no zp,Y: absolute,Y
    expect(hex('  ldx $12,y')).toBe('b612');
    expect(hex('  lda #-1')).toBe('a9ff');
    expect(hex("  lda #'A'")).toBe('a941');
  });

  it('sizes forward references as absolute and keeps the size in pass 2', () => {
    const { bytes, symbols } = assemble('  .org $0600\n  lda later\n  jmp end\nlater = $10\nend: rts\n');
    expect(Buffer.from(bytes).toString('hex')).toBe('ad10004c060660');
    expect(symbols.get('end')).toBe(0x0606);
  });
});

describe('assembler: labels, expressions and directives', () => {
  it('resolves global, local and forward labels', () => {
    const { bytes, symbols } = assemble(`
  .org $8000
first:
  ldx #3
@loop:
  dex
  bne @loop
  jmp second
second:
@loop:
  jmp @loop
`);
    expect(Buffer.from(bytes).toString('hex')).toBe('a203cad0fd4c08804c0880');
    expect(symbols.get('first@loop')).toBe(0x8002);
    expect(symbols.get('second@loop')).toBe(0x8008);
  });

  it('evaluates expressions with precedence, < and >, * and parentheses', () => {
    expect(hex('VALUE = $1234\n  .byte <VALUE, >VALUE, 2 + 3 * 4, (2 + 3) * 4, 1 << 4 | 1, $F0 & $3C ^ 1, 7 / 2, 7 % 4, ~0 & $FF')).toBe(
      '3412' + '0e' + '14' + '11' + '31' + '03' + '03' + 'ff',
    );
    expect(hex('  .word *, * + 2')).toBe('00060206'); // * is the address of the statement's first byte
    expect(hex('VALUE = $1234\n  lda (VALUE - $1200) * 2')).toBe('a568'); // an expression in parentheses, not (indirect)
    expect(hex('  .byte %101 % 3, 3 < 4, 3 > 4, 2 == 2, 2 != 2, 5 >= 5, 4 <= 3')).toBe('02010001000100');
  });

  it('emits data: .byte strings, .word, .res, .align, .tile', () => {
    expect(hex('  .byte "Hi", 0\n  .word $BEEF, 1')).toBe('486900efbe0100');
    expect(hex('  .byte 1\n  .res 3, $AA\n  .align 8, $55\n  .byte 2')).toBe('01aaaaaa55555555' + '02');
    // One 8x8 tile: colour 1 sets plane 0, colour 2 plane 1, colour 3 both.
    expect(hex('  .tile "12300000", "........", "........", "........", "........", "........", "........", "3......."')).toBe(
      'a0000000000000' + '80' + '60000000000000' + '80',
    );
  });

  it('lays out segments with fill and writes the iNES header', () => {
    const result = assemble(`
  .ines 1, 1, 0, 1
  .segment "PRG", $C000, $4000
reset: jmp reset
  .org $FFFA
  .word reset, reset, reset
  .segment "CHR", $0000, $2000, 0
  .byte 7
`);
    expect(result.bytes.length).toBe(16 + 0x4000 + 0x2000);
    expect(Array.from(result.bytes.slice(0, 8))).toEqual([0x4e, 0x45, 0x53, 0x1a, 1, 1, 0x01, 0x00]);
    expect(Array.from(result.bytes.slice(16, 20))).toEqual([0x4c, 0x00, 0xc0, 0xff]);
    expect(Array.from(result.bytes.slice(16 + 0x3ffa, 16 + 0x4000))).toEqual([0, 0xc0, 0, 0xc0, 0, 0xc0]);
    expect(result.bytes[16 + 0x4000]).toBe(7);
    expect(result.bytes[16 + 0x4001]).toBe(0);
    expect(result.segments.map((s) => [s.name, s.start, s.bytes.length])).toEqual([
      ['PRG', 0xc000, 0x4000],
      ['CHR', 0, 0x2000],
    ]);
    expect(Array.from(inesHeader({ prgBanks: 2, chrBanks: 0, mapper: 0x42, mirroring: 'horizontal' }).slice(4, 8))).toEqual([2, 0, 0x20, 0x40]);
  });

  it('includes files relative to the including file and reports their own lines', () => {
    const files: Record<string, string> = {
      'src/inc/consts.asm': 'ANSWER = 42\n',
      'src/inc/bad.asm': '\n\n  lda #ANSWER\n  bogus\n',
    };
    const readFile = (path: string): string => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: no such file '${path}'`);
      return text;
    };
    const ok = assemble('  .include "inc/consts.asm"\n  .org 0\n  lda #ANSWER\n', { file: 'src/main.asm', readFile });
    expect(Buffer.from(ok.bytes).toString('hex')).toBe('a92a');
    expect(errorsOf('  .include "inc/consts.asm"\n  .include "inc/bad.asm"\n', { file: 'src/main.asm', readFile })).toEqual([
      "src/inc/bad.asm:4: unknown instruction 'bogus': expected a 6502 mnemonic (official opcodes only), a directive such as .byte, or a label followed by ':'",
    ]);
    expect(errorsOf('  .include "missing.asm"\n', { file: 'src/main.asm', readFile })[0]).toMatch(
      /^src\/main.asm:1: cannot read included file 'src\/missing.asm'/,
    );
    files['src/loop.asm'] = '  .include "loop.asm"\n';
    expect(errorsOf('  .include "loop.asm"\n', { file: 'src/main.asm', readFile })[0]).toMatch(/would recurse/);
  });

  it('gives the same bytes every time', () => {
    const source = '  .org $8000\nstart: lda #1\n  bne start\n  .word start\n';
    expect(assemble(source).bytes).toEqual(assemble(source).bytes);
  });

  it('lists every instruction with its address and source line', () => {
    const { listing } = assemble('  .org $8000\n  lda #1\n  .byte 9\n  rts\n', { file: 'x.asm' });
    expect(listing.map((e) => [e.address, Array.from(e.bytes), e.file, e.line])).toEqual([
      [0x8000, [0xa9, 1], 'x.asm', 2],
      [0x8003, [0x60], 'x.asm', 4],
    ]);
  });
});

describe('assembler: errors name file:line and what was expected', () => {
  it('rejects a branch out of range with the distance and the reach', () => {
    expect(errorsOf('  .org $8000\nloop: nop\n  .res 137\n  bne loop\n', { file: 'game.asm' })).toEqual([
      "game.asm:4: branch target 'loop' is 140 bytes away; a relative branch reaches -128..+127",
    ]);
    expect(errorsOf('  .org $8000\n  beq far\n  .res 128\nfar: rts\n')).toEqual([
      "<source>:2: branch target 'far' is 128 bytes away; a relative branch reaches -128..+127",
    ]);
    // The limits themselves are fine.
    expect(() => assemble('  .org $8000\n  beq far\n  .res 127\nfar: rts\nback: .res 126\n  bne back\n')).not.toThrow();
  });

  it('rejects unknown mnemonics, bad modes and bad operands', () => {
    expect(errorsOf('  lax #1\n  lda (1),x\n  stx $1234,x\n  lda #300\n  lda 1,z\n  jmp ($12),y\n  inc a\n  bcc\n')).toEqual([
      "<source>:1: unknown instruction 'lax': expected a 6502 mnemonic (official opcodes only), a directive such as .byte, or a label followed by ':'",
      '<source>:2: bad operand: there is no (zp),X mode on the 6502; use (zp,X) or (zp),Y',
      '<source>:3: STX does not take addr,X; it takes zp, zp,Y, addr',
      '<source>:4: immediate value 300 does not fit in a byte: expected -128..255',
      "<source>:5: bad index register 'z' for LDA: expected X or Y after ','",
      '<source>:6: JMP does not take (zp),Y; it takes addr, (addr)',
      '<source>:7: INC does not take A; it takes zp, zp,X, addr, addr,X',
      '<source>:8: BCC does not take no operand; it takes label',
    ]);
    // Range checks run once every symbol is known (pass 2).
    expect(errorsOf('  lda ($1234),y\n  lda (ptr,x)\nptr = $200\n')).toEqual([
      "<source>:1: operand '4660' = 4660 is not a zero-page address: (zp),Y needs 0..255",
      "<source>:2: operand 'ptr' = 512 is not a zero-page address: (zp,X) needs 0..255",
    ]);
  });

  it('rejects unknown symbols, duplicates, bad numbers and bad directives', () => {
    expect(errorsOf('  .org 0\n  lda (base + 1) * 2\n')).toEqual([
      "<source>:2: unknown symbol in '(base + 1) * 2': 'base' is never defined as a label or constant",
    ]);
    expect(errorsOf('  .org 0\n  lda missing\n')).toEqual(["<source>:2: unknown symbol in 'missing': 'missing' is never defined as a label or constant"]);
    expect(errorsOf('x: nop\nx: nop\n')).toEqual(["<source>:2: 'x' is already defined"]);
    expect(errorsOf('  lda #$zz\n')).toEqual(["<source>:1: bad number '$zz': expected $hex, %binary or decimal digits"]);
    expect(errorsOf('  .bogus 1\n')[0]).toMatch(/^<source>:1: unknown directive '.bogus': expected one of \.org/);
    expect(errorsOf('  .byte 256\n')[0]).toMatch(/does not fit in a byte/);
    expect(errorsOf('  .tile "1234"\n')[0]).toMatch(/\.tile expects 8 rows/);
    expect(errorsOf('  .byte "abc\n')).toEqual(['<source>:1: unterminated string: expected a closing "']);
    expect(errorsOf('  lda #1 2\n')).toEqual(["<source>:1: unexpected '2' after the end of the statement"]);
    expect(errorsOf('  .assert 1 == 2, "x"\n')[0]).toMatch(/<source>:1:/);
    expect(errorsOf('  .org 0\n  .assert * > 1, "too early"\n')).toEqual(['<source>:2: assertion failed: too early']);
  });

  it('rejects overflowing segments and inconsistent iNES sizes', () => {
    expect(errorsOf('  .segment "ZP", $00, 2\n  .byte 1, 2, 3\n')).toEqual(["<source>:2: segment 'ZP' overflows: $0002 is past its end $0001"]);
    expect(errorsOf('  .ines 1, 1, 0, 0\n  .segment "PRG", $C000, $4000\n')[0]).toMatch(
      /the \.ines header promises 1 x 16 KiB PRG and 1 x 8 KiB CHR \(24576 bytes\) but the segments hold 16384 bytes/,
    );
    expect(errorsOf('  .segment "PRG"\n')[0]).toMatch(/used before it is defined/);
  });

  it('reports several problems at once, in source order', () => {
    const errors = errorsOf('  nop\n  foo\n  nop\n  bar\n');
    expect(errors.map((e) => e.split(':')[1])).toEqual(['2', '4']);
  });
});

describe('assembler: bad input never crashes', () => {
  it('answers random token soup with a result or an AsmError, nothing else', () => {
    const pieces = [
      'lda',
      'sta',
      'jmp',
      'bne',
      '.byte',
      '.word',
      '.org',
      '.res',
      '.align',
      '.segment',
      '.ines',
      '.tile',
      '.assert',
      '.include',
      'x',
      '@l',
      'lbl:',
      '@q:',
      '=',
      '#',
      '(',
      ')',
      ',',
      'y',
      'a',
      '$',
      '$ff',
      '$10000',
      '%',
      '%101',
      '-',
      '+',
      '*',
      '/',
      '<',
      '>',
      '<<',
      '==',
      '"s"',
      '"',
      "'a'",
      "'",
      '0',
      '99999999999',
      '~',
      '[',
      ']',
      ';c',
      '!',
      '.',
      '1/0',
    ];
    let seed = 1;
    const below = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    let errors = 0;
    for (let i = 0; i < 3000; i++) {
      const lines: string[] = [];
      for (let l = 0; l <= below(5); l++) {
        const tokens = Array.from({ length: below(6) }, () => pieces[below(pieces.length)]!);
        lines.push(tokens.join(below(2) ? ' ' : ''));
      }
      try {
        assemble(lines.join('\n'), {
          readFile: () => {
            throw new Error('no such file');
          },
        });
      } catch (err) {
        if (!(err instanceof AsmError)) throw new Error(`crash on ${JSON.stringify(lines.join('\n'))}: ${err}`, { cause: err });
        for (const d of err.diagnostics) expect(d.message.length).toBeGreaterThan(10);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(1000);
  });
});
