package handlers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"roost/markup"
	"roost/store"
)

// This file is the one place store rows become Mastodon JSON.
//
// A renderer serves one request: it loads the owner once and keeps every
// account it renders, so a timeline of forty statuses by five people costs
// five account renderings, not forty.
type renderer struct {
	s *Server
	// owner is the owner's account row.
	owner *store.Account
	// ownerView is true when the owner is reading: statuses then carry
	// favourited, reblogged, bookmarked… (Mastodon leaves them out for
	// anonymous readers, and so do we: they are the owner's business).
	ownerView bool
	rows      map[int64]*store.Account
	accounts  map[int64]*Account
	// pre holds what a page of statuses needs, loaded for the whole page
	// (convert_batch.go); nil when rendering one thing.
	pre *preloaded
}

func (s *Server) newRenderer(ctx context.Context, ownerView bool) (*renderer, error) {
	owner, err := s.owner(ctx)
	if err != nil {
		return nil, err
	}
	return &renderer{s: s, owner: owner, ownerView: ownerView,
		rows:     map[int64]*store.Account{owner.ID: owner},
		accounts: map[int64]*Account{}}, nil
}

// accountJSON renders a as a Mastodon Account.
func (s *Server) accountJSON(ctx context.Context, a *store.Account) (*Account, error) {
	r, err := s.newRenderer(ctx, false)
	if err != nil {
		return nil, err
	}
	return r.account(ctx, a)
}

// accountsJSON renders a list of accounts.
func (s *Server) accountsJSON(ctx context.Context, list []*store.Account) ([]*Account, error) {
	r, err := s.newRenderer(ctx, false)
	if err != nil {
		return nil, err
	}
	out := make([]*Account, 0, len(list))
	for _, a := range list {
		v, err := r.account(ctx, a)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// credentialAccountJSON renders the owner's account with its source, as
// verify_credentials answers.
func (s *Server) credentialAccountJSON(ctx context.Context) (*CredentialAccount, error) {
	r, err := s.newRenderer(ctx, true)
	if err != nil {
		return nil, err
	}
	a, err := r.account(ctx, r.owner)
	if err != nil {
		return nil, err
	}
	o := r.owner
	fields := make([]Field, 0, len(o.Fields))
	for _, f := range o.Fields {
		// The source of a field is its text: the stored value is HTML
		// (a link for a URL).
		fields = append(fields, Field{Name: f.Name, Value: markup.PlainText(f.Value), VerifiedAt: mastoTimePtr(f.VerifiedAt)})
	}
	defaults, err := s.st.GetPostingDefaults(ctx)
	if err != nil {
		return nil, err
	}
	requests, _, err := s.st.ListFollowRequests(ctx, o.ID, store.Page{Limit: store.MaxLimit})
	if err != nil {
		return nil, err
	}
	return &CredentialAccount{
		Account: *a,
		Source: AccountSource{
			Privacy:             defaults.Privacy,
			Sensitive:           defaults.Sensitive,
			Language:            defaults.Language,
			FollowRequestsCount: len(requests),
			Note:                o.NoteSource,
			Fields:              fields,
			Discoverable:        o.Discoverable,
			Indexable:           o.Indexable,
			AttributionDomains:  []string{},
		},
		// Mastodon's role for everyone ("-99"); Roost has no admin API,
		// so it claims no permissions an app would act on.
		Role: Role{ID: "-99", Permissions: "0"},
	}, nil
}

// row returns the account row with id, loading it once.
func (r *renderer) row(ctx context.Context, id int64) (*store.Account, error) {
	if a, ok := r.rows[id]; ok {
		return a, nil
	}
	a, err := r.s.st.GetAccount(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("account %d: %w", id, err)
	}
	r.rows[id] = a
	return a, nil
}

// account renders a, once per renderer.
func (r *renderer) account(ctx context.Context, a *store.Account) (*Account, error) {
	if v, ok := r.accounts[a.ID]; ok {
		return v, nil
	}
	v, err := r.accountOnly(ctx, a)
	if err != nil {
		return nil, err
	}
	if a.MovedToURI != "" {
		// The account it moved to is shown without its own move: a chain
		// of moves is not followed.
		if to, err := r.s.st.GetAccountByURI(ctx, a.MovedToURI); err == nil && to.ID != a.ID {
			if v.Moved, err = r.accountOnly(ctx, to); err != nil {
				return nil, err
			}
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	r.accounts[a.ID] = v
	r.rows[a.ID] = a
	return v, nil
}

// accountOnly renders a without following a move.
func (r *renderer) accountOnly(ctx context.Context, a *store.Account) (*Account, error) {
	s := r.s
	v := &Account{
		ID:              store.FormatID(a.ID),
		Username:        a.Username,
		Acct:            a.Username,
		URL:             a.URL,
		URI:             a.URI,
		DisplayName:     a.DisplayName,
		Note:            a.Note, // sanitised when stored
		Avatar:          s.avatarURL(a),
		Header:          s.headerURL(a),
		Locked:          a.Locked,
		Fields:          make([]Field, 0, len(a.Fields)),
		Emojis:          emojisJSON(a.Emojis),
		Bot:             a.Bot || a.ActorType == "Service" || a.ActorType == "Application",
		Group:           a.ActorType == "Group",
		Discoverable:    a.Discoverable,
		Indexable:       a.Indexable,
		HideCollections: false,
		// Mastodon rounds the join date down to the day: the exact time
		// tells nothing and is not given away.
		CreatedAt:      mastoTime(midnight(a.CreatedAt)),
		StatusesCount:  a.StatusesCount,
		FollowersCount: a.FollowersCount,
		FollowingCount: a.FollowingCount,
		Roles:          []AccountRole{},
	}
	v.AvatarStatic, v.HeaderStatic = v.Avatar, v.Header
	if v.URL == "" {
		v.URL = a.URI
	}
	for _, f := range a.Fields {
		v.Fields = append(v.Fields, Field{Name: f.Name, Value: f.Value, VerifiedAt: mastoTimePtr(f.VerifiedAt)})
	}
	var last time.Time
	var err error
	if a.Local() {
		if err := r.ownerCounts(ctx, a, v); err != nil {
			return nil, err
		}
		if last, err = s.st.LastLocalStatusAt(ctx); err != nil {
			return nil, err
		}
	} else {
		v.Acct = a.Username + "@" + a.Domain
		if last, err = r.lastStatusAt(ctx, a); err != nil {
			return nil, err
		}
	}
	if !last.IsZero() {
		d := last.UTC().Format(mastoDateLayout)
		v.LastStatusAt = &d
	}
	return v, nil
}

// ownerCounts counts the owner's statuses, followers and follows from the
// rows themselves. Direct messages are not counted, as in Mastodon.
func (r *renderer) ownerCounts(ctx context.Context, a *store.Account, v *Account) error {
	var err error
	if v.StatusesCount, err = r.s.st.CountLocalStatuses(ctx, store.Public, store.Unlisted, store.Private); err != nil {
		return err
	}
	if v.FollowersCount, err = r.s.st.CountFollowers(ctx, a.ID); err != nil {
		return err
	}
	v.FollowingCount, err = r.s.st.CountFollowing(ctx, a.ID)
	return err
}

// lastStatusAt is when a remote account last posted, as far as Roost knows.
func (r *renderer) lastStatusAt(ctx context.Context, a *store.Account) (time.Time, error) {
	if r.pre != nil {
		if t, ok := r.pre.last[a.ID]; ok {
			return t, nil
		}
	}
	list, err := r.s.st.ListAccountStatuses(ctx, a.ID, store.AccountStatusesFilter{
		Visibilities: []string{store.Public, store.Unlisted, store.Private, store.Direct},
	}, store.Page{Limit: 1})
	if err != nil || len(list) == 0 {
		return time.Time{}, err
	}
	return list[0].CreatedAt, nil
}

// midnight is the start of t's day in UTC.
func midnight(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// emojisJSON renders custom emojis, leaving out any without an image:
// apps stumble on empty URLs (GoToSocial internaltofrontend.go).
func emojisJSON(list []store.Emoji) []CustomEmoji {
	out := make([]CustomEmoji, 0, len(list))
	for _, e := range list {
		if e.Shortcode == "" || e.URL == "" {
			continue
		}
		out = append(out, CustomEmoji{Shortcode: e.Shortcode, URL: e.URL, StaticURL: e.URL})
	}
	return out
}

// statusJSON renders st as the owner sees it.
func (s *Server) statusJSON(ctx context.Context, st *store.Status) (*Status, error) {
	r, err := s.newRenderer(ctx, true)
	if err != nil {
		return nil, err
	}
	return r.status(ctx, st)
}

// publicStatusJSON renders st for an anonymous reader.
func (s *Server) publicStatusJSON(ctx context.Context, st *store.Status) (*Status, error) {
	r, err := s.newRenderer(ctx, false)
	if err != nil {
		return nil, err
	}
	return r.status(ctx, st)
}

// statusesJSON renders a list of statuses as the owner sees them, leaving
// out boosts of statuses that are gone.
func (s *Server) statusesJSON(ctx context.Context, list []*store.Status) ([]*Status, error) {
	return s.statusesView(ctx, true, list)
}

// publicStatusesJSON renders statuses for an anonymous reader.
func (s *Server) publicStatusesJSON(ctx context.Context, list []*store.Status) ([]*Status, error) {
	return s.statusesView(ctx, false, list)
}

func (s *Server) statusesView(ctx context.Context, ownerView bool, list []*store.Status) ([]*Status, error) {
	r, err := s.newRenderer(ctx, ownerView)
	if err != nil {
		return nil, err
	}
	if err := r.preload(ctx, list); err != nil {
		return nil, err
	}
	return renderEach(ctx, list, r.status)
}

// renderEach renders every item of a page with one renderer, leaving out
// those whose account or status is gone.
func renderEach[T, V any](ctx context.Context, list []T, render func(context.Context, T) (V, error)) ([]V, error) {
	out := make([]V, 0, len(list))
	for _, item := range list {
		v, err := render(ctx, item)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// status renders st; a boost carries the boosted status in reblog, one
// level deep.
func (r *renderer) status(ctx context.Context, st *store.Status) (*Status, error) {
	if st.ReblogOfID == nil {
		return r.original(ctx, st)
	}
	orig, err := r.getStatus(ctx, *st.ReblogOfID)
	if err != nil {
		return nil, fmt.Errorf("boosted status %d: %w", *st.ReblogOfID, err)
	}
	if orig.ReblogOfID != nil {
		return nil, fmt.Errorf("status %d boosts a boost: %w", st.ID, store.ErrNotFound)
	}
	if !r.ownerView && !publicVisibility(orig.Visibility) {
		// A public boost of a private status must not show it to anyone
		// but the owner: lists leave the boost out.
		return nil, fmt.Errorf("status %d boosts a private status: %w", st.ID, store.ErrNotFound)
	}
	inner, err := r.original(ctx, orig)
	if err != nil {
		return nil, err
	}
	v, err := r.common(ctx, st)
	if err != nil {
		return nil, err
	}
	v.Reblog = inner
	// Apps act on the boosted status; mirror its state on the wrapper for
	// those that read the outer one.
	v.Favourited, v.Reblogged, v.Muted, v.Bookmarked = inner.Favourited, inner.Reblogged, inner.Muted, inner.Bookmarked
	return v, nil
}

// common renders what every status has, boost or not.
func (r *renderer) common(ctx context.Context, st *store.Status) (*Status, error) {
	author, err := r.row(ctx, st.AccountID)
	if err != nil {
		return nil, err
	}
	acct, err := r.account(ctx, author)
	if err != nil {
		return nil, err
	}
	v := &Status{
		ID:               store.FormatID(st.ID),
		URI:              st.URI,
		CreatedAt:        mastoTime(st.CreatedAt),
		Account:          acct,
		Visibility:       st.Visibility,
		MediaAttachments: []MediaAttachment{},
		Mentions:         []Mention{},
		Tags:             []StatusTag{},
		Emojis:           []CustomEmoji{},
		Filtered:         []FilterResult{},
	}
	if st.ReblogOfID == nil {
		v.URL = nullIfEmpty(r.s.statusPageURL(author, st))
	}
	if r.ownerView {
		f := false
		v.Favourited, v.Reblogged, v.Muted, v.Bookmarked = &f, &f, &f, &f
	}
	return v, nil
}

// original renders a status that is not a boost, with everything it
// carries.
func (r *renderer) original(ctx context.Context, st *store.Status) (*Status, error) {
	v, err := r.common(ctx, st)
	if err != nil {
		return nil, err
	}
	v.EditedAt = mastoTimePtr(st.EditedAt)
	v.Content = st.Content // sanitised when stored (ap.statusFromObject, markup.Post)
	v.Sensitive = st.Sensitive
	v.SpoilerText = st.SpoilerText
	v.Language = nullIfEmpty(st.Language)
	v.Emojis = emojisJSON(st.Emojis)
	v.RepliesCount, v.ReblogsCount, v.FavouritesCount = st.RepliesCount, st.ReblogsCount, st.FavouritesCount
	if st.InReplyToID != nil {
		id := store.FormatID(*st.InReplyToID)
		v.InReplyToID = &id
		if st.InReplyToAccountID != nil {
			aid := store.FormatID(*st.InReplyToAccountID)
			v.InReplyToAccountID = &aid
		}
	}
	if st.Local {
		v.Application = &StatusApplication{Name: "Roost"}
	}
	parts, err := r.statusParts(ctx, st)
	if err != nil {
		return nil, err
	}
	if err := r.parts(ctx, v, parts); err != nil {
		return nil, err
	}
	if v.Card, err = r.card(ctx, st); err != nil {
		return nil, err
	}
	if parts.Poll != nil {
		if v.Poll, err = r.poll(ctx, st, parts.Poll); err != nil {
			return nil, err
		}
	}
	if r.ownerView {
		if err := r.ownerState(ctx, v, st); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// parts fills in media, mentions and tags.
func (r *renderer) parts(ctx context.Context, v *Status, p *store.StatusParts) error {
	for _, m := range p.Media {
		v.MediaAttachments = append(v.MediaAttachments, r.s.mediaJSON(m))
	}
	for _, id := range p.Mentions {
		a, err := r.row(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		m := Mention{ID: store.FormatID(a.ID), Username: a.Username, URL: a.URL, Acct: a.Username}
		if m.URL == "" {
			m.URL = a.URI
		}
		if !a.Local() {
			m.Acct = a.Username + "@" + a.Domain
		}
		v.Mentions = append(v.Mentions, m)
	}
	for _, name := range p.Tags {
		v.Tags = append(v.Tags, StatusTag{Name: name, URL: r.s.urls.Tag(name)})
	}
	return nil
}

// ownerState sets what the owner did with st.
func (r *renderer) ownerState(ctx context.Context, v *Status, st *store.Status) error {
	state, err := r.statusState(ctx, st)
	if err != nil {
		return err
	}
	v.Favourited, v.Reblogged, v.Bookmarked = &state.Favourited, &state.Boosted, &state.Bookmarked
	if v.Muted, err = r.conversationMuted(ctx, st); err != nil {
		return err
	}
	if st.AccountID == r.owner.ID {
		pinned := st.PinnedAt != nil
		v.Pinned = &pinned
	}
	return nil
}

// mediaJSON renders an attachment. The owner's files are served under
// /media/; remote ones are linked where they are.
func (s *Server) mediaJSON(m *store.Media) MediaAttachment {
	v := MediaAttachment{
		ID:          store.FormatID(m.ID),
		Type:        m.Type,
		Description: nullIfEmpty(m.Description),
		Blurhash:    nullIfEmpty(m.Blurhash),
		Meta:        &MediaMeta{},
	}
	switch v.Type {
	case "image", "gifv", "video", "audio":
	default:
		v.Type = "unknown"
	}
	if m.FilePath != "" {
		u := s.cfg.BaseURL + "/media/" + m.FilePath
		v.URL, v.PreviewURL = &u, &u
		if m.PreviewPath != "" {
			p := s.cfg.BaseURL + "/media/" + m.PreviewPath
			v.PreviewURL = &p
		}
	} else if m.RemoteURL != "" {
		u := m.RemoteURL
		v.URL, v.PreviewURL, v.RemoteURL = &u, &u, &u
	}
	if m.Width > 0 && m.Height > 0 {
		v.Meta.Original = mediaSize(m.Width, m.Height)
		w, h := m.Width, m.Height
		if px := w * h; px > mediaSmallPixels {
			scale := math.Sqrt(float64(mediaSmallPixels) / float64(px))
			w, h = max(1, int(math.Round(float64(w)*scale))), max(1, int(math.Round(float64(h)*scale)))
		}
		v.Meta.Small = mediaSize(w, h)
	}
	if v.Type == "image" || v.Type == "gifv" || m.FocusX != 0 || m.FocusY != 0 {
		v.Meta.Focus = &MediaFocus{X: m.FocusX, Y: m.FocusY}
	}
	return v
}

func mediaSize(w, h int) *MediaSize {
	return &MediaSize{Width: w, Height: h, Size: fmt.Sprintf("%dx%d", w, h), Aspect: float64(w) / float64(h)}
}

// poll renders the poll of st. The owner has "voted" in their own poll, as
// Mastodon says of a poll's author, so apps show its results.
func (r *renderer) poll(ctx context.Context, st *store.Status, p *store.Poll) (*Poll, error) {
	v := &Poll{
		ID:        store.FormatID(st.ID),
		ExpiresAt: mastoTimePtr(p.ExpiresAt),
		Expired:   p.Closed || p.ExpiresAt != nil && !p.ExpiresAt.After(time.Now()),
		Multiple:  p.Multiple,
		Options:   make([]PollOption, 0, len(p.Options)),
		Emojis:    emojisJSON(st.Emojis),
		OwnVotes:  []int{},
	}
	for _, o := range p.Options {
		n := o.VotesCount
		v.VotesCount += n
		v.Options = append(v.Options, PollOption{Title: o.Title, VotesCount: &n})
	}
	voters := p.VotersCount
	if !p.Multiple && voters < v.VotesCount {
		voters = v.VotesCount // one vote per voter
	}
	v.VotersCount = &voters
	if !r.ownerView {
		return v, nil
	}
	votes, err := r.pollVotes(ctx, st)
	if err != nil {
		return nil, err
	}
	if votes != nil {
		v.OwnVotes = votes
	}
	v.Voted = len(votes) > 0 || st.AccountID == r.owner.ID
	return v, nil
}

// notificationJSON renders a notification for the owner. It fails with
// store.ErrNotFound when what it is about is gone.
func (s *Server) notificationJSON(ctx context.Context, n *store.Notification) (*Notification, error) {
	r, err := s.newRenderer(ctx, true)
	if err != nil {
		return nil, err
	}
	return r.notification(ctx, n)
}

// notificationsJSON renders a page of notifications, leaving out those
// whose account or status is gone.
func (s *Server) notificationsJSON(ctx context.Context, list []*store.Notification) ([]*Notification, error) {
	r, err := s.newRenderer(ctx, true)
	if err != nil {
		return nil, err
	}
	if err := r.preloadNotifications(ctx, list); err != nil {
		return nil, err
	}
	return renderEach(ctx, list, r.notification)
}

func (r *renderer) notification(ctx context.Context, n *store.Notification) (*Notification, error) {
	from, err := r.row(ctx, n.FromAccountID)
	if err != nil {
		return nil, err
	}
	acct, err := r.account(ctx, from)
	if err != nil {
		return nil, err
	}
	id := store.FormatID(n.ID)
	v := &Notification{ID: id, Type: n.Type, GroupKey: "ungrouped-" + id, CreatedAt: mastoTime(n.CreatedAt), Account: acct}
	if n.StatusID != nil {
		st, err := r.getStatus(ctx, *n.StatusID)
		if err != nil {
			return nil, fmt.Errorf("status %d of notification %d: %w", *n.StatusID, n.ID, err)
		}
		if v.Status, err = r.status(ctx, st); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// relationshipJSON says how the owner and a relate.
func (s *Server) relationshipJSON(ctx context.Context, a *store.Account) (*Relationship, error) {
	owner, err := s.owner(ctx)
	if err != nil {
		return nil, err
	}
	v := &Relationship{ID: store.FormatID(a.ID)}
	if a.ID == owner.ID {
		return v, nil
	}
	out, err := s.st.GetFollow(ctx, owner.ID, a.ID)
	switch {
	case err == nil:
		v.Following, v.Requested = !out.Pending, out.Pending
		v.ShowingReblogs, v.Notifying = out.ShowReblogs, out.Notify
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	in, err := s.st.GetFollow(ctx, a.ID, owner.ID)
	switch {
	case err == nil:
		v.FollowedBy, v.RequestedBy = !in.Pending, in.Pending
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	if v.Blocking, err = s.st.Blocks(ctx, owner.ID, a.ID); err != nil {
		return nil, err
	}
	if v.BlockedBy, err = s.st.Blocks(ctx, a.ID, owner.ID); err != nil {
		return nil, err
	}
	if !a.Local() {
		if v.DomainBlocking, err = s.st.DomainBlocked(ctx, a.Domain); err != nil {
			return nil, err
		}
	}
	if m, err := s.st.GetMute(ctx, a.ID); err == nil {
		v.Muting, v.MutingNotifications = true, m.Notifications
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if v.Note, err = s.st.AccountNote(ctx, a.ID); err != nil {
		return nil, err
	}
	if v.Endorsed, err = s.st.Endorsed(ctx, a.ID); err != nil {
		return nil, err
	}
	return v, nil
}
