#!/usr/bin/env bash
# The device side of scripts/README.md, "Checking a GPU machine without Node or network": run from the repository root on the
# lent GPU machine once /tmp/gpu holds the send-* files of scripts/gpu-pack.sh (or app.tar.xz and
# the part-* files of ../shared/gpu/stage.sh). Sets up Node, the ORT CUDA provider and the CUDA libraries, then runs,
# most important first, each under a time limit:
#   doctor       mario-rl doctor (ORT version, provider, missing libraries, GPU)
#   tests-cuda   the replay, graph, model and learner checks with MARIO_RL_TEST_DEVICE=cuda
#                (CUDA sampler == CPU for the same uniforms; gradients, optimizers and learner
#                steps against float64 references, on the CUDA execution provider)
#   bench-per    npm run bench:per (its "cuda" rows: ns per index, launch included)
#   bench-train  npm run bench:train with ORT_EP=cuda (samples/s of the train step and Loop)
#   bench-train-conv  the same with the other Conv weight-gradient form (--conv-grad conv)
#   train-e2e    npm run bench:train-e2e --device cuda at 84x84 and 42x42 (agent steps/s of the
#                whole PPO loop)
#   profile      bench:train --step --profile on CUDA (train-step time per operator type)
#   env-scaling  npm run bench:env-scaling (VecEnv on the built-in game, 1 thread up to all cores)
# GPU_CHECK_STEPS="tests-cuda profile" runs only the named steps (default: all, in that order).
# Each writes $OUT/<name>.txt; $OUT/summary.txt has one line per step. OUT defaults to ./gpu-out.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/gpu-out}"
mkdir -p "$OUT"
G="${GPU_DIR:-/tmp/gpu}"
say() { echo "$*" | tee -a "$OUT/summary.txt"; }

if [ ! -f "$G/app.tar.xz" ] && compgen -G "$G/send-*" >/dev/null; then
  if ! cat "$G"/send-* | tar -x -C "$G"; then say "gpu-check: cannot unpack $G/send-* (gpu-pack.sh output)"; exit 1; fi
fi
if [ ! -x "$G/bundle/bin/node" ]; then
  if ! cat "$G"/part-* | xz -d | tar -x -C "$G"; then say "gpu-check: cannot unpack $G/part-* (stage.sh output)"; exit 1; fi
fi
if [ ! -d node_modules/onnxruntime-node ]; then
  if ! xz -dc "$G/app.tar.xz" | tar -x; then say "gpu-check: cannot unpack $G/app.tar.xz (gpu-pack.sh output)"; exit 1; fi
fi
export PATH="$G/bundle/bin:$PATH" ONNXRUNTIME_NODE_INSTALL=skip
cp "$G"/bundle/ort/*.so node_modules/onnxruntime-node/bin/napi-v6/linux/x64/
libs=$(find / -path /proc -prune -o \( -name 'libcublasLt.so.13*' -o -name 'libcudnn.so.9*' -o -name 'libcudart.so.13*' \
  -o -name 'libcurand.so.10*' -o -name 'libcufft.so.12*' -o -name 'libnvrtc.so.13*' \) -print 2>/dev/null |
  xargs -r -n1 dirname | sort -u | paste -sd:)
export LD_LIBRARY_PATH="${libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
say "node $(node --version); $(nproc) cores; $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)"

step() {
  local name=$1 limit=$2
  shift 2
  case " ${GPU_CHECK_STEPS:-doctor tests-cuda bench-per bench-train bench-train-conv train-e2e profile env-scaling} " in
    *" $name "*) ;;
    *) return 0 ;;
  esac
  local t0=$SECONDS
  timeout "$limit" "$@" >"$OUT/$name.txt" 2>&1
  say "$name: exit $?, $((SECONDS - t0)) s"
}
step doctor 30 node dist/cli.js doctor
step tests-cuda 120 env MARIO_RL_TEST_DEVICE=cuda node node_modules/vitest/vitest.mjs run \
  tests/replay tests/graph tests/models tests/runtime/learner.test.ts tests/train/learning.test.ts tests/runtime/session-runner.test.ts
step bench-per 60 node --import tsx bench/per.ts
step bench-train 150 env ORT_EP=cuda node --import tsx bench/train.ts
step bench-train-conv 150 env ORT_EP=cuda node --import tsx bench/train.ts --conv-grad conv
step train-e2e 150 bash -c 'for size in 84 42; do node --import tsx bench/train-e2e.ts --device cuda --updates 4 --size $size || exit; done'
step profile 100 env ORT_EP=cuda node --import tsx bench/train.ts --step --profile
step env-scaling 60 env BENCH_SECONDS=1 node --import tsx bench/env-scaling.ts
