package handlers

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"roost/markup"
	"roost/store"
)

// pageVisibilities are the statuses anyone may read on the web.
var pageVisibilities = []string{store.Public, store.Unlisted}

// getHome sends visitors of the bare domain to the owner's profile.
func (s *Server) getHome(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, s.urls.Profile(), http.StatusFound)
	return nil
}

// ownerHandle checks that the {handle} segment names the owner ("@me",
// case-insensitively) and returns what follows the name (".atom" or "").
func (s *Server) ownerHandle(seg string) (rest string, ok bool) {
	name, found := strings.CutPrefix(seg, "@")
	if !found {
		return "", false
	}
	// "@me@host" is how some people type it; accept our own host.
	if n, host, found := strings.Cut(name, "@"); found {
		return "", strings.EqualFold(host, s.urls.Host()) && strings.EqualFold(n, s.urls.Username)
	}
	if i := strings.IndexByte(name, '.'); i >= 0 {
		name, rest = name[:i], name[i:]
	}
	return rest, strings.EqualFold(name, s.urls.Username)
}

// getProfileOrFeed serves /@me and /@me.atom.
func (s *Server) getProfileOrFeed(w http.ResponseWriter, r *http.Request) error {
	rest, ok := s.ownerHandle(r.PathValue("handle"))
	switch {
	case !ok:
		return errNotFound
	case rest == ".atom":
		return s.getFeed(w, r)
	case rest != "":
		return errNotFound
	}
	if wantsActivityJSON(r) {
		return s.getActor(w, r)
	}
	return s.renderProfile(w, r)
}

func (s *Server) renderProfile(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	page := store.Page{Limit: 20}
	page.MaxID, _ = store.ParseID(q.Get("max_id"))
	page.MinID, _ = store.ParseID(q.Get("min_id"))
	withReplies := q.Get("with_replies") != ""

	owner, err := s.owner(ctx)
	if err != nil {
		return err
	}
	cache := accountCache{owner.ID: owner}
	list, err := s.st.ListAccountStatuses(ctx, owner.ID, store.AccountStatusesFilter{
		Visibilities: pageVisibilities, ExcludeReplies: !withReplies,
	}, page)
	if err != nil {
		return err
	}
	d := s.basePage(ctx)
	if d.Profile, err = s.profileView(ctx, owner); err != nil {
		return err
	}
	d.WithReplies = withReplies
	if d.Statuses, err = s.statusViews(ctx, cache, list); err != nil {
		return err
	}
	if page.MaxID == 0 && page.MinID == 0 {
		pinned, err := s.st.ListPinned(ctx, owner.ID)
		if err != nil {
			return err
		}
		if d.Pinned, err = s.statusViews(ctx, cache, visibleOnPages(pinned)); err != nil {
			return err
		}
	}
	if n := len(list); n > 0 {
		base := url.Values{}
		if withReplies {
			base.Set("with_replies", "1")
		}
		if n == page.Limit {
			d.OlderURL = pageLink(s.urls.Profile(), base, "max_id", list[n-1].ID)
		}
		if page.MaxID != 0 || page.MinID != 0 {
			d.NewerURL = pageLink(s.urls.Profile(), base, "min_id", list[0].ID)
		}
	}
	name := d.Profile.Name
	d.Title = name + " (@" + d.Handle + ")"
	d.Description = markup.Excerpt(markup.PlainText(string(d.Profile.Note)), 200)
	d.Canonical = s.urls.Profile()
	d.Alternates = s.ownerAlternates()
	d.RelMe = relMeLinks(owner)
	d.OG = &openGraph{SiteName: s.urls.Host(), Type: "profile", Title: d.Title, URL: s.urls.Profile(),
		Description: d.Description, Image: d.Profile.Avatar, Username: d.Handle}
	return s.render(w, http.StatusOK, "profile", d)
}

func (s *Server) ownerAlternates() []alternate {
	return []alternate{
		{Type: "application/activity+json", Href: s.urls.Actor()},
		{Type: "application/atom+xml", Href: s.urls.Feed(), Title: "Posts of @" + s.urls.Handle()},
	}
}

func pageLink(base string, q url.Values, key string, id int64) string {
	v := url.Values{}
	for k, vs := range q {
		v[k] = vs
	}
	v.Set(key, store.FormatID(id))
	return base + "?" + v.Encode()
}

// relMeLinks are the profile field values that are plain links: pages
// link them with rel="me" so that other sites can verify the profile.
func relMeLinks(a *store.Account) []string {
	var out []string
	for _, f := range a.Fields {
		text := strings.TrimSpace(markup.PlainText(f.Value))
		if strings.HasPrefix(text, "https://") || strings.HasPrefix(text, "http://") {
			if _, err := url.Parse(text); err == nil && !strings.ContainsAny(text, " \n") {
				out = append(out, text)
			}
		}
	}
	return out
}

// profileView is the owner's profile header. The owner's statuses are the
// local ones, counted from their own index (counting by account read
// every status row at a million).
func (s *Server) profileView(ctx context.Context, a *store.Account) (*accountView, error) {
	v := s.accountView(a)
	var err error
	if v.StatusesCount, err = s.st.CountLocalStatuses(ctx, pageVisibilities...); err != nil {
		return nil, err
	}
	if v.FollowersCount, err = s.st.CountFollowers(ctx, a.ID); err != nil {
		return nil, err
	}
	if v.FollowingCount, err = s.st.CountFollowing(ctx, a.ID); err != nil {
		return nil, err
	}
	return v, nil
}

func visibleOnPages(list []*store.Status) []*store.Status {
	out := list[:0:0]
	for _, st := range list {
		if st.Visibility == store.Public || st.Visibility == store.Unlisted {
			out = append(out, st)
		}
	}
	return out
}

func (s *Server) statusViews(ctx context.Context, c accountCache, list []*store.Status) ([]*statusView, error) {
	out := make([]*statusView, 0, len(list))
	for _, st := range list {
		v, err := s.statusView(ctx, c, st)
		if errors.Is(err, store.ErrNotFound) {
			continue // a boost of a status that is gone
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ownerStatus loads the owner's status {id} if the web may show it.
func (s *Server) ownerStatus(ctx context.Context, idText string, visibilities []string) (*store.Status, error) {
	id, ok := store.ParseID(idText)
	if !ok {
		return nil, errNotFound
	}
	st, err := s.st.GetStatus(ctx, id)
	if err != nil {
		return nil, err
	}
	owner, err := s.owner(ctx)
	if err != nil {
		return nil, err
	}
	if st.AccountID != owner.ID || !contains(visibilities, st.Visibility) {
		return nil, errNotFound
	}
	return st, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// getStatusPage serves /@me/{id}: the status with its thread.
func (s *Server) getStatusPage(w http.ResponseWriter, r *http.Request) error {
	if rest, ok := s.ownerHandle(r.PathValue("handle")); !ok || rest != "" {
		return errNotFound
	}
	ctx := r.Context()
	st, err := s.ownerStatus(ctx, r.PathValue("id"), pageVisibilities)
	if err != nil {
		return err
	}
	if st.ReblogOfID != nil {
		return errNotFound
	}
	if wantsActivityJSON(r) {
		return s.writeStatusObject(w, r, st)
	}
	cache := accountCache{}
	d := s.basePage(ctx)
	if d.Status, err = s.statusView(ctx, cache, st); err != nil {
		return err
	}
	d.Status.Focus = true
	ancestors, err := s.st.Ancestors(ctx, st)
	if err != nil {
		return err
	}
	descendants, err := s.st.Descendants(ctx, st)
	if err != nil {
		return err
	}
	if d.Ancestors, err = s.statusViews(ctx, cache, visibleOnPages(ancestors)); err != nil {
		return err
	}
	if d.Descendants, err = s.statusViews(ctx, cache, visibleOnPages(descendants)); err != nil {
		return err
	}
	author := d.Status.Author
	excerpt := markup.Excerpt(d.Status.text, 200)
	if d.Status.Spoiler != "" {
		excerpt = "Content warning: " + d.Status.Spoiler
	}
	d.Title = author.Name + ": \"" + markup.Excerpt(d.Status.text, 60) + "\""
	if d.Status.Spoiler != "" {
		d.Title = author.Name + ": " + d.Status.Spoiler
	}
	d.Description = excerpt
	d.Canonical = s.urls.StatusPage(st.ID)
	d.Alternates = []alternate{{Type: "application/activity+json", Href: s.urls.Status(st.ID)}}
	d.OG = &openGraph{SiteName: s.urls.Host(), Type: "article", Title: author.Name + " (@" + author.Handle + ")",
		URL: d.Canonical, Description: excerpt, Image: author.Avatar, Published: d.Status.CreatedISO}
	return s.render(w, http.StatusOK, "status", d)
}

// render executes a page template into a buffer first, so that a template
// error becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, code int, name string, d pageData) error {
	var buf bytes.Buffer
	if err := s.tmpl[name].ExecuteTemplate(&buf, "base", d); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Vary", "Accept")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
	return nil
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, code int, msg string) {
	d := s.basePage(r.Context())
	d.Title = http.StatusText(code)
	d.ErrorCode = code
	d.ErrorMessage = msg
	if code == http.StatusNotFound {
		d.ErrorMessage = "This page does not exist, or is not public."
	}
	if err := s.render(w, code, "error", d); err != nil {
		http.Error(w, msg, code)
	}
}

// getStatic serves the embedded static files, cached for a day.
func (s *Server) getStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if strings.HasSuffix(name, ".go") || !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=86400")
	http.ServeFileFS(w, r, s.static, name)
}

func (s *Server) getFavicon(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("Content-Type", "image/svg+xml")
	b, err := fs.ReadFile(s.static, "favicon.svg")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Write(b)
}

func (s *Server) getRobots(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("User-agent: *\nDisallow: /api/\nDisallow: /oauth/\n"))
}
