#!/usr/bin/env bash
# Installs what "make deb" and its long tests need beyond scripts/setup.sh,
# on Debian 12 as root: the cross compiler, qemu-user for running the arm64
# binary, mmdebstrap for the arm64 sysroot and the bare test roots, and
# lintian. Idempotent.
#
#   scripts/deb-setup.sh [ARCH...]     default: amd64 arm64
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf 'deb-setup: %s\n' "$*"; }
arches=${*:-amd64 arm64}
host=$(dpkg --print-architecture)

pkgs=(dpkg-dev lintian jq binutils mmdebstrap)
for a in $arches; do
	[ "$a" = "$host" ] && continue
	case $a in
	arm64) pkgs+=(crossbuild-essential-arm64 binutils-aarch64-linux-gnu qemu-user-static) ;;
	*) log "architecture $a: only amd64 and arm64 are supported"; exit 1 ;;
	esac
done
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || { log "missing: ${missing[*]} — run as root or: sudo apt-get install ${missing[*]}"; exit 1; }
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Build output stays out of "go ... ./..." patterns: a go.mod makes the
# folder another module.
mkdir -p build
[ -f build/go.mod ] || printf 'module pantau.invalid/build\n' >build/go.mod

for a in $arches; do
	[ "$a" = "$host" ] || scripts/deb-sysroot.sh "$a"
done
log ok
