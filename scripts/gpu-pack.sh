#!/usr/bin/env bash
# Packs what the GPU checks need beyond the working tree (which every device call sends): the
# built addon (with its CUDA kernels), dist/, and node_modules without other platforms'
# onnxruntime binaries or TypeScript. Writes .gpu/app.tar.xz (git-ignored). Node and the ORT
# CUDA provider libraries come separately from ../shared/gpu/stage.sh (.gpu/part-*).
# Device side: scripts/gpu-check.sh. Steps: docs/gpu.md, "Checking a GPU machine".
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
ls -l .gpu/app.tar.xz
