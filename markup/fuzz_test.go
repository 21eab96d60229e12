package markup

import (
	"strings"
	"testing"
)

// seeds adds the fixtures' texts and the attack strings to the corpus.
func seeds(f *testing.F) {
	f.Helper()
	for _, s := range fixtureTexts(f) {
		f.Add(s)
	}
	for _, s := range attacks() {
		f.Add(s)
	}
}

// FuzzSanitize checks that no remote HTML makes Sanitize panic or keep
// anything outside the allow-list (no <script, no event attribute, no
// javascript: URL), and that its output is a fixed point. PlainText shares
// the corpus: it must not panic either.
func FuzzSanitize(f *testing.F) {
	seeds(f)
	r := New()
	f.Fuzz(func(t *testing.T, in string) {
		out := r.Sanitize(in)
		checkSafe(t, in, out)
		if again := r.Sanitize(out); again != out {
			t.Errorf("Sanitize is not idempotent on %q\nonce  %q\ntwice %q", in, out, again)
		}
		if txt := PlainText(in); txt != strings.TrimSpace(txt) {
			t.Errorf("PlainText(%q) = %q is not trimmed", in, txt)
		}
	})
}

// FuzzMarkdown checks that no Markdown makes Markdown panic or produce
// anything the sanitiser would not keep.
func FuzzMarkdown(f *testing.F) {
	seeds(f)
	r := New()
	f.Fuzz(func(t *testing.T, in string) {
		out := r.Markdown(in)
		checkSafe(t, in, out)
		if again := r.Sanitize(out); again != out {
			t.Errorf("Sanitize changes Markdown(%q)\nonce %q\nthen %q", in, out, again)
		}
	})
}

// FuzzExcerpt checks Excerpt's guarantees on any text and length.
func FuzzExcerpt(f *testing.F) {
	for _, s := range fixtureTexts(f) {
		f.Add(s, 20)
	}
	f.Add("ab👩\u200d👩\u200d👧cd", 5)
	f.Add("cafe\u0301s", 5)
	f.Fuzz(func(t *testing.T, s string, n int) {
		checkExcerpt(t, s, n, Excerpt(s, n))
	})
}
