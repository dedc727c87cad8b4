#!/usr/bin/env bash
# Chromium for the browser tests (tests/run/report-browser.test.ts, tests/web/export-web.test.ts), from Debian's
# `chromium` package: Playwright's own browser download cannot work offline, Debian's can.
#
#   bash scripts/install-chromium.sh          install it when missing (apt-get, as root); idempotent
#   bash scripts/install-chromium.sh --check  print the browser's path, or why there is none (exit 1)
#
# .ci/run runs the first form; the test runs the second to find the browser (CHROMIUM_PATH, when
# set, wins) and skips with the reason it prints.
set -uo pipefail

find_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    if [ -x "$CHROMIUM_PATH" ]; then echo "$CHROMIUM_PATH"; return 0; fi
    echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file" >&2
    return 1
  fi
  for candidate in chromium chromium-browser; do
    if command -v "$candidate" > /dev/null 2>&1; then command -v "$candidate"; return 0; fi
  done
  echo "no chromium on PATH (install it with: bash scripts/install-chromium.sh, which runs apt-get install -y chromium as root)" >&2
  return 1
}

if [ "${1:-}" = "--check" ]; then
  find_chromium
  exit $?
fi
if [ $# -gt 0 ]; then
  echo "usage: bash scripts/install-chromium.sh [--check]" >&2
  exit 2
fi

if path=$(find_chromium 2> /dev/null); then
  echo "[chromium] found $path"
  exit 0
fi
if ! command -v apt-get > /dev/null 2>&1; then
  echo "[chromium] not installed and no apt-get here: install Chromium and set CHROMIUM_PATH" >&2
  exit 1
fi
if [ "$(id -u)" != "0" ]; then
  echo "[chromium] not installed; run as root (or: sudo apt-get install -y chromium)" >&2
  exit 1
fi
echo "[chromium] apt-get install -y chromium"
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null; }; then
  echo "[chromium] apt-get install chromium failed" >&2
  exit 1
fi
find_chromium
