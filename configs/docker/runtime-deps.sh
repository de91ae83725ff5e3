#!/bin/sh
# Prints, one per line, the Debian packages holding the shared libraries a
# binary links against directly (its DT_NEEDED entries). The Dockerfile
# uses it to install the runtime libraries of the binary it just built and
# nothing else; apt pulls in their own dependencies.
#
#   configs/docker/runtime-deps.sh bin/pantau
set -eu
bin=${1:?usage: runtime-deps.sh BINARY}
[ -x "$bin" ] || { echo "runtime-deps: $bin is not an executable" >&2; exit 1; }

needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$needed" ] || { echo "runtime-deps: $bin has no shared libraries (static?)" >&2; exit 0; }

pkgs=""
for lib in $needed; do
	case $lib in ld-linux*) continue ;; esac # the dynamic loader, in libc6
	path=$(ldd "$bin" | awk -v l="$lib" '$1 == l && $3 ~ /^\// { print $3; exit }')
	[ -n "$path" ] || { echo "runtime-deps: $lib not found by the loader" >&2; exit 1; }
	real=$(readlink -f "$path")
	pkg=""
	# /usr-merged systems register some libraries under /lib, some under
	# /usr/lib: try the path as given, resolved, and with /usr added or
	# removed.
	for p in "$path" "$real" "/usr$path" "/usr$real" "${path#/usr}" "${real#/usr}"; do
		pkg=$(dpkg-query -S "$p" 2>/dev/null | head -n 1 | cut -d: -f1) && [ -n "$pkg" ] && break
	done
	[ -n "$pkg" ] || { echo "runtime-deps: no Debian package holds $path" >&2; exit 1; }
	pkgs="$pkgs $pkg"
done
printf '%s\n' $pkgs | sort -u
