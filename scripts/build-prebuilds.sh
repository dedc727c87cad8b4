#!/usr/bin/env bash
# Builds the prebuilt binaries the package ships (`npm run build:prebuilds`; the release process
# runs it before `npm pack`, CI through `npm run test:arm64`), from the same source list
# (scripts/native-sources.cjs) for each:
#   linux-x64    the host build: `npm run build:native` (build/, with CUDA kernels when nvcc is found)
#   linux-arm64  cross-compiled with Debian's g++-aarch64-linux-gnu (cmake/aarch64-linux-gnu.cmake)
#                into build-arm64/, CPU only, the shipped addon only (no test addon, no tools)
# Each lands in prebuilds/<platform>/mario_rl.node. Arguments pick platforms (default: both).
# Needs an x64 Linux host; installs the cross compiler when missing (scripts/install-arm64.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

host="$(node -p 'process.platform + "-" + process.arch')"
if [ "$host" != linux-x64 ]; then
  echo "[build-prebuilds] Expected a linux-x64 host for the builds but received $host" >&2
  exit 1
fi
for platform in "${@:-linux-x64 linux-arm64}"; do
  for p in $platform; do
    case "$p" in
      linux-x64)
        npm run build:native
        ;;
      linux-arm64)
        bash scripts/install-arm64.sh compiler
        npx cmake-js compile --out build-arm64 --arch arm64 --target mario_rl \
          --CDCMAKE_TOOLCHAIN_FILE="$PWD/cmake/aarch64-linux-gnu.cmake" --CDMARIO_RL_CUDA=OFF
        node scripts/copy-prebuild.cjs --from build-arm64 --platform linux-arm64
        ;;
      *)
        echo "[build-prebuilds] Expected linux-x64 or linux-arm64 for the platform but received '$p'" >&2
        exit 2
        ;;
    esac
  done
done
