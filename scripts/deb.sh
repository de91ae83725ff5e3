#!/usr/bin/env bash
# Builds the Debian package of Pantau for one architecture with plain
# dpkg-deb from a staging tree (docs/packaging.md says what goes where and
# why).
#
#   scripts/deb.sh [ARCH]          ARCH amd64 (native) or arm64 (cross, with
#                                  the sysroot of scripts/deb-sysroot.sh)
#   → build/deb/pantau_<version>_<arch>.deb
#
# Environment:
#   DEB_VERSION   package version (default: from git, see deb_version)
#   DEB_OUT       output folder (default build/deb)
#   DEB_BIN       package this binary instead of building one
#   DEB_SYSROOT   sysroot for a cross build (default build/sysroot-ARCH)
#   DEB_COMPRESS, DEB_COMPRESS_LEVEL  dpkg-deb -Z and -z (default xz at its
#                 default level; the tests use gzip at level 1: seconds)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
host=$(dpkg --print-architecture)
arch=${1:-$host}
out=${DEB_OUT:-$root/build/deb}
sysroot=${DEB_SYSROOT:-$root/build/sysroot-$arch}
# The model every shipped config may use without naming a file: once the
# manifest lists it, a package without it is refused.
default_model=ssd_mobilenet_v2_coco
log() { printf 'deb: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}

# A Debian version that grows with every commit: the tag vX.Y.Z (plus the
# commits since), or 0.0~git<commit time>.<hash> before the first tag.
deb_version() {
	local d t h
	if d=$(git describe --tags --match 'v[0-9]*' 2>/dev/null); then
		d=${d#v}
		echo "${d/-/+}" | tr - .
		return
	fi
	t=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y%m%d.%H%M%S 2>/dev/null) || t=0
	h=$(git rev-parse --short HEAD 2>/dev/null) || h=nogit
	echo "0.0~git$t.$h"
}
version=${DEB_VERSION:-$(deb_version)}
echo "$version" | grep -Eq '^[0-9][A-Za-z0-9.+~]*$' || die "DEB_VERSION $version: not a Debian version (digits first; letters, digits, . + ~)"

case $arch in
amd64) triplet=x86_64-linux-gnu qemu="" ;;
arm64) triplet=aarch64-linux-gnu qemu=qemu-aarch64-static ;;
*) die "architecture $arch: only amd64 and arm64 are supported" ;;
esac
cross=""
[ "$arch" = "$host" ] || cross=1
for t in dpkg-deb dpkg-shlibdeps jq readelf; do
	command -v $t >/dev/null || die "$t missing: run scripts/deb-setup.sh"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/pantau
bin=$work/pantau.bin

# --- the binary
if [ -n "${DEB_BIN:-}" ]; then
	cp "$DEB_BIN" "$bin"
else
	# Debian's hardening (dpkg-buildflags): PIE, fortified C, stack
	# protector, read-only relocations bound at start.
	goflags=(-trimpath -buildmode=pie -ldflags "-s -w -X main.version=$version")
	cflags="-O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong"
	if [ -n "$cross" ]; then
		[ -e "$sysroot/.complete" ] || die "no $arch sysroot at $sysroot: run scripts/deb-sysroot.sh $arch (or make deb, which does)"
		[ -e "$sysroot/usr/include/xnnpack.h" ] || die "the $arch sysroot at $sysroot predates libxnnpack-dev: run scripts/deb-sysroot.sh $arch (it makes it again)"
		command -v "$triplet-gcc" >/dev/null || die "$triplet-gcc missing: run scripts/deb-setup.sh (apt-get install crossbuild-essential-$arch)"
		log "cross-building for $arch with $triplet-gcc --sysroot=$sysroot"
		env CGO_ENABLED=1 GOOS=linux GOARCH="$arch" \
			CC="$triplet-gcc" CXX="$triplet-g++" \
			CGO_CFLAGS="$cflags --sysroot=$sysroot" CGO_CXXFLAGS="$cflags --sysroot=$sysroot" \
			CGO_LDFLAGS="--sysroot=$sysroot -Wl,--as-needed -Wl,-z,relro,-z,now" \
			PKG_CONFIG_SYSROOT_DIR="$sysroot" \
			PKG_CONFIG_LIBDIR="$sysroot/usr/lib/$triplet/pkgconfig:$sysroot/usr/share/pkgconfig" \
			go build "${goflags[@]}" -o "$bin" ./cmd/pantau
	else
		log "building for $arch"
		env CGO_ENABLED=1 CGO_CFLAGS="$cflags" CGO_CXXFLAGS="$cflags" \
			CGO_LDFLAGS="-Wl,--as-needed -Wl,-z,relro,-z,now" \
			go build "${goflags[@]}" -o "$bin" ./cmd/pantau
	fi
fi
file_arch=$(readelf -h "$bin" | sed -n 's/^ *Machine: *//p')
case $arch/$file_arch in
amd64/*X86-64* | arm64/*AArch64*) ;;
*) die "$bin is a $file_arch binary, not $arch" ;;
esac
# A GLIBC_PRIVATE import means pieces of a static glibc archive were linked
# in (a dangling lib*.so link in a sysroot): the package would then depend
# on one exact libc6 release.
if readelf --dyn-syms --wide "$bin" | grep -q '@GLIBC_PRIVATE'; then
	die "$bin imports GLIBC_PRIVATE symbols ($(readelf --dyn-syms --wide "$bin" | grep -o '[^ ]*@GLIBC_PRIVATE' | sort -u | tr '\n' ' ')): a static glibc archive was linked in; re-run scripts/deb-sysroot.sh $arch"
fi

# Runs the packaged binary here: natively, or under qemu-user with the
# sysroot as the library prefix.
run_bin() {
	if [ -n "$cross" ]; then
		command -v "$qemu" >/dev/null || die "$qemu missing: run scripts/deb-setup.sh (apt-get install qemu-user-static)"
		QEMU_LD_PREFIX=$sysroot "$qemu" "$bin" "$@"
	else
		"$bin" "$@"
	fi
}

# --- the staging tree
doc=$stage/usr/share/doc/pantau
models=$stage/usr/share/pantau/models
install -d -m 0755 "$stage/DEBIAN" "$doc/examples/mosquitto" "$models" \
	"$stage/usr/share/man/man1" "$stage/lib/systemd/system"
install -d -m 0755 "$stage/etc/pantau"
install -D -m 0755 "$bin" "$stage/usr/bin/pantau"

# The unit as the repository has it, with the binary where Debian puts it.
sed 's#/usr/local/bin/pantau#/usr/bin/pantau#g' configs/systemd/pantau.service >"$stage/lib/systemd/system/pantau.service"
chmod 0644 "$stage/lib/systemd/system/pantau.service"
grep -q '^ExecStart=/usr/bin/pantau run ' "$stage/lib/systemd/system/pantau.service" ||
	die "configs/systemd/pantau.service: ExecStart does not run /usr/bin/pantau (nor /usr/local/bin/pantau) run"

# The example config is the site's config: a conffile. Once edited it may
# hold passwords, so the postinst makes it pantau:pantau 0640 (the web UI
# replaces it) in a folder root:pantau 1770 with dpkg-statoverride, which
# dpkg also applies on upgrades.
install -m 0644 configs/pantau.yaml "$stage/etc/pantau/pantau.yaml"
for f in configs/*.yaml; do install -m 0644 "$f" "$doc/examples/"; done
for f in configs/mosquitto/*; do install -m 0644 "$f" "$doc/examples/mosquitto/"; done

# The models: every manifest entry whose files are here and carry a
# checksum, each file checked against it.
scripts/deb-models.sh models "$models" "$default_model"

# Docs a technician needs offline: compressed above 4 kB (Policy 12.3);
# the example configs stay plain, to be copied.
install -m 0644 README.md "$doc/README.md"
for f in docs/*.md; do install -m 0644 "$f" "$doc/"; done
install -m 0644 models/README.md "$doc/models.md"
for f in "$doc"/*.md; do
	[ "$(stat -c %s "$f")" -gt 4096 ] && gzip -9n "$f"
done
install -m 0644 configs/deb/copyright "$doc/copyright"
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
date=$(git log -1 --format=%cD 2>/dev/null || date -R)
printf 'pantau (%s) unstable; urgency=medium\n\n  * Built from commit %s.\n\n -- %s  %s\n' \
	"$version" "$commit" "$(sed -n 's/^Maintainer: //p' configs/deb/control.in)" "$date" |
	gzip -9n >"$doc/changelog.gz"

# A manual page made from the binary's own help, so it cannot go stale.
help=$(run_bin help) || die "the $arch binary does not run: pantau help failed"
scripts/deb-manpage.sh "$version" <<<"$help" | gzip -9n >"$stage/usr/share/man/man1/pantau.1.gz"
got=$(run_bin version)
case $got in *" linux/$arch") ;; *) die "pantau version says \"$got\", want a linux/$arch build" ;; esac

# --- control files
for s in postinst prerm postrm; do install -m 0755 "configs/deb/$s" "$stage/DEBIAN/$s"; done
(cd "$stage" && find etc -type f | sed 's#^#/#' | sort) >"$stage/DEBIAN/conffiles"
chmod 0644 "$stage/DEBIAN/conffiles"

depends=$(scripts/deb-depends.sh "$arch" "$stage/usr/bin/pantau" "$sysroot")
[ -n "$depends" ] || die "no Depends computed for $stage/usr/bin/pantau"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@DEPENDS@/$depends/" \
	-e "s/@SIZE@/$size/" configs/deb/control.in >"$stage/DEBIAN/control"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
	xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"

mkdir -p "$out"
deb=$out/pantau_${version}_$arch.deb
# Files owned by root whoever builds; dates from the commit, so two builds
# of one commit give the same package.
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
export SOURCE_DATE_EPOCH
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
dpkg-deb -Z"${DEB_COMPRESS:-xz}" ${DEB_COMPRESS_LEVEL:+-z"$DEB_COMPRESS_LEVEL"} --build --root-owner-group "$stage" "$deb" >/dev/null
log "built $deb ($(stat -c %s "$deb") bytes; Depends: $depends)"
echo "$deb"
