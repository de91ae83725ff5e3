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
// cols, step bytes per row): blobFromImage(scale, in_w × in_h, mean,
// swap_rb), forward, first output. *out points at the output floats (valid
// until the next call or close), dims[0..*ndims) at its shape (at most 8).
// It returns the number of floats, or -1 with a message in err.
int pn_net_forward(pn_net *n, const unsigned char *data, int rows, int cols,
                   int channels, size_t step, int in_w, int in_h, double scale,
                   double mean, int swap_rb, const float **out, int *dims,
                   int *ndims, char *err, int errlen);

#ifdef __cplusplus
}
#endif

#endif
