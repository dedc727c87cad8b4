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

find_tool() {
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


# shellcheck source=scripts/apt-tool.sh
source "$(dirname "$0")/apt-tool.sh"
apt_tool_main chromium chromium CHROMIUM_PATH "$@"
