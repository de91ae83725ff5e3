// xnnshim.h: a network run by XNNPACK's operator API, built step by step
// from a plan package detect translates from an ONNX graph. Every tensor
// lives in one of the plan's slots (float32 buffers the plan allocates);
// 4-D feature maps are NHWC. Errors are written to err (errlen bytes).
#ifndef PANTAU_DETECT_XNNSHIM_H
#define PANTAU_DETECT_XNNSHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// pn_xnn_init initialises XNNPACK once per process; 0 on success, else
// -1 with a message (the CPU lacks what XNNPACK needs, say).
int pn_xnn_init(char *err, int errlen);

typedef struct pn_xnn pn_xnn;

// pn_xnn_new makes an empty network with nslots buffers of the given
// sizes in floats.
pn_xnn *pn_xnn_new(int nslots, const size_t *floats, char *err, int errlen);
void pn_xnn_close(pn_xnn *x);

// pn_xnn_conv adds a 2-D convolution from slot in (h × w × groups·gic, at
// float offset 0) to slot out. pads are top, right, bottom, left; kernel
// is [groups][goc][kh][kw][gic]; bias (groups·goc) may be NULL. XNNPACK
// copies both. The output is clamped to [lo, hi].
int pn_xnn_conv(pn_xnn *x, int in, int out, int h, int w, const int *pads,
                int kh, int kw, int sh, int sw, int dh, int dw, int groups,
                int gic, int goc, const float *kernel, const float *bias,
                float lo, float hi, char *err, int errlen);

// pn_xnn_add adds out = clamp(a + b) with NumPy broadcasting of the
// 4-D shapes sa and sb. b is slot inb, or when inb < 0 a constant (konst,
// copied) of shape sb.
int pn_xnn_add(pn_xnn *x, int ina, const size_t *sa, int inb, const size_t *sb,
               const float *konst, int out, float lo, float hi, char *err,
               int errlen);

// pn_xnn_unary adds out = f(in) over n floats: kind 0 clamp to [lo, hi],
// 1 sigmoid.
int pn_xnn_unary(pn_xnn *x, int kind, int in, int out, size_t n, float lo,
                 float hi, char *err, int errlen);

// pn_xnn_copy adds a copy of n floats from slot in at offset ioff to slot
// out at offset ooff (Concat).
int pn_xnn_copy(pn_xnn *x, int in, size_t ioff, int out, size_t ooff, size_t n,
                char *err, int errlen);

// pn_xnn_input fills slot in (in_h × in_w × 3, NHWC) from an 8-bit image
// the way pn_net_forward fills OpenCV's blob: the image (gray made three
// channels) resized with INTER_LINEAR into the rectangle dst of the canvas,
// the rest pad, then (v − mean) · scale, channels swapped when swap_rb.
int pn_xnn_input(pn_xnn *x, int in, const unsigned char *data, int rows,
                 int cols, int channels, size_t step, int in_w, int in_h,
                 int dst_x, int dst_y, int dst_w, int dst_h, int pad,
                 double scale, double mean, int swap_rb, char *err, int errlen);

// pn_xnn_run runs every step on the calling thread.
int pn_xnn_run(pn_xnn *x, char *err, int errlen);

// pn_xnn_run_timed is pn_xnn_run that adds each step's thread CPU time,
// in nanoseconds, to ns[step] (for the cost breakdown in the docs).
int pn_xnn_run_timed(pn_xnn *x, double *ns, char *err, int errlen);

// pn_xnn_slot points at slot i's floats.
float *pn_xnn_slot(pn_xnn *x, int i);

#ifdef __cplusplus
}
#endif

#endif
