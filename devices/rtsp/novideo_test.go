package rtsp

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
)

// audioOnly is a gortsplib server handler that serves one stream with
// only the given formats (an audio-only or MJPEG camera).
type audioOnly struct{ stream *gortsplib.ServerStream }

func (h *audioOnly) OnDescribe(*gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return &base.Response{StatusCode: base.StatusOK}, h.stream, nil
}

func (h *audioOnly) OnSetup(*gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return &base.Response{StatusCode: base.StatusOK}, h.stream, nil
}

// TestRunNoVideoTrack: a stream without H.264/H.265 is a clear error that
// says what the stream has, on a real gortsplib server.
func TestRunNoVideoTrack(t *testing.T) {
	h := &audioOnly{}
	srv := &gortsplib.Server{Handler: h, RTSPAddress: freeClosedPort(t)}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	h.stream = &gortsplib.ServerStream{Server: srv, Desc: &description.Session{Medias: []*description.Media{
		{Type: description.MediaTypeAudio, Formats: []format.Format{&format.G711{PayloadTyp: 0, MULaw: true, SampleRate: 8000, ChannelCount: 1}}},
		{Type: description.MediaTypeVideo, Formats: []format.Format{&format.MJPEG{}}},
	}}}
	if err := h.stream.Initialize(); err != nil {
		t.Fatal(err)
	}
	defer h.stream.Close()

	err := New(Config{URL: "rtsp://" + srv.RTSPAddress + "/cam"}, func(AccessUnit) {}).Run(context.Background())
	t.Logf("error: %v", err)
	if !errors.Is(err, ErrNoVideo) {
		t.Fatalf("err = %v, want ErrNoVideo", err)
	}
	for _, want := range []string{"no H.264 or H.265 video track", "audio/G711", "video/M-JPEG"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not list the track %s", err, want)
		}
	}
}
