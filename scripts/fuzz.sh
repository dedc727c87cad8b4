#!/usr/bin/env bash
# Builds the ROM fuzzer (native/fuzz/rom_fuzz.cc + the core) with AddressSanitizer and
# UndefinedBehaviorSanitizer, then runs it. See docs/fuzzing.md.
#
#   scripts/fuzz.sh [driver args]        g++ (or $CXX) + the built-in mutation driver, e.g.
#                                        scripts/fuzz.sh --seed 1 --seconds 20
#   scripts/fuzz.sh --libfuzzer [args]   clang++ -fsanitize=fuzzer (libFuzzer args, e.g. corpus/
#                                        -max_total_time=3600)
#   scripts/fuzz.sh --build-only         build and stop
#
# Output: build/fuzz/rom_fuzz (or rom_fuzz_libfuzzer). Exit status is non-zero on any sanitizer
# report (-fno-sanitize-recover, halt_on_error) or harness failure.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=driver
build_only=0
if [ "${1:-}" = "--libfuzzer" ]; then mode=libfuzzer; shift; fi
if [ "${1:-}" = "--build-only" ]; then build_only=1; shift; fi

out=build/fuzz/$mode
mkdir -p "$out"
if [ "$mode" = libfuzzer ]; then
  cxx=${CXX:-clang++}
  extra=(-DMARIO_RL_LIBFUZZER -fsanitize=fuzzer-no-link)
  link_extra=(-fsanitize=fuzzer)
  bin=build/fuzz/rom_fuzz_libfuzzer
else
  cxx=${CXX:-g++}
  extra=()
  link_extra=()
  bin=build/fuzz/rom_fuzz
fi
flags=(-std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all -Inative)

IFS=';' read -r -a core <<< "$(node scripts/native-sources.cjs --cmake core)"
sources=("${core[@]}" "$PWD/native/fuzz/rom_fuzz.cc")

# Rebuild when any native source or header is newer than the binary.
if [ ! -x "$bin" ] || [ -n "$(find native/common native/nes native/fuzz -newer "$bin" \( -name '*.cc' -o -name '*.h' \) -print -quit)" ]; then
  echo "[fuzz] building $bin with $cxx (ASan + UBSan), ${#sources[@]} sources"
  objects=()
  for src in "${sources[@]}"; do
    rel=${src#"$PWD/"}
    objects+=("$out/${rel//\//_}.o")
  done
  printf '%s\n' "${sources[@]}" | xargs -P "${CMAKE_BUILD_PARALLEL_LEVEL:-2}" -I{} sh -c '
    src="$1"; shift; rel=${src#"$PWD/"}; obj="'"$out"'/$(echo "$rel" | tr / _).o"
    exec "$@" -c "$src" -o "$obj"' _ {} "$cxx" "${flags[@]}" "${extra[@]}"
  "$cxx" "${flags[@]}" "${link_extra[@]}" "${objects[@]}" -o "$bin"
fi
[ "$build_only" = 1 ] && exit 0

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
exec "$bin" "$@"
