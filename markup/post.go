package markup

import (
	"html"
	"regexp"
	"strings"

	xhtml "golang.org/x/net/html"
)

// Mention is an @user or @user@host written in a post. Host is "" when the
// post names a user without a server.
type Mention struct {
	Username string
	Host     string
}

// Linker resolves what a post links to: the profile URL of a mentioned
// account (ok false leaves the text as it is, as Mastodon does for
// unknown accounts) and the page of a hashtag.
type Linker struct {
	Mention func(m Mention) (href string, ok bool)
	Tag     func(name string) string
}

var (
	// A mention starts after a non-word character: "@user" or
	// "@user@host" (a host may carry a port for local test setups).
	mentionRE = regexp.MustCompile(`(^|[^\p{L}\p{N}_/@.])@([A-Za-z0-9_]{1,30})(?:@([A-Za-z0-9.\-]+:\d{1,5}|[A-Za-z0-9.\-]+\.[A-Za-z]{2,}|localhost))?`)
	// A hashtag has at least one letter or underscore, as Mastodon's do.
	hashtagRE = regexp.MustCompile(`(^|[^\p{L}\p{N}_/&#])#([\p{L}\p{N}_]*[\p{L}_][\p{L}\p{N}_]*)`)
)

// Post renders the owner's Markdown post and links its mentions and
// hashtags the way Mastodon writes them, so that every server and app
// shows them as mentions and hashtags. Text inside links and code is left
// alone. It returns the HTML with the mentions it linked and the hashtags
// (lowercased, without #, each once) in order.
func (r *Renderer) Post(src string, l Linker) (out string, mentions []Mention, tags []string) {
	rendered := r.Markdown(src)
	z := xhtml.NewTokenizer(strings.NewReader(rendered))
	var b strings.Builder
	skip := 0 // depth inside a, code, pre
	seenTag := map[string]bool{}
	for {
		tt := z.Next()
		switch tt {
		case xhtml.ErrorToken:
			return r.Sanitize(b.String()), mentions, tags
		case xhtml.StartTagToken, xhtml.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "a", "code", "pre":
				if tt == xhtml.StartTagToken {
					skip++
				} else if skip > 0 {
					skip--
				}
			}
			b.Write(z.Raw())
		case xhtml.TextToken:
			text := string(z.Text())
			if skip > 0 {
				b.WriteString(html.EscapeString(text))
				continue
			}
			b.WriteString(linkText(text, l, &mentions, &tags, seenTag))
		default:
			b.Write(z.Raw())
		}
	}
}

// linkText escapes text and links the mentions and hashtags in it.
func linkText(text string, l Linker, mentions *[]Mention, tags *[]string, seenTag map[string]bool) string {
	var spans []span
	for _, m := range mentionRE.FindAllStringSubmatchIndex(text, -1) {
		men := Mention{Username: text[m[4]:m[5]]}
		if m[6] >= 0 {
			men.Host = strings.ToLower(text[m[6]:m[7]])
		}
		if l.Mention == nil {
			continue
		}
		href, ok := l.Mention(men)
		if !ok {
			continue
		}
		*mentions = append(*mentions, men)
		spans = append(spans, span{m[3], m[1], `<span class="h-card"><a href="` + html.EscapeString(href) +
			`" class="u-url mention">@<span>` + html.EscapeString(men.Username) + `</span></a></span>`})
	}
	for _, m := range hashtagRE.FindAllStringSubmatchIndex(text, -1) {
		name := text[m[4]:m[5]]
		if l.Tag == nil || overlaps(spans, m[3], m[1]) {
			continue
		}
		lower := strings.ToLower(name)
		if !seenTag[lower] {
			seenTag[lower] = true
			*tags = append(*tags, lower)
		}
		spans = append(spans, span{m[3], m[1], `<a href="` + html.EscapeString(l.Tag(lower)) +
			`" class="mention hashtag" rel="tag">#<span>` + html.EscapeString(name) + `</span></a>`})
	}
	if len(spans) == 0 {
		return html.EscapeString(text)
	}
	// Put the spans in text order.
	for i := 1; i < len(spans); i++ {
		for j := i; j > 0 && spans[j].start < spans[j-1].start; j-- {
			spans[j], spans[j-1] = spans[j-1], spans[j]
		}
	}
	var b strings.Builder
	at := 0
	for _, s := range spans {
		b.WriteString(html.EscapeString(text[at:s.start]))
		b.WriteString(s.html)
		at = s.end
	}
	b.WriteString(html.EscapeString(text[at:]))
	return b.String()
}

// span is a piece of text replaced by a link.
type span struct {
	start, end int
	html       string
}

func overlaps(spans []span, start, end int) bool {
	for _, s := range spans {
		if start < s.end && s.start < end {
			return true
		}
	}
	return false
}
