# Shared by scripts/install-chromium.sh and scripts/install-nats.sh (sourced, not run): the
# "find it, or install Debian's package as root" steps of a tool a test needs.
#
# The sourcing script defines find_tool (prints the tool's path, or why there is none on stderr,
# and returns 1), then calls
#   apt_tool_main TAG PACKAGE ENV_VAR [--check]
# TAG prefixes the messages ("[TAG] ..."), PACKAGE is the Debian package, ENV_VAR the variable a
# user sets to point at a tool installed some other way. With --check it only runs find_tool;
# otherwise it installs PACKAGE when the tool is missing (idempotent) and prints the path. After a
# fresh install it calls after_install when the sourcing script defines it.

apt_tool_main() {
  local tag=$1 package=$2 env_var=$3
  shift 3
  if [ "${1:-}" = "--check" ]; then
    find_tool
    exit $?
  fi
  if [ $# -gt 0 ]; then
    echo "usage: bash $0 [--check]" >&2
    exit 2
  fi
  local path
  if path=$(find_tool 2> /dev/null); then
    echo "[$tag] found $path"
    exit 0
  fi
  if ! command -v apt-get > /dev/null 2>&1; then
    echo "[$tag] not installed and no apt-get here: install $package and set $env_var" >&2
    exit 1
  fi
  if [ "$(id -u)" != "0" ]; then
    echo "[$tag] not installed; run as root (or: sudo apt-get install -y $package)" >&2
    exit 1
  fi
  echo "[$tag] apt-get install -y $package"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" > /dev/null; }; then
    echo "[$tag] apt-get install $package failed" >&2
    exit 1
  fi
  if declare -F after_install > /dev/null; then after_install; fi
  find_tool
}
