import { defineConfig } from 'tsup';

// ESM + CJS with types. `shims` lets the loader find the package root through import.meta.url
// (ESM) or __dirname (CJS) alike.
export default defineConfig({
  entry: { index: 'src/index.ts', cli: 'src/cli/index.ts', 'train-worker': 'src/runtime/session-worker.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  shims: true,
  target: 'node20',
  platform: 'node',
  external: ['onnxruntime-node'],
  // jsnes 3.0.0's CommonJS entry (dist/jsnes.js) exports nothing, so its ES source is bundled
  // into both builds; it stays a dependency (the jsnes backend, the reference in tests).
  noExternal: ['jsnes'],
});
