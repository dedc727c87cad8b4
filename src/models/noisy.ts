/**
 * NoisyNet linear layers (Fortunato et al. 2018) with factorised Gaussian noise:
 * y = (μ_w + σ_w ⊙ f(ε_out) f(ε_in)ᵀ) x + μ_b + σ_b ⊙ f(ε_out), f(x) = sgn(x)·√|x|, for a layer of
 * p inputs and q outputs. The noise is not an ONNX random op: it is drawn on the host from the
 * seeded `Rng` (`sampleNoise`) and fed as graph inputs `noise.<layer>.in` [p] and
 * `noise.<layer>.out` [q] (already passed through f), so runs are reproducible and resumable. The
 * layer is plain Mul/Add/Gemm, so autodiff gives d/dμ and d/dσ. Zero noise gives the means μ.
 */
import * as op from '../graph/ops.js';
import { type Tensor } from '../graph/tensor.js';
import { type Rng } from '../util/rng.js';

/** σ0 of factorised noise: σ starts at σ0/√p (the paper's value). */
export const NOISY_SIGMA0 = 0.5;

/** One noise vector of a noisy layer: graph input name and length. */
export interface NoiseSpec {
  /** Input name, `noise.<layer>.in` or `noise.<layer>.out`. */
  name: string;
  /** Length: the layer's inputs p or outputs q. */
  size: number;
}

/** The two noise vectors of noisy layer `layer` with `inputs` p and `outputs` q, in draw order. */
export function layerNoiseSpecs(layer: string, inputs: number, outputs: number): NoiseSpec[] {
  return [
    { name: `noise.${layer}.in`, size: inputs },
    { name: `noise.${layer}.out`, size: outputs },
  ];
}

/** Draws one set of factorised noise, f(x) of standard normals, one vector per spec in order. */
export function sampleNoise(specs: readonly NoiseSpec[], rng: Rng): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const s of specs) {
    const v = rng.fillNormal(new Float64Array(s.size));
    out.set(
      s.name,
      Float32Array.from(v, (x) => Math.sign(x) * Math.sqrt(Math.abs(x))),
    );
  }
  return out;
}

/** The parameters of one noisy layer. */
export interface NoisyLinearParams {
  /** μ_w [q, p]. */
  weight: Tensor;
  /** σ_w [q, p]. */
  weightSigma: Tensor;
  /** μ_b [q]. */
  bias: Tensor;
  /** σ_b [q]. */
  biasSigma: Tensor;
}

/** x [B, p] → [B, q] with noise `noiseIn` [p] and `noiseOut` [q] (f already applied), shared by the batch. */
export function noisyLinear(x: Tensor, p: NoisyLinearParams, noiseIn: Tensor, noiseOut: Tensor): Tensor {
  const [q, inputs] = p.weight.shape as [number, number];
  op.expectShape('noisyLinear', 'noiseIn', noiseIn, [inputs]);
  op.expectShape('noisyLinear', 'noiseOut', noiseOut, [q]);
  const epsW = op.mul(op.reshape(noiseOut, [q, 1]), op.reshape(noiseIn, [1, inputs]));
  const w = op.add(p.weight, op.mul(p.weightSigma, epsW));
  const b = op.add(p.bias, op.mul(p.biasSigma, noiseOut));
  return op.gemm(x, w, b, { transB: true });
}
