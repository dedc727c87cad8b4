/**
 * CRC-32C throughput, the cost of checking checkpoint sections and TensorBoard records.
 * Baseline in the same run: a byte-at-a-time table CRC (the textbook loop).
 * Run: npx tsx bench/crc32c.ts [MiB]
 */
import { crc32c } from '../src/util/crc32c.js';

const mib = Number(process.argv[2] ?? 64);
const data = new Uint8Array(mib * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24);

const table = new Uint32Array(256).map((_, i) => {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  return c >>> 0;
});
function byteAtATime(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = table[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function best(fn: (b: Uint8Array) => number): { ms: number; crc: number } {
  fn(data.subarray(0, 1 << 20)); // warm up
  let ms = Infinity;
  let crc = 0;
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    crc = fn(data);
    ms = Math.min(ms, performance.now() - t);
  }
  return { ms, crc };
}

const ours = best(crc32c);
const base = best(byteAtATime);
if (ours.crc !== base.crc) throw new Error('CRC mismatch');
const rate = (ms: number) => (mib / (ms / 1000)).toFixed(0);
console.log(
  `crc32c ${mib} MiB: slicing-by-8 ${ours.ms.toFixed(0)} ms (${rate(ours.ms)} MiB/s), byte-at-a-time ${base.ms.toFixed(0)} ms (${rate(base.ms)} MiB/s), ratio ${(base.ms / ours.ms).toFixed(2)}x`,
);
