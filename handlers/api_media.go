package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"roost/media"
	"roost/store"
)

// Media uploads (https://docs.joinmastodon.org/methods/media/). Images
// are processed while the client waits (one at a time, see media.Process),
// so v2 answers 200 with a complete attachment rather than 202: Mastodon
// answers 202 only while processing goes on in the background.
//
// GET, PUT and DELETE /api/v1/media/:id see only the owner's uploads not
// yet attached to a status, as Mastodon's MediaController does
// (current_account.media_attachments.where(status_id: nil)): anything else
// is 404. An attached file's description changes by editing its status.

// maxMediaDescription is Mastodon's MediaAttachment::MAX_DESCRIPTION_LENGTH.
const maxMediaDescription = 1500

// mediaLimits are the upload limits the instance advertises.
var mediaLimits = media.Limits{MaxPixels: limitImageMatrix, SmallPixels: mediaSmallPixels}

// upload is a multipart upload: the file spooled to disk, and the other
// fields.
type upload struct {
	file  *os.File // nil when there was no file part
	value map[string]string
}

func (u *upload) close() {
	if u.file != nil {
		u.file.Close()
		os.Remove(u.file.Name())
	}
}

// postMedia is POST /api/v1/media and /api/v2/media.
func (s *Server) postMedia(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.MediaDir == "" {
		return errors.New("no media directory configured")
	}
	up, err := s.readUpload(w, r)
	defer up.close()
	if err != nil {
		return err
	}
	if up.file == nil {
		return errorf(http.StatusUnprocessableEntity, "Validation failed: File can't be blank")
	}
	m := &store.Media{Type: "image"}
	if err := setMediaFields(m, up.value); err != nil {
		return err
	}
	res, err := media.Process(r.Context(), s.cfg.MediaDir, up.file, mediaLimits, time.Now())
	if err != nil {
		return mediaError(err)
	}
	owner, err := s.owner(r.Context())
	if err == nil {
		m.AccountID, m.MediaType, m.FilePath, m.PreviewPath = owner.ID, res.MediaType, res.File, res.Preview
		m.Blurhash, m.Width, m.Height = res.Blurhash, res.Width, res.Height
		err = s.st.Update(r.Context(), func(tx *store.Tx) error { return tx.InsertMedia(m) })
	}
	if err != nil {
		media.Remove(s.cfg.MediaDir, res.Paths()...)
		return err
	}
	writeJSON(w, http.StatusOK, s.mediaJSON(m))
	return nil
}

// mediaError turns a refused image into Mastodon's validation errors.
func mediaError(err error) error {
	var msg string
	switch {
	case errors.Is(err, media.ErrUnsupported):
		msg = "Validation failed: File content type is invalid"
	case errors.Is(err, media.ErrTooManyPixels):
		msg = fmt.Sprintf("Validation failed: File dimensions exceed the limit of %d pixels", limitImageMatrix)
	case errors.Is(err, media.ErrAspectRatio):
		msg = "Validation failed: File aspect ratio is too extreme"
	case errors.Is(err, media.ErrInvalid):
		msg = "Validation failed: File could not be processed"
	default:
		return err
	}
	return &httpError{Code: http.StatusUnprocessableEntity, Msg: msg, Err: err}
}

// readUpload reads a multipart body part by part, spooling the "file"
// part to a temporary file in the media directory (not memory, nor /tmp,
// which is RAM on many Pis) and keeping the short fields. The query string
// counts too, as it does in Rails. The file part may have any filename and
// type, or none (Mona sends application/octet-stream without a filename):
// the format is sniffed from the content.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request) (*upload, error) {
	up := &upload{value: map[string]string{}}
	for k, vs := range r.URL.Query() {
		up.value[k] = vs[0]
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		return up, nil
	}
	// The file may be limitImageSize; the other fields and the multipart
	// framing get a little more.
	r.Body = http.MaxBytesReader(w, r.Body, limitImageSize+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return up, paramsError(err)
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return up, nil
		}
		if err != nil {
			return up, paramsError(err)
		}
		name := p.FormName()
		switch {
		case name == "file" && up.file == nil:
			if err := s.spool(up, p); err != nil {
				return up, err
			}
		case name == "description" || name == "focus":
			b, err := io.ReadAll(io.LimitReader(p, 16<<10))
			if err != nil {
				return up, paramsError(err)
			}
			up.value[name] = string(b)
		}
		p.Close()
	}
}

func (s *Server) spool(up *upload, p io.Reader) error {
	if err := os.MkdirAll(s.cfg.MediaDir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(s.cfg.MediaDir, ".upload-*")
	if err != nil {
		return err
	}
	up.file = f
	n, err := io.Copy(f, io.LimitReader(p, limitImageSize+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return paramsError(err)
		}
		return &httpError{Code: http.StatusBadRequest, Msg: "Error occurred while parsing request parameters", Err: err}
	}
	if n > limitImageSize {
		return errorf(http.StatusUnprocessableEntity, "Validation failed: File file size must be less than %d MB", limitImageSize>>20)
	}
	_, err = f.Seek(0, io.SeekStart)
	return err
}

// setMediaFields applies the description and focus parameters present in
// p to m.
func setMediaFields(m *store.Media, p map[string]string) error {
	if d, ok := p["description"]; ok {
		if utf8.RuneCountInString(d) > maxMediaDescription {
			return errorf(http.StatusUnprocessableEntity, "Validation failed: Description is too long (maximum is %d characters)", maxMediaDescription)
		}
		m.Description = strings.TrimSpace(d)
	}
	if f, ok := p["focus"]; ok && f != "" {
		x, y, err := parseFocus(f)
		if err != nil {
			return errorf(http.StatusUnprocessableEntity, "Validation failed: Focus is invalid")
		}
		m.FocusX, m.FocusY = x, y
	}
	return nil
}

// parseFocus reads a focal point "x,y", each from -1 to 1
// (https://docs.joinmastodon.org/api/guidelines/#focal-points); values
// out of range are clamped, as apps round loosely.
func parseFocus(s string) (float64, float64, error) {
	xs, ys, ok := strings.Cut(s, ",")
	if !ok {
		return 0, 0, errors.New("no comma")
	}
	x, err := strconv.ParseFloat(strings.TrimSpace(xs), 64)
	if err != nil {
		return 0, 0, err
	}
	y, err := strconv.ParseFloat(strings.TrimSpace(ys), 64)
	if err != nil {
		return 0, 0, err
	}
	return max(-1, min(1, x)), max(-1, min(1, y)), nil
}

// uploadFor finds the owner's unattached upload named by the {id} path
// parameter; anything else is 404.
func (s *Server) uploadFor(r *http.Request) (*store.Media, error) {
	id, ok := store.ParseID(r.PathValue("id"))
	if !ok {
		return nil, errNotFound
	}
	m, err := s.st.GetMedia(r.Context(), id)
	if err != nil {
		return nil, err
	}
	owner, err := s.owner(r.Context())
	if err != nil {
		return nil, err
	}
	if m.AccountID != owner.ID || m.StatusID != nil || m.FilePath == "" {
		return nil, errNotFound
	}
	return m, nil
}

// getMedia is GET /api/v1/media/:id. Processing is synchronous, so the
// answer is always 200, never Mastodon's 206 "still processing".
func (s *Server) getMedia(w http.ResponseWriter, r *http.Request) error {
	m, err := s.uploadFor(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.mediaJSON(m))
	return nil
}

// putMedia is PUT /api/v1/media/:id: description and focus.
func (s *Server) putMedia(w http.ResponseWriter, r *http.Request) error {
	m, err := s.uploadFor(r)
	if err != nil {
		return err
	}
	// params leaves multipart bodies unbounded for uploads; this one has
	// no file.
	r.Body = http.MaxBytesReader(w, r.Body, maxParamBody)
	p, err := params(r)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	for _, k := range []string{"description", "focus"} {
		if _, ok := p[k]; ok {
			fields[k] = p.Get(k)
		}
	}
	if err := setMediaFields(m, fields); err != nil {
		return err
	}
	if err := s.st.UpdateMedia(r.Context(), m); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.mediaJSON(m))
	return nil
}

// deleteMedia is DELETE /api/v1/media/:id (Mastodon 4.4): an upload not
// attached to a status, with its files.
func (s *Server) deleteMedia(w http.ResponseWriter, r *http.Request) error {
	m, err := s.uploadFor(r)
	if err != nil {
		return err
	}
	if err := s.st.DeleteUnattachedMedia(r.Context(), m.ID); err != nil {
		return err
	}
	if err := media.Remove(s.cfg.MediaDir, m.FilePath, m.PreviewPath); err != nil {
		s.log.Warn("media files not removed", "media_id", m.ID, "err", err)
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// getMediaFile is GET /media/<yyyy>/<mm>/<file>: the files Roost wrote,
// and nothing else. The path must have exactly the shape media writes,
// and the file is opened through an os.Root, so neither "..", symlinks
// nor the temporary files can be reached; directories are never listed.
// Names are random and files never change, so caches keep them for a
// year.
func (s *Server) getMediaFile(w http.ResponseWriter, r *http.Request) error {
	rel := r.PathValue("year") + "/" + r.PathValue("month") + "/" + r.PathValue("file")
	if s.cfg.MediaDir == "" || !media.ValidPath(rel) {
		return errNotFound
	}
	root, err := os.OpenRoot(s.cfg.MediaDir)
	if errors.Is(err, fs.ErrNotExist) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(rel))
	if err != nil {
		return errNotFound
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return errNotFound
	}
	h := w.Header()
	h.Set("Content-Type", media.ContentType(rel))
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Access-Control-Allow-Origin", "*")
	http.ServeContent(w, r, "", fi.ModTime(), f)
	return nil
}

// RemoveUnattachedMedia deletes uploads made before t that no status
// attached (Mastodon removes them after a day), with their files, and
// upload spool files a crash left behind. main runs it now and then.
func (s *Server) RemoveUnattachedMedia(ctx context.Context, before time.Time) (int, error) {
	n := 0
	for {
		list, err := s.st.ListUnattachedMediaBefore(ctx, before, 100)
		if err != nil || len(list) == 0 {
			s.removeStaleSpools(before)
			return n, err
		}
		for _, m := range list {
			if err := s.st.DeleteUnattachedMedia(ctx, m.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return n, err
			}
			if err := media.Remove(s.cfg.MediaDir, m.FilePath, m.PreviewPath); err != nil {
				s.log.Warn("media files not removed", "media_id", m.ID, "err", err)
			}
			n++
		}
	}
}

func (s *Server) removeStaleSpools(before time.Time) {
	if s.cfg.MediaDir == "" {
		return
	}
	names, _ := filepath.Glob(filepath.Join(s.cfg.MediaDir, ".upload-*"))
	for _, name := range names {
		if fi, err := os.Stat(name); err == nil && fi.ModTime().Before(before) {
			os.Remove(name)
		}
	}
}
