/**
 * What `mario-rl export-web` tells the page (`src/web/page/`): the game, how the env steps and
 * what the policy sees, written as JSON into the page's `index.html`. Types and names only, no
 * imports, so the Node writer (site.ts) and the browser page share one definition.
 */

/** Version of the JSON layout; the page refuses another one (a page bundle and a site from different releases). */
export const SITE_CONFIG_VERSION = 1;

/** File names inside the exported folder. */
export const SITE_FILES = {
  /** The page. */
  html: 'index.html',
  /** The page's script (jsnes, the TS preprocessing and onnxruntime-web bundled). */
  script: 'player.js',
  /** The policy: uint8 `obs` [1, C, H, W] → `logits` and `value` (PPO/A2C) or `q` (DQN). */
  policy: 'policy.onnx',
  /** onnxruntime-web's single-threaded-capable WASM binary. */
  wasm: 'ort-wasm-simd-threaded.wasm',
  /** The built-in game's ROM (ours; a commercial ROM is never written: the page asks for it). */
  rom: 'game.nes',
} as const;

/** The JSON in `<script id="site-config" type="application/json">`. */
export interface SiteConfig {
  /** {@link SITE_CONFIG_VERSION}. */
  version: number;
  /** Game adapter: 'runner' (ROM shipped in the folder) or 'smb1' (the user gives the ROM). */
  game: 'runner' | 'smb1';
  /** The stage the policy plays, as the game's start targets name it: runner '1'..'3', smb1 'W-S'. */
  stage: string;
  /** What the checkpoint was trained on, for the page's title ('runner stage 1'). */
  trainedOn: string;
  /** Agent step of the checkpoint. */
  globalStep: number;
  /** Network name ('baseline', 'nature', …) and head ('actor-critic', 'dueling', 'q'). */
  network: string;
  head: 'actor-critic' | 'dueling' | 'q';
  /** Action set ('right-only', 'simple', 'complex', 'full'): the game's table gives each action's buttons. */
  actions: string;
  /** Reward preset of the game ('v0' for runner); the preset's own weights (no shaping). */
  reward: string;
  /** Frames per agent step. */
  frameSkip: number;
  /** Max-pool the last two frames of each step. */
  maxPool: boolean;
  /** Observation: output width and height, frames stacked, one gray channel or RGB. */
  obs: { width: number; height: number; stack: number; grayscale: boolean };
  /** Steps after which an episode is cut (0: no limit). */
  maxEpisodeSteps: number;
  /** The ROM file in the folder (runner), or null when the page asks the user (smb1). */
  rom: string | null;
}
