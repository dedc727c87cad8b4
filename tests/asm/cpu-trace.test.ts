/**
 * Round trip: assemble a program that touches every addressing-mode family, run it on a CPU
 * with an instruction-level trace, and check that every executed instruction is one the
 * assembler listed (same address, same bytes) and that registers and RAM end as computed by hand.
 */
import { NES } from 'jsnes';
import { describe, expect, it } from 'vitest';

import { assemble, type AssembleResult } from '../../src/asm/index.js';
import { Nes } from '../../src/nes.js';

const PROGRAM = `
  .ines 1, 1, 0, 0
  .segment "PRG", $C000, $4000
sum = $10
ptr = $20
reset:
  sei
  cld
  ldx #$FF
  txs
  lda #0
  sta sum
  ldx #5
@loop:
  txa
  clc
  adc sum
  sta sum
  dex
  bne @loop              ; sum = 5 + 4 + 3 + 2 + 1 = 15
  lda #<table
  sta ptr
  lda #>table
  sta ptr+1
  ldy #2
  lda (ptr),y            ; 11
  sta $0300
  ldx #1
  lda table,x            ; 9
  sta sum,x              ; $11 = 9
  ldx #0
  lda (ptr,x)            ; 7
  ldy #2
  ldx table,y            ; 11
  stx $12
  ldy sum                ; 15
  sty $0301
  jsr double             ; 14
  sta $13
  lda #$81
  asl a                  ; $02, carry set
  rol $13                ; 14 * 2 + 1 = 29
  lsr $0300              ; 5, carry set
  ror a                  ; $81
  sta $14
  inc $14                ; $82
  dec $0301              ; 14
  lda #$0F
  and #$3C               ; $0C
  ora #$40               ; $4C
  eor #$FF               ; $B3
  sta $15
  sec
  sbc #$33               ; $80
  cmp #$80
  beq @equal
  brk
@equal:
  bit $15                ; N from bit 7 of $B3
  bmi @negative
  brk
@negative:
  jmp (vector)
land:
  ldx $11
  stx $0302
done:
  jmp done
double:
  asl a
  rts
table:
  .byte 7, 9, 11
vector:
  .word land
  .org $FFFA
  .word reset, reset, reset
  .segment "CHR", $0000, $2000, 0
`;

interface TraceStep {
  pc: number;
  a: number;
  x: number;
  y: number;
}

/** Instruction-level trace on jsnes: registers before each instruction, until `stopAt` or `limit`. */
function traceOnJsnes(rom: Uint8Array, stopAt: number, limit: number): { steps: TraceStep[]; ram: (addr: number) => number } {
  const nes = new NES({ emulateSound: false });
  nes.loadROM(Buffer.from(rom).toString('binary'));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const cpu = (nes as any).cpu;
  if (cpu.resetPending) cpu.emulate(); // the reset sequence itself is not an instruction
  const steps: TraceStep[] = [];
  while (steps.length < limit) {
    steps.push({ pc: cpu.REG_PC, a: cpu.REG_ACC, x: cpu.REG_X, y: cpu.REG_Y });
    if (cpu.REG_PC === stopAt) break;
    cpu.emulate();
  }
  return { steps, ram: (addr) => cpu.mem[addr] };
}

/** The same trace on our core, through `Nes.stepInstruction()` and `Nes.cpu`. */
function traceOnNes(rom: Uint8Array, stopAt: number, limit: number): { steps: TraceStep[]; ram: (addr: number) => number } {
  const nes = new Nes(rom);
  const steps: TraceStep[] = [];
  while (steps.length < limit) {
    const { pc, a, x, y } = nes.cpu;
    steps.push({ pc, a, x, y });
    if (pc === stopAt) break;
    nes.stepInstruction();
  }
  const ram = nes.ram;
  return { steps, ram: (addr) => ram[addr]! };
}

function checkTrace(asm: AssembleResult, steps: TraceStep[], ram: (addr: number) => number): void {
  const sym = (name: string): number => asm.symbols.get(name)!;
  const byAddress = new Map(asm.listing.map((e) => [e.address, e]));
  const prg = asm.segments.find((s) => s.name === 'PRG')!;
  // Every executed instruction is one the assembler emitted, with the bytes it emitted.
  for (const step of steps) {
    const entry = byAddress.get(step.pc);
    expect(entry, `pc $${step.pc.toString(16)} is not the start of an assembled instruction`).toBeDefined();
    const inRom = prg.bytes.slice(step.pc - prg.start, step.pc - prg.start + entry!.bytes.length);
    expect(Array.from(inRom)).toEqual(Array.from(entry!.bytes));
  }
  const pcs = steps.map((s) => s.pc);
  expect(pcs[0]).toBe(sym('reset'));
  expect(pcs.at(-1)).toBe(sym('done'));
  expect(pcs.filter((pc) => pc === sym('reset@loop')).length).toBe(5);
  expect(pcs).toContain(sym('double'));
  expect(pcs).toContain(sym('land'));
  const brk = asm.listing.filter((e) => e.bytes[0] === 0x00).map((e) => e.address);
  expect(brk.length).toBe(2);
  for (const address of brk) expect(pcs).not.toContain(address);
  // 7 setup + 6 x 5 loop + 41 straight-line (jsr and rts included) + 2 after the indirect jump + done.
  expect(steps.length).toBe(7 + 30 + 41 + 2 + 1);
  const last = steps.at(-1)!;
  expect([last.a, last.x, last.y]).toEqual([0x80, 9, 15]);
  expect([0x10, 0x11, 0x12, 0x13, 0x14, 0x15].map(ram)).toEqual([15, 9, 11, 29, 0x82, 0xb3]);
  expect([0x300, 0x301, 0x302].map(ram)).toEqual([5, 14, 9]);
  expect(ram(0x20) | (ram(0x21) << 8)).toBe(sym('table'));
}

describe('assembler round trip against a CPU trace', () => {
  const asm = assemble(PROGRAM, { file: 'trace.asm' });

  it('runs as listed on jsnes', () => {
    const { steps, ram } = traceOnJsnes(asm.bytes, asm.symbols.get('done')!, 500);
    checkTrace(asm, steps, ram);
  });

  it('runs as listed on our core, instruction for instruction like jsnes', () => {
    const done = asm.symbols.get('done')!;
    const ours = traceOnNes(asm.bytes, done, 500);
    checkTrace(asm, ours.steps, ours.ram);
    expect(ours.steps).toEqual(traceOnJsnes(asm.bytes, done, 500).steps);
  });
});
