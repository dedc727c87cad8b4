#!/usr/bin/env bash
# Formats the C++ and CUDA sources under native/ with clang-format and the repository's
# .clang-format (Google-based; see the comments there).
#
#   scripts/format-native.sh           rewrite every unformatted file in place
#   scripts/format-native.sh --check   change nothing; list the unformatted files and exit 1 if any
#
# Uses $CLANG_FORMAT, else `clang-format` on PATH, installing Debian's when missing and run as root
# with apt; otherwise exit 2 with how to install it.
# Formatting was settled with clang-format 14 (Debian 12's); other versions may differ slightly.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=fix
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  *)
    echo "usage: scripts/format-native.sh [--check]" >&2
    exit 2
    ;;
esac

cf=${CLANG_FORMAT:-clang-format}
# A fresh machine has no clang-format: as root with apt (CI, the project's VMs), install Debian's,
# so `npm run lint` works right after the README's `npm run setup`.
if ! command -v "$cf" > /dev/null 2>&1 && [ -z "${CLANG_FORMAT:-}" ] && [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null 2>&1; then
  echo "format-native: clang-format missing; installing Debian's (apt-get install -y clang-format)" >&2
  apt-get update -qq > /dev/null && apt-get install -y -qq clang-format > /dev/null || true
fi
if ! command -v "$cf" > /dev/null 2>&1; then
  echo "format-native: '$cf' not found. Install clang-format (Debian/Ubuntu: apt-get install -y clang-format)" >&2
  echo "or point CLANG_FORMAT at a clang-format binary." >&2
  exit 2
fi

# A missing or bad .clang-format would otherwise make every file look unformatted.
if [ ! -f .clang-format ]; then
  echo "format-native: no .clang-format at the repository root" >&2
  exit 2
fi
if ! err=$("$cf" --style=file --dump-config 2>&1 > /dev/null) || [ -n "$err" ]; then
  echo "format-native: $cf cannot read .clang-format: $err" >&2
  exit 2
fi

mapfile -t files < <(find native -type f \( -name '*.cc' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' \) | LC_ALL=C sort)

if [ "$mode" = fix ]; then
  "$cf" -i --style=file "${files[@]}"
  exit 0
fi

unformatted=()
for f in "${files[@]}"; do
  if ! "$cf" --style=file --dry-run --Werror "$f" > /dev/null 2>&1; then unformatted+=("$f"); fi
done
if [ "${#unformatted[@]}" -gt 0 ]; then
  echo "format-native: ${#unformatted[@]} file(s) under native/ need clang-format ($("$cf" --version)):" >&2
  printf '  %s\n' "${unformatted[@]}" >&2
  echo "Run scripts/format-native.sh to fix them." >&2
  exit 1
fi
echo "format-native: ${#files[@]} files under native/ are formatted"
