package handlers

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"roost/markup"
	"roost/store"
)

// Applying the owner's filters to what is shown. A status matching an
// active filter of the context it is shown in carries a FilterResult in
// "filtered" (apps then show it behind a warning, or blurred); one
// matching a "hide" filter is left out. As in Mastodon
// (StatusRelationshipsPresenter#build_filters_map), a boost is matched
// by the status it boosts and both carry the results.
// https://docs.joinmastodon.org/api/guidelines/#filters

// Filter contexts, as Mastodon names them.
const (
	filterHome          = "home"
	filterNotifications = "notifications"
	filterPublic        = "public"
	filterThread        = "thread"
	filterAccount       = "account"
)

var filterContexts = []string{filterHome, filterNotifications, filterPublic, filterThread, filterAccount}

// errFilteredOut marks a streamed status or notification that a "hide"
// filter (or an exclusive list) keeps off the stream: renderStreamEvent
// then sends nothing, as for a status gone in the meantime.
var errFilteredOut = fmt.Errorf("filtered out: %w", store.ErrNotFound)

// filterContextOf is the filter context of the statuses a request
// answers with, "" where filters do not apply: for readers other than the
// owner, and for lists such as bookmarks and favourites.
func filterContextOf(r *http.Request) string {
	if a := authFrom(r.Context()); a == nil || !a.Owner {
		return ""
	}
	p := r.URL.Path
	switch {
	case p == "/api/v1/timelines/home", strings.HasPrefix(p, "/api/v1/timelines/list/"):
		return filterHome // Mastodon filters list timelines as home
	case p == "/api/v1/timelines/public", strings.HasPrefix(p, "/api/v1/timelines/tag/"):
		return filterPublic
	case strings.HasPrefix(p, "/api/v1/accounts/") && strings.HasSuffix(p, "/statuses"):
		return filterAccount
	case strings.HasPrefix(p, "/api/v1/statuses/") && strings.HasSuffix(p, "/context"):
		return filterThread
	case strings.HasPrefix(p, "/api/v1/notifications"), strings.HasPrefix(p, "/api/v2/notifications"):
		return filterNotifications
	}
	return ""
}

// matcher is one active filter made ready for matching.
type matcher struct {
	v        Filter // as FilterResult shows it: no keywords or statuses
	action   string
	keywords []string
	res      []*regexp.Regexp
	statuses map[string]bool // status ids, as rendered
}

// activeMatchers loads the filters that apply in fctx now.
func (s *Server) activeMatchers(ctx context.Context, fctx string) ([]*matcher, error) {
	all, err := s.st.ListFilters(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	var out []*matcher
	for _, f := range all {
		if f.Expired(now) || !contains(f.Context, fctx) {
			continue
		}
		m := &matcher{v: filterJSON(f, false), action: f.Action, statuses: map[string]bool{}}
		for _, k := range f.Keywords {
			m.keywords = append(m.keywords, k.Keyword)
			m.res = append(m.res, keywordRegexp(k.Keyword, k.WholeWord))
		}
		for _, fs := range f.Statuses {
			m.statuses[store.FormatID(fs.StatusID)] = true
		}
		out = append(out, m)
	}
	return out, nil
}

// keywordRegexp matches a keyword case-insensitively; with wholeWord, not
// inside a longer word, as Mastodon's CustomFilterKeyword#to_regex (a
// boundary is required only on a side where the keyword begins or ends
// with a word character). Go's \b is ASCII-only, so word characters are
// spelled out to cover every script.
func keywordRegexp(keyword string, wholeWord bool) *regexp.Regexp {
	q := regexp.QuoteMeta(keyword)
	if wholeWord {
		if startsWithWord.MatchString(keyword) {
			q = `(?:^|[^` + wordChars + `])` + q
		}
		if endsWithWord.MatchString(keyword) {
			q += `(?:$|[^` + wordChars + `])`
		}
	}
	return regexp.MustCompile(`(?is)` + q)
}

// wordChars are Unicode word characters, as Ruby's [[:word:]].
const wordChars = `\p{L}\p{N}\p{M}_`

var (
	startsWithWord = regexp.MustCompile(`^[` + wordChars + `]`)
	endsWithWord   = regexp.MustCompile(`[` + wordChars + `]$`)
)

// searchableText is what keywords are matched against, as Mastodon's
// Status#searchable_text: the content warning, the text without markup,
// poll options and media descriptions.
func searchableText(v *Status) string {
	parts := []string{v.SpoilerText, markup.PlainText(v.Content)}
	if v.Poll != nil {
		for _, o := range v.Poll.Options {
			parts = append(parts, o.Title)
		}
	}
	for _, m := range v.MediaAttachments {
		if m.Description != nil {
			parts = append(parts, *m.Description)
		}
	}
	return strings.Join(parts, "\n\n")
}

// match returns the filters v matches, and whether one of them hides it.
func match(ms []*matcher, v *Status) (results []FilterResult, hide bool) {
	text := ""
	for _, m := range ms {
		var kws []string
		for i, re := range m.res {
			if text == "" {
				text = searchableText(v)
			}
			if re.MatchString(text) {
				kws = append(kws, m.keywords[i])
			}
		}
		var sts []string
		if m.statuses[v.ID] {
			sts = []string{v.ID}
		}
		if kws == nil && sts == nil {
			continue
		}
		results = append(results, FilterResult{Filter: m.v, KeywordMatches: kws, StatusMatches: sts})
		hide = hide || m.action == store.FilterHide
	}
	return results, hide
}

// applyFilters applies the owner's filters of context fctx ("" for none)
// to rendered statuses: it sets filtered on those that match and leaves
// out those a "hide" filter matches. Filters failing to load are logged
// and the statuses shown unfiltered: a timeline is worth more than its
// filters.
func (s *Server) applyFilters(ctx context.Context, fctx string, list []*Status) []*Status {
	if fctx == "" || len(list) == 0 {
		return list
	}
	ms, err := s.activeMatchers(ctx, fctx)
	if err != nil {
		s.log.Error("filters not applied", "context", fctx, "err", err)
		return list
	}
	if len(ms) == 0 {
		return list
	}
	out := list[:0:0]
	for _, v := range list {
		if !filterStatus(ms, v) {
			out = append(out, v)
		}
	}
	return out
}

// filterStatus sets v's filtered results; true when v is to be hidden.
func filterStatus(ms []*matcher, v *Status) (hide bool) {
	proper := v
	if v.Reblog != nil {
		proper = v.Reblog
	}
	results, hide := match(ms, proper)
	if results != nil {
		proper.Filtered, v.Filtered = results, results
	}
	return hide
}

// filterNotifications applies the notifications filters to the statuses
// of notifications, leaving out notifications whose status is hidden.
func (s *Server) filterNotifications(ctx context.Context, list []*Notification) []*Notification {
	var statuses []*Status
	for _, n := range list {
		if n.Status != nil {
			statuses = append(statuses, n.Status)
		}
	}
	kept := map[*Status]bool{}
	for _, v := range s.applyFilters(ctx, filterNotifications, statuses) {
		kept[v] = true
	}
	out := list[:0:0]
	for _, n := range list {
		if n.Status == nil || kept[n.Status] {
			out = append(out, n)
		}
	}
	return out
}

// filterGroupedNotifications is filterNotifications for grouped
// notifications: groups about a hidden status go, and so does the
// status.
func (s *Server) filterGroupedNotifications(ctx context.Context, g *groupedNotifications) {
	before := len(g.Statuses)
	g.Statuses = s.applyFilters(ctx, filterNotifications, g.Statuses)
	if len(g.Statuses) == before {
		return
	}
	kept := map[string]bool{}
	for _, v := range g.Statuses {
		kept[v.ID] = true
	}
	groups := g.NotificationGroups[:0:0]
	for _, ng := range g.NotificationGroups {
		if ng.StatusID == nil || kept[*ng.StatusID] {
			groups = append(groups, ng)
		}
	}
	g.NotificationGroups = groups
}

// filterStreamPayload applies filters to a streaming event's payload (v,
// err from streamPayload): statuses on the user stream with the home
// filters, and not at all from members of exclusive lists; statuses on
// the public and hashtag streams with the public filters; notifications
// with the notifications filters. A hidden payload is errFilteredOut.
func (s *Server) filterStreamPayload(ctx context.Context, st stream, v any, err error) (any, error) {
	if err != nil {
		return v, err
	}
	switch v := v.(type) {
	case *Status:
		fctx := ""
		switch {
		case st.name == "user":
			fctx = filterHome
			if excl, err := s.fromExclusiveList(ctx, v); err != nil || excl {
				return nil, cmpErr(err, errFilteredOut)
			}
		case strings.HasPrefix(st.name, "public"), strings.HasPrefix(st.name, "hashtag"):
			fctx = filterPublic
		}
		if len(s.applyFilters(ctx, fctx, []*Status{v})) == 0 {
			return nil, errFilteredOut
		}
	case *Notification:
		if len(s.filterNotifications(ctx, []*Notification{v})) == 0 {
			return nil, errFilteredOut
		}
	}
	return v, nil
}

// fromExclusiveList reports whether v's author (the booster, for a boost)
// is in an exclusive list, whose statuses stay off the home timeline.
func (s *Server) fromExclusiveList(ctx context.Context, v *Status) (bool, error) {
	id, ok := store.ParseID(v.Account.ID)
	if !ok {
		return false, nil
	}
	return s.st.InExclusiveList(ctx, id)
}

// cmpErr is err when there is one, else alt.
func cmpErr(err, alt error) error {
	if err != nil {
		return err
	}
	return alt
}
