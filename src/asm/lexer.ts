/**
 * Splits one source line into tokens. Comments start with `;`. Numbers: `$ff` (hex), `%1010`
 * (binary), `255` (decimal), `'A'` (a character). Identifiers may start with `.` (directives) or
 * `@` (labels local to the previous global label).
 */
import { LineError } from './errors.js';

/** A token of one line; `text` is the source spelling. */
export type Token =
  | { kind: 'ident'; text: string }
  | { kind: 'number'; text: string; value: number }
  | { kind: 'string'; text: string; value: string }
  | { kind: 'punct'; text: string };

const PUNCT2 = ['<<', '>>', '==', '!=', '<=', '>='];
const PUNCT1 = '#(),:=+-*/%&|^~<>[]';

/** Tokenizes `line`; throws LineError naming the bad character or literal. */
export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ';') break;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) throw new LineError('unterminated string: expected a closing "');
      const value = line.slice(i + 1, end);
      tokens.push({ kind: 'string', text: line.slice(i, end + 1), value });
      i = end + 1;
      continue;
    }
    if (c === "'") {
      if (line[i + 2] !== "'") throw new LineError("bad character literal: expected one character between quotes, like 'A'");
      tokens.push({ kind: 'number', text: line.slice(i, i + 3), value: line.charCodeAt(i + 1) });
      i += 3;
      continue;
    }
    const binary = c === '%' && /[01]/.test(line[i + 1] ?? '');
    if (c === '$' || binary || (c >= '0' && c <= '9')) {
      const m = /^(\$[0-9A-Za-z_]*|%[0-9A-Za-z_]*|[0-9][0-9A-Za-z_]*)/.exec(line.slice(i))!;
      const text = m[0];
      let value: number;
      if (c === '$') value = /^\$[0-9A-Fa-f]+$/.test(text) ? parseInt(text.slice(1), 16) : NaN;
      else if (c === '%') value = /^%[01]+$/.test(text) ? parseInt(text.slice(1), 2) : NaN;
      else value = /^[0-9]+$/.test(text) ? parseInt(text, 10) : NaN;
      if (Number.isNaN(value)) throw new LineError(`bad number '${text}': expected $hex, %binary or decimal digits`);
      tokens.push({ kind: 'number', text, value });
      i += text.length;
      continue;
    }
    if (/[A-Za-z_.@]/.test(c)) {
      const m = /^[A-Za-z_.@][A-Za-z0-9_.@]*/.exec(line.slice(i))!;
      tokens.push({ kind: 'ident', text: m[0] });
      i += m[0].length;
      continue;
    }
    const two = line.slice(i, i + 2);
    if (PUNCT2.includes(two)) {
      tokens.push({ kind: 'punct', text: two });
      i += 2;
      continue;
    }
    if (PUNCT1.includes(c)) {
      tokens.push({ kind: 'punct', text: c });
      i++;
      continue;
    }
    throw new LineError(`unexpected character '${c}'`);
  }
  return tokens;
}
