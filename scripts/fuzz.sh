#!/usr/bin/env bash
# Builds the ROM fuzzer (native/fuzz/rom_fuzz.cc + the NES core) with AddressSanitizer and
# UndefinedBehaviorSanitizer, then runs it. See docs/fuzzing.md.
#
#   scripts/fuzz.sh [driver args]        g++ (or $CXX) + the built-in mutation driver, e.g.
#                                        scripts/fuzz.sh --seed 1 --seconds 20
#   scripts/fuzz.sh --libfuzzer [args]   clang++ -fsanitize=fuzzer (libFuzzer args, e.g. corpus/
#                                        -max_total_time=3600)
#   scripts/fuzz.sh --coverage [args]    the driver built with gcov instrumentation instead of the
#                                        sanitizers (line and branch counts; bench/fuzz.ts)
#   scripts/fuzz.sh [mode] --build-only  build and stop
#
# Output: build/fuzz/rom_fuzz (rom_fuzz_libfuzzer, rom_fuzz_coverage). Exit status is non-zero on
# any sanitizer report (-fno-sanitize-recover, halt_on_error) or harness failure.
# FUZZ_HARNESS=file.cc FUZZ_BIN=path build another harness against the same core objects (the
# bench builds the previous revision's harness this way to compare on the same inputs).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=driver
build_only=0
case "${1:-}" in
  --libfuzzer) mode=libfuzzer; shift ;;
  --coverage) mode=coverage; shift ;;
esac
if [ "${1:-}" = "--build-only" ]; then build_only=1; shift; fi

out=build/fuzz/$mode
mkdir -p "$out"
sanitizers=(-fsanitize=address,undefined -fno-sanitize-recover=all)
extra=()
link_extra=()
case "$mode" in
  libfuzzer)
    cxx=${CXX:-clang++}
    extra=(-DMARIO_RL_LIBFUZZER -fsanitize=fuzzer-no-link)
    link_extra=(-fsanitize=fuzzer)
    bin=build/fuzz/rom_fuzz_libfuzzer
    ;;
  coverage)
    # No sanitizers (they only check what runs; coverage says what runs), and the CPU's helpers
    # not forced inline, as under the sanitizers, so cpu.cc compiles in seconds.
    cxx=${CXX:-g++}
    sanitizers=(--coverage -DMARIO_RL_ALWAYS_INLINE=)
    bin=build/fuzz/rom_fuzz_coverage
    ;;
  *)
    cxx=${CXX:-g++}
    bin=build/fuzz/rom_fuzz
    ;;
esac
bin=${FUZZ_BIN:-$bin}
harness=${FUZZ_HARNESS:-native/fuzz/rom_fuzz.cc}
flags=(-std=c++17 -O1 -g -fno-omit-frame-pointer "${sanitizers[@]}" -Inative)

# The harness needs only the emulator: native/common and native/nes of the core sources.
IFS=';' read -r -a all <<< "$(node scripts/native-sources.cjs --cmake core)"
core=()
for src in "${all[@]}"; do
  case "$src" in "$PWD"/native/common/* | "$PWD"/native/nes/*) core+=("$src") ;; esac
done
objects=()
for src in "${core[@]}"; do
  rel=${src#"$PWD/"}
  objects+=("$out/${rel//\//_}.o")
done

# Core objects: rebuilt when any core source or header is newer than the last core build.
stamp=$out/core.stamp
if [ ! -f "$stamp" ] || [ -n "$(find native/common native/nes -newer "$stamp" \( -name '*.cc' -o -name '*.h' \) -print -quit)" ]; then
  echo "[fuzz] building the core ($mode) with $cxx, ${#core[@]} sources"
  printf '%s\n' "${core[@]}" | xargs -P "${CMAKE_BUILD_PARALLEL_LEVEL:-2}" -I{} sh -c '
    src="$1"; shift; rel=${src#"$PWD/"}; obj="'"$out"'/$(echo "$rel" | tr / _).o"
    exec "$@" -c "$src" -o "$obj"' _ {} "$cxx" "${flags[@]}" "${extra[@]}"
  touch "$stamp"
fi
# The harness and the link: when the binary is older than the harness or the core.
if [ ! -x "$bin" ] || [ "$harness" -nt "$bin" ] || [ "$stamp" -nt "$bin" ]; then
  echo "[fuzz] building $bin from $harness"
  harness_obj="$out/harness_$(basename "$bin").o"
  "$cxx" "${flags[@]}" "${extra[@]}" -c "$harness" -o "$harness_obj"
  "$cxx" "${flags[@]}" "${link_extra[@]}" "${objects[@]}" "$harness_obj" -o "$bin"
fi
[ "$build_only" = 1 ] && exit 0

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
exec "$bin" "$@"
