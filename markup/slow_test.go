package markup

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSlowCorpus(t *testing.T) {
	r := New()
	files, _ := filepath.Glob(os.Getenv("HOME") + "/.cache/go-build/fuzz/roost/markup/Fuzz*/*")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		lines := strings.Split(string(b), "\n")
		if len(lines) < 2 { continue }
		v := strings.TrimSuffix(strings.TrimPrefix(lines[1], "string("), ")")
		s, err := strconv.Unquote(v)
		if err != nil { continue }
		st := time.Now()
		r.Sanitize(s); PlainText(s); r.Markdown(s)
		if d := time.Since(st); d > 5*time.Millisecond {
			t.Logf("%s len=%d %v", filepath.Base(f), len(s), d)
		}
	}
}
