/**
 * Bundles the export-web page (src/web/page/main.ts: jsnes, our TS preprocessing and
 * onnxruntime-web's WASM build) into one browser ES module, dist/web/player.js, which
 * `mario-rl export-web` copies into every site it writes. `npm run build:ts` runs it after tsup;
 * the browser tests call `bundleWebPage` themselves.
 *
 *   npx tsx scripts/build-web.ts [--out DIR]     (default dist/web)
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { build } from 'tsup';

const root = resolve(import.meta.dirname, '..');

/** Writes DIR/player.js (and its source map). */
export async function bundleWebPage(outDir = resolve(root, 'dist/web')): Promise<string> {
  await build({
    entry: { player: resolve(root, 'src/web/page/main.ts') },
    outDir,
    format: ['esm'],
    platform: 'browser',
    target: 'es2022',
    // Everything in the one file: the page loads nothing from a CDN.
    noExternal: [/.*/],
    splitting: false,
    sourcemap: true,
    minify: true,
    dts: false,
    clean: false,
    silent: true,
    config: false,
    outExtension: () => ({ js: '.js' }),
  });
  return resolve(outDir, 'player.js');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const at = process.argv.indexOf('--out');
  const out = await bundleWebPage(at > 0 ? resolve(process.argv[at + 1]!) : undefined);
  console.log(`wrote ${out}`);
}
