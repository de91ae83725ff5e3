#!/usr/bin/env bash
# Prints the Depends of the Pantau package: the packages and minimum
# versions of the shared libraries BINARY links against, as dpkg-shlibdeps
# computes them from the libraries' symbols/shlibs files, plus what the
# maintainer scripts run (adduser).
#
#   scripts/deb-depends.sh ARCH BINARY [SYSROOT]
#
# For a cross-built binary the libraries and their dpkg database are those
# of SYSROOT (made by scripts/deb-sysroot.sh): dpkg-shlibdeps searches its
# library folders (-l) and asks its database (--admindir).
set -euo pipefail
arch=$1 bin=$2 sysroot=${3:-}
host=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# dpkg-shlibdeps wants a source tree: an empty debian/control and the
# binary where the package's files would be.
mkdir -p "$work/debian/pantau/usr/bin" "$work/debian/pantau/DEBIAN"
printf 'Source: pantau\n\nPackage: pantau\nArchitecture: any\n' >"$work/debian/control"
cp "$bin" "$work/debian/pantau/usr/bin/pantau"
args=()
if [ "$arch" != "$host" ]; then
	[ -f "$sysroot/var/lib/dpkg/status" ] || { echo "deb-depends: no dpkg database in $sysroot: run scripts/deb-sysroot.sh $arch" >&2; exit 1; }
	triplet=$(dpkg-architecture -a"$arch" -qDEB_HOST_MULTIARCH 2>/dev/null)
	args=(--admindir="$sysroot/var/lib/dpkg" -l"$sysroot/lib/$triplet" -l"$sysroot/usr/lib/$triplet")
	export DEB_HOST_ARCH=$arch DEB_HOST_GNU_TYPE=$triplet DEB_HOST_MULTIARCH=$triplet
fi
shlibs=$(cd "$work" && dpkg-shlibdeps "${args[@]}" -O -e debian/pantau/usr/bin/pantau 2>"$work/err") || {
	cat "$work/err" >&2
	exit 1
}
# A library linked but never used, or a symbol no library provides, is a
# flaw of the build, not a warning to ship with. (It also says the binary
# is not in its package's directory although it is: that one is noise.)
if grep -v "installed in their package's directory" "$work/err" | grep -q warning; then
	cat "$work/err" >&2
	echo "deb-depends: dpkg-shlibdeps warned (above)" >&2
	exit 1
fi
deps=${shlibs#shlibs:Depends=}
# The postinst creates the system user with adduser.
echo "adduser, $deps"
