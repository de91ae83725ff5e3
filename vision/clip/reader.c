// reader.c: see reader.h.
#include "reader.h"

#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>

struct clip_reader {
	AVFormatContext *fmt;
	AVBSFContext *bsf;
	AVPacket *in, *out;
	int stream;
	int codec;
	int flushed;    // NULL packet sent to the filter
	int64_t start;  // first pts in stream time base, or AV_NOPTS_VALUE
};

void clip_close(clip_reader *r) {
	if (!r) return;
	av_packet_free(&r->in);
	av_packet_free(&r->out);
	av_bsf_free(&r->bsf);
	avformat_close_input(&r->fmt);
	av_free(r);
}

int clip_open(const char *path, clip_reader **out, int *codec_id) {
	*out = NULL;
	*codec_id = 0;
	clip_reader *r = av_mallocz(sizeof(*r));
	if (!r) return AVERROR(ENOMEM);
	r->stream = -1;
	r->start = AV_NOPTS_VALUE;
	int ret = avformat_open_input(&r->fmt, path, NULL, NULL);
	if (ret < 0) goto fail;
	ret = avformat_find_stream_info(r->fmt, NULL);
	if (ret < 0) goto fail;
	ret = av_find_best_stream(r->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
	if (ret < 0) goto fail;
	r->stream = ret;
	AVStream *st = r->fmt->streams[r->stream];
	*codec_id = st->codecpar->codec_id;
	const char *filter;
	switch (st->codecpar->codec_id) {
	case AV_CODEC_ID_H264: r->codec = 264; filter = "h264_mp4toannexb"; break;
	case AV_CODEC_ID_HEVC: r->codec = 265; filter = "hevc_mp4toannexb"; break;
	default: ret = -1; goto fail;
	}
	const AVBitStreamFilter *f = av_bsf_get_by_name(filter);
	if (!f) { ret = AVERROR_BSF_NOT_FOUND; goto fail; }
	ret = av_bsf_alloc(f, &r->bsf);
	if (ret < 0) goto fail;
	ret = avcodec_parameters_copy(r->bsf->par_in, st->codecpar);
	if (ret < 0) goto fail;
	r->bsf->time_base_in = st->time_base;
	ret = av_bsf_init(r->bsf);
	if (ret < 0) goto fail;
	r->in = av_packet_alloc();
	r->out = av_packet_alloc();
	if (!r->in || !r->out) { ret = AVERROR(ENOMEM); goto fail; }
	if (st->start_time != AV_NOPTS_VALUE) r->start = st->start_time;
	// Only the video stream is wanted; let the demuxer drop the rest.
	for (unsigned i = 0; i < r->fmt->nb_streams; i++)
		if ((int)i != r->stream) r->fmt->streams[i]->discard = AVDISCARD_ALL;
	*out = r;
	return 0;
fail:
	clip_close(r);
	return ret;
}

void clip_get_info(clip_reader *r, clip_info *info) {
	AVStream *st = r->fmt->streams[r->stream];
	info->codec = r->codec;
	info->width = st->codecpar->width;
	info->height = st->codecpar->height;
	AVRational fr = st->avg_frame_rate;
	if (fr.num <= 0 || fr.den <= 0) fr = st->r_frame_rate;
	info->fps = (fr.num > 0 && fr.den > 0) ? av_q2d(fr) : 0;
	info->duration_us = 0;
	if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
		info->duration_us = av_rescale_q(st->duration, st->time_base, AV_TIME_BASE_Q);
	else if (r->fmt->duration != AV_NOPTS_VALUE && r->fmt->duration > 0)
		info->duration_us = r->fmt->duration;
	info->extradata = r->bsf->par_out->extradata;
	info->extradata_size = r->bsf->par_out->extradata_size;
}

int clip_next(clip_reader *r, const uint8_t **data, int *size, int64_t *pts_us, int64_t *dts_us, int *key) {
	av_packet_unref(r->out);
	for (;;) {
		int ret = av_bsf_receive_packet(r->bsf, r->out);
		if (ret == 0) break;
		if (ret != AVERROR(EAGAIN)) return ret; // includes AVERROR_EOF after flush
		for (;;) {
			av_packet_unref(r->in);
			ret = av_read_frame(r->fmt, r->in);
			if (ret == AVERROR_EOF && !r->flushed) {
				r->flushed = 1;
				ret = av_bsf_send_packet(r->bsf, NULL);
				if (ret < 0) return ret;
				break;
			}
			if (ret < 0) return ret;
			if (r->in->stream_index != r->stream) continue;
			ret = av_bsf_send_packet(r->bsf, r->in);
			if (ret < 0) return ret;
			break;
		}
	}
	AVPacket *p = r->out;
	AVRational tb = r->bsf->time_base_out;
	int64_t ts = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
	if (ts == AV_NOPTS_VALUE) ts = 0;
	if (r->start != AV_NOPTS_VALUE) ts -= r->start;
	*pts_us = av_rescale_q(ts, tb, AV_TIME_BASE_Q);
	// The decoding time, on the same origin: before the PTS by the
	// reorder delay when the stream has B-frames.
	int64_t dts = p->dts != AV_NOPTS_VALUE ? p->dts : p->pts;
	if (dts == AV_NOPTS_VALUE) dts = 0;
	if (r->start != AV_NOPTS_VALUE) dts -= r->start;
	*dts_us = av_rescale_q(dts, tb, AV_TIME_BASE_Q);
	*data = p->data;
	*size = p->size;
	*key = (p->flags & AV_PKT_FLAG_KEY) != 0;
	return 0;
}

const char *clip_codec_name(int codec_id) {
	const char *n = avcodec_get_name((enum AVCodecID)codec_id);
	return n ? n : "unknown";
}
