package handlers

import (
	"context"
	"fmt"
	"time"

	"roost/store"
)

// A page of statuses is rendered from data loaded for the whole page: one
// query per kind (boosted statuses, accounts, mentions, tags, media,
// polls, the owner's favourites/boosts/bookmarks, muted conversations,
// poll votes, link cards, last-status times) instead of several per
// status. The renderer looks in its preloaded maps first and falls back
// to a query of its own for what a page did not load (one status, an
// account met only through a notification, a row gone meanwhile), so
// what it renders is the same either way.
type preloaded struct {
	statuses map[int64]*store.Status // boosted statuses and notifications' statuses
	parts    map[int64]*store.StatusParts
	state    map[int64]store.StatusState // owner view only
	muted    map[string]bool             // by conversation key; owner view only
	votes    map[int64][]int             // owner view only
	last     map[int64]time.Time         // remote accounts' last status
	links    map[int64]string            // the card link of each status, "" for none
	cards    map[string]string           // by link: the cached card, "" for none
}

// preload loads what rendering list needs, with extra accounts besides
// the statuses' authors (notifications' senders).
func (r *renderer) preload(ctx context.Context, list []*store.Status, accounts ...int64) error {
	st := r.s.st
	p := &preloaded{statuses: map[int64]*store.Status{}, links: map[int64]string{}}
	// Boosted statuses are loaded even when on the page too, as rendering
	// one boost alone would.
	var boosted []int64
	for _, s := range list {
		if s.ReblogOfID != nil {
			boosted = append(boosted, *s.ReblogOfID)
		}
	}
	found, err := st.GetStatuses(ctx, boosted)
	if err != nil {
		return err
	}
	// originals are the statuses rendered in full: the page's own that are
	// not boosts, and those boosted.
	var originals []*store.Status
	seen := map[int64]bool{}
	keep := func(s *store.Status) {
		p.statuses[s.ID] = s
		if s.ReblogOfID == nil && !seen[s.ID] {
			seen[s.ID] = true
			originals = append(originals, s)
		}
	}
	for _, s := range list {
		keep(s)
	}
	for _, s := range found {
		keep(s)
	}
	ids := make([]int64, len(originals))
	for i, s := range originals {
		ids[i] = s.ID
	}
	if p.parts, err = st.GetStatusPartsOf(ctx, ids); err != nil {
		return err
	}
	authors, err := r.preloadAccounts(ctx, p, list, originals, accounts)
	if err != nil {
		return err
	}
	if p.last, err = st.GetLastStatusTimes(ctx, authors); err != nil {
		return err
	}
	if err := r.preloadCards(ctx, p, originals); err != nil {
		return err
	}
	if r.ownerView {
		if err := r.preloadOwnerState(ctx, p, originals); err != nil {
			return err
		}
	}
	r.pre = p
	return nil
}

// preloadAccounts loads the rows of the authors, the mentioned accounts
// and extra into the renderer, and returns the remote accounts that will
// be rendered in full (whose last-status time is needed).
func (r *renderer) preloadAccounts(ctx context.Context, p *preloaded, list, originals []*store.Status, extra []int64) ([]int64, error) {
	var full, want []int64
	wanted, rendered := map[int64]bool{}, map[int64]bool{}
	add := func(id int64, render bool) {
		if _, ok := r.rows[id]; !ok && !wanted[id] {
			wanted[id] = true
			want = append(want, id)
		}
		if render && !rendered[id] {
			rendered[id] = true
			full = append(full, id)
		}
	}
	for _, id := range extra {
		add(id, true)
	}
	for _, s := range list {
		add(s.AccountID, true)
	}
	for _, s := range originals {
		add(s.AccountID, true)
	}
	for _, s := range originals {
		for _, id := range p.parts[s.ID].Mentions {
			add(id, false)
		}
	}
	rows, err := r.s.st.GetAccounts(ctx, want)
	if err != nil {
		return nil, err
	}
	for id, a := range rows {
		r.rows[id] = a
	}
	var remote []int64
	for _, id := range full {
		if a, ok := r.rows[id]; ok && !a.Local() {
			remote = append(remote, id)
		}
	}
	return remote, nil
}

// preloadCards finds the link of each status and loads the cached cards.
func (r *renderer) preloadCards(ctx context.Context, p *preloaded, originals []*store.Status) error {
	var links []string
	for _, s := range originals {
		link := cardLink(s.Content)
		p.links[s.ID] = link
		if link != "" {
			links = append(links, link)
		}
	}
	var err error
	if p.cards, err = r.s.st.GetLinkCards(ctx, links); err != nil {
		return err
	}
	for _, link := range links {
		if _, ok := p.cards[link]; !ok {
			p.cards[link] = "" // never fetched: no card, as cachedCard says
		}
	}
	return nil
}

// preloadOwnerState loads what the owner did with the statuses.
func (r *renderer) preloadOwnerState(ctx context.Context, p *preloaded, originals []*store.Status) error {
	st := r.s.st
	ids := make([]int64, 0, len(originals))
	keys := make([]string, 0, len(originals))
	var polls []int64
	for _, s := range originals {
		ids = append(ids, s.ID)
		keys = append(keys, store.ConversationKey(s))
		if p.parts[s.ID].Poll != nil {
			polls = append(polls, s.ID)
		}
	}
	var err error
	if p.state, err = st.GetStatusStates(ctx, r.owner.ID, ids); err != nil {
		return err
	}
	if p.muted, err = st.ConversationsMuted(ctx, keys); err != nil {
		return err
	}
	p.votes, err = st.GetPollVotesOf(ctx, r.owner.ID, polls)
	return err
}

// getStatus returns the status with id, preloaded or loaded now.
func (r *renderer) getStatus(ctx context.Context, id int64) (*store.Status, error) {
	if r.pre != nil {
		if s, ok := r.pre.statuses[id]; ok {
			return s, nil
		}
	}
	return r.s.st.GetStatus(ctx, id)
}

// statusParts returns the mentions, tags, media and poll of st.
func (r *renderer) statusParts(ctx context.Context, st *store.Status) (*store.StatusParts, error) {
	if r.pre != nil {
		if p, ok := r.pre.parts[st.ID]; ok {
			return p, nil
		}
	}
	p, err := r.s.st.GetStatusParts(ctx, st.ID)
	if err != nil {
		return nil, fmt.Errorf("parts of status %d: %w", st.ID, err)
	}
	return p, nil
}

// statusState returns what the owner did with st.
func (r *renderer) statusState(ctx context.Context, st *store.Status) (store.StatusState, error) {
	if r.pre != nil {
		if v, ok := r.pre.state[st.ID]; ok {
			return v, nil
		}
	}
	var v store.StatusState
	var err error
	if v.Favourited, err = r.s.st.HasFavourited(ctx, r.owner.ID, st.ID); err != nil {
		return v, err
	}
	if v.Boosted, err = r.s.st.HasBoosted(ctx, r.owner.ID, st.ID); err != nil {
		return v, err
	}
	v.Bookmarked, err = r.s.st.IsBookmarked(ctx, st.ID)
	return v, err
}

// pollVotes returns the owner's choices in the poll of st.
func (r *renderer) pollVotes(ctx context.Context, st *store.Status) ([]int, error) {
	if r.pre != nil {
		if v, ok := r.pre.votes[st.ID]; ok {
			return v, nil
		}
	}
	return r.s.st.PollVotes(ctx, st.ID, r.owner.ID)
}

// preloadNotifications loads the statuses of a page of notifications and
// what rendering them needs, with the senders' accounts.
func (r *renderer) preloadNotifications(ctx context.Context, list []*store.Notification) error {
	var ids, from []int64
	for _, n := range list {
		from = append(from, n.FromAccountID)
		if n.StatusID != nil {
			ids = append(ids, *n.StatusID)
		}
	}
	found, err := r.s.st.GetStatuses(ctx, ids)
	if err != nil {
		return err
	}
	statuses := make([]*store.Status, 0, len(found))
	seen := map[int64]bool{}
	for _, id := range ids {
		if s, ok := found[id]; ok && !seen[id] {
			seen[id] = true
			statuses = append(statuses, s)
		}
	}
	return r.preload(ctx, statuses, from...)
}
