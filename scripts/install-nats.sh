#!/usr/bin/env bash
# nats-server (with JetStream) for the distributed tests and bench (tests/distributed/, bench/distributed.ts),
# from Debian's `nats-server` package: the tests start their own server on 127.0.0.1 and a free port.
#
#   bash scripts/install-nats.sh          install it when missing (apt-get, as root); idempotent
#   bash scripts/install-nats.sh --check  print the server's path, or why there is none (exit 1)
#
# .ci/run runs the first form; the tests run the second to find the server (NATS_SERVER, when set,
# wins) and skip with the reason it prints.
set -uo pipefail

find_tool() {
  if [ -n "${NATS_SERVER:-}" ]; then
    if [ -x "$NATS_SERVER" ]; then echo "$NATS_SERVER"; return 0; fi
    echo "NATS_SERVER=$NATS_SERVER is not an executable file" >&2
    return 1
  fi
  if command -v nats-server > /dev/null 2>&1; then command -v nats-server; return 0; fi
  # Debian installs it in /usr/sbin, which a non-root PATH may lack.
  if [ -x /usr/sbin/nats-server ]; then echo /usr/sbin/nats-server; return 0; fi
  echo "no nats-server on PATH (install it with: bash scripts/install-nats.sh, which runs apt-get install -y nats-server as root)" >&2
  return 1
}

# The package enables a system service on port 4222; the tests start their own server and need none.
after_install() {
  if command -v systemctl > /dev/null 2>&1; then systemctl disable --now nats-server > /dev/null 2>&1 || true; fi
}

# shellcheck source=scripts/apt-tool.sh
source "$(dirname "$0")/apt-tool.sh"
apt_tool_main nats nats-server NATS_SERVER "$@"
