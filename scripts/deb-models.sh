#!/usr/bin/env bash
# Copies into the package's models folder what models/manifest.json lists
# and is present: for every entry with a sha256, its network file and the
# config, anchors and classes files it names, each checked against its
# checksum; plus the manifest and the licence notice (the README goes to
# /usr/share/doc/pantau/models.md).
#
#   scripts/deb-models.sh SRC DEST DEFAULT
#
# An entry whose file is absent is left out (the manifest also lists models
# a user brings), except DEFAULT: a package without its default model is
# refused.
set -euo pipefail
src=$1 dest=$2 default=$3
die() { echo "deb-models: $*" >&2; exit 1; }
command -v jq >/dev/null || die "jq missing: run scripts/deb-setup.sh (apt-get install jq)"
manifest=$src/manifest.json
[ -f "$manifest" ] || die "no $manifest"

check() { # file, sha256
	local got
	got=$(sha256sum "$src/$1" | cut -d' ' -f1)
	[ "$got" = "$2" ] || die "$src/$1: sha256 $got, the manifest says $2"
}

install -m 0644 "$manifest" "$dest/manifest.json"
for f in NOTICE LICENSE; do
	[ -f "$src/$f" ] && install -m 0644 "$src/$f" "$dest/$f"
done

# Fields joined by the unit separator: tabs are IFS whitespace, and read
# would merge the empty fields between them.
while IFS=$'\x1f' read -r name file sha config anchors anchors_sha classes; do
	if [ -z "$sha" ] || [ ! -f "$src/$file" ]; then
		[ "$name" = "$default" ] && die "the default model $name ($src/$file) is listed in $manifest but missing or unchecked: run make setup (scripts/models.sh) first"
		echo "deb-models: $name: not packaged (file absent or no sha256)" >&2
		continue
	fi
	check "$file" "$sha"
	install -m 0644 "$src/$file" "$dest/$file"
	if [ -n "$anchors" ]; then
		check "$anchors" "$anchors_sha"
		install -m 0644 "$src/$anchors" "$dest/$anchors"
	fi
	for extra in $config $classes; do
		[ -f "$src/$extra" ] || die "$name: $src/$extra, named in $manifest, is missing"
		install -m 0644 "$src/$extra" "$dest/$extra"
	done
	echo "deb-models: $name: packaged" >&2
done < <(jq -r '.models[] | [.name, .file, .sha256, (.config // ""), (.anchors // ""), (.anchors_sha256 // ""), (.classes_file // "")] | join("\u001f")' "$manifest")
