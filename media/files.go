package media

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// The media directory holds <yyyy>/<mm>/<name>.<ext> and
// <yyyy>/<mm>/<name>-small.<ext>, where name is 32 random hex digits: the
// URL of a file cannot be guessed from another's. Directories are 0700
// and files 0600, since only Roost reads them.

// contentTypes are the extensions Roost writes, with their MIME types.
var contentTypes = map[string]string{
	".jpg": "image/jpeg",
	".png": "image/png",
	".gif": "image/gif",
}

// ContentType returns the MIME type of a file Roost wrote, by its
// extension, or "" for any other name.
func ContentType(name string) string { return contentTypes[path.Ext(name)] }

// ValidPath reports whether rel (slash-separated, relative to the media
// directory) has exactly the shape of a file Roost writes. Anything else
// (dot segments, other extensions, temporary files) is refused before
// the file system is touched.
func ValidPath(rel string) bool {
	parts := strings.Split(rel, "/")
	if len(parts) != 3 || !digits(parts[0], 4) || !digits(parts[1], 2) {
		return false
	}
	ext := path.Ext(parts[2])
	name := strings.TrimSuffix(strings.TrimSuffix(parts[2], ext), "-small")
	if contentTypes[ext] == "" || len(name) != 32 {
		return false
	}
	for _, c := range name {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Remove deletes files Roost wrote under dir; files already gone are not
// an error.
func Remove(dir string, rels ...string) error {
	var errs []error
	for _, rel := range rels {
		if rel == "" || !ValidPath(rel) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(rel))); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// output writes the files of one upload, and removes them again if the
// upload fails half-way.
type output struct {
	dir     string
	now     time.Time
	name    string   // month directory and random name, chosen on first write
	written []string // relative paths
}

// write creates <name><suffix>.<ext> through a temporary file renamed into
// place, so that a crash never leaves half a file under a served name.
func (o *output) write(suffix, ext string, enc func(w io.Writer) error) (rel string, size int64, err error) {
	if o.name == "" {
		var b [16]byte
		rand.Read(b[:])
		o.name = o.now.UTC().Format("2006/01/") + hex.EncodeToString(b[:])
	}
	rel = o.name + suffix + "." + ext
	full := filepath.Join(o.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
		return "", 0, fmt.Errorf("make media directory: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(full), ".tmp-*")
	if err != nil {
		return "", 0, fmt.Errorf("create media file: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	cw := &countingWriter{w: f}
	bw := bufio.NewWriterSize(cw, 64<<10)
	if err = enc(bw); err != nil {
		return "", 0, fmt.Errorf("encode %s: %w", ext, err)
	}
	if err = bw.Flush(); err != nil {
		return "", 0, fmt.Errorf("write media file: %w", err)
	}
	// The database will point at this file: it must be on disk before
	// the row is committed.
	if err = f.Sync(); err != nil {
		return "", 0, fmt.Errorf("sync media file: %w", err)
	}
	if err = f.Close(); err != nil {
		return "", 0, fmt.Errorf("close media file: %w", err)
	}
	if err = os.Rename(f.Name(), full); err != nil {
		return "", 0, fmt.Errorf("rename media file: %w", err)
	}
	o.written = append(o.written, rel)
	return rel, cw.n, nil
}

// discard removes what was written.
func (o *output) discard() { Remove(o.dir, o.written...) }

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
