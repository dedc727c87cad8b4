/**
 * Straightforward TypeScript references for the env tests: the preprocessing (luma, crop,
 * area-average resize, max-pool, frame stack) written pixel by pixel from its definition, and the
 * SMB1 RAM rules of the SMB RAM map reference (docs/env.md).
 */
export interface RefSpec {
  width: number;
  height: number;
  stack: number;
  grayscale: boolean;
  cropTop: number;
  cropBottom: number;
  cropLeft: number;
  cropRight: number;
}

/** Channel values of palette index i: luma (one channel) or R, G, B. */
export function channelsOf(palette: Uint8Array, grayscale: boolean, index: number): number[] {
  const r = palette[3 * index]!,
    g = palette[3 * index + 1]!,
    b = palette[3 * index + 2]!;
  return grayscale ? [Math.floor((299 * r + 587 * g + 114 * b + 500) / 1000)] : [r, g, b];
}

/** Length of the overlap of [a0, a1) and [b0, b1). */
function overlap(a0: number, a1: number, b0: number, b1: number): number {
  return Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
}

/** One frame -> [C, H, W], optionally max-pooled with `prev` (palette indices too). */
export function refPreprocess(palette: Uint8Array, spec: RefSpec, frame: Uint8Array, prev?: Uint8Array): Uint8Array {
  const C = spec.grayscale ? 1 : 3;
  const sw = 256 - spec.cropLeft - spec.cropRight;
  const sh = 240 - spec.cropTop - spec.cropBottom;
  const out = new Uint8Array(C * spec.width * spec.height);
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < spec.height; y++) {
      for (let x = 0; x < spec.width; x++) {
        // Output pixel covers [x*sw, (x+1)*sw) in source units scaled by width (same for y).
        let sum = 0;
        for (let sy = 0; sy < sh; sy++) {
          const wy = overlap(sy * spec.height, (sy + 1) * spec.height, y * sh, (y + 1) * sh);
          if (wy === 0) continue;
          for (let sx = 0; sx < sw; sx++) {
            const wx = overlap(sx * spec.width, (sx + 1) * spec.width, x * sw, (x + 1) * sw);
            if (wx === 0) continue;
            const p = (spec.cropTop + sy) * 256 + spec.cropLeft + sx;
            let v = channelsOf(palette, spec.grayscale, frame[p]! & 63)[c]!;
            if (prev) v = Math.max(v, channelsOf(palette, spec.grayscale, prev[p]! & 63)[c]!);
            sum += wx * wy * v;
          }
        }
        const den = sw * sh;
        out[c * spec.width * spec.height + y * spec.width + x] = Math.floor((sum + Math.floor(den / 2)) / den);
      }
    }
  }
  return out;
}

/** Frame stack: keeps the last `stack` frames; the first push fills every slot. */
export class RefFrameStack {
  frames: Uint8Array[] = [];
  constructor(readonly stack: number) {}
  push(frame: Uint8Array): Uint8Array {
    if (this.frames.length === 0) this.frames = Array.from({ length: this.stack }, () => frame);
    else this.frames = [...this.frames.slice(1), frame];
    const size = frame.length;
    const out = new Uint8Array(size * this.stack);
    this.frames.forEach((f, i) => out.set(f, i * size));
    return out;
  }
}

/** SMB1 quantities from RAM, per smb.md. */
export function refSmb1(ram: Uint8Array) {
  const digits = (a: number, n: number) => {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 10 + (ram[a + i]! % 16);
    return v;
  };
  const viewport = ram[0x00b5]!;
  const yPixel = ram[0x03b8]!;
  const playerState = ram[0x000e]!;
  const slots = Array.from(ram.subarray(0x16, 0x1b));
  const goalObject = slots.includes(0x2d) || slots.includes(0x31);
  const stageOver = goalObject && (ram[0x001d] === 3 || playerState === 0x04);
  const worldOver = ram[0x0770] === 2;
  return {
    xPos: ram[0x6d]! * 256 + ram[0x86]!,
    yPos: viewport < 1 ? 255 + (255 - yPixel) : 255 - yPixel,
    world: ram[0x075f]! + 1,
    stage: ram[0x075c]! + 1,
    area: ram[0x0760]!,
    lives: ram[0x075a]!,
    coins: digits(0x07ed, 2),
    score: digits(0x07de, 6),
    time: digits(0x07f8, 3),
    status: ram[0x0756]!,
    playerState,
    dying: playerState === 0x0b || viewport > 1,
    dead: playerState === 0x06,
    busy: playerState <= 0x05 || playerState === 0x07,
    flagGet: stageOver || worldOver,
    worldOver,
  };
}

/** gym-super-mario-bros v0 reward of one frame: clip(dx + dclock + death, -15, 15). */
export function refV0Reward(prev: { xPos: number; time: number }, cur: ReturnType<typeof refSmb1>): number {
  let dx = cur.xPos - prev.xPos;
  if (dx < -5 || dx > 5) dx = 0;
  const dclock = Math.min(0, cur.time - prev.time);
  const death = cur.dying || cur.dead ? -25 : 0;
  return Math.max(-15, Math.min(15, dx + dclock + death));
}

/**
 * Tile grids (docs/env.md "Tile grids"), cell by cell from the definition: cell (r, c) covers
 * screen y in [32 + 16r, 48 + 16r) and level column floor(screenLeft / 16) + c; objects are
 * stamped items, then enemies, then the player (clamped into the grid); class ids 0 empty,
 * 1 solid, 2 enemy, 3 player, 4 item.
 */
function stampInto(grid: Uint8Array, rows: number, cols: number, row: number, col: number, cls: number, clamp = false): void {
  if (clamp) {
    row = Math.min(rows - 1, Math.max(0, row));
    col = Math.min(cols - 1, Math.max(0, col));
  }
  if (row >= 0 && row < rows && col >= 0 && col < cols) grid[row * cols + col] = cls;
}

/** SMB1 block-buffer metatile -> class. */
export function refSmb1MetatileClass(m: number): number {
  if (m === 0 || m === 0x26 || m === 0x5f || m === 0x60) return 0;
  if ([0x24, 0x25, 0x6d, 0xc0, 0xc1, 0xc2, 0xc3, 0xc5].includes(m)) return 4;
  return 1;
}

/** SMB1 tile grid from RAM (smb.md "The level as a tile grid"). */
export function refSmb1Tiles(ram: Uint8Array, rows: number, cols: number): Uint8Array {
  const grid = new Uint8Array(rows * cols);
  const firstCol = Math.floor((ram[0x071a]! * 256 + ram[0x071c]!) / 16);
  const nextCol = ram[0x0725]! * 16 + ram[0x0726]!; // the area parser's next column
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const col = firstCol + c;
      if (r >= 13 || col >= nextCol || col < nextCol - 32) continue;
      grid[r * cols + c] = refSmb1MetatileClass(ram[0x0500 + (Math.floor(col / 16) % 2) * 0xd0 + r * 16 + (col % 16)]!);
    }
  }
  const at = (slot: number) => {
    const y = (ram[0x00b5 + slot]! - 1) * 256 + ram[0x00ce + slot]!;
    const x = ram[0x006d + slot]! * 256 + ram[0x0086 + slot]!;
    return [Math.floor(y / 16) - 1, Math.floor((x + 8) / 16) - firstCol] as const;
  };
  // The sprites the game drew for enemy slot i (6 of 4 bytes from its OAM offset at 0x06E5 + i in
  // the OAM shadow page 0x0200), each at the cell of its centre; y >= 0xEF is off the screen.
  const screenLeft = ram[0x071a]! * 256 + ram[0x071c]!;
  const sprites = (i: number, cls: number) => {
    for (let k = 0; k < 6; k++) {
      const at = 0x0200 + ((ram[0x06e5 + i]! + 4 * k) % 256);
      const [y, x] = [ram[at]!, ram[at + 3]!];
      if (y < 0xef) stampInto(grid, rows, cols, Math.floor((y + 4 - 32) / 16), Math.floor((screenLeft + x + 4) / 16) - firstCol, cls);
    }
  };
  // Platforms (0x24..0x2C) as solid, under everything else.
  for (let i = 0; i < 5; i++) if (ram[0x000f + i] && ram[0x0016 + i]! >= 0x24 && ram[0x0016 + i]! <= 0x2c) sprites(i, 1);
  // SprObject slots: 0 the player, 1..5 enemies, 6 the power-up.
  if (ram[0x0014] && ram[0x001b] === 0x2e) stampInto(grid, rows, cols, ...at(6), 4);
  for (let i = 0; i < 5; i++) {
    const t = ram[0x0016 + i]!;
    if (!ram[0x000f + i]) continue;
    if (t <= 0x15 || t === 0x2d || t === 0x33) stampInto(grid, rows, cols, ...at(1 + i), 2);
    else if (t >= 0x1b && t <= 0x1f) sprites(i, 2); // fire bars: each ball
  }
  stampInto(grid, rows, cols, ...at(0), 3, true);
  return grid;
}

/** Built-in game's tile grid from RAM (docs/builtin-game.md: level bytes at 0x0400, walkers, flag column). */
export function refRunnerTiles(ram: Uint8Array, rows: number, cols: number): Uint8Array {
  const grid = new Uint8Array(rows * cols);
  const firstCol = Math.floor((ram[0x31]! * 256 + ram[0x30]!) / 16);
  for (let r = 0; r < rows; r++) {
    const screenRow = r + 2;
    for (let c = 0; c < cols; c++) {
      const col = firstCol + c;
      if (col >= 64 || screenRow >= 15) continue;
      const byte = ram[0x0400 + col]!;
      const height = byte & 15;
      const brick = byte >> 4;
      if (screenRow >= 15 - height || (brick !== 0 && screenRow === brick)) grid[r * cols + c] = 1;
      else if (col === ram[0x3b]) grid[r * cols + c] = 4;
    }
  }
  const cell = (x: number, y: number) => [Math.floor((y + 8) / 16) - 2, Math.floor((x + 8) / 16) - firstCol] as const;
  for (let i = 0; i < 6; i++) {
    if (ram[0x40 + i] === 1) stampInto(grid, rows, cols, ...cell(ram[0x4c + i]! * 256 + ram[0x46 + i]!, ram[0x52 + i]!), 2);
  }
  stampInto(grid, rows, cols, ...cell(ram[0x25]! * 256 + ram[0x24]!, ram[0x27]!), 3, true);
  return grid;
}
