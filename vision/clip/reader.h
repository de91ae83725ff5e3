// reader.h: libavformat demuxer plus the mp4-to-Annex-B bitstream filter,
// used by reader.go.
#ifndef PANTAU_CLIP_READER_H
#define PANTAU_CLIP_READER_H

#include <stdint.h>

typedef struct clip_reader clip_reader;

typedef struct {
	int codec;         // 0 unsupported, 264 or 265
	int width, height;
	double fps;
	int64_t duration_us;
	const uint8_t *extradata; // Annex-B parameter sets (filter output), may be NULL
	int extradata_size;
} clip_info;

// clip_open opens path and prepares its first video stream. On failure it
// returns a negative AVERROR (or -1 for no/unsupported video stream, with
// *codec_id set to the libavcodec id found) and *out is NULL.
int clip_open(const char *path, clip_reader **out, int *codec_id);
void clip_get_info(clip_reader *r, clip_info *info);
// clip_next reads the next Annex-B packet of the video stream. It returns 0
// and fills data/size/pts_us/key (valid until the next call), or a negative
// AVERROR (AVERROR_EOF at the end).
int clip_next(clip_reader *r, const uint8_t **data, int *size, int64_t *pts_us, int64_t *dts_us, int *key);
void clip_close(clip_reader *r);
const char *clip_codec_name(int codec_id);

#endif
