package handlers

import (
	"encoding/xml"
	"net/http"
	"time"

	"roost/markup"
	"roost/store"
)

// Atom (RFC 4287) types: only what the feed uses.
type atomFeed struct {
	XMLName  xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID       string      `xml:"id"`
	Title    string      `xml:"title"`
	Subtitle string      `xml:"subtitle,omitempty"`
	Updated  string      `xml:"updated"`
	Author   atomPerson  `xml:"author"`
	Icon     string      `xml:"icon,omitempty"`
	Logo     string      `xml:"logo,omitempty"`
	Links    []atomLink  `xml:"link"`
	Entries  []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Published string     `xml:"published"`
	Updated   string     `xml:"updated"`
	Links     []atomLink `xml:"link"`
	Summary   *atomText  `xml:"summary,omitempty"`
	Content   atomText   `xml:"content"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

const feedSize = 20

// getFeed serves the Atom feed of the owner's public posts (no boosts, no
// replies to others), newest first.
func (s *Server) getFeed(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	owner, err := s.owner(ctx)
	if err != nil {
		return err
	}
	list, err := s.st.ListAccountStatuses(ctx, owner.ID, store.AccountStatusesFilter{
		Visibilities: []string{store.Public}, ExcludeReplies: true, ExcludeReblogs: true,
	}, store.Page{Limit: feedSize})
	if err != nil {
		return err
	}
	name := displayName(owner)
	feed := atomFeed{
		ID:       s.urls.Feed(),
		Title:    name + " (@" + s.urls.Handle() + ")",
		Subtitle: markup.Excerpt(markup.PlainText(owner.Note), 200),
		Updated:  atomTime(owner.UpdatedAt),
		Author:   atomPerson{Name: name, URI: s.urls.Profile()},
		Icon:     s.avatarURL(owner),
		Logo:     s.avatarURL(owner),
		Links: []atomLink{
			{Rel: "alternate", Type: "text/html", Href: s.urls.Profile()},
			{Rel: "self", Type: "application/atom+xml", Href: s.urls.Feed()},
		},
	}
	for _, st := range list {
		content := s.md.Sanitize(st.Content)
		text := markup.PlainText(content)
		e := atomEntry{
			ID:        s.urls.Status(st.ID),
			Title:     markup.Excerpt(text, 80),
			Published: atomTime(st.CreatedAt),
			Updated:   atomTime(st.CreatedAt),
			Links:     []atomLink{{Rel: "alternate", Type: "text/html", Href: s.urls.StatusPage(st.ID)}},
			Content:   atomText{Type: "html", Body: content},
		}
		if st.EditedAt != nil {
			e.Updated = atomTime(*st.EditedAt)
		}
		if st.SpoilerText != "" {
			// A content warning stays a warning in feed readers: the
			// title says it and the text is only in the content.
			e.Title = "CW: " + st.SpoilerText
			e.Summary = &atomText{Type: "text", Body: st.SpoilerText}
		}
		if e.Updated > feed.Updated {
			feed.Updated = e.Updated
		}
		feed.Entries = append(feed.Entries, e)
	}
	b, err := xml.MarshalIndent(feed, "", " ")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=300, public")
	w.Write([]byte(xml.Header))
	w.Write(b)
	return nil
}

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
