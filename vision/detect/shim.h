// shim.h: the C++ calls of package detect, each catching C++ exceptions so
// a bad model or input returns an error instead of aborting the process.
#ifndef PANTAU_DETECT_SHIM_H
#define PANTAU_DETECT_SHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// pn_hog_people copies the coefficients of OpenCV's default HOG people
// detector into dst (cap floats). It returns their count, minus the count
// when cap is too small, or 0 on error.
int pn_hog_people(float *dst, int cap);

typedef struct pn_net pn_net;

// pn_net_open loads a model with cv::dnn::readNet. On failure it returns
// NULL and writes a message to err (errlen bytes, NUL-terminated).
pn_net *pn_net_open(const char *model, const char *config, char *err, int errlen);
void pn_net_close(pn_net *n);

// pn_net_forward runs the net on an 8-bit image (1 or 3 channels, rows ×
// cols, step bytes per row). The image is resized into the rectangle
// (dst_x, dst_y, dst_w, dst_h) of an in_w × in_h canvas whose rest is
// filled with pad (letterbox; the full canvas means stretch), then
// blobFromImage(scale, mean, swap_rb) and forward on every unconnected
// output. It returns the number of outputs, or -1 with a message in err.
int pn_net_forward(pn_net *n, const unsigned char *data, int rows, int cols,
                   int channels, size_t step, int in_w, int in_h, int dst_x,
                   int dst_y, int dst_w, int dst_h, int pad, double scale,
                   double mean, int swap_rb, char *err, int errlen);

// pn_net_output points *out at output i of the last forward (float32,
// valid until the next forward or close) and dims[0..*ndims) at its shape
// (at most 8). It returns the number of floats, or -1 if there is no
// output i.
int pn_net_output(pn_net *n, int i, const float **out, int *dims, int *ndims);

// pn_net_input_blob points *out at the input blob of the last forward
// (NCHW float32) and returns its number of floats. For tests.
int pn_net_input_blob(pn_net *n, const float **out);

// pn_set_threads sets the threads OpenCV's parallel loops use (all
// OpenCV calls of the process) and returns the previous number, or -1.
int pn_set_threads(int n);

#ifdef __cplusplus
}
#endif

#endif
