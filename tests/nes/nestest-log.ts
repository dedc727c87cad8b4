/**
 * nestest in automated mode against its golden log: start at $C000 (P=$24, SP=$FD, cycle 7) and
 * compare every line of nestest.log (PC, A, X, Y, P, SP, CYC) with the CPU before each
 * instruction; the trace facility's own line must carry the same fields. Shared by the nestest
 * suite and the arm64 cross-check (tests/arm64/cross-check.ts), which runs it under emulation.
 */
import type { CpuState, Nes } from '../../src/nes.js';

/** A log line's registers and cycle count: what `nes.cpu` reads. */
type LogLine = CpuState;

const FIELDS = /^([0-9A-F]{4}) .*A:([0-9A-F]{2}) X:([0-9A-F]{2}) Y:([0-9A-F]{2}) P:([0-9A-F]{2}) SP:([0-9A-F]{2}).*CYC:(\d+)/;

function parse(line: string): LogLine | undefined {
  const m = FIELDS.exec(line);
  if (!m) return undefined;
  const [pc, a, x, y, p, sp] = m.slice(1, 7).map((h) => parseInt(h, 16));
  return { pc, a, x, y, p, sp, cycles: Number(m[7]) };
}

function show(l: LogLine): string {
  const h = (v: number, n: number) => v.toString(16).toUpperCase().padStart(n, '0');
  return `${h(l.pc, 4)} A:${h(l.a, 2)} X:${h(l.x, 2)} Y:${h(l.y, 2)} P:${h(l.p, 2)} SP:${h(l.sp, 2)} CYC:${l.cycles}`;
}

/**
 * Runs nestest on `nes` (a console with nestest.nes loaded) against the text of nestest.log.
 * Returns the number of lines matched and nestest's result bytes $02/$03 (0, 0 = every test
 * passed); throws at the first line that differs, showing both.
 */
export function runNestest(nes: Nes, logText: string): { lines: number; matched: number; result: [number, number] } {
  const log = logText.split(/\r?\n/).filter((l) => l.trim());
  const expected = log.map((l, i) => {
    const parsed = parse(l);
    if (!parsed) throw new Error(`nestest.log line ${i + 1} does not parse: ${l}`);
    return parsed;
  });
  const start = nes.cpu;
  nes.cpu = { pc: 0xc000, a: start.a, x: start.x, y: start.y, p: 0x24, sp: 0xfd };
  let matched = 0;
  for (let i = 0; i < expected.length; i++) {
    const { pc, a, x, y, p, sp, cycles } = nes.cpu;
    const got = { pc, a, x, y, p, sp, cycles };
    if (show(got) !== show(expected[i])) {
      throw new Error(
        `nestest.log line ${i + 1} differs after ${matched} matching lines\n  expected ${show(expected[i])}\n  received ${show(got)}\n  log line ${log[i]}`,
      );
    }
    const traced = parse(nes.traceLine());
    if (!traced || show(traced) !== show(got)) {
      throw new Error(`traceLine() at log line ${i + 1} disagrees with the registers: ${nes.traceLine()}`);
    }
    matched++;
    nes.stepInstruction();
  }
  return { lines: expected.length, matched, result: [nes.peek(0x02), nes.peek(0x03)] };
}
