package handlers

import (
	"net/http"
	"strings"

	"roost/store"
)

// writeStatuses renders a page of statuses with its Link header.
func (s *Server) writeStatuses(w http.ResponseWriter, r *http.Request, list []*store.Status) error {
	render := s.statusesJSON
	if a := authFrom(r.Context()); a == nil || !a.Owner {
		render = s.publicStatusesJSON
	}
	out, err := render(r.Context(), list)
	if err != nil {
		return err
	}
	out = s.applyFilters(r.Context(), filterContextOf(r), out)
	if n := len(list); n > 0 {
		s.setLinkHeader(w, r, store.FormatID(list[0].ID), store.FormatID(list[n-1].ID))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getHomeTimeline serves GET /api/v1/timelines/home.
func (s *Server) getHomeTimeline(w http.ResponseWriter, r *http.Request) error {
	owner, err := s.owner(r.Context())
	if err != nil {
		return err
	}
	list, err := s.st.ListHomeTimeline(r.Context(), owner.ID, apiPage(r.URL.Query(), 20, 40))
	if err != nil {
		return err
	}
	return s.writeStatuses(w, r, list)
}

// getPublicTimeline serves GET /api/v1/timelines/public (local, remote,
// only_media).
func (s *Server) getPublicTimeline(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.PublicFilter{Local: truthy(q.Get("local")), Remote: truthy(q.Get("remote")), OnlyMedia: truthy(q.Get("only_media"))}
	list, err := s.st.ListPublicTimeline(r.Context(), f, apiPage(q, 20, 40))
	if err != nil {
		return err
	}
	return s.writeStatuses(w, r, list)
}

// getTagTimeline serves GET /api/v1/timelines/tag/{hashtag}.
func (s *Server) getTagTimeline(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.PublicFilter{Tag: strings.ToLower(strings.TrimPrefix(r.PathValue("hashtag"), "#")),
		Local: truthy(q.Get("local")), Remote: truthy(q.Get("remote")), OnlyMedia: truthy(q.Get("only_media"))}
	list, err := s.st.ListPublicTimeline(r.Context(), f, apiPage(q, 20, 40))
	if err != nil {
		return err
	}
	return s.writeStatuses(w, r, list)
}

// getNotifications serves GET /api/v1/notifications (types[],
// exclude_types[]).
func (s *Server) getNotifications(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	types := notificationTypes(q["types[]"], q["types"], q["exclude_types[]"], q["exclude_types"])
	from, _ := store.ParseID(q.Get("account_id"))
	list, err := s.st.ListNotificationsFrom(r.Context(), from, types, apiPage(q, 40, 80))
	if err != nil {
		return err
	}
	out, err := s.notificationsJSON(r.Context(), list)
	if err != nil {
		return err
	}
	out = s.filterNotifications(r.Context(), out)
	if n := len(list); n > 0 {
		s.setLinkHeader(w, r, store.FormatID(list[0].ID), store.FormatID(list[n-1].ID))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

var allNotificationTypes = []string{store.NotifyMention, store.NotifyReblog, store.NotifyFavourite, store.NotifyFollow,
	store.NotifyFollowRequest, store.NotifyPoll, store.NotifyUpdate, store.NotifyMove}

// notificationTypes is the set of types to list: those asked for (all when
// none are), without the excluded ones. Reactions are Roost's own and are
// not listed to apps, which would not know them.
func notificationTypes(include1, include2, exclude1, exclude2 []string) []string {
	include := append(include1, include2...)
	if len(include) == 0 {
		include = allNotificationTypes
	}
	excluded := map[string]bool{}
	for _, t := range append(exclude1, exclude2...) {
		excluded[t] = true
	}
	var out []string
	for _, t := range include {
		if !excluded[t] && contains(allNotificationTypes, t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		out = []string{"none"}
	}
	return out
}

// getVerifyCredentials serves the owner's account with its source.
func (s *Server) getVerifyCredentials(w http.ResponseWriter, r *http.Request) error {
	v, err := s.credentialAccountJSON(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}
