/**
 * blargg's test ROMs. Newer suites report through $6000 (see runBlargg); the older ones through
 * their own channel:
 *  - sprite_hit_tests (2005): result code in zero page $F8 (1 = passed, n = failed test n);
 *  - blargg_ppu_tests (2005): result code in zero page $F0 (1 = passed);
 *  - cpu_timing_test6: prints its verdict on screen only. We read the nametable text through
 *    the PPU bus (`peekPpu`; the font maps ASCII to tile numbers) and expect "PASSED"; and we
 *    compare the rendered screen's layout (pixel differs from the backdrop) after 20 s of
 *    emulated time with jsnes's, which shows "PASSED" for this ROM (checked by eye).
 * ROMs the current core does not pass yet are listed in KNOWN_FAILURES and run with `it.fails`:
 * the assertion is unchanged, so the entry must be removed once the core passes.
 */
import { describe, expect, it } from 'vitest';

import { Nes } from '../../src/index.js';
import { nametableText, readTestRom, romEnv, runBlargg } from './helpers.js';
import { JsnesOracle, layoutMask } from './jsnes-oracle.js';

const ROOT = romEnv('NES_TEST_ROMS', 'blargg test ROM suites');

/** suite/file of ROMs the current core fails (reported to the core engineer). */
const KNOWN_FAILURES = new Set<string>([]);

function knownFailure(suite: string, file: string) {
  return KNOWN_FAILURES.has(`${suite}/${file}`) ? it.fails : it;
}

const PROTOCOL_SUITES: Record<string, string[]> = {
  'instr_test-v5': [
    '01-basics.nes',
    '02-implied.nes',
    '03-immediate.nes',
    '04-zero_page.nes',
    '05-zp_xy.nes',
    '06-absolute.nes',
    '07-abs_xy.nes',
    '08-ind_x.nes',
    '09-ind_y.nes',
    '10-branches.nes',
    '11-stack.nes',
    '12-jmp_jsr.nes',
    '13-rts.nes',
    '14-rti.nes',
    '15-brk.nes',
    '16-special.nes',
  ],
  instr_timing: ['1-instr_timing.nes', '2-branch_timing.nes'],
  ppu_vbl_nmi: [
    '01-vbl_basics.nes',
    '02-vbl_set_time.nes',
    '03-vbl_clear_time.nes',
    '04-nmi_control.nes',
    '05-nmi_timing.nes',
    '06-suppression.nes',
    '07-nmi_on_timing.nes',
    '08-nmi_off_timing.nes',
    '09-even_odd_frames.nes',
    '10-even_odd_timing.nes',
  ],
  mmc3_test_2: ['1-clocking.nes', '2-details.nes', '3-A12_clocking.nes', '4-scanline_timing.nes'],
};

describe.skipIf(!ROOT)('blargg $6000 protocol suites', () => {
  for (const [suite, files] of Object.entries(PROTOCOL_SUITES)) {
    describe(suite, () => {
      for (const file of files) {
        knownFailure(suite, file)(file, () => {
          const nes = new Nes(readTestRom(ROOT!, suite, file));
          const result = runBlargg(nes, 60 * 60);
          nes.close();
          expect(result, `${suite}/${file}: ${result.text}`).toMatchObject({ status: 0 });
        });
      }
    });
  }
});

/** Runs `frames` frames and returns the zero-page result byte at `address`. */
function zeroPageResult(rom: Uint8Array, address: number, frames: number): number {
  const nes = new Nes(rom);
  nes.stepFrames(new Uint8Array(frames), { render: false });
  const code = nes.peek(address);
  nes.close();
  return code;
}

describe.skipIf(!ROOT)('blargg 2005 suites (result code in zero page)', () => {
  const spriteHit = [
    '01.basics.nes',
    '02.alignment.nes',
    '03.corners.nes',
    '04.flip.nes',
    '05.left_clip.nes',
    '06.right_edge.nes',
    '07.screen_bottom.nes',
    '08.double_height.nes',
    '09.timing_basics.nes',
    '10.timing_order.nes',
    '11.edge_timing.nes',
  ];
  describe('sprite_hit_tests ($F8 = 1)', () => {
    for (const file of spriteHit) {
      knownFailure('sprite_hit_tests', file)(file, () => {
        expect(zeroPageResult(readTestRom(ROOT!, 'sprite_hit_tests', file), 0xf8, 20 * 60)).toBe(1);
      });
    }
  });
  const ppu = ['palette_ram.nes', 'power_up_palette.nes', 'sprite_ram.nes', 'vbl_clear_time.nes', 'vram_access.nes'];
  describe('blargg_ppu_tests ($F0 = 1)', () => {
    for (const file of ppu) {
      knownFailure('blargg_ppu_tests', file)(file, () => {
        expect(zeroPageResult(readTestRom(ROOT!, 'blargg_ppu_tests', file), 0xf0, 20 * 60)).toBe(1);
      });
    }
  });
});

describe.skipIf(!ROOT)('cpu_timing_test6 (verdict on screen)', () => {
  it('prints PASSED in its nametable after 20 s', () => {
    const nes = new Nes(readTestRom(ROOT!, 'cpu_timing_test6', 'cpu_timing_test.nes'));
    nes.stepFrames(new Uint8Array(20 * 60), { render: false });
    const text = nametableText(nes);
    nes.close();
    expect(text, text.join('\n')).toContain('PASSED');
    expect(text.join('\n')).not.toMatch(/FAIL|ERROR|WRONG/);
  });

  knownFailure('cpu_timing_test6', 'screen')("and the rendered screen matches jsnes's (which shows PASSED)", () => {
    const rom = readTestRom(ROOT!, 'cpu_timing_test6', 'cpu_timing_test.nes');
    const frames = 20 * 60;
    const oracle = new JsnesOracle(rom);
    for (let f = 0; f < frames; f++) oracle.stepFrame(0);
    const expected = layoutMask(oracle.lastFrame);
    expect(expected.reduce((s, v) => s + v, 0)).toBeGreaterThan(500); // three lines of text

    const nes = new Nes(rom);
    nes.stepFrames(new Uint8Array(frames));
    const got = layoutMask(nes.frame);
    nes.close();
    let differing = 0;
    for (let i = 0; i < got.length; i++) differing += got[i] !== expected[i] ? 1 : 0;
    expect(differing, 'pixels whose text mask differs from jsnes').toBe(0);
  });
});
