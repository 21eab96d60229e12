package handlers

import (
	"errors"
	"net/http"

	"roost/store"
)

// notificationGroup is Mastodon 4.3's NotificationGroup.
type notificationGroup struct {
	GroupKey                 string   `json:"group_key"`
	NotificationsCount       int      `json:"notifications_count"`
	Type                     string   `json:"type"`
	MostRecentNotificationID string   `json:"most_recent_notification_id"`
	PageMinID                string   `json:"page_min_id"`
	PageMaxID                string   `json:"page_max_id"`
	LatestPageNotificationAt string   `json:"latest_page_notification_at"`
	SampleAccountIDs         []string `json:"sample_account_ids"`
	StatusID                 *string  `json:"status_id"`
}

// groupedNotifications is GroupedNotificationsResults.
type groupedNotifications struct {
	Accounts           []*Account          `json:"accounts"`
	Statuses           []*Status           `json:"statuses"`
	NotificationGroups []notificationGroup `json:"notification_groups"`
}

// groupKey is how Mastodon groups: favourites and boosts of one status
// together, follows together, everything else alone.
func groupKey(n *store.Notification) string {
	switch n.Type {
	case store.NotifyFavourite, store.NotifyReblog:
		if n.StatusID != nil {
			return n.Type + "-" + store.FormatID(*n.StatusID)
		}
	case store.NotifyFollow:
		return "follow"
	}
	return "ungrouped-" + store.FormatID(n.ID)
}

// getGroupedNotifications serves GET /api/v2/notifications: a page of
// notifications folded into groups, with the accounts and statuses they
// name given once.
func (s *Server) getGroupedNotifications(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	types := notificationTypes(q["types[]"], q["types"], q["exclude_types[]"], q["exclude_types"])
	list, err := s.st.ListNotifications(ctx, types, apiPage(q, 40, 80))
	if err != nil {
		return err
	}
	rend, err := s.newRenderer(ctx, true)
	if err != nil {
		return err
	}
	if err := rend.preloadNotifications(ctx, list); err != nil {
		return err
	}
	out := groupedNotifications{Accounts: []*Account{}, Statuses: []*Status{}, NotificationGroups: []notificationGroup{}}
	index := map[string]int{}
	seenAccount, seenStatus := map[int64]bool{}, map[int64]bool{}
	for _, n := range list {
		if n.StatusID != nil && !seenStatus[*n.StatusID] {
			st, err := rend.getStatus(ctx, *n.StatusID)
			if errors.Is(err, store.ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			v, err := rend.status(ctx, st)
			if err != nil {
				return err
			}
			seenStatus[*n.StatusID] = true
			out.Statuses = append(out.Statuses, v)
		}
		if !seenAccount[n.FromAccountID] {
			a, err := rend.row(ctx, n.FromAccountID)
			if err != nil {
				return err
			}
			v, err := rend.account(ctx, a)
			if err != nil {
				return err
			}
			seenAccount[n.FromAccountID] = true
			out.Accounts = append(out.Accounts, v)
		}
		id, from := store.FormatID(n.ID), store.FormatID(n.FromAccountID)
		key := groupKey(n)
		if i, ok := index[key]; ok { // an older member of a group already started
			g := &out.NotificationGroups[i]
			g.NotificationsCount++
			g.PageMinID = id
			if len(g.SampleAccountIDs) < 8 && !contains(g.SampleAccountIDs, from) {
				g.SampleAccountIDs = append(g.SampleAccountIDs, from)
			}
			continue
		}
		g := notificationGroup{GroupKey: key, NotificationsCount: 1, Type: n.Type, MostRecentNotificationID: id,
			PageMinID: id, PageMaxID: id, LatestPageNotificationAt: mastoTime(n.CreatedAt), SampleAccountIDs: []string{from}}
		if n.StatusID != nil {
			sid := store.FormatID(*n.StatusID)
			g.StatusID = &sid
		}
		index[key] = len(out.NotificationGroups)
		out.NotificationGroups = append(out.NotificationGroups, g)
	}
	if n := len(list); n > 0 {
		s.setLinkHeader(w, r, store.FormatID(list[0].ID), store.FormatID(list[n-1].ID))
	}
	s.filterGroupedNotifications(ctx, &out)
	writeJSON(w, http.StatusOK, out)
	return nil
}
