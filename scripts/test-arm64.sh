#!/usr/bin/env bash
# `npm run test:arm64`: the linux-arm64 prebuilt, run under emulation on this x64 machine.
#  1. installs the cross compiler, qemu-user-static and Debian's arm64 Node 18 (scripts/install-arm64.sh);
#  2. builds prebuilds/linux-arm64/mario_rl.node (scripts/build-prebuilds.sh linux-arm64; incremental);
#  3. bundles tests/arm64/cross-check.ts for Node 18 and runs it with this machine's Node on
#     prebuilds/linux-x64 (the reference), then with arm64 Node under qemu on prebuilds/linux-arm64,
#     comparing every VecEnv step byte for byte with the reference.
# Needs prebuilds/linux-x64 (`npm run build:native`). Skips, saying why, only when the emulator
# cannot be installed; any other failure fails.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "[test:arm64] $*"; }
start=$SECONDS

if [ ! -f prebuilds/linux-x64/mario_rl.node ]; then
  say "no prebuilds/linux-x64/mario_rl.node (the reference): run \`npm run build:native\` first" >&2
  exit 1
fi
if ! bash scripts/install-arm64.sh emulator; then
  say "skipped: the emulator (qemu-user-static, Debian's arm64 Node) could not be installed"
  exit 0
fi
bash scripts/build-prebuilds.sh linux-arm64

bundle=build-arm64/cross-check.mjs
npx esbuild tests/arm64/cross-check.ts --bundle --platform=node --format=esm --target=node18 \
  --log-level=warning --outfile="$bundle"
reference=build-arm64/cross-check-x64
rm -rf "$reference"
sysroot=build-arm64/node-sysroot
say "reference run: $(node --version) on linux-x64"
env -u MARIO_RL_NATIVE node "$bundle" --write "$reference"
say "emulated run: arm64 $(qemu-aarch64-static -L "$sysroot" "$sysroot/usr/bin/node" --version) under qemu-user"
env -u MARIO_RL_NATIVE qemu-aarch64-static -L "$sysroot" "$sysroot/usr/bin/node" "$bundle" --expect "$reference"
say "done in $((SECONDS - start)) s"
