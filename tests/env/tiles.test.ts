/**
 * Tile-grid observations (obs kind 'tiles', docs/env.md "Tile grids"): shape, classes, stacking,
 * final observations and determinism on the built-in game (no ROM needed), every step compared
 * with a TS reference computed from a twin env's RAM; the SMB1 classes on synthetic RAM; and, with
 * MARIO_ROM, 1-1 on the real game.
 */
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { TILE_CLASSES, VecEnv, type StepResult, type VecEnvOptions } from '../../src/index.js';
import { expand, STAGE1_CLEAR } from '../games/runner-scripts.js';
import { TileGrid } from '../../src/env/js/game.js';
import { writeSmb1Tiles } from '../../src/env/js/smb1.js';
import { loadTestAddon } from '../native-test-addon.js';
import { RefFrameStack, refRunnerTiles, refSmb1Tiles } from './reference.js';
import { Rng } from './rng.js';
import { ENV_BACKENDS } from './backends.js';
import { stepDigest } from './step-digest.js';

const [EMPTY, SOLID, ENEMY, PLAYER, ITEM] = [0, 1, 2, 3, 4];
const RAM = 2048;

/** A grid as text, one row per line: . empty, # solid, e enemy, P player, * item. */
function picture(grid: Uint8Array, cols: number): string[] {
  const rows: string[] = [];
  for (let r = 0; r < grid.length / cols; r++) rows.push(Array.from(grid.subarray(r * cols, (r + 1) * cols), (v) => '.#eP*'[v] ?? '?').join(''));
  return rows;
}

/**
 * Steps a tiles env and an obs:'ram' twin with the same options and actions; after every step
 * checks each lane's obs and (for finished lanes) finalObs against the reference grids of the
 * twin's RAM, stacked like pixels. Returns the digests and the grids seen.
 */
async function compareWithReference(
  options: Partial<VecEnvOptions>,
  tiles: (ram: Uint8Array, rows: number, cols: number) => Uint8Array,
  actionsAt: (t: number, lane: number, numActions: number) => number,
  steps: number,
  useAsync = false,
): Promise<{ digests: string[]; finished: number; classes: Set<number>; lastGrids: Uint8Array[] }> {
  const rows = (options.obs as { rows?: number }).rows ?? 13;
  const cols = (options.obs as { cols?: number }).cols ?? 16;
  const stack = (options.obs as { frameStack?: number }).frameStack ?? 4;
  const base = { game: 'runner', numEnvs: 3, seed: 5, ...options } as VecEnvOptions;
  const env = new VecEnv(base);
  const twin = new VecEnv({ ...base, obs: 'ram', numThreads: 1 });
  const n = env.numEnvs;
  const grid = rows * cols;
  const digests: string[] = [];
  const classes = new Set<number>();
  let finished = 0;
  try {
    expect(env.obsShape).toEqual([n, stack, rows, cols]);
    let r: StepResult | { obs: Uint8Array } = env.reset({ seed: 2 });
    let ram: StepResult | { obs: Uint8Array } = twin.reset({ seed: 2 });
    const stacks = Array.from({ length: n }, () => new RefFrameStack(stack));
    const check = (obs: Uint8Array, expected: Uint8Array, what: string) => {
      if (!Buffer.from(obs).equals(Buffer.from(expected))) {
        expect(picture(obs.subarray((stack - 1) * grid), cols), what).toEqual(picture(expected.subarray((stack - 1) * grid), cols));
        expect(obs, what).toEqual(expected);
      }
    };
    for (let i = 0; i < n; i++) {
      const expected = stacks[i]!.push(tiles(ram.obs.subarray(i * RAM, (i + 1) * RAM), rows, cols));
      check(r.obs.subarray(i * stack * grid, (i + 1) * stack * grid), expected, `lane ${i} after reset`);
    }
    const actions = new Int32Array(n);
    for (let t = 0; t < steps; t++) {
      for (let i = 0; i < n; i++) actions[i] = actionsAt(t, i, env.numActions);
      const s = useAsync ? await env.stepAsync(actions) : env.step(actions);
      const q = twin.step(actions);
      r = s;
      ram = q;
      for (let i = 0; i < n; i++) {
        const lane = (a: Uint8Array) => a.subarray(i * stack * grid, (i + 1) * stack * grid);
        if (s.terminated[i] || s.truncated[i]) {
          finished++;
          expect(q.terminated[i] | q.truncated[i], 'the twin finishes on the same step').toBe(1);
          const final = stacks[i]!.push(tiles(q.finalObs.subarray(i * RAM, (i + 1) * RAM), rows, cols));
          check(lane(s.finalObs), final, `lane ${i} finalObs at step ${t}`);
          stacks[i] = new RefFrameStack(stack); // the new episode's first grid fills the stack
        }
        check(lane(s.obs), stacks[i]!.push(tiles(q.obs.subarray(i * RAM, (i + 1) * RAM), rows, cols)), `lane ${i} at step ${t}`);
        for (const v of lane(s.obs)) classes.add(v);
      }
      digests.push(stepDigest(s, n));
    }
    const lastGrids = Array.from({ length: n }, (_, i) => r.obs.slice((i * stack + stack - 1) * grid, (i + 1) * stack * grid));
    return { digests, finished, classes, lastGrids };
  } finally {
    env.close();
    twin.close();
  }
}

const random = (seed: number) => {
  const rng = new Rng(seed);
  return (_t: number, _lane: number, numActions: number) => rng.below(numActions);
};

describe.each(ENV_BACKENDS)('tile grids on the %s backend', (backend) => {
  describe('tile grids: options and shape', () => {
    it('TILE_CLASSES names ids 0..4', () => {
      expect(TILE_CLASSES).toEqual(['empty', 'solid', 'enemy', 'player', 'item']);
    });

    it("obs: 'tiles' is 13 x 16 with 4 frames; rows, cols and frameStack change the shape", () => {
      const a = new VecEnv({ backend, game: 'runner', numEnvs: 2, obs: 'tiles' });
      expect(a.obsShape).toEqual([2, 4, 13, 16]);
      expect(a.reset().obs.length).toBe(2 * 4 * 13 * 16);
      a.close();
      const b = new VecEnv({ backend, game: 'runner', numEnvs: 1, obs: { kind: 'tiles', rows: 5, cols: 40, frameStack: 2 } });
      expect(b.obsShape).toEqual([1, 2, 5, 40]);
      b.reset();
      expect(b.step(new Int32Array(1)).obs.length).toBe(2 * 5 * 40);
      b.close();
    });

    it('shows stage 1 of the built-in game at its start: ground, pit, bricks, player', () => {
      const e = new VecEnv({ backend, game: 'runner', numEnvs: 1, stages: ['1'], obs: { kind: 'tiles', frameStack: 1 } });
      expect(picture(e.reset().obs, 16)).toEqual([
        '................',
        '................',
        '................',
        '................',
        '................',
        '................',
        '................',
        '.....##.........', // the bricks overhead (screen row 9)
        '................',
        '................',
        '..P.............', // x = 32, standing (y = 192)
        '#########..#####', // ground two blocks high, the first pit at columns 9-10
        '#########..#####',
      ]);
      e.close();
    });
  });

  describe('tile grids on the built-in game', () => {
    it('match the reference from RAM on every step, autoresets and final observations included', async () => {
      const run = await compareWithReference(
        {
          backend,
          numEnvs: 4,
          numThreads: 2,
          actions: 'simple',
          stickyActionProb: 0.1,
          noopMax: 5,
          maxEpisodeSteps: 60,
          obs: { kind: 'tiles', frameStack: 3 },
        },
        refRunnerTiles,
        random(3),
        backend === 'native' ? 200 : 130, // jsnes is tens of times slower; 130 steps still end every lane's episode twice
      );
      expect(run.finished, 'the run crosses autoresets').toBeGreaterThan(4);
      for (const cls of [EMPTY, SOLID, ENEMY, PLAYER]) expect(run.classes.has(cls), TILE_CLASSES[cls]).toBe(true);
    });

    it('show the flag pole as an item and end with the flag in finalObs (scripted clear of stage 1)', async () => {
      const script = expand(STAGE1_CLEAR);
      // One agent step per frame, action = joypad byte; wide grid so the pole shows early.
      const run = await compareWithReference(
        { backend, numEnvs: 1, numThreads: 1, stages: ['1'], actions: 'full', frameSkip: 1, obs: { kind: 'tiles', cols: 20, rows: 14, frameStack: 2 } },
        refRunnerTiles,
        (t) => script[t] ?? 0,
        script.length,
      );
      expect(run.finished).toBe(1);
      for (const cls of [EMPTY, SOLID, ENEMY, PLAYER, ITEM]) expect(run.classes.has(cls), TILE_CLASSES[cls]).toBe(true);
    });

    it('stack the last frameStack steps oldest first; a reset fills the stack with its first grid', () => {
      const e = new VecEnv({
        backend,
        game: 'runner',
        numEnvs: 1,
        numThreads: 1,
        stages: ['1'],
        actions: 'simple',
        maxEpisodeSteps: 8,
        obs: { kind: 'tiles', frameStack: 3 },
      });
      const g = 13 * 16;
      const newest = (obs: Uint8Array) => obs.slice(2 * g, 3 * g);
      const first = newest(e.reset().obs);
      expect(e.reset().obs).toEqual(new Uint8Array([...first, ...first, ...first]));
      const seen = [first, first, first];
      for (let t = 1; t <= 8; t++) {
        const r = e.step(new Int32Array([3])); // RIGHT+B
        if (t < 8) {
          seen.push(newest(r.obs));
          expect(r.obs).toEqual(new Uint8Array([...seen.at(-3)!, ...seen.at(-2)!, ...seen.at(-1)!]));
        } else {
          expect(r.truncated[0]).toBe(1);
          expect(r.finalObs.slice(0, 2 * g)).toEqual(new Uint8Array([...seen.at(-2)!, ...seen.at(-1)!]));
          expect(r.obs).toEqual(new Uint8Array([...first, ...first, ...first]));
        }
      }
      expect(new Set(seen.map((g) => g.join())).size, 'the player crossed cells').toBeGreaterThanOrEqual(3);
      e.close();
    });
  });
});

// Native-only: thread counts and stepAsync on native threads (jsnes steps on the calling thread).
describe('tile grids on the built-in game: threads', () => {
  it('are byte-identical across numThreads 1 and 2 and between step and stepAsync', async () => {
    const options = { numEnvs: 5, actions: 'simple', stickyActionProb: 0.2, noopMax: 6, maxEpisodeSteps: 35, obs: { kind: 'tiles' } } as const;
    const reference = await compareWithReference({ ...options, numThreads: 1 }, refRunnerTiles, random(8), 90);
    expect(reference.finished).toBeGreaterThan(5);
    for (const [numThreads, useAsync] of [
      [2, false],
      [2, true],
      [1, true],
    ] as const) {
      const run = await compareWithReference({ ...options, numThreads }, refRunnerTiles, random(8), 90, useAsync);
      expect(run.digests, `numThreads ${numThreads}, ${useAsync ? 'stepAsync' : 'step'}`).toEqual(reference.digests);
    }
  });
});

describe('SMB1 tile classes on synthetic RAM', () => {
  const grid = (ram: Uint8Array, rows = 13, cols = 16) => loadTestAddon().envTileGrid('smb1', ram, rows, cols);
  /** Screen left edge at level x 0x123 (column 18), the area parser at column 42. */
  function ram(): Uint8Array {
    const m = new Uint8Array(RAM);
    m[0x071a] = 0x01;
    m[0x071c] = 0x23;
    m[0x0725] = 2;
    m[0x0726] = 10;
    const put = (row: number, col: number, v: number) => (m[0x0500 + (Math.floor(col / 16) % 2) * 0xd0 + row * 16 + (col % 16)] = v);
    for (let col = 10; col < 42; col++) {
      put(11, col, 0x54); // ground
      put(12, col, 0x54);
    }
    put(7, 20, 0xc0); // '?' (coin)
    put(7, 21, 0x51); // brick
    put(7, 22, 0xc1); // '?' (power-up)
    put(7, 23, 0x5f); // hidden block: invisible
    put(7, 24, 0x58); // brick with coins: looks like a brick
    put(9, 30, 0x12); // pipe: top left, top right, shafts
    put(9, 31, 0x13);
    put(10, 30, 0x14);
    put(10, 31, 0x15);
    put(3, 33, 0x24); // flag pole: ball
    put(4, 33, 0x25); // and shaft
    put(5, 26, 0xc2); // coin
    put(6, 27, 0xc4); // used block
    // Player (x 0x150 -> column 21 - 18 = 3, y 176 -> row 10).
    m[0x006d] = 1; // x page
    m[0x0086] = 0x50; // x pixel
    m[0x00b5] = 1; // y viewport: on the screen
    m[0x00ce] = 176; // y pixel
    // Enemies: goomba (slot 0), platform (slot 1, drawn from its sprites), koopa below the screen
    // (slot 2), a fire bar (slot 3, drawn from its sprites).
    const enemy = (i: number, type: number, x: number, y: number, viewport = 1) => {
      const fields = [
        [0x000f, 1],
        [0x0016, type],
        [0x006e, x >> 8],
        [0x0087, x & 255],
        [0x00b6, viewport],
        [0x00cf, y],
      ];
      for (const [address, value] of fields) m[address! + i] = value!;
    };
    enemy(0, 0x06, 0x123 + 10 * 16, 184);
    enemy(1, 0x24, 0x123 + 6 * 16, 100);
    enemy(2, 0x00, 0x123 + 8 * 16, 40, 2);
    enemy(5, 0x2e, 0x123 + 8 * 16, 150); // the power-up slot: a mushroom under the blocks (row 150 / 16 - 1 = 8)
    enemy(3, 0x1b, 0x123 + 12 * 16, 110); // a fire bar: its pivot's own position is not drawn
    // Sprites in the OAM shadow (y, tile, attributes, x) from each slot's offset at 0x06E5 + slot.
    const sprite = (offset: number, y: number, x: number) => {
      m[0x0200 + offset] = y;
      m[0x0200 + offset + 3] = x;
    };
    m[0x06e5 + 1] = 0x40; // the platform: three sprites at y 100 (row (100 + 4 - 32) / 16 = 4), three off the screen
    for (let k = 0; k < 3; k++) sprite(0x40 + 4 * k, 100, 96 + 8 * k); // centres at level x 391, 399, 407: columns 24, 24, 25
    for (let k = 3; k < 6; k++) sprite(0x40 + 4 * k, 0xf8, 96);
    m[0x06e5 + 3] = 0x80; // the fire bar's six balls on a diagonal
    for (let k = 0; k < 6; k++) sprite(0x80 + 4 * k, 150 - 8 * k, 150 + 8 * k);
    return m;
  }

  it('classifies terrain, items, enemies and the player', () => {
    const m = ram();
    expect(picture(grid(m), 16)).toEqual([
      '................',
      '................',
      '................',
      '...............*', // flag pole ball (column 33)
      '......##.......*', // the platform's visible sprites
      '........*..ee...', // coin; fire-bar balls (rows (150 - 8k + 4 - 32) / 16, level x 445 + 8k)
      '.........#ee....', // used block
      '..*#*.#..ee.....', // ? brick ? hidden-block brick-with-coins
      '........*.......', // the mushroom (x 419: its middle is in level column 26)
      '............##..', // pipe
      '...P......e.##..', // player, goomba (x 451: its middle is in level column 28)
      '################',
      '################',
    ]);
    expect(grid(m)).toEqual(refSmb1Tiles(m, 13, 16));
    const js = new Uint8Array(13 * 16); // the jsnes backend's copy of the rules
    writeSmb1Tiles(m, new TileGrid(js, 13, 16));
    expect(js).toEqual(grid(m));
  });

  it('leaves columns the area parser has not loaded and rows below the field empty; clamps the player', () => {
    const m = ram();
    const wide = grid(m, 16, 32);
    const rows = picture(wide, 32);
    expect(rows[11]).toBe('#'.repeat(24) + '.'.repeat(8)); // level columns 18..41 loaded, 42.. not
    expect(rows.slice(13)).toEqual(['.'.repeat(32), '.'.repeat(32), '.'.repeat(32)]);
    expect(wide).toEqual(refSmb1Tiles(m, 16, 32));
    m[0x00b5] = 2; // the player fell below the screen
    expect(picture(grid(m), 16)[12]).toBe('###P############');
    m[0x00b5] = 1;
    m[0x006d] = 3; // far right of a 4-column grid
    expect(picture(grid(m, 13, 4), 4)[10]).toBe('...P');
  });

  it('rejects sizes out of range naming the option', () => {
    expect(() => grid(ram(), 40, 16)).toThrow(new RangeError('Expected an integer in [1, 32] for obs.rows but received 40'));
    expect(() => grid(ram(), 13, 0)).toThrow(new RangeError('Expected an integer in [1, 64] for obs.cols but received 0'));
  });
});

const ROM_PATH = process.env.MARIO_ROM;
if (!ROM_PATH) console.warn('MARIO_ROM is not set: skipping the SMB1 tile-grid checks on 1-1 (tests/env/tiles.test.ts)');

describe.skipIf(!ROM_PATH)('tile grids on Super Mario Bros. 1-1 (MARIO_ROM)', () => {
  const rom = ROM_PATH ? new Uint8Array(readFileSync(ROM_PATH)) : new Uint8Array(0);
  const RIGHT = 1,
    RIGHT_A = 2; // actions: 'right'
  // Recorded: run, jump over the first goomba, then hit the '?' block holding the mushroom.
  const MUSHROOM = [...new Array<number>(30).fill(RIGHT), ...new Array<number>(8).fill(RIGHT_A), 0, 2, 1, 1, 2, 2, 0, 2, 2, 0, 2, 2, 2];

  it('starts with ground on the bottom rows and the player near the left; the first ? block is an item', () => {
    const e = new VecEnv({ rom, numEnvs: 1, numThreads: 1, stages: ['1-1'], actions: 'right', obs: { kind: 'tiles', frameStack: 1 } });
    const twin = new VecEnv({ rom, numEnvs: 1, numThreads: 1, stages: ['1-1'], actions: 'right', obs: 'ram' });
    const start = picture(e.reset().obs, 16);
    twin.reset();
    expect(start.slice(11)).toEqual(['#'.repeat(16), '#'.repeat(16)]);
    expect(start.slice(0, 10).join('')).toBe('.'.repeat(160)); // sky: the hills and bushes are scenery
    expect(start[10]).toBe('...P............'); // x = 40 (its middle, 48, in column 3), standing
    let sawBlock = false,
      sawGoomba = false;
    for (let t = 0; t < 30 && !(sawBlock && sawGoomba); t++) {
      const rows = picture(e.step(new Int32Array([RIGHT])).obs, 16);
      const ram = twin.step(new Int32Array([RIGHT])).obs;
      const firstCol = Math.floor((ram[0x071a]! * 256 + ram[0x071c]!) / 16);
      if (16 - firstCol < 16) {
        expect(rows[7]![16 - firstCol], `step ${t}: the '?' block of level column 16`).toBe('*');
        sawBlock = true;
      }
      if (rows[10]!.includes('e')) sawGoomba = true;
    }
    expect(sawBlock && sawGoomba).toBe(true);
    e.close();
    twin.close();
  });

  it('matches the reference from RAM on every step, and shows the mushroom as an item', async () => {
    const run = await compareWithReference(
      { rom, game: 'smb1', numEnvs: 2, numThreads: 2, stages: ['1-1'], actions: 'right', maxEpisodeSteps: 80, obs: { kind: 'tiles', cols: 24 } },
      refSmb1Tiles,
      (t, lane) => (lane === 0 ? (MUSHROOM[t] ?? RIGHT) : (t * 7) % 5),
      170,
    );
    expect(run.finished, 'the run crosses autoresets').toBeGreaterThanOrEqual(2);
    for (const cls of [EMPTY, SOLID, ENEMY, PLAYER, ITEM]) expect(run.classes.has(cls), TILE_CLASSES[cls]).toBe(true);
    const e = new VecEnv({ rom, numEnvs: 1, numThreads: 1, stages: ['1-1'], actions: 'right', obs: { kind: 'tiles', frameStack: 1 } });
    e.reset();
    for (const a of MUSHROOM) e.step(new Int32Array([a]));
    // Standing still, the mushroom sits on its used block, slides right and drops to the ground.
    let onBlock = false,
      onGround = false;
    for (let t = 0; t < 40; t++) {
      const rows = picture(e.step(new Int32Array([0])).obs, 16);
      onBlock ||= [...rows[6]!].some((v, c) => v === '*' && rows[7]![c] === '#');
      onGround ||= rows[10]!.includes('*');
    }
    expect({ onBlock, onGround }).toEqual({ onBlock: true, onGround: true });
    e.close();
  });

  it("1-4: shows each ball of a fire bar (drawn from the game's sprites) and matches the reference from RAM", async () => {
    // simple actions: 3 right + B, 4 right + A + B. Running and jumping from the start, Mario passes
    // under the first fire bar (level x 484) about 30 steps in.
    const pattern = [4, 4, 4, 4, 4, 3, 3, 3];
    const run = await compareWithReference(
      { rom, game: 'smb1', numEnvs: 1, numThreads: 1, stages: ['1-4'], actions: 'simple', obs: { kind: 'tiles' } },
      refSmb1Tiles,
      (t) => pattern[t % pattern.length]!,
      32,
    );
    const rows = picture(run.lastGrids[0]!, 16);
    const balls = rows.join('').split('e').length - 1;
    expect(balls, rows.join('\n')).toBeGreaterThanOrEqual(4); // the bar's six balls, less those sharing a cell
  });
});
