/** The 16-byte iNES header (the original format; NES 2.0 fields left zero). */

/** What the header says about the cartridge. */
export interface InesOptions {
  /** PRG ROM size in 16 KiB units. */
  prgBanks: number;
  /** CHR ROM size in 8 KiB units (0 = CHR RAM). */
  chrBanks: number;
  /** iNES mapper number (0 = NROM). */
  mapper: number;
  /** Nametable mirroring wired on the board. */
  mirroring: 'horizontal' | 'vertical';
}

/** Builds the header: "NES" 0x1A, sizes, flags 6/7 (mirroring, mapper nibbles), zero padding. */
export function inesHeader(options: InesOptions): Uint8Array {
  const header = new Uint8Array(16);
  header.set([0x4e, 0x45, 0x53, 0x1a]);
  header[4] = options.prgBanks;
  header[5] = options.chrBanks;
  header[6] = ((options.mapper & 0x0f) << 4) | (options.mirroring === 'vertical' ? 1 : 0);
  header[7] = options.mapper & 0xf0;
  return header;
}
