#!/usr/bin/env node
// Copies the freshly built addon to prebuilds/<platform>-<arch>/mario_rl.node, the place the
// published package ships it from (see docs/install.md). Runs after `cmake-js compile`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const candidates = ['build/Release/mario_rl.node', 'build/mario_rl.node'].map((p) => path.join(root, p));
const built = candidates.find((p) => fs.existsSync(p));
if (!built) {
  console.error(`copy-prebuild: no built addon found; looked in:\n  ${candidates.join('\n  ')}`);
  process.exit(1);
}
const destDir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
fs.mkdirSync(destDir, { recursive: true });
const dest = path.join(destDir, 'mario_rl.node');
fs.copyFileSync(built, dest);
console.log(`copy-prebuild: ${path.relative(root, built)} -> ${path.relative(root, dest)}`);
