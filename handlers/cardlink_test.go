package handlers

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"roost/markup"
)

// cardLinkSeeds are the contents of every fixture, as received and as
// Roost stores them (sanitised), and hand-made cases.
func cardLinkSeeds(t testing.TB) []string {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "activitypub", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("fixtures: %v", err)
	}
	md := markup.New()
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && (k == "content" || k == "summary") {
					out = append(out, s, md.Sanitize(s))
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if json.Unmarshal(b, &v) == nil {
			walk(v)
		}
	}
	return append(out,
		`<p>see <a href="https://example.org/a?x=1&amp;y=2" rel="nofollow noopener" target="_blank">example</a></p>`,
		`<p><a href="https://h.test/@bob" class="u-url mention">@<span>bob</span></a> <a href="https://news.test/x">news</a></p>`,
		`<p><a href="https://h.test/tags/go" rel="tag">#go</a> <a href="https://x.test/">  #not a tag?</a> <a href="https://y.test/">y</a></p>`,
		`<p><abbr title="x">a</abbr><aside>b</aside><a href='https://single.test/'>single quotes</a></p>`,
		`<p><A HREF="https://upper.test/">upper</A></p>`,
		`<p><a href="javascript:alert(1)">js</a><a href="https://ok.test/">ok</a></p>`,
		`<p><a href="https://unterminated.test/">no end`,
		`<!-- <a href="https://comment.test/">c</a> --><p><a href="https://after.test/">after</a></p>`,
		`<p><a href=https://bare.test/>bare</a></p>`,
		`<p><a href="https://a.test/" data-x="1">a <b>bold</b> &amp; more</a></p>`,
	)
}

// TestCardLinkScanAgreesWithTokenizer: the plain scan finds the same link
// as the HTML tokenizer in every fixture, sanitised or not, or hands over.
func TestCardLinkScanAgreesWithTokenizer(t *testing.T) {
	scanned := 0
	for _, c := range cardLinkSeeds(t) {
		if got, want := cardLink(c), cardLinkTokens(c); got != want {
			t.Errorf("cardLink = %q, tokenizer %q, for\n%s", got, want, c)
		}
		if _, ok := cardLinkScan(c); ok {
			scanned++
		}
	}
	if scanned < 50 {
		t.Errorf("the scan read only %d contents itself", scanned)
	}
}

// FuzzCardLink: for any HTML, cardLink agrees with the tokenizer.
func FuzzCardLink(f *testing.F) {
	for _, c := range cardLinkSeeds(f) {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, c string) {
		if got, want := cardLink(c), cardLinkTokens(c); got != want {
			t.Errorf("cardLink = %q, tokenizer %q, for %q", got, want, c)
		}
	})
}
