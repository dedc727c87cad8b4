/**
 * Seeded parameter initialisation: orthogonal weights (Saxe et al.), as PPO/A2C implementations
 * use, computed in float64 by modified Gram–Schmidt on a Gaussian matrix.
 */
import { type Rng } from '../util/rng.js';

/**
 * An orthogonal [rows, cols] matrix (rows orthonormal if rows ≤ cols, else columns) times `gain`,
 * row-major as float32. Convolution weights pass rows = out channels, cols = in·kh·kw.
 */
export function orthogonal(rng: Rng, rows: number, cols: number, gain: number): Float32Array {
  const n = Math.min(rows, cols);
  const len = Math.max(rows, cols);
  // n vectors of length len, orthonormalised, then laid out as rows (rows ≤ cols) or columns.
  // One fill per matrix: every model weight has an even element count, so the Box–Muller pairs
  // never straddle two matrices.
  const gauss = rng.fillNormal(new Float64Array(n * len));
  const vecs: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const v = gauss.subarray(i * len, (i + 1) * len);
    for (let pass = 0; pass < 2; pass++) {
      for (const u of vecs) {
        let dot = 0;
        for (let k = 0; k < len; k++) dot += u[k]! * v[k]!;
        for (let k = 0; k < len; k++) v[k]! -= dot * u[k]!;
      }
    }
    let norm = 0;
    for (let k = 0; k < len; k++) norm += v[k]! * v[k]!;
    norm = Math.sqrt(norm);
    for (let k = 0; k < len; k++) v[k]! /= norm;
    vecs.push(v);
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (rows <= cols ? vecs[r]![c]! : vecs[c]![r]!);
  }
  return out;
}
