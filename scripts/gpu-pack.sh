#!/usr/bin/env bash
# Packs what the GPU checks need beyond the working tree (which every device call sends): the
# built addon (with its CUDA kernels), dist/, and node_modules without other platforms'
# onnxruntime binaries or TypeScript. Writes .gpu/app.tar.xz (git-ignored). Node and the ORT
# CUDA provider libraries come from ../shared/gpu/stage.sh (.gpu/part-*): run that first, and
# this script also cuts app.tar.xz and those parts into .gpu/send-NN files of at most 60 MiB
# (one tar stream), so the whole set travels in as few device calls as the limit allows.
# Device side: scripts/gpu-check.sh. Steps: scripts/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/Release/mario_rl.node ] || [ ! -f dist/index.js ]; then
  echo "gpu-pack: build first (npm run setup)" >&2
  exit 1
fi
mkdir -p .gpu
tar -cf - \
  --exclude='node_modules/onnxruntime-node/bin/napi-v6/darwin' \
  --exclude='node_modules/onnxruntime-node/bin/napi-v6/win32' \
  --exclude='node_modules/onnxruntime-node/bin/napi-v6/linux/arm64' \
  --exclude='node_modules/typescript' \
  --exclude='node_modules/.cache' \
  node_modules dist build/Release prebuilds | xz -T0 -6 > .gpu/app.tar.xz
rm -f .gpu/send-*
if compgen -G '.gpu/part-*' >/dev/null; then
  tar -C .gpu -cf - app.tar.xz $(cd .gpu && ls part-*) | split -b 60m -d -a 2 - .gpu/send-
else
  echo "gpu-pack: no .gpu/part-* (run bash ../shared/gpu/stage.sh first): only app.tar.xz written" >&2
fi
ls -l .gpu/
