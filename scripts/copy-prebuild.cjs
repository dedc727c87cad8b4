#!/usr/bin/env node
// Copies a freshly built addon to prebuilds/<platform>-<arch>/mario_rl.node, the place the
// published package ships it from (see docs/install.md). Runs after `cmake-js compile`.
//   node scripts/copy-prebuild.cjs                                      build/ -> this machine's platform
//   node scripts/copy-prebuild.cjs --from build-arm64 --platform linux-arm64   a cross build
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
function option(name, fallback) {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  if (at + 1 >= args.length) {
    console.error(`copy-prebuild: Expected a value for ${name} but received none`);
    process.exit(2);
  }
  return args[at + 1];
}
const from = option('--from', 'build');
const platform = option('--platform', `${process.platform}-${process.arch}`);
const candidates = [`${from}/Release/mario_rl.node`, `${from}/mario_rl.node`].map((p) => path.join(root, p));
const built = candidates.find((p) => fs.existsSync(p));
if (!built) {
  console.error(`copy-prebuild: no built addon found; looked in:\n  ${candidates.join('\n  ')}`);
  process.exit(1);
}
const destDir = path.join(root, 'prebuilds', platform);
fs.mkdirSync(destDir, { recursive: true });
const dest = path.join(destDir, 'mario_rl.node');
fs.copyFileSync(built, dest);
console.log(`copy-prebuild: ${path.relative(root, built)} -> ${path.relative(root, dest)}`);
