/**
 * Writes a picture of a tile grid beside the frame it came from (docs/env.md "Tile grids"):
 *
 *   npm run docs:tile-picture                     built-in game, stage 1 → docs/images/tiles-runner.png
 *   npm run docs:tile-picture -- --rom smb.nes --out /tmp/tiles-smb.png    Super Mario Bros. 1-1
 *
 * The SMB picture is for looking at locally: it shows the game's graphics, so it is never
 * committed (the script refuses to write it under docs/). A one-lane tiles env (one frame per
 * step, actions = joypad bytes) plays a fixed input script while a `Nes` replays the same buttons
 * from the env's start state (the env renders nothing). The picture is the frame drawn right
 * after the grid was read, which shows the state the grid was read from (a frame is drawn from the
 * state the frame before it left), at the first moment that shows what the picture is for: on the
 * built-in game, a screen or more into stage 1, a walker, a pit and blocks above the ground while
 * the player jumps, the screen scrolled part of a cell; on 1-1 a Goomba and a '?' block.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { bytesEqual } from '../src/bytes.js';
import { TILE_PIXELS, tileScreenLeft } from '../src/env/tiles.js';
import { VecEnv } from '../src/env/vec-env.js';
import { loadRunnerRom } from '../src/games/runner.js';
import { Nes } from '../src/nes.js';
import { frameBesideGrid } from '../src/train/tile-picture.js';
import { encodePng } from '../src/util/png.js';

const USAGE = 'usage: tsx scripts/tile-picture.ts [--out FILE.png] [--rom smb.nes --out FILE.png]';
const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { out: { type: 'string' }, rom: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const smb = values.rom !== undefined;
if (smb && values.out === undefined) {
  console.error(`tile-picture: --rom needs --out (the SMB picture is for local viewing, not for docs/images)\n${USAGE}`);
  process.exit(2);
}
const out = resolve(values.out ?? resolve(root, 'docs/images/tiles-runner.png'));
if (smb && !relative(resolve(root, 'docs'), out).startsWith('..')) {
  console.error(`tile-picture: refusing to write a picture of Super Mario Bros. under docs/ (${out}): it must not be committed`);
  process.exit(2);
}
if (!out.endsWith('.png')) {
  console.error(`tile-picture: --out must name a .png file but is '${out}'\n${USAGE}`);
  process.exit(2);
}

const [EMPTY, SOLID, ENEMY, PLAYER, ITEM] = [0, 1, 2, 3, 4];
const [A, B, RIGHT] = [0x01, 0x02, 0x80];
const ROWS = 13;
const COLS = 16;

/** Runs of [frames, joypad byte]. */
type Script = [number, number][];
/** Built-in game, stage 1: run right (B held) and jump over the first pits and walkers (tests/games/runner-scripts.ts STAGE1_CLEAR). */
const RUNNER_SCRIPT: Script = [
  [37, RIGHT | B],
  [30, RIGHT | B | A],
  [34, RIGHT | B],
  [30, RIGHT | B | A],
  [6, RIGHT | B],
  [30, RIGHT | B | A],
  [44, RIGHT | B],
];
/** 1-1: walk right until the first Goomba comes on screen. */
const SMB_SCRIPT: Script = [[600, RIGHT]];

const has = (grid: Uint8Array, cls: number) => grid.includes(cls);
/** A column whose two bottom rows are empty: a pit. */
const hasPit = (grid: Uint8Array) => Array.from({ length: COLS }, (_, c) => c).some((c) => grid[11 * COLS + c] === EMPTY && grid[12 * COLS + c] === EMPTY);
/** The player's row (clamped into the grid, so always found). */
const playerRow = (grid: Uint8Array) => Math.floor(grid.indexOf(PLAYER) / COLS);
/** The first column reaches 5–11 px left of the screen: the columns visibly do not start at x 0. */
const partlyScrolled = (screenLeft: number) => screenLeft % TILE_PIXELS >= 5 && screenLeft % TILE_PIXELS <= 11;

const game = smb ? 'smb1' : 'runner';
const readRom = (path: string): Uint8Array => {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    console.error(`tile-picture: cannot read --rom ${path}: ${(err as Error).message}`);
    process.exit(2);
  }
};
const rom = smb ? readRom(values.rom!) : loadRunnerRom();
const script = smb ? SMB_SCRIPT : RUNNER_SCRIPT;
const wanted = smb
  ? (grid: Uint8Array, screenLeft: number) => has(grid, ENEMY) && has(grid, ITEM) && partlyScrolled(screenLeft)
  : (grid: Uint8Array, screenLeft: number) =>
      screenLeft >= 256 &&
      has(grid, ENEMY) &&
      hasPit(grid) &&
      grid.subarray(0, 10 * COLS).includes(SOLID) &&
      playerRow(grid) < 10 &&
      partlyScrolled(screenLeft);

const env = new VecEnv({
  game,
  ...(smb ? { rom } : {}),
  numEnvs: 1,
  numThreads: 1,
  stages: [smb ? '1-1' : '1'],
  actions: 'full',
  frameSkip: 1,
  obs: { kind: 'tiles', rows: ROWS, cols: COLS, frameStack: 1 },
});
const nes = new Nes(rom);
try {
  env.reset({ seed: 1 });
  nes.loadState(env.saveStates([0])[0]!);
  const action = new Int32Array(1);
  let frame = 0;
  let found = false;
  for (const [frames, buttons] of script) {
    for (let f = 0; f < frames && !found; f++, frame++) {
      action[0] = env.actionButtons.indexOf(buttons);
      const r = env.step(action);
      if (r.terminated[0] || r.truncated[0]) throw new Error(`the episode ended at frame ${frame} before the picture's moment`);
      nes.stepFrame(buttons);
      // An adapter may fast-forward frames the replay did not run (docs/env.md): follow the env.
      const state = env.saveStates([0])[0]!;
      if (!bytesEqual(nes.saveState(), state)) nes.loadState(state);
      const screenLeft = tileScreenLeft(game, nes.ram);
      if (!wanted(r.obs, screenLeft)) continue;
      // A frame is drawn from the state the frame before it left: the next frame shows the grid's state.
      nes.stepFrame(buttons);
      const picture = frameBesideGrid(nes.toRgb(), r.obs, ROWS, COLS, { scrollX: screenLeft % TILE_PIXELS });
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, encodePng(picture.rgb, picture.width, picture.height));
      console.log(
        `wrote ${relative(process.cwd(), out)} (${picture.width}x${picture.height}): ${game} frame ${frame}, screen left edge ${screenLeft} ` +
          `(the first column starts ${screenLeft % TILE_PIXELS} px left of the screen)`,
      );
      found = true;
    }
  }
  if (!found) throw new Error(`no frame of the ${frame}-frame input script shows what the picture is for`);
} finally {
  nes.close();
  env.close();
}
