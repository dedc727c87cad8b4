/**
 * Input scripts for the built-in game, as runs of [frames, controller byte] (A=0x01 B=0x02
 * START=0x08 RIGHT=0x80). Each starts on the first frame after the stage has loaded (RAM mode = 1)
 * after START on the title screen.
 * Recorded once from a simple look-ahead bot; the game is deterministic, so they replay exactly.
 */

/** Clears stage 1: hold RIGHT+B and jump (30 frames of A) at each pit, wall and walker. */
export const STAGE1_CLEAR: [number, number][] = [
  [37, 0x82],
  [30, 0x83],
  [34, 0x82],
  [30, 0x83],
  [6, 0x82],
  [30, 0x83],
  [44, 0x82],
  [30, 0x83],
  [29, 0x82],
  [30, 0x83],
  [80, 0x82],
];

/** Clears stage 2 the same way. */
export const STAGE2_CLEAR: [number, number][] = [
  [44, 0x82],
  [30, 0x83],
  [34, 0x82],
  [30, 0x83],
  [6, 0x82],
  [30, 0x83],
  [36, 0x82],
  [30, 0x83],
  [6, 0x82],
  [30, 0x83],
  [31, 0x82],
  [30, 0x83],
  [6, 0x82],
  [30, 0x83],
  [38, 0x82],
];

/** Expands runs into one controller byte per frame. */
export function expand(runs: [number, number][]): number[] {
  return runs.flatMap(([frames, buttons]) => new Array<number>(frames).fill(buttons));
}
