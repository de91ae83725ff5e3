// chroma.c: how colourful a decoded picture is, see avdec.h.
#include "avdec.h"

#include <math.h>

// About this many samples per picture: enough for a stable mean, cheap
// enough to run on every picture (a few microseconds).
enum { SAT_COLS = 64, SAT_ROWS = 48 };

static int chroma_at(const uint8_t *row, int x, int depth) {
	if (depth > 8)
		return ((const uint16_t *)row)[x] >> (depth - 8);
	return row[x];
}

double avdec_saturation(const avdec_picture *pic) {
	int w = pic->chroma_width, h = pic->chroma_height;
	if (w <= 0 || h <= 0 || !pic->data[1] || !pic->data[2])
		return -1;
	int sx = w / SAT_COLS, sy = h / SAT_ROWS;
	if (sx < 1) sx = 1;
	if (sy < 1) sy = 1;
	double sum = 0;
	long n = 0;
	for (int y = sy / 2; y < h; y += sy) {
		const uint8_t *u = pic->data[1] + (long)y * pic->linesize[1];
		const uint8_t *v = pic->data[2] + (long)y * pic->linesize[2];
		for (int x = sx / 2; x < w; x += sx) {
			double du = chroma_at(u, x, pic->depth) - 128;
			double dv = chroma_at(v, x, pic->depth) - 128;
			sum += sqrt(du * du + dv * dv);
			n++;
		}
	}
	return n ? sum / n : -1;
}
