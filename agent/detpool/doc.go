// Package detpool is the agent's shared object detector: one pool of
// model instances (config detector.workers, about one core each while
// busy) serving every camera, fed only where and when there is motion,
// within a CPU budget.
//
// # Feeding
//
// Each camera's detector analyzer is a Client. On every analysed frame it
// reads the motion analyzer's regions (which must run before it). With no
// motion it asks nothing. With motion it plans crops: each region, with a
// margin, grown to the model's input size (300×300 pixels of the analysis
// picture) so people are seen at the scale the model was trained at;
// overlapping crops are merged; more than three become one crop around all
// the motion. Every FullEvery (10 s) the whole frame goes instead, so what
// stands still (a parked car, a waiting person) is seen too. While the
// motion analyzer warms up (its first two seconds after a start or a
// restart of its background, when it reports nothing) the frame is swept
// in tiles at the model's scale instead, as many a frame as the rate
// allows, so people already walking are tracked from the start; after the
// first tile, only tiles that changed since the previous frame (4×4-pixel
// block means, as the motion stage's still-frame gate), so a still scene's
// warm-up costs one inference, not ten (what stands still elsewhere is
// seen by the first periodic full pass, FullEvery later). The crops are
// copied out of the frame as gray in three channels (the analysis picture
// is the luma plane; an IR camera has nothing else), so the frame is free
// again when Analyze returns.
//
// # Budget
//
// A camera may ask for at most cameras[].detector.max_rate inferences per
// second of frame time (token bucket; a crop costs one); a frame over it
// is skipped and counted (reason "rate"). The pool watches how much of its
// workers' time inference took over the last four seconds; above 80 % it
// scales every camera's rate down in proportion (gauge
// pantau_detector_rate_scale, skips counted as "budget"), and raises it
// back slowly once under 40 %. So a slow box, a heavy model or many busy
// cameras lower the detection rate, never the analysis frame rate.
//
// # Queue and fairness
//
// The queue holds at most one job per camera: a camera's newer frame
// replaces its job still waiting (counted as "replaced"), so latency and
// memory stay bounded and Submit never blocks the camera's analyzer
// goroutine, which never blocks the decoder (the pipeline's latest-wins
// hand-off sits between them). A free worker takes frames with motion
// before periodic full-frame passes and, among them, the camera served
// longest ago, so one busy camera cannot starve the others.
//
// # Joining results to tracks
//
// Results arrive asynchronously, usually before the camera's next frame.
// On each frame the Client first submits, then takes the newest result
// that has come back and writes its detections (classes filtered, masks
// applied, scores at least the camera's detector.confidence) into
// Result.Detections, with the crops it looked at in Result.Inspected. A
// frame with no result is a coast frame (Result.Coast): the Client writes
// the motion regions instead, and the tracker uses them only to move the
// tracks it has (see vision/track), so the analysis keeps its frame rate
// and motion bridges the frames between detections. A result is applied
// to the frame after the one it was computed on; at 5 fps that is 200 ms
// of walking (a few pixels), well inside the tracker's matching.
//
// `pantau eval` and `pantau check` use an inline Client (NewInline), which
// runs the same planning and rate on its own model instance inside
// Analyze and joins the result to the same frame, so evaluation is
// repeatable.
package detpool
