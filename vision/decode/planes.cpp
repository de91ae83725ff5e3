// planes.cpp: copies decoded planes into cv::Mats with one INTER_AREA
// resize, see avdec.h.
#include "avdec.h"

#include <algorithm>
#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

// area_resize is cv::resize with INTER_AREA, cheaper for ratios that are
// not whole numbers: OpenCV's fast path averages k×k blocks when the ratio
// is an integer k, its general path costs 3–4× more per source pixel
// (1920×1080 → 600 px wide: 15 ms against 4 ms). So a ratio of 2 or more
// first shrinks by its integer part k with the fast path (the last
// w mod k columns and h mod k rows, fewer than k pixels, are left out), and
// the general path only does the rest, on 1/k² of the pixels.
static int prereduce = 1;

extern "C" void area_prereduce(int on) { prereduce = on; }

static void area_resize(const cv::Mat &src, cv::Mat &out, int dw, int dh) {
	int k = std::min(src.cols / dw, src.rows / dh);
	if (!prereduce || k < 2 || (src.cols % dw == 0 && src.rows % dh == 0 && src.cols / dw == src.rows / dh)) {
		cv::resize(src, out, cv::Size(dw, dh), 0, 0, cv::INTER_AREA);
		return;
	}
	thread_local cv::Mat mid;
	cv::Mat whole = src(cv::Rect(0, 0, src.cols - src.cols % k, src.rows - src.rows % k));
	cv::resize(whole, mid, cv::Size(whole.cols / k, whole.rows / k), 0, 0, cv::INTER_AREA);
	if (mid.cols == dw && mid.rows == dh)
		mid.copyTo(out);
	else
		cv::resize(mid, out, cv::Size(dw, dh), 0, 0, cv::INTER_AREA);
}

extern "C" int plane_to_mat(const uint8_t *data, int linesize, int w, int h, int depth,
                            void *dst, int dw, int dh) {
	try {
		cv::Mat *out = static_cast<cv::Mat *>(dst);
		if (depth <= 8) {
			// A header over the decoder's plane; resize writes into *out,
			// so the Mat never aliases decoder memory.
			cv::Mat src(h, w, CV_8UC1, const_cast<uint8_t *>(data), linesize);
			if (dw == w && dh == h)
				src.copyTo(*out);
			else
				area_resize(src, *out, dw, dh);
			return 0;
		}
		// High bit depth (e.g. HEVC Main 10): resize at 16 bit, then scale
		// to 8 bit. The scratch Mat is reused per thread.
		thread_local cv::Mat tmp;
		cv::Mat src(h, w, CV_16UC1, const_cast<uint8_t *>(data), linesize);
		cv::resize(src, tmp, cv::Size(dw, dh), 0, 0, cv::INTER_AREA);
		tmp.convertTo(*out, CV_8U, 1.0 / double(1 << (depth - 8)));
		return 0;
	} catch (const cv::Exception &) {
		return -1;
	}
}

extern "C" int i420_to_bgr(void *y, void *u, void *v, void *scratch, void *dst) {
	try {
		cv::Mat &Y = *static_cast<cv::Mat *>(y);
		cv::Mat &U = *static_cast<cv::Mat *>(u);
		cv::Mat &V = *static_cast<cv::Mat *>(v);
		cv::Mat &S = *static_cast<cv::Mat *>(scratch);
		int w = Y.cols, h = Y.rows;
		if (w % 2 || h % 2 || U.cols != w / 2 || U.rows != h / 2 || V.size() != U.size() ||
		    !Y.isContinuous() || !U.isContinuous() || !V.isContinuous())
			return -1;
		S.create(h * 3 / 2, w, CV_8UC1);
		size_t ny = size_t(w) * h, nc = ny / 4;
		std::memcpy(S.data, Y.data, ny);
		std::memcpy(S.data + ny, U.data, nc);
		std::memcpy(S.data + ny + nc, V.data, nc);
		cv::cvtColor(S, *static_cast<cv::Mat *>(dst), cv::COLOR_YUV2BGR_I420);
		return 0;
	} catch (const cv::Exception &) {
		return -1;
	}
}
