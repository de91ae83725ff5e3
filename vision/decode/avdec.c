// avdec.c: see avdec.h.
#define _GNU_SOURCE // pthread_setname_np
#include "avdec.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>

typedef struct avdec_worker avdec_worker;

// avdec_worker is one of a decoder's two threads: the first decodes the
// units whose picture is wanted, the second, at a lower priority, those
// decoded only as references (see avdec_submit).
struct avdec_worker {
	avdec *d;
	pthread_t thread;
	pthread_cond_t cv;
	int background;
	int running;
	int ready; // set by the thread once its priority is set
};

struct avdec {
	AVCodecContext *ctx;
	AVPacket *pkt;
	AVFrame *frame;
	uint8_t *buf;
	int cap;
	int done_fd; // eventfd written after each unit; the caller's to close
	int bg_nice;
	avdec_worker w[2];
	// mu guards the fields after it; the worker decoding a unit owns ctx,
	// pkt and buf while pending is set.
	pthread_mutex_t mu;
	int pending, quit;
	int background; // which worker the pending unit is for
	int size;
	int64_t seq;
	int ret;
	int64_t cpu_ns;
};

void avdec_quiet(void) { av_log_set_level(AV_LOG_QUIET); }
int avdec_eagain(void) { return AVERROR(EAGAIN); }

void avdec_strerror(int code, char *buf, int size) { av_strerror(code, buf, size); }

static int64_t thread_cpu_ns(void) {
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int send_unit(avdec *d, int size, int64_t seq);

// worker runs a decoding thread: it sends each unit submitted to it to
// libavcodec and writes done_fd, so that the Go side waits in its
// netpoller instead of in a long cgo call (see avdec.h).
static void *worker(void *arg) {
	avdec_worker *w = arg;
	avdec *d = w->d;
	// Signals go to Go's threads, except SIGPROF: the CPU profiler then
	// still counts decoding (as external code).
	sigset_t set;
	sigfillset(&set);
	sigdelset(&set, SIGPROF);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (w->background) {
		// Only this thread: on Linux the "process" is the thread id.
		// Raising one's nice value needs no privilege; failing it, the
		// thread decodes at the normal priority.
		pid_t tid = (pid_t)syscall(SYS_gettid);
		errno = 0;
		int nice = getpriority(PRIO_PROCESS, tid);
		if (errno == 0) setpriority(PRIO_PROCESS, tid, nice + d->bg_nice);
	}
	pthread_mutex_lock(&d->mu);
	w->ready = 1;
	pthread_cond_signal(&w->cv);
	for (;;) {
		while (!(d->pending && d->background == w->background) && !d->quit) pthread_cond_wait(&w->cv, &d->mu);
		if (d->quit) break;
		int size = d->size;
		int64_t seq = d->seq;
		pthread_mutex_unlock(&d->mu);
		int64_t cpu = thread_cpu_ns();
		int ret = send_unit(d, size, seq);
		cpu = thread_cpu_ns() - cpu;
		pthread_mutex_lock(&d->mu);
		d->ret = ret;
		d->cpu_ns += cpu;
		d->pending = 0;
		uint64_t one = 1;
		// Cannot block: the counter is read after every unit.
		while (write(d->done_fd, &one, sizeof(one)) < 0 && errno == EINTR) {
		}
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

// stop_workers ends the threads started (after the unit being decoded).
static void stop_workers(avdec *d) {
	pthread_mutex_lock(&d->mu);
	d->quit = 1;
	for (int i = 0; i < 2; i++)
		if (d->w[i].running) pthread_cond_signal(&d->w[i].cv);
	pthread_mutex_unlock(&d->mu);
	for (int i = 0; i < 2; i++) {
		if (!d->w[i].running) continue;
		pthread_join(d->w[i].thread, NULL);
		pthread_cond_destroy(&d->w[i].cv);
		d->w[i].running = 0;
	}
}

// start_workers starts the decoding thread, and the background one when
// bg_nice > 0. It returns 0 or a positive errno.
static int start_workers(avdec *d) {
	static const char *names[2] = {"avdec", "avdec-ref"};
	for (int i = 0; i < (d->bg_nice > 0 ? 2 : 1); i++) {
		avdec_worker *w = &d->w[i];
		w->d = d;
		w->background = i;
		pthread_cond_init(&w->cv, NULL);
		int err = pthread_create(&w->thread, NULL, worker, w);
		if (err != 0) {
			pthread_cond_destroy(&w->cv);
			stop_workers(d);
			return err;
		}
		w->running = 1;
		pthread_setname_np(w->thread, names[i]);
		// Wait until it runs at its priority, so that New returns a
		// decoder whose threads are all set.
		pthread_mutex_lock(&d->mu);
		while (!w->ready) pthread_cond_wait(&w->cv, &d->mu);
		pthread_mutex_unlock(&d->mu);
	}
	return 0;
}

void avdec_close(avdec *d) {
	if (!d) return;
	if (d->w[0].running) {
		stop_workers(d);
		pthread_mutex_destroy(&d->mu);
	}
	avcodec_free_context(&d->ctx);
	av_packet_free(&d->pkt);
	av_frame_free(&d->frame);
	av_free(d->buf);
	av_free(d);
}

int avdec_done_fd(void) {
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int avdec_open(avdec **out, int codec, int threads, int skip_loop_filter, int done_fd, int bg_nice) {
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
	d->done_fd = done_fd;
	d->bg_nice = bg_nice;
	pthread_mutex_init(&d->mu, NULL);
	ret = start_workers(d);
	if (ret != 0) {
		pthread_mutex_destroy(&d->mu);
		ret = AVERROR(ret);
		goto fail;
	}
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

static int send_unit(avdec *d, int size, int64_t seq) {
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

void avdec_submit(avdec *d, int size, int64_t seq, int background) {
	pthread_mutex_lock(&d->mu);
	d->size = size;
	d->seq = seq;
	d->pending = 1;
	d->background = background && d->w[1].running;
	pthread_cond_signal(&d->w[d->background].cv);
	pthread_mutex_unlock(&d->mu);
}

int avdec_result(avdec *d) {
	pthread_mutex_lock(&d->mu);
	int ret = d->pending ? AVERROR(EBUSY) : d->ret;
	pthread_mutex_unlock(&d->mu);
	return ret;
}

int64_t avdec_cpu_ns(avdec *d) {
	pthread_mutex_lock(&d->mu);
	int64_t ns = d->cpu_ns;
	pthread_mutex_unlock(&d->mu);
	return ns;
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
