#!/usr/bin/env bash
# Makes a Debian 12 sysroot for cross-building Pantau for another
# architecture (arm64): the OpenCV and FFmpeg -dev packages and everything
# they depend on, unpacked into a folder by mmdebstrap's "extract" variant.
# No maintainer script runs, so no emulation is needed, and nothing is
# installed on the build machine (Debian's libopencv-dev:arm64 does not
# co-install with the amd64 one).
#
# Beside the files it writes a dpkg database made from the same .debs
# (var/lib/dpkg: status, info/*.list, *.symbols, *.shlibs) whose file lists
# name the sysroot's absolute paths, so that dpkg-shlibdeps --admindir can
# map the cross-built binary's libraries to packages and versions.
#
#   scripts/deb-sysroot.sh [ARCH [DIR]]    default: arm64 build/sysroot-ARCH
#
# Downloads 424 packages, 233 MB, from Debian's archive and unpacks 1.1 GB
# (the .debs stay in var/cache/apt/archives for the database); a second
# run only re-makes the database if the folder moved.
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:-arm64}
dir=${2:-build/sysroot-$arch}
mkdir -p "$(dirname "$dir")"
dir=$(cd "$(dirname "$dir")" && pwd)/$(basename "$dir")
log() { printf 'deb-sysroot: %s\n' "$*"; }

# The -dev packages vision/decode, vision/clip, vision/detect and gocv link
# against (pkg-config opencv4 names every OpenCV module; XNNPACK and the
# pthreadpool header it includes for vision/detect's engine), and the C/C++
# runtime headers and start files for --sysroot.
pkgs=libopencv-dev,libavcodec-dev,libavformat-dev,libavutil-dev,libswscale-dev,libxnnpack-dev,libpthreadpool-dev,libc6-dev,libstdc++-12-dev,libgcc-12-dev

# .complete holds the package list the folder was made with: a folder made
# before the list changed (or by a version that wrote an empty .complete)
# is made again, so it never lacks a library the build now links.
if [ "$(cat "$dir/.complete" 2>/dev/null)" != "$pkgs" ]; then
	[ -e "$dir/.complete" ] && log "$dir was made for other packages than $pkgs: making it again"
	command -v mmdebstrap >/dev/null || { log "mmdebstrap missing: run scripts/deb-setup.sh (apt-get install mmdebstrap)"; exit 1; }
	rm -rf "$dir.tmp"
	log "unpacking $pkgs for $arch into $dir (several minutes)"
	mmdebstrap --quiet --mode=root --variant=extract --arch="$arch" \
		--skip=cleanup/apt/cache --include="$pkgs" bookworm "$dir.tmp"
	# No postinst ran, so the links update-alternatives makes for BLAS and
	# LAPACK (which libopencv_core needs) are missing: make them, relative.
	triplet=$(dpkg-architecture -a"$arch" -qDEB_HOST_MULTIARCH 2>/dev/null)
	for lib in blas/libblas.so.3 lapack/liblapack.so.3; do
		[ -e "$dir.tmp/usr/lib/$triplet/$lib" ] && ln -sf "$lib" "$dir.tmp/usr/lib/$triplet/$(basename "$lib")"
	done
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
	echo "$pkgs" >"$dir/.complete"
fi

# Debian's -dev packages make lib*.so absolute links (libm.so ->
# /lib/aarch64-linux-gnu/libm.so.6). Under --sysroot those point at the
# build machine or nowhere, and the linker then quietly takes the static
# archive instead (libm.a's sqrt brings errno@GLIBC_PRIVATE, and with it a
# "libc6 (<< 2.37)" Depends). Make every absolute link under usr/lib relative, inside the
# folder; a second run finds none.
find "$dir/usr/lib" -type l -lname '/*' -print0 | while IFS= read -r -d '' link; do
	target=$(readlink "$link")
	ln -sfn "$(realpath -s -m --relative-to="$(dirname "$link")" "$dir$target")" "$link"
done

# The database names absolute paths, so it is tied to where the folder is.
admin=$dir/var/lib/dpkg
if [ "$(cat "$admin/pantau-prefix" 2>/dev/null)" != "$dir" ]; then
	log "writing the dpkg database for $dir"
	rm -rf "$admin"
	mkdir -p "$admin/info" "$admin/updates"
	echo "$arch" >"$admin/arch"
	# Format 1: info files of Multi-Arch: same packages carry ":arch".
	echo 1 >"$admin/info/format"
	: >"$admin/status"
	ctrl=$(mktemp -d)
	for deb in "$dir"/var/cache/apt/archives/*.deb; do
		name=$(dpkg-deb -f "$deb" Package)
		# dpkg names the info files of Multi-Arch: same packages with the
		# architecture, others without.
		info=$name
		if [ "$(dpkg-deb -f "$deb" Multi-Arch)" = same ]; then info=$name:$(dpkg-deb -f "$deb" Architecture); fi
		{
			dpkg-deb -f "$deb" | sed '/^Status:/d' | sed '1a Status: install ok installed'
			echo
		} >>"$admin/status"
		dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -e 's#^\./#/#' -e 's#/$##' -e '/^\/\?$/d' |
			sed "s#^#$dir#" >"$admin/info/$info.list"
		rm -rf "${ctrl:?}"/*
		dpkg-deb -e "$deb" "$ctrl"
		for f in symbols shlibs; do
			[ -f "$ctrl/$f" ] && cp "$ctrl/$f" "$admin/info/$info.$f"
		done
	done
	rm -rf "$ctrl"
	echo "$dir" >"$admin/pantau-prefix"
fi
log "ok: $dir"
