package onvif_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// captures is the directory of real vendor responses (see its README and
// LICENSE files).
const captures = "../../testdata/onvif"

// wantProfile is the expected outcome for one profile, both as parsed from
// the captures and after Probe against the replay simulator.
type wantProfile struct {
	token, encoding string
	width, height   int
	fps             float64
	media2          bool // stream URI from Media2
}

// deviceCase is one captured device. It seeds the parser tests, the Probe
// tests (probe_test.go) and the fuzz corpus.
type deviceCase struct {
	dir                             string
	manufacturer, model, fw, serial string
	utc                             time.Time
	media1                          []wantProfile // Media1 GetProfiles as reported
	media2Tokens                    []string
	media2Encoders                  []wantProfile // Media2 GetVideoEncoderConfigurations (token = encoder token)
	stream1, stream2                string        // GetStreamUri as captured, "" if not captured
	snapshot                        string
	probed                          []wantProfile // what Probe reports
	probedStream                    string        // Probe's stream URI with the reached host 127.0.0.1
}

var deviceCases = []deviceCase{
	{
		dir: "SUNBA", manufacturer: "SUNBA", model: "Performance-Series",
		fw: "QIPC-B2202.3.73.C06290.NB.230628", serial: "210231T2H63235000045",
		utc: time.Date(2024, 4, 5, 17, 16, 28, 0, time.UTC),
		media1: []wantProfile{
			{"media_profile1", "H264", 2592, 1944, 12, false},
			{"media_profile2", "H264", 720, 576, 25, false},
			{"media_profile3", "H264", 352, 288, 25, false},
		},
		media2Tokens: []string{"media_profile1", "media_profile2", "media_profile3"},
		media2Encoders: []wantProfile{
			{"video_encoder_config", "H264", 2592, 1944, 12, true},
			{"video_encoder_config2", "H264", 720, 576, 25, true},
			{"video_encoder_config3", "H264", 352, 288, 25, true},
		},
		stream2:  "rtsp://162.191.54.181/media/video1",
		snapshot: "http://162.191.54.181:80/LAPI/V1.0/Media/Video/Streams/0/Snapshot",
		probed: []wantProfile{
			{"media_profile1", "H264", 2592, 1944, 12, true},
			{"media_profile2", "H264", 720, 576, 25, true},
			{"media_profile3", "H264", 352, 288, 25, true},
		},
		// A public address is kept: it may be a legitimate NAT mapping.
		probedStream: "rtsp://162.191.54.181/media/video1",
	},
	{
		dir: "happytimesoft", manufacturer: "Happytimesoft", model: "IPCamera", fw: "2.4", serial: "123456",
		utc: time.Date(2023, 3, 2, 19, 24, 42, 0, time.UTC),
		media1: []wantProfile{
			{"ProfileToken_1", "H264", 1280, 720, 25, false},
			{"ProfileToken_2", "H264", 640, 480, 25, false},
		},
		media2Tokens: []string{"ProfileToken_1", "ProfileToken_2"},
		stream1:      "rtsp://192.168.2.119/test.mp4&t=unicast&p=rtsp&ve=H264&w=1280&h=720&ae=PCMU&sr=8000",
		stream2:      "rtsp://192.168.2.119/test.mp4&ve=H264&w=1280&h=720&ae=PCMU&sr=8000",
		snapshot:     "http://192.168.2.119:10000/snapshot/ProfileToken_1",
		probed: []wantProfile{
			{"ProfileToken_1", "H264", 1280, 720, 25, true},
			{"ProfileToken_2", "H264", 640, 480, 25, true},
		},
		probedStream: "rtsp://127.0.0.1/test.mp4&ve=H264&w=1280&h=720&ae=PCMU&sr=8000",
	},
	{
		dir: "IPG-8150PSS", manufacturer: "ONVIF_IPNC", model: "IPG-8150PSS",
		fw: "1.3.0-20210203CN-PT", serial: "I207215E7840DFDA9877E8B",
		utc: time.Date(2024, 2, 20, 13, 13, 1, 0, time.UTC),
		media1: []wantProfile{
			{"PROFILE_000", "H264", 2560, 1920, 20, false},
			{"PROFILE_001", "H264", 800, 448, 20, false},
		},
		media2Tokens: []string{"PROFILE_000", "PROFILE_001"},
		media2Encoders: []wantProfile{
			{"VEToken_1", "H265", 2560, 1920, 20, true},
			{"VEToken_2", "H265", 800, 448, 20, true},
		},
		stream1:  "rtsp://10.200.1.2/live/0/MAIN",
		stream2:  "rtsp://10.200.1.2/live/0/MAIN",
		snapshot: "http://10.200.1.2:80/SnapShot_Ch0.jpg",
		// Media1 says H264 but Media2 knows these encoders are H.265.
		probed: []wantProfile{
			{"PROFILE_000", "H265", 2560, 1920, 20, true},
			{"PROFILE_001", "H265", 800, 448, 20, true},
		},
		probedStream: "rtsp://127.0.0.1/live/0/MAIN",
	},
}

// TestCasesCoverEveryCapture fails when a device folder is added to the
// captures without a case here.
func TestCasesCoverEveryCapture(t *testing.T) {
	ents, err := os.ReadDir(captures)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, c := range deviceCases {
		have[c.dir] = true
	}
	for _, e := range ents {
		if !e.IsDir() || e.Name() == "discovery" {
			continue
		}
		if !have[e.Name()] {
			t.Errorf("capture folder %s has no entry in deviceCases", e.Name())
		}
	}
}

func readCapture(t testing.TB, dir, service, op string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(captures, dir, service, op+"Response.xml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hasCapture(dir, service, op string) bool {
	_, err := os.Stat(filepath.Join(captures, dir, service, op+"Response.xml"))
	return err == nil
}
