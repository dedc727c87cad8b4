/**
 * Argument checks shared by every public class. Messages have one shape:
 * `Expected <what> for <name> but received <value>` (TypeError for a wrong type, RangeError for a
 * value out of range). C++ re-checks sizes, but the TS layer is where users get told.
 */

/** Short description of a received value for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return value.length > 40 ? `a string of length ${value.length}` : JSON.stringify(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'function') return 'a function';
  if (ArrayBuffer.isView(value)) {
    const len = 'length' in value ? (value as unknown as { length: number }).length : value.byteLength;
    return `${value.constructor.name}(${len})`;
  }
  if (value instanceof ArrayBuffer) return `ArrayBuffer(${value.byteLength})`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return `an object (${(value as object).constructor?.name ?? 'Object'})`;
}

/** Builds the standard message. */
export function expectedMessage(what: string, name: string, value: unknown): string {
  return `Expected ${what} for ${name} but received ${describe(value)}`;
}

/** Returns value if it is an integer in [min, max]; TypeError if not a number, else RangeError. */
export function expectInteger(value: unknown, name: string, min: number, max: number): number {
  const what = `an integer in [${min}, ${max}]`;
  if (typeof value !== 'number') throw new TypeError(expectedMessage(what, name, value));
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(expectedMessage(what, name, value));
  return value;
}

/** Returns value if it is a finite number in [min, max]. */
export function expectNumber(value: unknown, name: string, min = -Infinity, max = Infinity): number {
  const what = min === -Infinity && max === Infinity ? 'a finite number' : `a finite number in [${min}, ${max}]`;
  if (typeof value !== 'number') throw new TypeError(expectedMessage(what, name, value));
  if (!Number.isFinite(value) || value < min || value > max) throw new RangeError(expectedMessage(what, name, value));
  return value;
}

/** Returns value if it is a boolean. */
export function expectBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(expectedMessage('a boolean', name, value));
  return value;
}

/** Returns value if it is one of `choices`. */
export function expectOneOf<T extends string>(value: unknown, name: string, choices: readonly T[]): T {
  const what = `one of ${choices.map((c) => `'${c}'`).join(', ')}`;
  if (typeof value !== 'string') throw new TypeError(expectedMessage(what, name, value));
  if (!(choices as readonly string[]).includes(value)) throw new RangeError(expectedMessage(what, name, value));
  return value as T;
}

/** Returns value if it is a plain object (or undefined -> {}), for options bags. */
export function expectOptions<T extends object>(value: unknown, name: string): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw new TypeError(expectedMessage('an options object', name, value));
  }
  return value as Partial<T>;
}

/** Throws TypeError naming any key of `options` that is not in `known` (catches typos). */
export function rejectUnknownKeys(options: object, name: string, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(`Unknown option '${key}' for ${name}; known options are ${known.join(', ')}`);
    }
  }
}

type TypedArrayCtor<T> = { new (length: number): T; name: string };

/**
 * Returns value if it is an instance of `ctor` and, when `length` is given, has that length.
 * Wrong type -> TypeError, wrong length -> RangeError.
 */
export function expectTypedArray<T extends ArrayBufferView & { length: number }>(value: unknown, name: string, ctor: TypedArrayCtor<T>, length?: number): T {
  if (!(value instanceof (ctor as unknown as abstract new (...args: never[]) => unknown))) {
    throw new TypeError(expectedMessage(`a ${ctor.name}${length === undefined ? '' : ` of length ${length}`}`, name, value));
  }
  const arr = value as T;
  if (length !== undefined && arr.length !== length) {
    throw new RangeError(expectedMessage(`a ${ctor.name} of length ${length}`, name, value));
  }
  return arr;
}
