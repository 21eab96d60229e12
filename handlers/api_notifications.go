package handlers

import (
	"errors"
	"net/http"

	"roost/store"
)

// getNotification serves GET /api/v1/notifications/{id}.
func (s *Server) getNotification(w http.ResponseWriter, r *http.Request) error {
	id, ok := store.ParseID(r.PathValue("id"))
	if !ok {
		return errNotFound
	}
	n, err := s.st.GetNotification(r.Context(), id)
	if err != nil {
		return err
	}
	v, err := s.notificationJSON(r.Context(), n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// postClearNotifications and postDismissNotification delete notifications.
func (s *Server) postClearNotifications(w http.ResponseWriter, r *http.Request) error {
	if err := s.st.DismissNotification(r.Context(), 0); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

func (s *Server) postDismissNotification(w http.ResponseWriter, r *http.Request) error {
	id, ok := store.ParseID(r.PathValue("id"))
	if !ok {
		return errNotFound
	}
	if err := s.st.DismissNotification(r.Context(), id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// getUnreadCount serves GET /api/v1/notifications/unread_count: the
// notifications newer than the notifications marker (at most 100, as
// Mastodon caps it).
func (s *Server) getUnreadCount(w http.ResponseWriter, r *http.Request) error {
	var last int64
	m, err := s.st.GetMarker(r.Context(), "notifications")
	if err == nil {
		last = m.LastReadID
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	q := r.URL.Query()
	types := notificationTypes(q["types[]"], q["types"], q["exclude_types[]"], q["exclude_types"])
	n, err := s.st.CountNotificationsAfter(r.Context(), last, types, limitParam(q.Get("limit"), 100, 1000))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"count": n})
	return nil
}

// markerJSON is Mastodon's Marker entity.
type markerJSON struct {
	LastReadID string `json:"last_read_id"`
	Version    int    `json:"version"`
	UpdatedAt  string `json:"updated_at"`
}

// getMarkers serves GET /api/v1/markers?timeline[]=home&timeline[]=notifications.
func (s *Server) getMarkers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	out := map[string]markerJSON{}
	for _, tl := range append(q["timeline[]"], q["timeline"]...) {
		if tl != "home" && tl != "notifications" {
			continue
		}
		m, err := s.st.GetMarker(r.Context(), tl)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		out[tl] = markerJSON{LastReadID: store.FormatID(m.LastReadID), Version: m.Version, UpdatedAt: mastoTime(m.UpdatedAt)}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// postMarkers serves POST /api/v1/markers (home[last_read_id],
// notifications[last_read_id]).
func (s *Server) postMarkers(w http.ResponseWriter, r *http.Request) error {
	p, err := params(r)
	if err != nil {
		return errorf(http.StatusUnprocessableEntity, "%s", err)
	}
	for _, tl := range []string{"home", "notifications"} {
		v := p.Get(tl + "[last_read_id]")
		if v == "" {
			continue
		}
		id, ok := store.ParseID(v)
		if !ok {
			return errorf(http.StatusUnprocessableEntity, "Validation failed: last_read_id must be an id")
		}
		if err := s.st.SetMarker(r.Context(), tl, id); err != nil {
			return err
		}
	}
	return s.getMarkersOf(w, r, "home", "notifications")
}

func (s *Server) getMarkersOf(w http.ResponseWriter, r *http.Request, timelines ...string) error {
	q := r.URL.Query()
	q["timeline[]"] = timelines
	r.URL.RawQuery = q.Encode()
	return s.getMarkers(w, r)
}
