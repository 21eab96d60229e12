package handlers

import (
	"context"
	"html/template"
	"io/fs"
	"mime"
	"path"
	"strings"
	"time"

	"roost/markup"
	"roost/store"
)

// pageData is what every page template gets.
type pageData struct {
	Lang        string
	Title       string
	Description string
	Canonical   string
	Alternates  []alternate
	RelMe       []string
	OG          *openGraph
	Version     string
	Handle      string
	ProfileURL  string
	FeedURL     string

	// Profile page.
	Profile     *accountView
	Pinned      []*statusView
	Statuses    []*statusView
	WithReplies bool
	NewerURL    string
	OlderURL    string

	// Status page.
	Status      *statusView
	Ancestors   []*statusView
	Descendants []*statusView

	// Error page.
	ErrorCode    int
	ErrorMessage string
}

type alternate struct{ Type, Href, Title string }

type openGraph struct {
	SiteName, Type, Title, URL, Description, Image, Published, Username string
}

// accountView is an account as the pages show it.
type accountView struct {
	Name           string
	Handle         string
	URL            string
	Avatar         string
	Header         string
	Note           template.HTML
	Fields         []fieldView
	Bot            bool
	StatusesCount  int
	FollowingCount int
	FollowersCount int
}

type fieldView struct {
	Name     string
	Value    template.HTML
	Verified bool
}

// statusView is a status as the pages show it.
type statusView struct {
	ID              string
	PageURL         string
	Author          *accountView
	RebloggedBy     *accountView
	InReplyTo       string
	Spoiler         string
	Content         template.HTML
	CreatedISO      string
	CreatedText     string
	CreatedTitle    string
	Edited          bool
	Visibility      string
	RepliesCount    int
	ReblogsCount    int
	FavouritesCount int
	Focus           bool
	created         time.Time
	text            string
}

func parseTemplates(fsys fs.FS) (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for _, name := range []string{"profile", "status", "error"} {
		t, err := template.ParseFS(fsys, "base.html", name+".html")
		if err != nil {
			return nil, err
		}
		out[name] = t
	}
	return out, nil
}

func displayName(a *store.Account) string {
	if n := strings.TrimSpace(a.DisplayName); n != "" {
		return n
	}
	return a.Username
}

// handle is user@domain; the owner's domain is the instance host.
func (s *Server) handle(a *store.Account) string {
	if a.Local() {
		return s.urls.Handle()
	}
	return a.Username + "@" + a.Domain
}

func (s *Server) avatarURL(a *store.Account) string {
	if a.AvatarURL != "" {
		return a.AvatarURL
	}
	return s.urls.Static("avatar.png")
}

func (s *Server) headerURL(a *store.Account) string {
	if a.HeaderURL != "" {
		return a.HeaderURL
	}
	return s.urls.Static("header.png")
}

// imageType guesses an image's media type from its URL.
func imageType(u string) string {
	if t := mime.TypeByExtension(path.Ext(u)); strings.HasPrefix(t, "image/") {
		return t
	}
	return "image/png"
}

func (s *Server) accountView(a *store.Account) *accountView {
	v := &accountView{
		Name:   displayName(a),
		Handle: s.handle(a),
		URL:    a.URL,
		Avatar: s.avatarURL(a),
		Header: s.headerURL(a),
		Note:   template.HTML(s.md.Sanitize(a.Note)),
		Bot:    a.Bot,
	}
	if v.URL == "" {
		v.URL = a.URI
	}
	for _, f := range a.Fields {
		v.Fields = append(v.Fields, fieldView{Name: f.Name, Value: template.HTML(s.md.Sanitize(f.Value)), Verified: f.VerifiedAt != nil})
	}
	return v
}

// accountCache loads each author once per page.
type accountCache map[int64]*store.Account

func (s *Server) account(ctx context.Context, c accountCache, id int64) (*store.Account, error) {
	if a, ok := c[id]; ok {
		return a, nil
	}
	a, err := s.st.GetAccount(ctx, id)
	if err != nil {
		return nil, err
	}
	c[id] = a
	return a, nil
}

// statusView renders st for a page; a boost shows the boosted status with
// "boosted by". ok is false when the boosted status is gone.
func (s *Server) statusView(ctx context.Context, c accountCache, st *store.Status) (*statusView, error) {
	var booster *accountView
	if st.ReblogOfID != nil {
		by, err := s.account(ctx, c, st.AccountID)
		if err != nil {
			return nil, err
		}
		booster = s.accountView(by)
		if st, err = s.st.GetStatus(ctx, *st.ReblogOfID); err != nil {
			return nil, err
		}
	}
	author, err := s.account(ctx, c, st.AccountID)
	if err != nil {
		return nil, err
	}
	content := s.md.Sanitize(st.Content)
	v := &statusView{
		ID:              store.FormatID(st.ID),
		PageURL:         s.statusPageURL(author, st),
		Author:          s.accountView(author),
		RebloggedBy:     booster,
		Spoiler:         st.SpoilerText,
		Content:         template.HTML(content),
		CreatedISO:      st.CreatedAt.UTC().Format(time.RFC3339),
		CreatedText:     st.CreatedAt.UTC().Format("2 Jan 2006"),
		CreatedTitle:    st.CreatedAt.UTC().Format("2 Jan 2006 15:04 MST"),
		Edited:          st.EditedAt != nil,
		Visibility:      st.Visibility,
		RepliesCount:    st.RepliesCount,
		ReblogsCount:    st.ReblogsCount,
		FavouritesCount: st.FavouritesCount,
		created:         st.CreatedAt,
		text:            markup.PlainText(content),
	}
	if st.InReplyToURI != "" {
		v.InReplyTo = st.InReplyToURI
		if st.InReplyToID != nil {
			if parent, err := s.st.GetStatus(ctx, *st.InReplyToID); err == nil {
				if pa, err := s.account(ctx, c, parent.AccountID); err == nil {
					v.InReplyTo = s.statusPageURL(pa, parent)
				}
			}
		}
	}
	return v, nil
}

// statusPageURL is where a person reads st: our page for the owner's, the
// origin's page for others.
func (s *Server) statusPageURL(author *store.Account, st *store.Status) string {
	if author.Local() {
		return s.urls.StatusPage(st.ID)
	}
	if st.URL != "" {
		return st.URL
	}
	return st.URI
}

func (s *Server) basePage(ctx context.Context) pageData {
	return pageData{
		Lang:       "en",
		Version:    s.cfg.Version,
		Handle:     s.urls.Handle(),
		ProfileURL: s.urls.Profile(),
		FeedURL:    s.urls.Feed(),
	}
}
