#!/usr/bin/env node
// Lists the native sources, so CMakeLists.txt and binding.gyp build the same files.
//   node scripts/native-sources.cjs --cmake core|binding|test|cuda   -> ';'-separated absolute paths
//   node scripts/native-sources.cjs --gyp                             -> space-separated paths
//                                                                       relative to the project
//                                                                       root (CPU only)
// core:    native/**/*.cc except native/binding, native/test_binding, native/tools, native/fuzz
// binding: native/binding/**/*.cc (N-API wrappers only: the shipped addon, mario_rl.node)
// test:    native/test_binding/**/*.cc plus the binding helpers it shares (the test addon,
//          mario_rl_test.node; empty when native/test_binding is absent, as in the npm package)
// cuda:    native/**/*.cu
// --gyp lists core + binding: node-gyp builds the shipped addon only, never the test addon.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const nativeDir = path.join(root, 'native');
const EXCLUDED_FROM_CORE = new Set(['binding', 'test_binding', 'tools', 'fuzz']);
// Helpers of native/binding/ the test addon compiles into itself too (each addon has its own copy).
const TEST_SHARED_BINDING = ['module_registry.cc', 'napi_util.cc'];

function walk(dir, ext, out) {
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, ext, out);
    else if (entry.name.endsWith(ext)) out.push(full);
  }
  return out;
}

function coreSources(ext) {
  const out = [];
  if (!fs.existsSync(nativeDir)) return out;
  for (const entry of fs.readdirSync(nativeDir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || EXCLUDED_FROM_CORE.has(entry.name)) continue;
    walk(path.join(nativeDir, entry.name), ext, out);
  }
  return out;
}

const lists = {
  core: () => coreSources('.cc'),
  binding: () => walk(path.join(nativeDir, 'binding'), '.cc', []),
  test: () => {
    const own = walk(path.join(nativeDir, 'test_binding'), '.cc', []);
    return own.length === 0 ? own : [...own, ...TEST_SHARED_BINDING.map((f) => path.join(nativeDir, 'binding', f))];
  },
  cuda: () => coreSources('.cu'),
};

const args = process.argv.slice(2);
if (args[0] === '--cmake' && lists[args[1]]) {
  process.stdout.write(
    lists[args[1]]()
      .map((p) => p.split(path.sep).join('/'))
      .join(';'),
  );
} else if (args[0] === '--gyp') {
  const all = [...lists.core(), ...lists.binding()];
  process.stdout.write(all.map((p) => path.relative(root, p).split(path.sep).join('/')).join(' '));
} else {
  process.stderr.write('usage: native-sources.cjs --cmake core|binding|test|cuda | --gyp\n');
  process.exit(2);
}
