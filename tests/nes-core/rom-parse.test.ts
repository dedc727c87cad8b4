// ParseRom's validation through the developer tool: every malformed header is an error that
// names the problem (never a crash). The TypeScript API's bad-input suite covers the same path
// through the addon.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

const tool = resolve(__dirname, '../../build/nes_run');
const hasTool = existsSync(tool);
if (!hasTool) console.warn(`nes-core: ${tool} not built (npm run build:native); skipping the ROM parsing suite`);

const dir = mkdtempSync(join(tmpdir(), 'nes-rom-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A minimal NROM image: 16 KiB PRG of NOPs with the reset vector at $8000, 8 KiB CHR.
function image(header: Partial<Record<number, number>> = {}, prgBanks = 1, chrBanks = 1, extra = 0): Uint8Array {
  const bytes = new Uint8Array(16 + prgBanks * 16384 + chrBanks * 8192 + extra);
  bytes.set([0x4e, 0x45, 0x53, 0x1a, prgBanks, chrBanks]);
  for (const [k, v] of Object.entries(header)) bytes[Number(k)] = v!;
  const prg = bytes.subarray(16, 16 + prgBanks * 16384);
  prg.fill(0xea);
  prg[prg.length - 4] = 0x00; // reset vector -> $8000
  prg[prg.length - 3] = 0x80;
  return bytes;
}

function runRom(name: string, bytes: Uint8Array): { code: number; out: string } {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  const r = spawnSync(tool, ['frames', path, '3', '--script', 'none'], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe.skipIf(!hasTool)('ROM parsing', () => {
  it('runs a valid NROM image', () => {
    const { code, out } = runRom('ok.nes', image());
    expect(out).toMatch(/3 frames in/);
    expect(code).toBe(0);
  });

  it.each([
    ['an image shorter than the header', new Uint8Array(10), /at least a 16-byte iNES header but received 10 bytes/],
    [
      'a missing magic',
      (() => {
        const b = image();
        b[0] = 0x4d;
        return b;
      })(),
      /missing the iNES magic/,
    ],
    ['PRG-ROM size 0', image({ 4: 0 }), /PRG-ROM size \(byte 4\) is 0/],
    ['a truncated image', image().subarray(0, 16 + 16384), /truncated; the header declares 16384 bytes of PRG-ROM and 8192 bytes of CHR-ROM/],
    ['a missing trainer', image({ 6: 0x04 }), /plus a 512-byte trainer/],
    ['an unsupported mapper', image({ 6: 0x50 }), /Unsupported mapper 5\b/],
    ['an unsupported NES 2.0 mapper', image({ 6: 0x00, 7: 0x08, 8: 0x01 }), /Unsupported mapper 256\b/],
    ['a NES 2.0 exponent that is too large', image({ 7: 0x08, 9: 0x0f, 4: 0xfc }), /size exponent 63 is too large/],
    ['a NES 2.0 PRG-RAM shift above 14', image({ 7: 0x08, 10: 0x0f }), /PRG-RAM size shift \(byte 10\) must be at most 14/],
    ['PRG-RAM larger than supported', image({ 6: 0x10, 7: 0x08, 10: 0x0e }), /PRG-RAM size 1048576 bytes exceeds/],
  ])('rejects %s with a message naming it', (_name, bytes, message) => {
    const { code, out } = runRom('bad.nes', bytes);
    expect(out).toMatch(message);
    expect(code).toBe(3);
  });
});
