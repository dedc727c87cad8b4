/**
 * Field tables: one row per option gives its type, range, default and one-line doc, so defaults,
 * validation, command-line flags and help text come from one place and cannot drift. The loss
 * settings (src/algos) declare theirs here; the Trainer's config (src/train/config-fields.ts)
 * builds its table from the same rows.
 */
import { expectBoolean, expectedMessage, expectInteger, expectNumber, expectOneOf, expectOptions, rejectUnknownKeys } from './validate.js';

/** The kind of value a field holds, with its bounds. */
export type FieldType =
  | { type: 'int'; min: number; max: number }
  | { type: 'number'; min: number; max: number; unset?: string }
  | { type: 'bool' }
  | { type: 'enum'; choices: readonly string[]; aliases?: Readonly<Record<string, string>> }
  | { type: 'string'; nonEmpty?: boolean };

/** A field of an options table: its type, default and doc. */
export type FieldSpec<V = unknown> = FieldType & {
  /** Default value. */
  default: V;
  /** One-line description (help text and docs). */
  doc: string;
};

export const int = (min: number, max: number) => ({ type: 'int' as const, min, max });
export const num = (min: number, max: number) => ({ type: 'number' as const, min, max });
/**
 * A number that may be left unset: null in objects and JSON, the word `unset` (e.g. 'preset') in
 * flags, help and docs; the field's doc says what unset means (e.g. the reward preset's own weight).
 */
export const optionalNum = (min: number, max: number, unset: string) => ({ type: 'number' as const, min, max, unset });
export const bool = { type: 'bool' as const };
/** An enum; `aliases` maps older spellings that are still accepted onto their choice. */
export const oneOf = (choices: readonly string[], aliases?: Record<string, string>) => ({ type: 'enum' as const, choices, ...(aliases ? { aliases } : {}) });

/** Validates one value against its field type; returns it (an enum alias as its choice). */
export function validateFieldValue(field: FieldType, value: unknown, name: string): unknown {
  switch (field.type) {
    case 'int':
      return expectInteger(value, name, field.min, field.max);
    case 'number':
      if (field.unset === undefined) return expectNumber(value, name, field.min, field.max);
      if (value === null || value === field.unset) return null;
      if (typeof value === 'number' && Number.isFinite(value) && value >= field.min && value <= field.max) return value;
      throw new (typeof value === 'number' ? RangeError : TypeError)(
        expectedMessage(`a finite number in [${field.min}, ${field.max}], or null ('${field.unset}')`, name, value),
      );
    case 'bool':
      return expectBoolean(value, name);
    case 'enum': {
      const alias = typeof value === 'string' ? field.aliases?.[value] : undefined;
      return alias ?? expectOneOf(value, name, field.choices);
    }
    case 'string':
      if (typeof value !== 'string') throw new TypeError(expectedMessage(field.nonEmpty ? 'a non-empty string' : 'a string', name, value));
      if (field.nonEmpty && value.trim() === '') throw new RangeError(expectedMessage('a non-empty string', name, value));
      return value;
  }
}

/**
 * Validates an options object against a flat table (`{ clipCoef: {...}, ... }`) and fills the
 * defaults; errors name `prefix.key`. Unknown keys throw.
 */
export function validateFields<T extends object>(table: { readonly [K in keyof T]: FieldSpec<T[K]> }, options: unknown, prefix: string): T {
  const o = expectOptions<T>(options, prefix);
  const keys = Object.keys(table);
  rejectUnknownKeys(o, prefix, keys);
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const field = table[k as keyof T] as FieldSpec;
    const v = (o as Record<string, unknown>)[k];
    out[k] = v === undefined ? field.default : validateFieldValue(field, v, `${prefix}.${k}`);
  }
  return out as T;
}
