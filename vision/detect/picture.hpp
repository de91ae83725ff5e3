// picture.hpp: what both engines' shims (shim.cpp for OpenCV's dnn,
// xnnshim.cpp for XNNPACK) do alike, so that they see the same pixels and
// report errors the same way. C++ only; not part of the cgo preamble.
#ifndef PANTAU_DETECT_PICTURE_HPP
#define PANTAU_DETECT_PICTURE_HPP

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cstring>

// pn_set_err copies msg into err (errlen bytes, NUL-terminated).
inline void pn_set_err(char *err, int errlen, const char *msg) {
	if (err == NULL || errlen <= 0) return;
	std::strncpy(err, msg, errlen - 1);
	err[errlen - 1] = 0;
}

// pn_picture returns the network's in_w × in_h BGR picture of an 8-bit
// frame (1 or 3 channels, rows × cols, step bytes per row): gray becomes
// three equal channels (into img3), and the frame is resized into the
// rectangle (dst_x, dst_y, dst_w, dst_h) of a canvas whose rest is pad
// (letterbox; the full canvas means stretch). OpenCV exceptions propagate.
inline cv::Mat pn_picture(const unsigned char *data, int rows, int cols, int channels,
                          size_t step, int in_w, int in_h, int dst_x, int dst_y,
                          int dst_w, int dst_h, int pad, cv::Mat &img3, cv::Mat &canvas) {
	cv::Mat img(rows, cols, channels == 3 ? CV_8UC3 : CV_8UC1, (void *)data, step);
	if (channels == 1) {
		cv::cvtColor(img, img3, cv::COLOR_GRAY2BGR);
		img = img3;
	}
	canvas.create(in_h, in_w, CV_8UC3);
	if (dst_x != 0 || dst_y != 0 || dst_w != in_w || dst_h != in_h)
		canvas.setTo(cv::Scalar(pad, pad, pad));
	cv::Mat roi = canvas(cv::Rect(dst_x, dst_y, dst_w, dst_h));
	cv::resize(img, roi, roi.size(), 0, 0, cv::INTER_LINEAR);
	return canvas;
}

#endif
