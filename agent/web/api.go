package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/pantau/pantau/agent/config"
	"github.com/pantau/pantau/devices/urlcred"
)

// maxBody bounds a request body: rules for one camera are a few KB.
const maxBody = 1 << 20

func (u *UI) listCameras(w http.ResponseWriter, r *http.Request) {
	cams := u.b.Cameras()
	if cams == nil {
		cams = []Camera{}
	}
	writeJSON(w, http.StatusOK, cams)
}

func (u *UI) getRules(w http.ResponseWriter, r *http.Request) {
	path := u.b.ConfigPath()
	if path == "" {
		writeError(w, http.StatusNotFound, "the agent runs without a config file: rules cannot be edited")
		return
	}
	d, err := readDoc(path)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	cam, err := d.camera(r.PathValue("name"))
	if err != nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("camera %q is not in the config file", r.PathValue("name")))
		return
	}
	rules, err := rulesOf(cam)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("ETag", d.etag)
	writeJSON(w, http.StatusOK, rules)
}

// putRules replaces one camera's rules: If-Match must hold the ETag of
// the file as it is now (412 if it changed, 428 if missing); the edited
// file must pass `pantau check` (422 naming each bad key); then it
// replaces the file (the old one kept as .bak) and the agent reloads.
func (u *UI) putRules(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var rules Rules
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rules); err != nil {
		writeErrors(w, http.StatusBadRequest, FieldError{Key: "(body)", Message: "want {\"lines\":[…],\"zones\":[…],\"masks\":[…]}: " + err.Error()})
		return
	}
	u.edit.Lock()
	defer u.edit.Unlock()
	d, code, msg := u.openForEdit(r, true)
	if code != 0 {
		writeError(w, code, msg)
		return
	}
	cam, err := d.camera(name)
	if err != nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("camera %q is not in the config file", name))
		return
	}
	if err := setRules(cam, rules); err != nil {
		writeErrors(w, http.StatusBadRequest, FieldError{Key: "(body)", Message: err.Error()})
		return
	}
	etag, errs, err := u.apply(r.Context(), d)
	if errs != nil {
		writeErrors(w, http.StatusUnprocessableEntity, fieldErrors(errs, cameraIndex(d, name))...)
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	d2, err := readDoc(u.b.ConfigPath())
	if err == nil {
		if cam, err = d2.camera(name); err == nil {
			rules, err = rulesOf(cam)
		}
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("ETag", etag)
	writeJSON(w, http.StatusOK, rules)
}

// openForEdit reads the config file and checks If-Match against it.
func (u *UI) openForEdit(r *http.Request, needMatch bool) (*doc, int, string) {
	path := u.b.ConfigPath()
	if path == "" {
		return nil, http.StatusNotFound, "the agent runs without a config file: nothing to edit"
	}
	d, err := readDoc(path)
	if err != nil {
		return nil, http.StatusInternalServerError, err.Error()
	}
	match := r.Header.Get("If-Match")
	switch {
	case match == "" && needMatch:
		return nil, http.StatusPreconditionRequired, "If-Match is required: send the ETag of the rules you edited"
	case match != "" && match != d.etag && match != "*":
		return nil, http.StatusPreconditionFailed, "the config changed since you loaded it (someone else, or the file): reload and edit again"
	}
	return d, 0, ""
}

// apply checks the edited document exactly as `pantau check` does, then
// replaces the file and reloads the agent. errs is set when the check
// refused it (the file is untouched).
func (u *UI) apply(ctx context.Context, d *doc) (etag string, errs []error, err error) {
	path := u.b.ConfigPath()
	data, err := d.encode()
	if err != nil {
		return "", nil, err
	}
	staged, err := stage(path, data)
	if err != nil {
		if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS) {
			return "", nil, fmt.Errorf("cannot write beside %s (%v): the UI replaces the config file atomically, so the agent needs write access to its directory "+
				"(systemd: ReadWritePaths= for it), or edit the file by hand and reload", path, err)
		}
		return "", nil, err
	}
	defer os.Remove(staged) // gone after a successful rename
	if errs := u.b.Check(staged); len(errs) > 0 {
		return "", errs, nil
	}
	if err := commit(path, staged, d.raw); err != nil {
		return "", nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := u.b.Reload(rctx); err != nil {
		return "", nil, fmt.Errorf("written, but the reload failed: %w", err)
	}
	return etagOf(data), nil, nil
}

// cameraIndex is the position of camera name in the file's cameras list.
func cameraIndex(d *doc, name string) int {
	if seq := d.cameras(false); seq != nil {
		for i, c := range seq.Content {
			if n := lookup(c, "name"); n != nil && n.Value == name {
				return i
			}
		}
	}
	return -1
}

// fieldErrors turns check errors into API errors; keys of camera idx get
// a Field relative to the camera (masks for motion.masks).
func fieldErrors(errs []error, idx int) []FieldError {
	prefix := fmt.Sprintf("cameras[%d].", idx)
	out := make([]FieldError, 0, len(errs))
	for _, e := range errs {
		var fe *config.FieldError
		if !errors.As(e, &fe) {
			out = append(out, FieldError{Key: "", Message: urlcred.RedactText(e.Error())})
			continue
		}
		f := FieldError{Key: fe.Key, Message: fe.Msg}
		if rest, ok := strings.CutPrefix(fe.Key, prefix); ok {
			f.Field = strings.Replace(rest, "motion.masks", "masks", 1)
		}
		out = append(out, f)
	}
	return out
}

var cameraNameRE = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// addCamera adds a camera found by the last discovery round to the config
// file, with the chosen profile's stream; 201 once applied.
func (u *UI) addCamera(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name    string `json:"name"`
		Address string `json:"address"`
		Profile string `json:"profile"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeErrors(w, http.StatusBadRequest, FieldError{Key: "(body)", Message: "want {\"name\":…,\"address\":…,\"profile\":…}: " + err.Error()})
		return
	}
	if !cameraNameRE.MatchString(in.Name) {
		writeErrors(w, http.StatusUnprocessableEntity, FieldError{Key: "name", Field: "name", Message: "1–64 of a-z, 0-9, '_' and '-'"})
		return
	}
	u.mu.Lock()
	f, ok := u.found[in.Address]
	u.mu.Unlock()
	if !ok {
		writeErrors(w, http.StatusUnprocessableEntity, FieldError{Key: "address", Field: "address", Message: "not found by the last discovery round: run discovery first"})
		return
	}
	stream := ""
	for _, p := range f.Profiles {
		if p.Token == in.Profile {
			stream = p.StreamURI
		}
	}
	if stream == "" {
		writeErrors(w, http.StatusUnprocessableEntity, FieldError{Key: "profile", Field: "profile", Message: fmt.Sprintf("the device has no profile %q with a stream", in.Profile)})
		return
	}
	u.edit.Lock()
	defer u.edit.Unlock()
	d, code, msg := u.openForEdit(r, false)
	if code != 0 {
		writeError(w, code, msg)
		return
	}
	cam := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	kv := [][2]string{{"name", in.Name}, {"url", stream}, {"onvif", f.Address}}
	if f.Username != "" {
		kv = append(kv, [2]string{"username", f.Username}, [2]string{"password", f.Password})
	}
	for _, p := range kv {
		set(cam, p[0], &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p[1]})
	}
	seq := d.cameras(true)
	seq.Content = append(seq.Content, cam)
	etag, errs, err := u.apply(r.Context(), d)
	if errs != nil {
		writeErrors(w, http.StatusUnprocessableEntity, fieldErrors(errs, len(seq.Content)-1)...)
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Location", "/api/v1/cameras/"+in.Name+"/rules")
	writeJSON(w, http.StatusCreated, map[string]string{"name": in.Name, "url": urlcred.RedactText(stream)})
}

func (u *UI) discover(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 60*time.Second)
	defer cancel()
	found, err := u.b.Discover(ctx)
	if err != nil {
		writeError(w, http.StatusBadGateway, urlcred.RedactText(err.Error()))
		return
	}
	u.mu.Lock()
	u.found = map[string]Found{}
	for _, f := range found {
		u.found[f.Address] = f
	}
	u.mu.Unlock()
	if found == nil {
		found = []Found{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"devices": found})
}
