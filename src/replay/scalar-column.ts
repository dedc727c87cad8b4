/**
 * `ScalarColumn`: one real number per replay slot, stored as float32 or as IEEE half-precision bits
 * (the replay's `scalarDtype` option): the one place that switches on the dtype.
 *
 * Ownership: owned by one TransitionStore and used on its thread only.
 */
import { fromFloat16Bits, toFloat16Bits } from './float16.js';

export type ScalarDtype = 'float32' | 'float16';

export class ScalarColumn {
  readonly dtype: ScalarDtype;
  readonly #f32: Float32Array | undefined; // [length], when dtype is float32
  readonly #f16: Uint16Array | undefined; // [length] half-precision bits, when dtype is float16

  constructor(length: number, dtype: ScalarDtype) {
    this.dtype = dtype;
    if (dtype === 'float16') this.#f16 = new Uint16Array(length);
    else this.#f32 = new Float32Array(length);
  }

  /** Stores x rounded to the column's precision (float16 rounds through float32 first). */
  set(i: number, x: number): void {
    if (this.#f16) this.#f16[i] = toFloat16Bits(x);
    else this.#f32![i] = x;
  }

  /** The stored value, exactly (every half is a float32). */
  get(i: number): number {
    return this.#f16 ? fromFloat16Bits(this.#f16[i]) : this.#f32![i];
  }

  /** The raw storage: Float32Array or Uint16Array (half bits) [length]. */
  get data(): Float32Array | Uint16Array {
    return this.#f16 ?? this.#f32!;
  }
}

/** x rounded to the precision of `dtype` (what a ScalarColumn of that dtype would return). */
export function roundToDtype(x: number, dtype: ScalarDtype): number {
  return dtype === 'float16' ? fromFloat16Bits(toFloat16Bits(x)) : Math.fround(x);
}
