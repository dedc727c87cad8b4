/**
 * The `Nes` API on a synthetic cartridge (no ROM files needed): argument validation with the
 * project's message shape, raw native re-checks, lifetime after close(), frame boundary.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { Nes, RGB_FRAME_BYTES, type NesBytes } from '../../src/index.js';
import { loadNative, nativeCandidates } from '../../src/native.js';
import { inesHeader, reverseBits, sealState, STATE_OFFSETS, stateChecksum, syntheticRom } from './helpers.js';

const ROM = syntheticRom();

describe('Nes construction', () => {
  it('accepts every BufferSource form of the ROM', () => {
    const copies: NesBytes[] = [ROM, ROM.slice().buffer, Buffer.from(ROM), new DataView(ROM.slice().buffer), new Uint16Array(ROM.slice().buffer)];
    for (const rom of copies) {
      const nes = new Nes(rom);
      expect(nes.mapper).toBe(0);
      expect(nes.frameCount).toBe(0);
      nes.close();
    }
  });

  it('rejects a ROM that is not a BufferSource', () => {
    expect(() => new Nes('game.nes' as never)).toThrow(
      new TypeError('Expected a BufferSource (Uint8Array, Buffer, ArrayBuffer or typed array) for rom but received "game.nes"'),
    );
    expect(() => new Nes(undefined as never)).toThrow(TypeError);
    expect(() => new Nes([0x4e, 0x45] as never)).toThrow(/for rom but received an array of length 2/);
  });

  it('rejects garbage, truncated and unsupported ROMs with an Error naming the problem', () => {
    expect(() => new Nes(new Uint8Array(8))).toThrow(/16-byte iNES header/);
    expect(() => new Nes(new Uint8Array(64))).toThrow(/iNES magic/);
    expect(() => new Nes(ROM.subarray(0, 16 + 0x3000))).toThrow(Error);
    const mmc5 = ROM.slice();
    mmc5.set(inesHeader(5, 1, 1), 0);
    expect(() => new Nes(mmc5)).toThrow(/Unsupported mapper 5/);
  });

  it('validates options: unknown keys, powerOnRam choices, seed range', () => {
    expect(() => new Nes(ROM, { powerOnRAM: 'ff' } as never)).toThrow(
      new TypeError("Unknown option 'powerOnRAM' for Nes options; known options are powerOnRam, seed, backend, fastPaths"),
    );
    expect(() => new Nes(ROM, { powerOnRam: 'one' as never })).toThrow(
      new RangeError("Expected one of 'zero', 'ff', 'random' for powerOnRam but received \"one\""),
    );
    expect(() => new Nes(ROM, { seed: -1 })).toThrow(new RangeError('Expected an integer in [0, 9007199254740991] for seed but received -1'));
    expect(() => new Nes(ROM, { seed: 1.5 })).toThrow(RangeError);
    expect(() => new Nes(ROM, { seed: '1' as never })).toThrow(TypeError);
    expect(() => new Nes(ROM, 3 as never)).toThrow(/an options object for Nes options but received 3/);
  });

  it('fills power-on RAM as asked, deterministically per seed', () => {
    const zero = new Nes(ROM);
    expect(zero.ram.every((b) => b === 0)).toBe(true);
    const ff = new Nes(ROM, { powerOnRam: 'ff' });
    expect(ff.ram.every((b) => b === 0xff)).toBe(true);
    const a = new Nes(ROM, { powerOnRam: 'random', seed: 7 });
    const b = new Nes(ROM, { powerOnRam: 'random', seed: 7 });
    const c = new Nes(ROM, { powerOnRam: 'random', seed: 8 });
    expect(Array.from(a.ram)).toEqual(Array.from(b.ram));
    expect(Array.from(a.ram)).not.toEqual(Array.from(c.ram));
    expect(new Set(a.ram).size).toBeGreaterThan(100);
    for (const n of [zero, ff, a, b, c]) n.close();
  });
});

describe('Nes argument validation', () => {
  const nes = new Nes(ROM);

  it('checks buttons and step options', () => {
    expect(() => nes.stepFrame(300)).toThrow(new RangeError('Expected an integer in [0, 255] for buttons but received 300'));
    expect(() => nes.stepFrame(-1)).toThrow(RangeError);
    expect(() => nes.stepFrame(0.5)).toThrow(RangeError);
    expect(() => nes.stepFrame('8' as never)).toThrow(TypeError);
    expect(() => nes.stepFrame(0, { rendr: false } as never)).toThrow(new TypeError("Unknown option 'rendr' for stepFrame options; known options are render"));
    expect(() => nes.stepFrame(0, { render: 0 as never })).toThrow(new TypeError('Expected a boolean for render but received 0'));
    expect(() => nes.stepFrames([1, 2] as never)).toThrow(new TypeError('Expected a Uint8Array for buttons but received an array of length 2'));
    expect(() => nes.stepFrames(new Int8Array(2) as never)).toThrow(TypeError);
    expect(() => nes.stepFrames(new Uint8Array(2), null as never)).toThrow(TypeError);
    expect(nes.frameCount).toBe(0);
  });

  it('checks addresses and values of peek/poke', () => {
    expect(() => nes.peek(0x10000)).toThrow(new RangeError('Expected an integer in [0, 65535] for address but received 65536'));
    expect(() => nes.peek(-1)).toThrow(RangeError);
    expect(() => nes.peek('0' as never)).toThrow(TypeError);
    expect(() => nes.peekPpu(0x4000)).toThrow(new RangeError('Expected an integer in [0, 16383] for address but received 16384'));
    expect(() => nes.poke(0x8000, 1)).toThrow(new RangeError('Expected an address in [0x0000, 0x1FFF] or [0x6000, 0x7FFF] for address but received 0x8000'));
    expect(() => nes.poke(0x2000, 1)).toThrow(RangeError);
    expect(() => nes.poke(0x10, 256)).toThrow(new RangeError('Expected an integer in [0, 255] for value but received 256'));
    nes.poke(0x0812, 0x5a); // mirror of $0012
    expect(nes.ram[0x12]).toBe(0x5a);
    expect(nes.peek(0x0012)).toBe(0x5a);
    expect(nes.peek(0x1812)).toBe(0x5a);
    nes.ram[0x13] = 0xa5; // the view writes straight into the console
    expect(nes.peek(0x13)).toBe(0xa5);
  });

  it('checks toRgb output buffers', () => {
    expect(() => nes.toRgb(new Uint8Array(10))).toThrow(
      new RangeError(`Expected a Uint8Array of length ${RGB_FRAME_BYTES} for out but received Uint8Array(10)`),
    );
    expect(() => nes.toRgb(new Float32Array(RGB_FRAME_BYTES) as never)).toThrow(TypeError);
    const out = new Uint8Array(RGB_FRAME_BYTES);
    expect(nes.toRgb(out)).toBe(out);
    expect(nes.toRgb().length).toBe(RGB_FRAME_BYTES);
  });

  it('checks states: type, truncation, other ROM; a failed load leaves the console unchanged', () => {
    nes.stepFrames(new Uint8Array(3));
    const state = nes.saveState();
    expect(state.length).toBe(nes.stateSize);
    expect(() => nes.loadState('state' as never)).toThrow(/Expected a BufferSource .* for state but received "state"/);
    expect(() => nes.loadState({} as never)).toThrow(TypeError);
    const ramBefore = Array.from(nes.ram);
    const framesBefore = nes.frameCount;
    expect(() => nes.loadState(state.subarray(0, state.length - 1))).toThrow(
      new Error(`Invalid save state: expected ${state.length} bytes but received ${state.length - 1}`),
    );
    expect(() => nes.loadState(new Uint8Array(0))).toThrow(/expected \d+ bytes but received 0/);
    expect(() => nes.loadState(new Uint8Array(state.length))).toThrow(/bad magic/);
    const nextVersion = state.slice();
    new DataView(nextVersion.buffer).setUint32(4, 5, true); // header: magic u32, version u32 (LE)
    expect(() => nes.loadState(nextVersion)).toThrow(/version 5 is not the supported version 4/);
    // Version 3 had no DMC in the APU state: refused, never loaded with the DMC idle.
    const version3 = state.slice();
    new DataView(version3.buffer).setUint32(4, 3, true);
    expect(() => nes.loadState(version3)).toThrow(/version 3 is not the supported version 4/);
    const other = new Nes(syntheticRom(0x16));
    expect(() => other.loadState(state)).toThrow(/saved from a different ROM/);
    other.close();
    expect(() => nes.saveStateInto(new Uint8Array(state.length + 1))).toThrow(RangeError);
    expect(() => nes.saveStateInto(Buffer.alloc(state.length) as never)).not.toThrow();
    expect(Array.from(nes.ram)).toEqual(ramBefore);
    expect(nes.frameCount).toBe(framesBefore);
    nes.loadState(state.buffer.slice(state.byteOffset, state.byteOffset + state.length));
    expect(nes.frameCount).toBe(framesBefore);
  });

  it('rejects a state whose body was corrupted (checksum), leaving the console unchanged', () => {
    nes.stepFrames(new Uint8Array(2));
    const state = nes.saveState();
    expect(stateChecksum(state.subarray(32))).toBe(new DataView(state.buffer).getBigUint64(24, true));
    const ramBefore = Array.from(nes.ram);
    for (const at of [32, STATE_OFFSETS.ppuClock + 5, state.length - 1]) {
      const bad = state.slice();
      bad[at] ^= 0x10;
      expect(() => nes.loadState(bad)).toThrow(new Error('Invalid save state: state is corrupt (the checksum of its body does not match)'));
    }
    expect(Array.from(nes.ram)).toEqual(ramBefore);
    nes.loadState(state);
  });

  it('rejects crafted states (valid checksum, a field out of range) with the field named', () => {
    nes.stepFrames(new Uint8Array(2));
    const state = nes.saveState();
    const framesBefore = nes.frameCount;
    const crafted = (edit: (view: DataView) => void) => {
      const bad = state.slice();
      edit(new DataView(bad.buffer));
      return sealState(bad);
    };
    const cases: Array<[(view: DataView) => void, RegExp]> = [
      [
        (v) => v.setBigUint64(STATE_OFFSETS.ppuClock, 715782093350652n, true),
        /Expected a PPU clock within \d+ dots of 3 × cpu.cycles \(\d+\) for ppu.clock but received 715782093350652/,
      ],
      [(v) => v.setInt16(STATE_OFFSETS.ppuLine, 300, true), /Expected a scanline in \[0, 261\] for ppu.line but received 300/],
      [(v) => v.setInt16(STATE_OFFSETS.ppuDot, -5, true), /for ppu.dot but received -5/],
      [(v) => v.setUint8(STATE_OFFSETS.ppuFineX, 200), /Expected a fine X scroll in \[0, 7\] for ppu.fine_x but received 200/],
      [(v) => v.setUint8(STATE_OFFSETS.ppuSpriteCount, 9), /for ppu.sprite_count but received 9/],
      [(v) => v.setInt16(STATE_OFFSETS.ppuRenderedX, 4000, true), /for ppu.rendered_x but received 4000/],
      [(v) => v.setUint16(STATE_OFFSETS.ppuNtOffset + 2, 0x1000, true), /for ppu.nt_offset\[1\] but received 4096/],
      [(v) => v.setUint32(STATE_OFFSETS.apuFrameStep, 77, true), /for apu.frame_step but received 77/],
      [(v) => v.setUint16(STATE_OFFSETS.apuDmcPeriod, 0, true), /for apu.dmc_period but received 0/],
      [(v) => v.setBigUint64(STATE_OFFSETS.cpuCycles, 1n << 62n, true), /for cpu.cycles but received/],
    ];
    for (const [edit, message] of cases) {
      expect(() => nes.loadState(crafted(edit))).toThrow(message);
      expect(() => nes.loadState(crafted(edit))).toThrow(/^Invalid save state: Expected /);
    }
    // Nothing was committed: the console runs on from where it was.
    expect(nes.frameCount).toBe(framesBefore);
    nes.stepFrames(new Uint8Array(2));
    expect(nes.frameCount).toBe(framesBefore + 2);
    // An edit that stays in range (the last RAM byte) is accepted once sealed.
    nes.loadState(crafted((v) => v.setUint8(state.length - 1, 0x42)));
  });

  it('checks CPU register writes', () => {
    const regs = nes.cpu;
    expect(Object.keys(regs).sort()).toEqual(['a', 'cycles', 'p', 'pc', 'sp', 'x', 'y']);
    expect(() => nes.setCpu({ ...regs, pc: 0x10000 })).toThrow(new RangeError('Expected an integer in [0, 65535] for pc but received 65536'));
    expect(() => nes.setCpu({ ...regs, a: 256 })).toThrow(RangeError);
    expect(() => nes.setCpu({ pc: 0 } as never)).toThrow(/for a but received undefined/);
    expect(() => nes.setCpu({ ...regs, q: 1 } as never)).toThrow(/Unknown option 'q'/);
    nes.cpu = { ...regs, a: 0x42 };
    expect(nes.cpu.a).toBe(0x42);
  });
});

describe('raw NesCore re-checks arguments in C++', () => {
  const { NesCore } = loadNative();

  it('rejects bad constructor arguments', () => {
    expect(() => new NesCore('rom' as never, 0, 0, 1)).toThrow(new TypeError('Expected a Uint8Array for rom but received a string'));
    expect(() => new NesCore(ROM, 3, 0, 1)).toThrow(RangeError);
    expect(() => new NesCore(ROM, 0, -1, 1)).toThrow(RangeError);
    expect(() => new NesCore(ROM, 0, 0, 2)).toThrow(new RangeError('Expected an integer in [0, 1] for fastPaths but received 2'));
    expect(() => new NesCore(new Uint8Array(3), 0, 0, 1)).toThrow(/iNES header/);
  });

  it('rejects bad method arguments without crashing', () => {
    const core = new NesCore(ROM, 0, 0, 1);
    expect(() => core.stepFrame(300, true)).toThrow(new RangeError('Expected an integer in [0, 255] for buttons but received 300'));
    expect(() => core.stepFrame(1, 'yes' as never)).toThrow(TypeError);
    expect(() => core.stepFrames(new Uint16Array(4) as never, true)).toThrow(TypeError);
    expect(() => core.peek(70000)).toThrow(RangeError);
    expect(() => core.peekPpu(0x4000)).toThrow(RangeError);
    expect(() => core.poke(0x8000, 1)).toThrow(RangeError);
    expect(() => core.toRgb(new Uint8Array(5))).toThrow(RangeError);
    expect(() => core.saveStateInto(new Uint8Array(1))).toThrow(RangeError);
    expect(() => core.loadState(new Float64Array(2) as never)).toThrow(TypeError);
    expect(() => core.setCpu(0, 0, 0, 0, 0, 300)).toThrow(RangeError);
    expect(core.ramView()).toBe(core.ramView());
    core.close();
    core.close();
    expect(core.isClosed()).toBe(true);
    expect(() => core.stepFrame(0, true)).toThrow(new Error('Nes is closed'));
    expect(() => core.ramView()).toThrow('Nes is closed');
  });
});

describe('Nes after close()', () => {
  it('throws "Nes is closed" from every member while old views stay readable', () => {
    const nes = new Nes(ROM);
    nes.poke(0x10, 0x77);
    const ram = nes.ram;
    const frame = nes.frame;
    const state = nes.saveState();
    nes.close();
    nes.close();
    expect(nes.closed).toBe(true);
    const calls: [string, () => unknown][] = [
      ['stepFrame', () => nes.stepFrame(0)],
      ['stepFrames', () => nes.stepFrames(new Uint8Array(1))],
      ['reset', () => nes.reset()],
      ['ram', () => nes.ram],
      ['frame', () => nes.frame],
      ['peek', () => nes.peek(0)],
      ['poke', () => nes.poke(0, 0)],
      ['peekPpu', () => nes.peekPpu(0)],
      ['toRgb', () => nes.toRgb()],
      ['saveState', () => nes.saveState()],
      ['saveStateInto', () => nes.saveStateInto(new Uint8Array(state.length))],
      ['loadState', () => nes.loadState(state)],
      ['stateSize', () => nes.stateSize],
      ['frameCount', () => nes.frameCount],
      ['mapper', () => nes.mapper],
      ['cpu', () => nes.cpu],
      ['setCpu', () => nes.setCpu({ pc: 0, a: 0, x: 0, y: 0, p: 0, sp: 0 })],
      ['stepInstruction', () => nes.stepInstruction()],
      ['traceLine', () => nes.traceLine()],
    ];
    for (const [name, call] of calls) {
      expect(call, name).toThrow(new Error('Nes is closed'));
    }
    // Views handed out before close() are still backed by the (now detached) console's memory.
    expect(ram[0x10]).toBe(0x77);
    expect(frame.length).toBe(256 * 240);
    ram[0x11] = 1;
    expect(ram[0x11]).toBe(1);
  });

  it('survives garbage collection of closed consoles with live views', async () => {
    const views: Uint8Array[] = [];
    for (let i = 0; i < 50; i++) {
      const nes = new Nes(ROM);
      views.push(nes.ram, nes.frame);
      nes.close();
    }
    if (typeof globalThis.gc === 'function') globalThis.gc();
    await new Promise((r) => setTimeout(r, 10));
    expect(views.every((v) => v[0] === 0)).toBe(true);
  });
});

describe('view lifetime under forced garbage collection', () => {
  it('views outlive their console: collected wrappers, forced GCs, reads and writes stay valid', () => {
    const addon = nativeCandidates().find((p) => existsSync(p))!;
    // A child process with --expose-gc: the views must keep the console's memory alive after
    // close() and after the wrapper object itself has been collected.
    const script = `
      const { NesCore } = require(${JSON.stringify(addon)});
      const rom = new Uint8Array(Buffer.from(${JSON.stringify(Buffer.from(ROM).toString('base64'))}, 'base64'));
      const views = [];
      for (let i = 0; i < 200; i++) {
        let core = new NesCore(rom, 1, 0, 1);
        core.stepFrames(new Uint8Array(2), true);
        views.push(core.ramView(), core.frameView());
        if (i % 2 === 0) core.close();
        core = null;
        if (i % 20 === 0) globalThis.gc();
      }
      for (let i = 0; i < 5; i++) globalThis.gc();
      let sum = 0;
      for (const v of views) { v[1] = 7; sum += v[0] + v[1]; }
      views.length = 0;
      for (let i = 0; i < 5; i++) globalThis.gc();
      process.stdout.write('ok ' + sum);
    `;
    const run = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^ok \d+$/);
  });
});

describe('Nes behaviour on the synthetic cartridge', () => {
  it('RAM after stepFrame(b) already reflects b (frame boundary at the start of vblank)', () => {
    const nes = new Nes(ROM);
    nes.stepFrames(new Uint8Array(3));
    const counter = nes.ram[0];
    for (const b of [0x01, 0x80, 0x08, 0x82, 0xff, 0x00, 0x41]) {
      nes.stepFrame(b);
      expect(nes.ram[1], `buttons ${b}`).toBe(reverseBits(b));
    }
    expect(nes.ram[0]).toBe((counter + 7) & 0xff);
    expect(nes.frameCount).toBe(10);
    nes.close();
  });

  it('renders the backdrop colour and converts it through the palette', () => {
    const nes = new Nes(ROM);
    nes.stepFrames(new Uint8Array(4));
    expect(nes.peekPpu(0x3f00)).toBe(0x21);
    expect(nes.frame.every((p) => p === 0x21)).toBe(true);
    const rgb = nes.toRgb();
    const [r, g, b] = [rgb[0], rgb[1], rgb[2]];
    expect(b).toBeGreaterThan(r); // 0x21 is a light blue
    for (let i = 0; i < RGB_FRAME_BYTES; i += 3) {
      if (rgb[i] !== r || rgb[i + 1] !== g || rgb[i + 2] !== b) throw new Error(`pixel ${i / 3} differs`);
    }
    nes.close();
  });

  it('reset() restarts the program and keeps RAM', () => {
    const nes = new Nes(ROM);
    nes.stepFrames(new Uint8Array(10));
    nes.poke(0x300, 0x99);
    nes.reset();
    expect(nes.cpu.pc).toBe(0xc000);
    expect(nes.peek(0x300)).toBe(0x99);
    nes.close();
  });
});
