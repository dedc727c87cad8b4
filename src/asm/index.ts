/** The 6502 assembler that builds the built-in game (docs/assembler.md). */
export { assemble, assembleFile } from './assembler.js';
export type { AssembleOptions, AssembleResult, ListingEntry, SegmentImage } from './assembler.js';
export { AsmError } from './errors.js';
export type { AsmDiagnostic } from './errors.js';
export { inesHeader } from './ines.js';
export type { InesOptions } from './ines.js';
export { OPCODES, OPERAND_SIZE, MODE_SYNTAX, isMnemonic } from './opcodes.js';
export type { AddressingMode } from './opcodes.js';
