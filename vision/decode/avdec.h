// avdec.h: a libavcodec H.264/H.265 decoder for decode.go, and the OpenCV
// shim (planes.cpp) that copies decoded planes into cv::Mats.
#ifndef PANTAU_AVDEC_H
#define PANTAU_AVDEC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct avdec avdec;

// avdec_picture describes the picture avdec_receive returned; its planes
// stay valid until the next avdec_receive, avdec_flush or avdec_close.
typedef struct {
	int width, height;
	int chroma_width, chroma_height; // 0 for a gray-only format
	int depth;                       // bits per luma sample, 8..16
	const uint8_t *data[3];
	int linesize[3];
	int64_t seq;    // the seq given to avdec_send with the access unit
	int corrupt;    // the decoder concealed errors in this picture
} avdec_picture;

void avdec_quiet(void);
// avdec_saturation (chroma.c) is the mean distance of pic's chroma samples
// from neutral, in 8-bit levels, on a sparse grid (signalstats' SATAVG);
// -1 for a gray-only picture.
double avdec_saturation(const avdec_picture *pic);
// avdec_done_fd returns a new non-blocking eventfd for avdec_open, or a
// negative errno.
int avdec_done_fd(void);
// avdec_open returns a negative AVERROR on failure; codec is 264 or 265;
// skip_loop_filter is 0 (run it), 1 (skip on all pictures) or 2 (skip on
// non-reference pictures). It starts the decoder's own thread ("avdec"),
// which writes done_fd (an eventfd; the caller closes it after
// avdec_close) once per unit decoded, and with bg_nice > 0 a second one
// ("avdec-ref") bg_nice steps nicer for the units submitted as
// background. Decoding runs there, not in a cgo call: a cgo call longer
// than 10 ms makes Go's sysmon take the calling thread's P and then poll
// every 20 µs (docs/performance.md).
int avdec_open(avdec **out, int codec, int threads, int skip_loop_filter, int done_fd, int bg_nice);
// avdec_buffer makes room for size bytes of Annex-B input (plus padding)
// and returns the buffer to fill, or NULL when out of memory. Not while a
// unit is submitted.
uint8_t *avdec_buffer(avdec *d, int size);
// avdec_submit hands the first size bytes of the buffer, one access unit,
// to a decoder's thread (the background one if asked and started) and
// returns at once; done_fd is written when it was decoded. One unit at a
// time: nothing else may be called on d until then, except avdec_close.
void avdec_submit(avdec *d, int size, int64_t seq, int background);
// avdec_result returns the result of the last submitted unit: 0 or a
// negative AVERROR (AVERROR(EBUSY) while it is still decoding).
int avdec_result(avdec *d);
// avdec_cpu_ns is the CPU time the decoder's thread used since avdec_open.
int64_t avdec_cpu_ns(avdec *d);
// avdec_receive returns 0 and fills pic, AVERROR(EAGAIN) when no picture
// is ready, or another negative AVERROR. It is cheap: the picture was
// decoded on the decoder's thread.
int avdec_receive(avdec *d, avdec_picture *pic);
void avdec_flush(avdec *d);
// avdec_close stops the decoder's thread (after the unit it is decoding,
// if any) and frees d.
void avdec_close(avdec *d);
int avdec_eagain(void);
void avdec_strerror(int code, char *buf, int size);

// Plane shim (planes.cpp). mat arguments are cv::Mat* (gocv Mat.Ptr()).
// plane_to_mat resizes a w×h plane of depth bits per sample with INTER_AREA
// into dst at dw×dh (8 bit), shrinking 8-bit planes by the integer part of
// a ratio of 2 or more first (area_resize in planes.cpp). It returns 0, or -1 on an OpenCV error.
int plane_to_mat(const uint8_t *data, int linesize, int w, int h, int depth,
                 void *dst, int dw, int dh);
// area_prereduce turns the integer pre-reduction of plane_to_mat on (1,
// the default) or off (0), for benchmarks that compare the two.
void area_prereduce(int on);
// i420_to_bgr converts gray y (w×h) and chroma u, v (w/2×h/2) to BGR in
// dst, using scratch as the I420 buffer. It returns 0 or -1.
int i420_to_bgr(void *y, void *u, void *v, void *scratch, void *dst);

#ifdef __cplusplus
}
#endif

#endif
