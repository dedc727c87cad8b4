/**
 * nestest in automated mode: every line of nestest.log (PC, A, X, Y, P, SP, CYC) against the CPU
 * before each instruction, and the trace facility's own line (tests/nes/nestest-log.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { Nes } from '../../src/index.js';
import { romEnv, readTestRom } from './helpers.js';
import { runNestest } from './nestest-log.js';

const ROOT = romEnv('NES_TEST_ROMS', 'nestest suite');

describe.skipIf(!ROOT)('nestest', () => {
  it('matches every line of nestest.log (PC, A, X, Y, P, SP, CYC)', () => {
    const nes = new Nes(readTestRom(ROOT!, 'nestest', 'nestest.nes'));
    const { lines, matched, result } = runNestest(nes, readFileSync(join(ROOT!, 'nestest', 'nestest.log'), 'latin1'));
    expect(lines).toBeGreaterThan(8900);
    expect(matched).toBe(lines);
    // nestest reports failures in $02/$03 (0 = every official and unofficial test passed).
    expect(result).toEqual([0, 0]);
    nes.close();
  });
});
