import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  CheckpointError,
  type CheckpointHeader,
  CheckpointStore,
  decodeCheckpoint,
  encodeCheckpoint,
  findNewestCheckpoint,
  readCheckpoint,
  readCheckpointHeader,
  sectionAsFloat32,
  writeCheckpoint,
} from '../../src/run/checkpoint-store.js';
import { crc32c } from '../../src/util/crc32c.js';

let root = '';
let warnings: string[] = [];
let clock = 0;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mario-rl-ckpt-'));
  warnings = [];
  clock = 1_000_000;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function store(dir = join(root, 'run', 'checkpoints'), keep = 3): CheckpointStore {
  return new CheckpointStore(dir, { keep, onWarning: (m) => warnings.push(m), now: () => ++clock });
}

function params(seed: number, n = 1000): Uint8Array {
  const f = new Float32Array(n);
  for (let i = 0; i < n; i++) f[i] = Math.sin(seed * 1000 + i) * 1e3;
  f[0] = NaN; // bit patterns survive, not just values
  f[1] = -0;
  return new Uint8Array(f.buffer);
}

function header(step: number) {
  return {
    globalStep: step,
    globalUpdate: Math.floor(step / 100),
    config: { algo: 'ppo', ppo: { clipCoef: 0.2 } },
    rng: [1, 2, 3, 4],
    schedules: { learningRate: step },
  };
}

const concat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

describe('checkpoint container', () => {
  it('round-trips header and sections bit-exactly, sections 64-byte aligned', () => {
    const sections = { params: params(1), optimizer: params(2, 77), empty: new Uint8Array(0), replay: new Uint8Array([1, 2, 3]) };
    const path = join(root, 'a.ckpt');
    writeCheckpoint(path, header(500), sections, { savedAt: 42 });
    const ck = readCheckpoint(path);
    expect(ck.header).toMatchObject({ ...header(500), schemaVersion: 1, savedAt: 42 });
    expect(Object.keys(ck.sections)).toEqual(['params', 'optimizer', 'empty', 'replay']);
    for (const [name, bytes] of Object.entries(sections)) expect(Buffer.compare(ck.sections[name], bytes)).toBe(0);
    for (const s of ck.header.sections) expect(s.offset % 64).toBe(0);
    expect(readCheckpointHeader(path).globalStep).toBe(500);
    expect(() => encodeCheckpoint({ globalStep: -1, globalUpdate: 0 }, {})).toThrow(/for globalStep but received -1/);
    const f = sectionAsFloat32(ck.sections.params, 'params');
    expect(f.length).toBe(1000);
    expect(f[0]).toBeNaN();
    expect(Object.is(f[1], -0)).toBe(true);
    expect(Buffer.compare(new Uint8Array(f.buffer, f.byteOffset, f.byteLength), params(1))).toBe(0);
    const misaligned = new Uint8Array(9).subarray(1);
    misaligned.set(new Uint8Array(new Float32Array([1.5, -2]).buffer));
    expect(Array.from(sectionAsFloat32(misaligned))).toEqual([1.5, -2]);
    expect(() => sectionAsFloat32(ck.sections.replay, 'replay')).toThrow(
      'Expected a byte length that is a multiple of 4 for replay but received Uint8Array(3)',
    );
  });

  it('detects a flipped byte in a section and in the header, naming the file and the part', () => {
    const bytes = concat(encodeCheckpoint(header(1), { params: params(3), optimizer: params(4) }));
    const sectionByte = bytes.slice();
    sectionByte[sectionByte.length - 10] ^= 0x40; // inside `optimizer`
    expect(() => decodeCheckpoint(sectionByte, 'x.ckpt')).toThrow(/Checkpoint x\.ckpt is corrupt: section 'optimizer' fails its CRC-32C check/);
    const headerByte = bytes.slice();
    headerByte[30] ^= 0x01;
    expect(() => decodeCheckpoint(headerByte, 'x.ckpt')).toThrow(/header fails the CRC-32C check/);
    expect(() => decodeCheckpoint(new TextEncoder().encode('hello world, not a checkpoint'), 'y')).toThrow('y is not a mario-rl checkpoint (bad magic bytes)');
  });

  it('rejects a header whose CRC matches but whose container fields are wrong, naming the field (parser fuzzer findings)', () => {
    const bytes = concat(encodeCheckpoint(header(1), { params: params(3) }));
    const headerLength = new DataView(bytes.buffer).getUint32(12, true);
    const good = JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + headerLength))) as Record<string, unknown>;
    const data = bytes.subarray(Math.ceil((24 + headerLength) / 64) * 64);
    /** The file with its header replaced and re-sealed (length, CRC, padding): what a broken writer or a crafted file gives. */
    const sealed = (h: unknown): Uint8Array => {
      const json = new TextEncoder().encode(JSON.stringify(h));
      const start = Math.ceil((24 + json.length) / 64) * 64;
      const out = new Uint8Array(start + data.length);
      out.set(bytes.subarray(0, 24));
      new DataView(out.buffer).setUint32(12, json.length, true);
      new DataView(out.buffer).setUint32(16, crc32c(json), true);
      out.set(json, 24);
      out.set(data, start);
      return out;
    };
    const section = (good.sections as Record<string, unknown>[])[0]!;
    const cases: [unknown, string][] = [
      [null, 'Checkpoint x.ckpt is corrupt: Expected a JSON object for the header but received null'],
      [{ ...good, sections: 'x' }, 'Checkpoint x.ckpt is corrupt: Expected an array of sections for header.sections but received "x"'],
      [{ ...good, dataLength: '1' }, 'Expected an integer >= 0 for header.dataLength but received "1"'],
      [{ ...good, globalStep: -1 }, 'Expected an integer >= 0 for header.globalStep but received -1'],
      [{ ...good, sections: [null] }, 'Expected a section object for header.sections[0] but received null'],
      [
        { ...good, sections: [{ ...section, crc32c: undefined }] },
        'Expected a CRC-32C (an integer in [0, 4294967295]) for header.sections[0].crc32c but received undefined',
      ],
      [{ ...good, sections: [{ ...section, name: '' }] }, 'Expected a non-empty string for header.sections[0].name'],
      [{ ...good, sections: [{ ...section, offset: 64 }] }, "Expected a section inside the data area (4000 bytes) for header.sections[0] ('params')"],
    ];
    for (const [h, message] of cases) {
      let err: unknown;
      try {
        decodeCheckpoint(sealed(h), 'x.ckpt');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CheckpointError);
      expect((err as CheckpointError).message).toContain(message);
      expect((err as CheckpointError).problem).toBe('corrupt');
    }
    expect(decodeCheckpoint(sealed(good), 'x.ckpt').header.globalStep).toBe(1);
  });

  it('detects truncation at any length', () => {
    const bytes = concat(encodeCheckpoint(header(1), { params: params(5, 100) }));
    for (const len of [0, 5, 20, 30, 200, bytes.length - 1]) {
      let error: unknown;
      try {
        decodeCheckpoint(bytes.subarray(0, len), 't.ckpt');
      } catch (e) {
        error = e;
      }
      expect(error, `length ${len}`).toBeInstanceOf(CheckpointError);
      expect((error as CheckpointError).problem).toBe('truncated');
    }
  });

  it('rejects another schema version with a clear message', () => {
    const path = join(root, 'future.ckpt');
    writeCheckpoint(path, header(1), {}, { schemaVersion: 2 });
    expect(() => readCheckpoint(path)).toThrow(
      `Checkpoint ${path} has schema version 2, but this version of mario-rl reads schema version 1; resume it with the mario-rl version that wrote it, or start a new run`,
    );
    expect(readCheckpoint(path, { schemaVersion: 2 }).header.globalStep).toBe(1);
    expect(() =>
      readCheckpoint(path, { schemaVersion: 2, isCompatible: (h) => (h.config as { algo: string }).algo === 'dqn' || 'it was written by a ppo run' }),
    ).toThrow(/is not compatible with this run: it was written by a ppo run/);
  });
});

describe('CheckpointStore', () => {
  it('keeps the newest K periodic checkpoints plus latest', () => {
    const s = store(undefined, 2);
    for (const step of [100, 200, 300, 400]) s.save(header(step), { params: params(step) });
    const names = readdirSync(s.dir).sort();
    expect(names).toEqual(['latest.ckpt', 'step-000000000300.ckpt', 'step-000000000400.ckpt']);
    const newest = s.loadNewest();
    expect(newest.checkpoint!.header.globalStep).toBe(400);
    expect(Buffer.compare(newest.checkpoint!.sections.params, params(400))).toBe(0);
    expect(statSync(s.latestPath).ino).toBe(statSync(s.pathForStep(400)).ino); // hard link, no copy
    s.saveLatest(header(450), { params: params(450) });
    expect(s.resolveResume('latest').checkpoint!.header.globalStep).toBe(450);
    expect(readdirSync(s.dir)).toHaveLength(3);
    expect(warnings).toEqual([]);
  });

  it("retention deletes only its own run's periodic checkpoints (runId), never another run's", () => {
    const dir = join(root, 'shared', 'checkpoints');
    const other = store(dir, 2);
    other.runId = 'run-a';
    for (const step of [100, 200]) other.save({ ...header(step), runId: 'run-a' }, { params: params(step) });
    const mine = store(dir, 2);
    mine.runId = 'run-b';
    for (const step of [300, 400, 500]) mine.save({ ...header(step), runId: 'run-b' }, { params: params(step) });
    expect(readdirSync(dir).sort()).toEqual([
      'latest.ckpt',
      'step-000000000100.ckpt',
      'step-000000000200.ckpt',
      'step-000000000400.ckpt',
      'step-000000000500.ckpt',
    ]);
  });

  it('falls back to the previous checkpoint when the newest is truncated, with a warning naming it', () => {
    const s = store();
    s.save(header(100), { params: params(100) });
    s.save(header(200), { params: params(200) });
    s.saveLatest(header(250), { params: params(250) });
    truncateSync(s.latestPath, statSync(s.latestPath).size - 100);
    const r = s.resolveResume('latest');
    expect(r.checkpoint!.header.globalStep).toBe(200);
    expect(r.checkpoint!.path).toBe(s.pathForStep(200));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`skipping checkpoint ${s.latestPath}`);
    expect(warnings[0]).toMatch(/is truncated: expected \d+ bytes but the file has \d+/);
    expect(r.skipped.map((e) => e.problem)).toEqual(['truncated']);
  });

  it('falls back past a corrupt byte inside the newest periodic file and its latest link', () => {
    const s = store();
    s.save(header(100), { params: params(100) });
    s.save(header(200), { params: params(200) });
    const newest = s.pathForStep(200);
    const bytes = readFileSync(newest);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(newest, bytes); // in place: latest (same inode) is corrupt too
    const r = s.loadNewest();
    expect(r.checkpoint!.header.globalStep).toBe(100);
    expect(warnings).toHaveLength(1); // one file, reported once
    expect(warnings[0]).toMatch(/section 'params' fails its CRC-32C check/);
  });

  it("'latest' with nothing usable throws; 'none' starts fresh; a named bad file throws its reason", () => {
    const s = store();
    expect(() => s.resolveResume('latest')).toThrow(/resume is 'latest' but .* holds no usable checkpoint/);
    expect(s.resolveResume('none').checkpoint).toBeNull();
    const bad = join(root, 'bad.ckpt');
    writeFileSync(bad, 'garbage!'.repeat(10));
    expect(() => s.resolveResume(bad)).toThrow(/is not a mario-rl checkpoint/);
    expect(() => s.resolveResume(join(root, 'nope.ckpt'))).toThrow(/does not exist/);
    s.save(header(7), {});
    expect(s.resolveResume(s.pathForStep(7)).checkpoint!.header.globalStep).toBe(7);
  });

  it("'auto' finds the newest compatible checkpoint anywhere under the run tree", () => {
    const a = store(join(root, 'runs', 'a', 'checkpoints'));
    const b = store(join(root, 'runs', 'b', 'nested', 'checkpoints'));
    a.save(header(100), {});
    b.save(header(50), {}); // saved later: newer
    const dqn = join(root, 'runs', 'c', 'dqn.ckpt');
    mkdirSync(join(root, 'runs', 'c'));
    writeCheckpoint(dqn, { ...header(9), config: { algo: 'dqn' } }, {}, { savedAt: clock + 100 });
    const future = join(root, 'runs', 'future.ckpt');
    writeCheckpoint(future, header(999), {}, { schemaVersion: 9, savedAt: clock + 200 });
    writeFileSync(join(root, 'runs', 'a', 'checkpoints', '.step-x.ckpt.tmp-1-1'), 'partial');
    const isCompatible = (h: CheckpointHeader) => (h.config as { algo: string }).algo === 'ppo' || 'different algorithm';
    const r = findNewestCheckpoint(join(root, 'runs'), { isCompatible, onWarning: (m) => warnings.push(m) });
    expect(r.checkpoint!.header.globalStep).toBe(50);
    expect(r.checkpoint!.path).toContain(join('runs', 'b'));
    expect(r.skipped.map((e) => e.problem).sort()).toEqual(['incompatible', 'incompatible']);
    expect(warnings).toEqual([]); // other runs' files are not worth a warning
    const withCheck = new CheckpointStore(join(root, 'runs', 'a', 'checkpoints'), { isCompatible });
    expect(withCheck.resolveResume('auto', join(root, 'runs')).checkpoint!.header.globalStep).toBe(50);
    // Without the algorithm check the newer DQN file wins; the schema-9 file never does.
    expect(a.resolveResume('auto', join(root, 'runs')).checkpoint!.header.globalStep).toBe(9);
    expect(findNewestCheckpoint(join(root, 'empty')).checkpoint).toBeNull();
  });

  it('a crash between the temp write and the rename leaves the old checkpoint intact', () => {
    const dir = join(root, 'run', 'checkpoints');
    const ok = store(dir);
    ok.save(header(100), { params: params(100) });
    const crashing = new CheckpointStore(dir, {
      onWarning: (m) => warnings.push(m),
      hooks: {
        beforeRename: (temp) => {
          expect(existsSync(temp)).toBe(true);
          throw new Error('simulated crash');
        },
      },
    });
    expect(() => crashing.save(header(200), { params: params(200) })).toThrow('simulated crash');
    expect(() => crashing.saveLatest(header(300), { params: params(300) })).toThrow('simulated crash');
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toHaveLength(2);
    // A fresh store (the restarted process) cleans the debris and resumes from the intact file.
    const restarted = store(dir);
    expect(warnings.some((w) => w.includes('removed 2 incomplete checkpoint write(s)'))).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['latest.ckpt', 'step-000000000100.ckpt']);
    const r = restarted.resolveResume('latest');
    expect(r.checkpoint!.header.globalStep).toBe(100);
    expect(Buffer.compare(r.checkpoint!.sections.params, params(100))).toBe(0);
  });
});
