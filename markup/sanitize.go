package markup

import (
	"regexp"
	"slices"
	"strings"

	"github.com/microcosm-cc/bluemonday"
)

// Sanitize cleans remote HTML to the elements, attributes, classes and link
// schemes Mastodon keeps (FEDERATION.md §7, Mastodon's
// app/lib/sanitize_config.rb): p br span a del pre code em strong b i u ul
// ol li blockquote. Headings become <p><strong>…</strong></p> and <s> becomes
// <del>; every other element is unwrapped, keeping its text, except that the
// contents of script, style and similar elements are dropped. Links keep only
// allowed schemes (a link without one becomes its text) and always get
// rel="nofollow noopener noreferrer" and target="_blank". The result is
// balanced: every element opened is closed.
func (r *Renderer) Sanitize(s string) string {
	return rewrite(r.policy.Sanitize(s), false)
}

// newPolicy builds the bluemonday policy behind Sanitize. It does the parsing
// and the hard security work (elements, attribute names, URL schemes); rewrite
// then reshapes its output into Mastodon's form (headings, classes, rel,
// balancing), which bluemonday cannot express.
func newPolicy() *bluemonday.Policy {
	integer := regexp.MustCompile(`^-?[0-9]{1,9}$`)

	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "span", "a", "del", "pre", "code", "em", "strong", "b", "i", "u", "ul", "ol", "li", "blockquote")
	// Struck-through text keeps its meaning as <del>.
	p.AllowElements("s", "strike")
	// Let these through so that rewrite can turn them into <strong> or a
	// space; bluemonday on its own would glue the words on either side.
	p.AllowElements("h1", "h2", "h3", "h4", "h5", "h6")
	p.AllowElements(spacedElements()...)

	p.AllowAttrs("href", "rel", "class").OnElements("a")
	p.AllowAttrs("class").OnElements("span")
	p.AllowAttrs("start").Matching(integer).OnElements("ol")
	p.AllowAttrs("reversed").OnElements("ol")
	p.AllowAttrs("value").Matching(integer).OnElements("li")

	p.AllowURLSchemes(linkSchemes()...)
	p.RequireParseableURLs(true)
	// Mastodon turns a link with a relative href into its text: there is no
	// base to resolve it against once the post is shown on another server.
	p.AllowRelativeURLs(false)
	return p
}

// linkSchemes are the schemes Mastodon keeps in links (LINK_PROTOCOLS).
func linkSchemes() []string {
	return []string{"http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini"}
}

// spacedElements are block elements that are unwrapped into a space, as the
// Sanitize gem behind Mastodon does, so "<div>a</div><div>b</div>" reads
// "a b" rather than "ab". Table cells and figures are added to its list.
func spacedElements() []string {
	return []string{
		"address", "article", "aside", "dd", "div", "dl", "dt", "footer", "header", "hgroup", "hr", "nav", "section",
		"figure", "figcaption", "details", "summary", "table", "caption", "tr", "td", "th",
	}
}

func isSpaced(name string) bool {
	return slices.Contains(spacedElements(), name)
}

func isHeading(name string) bool {
	return len(name) == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6'
}

// closesP reports whether an element's start tag closes an open <p>, as in
// the HTML parsing algorithm; it keeps paragraphs from nesting.
func closesP(name string) bool {
	switch name {
	case "p", "ul", "ol", "li", "pre", "blockquote":
		return true
	}
	return isHeading(name)
}

// isBlock reports whether whitespace around the element is insignificant, so
// that compact output may drop it.
func isBlock(name string) bool {
	return name == "br" || closesP(name) || isSpaced(name)
}

// allowedLink reports whether href has a scheme Mastodon keeps. bluemonday
// has already checked it; this repeats the check where the tag is written.
func allowedLink(href string) bool {
	scheme, _, ok := strings.Cut(href, ":")
	if !ok || scheme == "" {
		return false
	}
	return slices.Contains(linkSchemes(), strings.ToLower(scheme))
}

// allowedClass reports whether Mastodon keeps a class: microformats (h-card,
// u-url, …) and the classes its own mention, hashtag and link markup uses.
func allowedClass(c string) bool {
	switch c {
	case "mention", "hashtag", "ellipsis", "invisible":
		return true
	}
	var rest string
	for _, prefix := range []string{"h-", "p-", "u-", "dt-", "e-"} {
		if r, ok := strings.CutPrefix(c, prefix); ok {
			rest = r
			break
		}
	}
	if rest == "" {
		return false
	}
	for _, r := range rest {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' && r != '_' {
			return false
		}
	}
	return true
}

// filterClasses keeps the allowed classes of a class attribute, in order.
func filterClasses(v string) string {
	var kept []string
	for _, c := range strings.FieldsFunc(v, isHTMLSpace) {
		if allowedClass(c) {
			kept = append(kept, c)
		}
	}
	return strings.Join(kept, " ")
}

func isHTMLSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r'
}

// hasToken reports whether a space-separated attribute value holds tok.
func hasToken(v, tok string) bool {
	for _, f := range strings.FieldsFunc(v, isHTMLSpace) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}
