package camsim

import (
	"strings"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/liberrors"
)

// handler answers gortsplib's server callbacks for a Server.
type handler struct{ s *Server }

// OnConnOpen implements gortsplib.ServerHandlerOnConnOpen.
func (h *handler) OnConnOpen(ctx *gortsplib.ServerHandlerOnConnOpenCtx) {
	h.s.log.Debug("rtsp connection opened", "remote", ctx.Conn.NetConn().RemoteAddr().String())
}

// OnConnClose implements gortsplib.ServerHandlerOnConnClose.
func (h *handler) OnConnClose(ctx *gortsplib.ServerHandlerOnConnCloseCtx) {
	h.s.log.Debug("rtsp connection closed", "remote", ctx.Conn.NetConn().RemoteAddr().String(),
		"reason", ctx.Error)
}

// OnSessionOpen implements gortsplib.ServerHandlerOnSessionOpen.
func (h *handler) OnSessionOpen(*gortsplib.ServerHandlerOnSessionOpenCtx) {
	h.s.clients.Add(1)
}

// OnSessionClose implements gortsplib.ServerHandlerOnSessionClose.
func (h *handler) OnSessionClose(*gortsplib.ServerHandlerOnSessionCloseCtx) {
	h.s.clients.Add(-1)
}

// OnDescribe implements gortsplib.ServerHandlerOnDescribe.
func (h *handler) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if d := h.s.cfg.Impair.SlowDescribe; d > 0 {
		time.Sleep(d) // a camera busy with something else
	}
	return h.s.admit(ctx.Conn, ctx.Request, ctx.Path)
}

// OnSetup implements gortsplib.ServerHandlerOnSetup.
func (h *handler) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return h.s.admit(ctx.Conn, ctx.Request, ctx.Path)
}

// OnPlay implements gortsplib.ServerHandlerOnPlay.
func (h *handler) OnPlay(ctx *gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	h.s.log.Debug("rtsp client playing", "remote", ctx.Conn.NetConn().RemoteAddr().String())
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// admit checks a DESCRIBE or SETUP request: credentials first (as cameras
// do, so a wrong path does not reveal itself to strangers), then the path.
func (s *Server) admit(conn *gortsplib.ServerConn, req *base.Request, path string) (
	*base.Response, *gortsplib.ServerStream, error,
) {
	s.mu.Lock()
	user, password := s.cfg.User, s.cfg.Password
	s.mu.Unlock()
	_, sent := req.Header["Authorization"]
	ok := user == "" || conn.VerifyCredentials(req, user, password)
	if user != "" && sent && req.Method == base.Describe {
		// A login is a DESCRIBE with credentials; SETUP repeats them.
		ok = s.lock.login(ok, time.Now())
	}
	if !ok {
		if sent {
			s.log.Info("rtsp client rejected: wrong credentials or account locked",
				"remote", conn.NetConn().RemoteAddr().String())
		}
		// gortsplib answers 401 with a challenge, and closes the
		// connection when wrong credentials were sent.
		return &base.Response{StatusCode: base.StatusUnauthorized}, nil, liberrors.ErrServerAuth{}
	}
	if strings.Trim(path, "/") != s.cfg.Path {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
	}
	st := s.current()
	if st == nil {
		return &base.Response{StatusCode: base.StatusServiceUnavailable}, nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, st, nil
}

// OnStreamWriteError implements gortsplib.ServerHandlerOnStreamWriteError:
// a client too slow to take the stream loses packets. Counted here,
// summarised by the streaming loop (gortsplib would log each one).
func (h *handler) OnStreamWriteError(*gortsplib.ServerHandlerOnStreamWriteErrorCtx) {
	h.s.writeErrs.Add(1)
}

// OnDecodeError implements gortsplib.ServerHandlerOnDecodeError (bad
// RTCP from a client).
func (h *handler) OnDecodeError(ctx *gortsplib.ServerHandlerOnDecodeErrorCtx) {
	h.s.log.Debug("rtsp client sent an undecodable packet", "err", ctx.Error)
}

// OnPacketsLost implements gortsplib.ServerHandlerOnPacketsLost.
func (h *handler) OnPacketsLost(ctx *gortsplib.ServerHandlerOnPacketsLostCtx) {
	h.s.log.Debug("rtsp packets lost", "count", ctx.Lost)
}
