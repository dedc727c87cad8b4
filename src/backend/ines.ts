/**
 * The iNES header as the jsnes backend checks it before handing a ROM to jsnes, with the native
 * parser's messages (native/nes/rom.cc) for the common faults, so a bad ROM reads the same on
 * both backends. No Node imports.
 */
/** What the game adapters and the jsnes core need from a ROM image. */
export interface InesRom {
  mapper: number;
  prg: Uint8Array;
  chr: Uint8Array;
  /** FNV-1a 64 of the image's used bytes (header, trainer, PRG, CHR) as 16 hex digits: tags save states. */
  hash: string;
}

/** Mappers both backends run (native/nes/mappers/registry.cc). */
export const SUPPORTED_MAPPERS: readonly number[] = [0, 1, 2, 3, 4, 7];

/** FNV-1a 64 of `bytes` as 16 hex digits, in two 32-bit halves (prime = 2^40 + 0x1B3). */
export function fnv1a64(bytes: Uint8Array): string {
  let lo = 0x84222325,
    hi = 0xcbf29ce4;
  for (let i = 0; i < bytes.length; i++) {
    lo = (lo ^ bytes[i]!) >>> 0;
    const p = lo * 0x1b3; // < 2^41: exact
    const carry = Math.floor(p / 0x100000000);
    hi = (Math.imul(hi, 0x1b3) + carry + (lo << 8)) >>> 0; // + (h << 40): lo's low 24 bits into hi
    lo = p >>> 0;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** Parses an iNES / NES 2.0 image; throws Error with the native parser's message for a bad one. */
export function parseInes(data: Uint8Array): InesRom {
  if (data.length < 16) throw new Error(`Invalid ROM: expected at least a 16-byte iNES header but received ${data.length} bytes`);
  if (data[0] !== 0x4e || data[1] !== 0x45 || data[2] !== 0x53 || data[3] !== 0x1a) {
    throw new Error('Invalid ROM: missing the iNES magic "NES\\x1A" at offset 0');
  }
  const f6 = data[6]!,
    f7 = data[7]!;
  const nes2 = (f7 & 0x0c) === 0x08;
  const trainer = (f6 & 0x04) !== 0;
  const junk = !nes2 && (data[12] !== 0 || data[13] !== 0 || data[14] !== 0 || data[15] !== 0);
  const mapper = nes2 ? (f6 >> 4) | (f7 & 0xf0) | ((data[8]! & 0x0f) << 8) : (f6 >> 4) | (junk ? 0 : f7 & 0xf0);
  const prgSize = (data[4]! | (nes2 ? (data[9]! & 0x0f) << 8 : 0)) * 16384;
  const chrSize = (data[5]! | (nes2 ? (data[9]! >> 4) << 8 : 0)) * 8192;
  if (prgSize === 0) throw new Error('Invalid ROM header: PRG-ROM size (byte 4) is 0');
  if (!SUPPORTED_MAPPERS.includes(mapper)) throw new Error(`Unsupported mapper ${mapper}`);
  const needed = 16 + (trainer ? 512 : 0) + prgSize + chrSize;
  if (data.length < needed) {
    throw new Error(
      `Invalid ROM: truncated; the header declares ${prgSize} bytes of PRG-ROM and ${chrSize} bytes of CHR-ROM` +
        `${trainer ? ' plus a 512-byte trainer' : ''} (${needed} bytes with the header) but the image has ${data.length} bytes`,
    );
  }
  const prgStart = 16 + (trainer ? 512 : 0);
  return {
    mapper,
    prg: data.subarray(prgStart, prgStart + prgSize),
    chr: data.subarray(prgStart + prgSize, needed),
    hash: fnv1a64(data.subarray(0, needed)),
  };
}
