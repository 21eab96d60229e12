package markup

import (
	"html"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
)

// PlainText turns HTML into plain text, for Atom summaries, OpenGraph
// descriptions and notification bodies. Paragraphs and other blocks end in a
// blank line or a newline, <br> is a newline, runs of whitespace collapse as
// a browser would collapse them (except in <pre>), entities are decoded,
// tags and the contents of script and style are dropped, and the result is
// trimmed. The result is text, not HTML: escape it before putting it in HTML.
func PlainText(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	clean := textPolicy().Sanitize(s)

	var w textWriter
	WalkTags(clean, w.text, func(raw string) bool {
		end := strings.HasPrefix(raw, "/")
		name, _, _ := strings.Cut(strings.Trim(raw, "/"), " ")
		w.tag(name, end)
		return true
	})
	return strings.TrimSpace(w.b.String())
}

// textPolicy keeps only the block elements. It is built once: building it
// per call was most of what PlainText allocated, on every incoming post.
// A configured policy is safe for concurrent use.
var textPolicy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements(textBlocks()...)
	return p
})

// textBlocks are the elements PlainText turns into line breaks.
func textBlocks() []string {
	return []string{
		"br", "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "ul", "ol", "hr", "table",
		"li", "div", "dl", "dt", "dd", "tr", "address", "article", "aside", "footer", "header", "hgroup",
		"nav", "section", "figure", "figcaption", "details", "summary", "caption",
	}
}

// textWriter builds PlainText's result from sanitised HTML.
type textWriter struct {
	b     strings.Builder
	lines int  // newlines owed before the next text
	space bool // a collapsed space is owed before the next text
	pre   int  // open <pre> elements, whose whitespace is kept
}

func (w *textWriter) tag(name string, end bool) {
	switch name {
	case "br":
		w.lines++
	case "pre":
		if end && w.pre > 0 {
			w.pre--
		} else if !end {
			w.pre++
		}
		w.lines = max(w.lines, 2)
	case "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "hr", "table":
		w.lines = max(w.lines, 2)
	default:
		w.lines = max(w.lines, 1)
	}
}

func (w *textWriter) text(s string) {
	s = html.UnescapeString(s)
	if w.pre > 0 {
		if s != "" {
			w.flush()
			w.b.WriteString(s)
		}
		return
	}
	for _, r := range s {
		if isHTMLSpace(r) {
			w.space = true
			continue
		}
		w.flush()
		w.b.WriteRune(r)
	}
}

// flush writes the line breaks or the space owed before more text; none are
// owed at the very start.
func (w *textWriter) flush() {
	switch {
	case w.b.Len() == 0:
	case w.lines > 0:
		w.b.WriteString(strings.Repeat("\n", w.lines))
	case w.space:
		w.b.WriteByte(' ')
	}
	w.lines, w.space = 0, false
}

// Excerpt shortens s to at most n runes, the "…" included. It cuts at the
// last space when one falls in the second half of the allowed length, and
// otherwise between two runes (text without spaces, such as Japanese, or a
// long URL), never inside a combining sequence. s is returned unchanged when
// it fits; an n of 0 or less gives "".
func Excerpt(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	// starts holds the byte offset of each of the first n runes, so that the
	// result is a byte prefix of s even where s is not valid UTF-8.
	starts := make([]int, 0, n)
	for i := range s {
		if len(starts) == n {
			break
		}
		starts = append(starts, i)
	}
	at := func(k int) rune {
		r, _ := utf8.DecodeRuneInString(s[starts[k]:])
		return r
	}
	cut := n - 1 // room for the ellipsis
	boundary := false
	for i := cut; i >= cut/2; i-- {
		if unicode.IsSpace(at(i)) {
			cut, boundary = i, true
			break
		}
	}
	if !boundary {
		for cut > 0 && joined(at(cut-1), at(cut)) {
			cut--
		}
	}
	head := strings.TrimRightFunc(s[:starts[cut]], func(r rune) bool {
		return unicode.IsSpace(r) || r == ',' || r == ';' || r == ':'
	})
	return head + "…"
}

// joined reports whether next belongs to the same visible character as prev:
// combining marks, variation selectors, emoji modifiers and zero-width
// joiner sequences.
func joined(prev, next rune) bool {
	switch {
	case prev == '\u200d' || next == '\u200d':
		return true
	case unicode.Is(unicode.Mn, next) || unicode.Is(unicode.Me, next) || unicode.Is(unicode.Mc, next):
		return true
	case unicode.Is(unicode.Variation_Selector, next):
		return true
	case next >= 0x1F3FB && next <= 0x1F3FF: // skin tone modifiers
		return true
	case next >= 0xE0020 && next <= 0xE007F: // emoji tag sequences (subdivision flags)
		return true
	}
	return false
}
