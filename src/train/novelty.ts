/**
 * Count-based exploration bonus (config `explore.*`): every training step adds
 * `explore.bonus / √n` to the lane's reward, where n counts the visits (this one included) of the
 * cell the player is in: the stage, and x and y in `explore.cellPx` squares. Places the agent has
 * rarely been pay more than places it has been to a thousand times, so a policy that has settled
 * on one way through (or into) a trap is paid to try the other heights and roads around it: the
 * jump that clears a taller platform, the lower road past a shelf.
 *
 * The bonus is part of the reward the learner sees (its returns, advantages and values), in the
 * env's reward units before `env.rewardScale`, but not of the episode returns logged and probed
 * (`charts/episodic_return`, evals.jsonl), which stay the env's own. Steps that end an episode get
 * none (a death in a new place is not a discovery). The counts are one table per run, updated in
 * lane order after each step, so the bonus is deterministic whatever the thread count; they travel
 * in checkpoints (section `cb.explore.counts`). Metrics rows carry `explore/bonus_mean` (mean
 * bonus per agent step since the previous row), `explore/cells` (cells visited so far) and
 * `explore/new_cells` (cells first visited since the previous row).
 *
 * `explore.stages` limits the bonus to some stages and scales it per stage ('1-2,1-3:2'): one
 * policy over several stages may need it only where a trap holds it (1-2's shelf, 1-3's trees),
 * and a bonus elsewhere pays for wandering on stages it already clears. Unlisted stages get none
 * and count no visits.
 */
import { type StepResult } from '../env/vec-env.js';
import { type CallbackContext, type TrainerCallback } from './callbacks.js';
import { type TrainerConfig } from './config.js';
import { parseStageList } from './stages.js';

/** Cells per axis a key can hold (x and y are clamped to 0 … CELL_RANGE − 1 cells). */
const CELL_RANGE = 65_536;

/** The count table's key of a cell: stage (world·16 + stage), x cell, y cell. */
export function cellKey(world: number, stage: number, x: number, y: number, cellPx: number): number {
  const clamp = (v: number) => Math.min(CELL_RANGE - 1, Math.max(0, Math.floor(v / cellPx)));
  return ((world & 0xff) * 16 + (stage & 0xf)) * CELL_RANGE * CELL_RANGE + clamp(x) * CELL_RANGE + clamp(y);
}

/** Encodes a count table as [key, count] float64 pairs, in the table's (insertion) order. */
export function encodeCounts(counts: ReadonlyMap<number, number>): Uint8Array {
  const out = new Float64Array(counts.size * 2);
  let i = 0;
  for (const [key, n] of counts) {
    out[i++] = key;
    out[i++] = n;
  }
  return new Uint8Array(out.buffer);
}

/** Decodes {@link encodeCounts}; errors name `what`. */
export function decodeCounts(bytes: Uint8Array, what: string): Map<number, number> {
  if (bytes.byteLength % 16 !== 0) throw new RangeError(`Expected [key, count] float64 pairs for ${what} but received ${bytes.byteLength} bytes`);
  const copy = new Float64Array(bytes.slice().buffer);
  const out = new Map<number, number>();
  for (let i = 0; i < copy.length; i += 2) {
    const key = copy[i]!;
    const n = copy[i + 1]!;
    if (!Number.isSafeInteger(key) || key < 0 || !Number.isSafeInteger(n) || n < 1 || out.has(key)) {
      throw new RangeError(`Expected distinct non-negative integer keys and counts ≥ 1 for ${what} but received key ${key} count ${n} at pair ${i / 2}`);
    }
    out.set(key, n);
  }
  return out;
}

/** The exploration bonus (see the file comment); registered by the Trainer when `explore.bonus` > 0. */
export class ExplorationBonus implements TrainerCallback {
  readonly name = 'explore';
  readonly #bonus: number;
  readonly #cellPx: number;
  /** Bonus factor per stage (world·16 + stage) with `explore.stages`; undefined = every stage at 1. */
  readonly #factors: Map<number, number> | undefined;
  #counts = new Map<number, number>();
  #bonusSum = 0;
  #steps = 0;
  #newCells = 0;

  constructor(config: TrainerConfig) {
    this.#bonus = config.explore.bonus;
    this.#cellPx = config.explore.cellPx;
    if (config.explore.stages !== '') {
      const list = parseStageList(config.explore.stages, config.env.game, 'explore.stages');
      this.#factors = new Map(
        list.names.map((name, i) => {
          const [w, s] = name.split('-').map(Number) as [number, number];
          return [w * 16 + s, list.weights[i]!];
        }),
      );
    }
  }

  /** Cells visited so far. */
  get cells(): number {
    return this.#counts.size;
  }

  /** Visits of the cell at (world, stage, x, y) so far. */
  visits(world: number, stage: number, x: number, y: number): number {
    return this.#counts.get(cellKey(world, stage, x, y, this.#cellPx)) ?? 0;
  }

  onStep(_ctx: CallbackContext, r: StepResult): void {
    const { xPos, yPos, world, stage } = r.info;
    if (!xPos || !yPos || !stage) throw new Error('explore.bonus needs the env infos xPos, yPos and stage, which this game does not report');
    const N = r.reward.length;
    for (let lane = 0; lane < N; lane++) {
      this.#steps++;
      if (r.terminated[lane] || r.truncated[lane]) continue;
      const w = world?.[lane] ?? 1;
      const factor = this.#factors ? (this.#factors.get(w * 16 + stage[lane]!) ?? 0) : 1;
      if (factor === 0) continue;
      const key = cellKey(w, stage[lane]!, xPos[lane]!, yPos[lane]!, this.#cellPx);
      const n = (this.#counts.get(key) ?? 0) + 1;
      if (n === 1) this.#newCells++;
      this.#counts.set(key, n);
      const bonus = (factor * this.#bonus) / Math.sqrt(n);
      r.reward[lane] = r.reward[lane]! + bonus;
      this.#bonusSum += bonus;
    }
  }

  onRolloutEnd(ctx: CallbackContext): void {
    ctx.record('explore/bonus_mean', this.#steps > 0 ? this.#bonusSum / this.#steps : 0);
    ctx.record('explore/cells', this.#counts.size);
    ctx.record('explore/new_cells', this.#newCells);
    this.#bonusSum = 0;
    this.#steps = 0;
    this.#newCells = 0;
  }

  sections(): Record<string, Uint8Array> {
    return { counts: encodeCounts(this.#counts) };
  }

  restoreSections(sections: Record<string, Uint8Array>): void {
    this.#counts = sections.counts ? decodeCounts(sections.counts, 'the checkpoint section cb.explore.counts') : new Map();
  }
}
