/**
 * Crash-safe checkpoints.
 *
 * File format (little-endian), self-describing:
 * ```
 * 0   8 bytes  magic "MRLCKPT\n"
 * 8   uint32   container version (1)
 * 12  uint32   header length H (bytes of UTF-8 JSON)
 * 16  uint32   CRC-32C of the header bytes
 * 20  uint32   0 (reserved)
 * 24  H bytes  header JSON: { schemaVersion, savedAt, globalStep, globalUpdate, ...caller fields,
 *              sections: [{ name, offset, length, crc32c }], dataLength }
 * ..  padding to a multiple of 64, then the sections (each starting on a 64-byte boundary,
 *     offsets relative to the start of the data area)
 * ```
 * The header and every section carry a CRC-32C, and the header states the exact file length, so a
 * truncated or corrupted file is detected and named. `schemaVersion` is the layout of the caller's
 * content (what the Trainer stores); a reader refuses other versions with a clear message.
 *
 * On disk a run keeps `<dir>/step-<globalStep>.ckpt` (the newest `keep` of them) and
 * `<dir>/latest.ckpt` (a hard link to the newest periodic checkpoint, or its own file when written
 * by {@link CheckpointStore.saveLatest}, e.g. on SIGINT). Every write is atomic (see atomic-file.ts).
 * Retention (`keep`) deletes only the periodic files of the store's own run (`runId`).
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

import { toBytes } from '../bytes.js';
import { crc32c } from '../util/crc32c.js';
import { expectInteger, expectedMessage } from '../validate.js';
import { type AtomicWriteHooks, isTempFileName, linkFileAtomic, removeStaleTempFiles, writeFileAtomic } from './atomic-file.js';

/** Schema version of the checkpoints the Trainer writes today. Bump it when their content changes incompatibly. */
export const CHECKPOINT_SCHEMA_VERSION = 1;
/** Version of the container layout itself. */
export const CHECKPOINT_CONTAINER_VERSION = 1;
/** File extension of checkpoints. */
export const CHECKPOINT_EXTENSION = '.ckpt';
/** Name of the `latest` checkpoint in a store directory. */
export const LATEST_NAME = `latest${CHECKPOINT_EXTENSION}`;

const MAGIC = new TextEncoder().encode('MRLCKPT\n');
const PREFIX_BYTES = 24;
const ALIGN = 64;
const MAX_HEADER_BYTES = 64 * 1024 * 1024;

/** What the caller stores in the header: JSON-serializable, with the two counters required. */
export interface CheckpointHeaderInput {
  /** Agent steps taken so far (exact; resume continues from here). */
  globalStep: number;
  /** Updates (optimizer steps of the outer loop) done so far. */
  globalUpdate: number;
  /** Anything else: config, RNG states, schedule positions, ... (JSON values only). */
  [key: string]: unknown;
}

/** Table entry of one binary section. */
export interface CheckpointSectionInfo {
  /** Section name, e.g. `params`, `optimizer`, `replay`. */
  name: string;
  /** Byte offset from the start of the data area (a multiple of 64). */
  offset: number;
  /** Length in bytes. */
  length: number;
  /** CRC-32C of the section's bytes. */
  crc32c: number;
}

/** The header as stored: the caller's fields plus what the container adds. */
export interface CheckpointHeader extends CheckpointHeaderInput {
  /** Layout version of the caller's content. */
  schemaVersion: number;
  /** Wall-clock time of the save, ms since the epoch. */
  savedAt: number;
  /** Section table. */
  sections: CheckpointSectionInfo[];
  /** Bytes from the start of the data area to the end of the file. */
  dataLength: number;
}

/** A loaded checkpoint. */
export interface Checkpoint {
  /** File it came from. */
  path: string;
  /** Header, including the caller's fields. */
  header: CheckpointHeader;
  /** Binary sections by name, viewing the file's bytes (no copy). */
  sections: Record<string, Uint8Array>;
}

/** Why a checkpoint could not be used. */
export type CheckpointProblem = 'missing' | 'not-a-checkpoint' | 'truncated' | 'corrupt' | 'incompatible';

/** A checkpoint that cannot be used, with the file and the reason. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
  /** The file. */
  readonly path: string;
  /** Category of the problem. */
  readonly problem: CheckpointProblem;
  /** @param path the file; @param problem category; @param message full sentence naming the file and the reason. */
  constructor(path: string, problem: CheckpointProblem, message: string) {
    super(message);
    this.path = path;
    this.problem = problem;
  }
}

/** Options shared by readers. */
export interface CheckpointReadOptions {
  /** Schema version the caller understands. Default {@link CHECKPOINT_SCHEMA_VERSION}. */
  schemaVersion?: number;
  /**
   * Extra compatibility check on the header (e.g. same algorithm): return true, or a reason
   * string. Incompatible checkpoints are skipped by 'auto'/'latest' and rejected when named.
   */
  isCompatible?: (header: CheckpointHeader) => true | string;
}

/**
 * A section's bytes as a Float32Array (parameters, optimizer moments): a view when the bytes are
 * 4-byte aligned in memory (the usual case: sections start on 64-byte file offsets), else a copy.
 * Platform byte order, as written by `new Uint8Array(float32Array.buffer)`.
 */
export function sectionAsFloat32(bytes: Uint8Array, name = 'section'): Float32Array {
  if (bytes.byteLength % 4 !== 0) {
    throw new RangeError(expectedMessage('a byte length that is a multiple of 4', name, bytes));
  }
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return new Float32Array(bytes.slice().buffer);
}

/** Encodes a checkpoint as a list of byte parts (the sections are not copied). */
export function encodeCheckpoint(
  input: CheckpointHeaderInput,
  sections: Record<string, Uint8Array>,
  options: { schemaVersion?: number; savedAt?: number } = {},
): Uint8Array[] {
  expectInteger(input.globalStep, 'globalStep', 0, Number.MAX_SAFE_INTEGER);
  expectInteger(input.globalUpdate, 'globalUpdate', 0, Number.MAX_SAFE_INTEGER);
  const table: CheckpointSectionInfo[] = [];
  const dataParts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, value] of Object.entries(sections)) {
    if (name.length === 0) throw new RangeError(expectedMessage('a non-empty section name', 'sections', name));
    const bytes = toBytes(value, `sections.${name}`);
    const pad = (ALIGN - (offset % ALIGN)) % ALIGN;
    if (pad) dataParts.push(new Uint8Array(pad));
    offset += pad;
    table.push({ name, offset, length: bytes.length, crc32c: crc32c(bytes) });
    dataParts.push(bytes);
    offset += bytes.length;
  }
  const header: CheckpointHeader = {
    ...input,
    schemaVersion: options.schemaVersion ?? CHECKPOINT_SCHEMA_VERSION,
    savedAt: options.savedAt ?? Date.now(),
    sections: table,
    dataLength: offset,
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const prefix = new Uint8Array(PREFIX_BYTES);
  const view = new DataView(prefix.buffer);
  prefix.set(MAGIC, 0);
  view.setUint32(8, CHECKPOINT_CONTAINER_VERSION, true);
  view.setUint32(12, headerBytes.length, true);
  view.setUint32(16, crc32c(headerBytes), true);
  const headerEnd = PREFIX_BYTES + headerBytes.length;
  const headerPad = new Uint8Array((ALIGN - (headerEnd % ALIGN)) % ALIGN);
  return [prefix, headerBytes, headerPad, ...dataParts];
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** Parses the prefix and header from the first bytes of a file; `fileLength` checks truncation. */
function parseHeader(
  path: string,
  head: Uint8Array,
  fileLength: number,
  options: CheckpointReadOptions,
  checkCompatibility = true,
): { header: CheckpointHeader; dataStart: number } {
  if (head.length < PREFIX_BYTES || !MAGIC.every((b, i) => head[i] === b)) {
    const seen = Math.min(head.length, MAGIC.length);
    if (fileLength < PREFIX_BYTES && MAGIC.subarray(0, seen).every((b, i) => head[i] === b)) {
      throw new CheckpointError(path, 'truncated', `Checkpoint ${path} is truncated: ${fileLength} bytes, shorter than its header`);
    }
    throw new CheckpointError(path, 'not-a-checkpoint', `${path} is not a mario-rl checkpoint (bad magic bytes)`);
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const container = view.getUint32(8, true);
  if (container !== CHECKPOINT_CONTAINER_VERSION) {
    throw new CheckpointError(
      path,
      'incompatible',
      `Checkpoint ${path} uses container version ${container}; this mario-rl reads version ${CHECKPOINT_CONTAINER_VERSION}`,
    );
  }
  const headerLength = view.getUint32(12, true);
  if (headerLength > MAX_HEADER_BYTES)
    throw new CheckpointError(path, 'corrupt', `Checkpoint ${path} is corrupt: header length ${headerLength} is implausible`);
  if (head.length < PREFIX_BYTES + headerLength) {
    throw new CheckpointError(path, 'truncated', `Checkpoint ${path} is truncated: the file ends inside its header (${fileLength} bytes)`);
  }
  const headerBytes = head.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength);
  const stored = view.getUint32(16, true);
  const computed = crc32c(headerBytes);
  if (stored !== computed) {
    throw new CheckpointError(
      path,
      'corrupt',
      `Checkpoint ${path} is corrupt: its header fails the CRC-32C check (stored ${hex(stored)}, computed ${hex(computed)})`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(headerBytes));
  } catch (err) {
    throw new CheckpointError(path, 'corrupt', `Checkpoint ${path} is corrupt: header is not JSON (${(err as Error).message})`);
  }
  checkContainerFields(path, header);
  const expected = options.schemaVersion ?? CHECKPOINT_SCHEMA_VERSION;
  if (checkCompatibility && header.schemaVersion !== expected) {
    throw new CheckpointError(
      path,
      'incompatible',
      `Checkpoint ${path} has schema version ${String(header.schemaVersion)}, but this version of mario-rl reads schema version ${expected}; ` +
        `resume it with the mario-rl version that wrote it, or start a new run`,
    );
  }
  const dataStart = PREFIX_BYTES + headerLength + ((ALIGN - ((PREFIX_BYTES + headerLength) % ALIGN)) % ALIGN);
  const expectedLength = dataStart + header.dataLength;
  if (fileLength < expectedLength) {
    throw new CheckpointError(path, 'truncated', `Checkpoint ${path} is truncated: expected ${expectedLength} bytes but the file has ${fileLength}`);
  }
  if (fileLength > expectedLength) {
    throw new CheckpointError(path, 'corrupt', `Checkpoint ${path} is corrupt: expected ${expectedLength} bytes but the file has ${fileLength}`);
  }
  if (checkCompatibility && options.isCompatible) {
    const verdict = options.isCompatible(header);
    if (verdict !== true) throw new CheckpointError(path, 'incompatible', `Checkpoint ${path} is not compatible with this run: ${verdict}`);
  }
  return { header, dataStart };
}

/**
 * The header fields the container itself reads (steps, the section table, the data length), checked
 * once the header's CRC has passed: a header can be valid JSON with a matching CRC and still be
 * crafted or written by a broken tool, and nothing past this point may meet a missing table, a
 * string where a length belongs, or a section outside the data area. The caller's own fields
 * (config, run state) are checked where they are used.
 */
function checkContainerFields(path: string, header: unknown): asserts header is CheckpointHeader {
  const corrupt = (what: string, name: string, value: unknown) =>
    new CheckpointError(path, 'corrupt', `Checkpoint ${path} is corrupt: ${expectedMessage(what, name, value)}`);
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw corrupt('a JSON object', 'the header', header);
  const h = header as Record<string, unknown>;
  const count = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  for (const key of ['globalStep', 'globalUpdate', 'dataLength'] as const) {
    if (!count(h[key])) throw corrupt('an integer >= 0', `header.${key}`, h[key]);
  }
  if (!Array.isArray(h.sections)) throw corrupt('an array of sections', 'header.sections', h.sections);
  const dataLength = h.dataLength as number;
  h.sections.forEach((sec: unknown, i) => {
    const name = `header.sections[${i}]`;
    if (sec === null || typeof sec !== 'object' || Array.isArray(sec)) throw corrupt('a section object', name, sec);
    const x = sec as Record<string, unknown>;
    if (typeof x.name !== 'string' || x.name.length === 0) throw corrupt('a non-empty string', `${name}.name`, x.name);
    if (!count(x.offset)) throw corrupt('an integer >= 0', `${name}.offset`, x.offset);
    if (!count(x.length)) throw corrupt('an integer >= 0', `${name}.length`, x.length);
    if (!count(x.crc32c) || (x.crc32c as number) > 0xffffffff) throw corrupt('a CRC-32C (an integer in [0, 4294967295])', `${name}.crc32c`, x.crc32c);
    if ((x.offset as number) + (x.length as number) > dataLength)
      throw corrupt(`a section inside the data area (${dataLength} bytes)`, `${name} ('${x.name}')`, `offset ${x.offset} + length ${x.length}`);
  });
}

/** Decodes and fully verifies checkpoint bytes; throws {@link CheckpointError}. */
export function decodeCheckpoint(bytes: Uint8Array, path = '<memory>', options: CheckpointReadOptions = {}): Checkpoint {
  const { header, dataStart } = parseHeader(path, bytes, bytes.length, options);
  const sections: Record<string, Uint8Array> = {};
  for (const s of header.sections) {
    const start = dataStart + s.offset;
    const data = bytes.subarray(start, start + s.length);
    if (data.length !== s.length) throw new CheckpointError(path, 'truncated', `Checkpoint ${path} is truncated inside section '${s.name}'`);
    const computed = crc32c(data);
    if (computed !== s.crc32c) {
      throw new CheckpointError(
        path,
        'corrupt',
        `Checkpoint ${path} is corrupt: section '${s.name}' fails its CRC-32C check (stored ${hex(s.crc32c)}, computed ${hex(computed)})`,
      );
    }
    sections[s.name] = data;
  }
  return { path, header, sections };
}

/** Reads and fully verifies one checkpoint file; throws {@link CheckpointError}. */
export function readCheckpoint(path: string, options: CheckpointReadOptions = {}): Checkpoint {
  if (!existsSync(path)) throw new CheckpointError(path, 'missing', `Checkpoint ${path} does not exist`);
  const buf = readFileSync(path);
  return decodeCheckpoint(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path, options);
}

/** Reads and verifies only the header of a checkpoint file (cheap; sections are not checked). */
export function readCheckpointHeader(path: string, options: CheckpointReadOptions = {}): CheckpointHeader {
  return readHeader(path, options, true);
}

function readHeader(path: string, options: CheckpointReadOptions, checkCompatibility: boolean): CheckpointHeader {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    throw new CheckpointError(path, 'missing', `Checkpoint ${path} does not exist or cannot be opened`);
  }
  try {
    const size = fstatSync(fd).size;
    const prefix = new Uint8Array(Math.min(PREFIX_BYTES, size));
    readSync(fd, prefix, 0, prefix.length, 0);
    let head = prefix;
    if (prefix.length === PREFIX_BYTES && MAGIC.every((b, i) => prefix[i] === b)) {
      const headerLength = new DataView(prefix.buffer).getUint32(12, true);
      const want = Math.min(size, PREFIX_BYTES + Math.min(headerLength, MAX_HEADER_BYTES));
      head = new Uint8Array(want);
      readSync(fd, head, 0, want, 0);
    }
    return parseHeader(path, head, size, options, checkCompatibility).header;
  } finally {
    closeSync(fd);
  }
}

/** Writes one checkpoint file atomically. */
export function writeCheckpoint(
  path: string,
  input: CheckpointHeaderInput,
  sections: Record<string, Uint8Array>,
  options: { schemaVersion?: number; savedAt?: number; hooks?: AtomicWriteHooks } = {},
): void {
  writeFileAtomic(path, encodeCheckpoint(input, sections, options), options.hooks);
}

/** Options of {@link CheckpointStore}. */
export interface CheckpointStoreOptions extends CheckpointReadOptions {
  /** Periodic checkpoints to keep (older ones are deleted after each save). Default 3. */
  keep?: number;
  /** Receives warnings (skipped corrupt checkpoints, removed temp files). Default `console.warn`. */
  onWarning?: (message: string) => void;
  /** Wall clock in ms for `savedAt` (injectable for tests). Default `Date.now`. */
  now?: () => number;
  /** Crash simulation for tests. */
  hooks?: AtomicWriteHooks;
  /** Initial {@link CheckpointStore.runId}: retention deletes only this run's periodic files. */
  runId?: string;
}

/** Result of resolving a `resume` setting. */
export interface ResumeResult {
  /** The checkpoint to resume from, or null to start fresh ('auto' with nothing found). */
  checkpoint: Checkpoint | null;
  /** Checkpoints skipped on the way, each with the reason (also sent to `onWarning`). */
  skipped: CheckpointError[];
}

/** How a run resumes: from nothing, the newest checkpoint of its store, the newest under the run tree, or a file. */
export type ResumeSetting = 'none' | 'latest' | 'auto' | (string & {});

interface Candidate {
  path: string;
  header: CheckpointHeader;
  key: string;
}

/**
 * Keeps the checkpoints of one run in one directory (one writer per directory).
 * The Trainer calls {@link save} every `checkpoint.interval` updates, {@link saveLatest} on
 * shutdown, and {@link resolveResume} at start.
 */
export class CheckpointStore {
  /** Directory holding the files. */
  readonly dir: string;
  #keep: number;
  #read: CheckpointReadOptions;
  #warn: (message: string) => void;
  #now: () => number;
  #hooks: AtomicWriteHooks;
  /**
   * The run these checkpoints belong to (the header's `runId`, written by the caller): retention
   * deletes only periodic files with this id. Undefined: every periodic file counts (a store with
   * one writer). The Trainer sets it once it knows whether it resumes.
   */
  runId: string | undefined;

  /** Opens (creating) `dir` and removes temp files left by a crash. */
  constructor(dir: string, options: CheckpointStoreOptions = {}) {
    this.dir = resolve(dir);
    this.#keep = expectInteger(options.keep ?? 3, 'checkpoint.keep', 1, 1_000_000);
    this.#read = { schemaVersion: options.schemaVersion, isCompatible: options.isCompatible };
    this.#warn = options.onWarning ?? ((m) => console.warn(`mario-rl: ${m}`));
    this.#now = options.now ?? Date.now;
    this.#hooks = options.hooks ?? {};
    this.runId = options.runId;
    mkdirSync(this.dir, { recursive: true });
    const removed = removeStaleTempFiles(this.dir);
    if (removed.length)
      this.#warn(`removed ${removed.length} incomplete checkpoint write(s) in ${this.dir} (a previous run stopped mid-save): ${removed.join(', ')}`);
  }

  /** Path of the periodic checkpoint for `globalStep`. */
  pathForStep(globalStep: number): string {
    return join(this.dir, `step-${String(globalStep).padStart(12, '0')}${CHECKPOINT_EXTENSION}`);
  }

  /** Path of `latest`. */
  get latestPath(): string {
    return join(this.dir, LATEST_NAME);
  }

  /**
   * Writes a periodic checkpoint, points `latest` at it, and deletes periodic checkpoints beyond
   * the newest `keep`. Returns the periodic file's path.
   */
  save(header: CheckpointHeaderInput, sections: Record<string, Uint8Array>): string {
    const path = this.pathForStep(header.globalStep);
    const parts = encodeCheckpoint(header, sections, { schemaVersion: this.#read.schemaVersion, savedAt: this.#now() });
    writeFileAtomic(path, parts, this.#hooks);
    if (!linkFileAtomic(path, this.latestPath)) writeFileAtomic(this.latestPath, parts, this.#hooks);
    this.#prune();
    return path;
  }

  /** Writes only `latest` (e.g. on SIGINT), atomically. Returns its path. */
  saveLatest(header: CheckpointHeaderInput, sections: Record<string, Uint8Array>): string {
    writeCheckpoint(this.latestPath, header, sections, { schemaVersion: this.#read.schemaVersion, savedAt: this.#now(), hooks: this.#hooks });
    return this.latestPath;
  }

  /**
   * Writes `<name>.ckpt` (e.g. the eval probes' `best`), atomically. Named checkpoints are never
   * pruned and never picked by resume ('latest', 'auto'): load one by path. Returns its path.
   */
  saveNamed(name: string, header: CheckpointHeaderInput, sections: Record<string, Uint8Array>): string {
    if (!/^[a-z][a-z0-9-]{0,63}$/.test(name) || name === 'latest' || name.startsWith('step-')) {
      throw new RangeError(`Expected a lower-case name other than 'latest' and 'step-…' for checkpoint name but received ${JSON.stringify(name)}`);
    }
    const path = join(this.dir, `${name}${CHECKPOINT_EXTENSION}`);
    writeCheckpoint(path, header, sections, { schemaVersion: this.#read.schemaVersion, savedAt: this.#now(), hooks: this.#hooks });
    return path;
  }

  /** Periodic checkpoint files in this store, oldest first (by save time, then step). */
  listPeriodic(): string[] {
    return this.#periodic().map((e) => e.path);
  }

  #periodic(): { path: string; savedAt: number; step: number; runId: unknown }[] {
    const entries: { path: string; savedAt: number; step: number; runId: unknown }[] = [];
    for (const name of readdirSync(this.dir)) {
      if (!/^step-\d+\.ckpt$/.test(name)) continue;
      const path = join(this.dir, name);
      let savedAt: number;
      try {
        savedAt = statSync(path).mtimeMs;
      } catch {
        continue; // deleted since the listing
      }
      let step = Number(name.slice(5, -CHECKPOINT_EXTENSION.length));
      let runId: unknown;
      try {
        const h = readHeader(path, this.#read, false);
        savedAt = h.savedAt;
        step = h.globalStep;
        runId = h.runId;
      } catch {
        // Unreadable header: order by modification time.
      }
      entries.push({ path, savedAt, step, runId });
    }
    entries.sort((a, b) => a.savedAt - b.savedAt || a.step - b.step || a.path.localeCompare(b.path));
    return entries;
  }

  /**
   * Deletes periodic checkpoints beyond the newest `keep`. With {@link runId} set, only this run's
   * files (header `runId` equal to it) are counted and deleted: another run's checkpoints, and
   * files whose header cannot be read, are never touched.
   */
  #prune(): void {
    const mine = this.#periodic().filter((e) => this.runId === undefined || e.runId === this.runId);
    for (const e of mine.slice(0, Math.max(0, mine.length - this.#keep))) rmSync(e.path, { force: true });
  }

  /**
   * The newest usable checkpoint in this store (`latest` and periodic files), falling back past
   * truncated, corrupt or incompatible ones with a warning each. Null when there is none.
   */
  loadNewest(): ResumeResult {
    return newestValid(this.#candidatePaths(), this.#read, this.#warn);
  }

  #candidatePaths(): string[] {
    return readdirSync(this.dir)
      .filter((n) => isResumeCandidate(n))
      .map((n) => join(this.dir, n));
  }

  /**
   * Resolves a `resume` setting for a run whose checkpoints live in this store:
   * - `'none'`: start fresh;
   * - `'latest'`: the newest usable checkpoint of this store; throws if there is none;
   * - `'auto'`: the newest compatible checkpoint anywhere under `runRoot` (default: this store's
   *   parent directory), or start fresh when there is none;
   * - any other string: that file, which must be valid (a {@link CheckpointError} says why not).
   */
  resolveResume(resume: ResumeSetting, runRoot = join(this.dir, '..')): ResumeResult {
    if (resume === 'none') return { checkpoint: null, skipped: [] };
    if (resume === 'latest') {
      const result = this.loadNewest();
      if (!result.checkpoint) {
        const why = result.skipped.length ? ` (skipped: ${result.skipped.map((e) => e.message).join('; ')})` : '';
        throw new CheckpointError(this.dir, 'missing', `resume is 'latest' but ${this.dir} holds no usable checkpoint${why}`);
      }
      return result;
    }
    if (resume === 'auto') return findNewestCheckpoint(runRoot, { ...this.#read, onWarning: this.#warn });
    return { checkpoint: readCheckpoint(resolve(resume), this.#read), skipped: [] };
  }
}

/** `latest.ckpt` and periodic `step-*.ckpt` files: what resume may pick in a store. */
function isResumeCandidate(name: string): boolean {
  return !isTempFileName(name) && (name === LATEST_NAME || /^step-\d+\.ckpt$/.test(name));
}

/** Checkpoints the Trainer writes by name (`best.ckpt`), which resume never picks. */
function isNamedCheckpoint(name: string): boolean {
  return name === `best${CHECKPOINT_EXTENSION}`;
}

/** Every `*.ckpt` file under `root` (recursively), skipping temp files and named checkpoints (`best.ckpt`). */
export function findCheckpointFiles(root: string): string[] {
  const out: string[] = [];
  if (!existsSync(root)) return out;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith(CHECKPOINT_EXTENSION) && !isTempFileName(entry.name) && !isNamedCheckpoint(entry.name)) out.push(path);
    }
  };
  walk(root);
  return out;
}

/**
 * The newest compatible, intact checkpoint anywhere under `root` ('auto' resume), by save time
 * then step. Corrupt or truncated ones are skipped with a warning naming the file and why;
 * incompatible ones are skipped quietly (they belong to other runs).
 */
export function findNewestCheckpoint(root: string, options: CheckpointReadOptions & { onWarning?: (message: string) => void } = {}): ResumeResult {
  const warn = options.onWarning ?? ((m: string) => console.warn(`mario-rl: ${m}`));
  return newestValid(findCheckpointFiles(root), options, warn);
}

function newestValid(paths: string[], read: CheckpointReadOptions, warn: (m: string) => void): ResumeResult {
  const skipped: CheckpointError[] = [];
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  const report = (err: CheckpointError) => {
    skipped.push(err);
    if (err.problem !== 'incompatible') warn(`skipping checkpoint ${err.path}: ${err.message}`);
  };
  for (const path of paths) {
    let key: string;
    try {
      const st = statSync(path);
      key = `${st.dev}:${st.ino}`; // `latest` is usually a hard link to a periodic file
    } catch {
      continue; // deleted since the listing (another run pruning)
    }
    try {
      const header = readCheckpointHeader(path, read);
      candidates.push({ path, header, key });
    } catch (err) {
      if (!(err instanceof CheckpointError)) throw err;
      if (!seen.has(key)) report(err);
    }
    seen.add(key);
  }
  candidates.sort(
    (a, b) =>
      b.header.savedAt - a.header.savedAt ||
      b.header.globalStep - a.header.globalStep ||
      Number(basename(a.path) === LATEST_NAME) - Number(basename(b.path) === LATEST_NAME),
  );
  const tried = new Set<string>();
  for (const c of candidates) {
    if (tried.has(c.key)) continue;
    tried.add(c.key);
    try {
      return { checkpoint: readCheckpoint(c.path, read), skipped };
    } catch (err) {
      if (!(err instanceof CheckpointError)) throw err;
      report(err);
    }
  }
  return { checkpoint: null, skipped };
}
