/**
 * A two-pass 6502 assembler. Pass 1 sizes every statement and records label addresses (an
 * operand whose value is not known yet is sized as absolute, and keeps that size in pass 2);
 * pass 2 evaluates every expression and emits bytes. Output is a list of segments (plus an
 * iNES header when the source has `.ines`), so the same source always gives the same bytes.
 *
 * Syntax summary (docs/assembler.md has the full reference):
 *   label:  @local:  NAME = expr  ; comment
 *   lda #$10 / lda $10 / lda $10,x / lda $1234,y / lda ($10,x) / lda ($10),y / jmp ($fffc) / asl a
 *   .segment "PRG", $C000, $4000 [, fill]   .org expr   .byte 1, "text"   .word label
 *   .res count [, fill]   .align n [, fill]   .include "file"   .ines prg16k, chr8k, mapper, mirroring
 *   .tile "..1122.." x8   .assert expr, "message"
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { AsmError, LineError, type AsmDiagnostic } from './errors.js';
import { evaluate, exprText, parseExpr, type Expr } from './expr.js';
import { tokenize, type Token } from './lexer.js';
import { MODE_SYNTAX, OPCODES, OPERAND_SIZE, type AddressingMode } from './opcodes.js';
import { inesHeader, type InesOptions } from './ines.js';

/** Options of `assemble`. */
export interface AssembleOptions {
  /** Name of the source in messages, and the folder `.include` paths are relative to. Default `<source>`. */
  file?: string;
  /** Reads an included file by path. Default: node:fs readFileSync as UTF-8. */
  readFile?: (path: string) => string;
}

/** One output segment: `bytes` covers `start .. start + bytes.length - 1` in the CPU/PPU address space. */
export interface SegmentImage {
  name: string;
  start: number;
  bytes: Uint8Array;
}

/** One assembled instruction: where it sits, its bytes and the source line it came from. */
export interface ListingEntry {
  address: number;
  bytes: Uint8Array;
  file: string;
  line: number;
}

/** What `assemble` returns. */
export interface AssembleResult {
  /** The output file: iNES header (if `.ines`) followed by each segment in definition order. */
  bytes: Uint8Array;
  /** Every label and constant; local labels appear as `global@local`. */
  symbols: Map<string, number>;
  segments: SegmentImage[];
  /** Every instruction in address order of assembly (data directives are not listed). */
  listing: ListingEntry[];
}

interface SourceLine {
  file: string;
  line: number;
  tokens: Token[];
}

type Operand =
  | { shape: 'none' }
  | { shape: 'acc' }
  | { shape: 'imm'; expr: Expr }
  | { shape: 'addr'; expr: Expr; index: '' | 'X' | 'Y' }
  | { shape: 'ind'; expr: Expr }
  | { shape: 'indX'; expr: Expr }
  | { shape: 'indY'; expr: Expr };

class Segment {
  pc: number;
  readonly image: Uint8Array;
  low = Infinity;
  high = -Infinity;
  constructor(
    readonly name: string,
    readonly start: number,
    readonly size: number,
    readonly fill: number,
    readonly trimmed: boolean,
  ) {
    this.pc = start;
    this.image = new Uint8Array(size).fill(fill);
  }
}

const MAX_DIAGNOSTICS = 50;
const MAX_INCLUDE_DEPTH = 16;
const BRANCH_MODES: AddressingMode[] = ['relative'];

/** Assembles `source`; throws AsmError listing every problem as `file:line: message`. */
export function assemble(source: string, options: AssembleOptions = {}): AssembleResult {
  return new Assembler(options).run(source);
}

/** Reads and assembles the file at `path` (includes are relative to it). */
export function assembleFile(path: string, options: Omit<AssembleOptions, 'file'> = {}): AssembleResult {
  const read = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  return new Assembler({ ...options, file: path, readFile: read }).run(read(path));
}

class Assembler {
  readonly #file: string;
  readonly #readFile: (path: string) => string;
  readonly #diagnostics: AsmDiagnostic[] = [];
  readonly #symbols = new Map<string, number>();
  readonly #segments = new Map<string, Segment>();
  #segment: Segment | undefined;
  #scope = '';
  #pass: 1 | 2 = 1;
  // Decided in pass 1 for each instruction statement (by line index), kept in pass 2.
  readonly #modes = new Map<number, AddressingMode>();
  #ines: InesOptions | undefined;
  readonly #listing: ListingEntry[] = [];
  #current: SourceLine | undefined;

  constructor(options: AssembleOptions) {
    this.#file = options.file ?? '<source>';
    this.#readFile = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  }

  run(source: string): AssembleResult {
    const lines: SourceLine[] = [];
    this.#expand(source, this.#file, lines, []);
    this.#throwIfErrors();
    for (const pass of [1, 2] as const) {
      this.#pass = pass;
      this.#scope = '';
      this.#segment = undefined;
      for (const seg of this.#segments.values()) seg.pc = seg.start;
      lines.forEach((line, index) => {
        this.#current = line;
        try {
          this.#statement(line.tokens, index);
        } catch (err) {
          if (!(err instanceof LineError)) throw err;
          this.#report(line, err.message);
        }
      });
      this.#throwIfErrors();
    }
    return this.#output();
  }

  #report(line: SourceLine, message: string): void {
    if (this.#diagnostics.length < MAX_DIAGNOSTICS) this.#diagnostics.push({ file: line.file, line: line.line, message });
  }

  #throwIfErrors(): void {
    if (this.#diagnostics.length > 0) throw new AsmError(this.#diagnostics);
  }

  // Tokenizes the source and splices in `.include`d files.
  #expand(source: string, file: string, out: SourceLine[], stack: string[]): void {
    const texts = source.split('\n');
    texts.forEach((text, i) => {
      const line: SourceLine = { file, line: i + 1, tokens: [] };
      try {
        line.tokens = tokenize(text);
      } catch (err) {
        if (!(err instanceof LineError)) throw err;
        this.#report(line, err.message);
        return;
      }
      const first = line.tokens[0];
      if (first?.kind === 'ident' && first.text.toLowerCase() === '.include') {
        const arg = line.tokens[1];
        if (arg?.kind !== 'string' || line.tokens.length !== 2) {
          this.#report(line, '.include expects one file name in double quotes');
          return;
        }
        const path = join(dirname(file), arg.value);
        if (stack.includes(path) || stack.length >= MAX_INCLUDE_DEPTH) {
          this.#report(line, `.include of '${arg.value}' would recurse (include chain: ${[...stack, file].join(' -> ')})`);
          return;
        }
        let text2: string;
        try {
          text2 = this.#readFile(path);
        } catch (err) {
          this.#report(line, `cannot read included file '${path}': ${(err as Error).message.split('\n')[0]}`);
          return;
        }
        this.#expand(text2, path, out, [...stack, file]);
        return;
      }
      out.push(line);
    });
  }

  #qualify(name: string): string {
    return name.startsWith('@') ? `${this.#scope}${name}` : name;
  }

  #lookup = (name: string): number | undefined => this.#symbols.get(this.#qualify(name));

  #pc(): number {
    return this.#segment ? this.#segment.pc : 0;
  }

  // Evaluates; in pass 2 every symbol must be known.
  #eval(expr: Expr): number | undefined {
    const v = evaluate(expr, this.#lookup, this.#pc());
    if (v === undefined && this.#pass === 2) throw new LineError(`unknown symbol in '${exprText(expr)}'${this.#missing(expr)}`);
    return v;
  }

  #missing(expr: Expr): string {
    const names: string[] = [];
    const walk = (e: Expr): void => {
      if (e.kind === 'sym' && this.#lookup(e.name) === undefined) names.push(e.name);
      if (e.kind === 'unary') walk(e.arg);
      if (e.kind === 'binary') {
        walk(e.left);
        walk(e.right);
      }
    };
    walk(expr);
    return names.length ? `: '${names[0]}' is never defined as a label or constant` : '';
  }

  #define(name: string, value: number): void {
    const full = this.#qualify(name);
    if (this.#pass === 1) {
      if (this.#symbols.has(full)) throw new LineError(`'${name}' is already defined`);
      this.#symbols.set(full, value);
    } else if (this.#symbols.get(full) !== value) {
      // Only constants that depend on later labels change between passes.
      this.#symbols.set(full, value);
    }
  }

  #statement(tokens: Token[], index: number): void {
    let pos = 0;
    // Labels: `name:` (any number on one line).
    while (tokens[pos]?.kind === 'ident' && tokens[pos + 1]?.text === ':') {
      const name = tokens[pos]!.text;
      if (name.startsWith('.')) throw new LineError(`'${name}' cannot be a label: names starting with '.' are directives`);
      if (!name.startsWith('@')) this.#scope = name;
      this.#define(name, this.#pc());
      pos += 2;
    }
    const head = tokens[pos];
    if (!head) return;
    if (head.kind !== 'ident') throw new LineError(`expected a label, instruction or directive but found '${head.text}'`);
    // Constants: `NAME = expr`.
    if (tokens[pos + 1]?.text === '=') {
      if (head.text.startsWith('.')) throw new LineError(`'${head.text}' cannot be a constant name`);
      const { expr, next } = parseExpr(tokens, pos + 2);
      this.#expectEnd(tokens, next);
      const value = evaluate(expr, this.#lookup, this.#pc());
      if (value === undefined) {
        if (this.#pass === 2) this.#eval(expr);
        return; // defined in pass 2 once the labels it uses are known
      }
      if (this.#pass === 1 || this.#symbols.has(this.#qualify(head.text))) this.#define(head.text, value);
      else this.#symbols.set(this.#qualify(head.text), value);
      return;
    }
    if (head.text.startsWith('.')) {
      this.#directive(head.text.toLowerCase(), tokens, pos + 1);
      return;
    }
    const mnemonic = head.text.toUpperCase();
    const row = OPCODES[mnemonic];
    if (!row) {
      throw new LineError(
        `unknown instruction '${head.text}': expected a 6502 mnemonic (official opcodes only), a directive such as .byte, or a label followed by ':'`,
      );
    }
    this.#instruction(mnemonic, row, this.#operand(mnemonic, tokens, pos + 1), index);
  }

  #expectEnd(tokens: Token[], pos: number): void {
    if (pos < tokens.length) throw new LineError(`unexpected '${tokens[pos]!.text}' after the end of the statement`);
  }

  #operand(mnemonic: string, tokens: Token[], pos: number): Operand {
    const t = tokens[pos];
    if (!t) return { shape: 'none' };
    if (t.kind === 'ident' && t.text.toUpperCase() === 'A' && pos + 1 === tokens.length) return { shape: 'acc' };
    if (t.text === '#') {
      const { expr, next } = parseExpr(tokens, pos + 1);
      this.#expectEnd(tokens, next);
      return { shape: 'imm', expr };
    }
    if (t.text === '(') {
      // Find the matching ')' to tell `(zp),y` / `(zp,x)` / `(addr)` from an expression in parentheses.
      let depth = 0;
      let close = -1;
      for (let i = pos; i < tokens.length; i++) {
        if (tokens[i]!.text === '(') depth++;
        if (tokens[i]!.text === ')' && --depth === 0) {
          close = i;
          break;
        }
      }
      if (close < 0) throw new LineError("expected ')' to close '('");
      const tail = tokens.slice(close + 1).map((x) => x.text.toUpperCase());
      const innerLast = tokens.slice(close - 2, close).map((x) => x.text.toUpperCase());
      if (tail.length === 0 && innerLast[0] === ',' && innerLast[1] === 'X') {
        const { expr, next } = parseExpr(tokens, pos + 1);
        if (next !== close - 2) throw new LineError(`bad operand: expected (zp,X)`);
        return { shape: 'indX', expr };
      }
      if (tail.length === 0 || (tail.length === 2 && tail[0] === ',' && tail[1] === 'Y')) {
        const { expr, next } = parseExpr(tokens, pos + 1);
        if (next !== close) {
          if (tokens[next]?.text === ',') throw new LineError(`bad operand: after ',' inside parentheses only X is allowed, as in (zp,X)`);
          throw new LineError(`unexpected '${tokens[next]!.text}' inside parentheses`);
        }
        return tail.length === 0 ? { shape: 'ind', expr } : { shape: 'indY', expr };
      }
      if (tail[0] === ',' && tail[1] !== 'Y' && tail.length === 2 && tokens.length > close + 2 && tail[1] === 'X') {
        throw new LineError(`bad operand: there is no (zp),X mode on the 6502; use (zp,X) or (zp),Y`);
      }
    }
    const { expr, next } = parseExpr(tokens, pos);
    if (next === tokens.length) return { shape: 'addr', expr, index: '' };
    if (tokens[next]!.text === ',') {
      const reg = tokens[next + 1];
      const name = reg?.text.toUpperCase();
      if ((name === 'X' || name === 'Y') && next + 2 === tokens.length) return { shape: 'addr', expr, index: name };
      throw new LineError(`bad index register '${reg?.text ?? ''}' for ${mnemonic}: expected X or Y after ','`);
    }
    throw new LineError(`unexpected '${tokens[next]!.text}' in the operand of ${mnemonic}`);
  }

  #modesOf(row: Partial<Record<AddressingMode, number>>): string {
    return (Object.keys(row) as AddressingMode[]).map((m) => MODE_SYNTAX[m]).join(', ');
  }

  #instruction(mnemonic: string, row: Partial<Record<AddressingMode, number>>, op: Operand, index: number): void {
    const reject = (syntax: string): never => {
      throw new LineError(`${mnemonic} does not take ${syntax}; it takes ${this.#modesOf(row)}`);
    };
    let mode: AddressingMode;
    let value: number | undefined;
    switch (op.shape) {
      case 'none':
        mode = row.implied !== undefined ? 'implied' : row.accumulator !== undefined ? 'accumulator' : reject('no operand');
        break;
      case 'acc':
        mode = row.accumulator !== undefined ? 'accumulator' : reject('A');
        break;
      case 'imm':
        mode = row.immediate !== undefined ? 'immediate' : reject('an immediate #value');
        value = this.#eval(op.expr);
        if (value !== undefined && (value < -128 || value > 255)) {
          throw new LineError(`immediate value ${value} does not fit in a byte: expected -128..255`);
        }
        break;
      case 'ind':
        mode = row.indirect !== undefined ? 'indirect' : reject('(addr)');
        value = this.#eval(op.expr);
        break;
      case 'indX':
        mode = row.indirectX !== undefined ? 'indirectX' : reject('(zp,X)');
        value = this.#eval(op.expr);
        break;
      case 'indY':
        mode = row.indirectY !== undefined ? 'indirectY' : reject('(zp),Y');
        value = this.#eval(op.expr);
        break;
      case 'addr': {
        value = this.#eval(op.expr);
        const decided = this.#modes.get(index);
        if (row.relative !== undefined) {
          if (op.index) reject(`an indexed operand`);
          mode = 'relative';
        } else if (this.#pass === 2 && decided) {
          mode = decided;
        } else {
          const zp: AddressingMode = op.index === '' ? 'zeroPage' : op.index === 'X' ? 'zeroPageX' : 'zeroPageY';
          const abs: AddressingMode = op.index === '' ? 'absolute' : op.index === 'X' ? 'absoluteX' : 'absoluteY';
          const fitsZp = value !== undefined && value >= 0 && value <= 0xff;
          if (row[zp] !== undefined && (fitsZp || row[abs] === undefined)) mode = zp;
          else if (row[abs] !== undefined) mode = abs;
          else mode = reject(MODE_SYNTAX[abs]);
        }
        break;
      }
    }
    if (this.#pass === 1) this.#modes.set(index, mode);
    const opcode = row[mode]!;
    const size = OPERAND_SIZE[mode];
    if (this.#pass === 1) {
      this.#advance(1 + size);
      return;
    }
    const operand = this.#operandBytes(mode, value, op);
    const at = this.#pc();
    this.#emit([opcode, ...operand]);
    const line = this.#current!;
    this.#listing.push({ address: at, bytes: Uint8Array.from([opcode, ...operand]), file: line.file, line: line.line });
  }

  #operandBytes(mode: AddressingMode, value: number | undefined, op: Operand): number[] {
    if (value === undefined) return [];
    const expr = 'expr' in op ? op.expr : undefined;
    const text = expr ? exprText(expr) : '';
    switch (OPERAND_SIZE[mode]) {
      case 0:
        return [];
      case 1:
        if (BRANCH_MODES.includes(mode)) {
          const offset = value - (this.#pc() + 2);
          if (offset < -128 || offset > 127) {
            throw new LineError(`branch target '${text}' is ${Math.abs(offset)} bytes away; a relative branch reaches -128..+127`);
          }
          return [offset & 0xff];
        }
        if (mode === 'immediate') return [value & 0xff];
        if (value < 0 || value > 0xff) {
          throw new LineError(`operand '${text}' = ${value} is not a zero-page address: ${MODE_SYNTAX[mode]} needs 0..255`);
        }
        return [value];
      default:
        if (value < 0 || value > 0xffff) throw new LineError(`address '${text}' = ${value} is outside 0..$FFFF`);
        return [value & 0xff, value >> 8];
    }
  }

  #requireSegment(): Segment {
    if (!this.#segment) {
      // Sources without `.segment` get one implicit segment covering the whole address space.
      let seg = this.#segments.get('');
      if (!seg) {
        seg = new Segment('', 0, 0x10000, 0, true);
        this.#segments.set('', seg);
      }
      this.#segment = seg;
    }
    return this.#segment;
  }

  #advance(count: number): void {
    const seg = this.#requireSegment();
    if (seg.pc + count > seg.start + seg.size) {
      const end = seg.start + seg.size - 1;
      throw new LineError(`segment${seg.name ? ` '${seg.name}'` : ''} overflows: $${hex(seg.pc + count - 1)} is past its end $${hex(end)}`);
    }
    seg.pc += count;
  }

  #emit(bytes: number[]): void {
    const seg = this.#requireSegment();
    const at = seg.pc;
    this.#advance(bytes.length);
    if (this.#pass === 2) {
      seg.image.set(bytes, at - seg.start);
      seg.low = Math.min(seg.low, at);
      seg.high = Math.max(seg.high, at + bytes.length);
    }
  }

  #args(tokens: Token[], pos: number, directive: string): (Expr | string)[] {
    const args: (Expr | string)[] = [];
    if (pos >= tokens.length) return args;
    for (;;) {
      const t = tokens[pos];
      if (t?.kind === 'string' && (tokens[pos + 1] === undefined || tokens[pos + 1]!.text === ',')) {
        args.push(t.value);
        pos++;
      } else {
        const { expr, next } = parseExpr(tokens, pos);
        args.push(expr);
        pos = next;
      }
      if (pos === tokens.length) return args;
      if (tokens[pos]!.text !== ',') throw new LineError(`expected ',' between the arguments of ${directive} but found '${tokens[pos]!.text}'`);
      pos++;
    }
  }

  #number(arg: Expr | string | undefined, what: string, min: number, max: number): number {
    if (arg === undefined) throw new LineError(`missing ${what}`);
    if (typeof arg === 'string') throw new LineError(`expected a number for ${what} but found a string`);
    const v = evaluate(arg, this.#lookup, this.#pc());
    if (v === undefined) throw new LineError(`${what} must be known on the first pass, but '${exprText(arg)}' uses a label defined later`);
    if (v < min || v > max) throw new LineError(`${what} is ${v}: expected ${min}..${max}`);
    return v;
  }

  #directive(name: string, tokens: Token[], pos: number): void {
    const args = this.#args(tokens, pos, name);
    const count = (min: number, max: number, usage: string): void => {
      if (args.length < min || args.length > max) throw new LineError(`${name} expects ${usage}`);
    };
    switch (name) {
      case '.org': {
        count(1, 1, 'one address');
        const seg = this.#requireSegment();
        const addr = this.#number(args[0], '.org address', seg.start, seg.start + seg.size);
        seg.pc = addr;
        return;
      }
      case '.segment': {
        const label = args[0];
        if (typeof label !== 'string') throw new LineError('.segment expects a name in double quotes, then start and size the first time');
        const existing = this.#segments.get(label);
        if (args.length === 1) {
          if (!existing) throw new LineError(`segment '${label}' is used before it is defined: the first .segment "${label}" needs a start and a size`);
          this.#segment = existing;
          return;
        }
        count(3, 4, 'a name, a start address, a size and optionally a fill byte');
        const start = this.#number(args[1], 'segment start', 0, 0xffff);
        const size = this.#number(args[2], 'segment size', 1, 0x10000 - start);
        const fill = args[3] === undefined ? 0xff : this.#number(args[3], 'segment fill byte', 0, 255);
        if (existing) {
          if (existing.start !== start || existing.size !== size || existing.fill !== fill) {
            throw new LineError(`segment '${label}' is already defined with start $${hex(existing.start)} and size $${hex(existing.size)}`);
          }
          this.#segment = existing;
          return;
        }
        const seg = new Segment(label, start, size, fill, false);
        this.#segments.set(label, seg);
        this.#segment = seg;
        return;
      }
      case '.byte':
      case '.db': {
        if (args.length === 0) throw new LineError(`${name} expects at least one value`);
        const bytes: number[] = [];
        for (const arg of args) {
          if (typeof arg === 'string') {
            for (const ch of arg) bytes.push(ch.charCodeAt(0) & 0xff);
            continue;
          }
          const v = this.#pass === 2 ? this.#eval(arg)! : 0;
          if (v < -128 || v > 255) throw new LineError(`${name} value '${exprText(arg)}' = ${v} does not fit in a byte: expected -128..255`);
          bytes.push(v & 0xff);
        }
        this.#emit(bytes);
        return;
      }
      case '.word':
      case '.dw': {
        if (args.length === 0) throw new LineError(`${name} expects at least one value`);
        const bytes: number[] = [];
        for (const arg of args) {
          if (typeof arg === 'string') throw new LineError(`${name} expects numbers, not strings`);
          const v = this.#pass === 2 ? this.#eval(arg)! : 0;
          if (v < -32768 || v > 0xffff) throw new LineError(`${name} value '${exprText(arg)}' = ${v} does not fit in 16 bits`);
          bytes.push(v & 0xff, (v >> 8) & 0xff);
        }
        this.#emit(bytes);
        return;
      }
      case '.res':
      case '.ds': {
        count(1, 2, 'a count and optionally a fill byte');
        const n = this.#number(args[0], `${name} count`, 0, 0x10000);
        const fill = args[1] === undefined ? (this.#segment?.fill ?? 0) : this.#number(args[1], `${name} fill byte`, 0, 255);
        this.#emit(new Array<number>(n).fill(fill));
        return;
      }
      case '.align': {
        count(1, 2, 'a power of two and optionally a fill byte');
        const n = this.#number(args[0], '.align boundary', 1, 0x10000);
        if ((n & (n - 1)) !== 0) throw new LineError(`.align boundary is ${n}: expected a power of two`);
        const fill = args[1] === undefined ? (this.#segment?.fill ?? 0) : this.#number(args[1], '.align fill byte', 0, 255);
        const pad = (n - (this.#pc() % n)) % n;
        this.#emit(new Array<number>(pad).fill(fill));
        return;
      }
      case '.ines': {
        count(4, 4, 'four values: PRG size in 16 KiB units, CHR size in 8 KiB units, mapper number, mirroring (0 horizontal, 1 vertical)');
        const options: InesOptions = {
          prgBanks: this.#number(args[0], 'PRG bank count', 1, 255),
          chrBanks: this.#number(args[1], 'CHR bank count', 0, 255),
          mapper: this.#number(args[2], 'mapper number', 0, 255),
          mirroring: this.#number(args[3], 'mirroring', 0, 1) === 1 ? 'vertical' : 'horizontal',
        };
        if (this.#pass === 1 && this.#ines) throw new LineError('.ines appears twice');
        this.#ines = options;
        return;
      }
      case '.tile': {
        if (args.length !== 8 || args.some((a) => typeof a !== 'string')) {
          throw new LineError('.tile expects 8 rows in double quotes, each 8 pixels from . 0 1 2 3');
        }
        const planes = [new Array<number>(8).fill(0), new Array<number>(8).fill(0)];
        (args as string[]).forEach((row, y) => {
          if (!/^[.0123]{8}$/.test(row)) throw new LineError(`.tile row ${y + 1} is "${row}": expected 8 pixels from . 0 1 2 3`);
          for (let x = 0; x < 8; x++) {
            const c = row[x] === '.' ? 0 : Number(row[x]);
            planes[0]![y]! |= (c & 1) << (7 - x);
            planes[1]![y]! |= ((c >> 1) & 1) << (7 - x);
          }
        });
        this.#emit([...planes[0]!, ...planes[1]!]);
        return;
      }
      case '.assert': {
        count(2, 2, 'a condition and a message in double quotes');
        if (typeof args[1] !== 'string') throw new LineError('.assert expects a message in double quotes after the condition');
        if (this.#pass === 2 && this.#eval(args[0] as Expr) === 0) throw new LineError(`assertion failed: ${args[1]}`);
        return;
      }
      default:
        throw new LineError(`unknown directive '${name}': expected one of .org .segment .byte .db .word .dw .res .ds .align .include .ines .tile .assert`);
    }
  }

  #output(): AssembleResult {
    const segments: SegmentImage[] = [];
    for (const seg of this.#segments.values()) {
      if (seg.trimmed) {
        if (seg.low === Infinity) continue;
        segments.push({ name: seg.name, start: seg.low, bytes: seg.image.slice(seg.low - seg.start, seg.high - seg.start) });
      } else {
        segments.push({ name: seg.name, start: seg.start, bytes: seg.image.slice() });
      }
    }
    const parts: Uint8Array[] = [];
    if (this.#ines) parts.push(inesHeader(this.#ines));
    for (const seg of segments) parts.push(seg.bytes);
    const total = parts.reduce((n, p) => n + p.length, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    if (this.#ines) {
      const expected = 16 + this.#ines.prgBanks * 0x4000 + this.#ines.chrBanks * 0x2000;
      if (total !== expected) {
        const line = this.#current ?? { file: this.#file, line: 0, tokens: [] };
        this.#report(
          { ...line, line: 0 },
          `the .ines header promises ${this.#ines.prgBanks} x 16 KiB PRG and ${this.#ines.chrBanks} x 8 KiB CHR (${expected - 16} bytes) but the segments hold ${total - 16} bytes`,
        );
        this.#throwIfErrors();
      }
    }
    return { bytes, symbols: new Map(this.#symbols), segments, listing: this.#listing };
  }
}

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}
