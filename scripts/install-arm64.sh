#!/usr/bin/env bash
# Installs what the linux-arm64 prebuilt needs on an x64 Debian machine, from Debian's packages:
#   compiler  g++-aarch64-linux-gnu (scripts/build-prebuilds.sh cross-compiles with it)
#   emulator  qemu-user-static, and Debian's arm64 Node with its libraries unpacked into
#             build-arm64/node-sysroot (not installed: nodejs:arm64 would replace the host's
#             x64 nodejs package), so `qemu-aarch64-static -L build-arm64/node-sysroot
#             build-arm64/node-sysroot/usr/bin/node` runs arm64 Node 18 (scripts/test-arm64.sh).
# Installing needs root (CI runs as root); what is already there is left alone. Exits non-zero,
# saying what is missing and the command that installs it, when it cannot.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "[install-arm64] $*"; }
updated=0
apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get > /dev/null; then
    say "missing $*; install it as root: apt-get install $*"
    return 1
  fi
  if [ "$updated" = 0 ]; then apt-get update -qq && updated=1; fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" > /dev/null
}

sysroot=build-arm64/node-sysroot
# Debian's arm64 Node and what it links (apt-cache depends nodejs:arm64 libnode108:arm64 on
# bookworm), plus the JS packages Debian's Node loads from /usr/share/nodejs.
node_packages=(nodejs:arm64 libnode108:arm64 libbrotli1:arm64 libc-ares2:arm64 libc6:arm64 libicu72:arm64
  libnghttp2-14:arm64 libssl3:arm64 libstdc++6:arm64 libuv1:arm64 zlib1g:arm64 libgcc-s1:arm64
  gcc-12-base:arm64 node-acorn node-cjs-module-lexer node-undici)

for part in "${@:-compiler emulator}"; do
  for what in $part; do
    case "$what" in
      compiler)
        command -v aarch64-linux-gnu-g++ > /dev/null || apt_install g++-aarch64-linux-gnu
        ;;
      emulator)
        command -v qemu-aarch64-static > /dev/null || apt_install qemu-user-static
        if [ ! -x "$sysroot/usr/bin/node" ]; then
          if ! dpkg --print-foreign-architectures | grep -qx arm64; then
            [ "$(id -u)" = 0 ] || { say "arm64 is not a dpkg architecture here; as root: dpkg --add-architecture arm64 && apt-get update"; exit 1; }
            say "dpkg --add-architecture arm64"
            dpkg --add-architecture arm64
            updated=0
          fi
          if [ "$updated" = 0 ]; then apt-get update -qq && updated=1; fi
          debs="$(mktemp -d)"
          say "downloading Debian's arm64 Node into $sysroot"
          (cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root "${node_packages[@]}" > /dev/null)
          rm -rf "$sysroot" && mkdir -p "$sysroot"
          for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$sysroot"; done
          rm -rf "$debs"
        fi
        ;;
      *)
        say "unknown part '$what' (expected compiler or emulator)"
        exit 2
        ;;
    esac
  done
done
