/**
 * Our own accuracy programs (tests/nes-core/accuracy/*.asm, assembled here with src/asm): one
 * per hardware behaviour that games rely on and the shipped test-ROM suites do not pin down.
 * Each program's header cites the documented behaviour and cycle counts it checks and lists its
 * result codes; it reports through blargg's $6000 protocol (accuracy/shell.asm), so a
 * failure names the check that failed. docs/nes-core.md's accuracy table lists them.
 */
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { assembleFile } from '../../src/asm/index.js';
import { Nes } from '../../src/index.js';
import { runBlargg } from '../nes/helpers.js';

const DIR = join(__dirname, 'accuracy');

/** Program file (without .asm), frames it may take, and the RAM range worth showing on failure. */
const PROGRAMS: { name: string; frames: number; dump?: [number, number] }[] = [
  { name: 'branch-delays-irq', frames: 300, dump: [0x300, 0x3c0] },
  { name: 'irq-during-oam-dma', frames: 30, dump: [0x10, 0x11] },
  { name: 'oam-dma-cycles', frames: 60, dump: [0x10, 0x1a] },
  { name: 'nmi-hijacks-brk', frames: 200, dump: [0x10, 0x15] },
  { name: 'nmi-hijacks-irq', frames: 200, dump: [0x10, 0x18] },
  { name: 'interrupt-latency', frames: 30, dump: [0x10, 0x14] },
  { name: 'dummy-reads', frames: 30 },
  { name: 'ppu-open-bus', frames: 200 },
  { name: 'apu-frame-counter', frames: 30 },
  { name: 'power-and-reset', frames: 60, dump: [0x04, 0x11] },
  { name: 'dmc-status-irq', frames: 30, dump: [0x10, 0x11] },
  { name: 'dmc-dma-cycles', frames: 30, dump: [0x10, 0x17] },
  { name: 'dmc-double-reads', frames: 30, dump: [0x10, 0x12] },
  { name: 'dmc-dma-during-oam-dma', frames: 200, dump: [0x300, 0x340] },
];

function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

describe('NES core accuracy programs ($6000 protocol)', () => {
  it.each(PROGRAMS)('$name', ({ name, frames, dump }) => {
    const { bytes } = assembleFile(join(DIR, `${name}.asm`));
    const nes = new Nes(bytes);
    try {
      const result = runBlargg(nes, frames);
      const ram = dump ? `\nRAM $${dump[0].toString(16)}: ${hexBytes(nes.ram.slice(dump[0], dump[1]))}` : '';
      expect(result, `${name}: status ${result.status} "${result.text}"${ram}`).toMatchObject({ status: 0 });
    } finally {
      nes.close();
    }
  });
});
