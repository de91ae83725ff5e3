// avdec.c: see avdec.h.
#include "avdec.h"

#include <libavcodec/avcodec.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>

struct avdec {
	AVCodecContext *ctx;
	AVPacket *pkt;
	AVFrame *frame;
	uint8_t *buf;
	int cap;
};

void avdec_quiet(void) { av_log_set_level(AV_LOG_QUIET); }
int avdec_eagain(void) { return AVERROR(EAGAIN); }

void avdec_strerror(int code, char *buf, int size) { av_strerror(code, buf, size); }

void avdec_close(avdec *d) {
	if (!d) return;
	avcodec_free_context(&d->ctx);
	av_packet_free(&d->pkt);
	av_frame_free(&d->frame);
	av_free(d->buf);
	av_free(d);
}

int avdec_open(avdec **out, int codec, int threads, int skip_loop_filter) {
	*out = NULL;
	const AVCodec *c = avcodec_find_decoder(codec == 265 ? AV_CODEC_ID_HEVC : AV_CODEC_ID_H264);
	if (!c) return AVERROR_DECODER_NOT_FOUND;
	avdec *d = av_mallocz(sizeof(*d));
	if (!d) return AVERROR(ENOMEM);
	int ret = AVERROR(ENOMEM);
	d->ctx = avcodec_alloc_context3(c);
	d->pkt = av_packet_alloc();
	d->frame = av_frame_alloc();
	if (!d->ctx || !d->pkt || !d->frame) goto fail;
	d->ctx->thread_count = threads > 0 ? threads : 1;
	// Frame threads add a frame of latency each; slices cost nothing.
	d->ctx->thread_type = FF_THREAD_SLICE | (threads > 1 ? FF_THREAD_FRAME : 0);
	// 1: skip on every picture; 2: on non-reference pictures only.
	if (skip_loop_filter == 1) d->ctx->skip_loop_filter = AVDISCARD_ALL;
	if (skip_loop_filter == 2) d->ctx->skip_loop_filter = AVDISCARD_NONREF;
	// Pictures with concealed errors are flagged, not hidden, so that the
	// caller can count them and wait for the next random-access unit.
	d->ctx->flags |= AV_CODEC_FLAG_OUTPUT_CORRUPT;
	ret = avcodec_open2(d->ctx, c, NULL);
	if (ret < 0) goto fail;
	*out = d;
	return 0;
fail:
	avdec_close(d);
	return ret;
}

uint8_t *avdec_buffer(avdec *d, int size) {
	if (size + AV_INPUT_BUFFER_PADDING_SIZE > d->cap) {
		int cap = (size + AV_INPUT_BUFFER_PADDING_SIZE) * 3 / 2;
		uint8_t *b = av_realloc(d->buf, cap);
		if (!b) return NULL;
		d->buf = b;
		d->cap = cap;
	}
	return d->buf;
}

int avdec_send(avdec *d, int size, int64_t seq) {
	memset(d->buf + size, 0, AV_INPUT_BUFFER_PADDING_SIZE);
	d->pkt->data = d->buf;
	d->pkt->size = size;
	// pts carries our sequence number through the decoder's reordering.
	d->pkt->pts = seq;
	d->pkt->dts = AV_NOPTS_VALUE;
	int ret = avcodec_send_packet(d->ctx, d->pkt);
	d->pkt->data = NULL;
	d->pkt->size = 0;
	return ret;
}

int avdec_receive(avdec *d, avdec_picture *pic) {
	av_frame_unref(d->frame);
	int ret = avcodec_receive_frame(d->ctx, d->frame);
	if (ret < 0) return ret;
	AVFrame *f = d->frame;
	const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(f->format);
	if (!desc || (desc->flags & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM))
	    || !(desc->flags & AV_PIX_FMT_FLAG_PLANAR && desc->nb_components >= 3) && desc->nb_components != 1)
		return AVERROR_PATCHWELCOME;
	pic->width = f->width;
	pic->height = f->height;
	pic->depth = desc->comp[0].depth;
	pic->chroma_width = 0;
	pic->chroma_height = 0;
	if (desc->nb_components >= 3) {
		pic->chroma_width = AV_CEIL_RSHIFT(f->width, desc->log2_chroma_w);
		pic->chroma_height = AV_CEIL_RSHIFT(f->height, desc->log2_chroma_h);
	}
	for (int i = 0; i < 3; i++) {
		pic->data[i] = f->data[i];
		pic->linesize[i] = f->linesize[i];
	}
	pic->seq = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
	pic->corrupt = (f->flags & AV_FRAME_FLAG_CORRUPT) || f->decode_error_flags;
	return 0;
}

void avdec_flush(avdec *d) { avcodec_flush_buffers(d->ctx); }
