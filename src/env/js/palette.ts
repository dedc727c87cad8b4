/** The NES master palette (defined in src/backend/palette.ts, beside the jsnes core that renders with it). */
export { NES_PALETTE_RGB } from '../../backend/palette.js';
