import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { TensorBoardWriter } from '../../src/run/tensorboard.js';

// ---- An independent reader: bitwise CRC-32C, hand-written protobuf decoding. ----

function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}
const mask = (crc: number) => (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;

type Field = { no: number; wire: number; value: bigint | Uint8Array };

function decodeFields(buf: Uint8Array): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[pos++];
      if (b === undefined) throw new Error('truncated varint');
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) fields.push({ no, wire, value: varint() });
    else if (wire === 1) {
      fields.push({ no, wire, value: buf.slice(pos, pos + 8) });
      pos += 8;
    } else if (wire === 5) {
      fields.push({ no, wire, value: buf.slice(pos, pos + 4) });
      pos += 4;
    } else if (wire === 2) {
      const len = Number(varint());
      fields.push({ no, wire, value: buf.slice(pos, pos + len) });
      pos += len;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  if (pos !== buf.length) throw new Error('field overran message');
  return fields;
}
const f64 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true);
const f32 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 4).getFloat32(0, true);

type Histo = { min: number; max: number; num: number; sum: number; sumSquares: number; limits: number[]; counts: number[] };
type Event = { wallTime?: number; step: number; fileVersion?: string; values: { tag: string; simple?: number; histo?: Histo }[] };

function decodeEvent(buf: Uint8Array): Event {
  const ev: Event = { step: 0, values: [] };
  for (const f of decodeFields(buf)) {
    if (f.no === 1 && f.wire === 1) ev.wallTime = f64(f.value as Uint8Array);
    else if (f.no === 2 && f.wire === 0) ev.step = Number(f.value);
    else if (f.no === 3 && f.wire === 2) ev.fileVersion = new TextDecoder().decode(f.value as Uint8Array);
    else if (f.no === 5 && f.wire === 2) {
      for (const v of decodeFields(f.value as Uint8Array)) {
        expect(v.no).toBe(1);
        const value: Event['values'][number] = { tag: '' };
        for (const g of decodeFields(v.value as Uint8Array)) {
          if (g.no === 1) value.tag = new TextDecoder().decode(g.value as Uint8Array);
          else if (g.no === 2 && g.wire === 5) value.simple = f32(g.value as Uint8Array);
          else if (g.no === 5) {
            const h: Histo = { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, limits: [], counts: [] };
            for (const k of decodeFields(g.value as Uint8Array)) {
              const b = k.value as Uint8Array;
              const doubles = () => Array.from({ length: b.length / 8 }, (_, i) => f64(b.subarray(i * 8)));
              if (k.no === 1) h.min = f64(b);
              else if (k.no === 2) h.max = f64(b);
              else if (k.no === 3) h.num = f64(b);
              else if (k.no === 4) h.sum = f64(b);
              else if (k.no === 5) h.sumSquares = f64(b);
              else if (k.no === 6) h.limits = doubles();
              else if (k.no === 7) h.counts = doubles();
            }
            value.histo = h;
          } else throw new Error(`unexpected Value field ${g.no}`);
        }
        ev.values.push(value);
      }
    } else throw new Error(`unexpected Event field ${f.no}`);
  }
  return ev;
}

function readEventFile(path: string): Event[] {
  const file = new Uint8Array(readFileSync(path));
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const events: Event[] = [];
  let pos = 0;
  while (pos < file.length) {
    const len = Number(view.getBigUint64(pos, true));
    expect(view.getUint32(pos + 8, true)).toBe(mask(crc32cBitwise(file.subarray(pos, pos + 8))));
    const data = file.subarray(pos + 12, pos + 12 + len);
    expect(view.getUint32(pos + 12 + len, true)).toBe(mask(crc32cBitwise(data)));
    events.push(decodeEvent(data));
    pos += 12 + len + 4;
  }
  return events;
}

// ---- Tests ----

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('TensorBoardWriter', () => {
  it('the independent CRC agrees with the published vector', () => {
    expect(crc32cBitwise(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });

  it('writes a file_version record then scalar events that an independent parser reads back', () => {
    dir = mkdtempSync(join(tmpdir(), 'mario-rl-tb-'));
    let clock = 1_700_000_000_000;
    const tb = new TensorBoardWriter(dir, { now: () => clock, flushEvery: 2 });
    expect(readdirSync(dir)).toEqual([expect.stringMatching(/^events\.out\.tfevents\.1700000000\./)]);
    clock += 1500;
    tb.addScalar('charts/episodic_return', 12.5, 3);
    tb.addScalars({ 'losses/value_loss': 0.25, 'losses/approx_kl': 0.0125 }, 2 ** 40);
    tb.addScalar('charts/learning_rate', NaN, 7, 42);
    tb.close();
    expect(() => tb.addScalar('x', 1, 1)).toThrow(/closed/);
    const events = readEventFile(tb.path);
    expect(events).toHaveLength(4);
    expect(events[0]).toMatchObject({ fileVersion: 'brain.Event:2', step: 0, wallTime: 1_700_000_000 });
    expect(events[1]).toEqual({ wallTime: 1_700_000_001.5, step: 3, values: [{ tag: 'charts/episodic_return', simple: 12.5 }] });
    expect(events[2].step).toBe(2 ** 40);
    expect(events[2].values.map((v) => v.tag)).toEqual(['losses/value_loss', 'losses/approx_kl']);
    expect(events[2].values[1].simple).toBeCloseTo(0.0125, 7);
    expect(events[3].wallTime).toBe(0.042);
    expect(events[3].values[0].simple).toBeNaN();
  });

  it('writes histograms with counts that add up', () => {
    dir = mkdtempSync(join(tmpdir(), 'mario-rl-tb-'));
    const tb = new TensorBoardWriter(dir, { filenameSuffix: '.learner' });
    expect(tb.path.endsWith('.learner')).toBe(true);
    const values = Float32Array.from({ length: 1000 }, (_, i) => (i % 100) / 10); // 0 .. 9.9
    tb.addHistogram('charts/advantages', values, 5, { bins: 10 });
    tb.addHistogram('empty', [], 6);
    tb.close();
    const second = new TensorBoardWriter(dir, { filenameSuffix: '.learner' });
    second.close();
    expect(second.path).not.toBe(tb.path);
    expect(readEventFile(second.path)).toHaveLength(1);
    const [, ev, empty] = readEventFile(tb.path);
    const h = ev.values[0].histo!;
    expect(ev.values[0].tag).toBe('charts/advantages');
    expect(h.num).toBe(1000);
    expect(h.min).toBe(0);
    expect(h.max).toBeCloseTo(9.9, 5);
    expect(h.limits).toHaveLength(10);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(h.counts[0]).toBe(100);
    expect(h.sum).toBeCloseTo(4950, 2);
    expect(empty.values[0].histo!.num).toBe(0);
  });

  it('flushes by time as well as by count: a slow run shows its scalars within flushSeconds', () => {
    dir = mkdtempSync(join(tmpdir(), 'mario-rl-tb-'));
    let clock = 1_700_000_000_000;
    const tb = new TensorBoardWriter(dir, { now: () => clock, flushSeconds: 5 });
    tb.addScalar('a', 1, 1);
    expect(readEventFile(tb.path)).toHaveLength(1); // buffered: under 32 events and 5 s
    clock += 5000;
    tb.addScalar('a', 2, 2);
    expect(readEventFile(tb.path)).toHaveLength(3);
    tb.close();
    expect(() => new TensorBoardWriter(dir, { flushSeconds: -1 })).toThrow(/for flushSeconds but received -1/);
  });

  it('detects a corrupted record with the independent reader', () => {
    dir = mkdtempSync(join(tmpdir(), 'mario-rl-tb-'));
    const tb = new TensorBoardWriter(dir);
    tb.addScalar('a', 1, 1);
    tb.close();
    const bytes = readFileSync(tb.path);
    bytes[bytes.length - 6] ^= 0x01; // inside the last payload
    const corrupt = join(dir, 'corrupt.tfevents');
    writeFileSync(corrupt, bytes);
    expect(() => readEventFile(corrupt)).toThrow();
  });
});
