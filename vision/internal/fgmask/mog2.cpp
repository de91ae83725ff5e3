// mog2.cpp: see mog2.h. Every call catches OpenCV's exceptions.
#include "mog2.h"

#include <opencv2/video/background_segm.hpp>

struct pn_mog2 {
	cv::Ptr<cv::BackgroundSubtractorMOG2> p;
};

extern "C" pn_mog2 *pn_mog2_new(int history, double var_threshold) {
	try {
		return new pn_mog2{cv::createBackgroundSubtractorMOG2(history, var_threshold, false)};
	} catch (const cv::Exception &) {
		return nullptr;
	}
}

extern "C" int pn_mog2_apply(pn_mog2 *m, void *src, void *dst, double rate) {
	try {
		m->p->apply(*static_cast<cv::Mat *>(src), *static_cast<cv::Mat *>(dst), rate);
		return 0;
	} catch (const cv::Exception &) {
		return -1;
	}
}

extern "C" void pn_mog2_close(pn_mog2 *m) { delete m; }
