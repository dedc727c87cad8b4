/**
 * The parser fuzzer (scripts/parser-fuzz-lib.ts; `npm run fuzz:parsers` runs it long) on a fixed
 * seed: checkpoint files, safetensors, config JSON and save states (Nes.loadState,
 * VecEnv.setStartStates), each mutated bytewise and structurally with its CRC or checksum
 * re-sealed. Every input is accepted or rejected with a clear error; never an engine TypeError.
 */
import { describe, expect, it } from 'vitest';

import { fuzzParsers } from '../../scripts/parser-fuzz-lib.js';
import { loadTestAddon } from '../native-test-addon.js';

describe('parser fuzzing (short, seed 19)', () => {
  it('checkpoint, safetensors and config JSON: 400 inputs each, no finding, both outcomes reached', () => {
    const stats = fuzzParsers({ seed: 19, iterations: 400, targets: ['checkpoint', 'safetensors', 'config'] });
    for (const [name, s] of Object.entries(stats)) {
      expect({ name, findings: s.findings, examples: s.examples }).toEqual({ name, findings: 0, examples: [] });
      expect(s.inputs).toBe(400);
      expect(s.rejected).toBeGreaterThan(100);
      expect(s.accepted).toBeGreaterThan(0); // the mutations are not all trivially broken
    }
  }, 120_000);

  it('save states through Nes.loadState and VecEnv.setStartStates: crafted (re-sealed) states are rejected by field or run', () => {
    const stats = fuzzParsers({ seed: 19, iterations: 80, targets: ['nes-state', 'start-states'], sealState: loadTestAddon().nesSealState });
    for (const [name, s] of Object.entries(stats)) {
      expect({ name, findings: s.findings, examples: s.examples }).toEqual({ name, findings: 0, examples: [] });
      expect(s.rejected).toBeGreaterThan(10);
      expect(s.accepted).toBeGreaterThan(2); // crafted states that pass the field checks ran 3 frames
    }
  }, 600_000); // each VecEnv input wakes the worker threads for a reset and 3 steps: slow on a loaded machine
});
