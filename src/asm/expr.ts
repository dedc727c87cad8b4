/**
 * Expressions: numbers, symbols, `*` (the current address), parentheses, unary `-` `~` `<` (low
 * byte) `>` (high byte), and binary `* / % + - << >> & ^ |` and comparisons `== != < > <= >=`
 * (1 or 0) with C-like precedence.
 */
import { LineError } from './errors.js';
import type { Token } from './lexer.js';

/** A parsed expression. */
export type Expr =
  | { kind: 'num'; value: number }
  | { kind: 'sym'; name: string }
  | { kind: 'pc' }
  | { kind: 'unary'; op: string; arg: Expr }
  | { kind: 'binary'; op: string; left: Expr; right: Expr };

const LEVELS: string[][] = [['==', '!=', '<', '>', '<=', '>='], ['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

/** Parses tokens[start..] as an expression; returns it and the index after it. */
export function parseExpr(tokens: Token[], start: number): { expr: Expr; next: number } {
  let pos = start;
  const peek = (): Token | undefined => tokens[pos];
  const describe = (t: Token | undefined): string => (t ? `'${t.text}'` : 'end of line');

  function primary(): Expr {
    const t = peek();
    if (!t) throw new LineError('expected an expression but found end of line');
    if (t.kind === 'number') {
      pos++;
      return { kind: 'num', value: t.value };
    }
    if (t.kind === 'ident' && !t.text.startsWith('.')) {
      pos++;
      return { kind: 'sym', name: t.text };
    }
    if (t.kind === 'punct') {
      if (t.text === '*') {
        pos++;
        return { kind: 'pc' };
      }
      if (t.text === '(' || t.text === '[') {
        const close = t.text === '(' ? ')' : ']';
        pos++;
        const inner = binary(0);
        if (peek()?.text !== close) throw new LineError(`expected '${close}' but found ${describe(peek())}`);
        pos++;
        return inner;
      }
      if (t.text === '-' || t.text === '~' || t.text === '<' || t.text === '>' || t.text === '+') {
        pos++;
        return { kind: 'unary', op: t.text, arg: primary() };
      }
    }
    throw new LineError(`expected a number, symbol or '(' but found ${describe(t)}`);
  }

  function binary(level: number): Expr {
    if (level === LEVELS.length) return primary();
    let left = binary(level + 1);
    for (;;) {
      const t = peek();
      if (!t || t.kind !== 'punct' || !LEVELS[level]!.includes(t.text)) return left;
      pos++;
      left = { kind: 'binary', op: t.text, left, right: binary(level + 1) };
    }
  }

  const expr = binary(0);
  return { expr, next: pos };
}

/** Resolves a symbol to its value, or undefined while it is not yet defined (first pass). */
export type SymbolLookup = (name: string) => number | undefined;

/** Evaluates `expr`; undefined if it uses a symbol not yet defined. */
export function evaluate(expr: Expr, lookup: SymbolLookup, pc: number): number | undefined {
  switch (expr.kind) {
    case 'num':
      return expr.value;
    case 'pc':
      return pc;
    case 'sym':
      return lookup(expr.name);
    case 'unary': {
      const v = evaluate(expr.arg, lookup, pc);
      if (v === undefined) return undefined;
      if (expr.op === '-') return -v;
      if (expr.op === '+') return v;
      if (expr.op === '~') return ~v;
      if (expr.op === '<') return v & 0xff;
      return (v >> 8) & 0xff;
    }
    case 'binary': {
      const a = evaluate(expr.left, lookup, pc);
      const b = evaluate(expr.right, lookup, pc);
      if (a === undefined || b === undefined) return undefined;
      switch (expr.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
        case '%':
          if (b === 0) throw new LineError('division by zero in expression');
          return expr.op === '/' ? Math.trunc(a / b) : a % b;
        case '<<':
          return a << b;
        case '>>':
          return a >> b;
        case '&':
          return a & b;
        case '==':
          return a === b ? 1 : 0;
        case '!=':
          return a !== b ? 1 : 0;
        case '<':
          return a < b ? 1 : 0;
        case '>':
          return a > b ? 1 : 0;
        case '<=':
          return a <= b ? 1 : 0;
        case '>=':
          return a >= b ? 1 : 0;
        case '^':
          return a ^ b;
        default:
          return a | b;
      }
    }
  }
}

/** Source-like text of an expression, for messages (`branch target 'loop' ...`). */
export function exprText(expr: Expr, nested = false): string {
  switch (expr.kind) {
    case 'num':
      return String(expr.value);
    case 'pc':
      return '*';
    case 'sym':
      return expr.name;
    case 'unary':
      return `${expr.op}${exprText(expr.arg, true)}`;
    case 'binary': {
      const text = `${exprText(expr.left, true)} ${expr.op} ${exprText(expr.right, true)}`;
      return nested ? `(${text})` : text;
    }
  }
}
