// mog2.h: OpenCV's MOG2 background model with the learning rate given per
// frame (gocv's wrapper always lets OpenCV choose it), so a frame that
// follows frames the Subtractor skipped can be learnt for all of them.
#ifndef PANTAU_FGMASK_MOG2_H
#define PANTAU_FGMASK_MOG2_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pn_mog2 pn_mog2;

// pn_mog2_new makes a model (no shadow detection); NULL on error.
pn_mog2 *pn_mog2_new(int history, double var_threshold);
// pn_mog2_apply learns src (a cv::Mat*, CV_8UC1) with rate (negative:
// OpenCV's own 1/min(2·frames, history)) and writes the foreground mask
// into dst (a cv::Mat*). It returns 0, or -1 on an OpenCV error.
int pn_mog2_apply(pn_mog2 *m, void *src, void *dst, double rate);
void pn_mog2_close(pn_mog2 *m);

#ifdef __cplusplus
}
#endif

#endif
