#!/usr/bin/env bash
# Makes the test clips from vtest.avi (PETS 2009, Debian opencv-doc) with the
# exact recipes in docs/ARCHITECTURE (keep them, so figures compare across
# runs). Idempotent: existing clips are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
src=testdata/vtest.avi
out=testdata/clips
mkdir -p "$out"
[ -s "$src" ] || { echo "testdata.sh: $src missing: run scripts/setup.sh" >&2; exit 1; }

make_clip() { # name, ffmpeg output args...
	local name=$1
	shift
	[ -s "$out/$name" ] && return 0
	echo "testdata: making $name"
	ffmpeg -nostdin -loglevel error -y -i "$src" "$@" "$out/.tmp-$name"
	mv "$out/.tmp-$name" "$out/$name"
}

make_clip vtest_h264.mp4 -c:v libx264 -profile:v main -bf 0 -g 25 -pix_fmt yuv420p
make_clip vtest_h265.mp4 -c:v libx265 -x265-params bframes=0:keyint=25:log-level=error -pix_fmt yuv420p
cam1080='scale=1920:1080,fps=25,noise=alls=6:allf=t'
make_clip cam1080_h264.mp4 -t 20 -vf "$cam1080" -c:v libx264 -profile:v main -bf 0 -g 50 -b:v 4M -pix_fmt yuv420p
make_clip cam1080_h265.mp4 -t 20 -vf "$cam1080" -c:v libx265 -x265-params bframes=0:keyint=50:log-level=error -b:v 3M -pix_fmt yuv420p
# A still scene: the first frame repeated for 10 s, for "no motion" tests.
make_clip still_h264.mp4 -t 10 -vf 'select=eq(n\,0),loop=loop=-1:size=1:start=0,fps=10' -c:v libx264 -profile:v main -bf 0 -g 25 -pix_fmt yuv420p
# Camera-like streams as real cameras send them (issue 11): 25 fps with
# B-frames in the usual GOP structures, and intra refresh without IDR
# after the first picture. 768×576 (vtest's size) keeps tests cheap.
cam25='fps=25,noise=alls=6:allf=t'
make_clip cam_ibp_h264.mp4 -t 20 -vf "$cam25" -c:v libx264 -profile:v main -bf 1 -x264-params b-adapt=0:b-pyramid=none -g 50 -b:v 2M -pix_fmt yuv420p
make_clip cam_ibbp_h264.mp4 -t 20 -vf "$cam25" -c:v libx264 -profile:v main -bf 2 -x264-params b-adapt=0:b-pyramid=none -g 50 -b:v 2M -pix_fmt yuv420p
make_clip cam_bpyramid_h264.mp4 -t 20 -vf "$cam25" -c:v libx264 -profile:v high -bf 3 -x264-params b-adapt=0:b-pyramid=normal -g 50 -b:v 2M -pix_fmt yuv420p
make_clip cam_bf4_h265.mp4 -t 20 -vf "$cam25" -c:v libx265 -x265-params bframes=4:b-adapt=0:keyint=50:log-level=error -b:v 2M -pix_fmt yuv420p
# Intra refresh: one IDR at the start, then recovery-point SEIs; a client
# that joins later never sees an IDR.
make_clip cam_noidr_h264.mp4 -t 20 -vf "$cam25" -c:v libx264 -profile:v main -bf 0 -x264-params intra-refresh=1:keyint=50 -b:v 2M -pix_fmt yuv420p
# Eight slices per picture, as many cameras send: a lost RTP packet loses
# one slice, not the picture (packet-loss tests).
make_clip cam_slices_h264.mp4 -c:v libx264 -profile:v main -bf 0 -g 25 -x264-params slices=8 -pix_fmt yuv420p
# Day → infrared → day (issue 11 item 9): vtest in colour for 10 s, then
# a minute as a camera's night mode sends it (no colour, luma −40 %,
# gaussian luma noise σ ≈ 6: ffmpeg's strength 10 is σ = 10/√3), then
# colour again; each switch happens between two frames, GOP 25 as vtest.
ir="enable='between(t,10,70)'"
make_clip daynight_h264.mp4 -vf "hue=s=0:$ir,lutyuv=y=val*0.6:$ir,noise=c0s=10:c0f=t:$ir" -c:v libx264 -profile:v main -bf 0 -g 25 -pix_fmt yuv420p
# "Smart codec" cameras (issue 11, loop filter by evidence): 10 s and 30 s
# between IDRs (no scene-cut keyframes), low bitrate, H.264 and H.265, with
# and without B-frames (four combinations, every level twice), preset
# fast. A still scene at 1080p25, 1.5 / 1 Mbit/s (vtest's first frame with
# sensor noise, 70 s: motion false positives), and vtest itself at its own
# size, 25 fps, at the same bits per pixel (320 / 213 kbit/s: counting
# against testdata/truth/vtest_busy.*; 1080p would take far longer to
# encode and decode for the same evidence).
lgstill='select=eq(n\,0),loop=loop=-1:size=1:start=0,fps=25,scale=1920:1080,noise=alls=6:allf=t'
lg_clips() { # scene, filters, H.264 rate, H.265 rate, max rate, extra input args...
	local scene=$1 vf=$2 r264=$3 r265=$4 max=$5
	shift 5
	local x264=(-c:v libx264 -preset fast -profile:v high -b:v "$r264" -maxrate "$max" -bufsize "$max" -pix_fmt yuv420p)
	local x265=(-c:v libx265 -preset fast -b:v "$r265" -maxrate "$max" -bufsize "$max" -pix_fmt yuv420p)
	make_clip "lg_${scene}_h264_g30b.mp4" "$@" -vf "$vf" "${x264[@]}" -bf 2 -g 750 -x264-params scenecut=0:b-pyramid=none
	# The short tests use only the clip above; the full table (x265 at
	# 1080p takes a quarter of an hour on two cores) only for the long run.
	[ "${PANTAU_LONG_TESTS:-}" = 1 ] || return 0
	make_clip "lg_${scene}_h264_g10.mp4" "$@" -vf "$vf" "${x264[@]}" -bf 0 -g 250 -x264-params scenecut=0
	make_clip "lg_${scene}_h265_g10b.mp4" "$@" -vf "$vf" "${x265[@]}" -x265-params keyint=250:min-keyint=250:scenecut=0:bframes=4:log-level=error
	make_clip "lg_${scene}_h265_g30.mp4" "$@" -vf "$vf" "${x265[@]}" -x265-params keyint=750:min-keyint=750:scenecut=0:bframes=0:log-level=error
}
lg_clips still "$lgstill" 1500k 1000k 2M -t 70
lg_clips vtest 'fps=25,noise=alls=6:allf=t' 320k 213k 427k
