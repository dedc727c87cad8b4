/**
 * The static site `mario-rl export-web` writes: a folder a browser opens through any static file
 * server, where a checkpoint's policy plays its game. Everything the page loads is in the folder
 * (no CDN, no server logic):
 *
 *   index.html   the page, with the SiteConfig JSON (site-config.ts) inline
 *   player.js    the page's script: jsnes, our TS preprocessing and onnxruntime-web, bundled
 *                (built by `npm run build:ts` into dist/web/, see scripts/build-web.ts)
 *   ort-wasm-simd-threaded.wasm   onnxruntime-web's WASM runtime (run single-threaded: no
 *                SharedArrayBuffer, so no COOP/COEP headers needed)
 *   policy.onnx  the checkpoint's policy with its weights baked in (uint8 obs → logits, value / q)
 *   game.nes     the built-in game's ROM (our own); a commercial ROM (smb1) is never written,
 *                the page asks the user for it and checks it as the env does
 */
import { copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { jsGameNames } from '../env/js/vec-env.js';
import { toModel } from '../graph/onnx-writer.js';
import { packageRoot } from '../native.js';
import { paramSpecs, type ModelSpec } from '../models/networks.js';
import { readCheckpoint } from '../run/checkpoint-store.js';
import { decodeSafetensors } from '../runtime/safetensors.js';
import { buildPolicyGraph } from '../runtime/train-graph.js';
import { runnerRomPath } from '../games/runner.js';
import { type TrainerConfig } from '../train/config.js';
import { runStages, trainSpecFor } from '../train/env-options.js';
import { SITE_CONFIG_VERSION, SITE_FILES, type SiteConfig } from './site-config.js';
import { sitePage } from './site-page.js';

/** Where `npm run build:ts` puts the page bundle, relative to the package root. */
export const PAGE_BUNDLE_RELATIVE_DIR = 'dist/web';

/** Options of {@link writeWebSite}. */
export interface WebSiteOptions {
  /** The checkpoint file (a Trainer checkpoint: its `learner` section holds the parameters). */
  checkpoint: string;
  /** The run config to play with (the checkpoint's own, see cli/checkpoint-config.ts). */
  config: TrainerConfig;
  /** The checkpoint's agent step (shown on the page). */
  globalStep: number;
  /** What the policy was trained on ('runner stage 1'), for the page title. */
  trainedOn: string;
  /** The folder to write; created when missing. */
  outDir: string;
  /** Folder holding the bundled `player.js` (default `<package root>/dist/web`). */
  bundleDir?: string;
}

/** What {@link writeWebSite} wrote. */
export interface WebSiteResult {
  /** Files written, relative to outDir, with their sizes in bytes. */
  files: { name: string; bytes: number }[];
  /** The config the page plays with. */
  site: SiteConfig;
}

/**
 * The policy as a standalone ONNX model (batch 1, weights baked in, a noisy model's means μ only):
 * the same graph the Trainer acts with (`buildPolicyGraph`), so the page and Node agree.
 */
export function policyModelFromCheckpoint(checkpoint: string, model: ModelSpec): Uint8Array {
  const { sections } = readCheckpoint(checkpoint);
  if (!sections.learner) throw new Error(`checkpoint ${checkpoint} has no 'learner' section (not a mario-rl Trainer checkpoint?)`);
  const { tensors } = decodeSafetensors(sections.learner);
  const values = new Map<string, Float32Array>();
  for (const p of paramSpecs(model)) {
    const t = tensors.get(p.name);
    const size = p.shape.reduce((a, b) => a * b, 1);
    if (!t || !(t.data instanceof Float32Array) || t.data.length !== size) {
      throw new Error(
        `checkpoint ${checkpoint} lacks parameter ${p.name} (${p.shape.join('x')} float32) of a ${model.network} network: was it trained with another network?`,
      );
    }
    values.set(p.name, t.data);
  }
  return toModel(buildPolicyGraph(model, 1, undefined, { noise: false }), { params: 'baked', values });
}

/** The page's config for a run config (throws for what the page cannot play, naming the config field). */
export function siteConfigFor(config: TrainerConfig, info: { globalStep: number; trainedOn: string }): SiteConfig {
  const e = config.env;
  if (e.obs !== 'pixels') {
    throw new RangeError(`Expected env.obs 'pixels' for export-web but received '${e.obs}': the page computes pixel observations only`);
  }
  if (!jsGameNames().includes(e.game)) {
    const names = jsGameNames()
      .map((g) => `'${g}'`)
      .join(' or ');
    throw new RangeError(`Expected env.game ${names} for export-web but received '${e.game}': the page runs the jsnes backend's games only`);
  }
  // Several stages (env.stages, a curriculum): the page plays the first.
  const stage = runStages(config).names[0]!;
  const model = trainSpecFor(config).model;
  return {
    version: SITE_CONFIG_VERSION,
    game: e.game as SiteConfig['game'], // checked above against the jsnes backend's games
    stage,
    trainedOn: info.trainedOn,
    globalStep: info.globalStep,
    network: model.network,
    head: model.head,
    actions: e.actions,
    reward: e.game === 'runner' ? 'v0' : e.reward,
    frameSkip: e.frameSkip,
    maxPool: e.maxPoolLastTwo,
    obs: { width: e.width, height: e.height, stack: e.frameStack, grayscale: e.grayscale },
    maxEpisodeSteps: e.maxEpisodeSteps,
    // Ours ships with the page; a commercial game's ROM never does: the page asks for it.
    rom: e.game === 'runner' ? SITE_FILES.rom : null,
  };
}

/** onnxruntime-web's dist folder (the WASM binary the page loads). */
function ortWebDist(): string {
  const require = createRequire(join(packageRoot(), 'package.json'));
  let entry: string;
  try {
    entry = require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm');
  } catch (err) {
    throw new Error(`onnxruntime-web is not installed (a dependency of mario-rl; reinstall the package): ${(err as Error).message}`, { cause: err });
  }
  return dirname(entry);
}

/** Writes the site (see the file comment) into `options.outDir`. */
export function writeWebSite(options: WebSiteOptions): WebSiteResult {
  const bundleDir = options.bundleDir ?? join(packageRoot(), PAGE_BUNDLE_RELATIVE_DIR);
  const script = join(bundleDir, SITE_FILES.script);
  if (!existsSync(script)) throw new Error(`the page bundle ${script} is missing: run npm run build:ts (it bundles src/web/page into dist/web)`);
  const site = siteConfigFor(options.config, options);
  const policy = policyModelFromCheckpoint(options.checkpoint, trainSpecFor(options.config).model);
  mkdirSync(options.outDir, { recursive: true });
  const out = (name: string) => join(options.outDir, name);
  writeFileSync(out(SITE_FILES.html), sitePage(site));
  writeFileSync(out(SITE_FILES.policy), policy);
  copyFileSync(script, out(SITE_FILES.script));
  copyFileSync(join(ortWebDist(), SITE_FILES.wasm), out(SITE_FILES.wasm));
  if (site.rom) copyFileSync(runnerRomPath(), out(site.rom));
  const names = [SITE_FILES.html, SITE_FILES.script, SITE_FILES.policy, SITE_FILES.wasm, ...(site.rom ? [site.rom] : [])];
  return { files: names.map((name) => ({ name, bytes: statSync(out(name)).size })), site };
}
