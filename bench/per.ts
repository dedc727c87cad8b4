/**
 * `npm run bench:per`: prioritized-replay tree speed, single thread.
 *
 * For capacities 2^16, 2^20, 2^24 and batches 256 and 4096, prints ns per sampled index, per
 * updated index (random indices) and per push (consecutive indices, as a ring buffer writes them)
 * for PriorityTree and three baselines measured in the same run:
 *   (a) ts-cumsum:  proportional sampling over all N, cumsum + binary search per batch, in TS;
 *   (b) ts-binary:  a plain binary sum tree in TS (Float64Array heap);
 *   (c) cpp-binary: a plain binary sum tree in C++ (BinarySumTreeBaseline in the test addon,
 *       built by `npm run build:native`).
 * Ratios are baseline time / PriorityTree time; each figure is the fastest of 3 rounds.
 * Env: PER_BENCH_CAPACITIES=16,20 to restrict the capacities.
 */
import { cudaAvailability, CudaPrioritySampler } from '../src/replay/cuda-sampler.js';
import { PrioritizedReplay } from '../src/replay/prioritized-replay.js';
import { PriorityTree } from '../src/replay/priority-tree.js';
import { loadTestAddon } from '../tests/native-test-addon.js';

interface Subject {
  name: string;
  set(indices: Int32Array, priorities: Float64Array): void;
  sample(out: Int32Array): void;
}

class CumsumBaseline implements Subject {
  name = 'ts-cumsum (a)';
  readonly #p: Float64Array;
  readonly #cum: Float64Array;
  #seed = 1;
  constructor(capacity: number) {
    this.#p = new Float64Array(capacity);
    this.#cum = new Float64Array(capacity);
  }
  set(indices: Int32Array, priorities: Float64Array): void {
    for (let i = 0; i < indices.length; i++) this.#p[indices[i]] = priorities[i];
  }
  sample(out: Int32Array): void {
    const p = this.#p;
    const cum = this.#cum;
    let acc = 0;
    for (let i = 0; i < p.length; i++) cum[i] = acc += p[i];
    const n = out.length;
    for (let s = 0; s < n; s++) {
      const x = ((s + this.#uniform()) * acc) / n;
      let lo = 0;
      let hi = cum.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cum[mid] > x) hi = mid;
        else lo = mid + 1;
      }
      out[s] = lo;
    }
  }
  #uniform(): number {
    this.#seed = (Math.imul(this.#seed, 1664525) + 1013904223) >>> 0;
    return this.#seed / 4294967296;
  }
}

class BinaryTreeBaseline implements Subject {
  name = 'ts-binary (b)';
  readonly #leaves: number;
  readonly #nodes: Float64Array;
  #seed = 1;
  constructor(capacity: number) {
    let leaves = 1;
    while (leaves < capacity) leaves *= 2;
    this.#leaves = leaves;
    this.#nodes = new Float64Array(2 * leaves);
  }
  set(indices: Int32Array, priorities: Float64Array): void {
    const nodes = this.#nodes;
    for (let i = 0; i < indices.length; i++) {
      let node = this.#leaves + indices[i];
      nodes[node] = priorities[i];
      for (node >>>= 1; node >= 1; node >>>= 1) nodes[node] = nodes[2 * node] + nodes[2 * node + 1];
    }
  }
  sample(out: Int32Array): void {
    const nodes = this.#nodes;
    const n = out.length;
    const total = nodes[1];
    for (let s = 0; s < n; s++) {
      this.#seed = (Math.imul(this.#seed, 1664525) + 1013904223) >>> 0;
      let x = ((s + this.#seed / 4294967296) * total) / n;
      let node = 1;
      while (node < this.#leaves) {
        const left = nodes[2 * node];
        if (x < left) node = 2 * node;
        else {
          x -= left;
          node = 2 * node + 1;
        }
      }
      out[s] = node - this.#leaves;
    }
  }
}

const cuda = cudaAvailability();

function subjects(capacity: number, batch: number): Subject[] {
  const cpp = new (loadTestAddon().BinarySumTreeBaseline)(capacity);
  const ours = new PriorityTree(capacity);
  const list: Subject[] = [
    { name: 'PriorityTree', set: (i, p) => ours.set(i, p), sample: (out) => ours.raw.sample(out, -1) },
    { name: 'cpp-binary (c)', set: (i, p) => cpp.set(i, p), sample: (out) => cpp.sample(out, -1) },
    new BinaryTreeBaseline(capacity),
    new CumsumBaseline(capacity),
  ];
  if (cuda.available) {
    // GPU mirror: sampling includes uniforms upload, launch, IS weights and copy back; updates
    // include the host-side dedup, upload and the recompute kernel. The CPU tree is kept in step.
    const gpuTree = new PriorityTree(capacity);
    let gpu: CudaPrioritySampler | undefined;
    const weights = new Float32Array(batch);
    list.push({
      name: 'cuda',
      set: (i, p) => {
        gpuTree.set(i, p);
        if (gpu) gpu.set(i, p);
        else if (i.length === Math.min(1 << 16, capacity) && i[0] + i.length >= capacity) gpu = new CudaPrioritySampler(gpuTree);
      },
      sample: (out) => gpu!.sample(out, weights, 0.4),
    });
  }
  return list;
}

/**
 * Runs fn (after one warm-up call) in 3 rounds of at least minMs / 2 each and returns the fastest
 * round's ns per item: on a shared machine the fastest round is the least disturbed one.
 */
function time(fn: (rep: number) => void, itemsPerCall: number, minMs: number): number {
  fn(0);
  let best = Infinity;
  let rep = 1;
  for (let round = 0; round < 3; round++) {
    let reps = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < (minMs / 2) * 1e6) {
      fn(rep++);
      reps++;
      elapsed = Number(process.hrtime.bigint() - start);
    }
    best = Math.min(best, elapsed / (reps * itemsPerCall));
  }
  return best;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const capacityLog2s = (process.env.PER_BENCH_CAPACITIES ?? '16,20,24').split(',').map(Number);
const batches = [256, 4096];
const rows: string[][] = [];
const header = ['capacity', 'batch', 'method', 'sample ns/idx', 'update ns/idx', 'push ns/idx', 'sample ×', 'update ×', 'push ×'];

for (const log2 of capacityLog2s) {
  const capacity = 2 ** log2;
  const r = lcg(log2);
  // Shared inputs: full initial priorities, and pools of random update batches.
  const all = Int32Array.from({ length: capacity }, (_, i) => i);
  const initial = Float64Array.from({ length: capacity }, () => 0.01 + r());
  for (const batch of batches) {
    const pool = 32;
    const updIdx = Array.from({ length: pool }, () => Int32Array.from({ length: batch }, () => Math.floor(r() * capacity)));
    const updP = Array.from({ length: pool }, () => Float64Array.from({ length: batch }, () => 0.01 + r()));
    const pushIdx = Array.from({ length: pool }, (_, k) => Int32Array.from({ length: batch }, (_, i) => (k * batch + i) % capacity));
    const out = new Int32Array(batch);
    let oursRow: number[] | undefined;
    for (const subject of subjects(capacity, batch)) {
      for (let start = 0; start < capacity; start += 1 << 16) {
        subject.set(all.subarray(start, start + (1 << 16)), initial.subarray(start, start + (1 << 16)));
      }
      const slow = subject.name.startsWith('ts-cumsum');
      const sampleNs = time(() => subject.sample(out), batch, slow ? 150 : 100);
      const updateNs = time((k) => subject.set(updIdx[k % pool], updP[k % pool]), batch, 60);
      // Pushes write consecutive slots with a fresh (max) priority, like a ring buffer.
      let pushCall = 0;
      const pushNs = time(
        () => {
          const k = pushCall++ % pool;
          subject.set(pushIdx[k], updP[k]);
        },
        batch,
        60,
      );
      const nums = [sampleNs, updateNs, pushNs];
      oursRow ??= nums;
      const ratio = (i: number) => (subject.name === 'PriorityTree' || subject.name === 'cuda' ? '1' : (nums[i] / oursRow![i]).toFixed(1));
      rows.push([`2^${log2}`, String(batch), subject.name, ...nums.map((v) => v.toFixed(1)), ratio(0), ratio(1), ratio(2)]);
      process.stderr.write('.');
    }
  }
}
process.stderr.write('\n');

const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(`per bench — ${new Date().toISOString()}, Node ${process.version}, ${process.arch}, one thread`);
console.log('× = baseline time / PriorityTree time (higher means PriorityTree is faster)');
console.log(`CUDA: ${cuda.available ? `${cuda.deviceName} (rows "cuda": ns per index incl. launch and transfers)` : `not measured (${cuda.reason})`}`);
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const row of rows) console.log(line(row));

// End to end: PrioritizedReplay at Atari-like sizes (8 lanes, 84×84 frames, stack 4, 2^16
// transitions), after one full pass over the ring (so first-touch page faults are not counted).
{
  const lanes = 8;
  const replay = new PrioritizedReplay({ capacity: 1 << 16, numEnvs: lanes, frameShape: [84, 84], stack: 4, seed: 1 });
  const r = lcg(99);
  const obs = Uint8Array.from({ length: lanes * 4 * 84 * 84 }, () => Math.floor(r() * 256));
  for (let lane = 0; lane < lanes; lane++) {
    const base = lane * 4 * 84 * 84;
    for (let k = 0; k < 3; k++) obs.copyWithin(base + k * 84 * 84, base + 3 * 84 * 84, base + 4 * 84 * 84);
  }
  replay.begin(obs);
  const step = {
    actions: new Int32Array(lanes),
    rewards: new Float32Array(lanes),
    terminated: new Uint8Array(lanes),
    truncated: new Uint8Array(lanes),
    obs,
  };
  const fill = () => {
    for (let i = 0; i < (1 << 16) / lanes + 16; i++) replay.addBatch(step);
  };
  fill();
  const addUs = time(() => replay.addBatch(step), 1, 200) / 1e3;
  const td = Float32Array.from({ length: 256 }, () => r());
  const sampleUs = time(() => replay.sample(256), 1, 400) / 1e3;
  const batch = replay.sample(256);
  const updateUs = time(() => replay.updatePriorities(batch.indices, td), 1, 200) / 1e3;
  console.log('');
  console.log('PrioritizedReplay, 8 lanes, 84×84 frames, stack 4, capacity 2^16 (µs per call, fastest of 3 rounds):');
  console.log(`| addBatch (8 transitions) | ${addUs.toFixed(1)} |`);
  console.log(`| sample(256) incl. stacking 2×256×4 frames (14.5 MB) | ${sampleUs.toFixed(1)} |`);
  console.log(`| updatePriorities(256) | ${updateUs.toFixed(1)} |`);
}
