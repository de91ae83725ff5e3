// xnnshim.cpp: see xnnshim.h.
#include "xnnshim.h"
#include "picture.hpp"

#include <xnnpack.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <mutex>
#include <vector>

namespace {

struct step {
	xnn_operator_t op = nullptr;  // an XNNPACK operator, or a copy:
	const float *src = nullptr;
	float *dst = nullptr;
	size_t n = 0;
};

void put_err(char *err, int errlen, const char *what, int status) {
	if (err == NULL || errlen <= 0) return;
	const char *s = "unknown status";
	switch (status) {
	case xnn_status_uninitialized: s = "XNNPACK not initialised"; break;
	case xnn_status_invalid_parameter: s = "invalid parameter"; break;
	case xnn_status_invalid_state: s = "invalid state"; break;
	case xnn_status_unsupported_parameter: s = "unsupported parameter"; break;
	case xnn_status_unsupported_hardware: s = "unsupported hardware"; break;
	case xnn_status_out_of_memory: s = "out of memory"; break;
	}
	std::snprintf(err, errlen, "%s: %s (XNNPACK status %d)", what, s, status);
}

}  // namespace

struct pn_xnn {
	std::vector<float *> slots;
	std::vector<size_t> sizes;
	std::vector<float *> konsts;
	std::vector<step> steps;
	cv::Mat img3, canvas;
};

static std::once_flag init_once;
static int init_status = -1;

int pn_xnn_init(char *err, int errlen) {
	std::call_once(init_once, [] { init_status = xnn_initialize(NULL); });
	if (init_status != xnn_status_success) {
		put_err(err, errlen, "xnn_initialize", init_status);
		return -1;
	}
	return 0;
}

pn_xnn *pn_xnn_new(int nslots, const size_t *floats, char *err, int errlen) {
	pn_xnn *x = new (std::nothrow) pn_xnn();
	if (x == NULL) {
		pn_set_err(err, errlen, "out of memory");
		return NULL;
	}
	for (int i = 0; i < nslots; i++) {
		void *p = NULL;
		// XNNPACK's kernels may read XNN_EXTRA_BYTES past a tensor's end.
		if (posix_memalign(&p, 64, floats[i] * sizeof(float) + XNN_EXTRA_BYTES) != 0) {
			pn_set_err(err, errlen, "out of memory for the network's buffers");
			pn_xnn_close(x);
			return NULL;
		}
		std::memset(p, 0, floats[i] * sizeof(float) + XNN_EXTRA_BYTES);
		x->slots.push_back((float *)p);
		x->sizes.push_back(floats[i]);
	}
	return x;
}

void pn_xnn_close(pn_xnn *x) {
	if (x == NULL) return;
	for (step &s : x->steps)
		if (s.op != nullptr) xnn_delete_operator(s.op);
	for (float *p : x->slots) free(p);
	for (float *p : x->konsts) free(p);
	delete x;
}

static bool slot_ok(pn_xnn *x, int i, size_t need, char *err, int errlen) {
	if (i < 0 || i >= (int)x->slots.size() || x->sizes[i] < need) {
		pn_set_err(err, errlen, "plan error: slot out of range or too small");
		return false;
	}
	return true;
}

int pn_xnn_conv(pn_xnn *x, int in, int out, int h, int w, const int *pads,
                int kh, int kw, int sh, int sw, int dh, int dw, int groups,
                int gic, int goc, const float *kernel, const float *bias,
                float lo, float hi, char *err, int errlen) {
	int oh = (h + pads[0] + pads[2] - dh * (kh - 1) - 1) / sh + 1;
	int ow = (w + pads[1] + pads[3] - dw * (kw - 1) - 1) / sw + 1;
	if (oh <= 0 || ow <= 0) {
		pn_set_err(err, errlen, "convolution: empty output");
		return -1;
	}
	if (!slot_ok(x, in, (size_t)h * w * groups * gic, err, errlen) ||
	    !slot_ok(x, out, (size_t)oh * ow * groups * goc, err, errlen))
		return -1;
	step s;
	int st = xnn_create_convolution2d_nhwc_f32(
	    pads[0], pads[1], pads[2], pads[3], kh, kw, sh, sw, dh, dw, groups, gic, goc,
	    (size_t)groups * gic, (size_t)groups * goc, kernel, bias, lo, hi, 0, &s.op);
	if (st != xnn_status_success) {
		put_err(err, errlen, "xnn_create_convolution2d_nhwc_f32", st);
		return -1;
	}
	x->steps.push_back(s);
	st = xnn_setup_convolution2d_nhwc_f32(s.op, 1, h, w, x->slots[in], x->slots[out], NULL);
	if (st != xnn_status_success) {
		put_err(err, errlen, "xnn_setup_convolution2d_nhwc_f32", st);
		return -1;
	}
	return 0;
}

int pn_xnn_add(pn_xnn *x, int ina, const size_t *sa, int inb, const size_t *sb,
               const float *konst, int out, float lo, float hi, char *err,
               int errlen) {
	size_t na = sa[0] * sa[1] * sa[2] * sa[3], nb = sb[0] * sb[1] * sb[2] * sb[3];
	size_t no = 1;
	for (int i = 0; i < 4; i++) no *= sa[i] > sb[i] ? sa[i] : sb[i];
	if (!slot_ok(x, ina, na, err, errlen) || !slot_ok(x, out, no, err, errlen)) return -1;
	const float *b;
	if (inb >= 0) {
		if (!slot_ok(x, inb, nb, err, errlen)) return -1;
		b = x->slots[inb];
	} else {
		void *p = NULL;
		if (posix_memalign(&p, 64, nb * sizeof(float) + XNN_EXTRA_BYTES) != 0) {
			pn_set_err(err, errlen, "out of memory");
			return -1;
		}
		std::memcpy(p, konst, nb * sizeof(float));
		x->konsts.push_back((float *)p);
		b = (const float *)p;
	}
	step s;
	int st = xnn_create_add_nd_f32(lo, hi, 0, &s.op);
	if (st != xnn_status_success) {
		put_err(err, errlen, "xnn_create_add_nd_f32", st);
		return -1;
	}
	x->steps.push_back(s);
	st = xnn_setup_add_nd_f32(s.op, 4, sa, 4, sb, x->slots[ina], b, x->slots[out], NULL);
	if (st != xnn_status_success) {
		put_err(err, errlen, "xnn_setup_add_nd_f32", st);
		return -1;
	}
	return 0;
}

int pn_xnn_unary(pn_xnn *x, int kind, int in, int out, size_t n, float lo,
                 float hi, char *err, int errlen) {
	if (!slot_ok(x, in, n, err, errlen) || !slot_ok(x, out, n, err, errlen)) return -1;
	step s;
	int st = kind == 0 ? xnn_create_clamp_nc_f32(n, n, n, lo, hi, 0, &s.op)
	                   : xnn_create_sigmoid_nc_f32(n, n, n, 0, &s.op);
	if (st != xnn_status_success) {
		put_err(err, errlen, kind == 0 ? "xnn_create_clamp_nc_f32" : "xnn_create_sigmoid_nc_f32", st);
		return -1;
	}
	x->steps.push_back(s);
	st = kind == 0 ? xnn_setup_clamp_nc_f32(s.op, 1, x->slots[in], x->slots[out], NULL)
	               : xnn_setup_sigmoid_nc_f32(s.op, 1, x->slots[in], x->slots[out], NULL);
	if (st != xnn_status_success) {
		put_err(err, errlen, "xnn_setup (clamp/sigmoid)", st);
		return -1;
	}
	return 0;
}

int pn_xnn_copy(pn_xnn *x, int in, size_t ioff, int out, size_t ooff, size_t n,
                char *err, int errlen) {
	if (!slot_ok(x, in, ioff + n, err, errlen) || !slot_ok(x, out, ooff + n, err, errlen)) return -1;
	step s;
	s.src = x->slots[in] + ioff;
	s.dst = x->slots[out] + ooff;
	s.n = n;
	x->steps.push_back(s);
	return 0;
}

int pn_xnn_input(pn_xnn *x, int in, const unsigned char *data, int rows,
                 int cols, int channels, size_t step_bytes, int in_w, int in_h,
                 int dst_x, int dst_y, int dst_w, int dst_h, int pad,
                 double scale, double mean, int swap_rb, char *err, int errlen) {
	if (!slot_ok(x, in, (size_t)in_w * in_h * 3, err, errlen)) return -1;
	try {
		// The same picture pn_net_forward gives OpenCV's dnn.
		cv::Mat pic = pn_picture(data, rows, cols, channels, step_bytes, in_w, in_h, dst_x,
		                         dst_y, dst_w, dst_h, pad, x->img3, x->canvas);
		float *o = x->slots[in];
		const float m = (float)mean, sc = (float)scale;
		const int c0 = swap_rb ? 2 : 0, c2 = swap_rb ? 0 : 2;
		for (int r = 0; r < in_h; r++) {
			const unsigned char *p = pic.ptr<unsigned char>(r);
			for (int c = 0; c < in_w; c++, p += 3, o += 3) {
				o[0] = ((float)p[c0] - m) * sc;
				o[1] = ((float)p[1] - m) * sc;
				o[2] = ((float)p[c2] - m) * sc;
			}
		}
		return 0;
	} catch (const std::exception &e) {
		pn_set_err(err, errlen, e.what());
	} catch (...) {
		pn_set_err(err, errlen, "unknown C++ exception");
	}
	return -1;
}

int pn_xnn_run(pn_xnn *x, char *err, int errlen) {
	for (step &s : x->steps) {
		if (s.op == nullptr) {
			std::memcpy(s.dst, s.src, s.n * sizeof(float));
			continue;
		}
		int st = xnn_run_operator(s.op, NULL);
		if (st != xnn_status_success) {
			put_err(err, errlen, "xnn_run_operator", st);
			return -1;
		}
	}
	return 0;
}

static double thread_ns() {
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int pn_xnn_run_timed(pn_xnn *x, double *ns, char *err, int errlen) {
	for (size_t i = 0; i < x->steps.size(); i++) {
		step &s = x->steps[i];
		double t0 = thread_ns();
		if (s.op == nullptr) {
			std::memcpy(s.dst, s.src, s.n * sizeof(float));
		} else {
			int st = xnn_run_operator(s.op, NULL);
			if (st != xnn_status_success) {
				put_err(err, errlen, "xnn_run_operator", st);
				return -1;
			}
		}
		ns[i] += thread_ns() - t0;
	}
	return 0;
}

float *pn_xnn_slot(pn_xnn *x, int i) {
	if (i < 0 || i >= (int)x->slots.size()) return NULL;
	return x->slots[i];
}
