package markup

import (
	"html"
	"strconv"
	"strings"
)

// tag is one tag of the policy's output.
type tag struct {
	name        string
	end         bool
	selfClosing bool
	attrs       [][2]string // name, unescaped value
}

func (t tag) attr(name string) (string, bool) {
	for _, a := range t.attrs {
		if a[0] == name {
			return a[1], true
		}
	}
	return "", false
}

// parseTag parses the inside of a tag ("a href=\"x\"", "/p", "br/") as
// bluemonday writes it (x/net/html's Token.String): lower-case names, values
// double-quoted and escaped. Attributes of end tags are ignored, as browsers
// do. It reports false for anything else, and the tag is then dropped.
func parseTag(raw string) (tag, bool) {
	var t tag
	if rest, ok := strings.CutPrefix(raw, "/"); ok {
		t.end = true
		t.name, _, _ = strings.Cut(rest, " ")
		return t, t.name != ""
	}
	if rest, ok := strings.CutSuffix(raw, "/"); ok {
		t.selfClosing = true
		raw = rest
	}
	t.name, raw, _ = strings.Cut(raw, " ")
	for raw != "" {
		key, rest, ok := strings.Cut(raw, `="`)
		if !ok || key == "" || strings.ContainsAny(key, ` "'<>`) {
			return tag{}, false
		}
		val, rest, ok := strings.Cut(rest, `"`)
		if !ok {
			return tag{}, false
		}
		t.attrs = append(t.attrs, [2]string{key, html.UnescapeString(val)})
		if rest != "" {
			if rest[0] != ' ' {
				return tag{}, false
			}
			rest = rest[1:]
		}
		raw = rest
	}
	return t, t.name != ""
}

// openElement is an element rewrite has opened and must close.
type openElement struct {
	name     string // element name in the input ("h2" for a heading's <strong>)
	close    string // written when it closes; "" for an unwrapped element
	openAt   int    // length of the output before its start tag
	bodyAt   int    // length of the output after its start tag
	implicit bool   // added by rewrite (a heading's <p><strong>): dropped if left empty
}

// rewriter reshapes the policy's output into Mastodon's form. Because that
// output is canonical (every "<" starts a tag, text and values are escaped),
// a scan for tags is exact and no HTML parser is needed here; every tag
// written is rebuilt from the allow-list rather than copied.
type rewriter struct {
	out     []byte
	stack   []openElement
	open    map[string][]int // stack indexes of open elements by name
	pre     int              // open <pre> elements: their whitespace matters
	links   int              // open <a> elements that were kept
	compact bool             // drop insignificant newlines (Markdown output)
	atBlock bool             // the last thing written was a block boundary
}

// rewrite turns bluemonday's output s into Mastodon's form (see Sanitize).
// With compact, the newlines goldmark puts between blocks and after <br> are
// dropped: some Mastodon clients show them as extra blank lines.
func rewrite(s string, compact bool) string {
	w := rewriter{
		out:     make([]byte, 0, len(s)+len(s)/4),
		open:    make(map[string][]int),
		compact: compact,
		atBlock: true,
	}
	// A "<" without ">" is not canonical output: the rest is dropped
	// rather than guessed at.
	WalkTags(s, w.text, func(raw string) bool {
		if t, ok := parseTag(raw); ok {
			w.tag(t)
		}
		return true
	})
	for len(w.stack) > 0 {
		w.pop()
	}
	if compact {
		return strings.Trim(string(w.out), " \n")
	}
	return string(w.out)
}

func (w *rewriter) text(s string) {
	if w.compact && w.pre == 0 && w.atBlock {
		s = strings.TrimLeft(s, " \n")
	}
	if s == "" {
		return
	}
	w.out = append(w.out, s...)
	w.atBlock = false
}

// block marks a block boundary before a block tag is written: in compact
// mode the whitespace before it goes.
func (w *rewriter) block() {
	if w.compact && w.pre == 0 {
		n := len(w.out)
		for n > 0 && (w.out[n-1] == ' ' || w.out[n-1] == '\n') {
			n--
		}
		w.out = w.out[:n]
	}
	w.atBlock = true
}

func (w *rewriter) tag(t tag) {
	switch {
	case t.name == "br":
		// </br> is a <br> too, as in the HTML parsing algorithm.
		w.block()
		w.out = append(w.out, "<br>"...)
	case isSpaced(t.name):
		w.block()
		if !w.compact {
			w.text(" ")
		}
	case t.end:
		w.end(t.name)
	case t.selfClosing:
		// <p/> is not a thing in HTML; an empty element keeps nothing.
	default:
		w.start(t)
	}
}

func (w *rewriter) start(t tag) {
	if closesP(t.name) {
		w.closeP()
	}
	if t.name == "li" {
		w.closeLi()
	}
	switch t.name {
	case "a":
		w.startLink(t)
	case "span":
		if c := filterClasses(attrOrEmpty(t, "class")); c != "" {
			w.push(t.name, `<span class="`+html.EscapeString(c)+`">`, "</span>")
		} else {
			w.push(t.name, "<span>", "</span>")
		}
	case "ol":
		open := "<ol"
		if v, ok := integerAttr(t, "start"); ok {
			open += ` start="` + v + `"`
		}
		if _, ok := t.attr("reversed"); ok {
			open += " reversed"
		}
		w.push(t.name, open+">", "</ol>")
	case "li":
		if v, ok := integerAttr(t, "value"); ok {
			w.push(t.name, `<li value="`+v+`">`, "</li>")
		} else {
			w.push(t.name, "<li>", "</li>")
		}
	case "h1", "h2", "h3", "h4", "h5", "h6":
		// Mastodon shows headings as bold paragraphs.
		w.push("p", "<p>", "</p>")
		w.stack[len(w.stack)-1].implicit = true
		w.push(t.name, "<strong>", "</strong>")
		w.stack[len(w.stack)-1].implicit = true
	case "s", "strike":
		w.push(t.name, "<del>", "</del>")
	case "p", "del", "pre", "code", "em", "strong", "b", "i", "u", "ul", "blockquote":
		w.push(t.name, "<"+t.name+">", "</"+t.name+">")
	}
}

func (w *rewriter) startLink(t tag) {
	href, _ := t.attr("href")
	if !allowedLink(href) || w.links > 0 {
		// Mastodon keeps the text of a link it cannot keep; a link inside a
		// link is unwrapped into the outer one.
		w.push("a", "", "")
		return
	}
	var b strings.Builder
	b.WriteString(`<a href="`)
	b.WriteString(html.EscapeString(href))
	b.WriteString(`"`)
	if c := filterClasses(attrOrEmpty(t, "class")); c != "" {
		b.WriteString(` class="`)
		b.WriteString(html.EscapeString(c))
		b.WriteString(`"`)
	}
	// Mastodon overwrites rel; "tag" is kept so hashtag links stay marked.
	b.WriteString(` rel="nofollow noopener noreferrer`)
	if hasToken(attrOrEmpty(t, "rel"), "tag") {
		b.WriteString(" tag")
	}
	b.WriteString(`" target="_blank">`)
	w.push("a", b.String(), "</a>")
	w.links++
}

func attrOrEmpty(t tag, name string) string {
	v, _ := t.attr(name)
	return v
}

// integerAttr returns the attribute's value normalised as a decimal integer.
func integerAttr(t tag, name string) (string, bool) {
	v, ok := t.attr(name)
	if !ok {
		return "", false
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n > 1e9 || n < -1e9 {
		return "", false
	}
	return strconv.Itoa(n), true
}

func (w *rewriter) push(name, open, close string) {
	if isBlock(name) {
		w.block()
	}
	e := openElement{name: name, close: close, openAt: len(w.out)}
	w.out = append(w.out, open...)
	e.bodyAt = len(w.out)
	if name == "pre" {
		w.pre++
	}
	w.open[name] = append(w.open[name], len(w.stack))
	w.stack = append(w.stack, e)
}

// pop closes the innermost open element.
func (w *rewriter) pop() {
	e := w.stack[len(w.stack)-1]
	w.stack = w.stack[:len(w.stack)-1]
	idx := w.open[e.name]
	w.open[e.name] = idx[:len(idx)-1]
	if e.name == "a" && e.close != "" {
		w.links--
	}
	if e.implicit && len(w.out) == e.bodyAt {
		// An element rewrite added and nothing filled: take it back out.
		w.out = w.out[:e.openAt]
		return
	}
	if isBlock(e.name) {
		w.block()
	}
	w.out = append(w.out, e.close...)
	if e.name == "pre" {
		w.pre--
	}
}

// popThrough closes open elements down to and including stack index i.
func (w *rewriter) popThrough(i int) {
	for len(w.stack) > i {
		w.pop()
	}
}

// innermost returns the stack index of the innermost open element called
// name, or -1.
func (w *rewriter) innermost(name string) int {
	idx := w.open[name]
	if len(idx) == 0 {
		return -1
	}
	return idx[len(idx)-1]
}

func (w *rewriter) end(name string) {
	i := w.innermost(name)
	if i < 0 {
		// A stray end tag: nothing to close.
		return
	}
	w.popThrough(i)
	// A heading's </hN> also closes the <p> added for it.
	if isHeading(name) && len(w.stack) > 0 && w.stack[len(w.stack)-1].implicit {
		w.pop()
	}
}

// closeP closes an open <p>, as a block start tag does in HTML.
func (w *rewriter) closeP() {
	if i := w.innermost("p"); i >= 0 {
		w.popThrough(i)
	}
}

// closeLi closes an open <li> of the current list before a new one starts.
func (w *rewriter) closeLi() {
	li := w.innermost("li")
	if li >= 0 && li > w.innermost("ul") && li > w.innermost("ol") {
		w.popThrough(li)
	}
}
