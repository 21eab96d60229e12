package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/html"

	"roost/markup"
	"roost/store"
)

// Link previews. A status's card is the preview of the first link in its
// text that is not a mention or a hashtag. Cards are fetched when an app
// asks GET /api/v1/statuses/{id}/card (synchronously, bounded by the
// fetch's 10 seconds) and cached for cardTTL, a page without one
// included; Status entities only read that cache, so rendering a timeline
// never waits on the network.

// cardTTL is how long a fetched card (or the absence of one) is kept.
const cardTTL = 24 * time.Hour

// PreviewCard is Mastodon's PreviewCard entity, for type "link".
type PreviewCard struct {
	URL          string            `json:"url"`
	Title        string            `json:"title"`
	Description  string            `json:"description"`
	Type         string            `json:"type"`
	AuthorName   string            `json:"author_name"`
	AuthorURL    string            `json:"author_url"`
	ProviderName string            `json:"provider_name"`
	ProviderURL  string            `json:"provider_url"`
	HTML         string            `json:"html"`
	Width        int               `json:"width"`
	Height       int               `json:"height"`
	Image        *string           `json:"image"`
	EmbedURL     string            `json:"embed_url"`
	Blurhash     *string           `json:"blurhash"`
	Authors      []json.RawMessage `json:"authors"`
	// PublishedAt is the page's article:published_time, or when Roost
	// fetched it: apps need a time here.
	PublishedAt        string `json:"published_at"`
	MissingAttribution *bool  `json:"missing_attribution"`
}

// cardLink is the first http(s) link of a status's HTML that is neither a
// mention nor a hashtag (by class or rel, or by text starting with @ or
// #), or "". Every status on a timeline page asks, so the HTML Roost
// stores (sanitised: lower-case tags, double-quoted attributes) is read by
// a plain scan; anything else goes to the HTML tokenizer, whose 4 KiB
// buffer per call was a third of what rendering a page allocated.
func cardLink(content string) string {
	if !strings.Contains(content, "<a") && !strings.Contains(content, "<A") {
		return "" // no link at all
	}
	if link, ok := cardLinkScan(content); ok {
		return link
	}
	return cardLinkTokens(content)
}

// cardLinkScan is cardLink for sanitised HTML; ok is false for anything
// it does not read exactly as the tokenizer would.
func cardLinkScan(content string) (link string, ok bool) {
	if !plainTags(content) {
		return "", false
	}
	s := content
	for {
		i := strings.Index(s, "<a")
		if i < 0 {
			return "", true
		}
		s = s[i+2:]
		if s == "" {
			return "", false
		}
		if s[0] != ' ' && s[0] != '>' {
			continue // <abbr>, <aside>…
		}
		var href string
		skip := false
		var seen []string // the tokenizer keeps the first of repeated attributes
		for {
			s = strings.TrimLeft(s, " ")
			if s == "" {
				return "", false
			}
			if s[0] == '>' {
				s = s[1:]
				break
			}
			eq := strings.Index(s, `="`)
			if eq <= 0 || strings.ContainsAny(s[:eq], " \t\n\r\f/<>\"'=") || strings.ToLower(s[:eq]) != s[:eq] {
				return "", false
			}
			key := s[:eq]
			s = s[eq+2:]
			end := strings.IndexByte(s, '"')
			if end < 0 {
				return "", false
			}
			if !entitiesClosed(s[:end]) {
				return "", false
			}
			val := html.UnescapeString(s[:end])
			s = s[end+1:]
			if s != "" && s[0] != ' ' && s[0] != '>' {
				return "", false
			}
			if slices.Contains(seen, key) {
				continue
			}
			seen = append(seen, key)
			switch key {
			case "href":
				href = val
			case "class", "rel":
				for _, w := range strings.Fields(val) {
					if w == "mention" || w == "hashtag" || w == "tag" {
						skip = true
					}
				}
			}
		}
		end := strings.Index(s, "</a>")
		if end < 0 {
			return "", false
		}
		inner := s[:end]
		s = s[end+len("</a>"):]
		text, ok := textOf(inner)
		if !ok {
			return "", false
		}
		if skip {
			continue
		}
		label := strings.TrimSpace(text)
		if strings.HasPrefix(label, "@") || strings.HasPrefix(label, "#") {
			continue
		}
		if u, err := url.Parse(href); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
			return u.String(), true
		}
	}
}

// plainTags reports whether every tag in h looks as the sanitiser writes
// it: "<" then a lower-case name or "/", up to a ">" with no "<" or "'"
// before it and its double quotes paired. Comments, upper case, stray
// "<", NUL and CR (which the tokenizer rewrites) are left to the
// tokenizer.
func plainTags(h string) bool {
	if strings.ContainsAny(h, "\x00\r") {
		return false // the tokenizer rewrites these
	}
	return markup.WalkTags(h, func(string) {}, func(tag string) bool {
		return tag != "" && (tag[0] == '/' || 'a' <= tag[0] && tag[0] <= 'z') &&
			!strings.ContainsAny(tag, "<'") && strings.Count(tag, `"`)%2 == 0
	})
}

// entitiesClosed reports whether every "&" in an attribute value starts a
// reference ended by ";", as the sanitiser writes them; the tokenizer
// reads an unterminated one in a value differently from text.
func entitiesClosed(v string) bool {
	for {
		i := strings.IndexByte(v, '&')
		if i < 0 {
			return true
		}
		v = v[i+1:]
		j := strings.IndexFunc(v, func(r rune) bool {
			return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '#')
		})
		if j <= 0 || v[j] != ';' {
			return false
		}
		v = v[j+1:]
	}
}

// textOf is the text of HTML without links of its own: tags dropped,
// entities decoded.
func textOf(h string) (string, bool) {
	var b strings.Builder
	ok := markup.WalkTags(h, func(t string) { b.WriteString(t) }, func(raw string) bool {
		return raw != "a" && !strings.HasPrefix(raw, "a ")
	})
	return html.UnescapeString(b.String()), ok
}

// cardLinkTokens is cardLink by the HTML tokenizer, for any HTML.
func cardLinkTokens(content string) string {
	z := html.NewTokenizer(strings.NewReader(content))
	var href string
	var text strings.Builder
	inLink := false
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken:
			t := z.Token()
			if t.Data != "a" {
				continue
			}
			href, inLink = "", true
			text.Reset()
			for _, a := range t.Attr {
				switch a.Key {
				case "href":
					href = a.Val
				case "class", "rel":
					for _, w := range strings.Fields(a.Val) {
						if w == "mention" || w == "hashtag" || w == "tag" {
							inLink = false
						}
					}
				}
			}
		case html.TextToken:
			if inLink {
				text.Write(z.Text())
			}
		case html.EndTagToken:
			if !inLink || z.Token().Data != "a" {
				continue
			}
			inLink = false
			label := strings.TrimSpace(text.String())
			if strings.HasPrefix(label, "@") || strings.HasPrefix(label, "#") {
				continue
			}
			if u, err := url.Parse(href); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
				return u.String()
			}
		}
	}
}

// cachedCard returns the cached card of st's link: nil when it has no link,
// none was fetched yet, or the page had none.
func (s *Server) cachedCard(ctx context.Context, st *store.Status) (*json.RawMessage, error) {
	link := cardLink(st.Content)
	if link == "" {
		return nil, nil
	}
	card, _, err := s.st.GetLinkCard(ctx, link)
	if errors.Is(err, store.ErrNotFound) || card == "" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	raw := json.RawMessage(card)
	return &raw, nil
}

// card is the card of st as the renderer shows it (cache only).
func (r *renderer) card(ctx context.Context, st *store.Status) (*json.RawMessage, error) {
	if r.pre != nil {
		if link, ok := r.pre.links[st.ID]; ok {
			if card := r.pre.cards[link]; card != "" {
				raw := json.RawMessage(card)
				return &raw, nil
			}
			return nil, nil
		}
	}
	return r.s.cachedCard(ctx, st)
}

// getStatusCard serves GET /api/v1/statuses/{id}/card (deprecated, but
// apps call it): the card, fetched now unless cached; 404 without one.
func (s *Server) getStatusCard(w http.ResponseWriter, r *http.Request) error {
	st, _, err := s.statusForReader(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if st.ReblogOfID != nil {
		if st, err = s.st.GetStatus(ctx, *st.ReblogOfID); err != nil {
			return err
		}
	}
	link := cardLink(st.Content)
	if link == "" {
		return errNotFound
	}
	card, at, err := s.st.GetLinkCard(ctx, link)
	if errors.Is(err, store.ErrNotFound) || err == nil && time.Since(at) > cardTTL {
		card, err = s.fetchCard(ctx, link)
	}
	if err != nil {
		return err
	}
	if card == "" {
		return errNotFound
	}
	writeJSON(w, http.StatusOK, json.RawMessage(card))
	return nil
}

// fetchCard fetches the preview of link and caches it; a page that cannot
// be fetched or has no title is cached as no card ("").
func (s *Server) fetchCard(ctx context.Context, link string) (string, error) {
	card := ""
	p, err := s.fed.FetchPreview(ctx, link)
	if err != nil {
		s.log.Debug("link preview not fetched", "url", link, "err", err)
	}
	if p != nil {
		v := PreviewCard{URL: p.URL, Title: p.Title, Description: p.Description, Type: "link",
			ProviderName: p.SiteName, Authors: []json.RawMessage{}, PublishedAt: mastoTime(time.Now())}
		if !p.PublishedAt.IsZero() {
			v.PublishedAt = mastoTime(p.PublishedAt)
		}
		if u, err := url.Parse(p.URL); err == nil {
			v.ProviderURL = u.Scheme + "://" + u.Host + "/"
		}
		if p.Image != "" {
			v.Image = &p.Image
		}
		b, err := json.Marshal(v)
		if err != nil {
			return "", err
		}
		card = string(b)
	}
	if err := s.st.PutLinkCard(ctx, link, card, time.Now()); err != nil {
		return "", err
	}
	return card, nil
}
