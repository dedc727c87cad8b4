/** bench/fuzz.ts's coverage count (scripts/fuzz-coverage.ts): gcov JSON merged by file and line. */
import { describe, expect, it } from 'vitest';

import { coverageOf, type GcovFile } from '../../scripts/fuzz-coverage.js';

const nesOnly = (file: string) => (file.startsWith('native/nes/') ? file : undefined);

describe('fuzz coverage from gcov JSON', () => {
  it('counts a line once however many objects include it, covered when any of them ran it', () => {
    const files: GcovFile[] = [
      // A header seen from two objects: line 3 ran only in the second.
      {
        file: 'native/nes/ppu.h',
        lines: [
          { line_number: 3, count: 0 },
          { line_number: 4, count: 2 },
        ],
      },
      {
        file: 'native/nes/ppu.h',
        lines: [
          { line_number: 3, count: 5 },
          { line_number: 4, count: 0 },
        ],
      },
      { file: 'native/nes/cpu.cc', lines: [{ line_number: 10, count: 0 }] },
    ];
    const c = coverageOf(files, nesOnly);
    expect([...c.lines].sort()).toEqual(['native/nes/ppu.h:3', 'native/nes/ppu.h:4']);
    expect(c.lineTotal).toBe(3);
  });

  it('counts branch outcomes taken at least once, merged the same way', () => {
    const files: GcovFile[] = [
      { file: 'native/nes/apu.cc', lines: [{ line_number: 7, count: 1, branches: [{ count: 1 }, { count: 0 }] }] },
      { file: 'native/nes/apu.cc', lines: [{ line_number: 7, count: 1, branches: [{ count: 0 }, { count: 0 }] }] },
      { file: 'native/nes/apu.cc', lines: [{ line_number: 9, count: 0, branches: [{ count: 0 }, { count: 0 }] }] },
    ];
    const c = coverageOf(files, nesOnly);
    expect(c.branches).toBe(1);
    expect(c.branchTotal).toBe(4);
  });

  it('leaves out the files pick rejects and renames the ones it keeps', () => {
    const files: GcovFile[] = [
      { file: '/usr/include/c++/12/bits/stl_vector.h', lines: [{ line_number: 1, count: 9 }] },
      { file: 'native/nes/rom.cc', lines: [{ line_number: 2, count: 1 }] },
    ];
    const c = coverageOf(files, (f) => (f.startsWith('native/') ? f.slice('native/'.length) : undefined));
    expect([...c.lines]).toEqual(['nes/rom.cc:2']);
    expect(c.lineTotal).toBe(1);
  });
});
