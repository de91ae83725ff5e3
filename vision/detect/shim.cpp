// shim.cpp: see shim.h.
#include "shim.h"
#include "picture.hpp"

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <algorithm>
#include <cstring>
#include <exception>
#include <vector>

struct pn_net {
	cv::dnn::Net net;
	std::vector<cv::String> names;
	cv::Mat img3;
	cv::Mat canvas;
	cv::Mat blob;
	std::vector<cv::Mat> outs;
};

int pn_hog_people(float *dst, int cap) {
	try {
		std::vector<float> v = cv::HOGDescriptor::getDefaultPeopleDetector();
		if ((int)v.size() > cap) return -(int)v.size();
		std::copy(v.begin(), v.end(), dst);
		return (int)v.size();
	} catch (...) {
		return 0;
	}
}

pn_net *pn_net_open(const char *model, const char *config, char *err, int errlen) {
	pn_net *n = NULL;
	try {
		n = new pn_net();
		n->net = cv::dnn::readNet(model, config ? config : "");
		if (n->net.empty()) {
			pn_set_err(err, errlen, "model has no layers");
			delete n;
			return NULL;
		}
		n->names = n->net.getUnconnectedOutLayersNames();
		return n;
	} catch (const cv::Exception &e) {
		pn_set_err(err, errlen, e.what());
	} catch (const std::exception &e) {
		pn_set_err(err, errlen, e.what());
	} catch (...) {
		pn_set_err(err, errlen, "unknown C++ exception");
	}
	delete n;
	return NULL;
}

void pn_net_close(pn_net *n) { delete n; }

int pn_net_forward(pn_net *n, const unsigned char *data, int rows, int cols,
                   int channels, size_t step, int in_w, int in_h, int dst_x,
                   int dst_y, int dst_w, int dst_h, int pad, double scale,
                   double mean, int swap_rb, char *err, int errlen) {
	try {
		cv::Mat img = pn_picture(data, rows, cols, channels, step, in_w, in_h, dst_x, dst_y,
		                         dst_w, dst_h, pad, n->img3, n->canvas);
		cv::dnn::blobFromImage(img, n->blob, scale, cv::Size(in_w, in_h),
		                       cv::Scalar(mean, mean, mean), swap_rb != 0, false, CV_32F);
		n->net.setInput(n->blob);
		n->net.forward(n->outs, n->names);
		for (cv::Mat &o : n->outs) {
			if (o.type() != CV_32F) o.convertTo(o, CV_32F);
			if (!o.isContinuous()) o = o.clone();
		}
		return (int)n->outs.size();
	} catch (const cv::Exception &e) {
		pn_set_err(err, errlen, e.what());
	} catch (const std::exception &e) {
		pn_set_err(err, errlen, e.what());
	} catch (...) {
		pn_set_err(err, errlen, "unknown C++ exception");
	}
	return -1;
}

int pn_net_output(pn_net *n, int i, const float **out, int *dims, int *ndims) {
	if (i < 0 || i >= (int)n->outs.size()) return -1;
	cv::Mat &o = n->outs[i];
	int nd = std::min(o.dims, 8);
	for (int k = 0; k < nd; k++) dims[k] = o.size[k];
	*ndims = nd;
	*out = o.ptr<float>();
	return (int)o.total();
}

int pn_net_input_blob(pn_net *n, const float **out) {
	*out = n->blob.ptr<float>();
	return (int)n->blob.total();
}

int pn_set_threads(int n) {
	try {
		int old = cv::getNumThreads();
		cv::setNumThreads(n);
		return old;
	} catch (...) {
		return -1;
	}
}
