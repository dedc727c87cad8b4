// Locks in the NES core's results on the test ROMs, SMB1 and SMB3 through the developer tool
// native/tools/nes_run.cc (built into build/nes_run by `npm run build:native`). The formal
// TypeScript-API suites live beside this one; these check the C++ core directly.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { Controller, NES } from 'jsnes';
import { describe, expect, it } from 'vitest';

const tool = resolve(__dirname, '../../build/nes_run');
const hasTool = existsSync(tool);
const roms = process.env.NES_TEST_ROMS;
const mario = process.env.MARIO_ROM;
const smb3 = process.env.SMB3_ROM;

if (!hasTool) console.warn(`nes-core: ${tool} not built (npm run build:native); skipping the tool-driven suites`);
if (!roms) console.warn('nes-core: NES_TEST_ROMS is not set; skipping the test-ROM suites');
if (!mario) console.warn('nes-core: MARIO_ROM is not set; skipping the SMB1 checks');
if (!smb3) console.warn('nes-core: SMB3_ROM is not set; skipping the SMB3 checks');

function run(args: string[]): { code: number; out: string } {
  const result = spawnSync(tool, args, { encoding: 'utf8', timeout: 120_000 });
  return { code: result.status ?? -1, out: `${result.stdout}${result.stderr}` };
}

// blargg's $6000 protocol: status 0 and the ROM's own "Passed" text.
function blargg(path: string): void {
  const { code, out } = run(['blargg', path, '3000']);
  expect(out).toContain('Passed');
  expect(code).toBe(0);
}

// Older ROMs print their result on screen (nametable text).
function screen(path: string, frames: number): string {
  return run(['frames', path, String(frames), '--script', 'none', '--norender', '--screen']).out;
}

describe.skipIf(!hasTool || !roms)('NES core on the test ROMs', () => {
  const dir = (name: string) => join(roms ?? '', name);

  it('nestest: every line of nestest.log matches (PC A X Y P SP CYC)', () => {
    const out = execFileSync(tool, ['nestest', dir('nestest/nestest.nes'), dir('nestest/nestest.log')], {
      encoding: 'utf8',
    });
    expect(out).toMatch(/all 8991 lines match/);
  });

  const instr = [
    '01-basics',
    '02-implied',
    '03-immediate',
    '04-zero_page',
    '05-zp_xy',
    '06-absolute',
    '07-abs_xy',
    '08-ind_x',
    '09-ind_y',
    '10-branches',
    '11-stack',
    '12-jmp_jsr',
    '13-rts',
    '14-rti',
    '15-brk',
    '16-special',
  ];
  it.each(instr)('instr_test-v5 %s', (name) => blargg(dir(`instr_test-v5/${name}.nes`)));

  it.each(['1-instr_timing', '2-branch_timing'])('instr_timing %s', (name) => blargg(dir(`instr_timing/${name}.nes`)));

  const vbl = [
    '01-vbl_basics',
    '02-vbl_set_time',
    '03-vbl_clear_time',
    '04-nmi_control',
    '05-nmi_timing',
    '06-suppression',
    '07-nmi_on_timing',
    '08-nmi_off_timing',
    '09-even_odd_frames',
    '10-even_odd_timing',
  ];
  it.each(vbl)('ppu_vbl_nmi %s', (name) => blargg(dir(`ppu_vbl_nmi/${name}.nes`)));

  it.each(['1-clocking', '2-details', '3-A12_clocking', '4-scanline_timing'])('mmc3_test_2 %s', (name) => blargg(dir(`mmc3_test_2/${name}.nes`)));

  it.each(['palette_ram', 'power_up_palette', 'sprite_ram', 'vbl_clear_time', 'vram_access'])('blargg_ppu_tests %s reports $01', (name) =>
    expect(screen(dir(`blargg_ppu_tests/${name}.nes`), 300)).toMatch(/\$01/),
  );

  const spriteHit = [
    '01.basics',
    '02.alignment',
    '03.corners',
    '04.flip',
    '05.left_clip',
    '06.right_edge',
    '07.screen_bottom',
    '08.double_height',
    '09.timing_basics',
    '10.timing_order',
    '11.edge_timing',
  ];
  it.each(spriteHit)('sprite_hit_tests %s', (name) => expect(screen(dir(`sprite_hit_tests/${name}.nes`), 300)).toMatch(/PASSED/));

  it('cpu_timing_test6 passes', () => {
    expect(screen(dir('cpu_timing_test6/cpu_timing_test.nes'), 1300)).toMatch(/PASSED/);
  });
});

// The joypad script of reference/baselines.md (also nes_run's --script baseline).
function baselineInput(f: number): number {
  if (f < 60) return 0;
  if (f < 66) return 0x08;
  if (f < 120) return 0;
  if (f < 130) return 0x08;
  return 0x82 | (f % 40 < 12 ? 0x01 : 0);
}

describe.skipIf(!hasTool || !mario)('NES core on SMB1', () => {
  it('the whole 2 KiB RAM matches jsnes every frame from frame 3 to 6,000 (power-on RAM $FF as jsnes)', () => {
    const frames = 6000;
    const dir = mkdtempSync(join(tmpdir(), 'nes-core-'));
    try {
      const dump = join(dir, 'ram.bin');
      expect(run(['frames', mario!, String(frames), '--ram-ff', '--ramdump', dump]).code).toBe(0);
      const ours = readFileSync(dump);
      const nes = new NES({ onFrame() {}, emulateSound: false });
      nes.loadROM(readFileSync(mario!).toString('binary'));
      // jsnes builds its CPU in loadROM; its RAM is cpu.mem (not in jsnes's type declarations).
      const cpu = (nes as unknown as { cpu: { mem: ArrayLike<number> } }).cpu;
      type Button = Parameters<NES['buttonDown']>[1];
      const buttons: [number, Button][] = [
        [0x01, Controller.BUTTON_A],
        [0x02, Controller.BUTTON_B],
        [0x04, Controller.BUTTON_SELECT],
        [0x08, Controller.BUTTON_START],
        [0x10, Controller.BUTTON_UP],
        [0x20, Controller.BUTTON_DOWN],
        [0x40, Controller.BUTTON_LEFT],
        [0x80, Controller.BUTTON_RIGHT],
      ];
      let previous = 0;
      let firstDiff = -1;
      for (let f = 0; f < frames && firstDiff < 0; f++) {
        const b = baselineInput(f);
        for (const [bit, button] of buttons) {
          if (b & bit && !(previous & bit)) nes.buttonDown(1, button);
          if (!(b & bit) && previous & bit) nes.buttonUp(1, button);
        }
        previous = b;
        nes.frame();
        if (f < 3) continue; // the game has not cleared RAM yet
        for (let i = 0; i < 2048; i++) {
          if (cpu.mem[i] !== ours[f * 2048 + i]) {
            firstDiff = f;
            break;
          }
        }
      }
      expect(firstDiff).toBe(-1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('restoring a save state and replaying gives identical RAM and frames', () => {
    const { code, out } = run(['frames', mario!, '400', '--replay', '300']);
    expect(out).toMatch(/replay 300 frames after load: 0 mismatches/);
    expect(code).toBe(0);
  });

  it('render=false leaves the RAM trace byte-identical to render=true', () => {
    const hash = (extra: string[]) => /ram fnv=([0-9a-f]+)/.exec(run(['frames', mario!, '1500', ...extra]).out)?.[1];
    const rendered = hash([]);
    expect(rendered).toMatch(/^[0-9a-f]{16}$/);
    expect(hash(['--norender'])).toBe(rendered);
  });
});

describe.skipIf(!hasTool || !smb3)('NES core on SMB3', () => {
  it('save/replay identity holds with MMC3 (IRQs, CHR banking, PRG-RAM)', () => {
    const { code, out } = run(['frames', smb3!, '900', '--script', 'start', '--replay', '300']);
    expect(out).toMatch(/0 mismatches/);
    expect(code).toBe(0);
  });
});

// Ppu::RunVisibleLine steps a whole visible line at once and restates the visible-line part of
// the event order the general loop searches for; with --no-line-fast-path the core steps every
// line event by event. Both ways must give the same RAM after every frame and the same pixels.
describe.skipIf(!hasTool)('NES core: the whole-line PPU fast path equals event-by-event stepping', () => {
  function bothWays(rom: string, frames: number, script: string): void {
    const dir = mkdtempSync(join(tmpdir(), 'nes-line-'));
    try {
      const outputs = ['fast', 'slow'].map((way) => {
        const dump = join(dir, `${way}.bin`);
        const args = ['frames', rom, String(frames), '--script', script, '--framehash', '--ramdump', dump];
        const r = run(way === 'slow' ? [...args, '--no-line-fast-path'] : args);
        expect(r.code, r.out).toBe(0);
        const hashes = r.out.split('\n').filter((l) => /^(ram|frames) fnv=/.test(l));
        expect(hashes.length).toBe(2);
        return { hashes, ram: readFileSync(dump) };
      });
      expect(outputs[1]!.hashes).toEqual(outputs[0]!.hashes);
      expect(outputs[1]!.ram.length).toBe(frames * 2048);
      expect(Buffer.compare(outputs[1]!.ram, outputs[0]!.ram), 'RAM after every frame').toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('on the built-in game (scripted play through its first stage)', () => {
    bothWays(resolve(__dirname, '../../assets/runner.nes'), 3000, 'baseline');
  });

  it.skipIf(!mario)('on SMB1 (the baseline script, sprite-0 split every frame)', () => {
    bothWays(mario!, 3000, 'baseline');
  });

  it.skipIf(!smb3)('on SMB3 (MMC3: A12 rises and IRQs inside whole lines, CHR banks switched mid-frame)', () => {
    bothWays(smb3!, 3000, 'start');
  });

  it.skipIf(!roms)('on the MMC3 test ROMs', () => {
    for (const name of ['1-clocking', '2-details', '3-A12_clocking', '4-scanline_timing']) {
      bothWays(join(roms!, 'mmc3_test_2', `${name}.nes`), 600, 'none');
    }
  });

  it.skipIf(!roms)('on the sprite-0 hit test ROMs', () => {
    for (const name of [
      '01.basics',
      '02.alignment',
      '03.corners',
      '04.flip',
      '05.left_clip',
      '06.right_edge',
      '07.screen_bottom',
      '09.timing_basics',
      '10.timing_order',
      '11.edge_timing',
    ]) {
      bothWays(join(roms!, 'sprite_hit_tests', `${name}.nes`), 240, 'none');
    }
  });
});
