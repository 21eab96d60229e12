package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"roost/store"
)

// Mastodon's rules for scheduled statuses (ScheduledStatus): at least five
// minutes ahead, at most 25 due on one day and 300 in all.
const (
	scheduleMinOffset  = 5 * time.Minute
	scheduleDailyLimit = 25
	scheduleTotalLimit = 300
	// scheduleMaxWait bounds the worker's sleep, so that a status
	// scheduled or moved meanwhile is seen within a minute.
	scheduleMaxWait = time.Minute
)

var errScheduleTooSoon = errorf(http.StatusUnprocessableEntity, "Scheduled at must be at least 5 minutes in the future")

// ScheduledStatus is Mastodon's ScheduledStatus entity.
type ScheduledStatus struct {
	ID               string                `json:"id"`
	ScheduledAt      string                `json:"scheduled_at"`
	Params           ScheduledStatusParams `json:"params"`
	MediaAttachments []MediaAttachment     `json:"media_attachments"`
}

// ScheduledStatusParams are the parameters the status will be posted
// with, as the request gave them (null where it did not).
type ScheduledStatusParams struct {
	Text          string         `json:"text"`
	Poll          *ScheduledPoll `json:"poll"`
	MediaIDs      []string       `json:"media_ids"`
	Sensitive     *bool          `json:"sensitive"`
	SpoilerText   *string        `json:"spoiler_text"`
	Visibility    *string        `json:"visibility"`
	ScheduledAt   *string        `json:"scheduled_at"`
	InReplyToID   *string        `json:"in_reply_to_id"`
	Language      *string        `json:"language"`
	ApplicationID int64          `json:"application_id"`
	Idempotency   *string        `json:"idempotency"`
	WithRateLimit bool           `json:"with_rate_limit"`
}

// ScheduledPoll is the poll of a scheduled status, as requested.
type ScheduledPoll struct {
	Options    []string `json:"options"`
	ExpiresIn  string   `json:"expires_in"`
	Multiple   bool     `json:"multiple"`
	HideTotals bool     `json:"hide_totals"`
}

// scheduledParams is what scheduled_statuses.params holds: the request's
// parameters, replayed through postInput when the time comes.
type scheduledParams struct {
	Values        url.Values `json:"values"`
	ApplicationID int64      `json:"application_id,omitempty"`
}

// parseScheduledAt reads an ISO 8601 time as Mastodon takes it; a time
// without a zone is UTC.
func parseScheduledAt(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, strings.TrimSpace(v)); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// checkScheduledAt applies Mastodon's limits to a new time for a
// scheduled status (except, when moving one, itself).
func (s *Server) checkScheduledAt(ctx context.Context, v string, moving bool) (time.Time, error) {
	at, ok := parseScheduledAt(v)
	if !ok || !at.After(s.oauth.clock().Add(scheduleMinOffset)) {
		return time.Time{}, errScheduleTooSoon
	}
	day := at.UTC().Truncate(24 * time.Hour)
	n, err := s.st.CountScheduledStatuses(ctx, day, day.Add(24*time.Hour))
	if err != nil {
		return time.Time{}, err
	}
	if n >= scheduleDailyLimit && !moving {
		return time.Time{}, errorf(http.StatusUnprocessableEntity, "Validation failed: Scheduled at You have exceeded the limit of %d scheduled posts for today", scheduleDailyLimit)
	}
	total, err := s.st.CountScheduledStatuses(ctx, time.Time{}, time.Unix(1<<40, 0))
	if err != nil {
		return time.Time{}, err
	}
	if total >= scheduleTotalLimit && !moving {
		return time.Time{}, errorf(http.StatusUnprocessableEntity, "Validation failed: Scheduled at You have exceeded the limit of %d scheduled posts", scheduleTotalLimit)
	}
	return at.UTC(), nil
}

// scheduleStatus is POST /api/v1/statuses with scheduled_at: the status
// is checked as if posted now, then stored to be posted by
// ProcessScheduled.
func (s *Server) scheduleStatus(w http.ResponseWriter, r *http.Request, p url.Values) error {
	ctx := r.Context()
	at, err := s.checkScheduledAt(ctx, p.Get("scheduled_at"), false)
	if err != nil {
		return err
	}
	if _, err := s.postInput(ctx, p); err != nil {
		return err
	}
	keep := url.Values{}
	for k, v := range p {
		if k != "access_token" && k != "scheduled_at" {
			keep[k] = v
		}
	}
	sp := scheduledParams{Values: keep}
	if a := authFrom(ctx); a != nil {
		sp.ApplicationID = a.AppID
	}
	b, err := json.Marshal(sp)
	if err != nil {
		return err
	}
	ss := &store.ScheduledStatus{ScheduledAt: at, Params: string(b), CreatedAt: s.oauth.clock()}
	if err := s.st.InsertScheduledStatus(ctx, ss); err != nil {
		return err
	}
	v, err := s.scheduledJSON(ctx, ss)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func decodeScheduled(ss *store.ScheduledStatus) (scheduledParams, error) {
	var sp scheduledParams
	err := json.Unmarshal([]byte(ss.Params), &sp)
	if sp.Values == nil {
		sp.Values = url.Values{}
	}
	return sp, err
}

// scheduledJSON renders a scheduled status. Media that has gone since is
// left out.
func (s *Server) scheduledJSON(ctx context.Context, ss *store.ScheduledStatus) (*ScheduledStatus, error) {
	sp, err := decodeScheduled(ss)
	if err != nil {
		return nil, err
	}
	p := sp.Values
	opt := func(k string) *string {
		if _, ok := p[k]; !ok {
			return nil
		}
		v := p.Get(k)
		return &v
	}
	v := &ScheduledStatus{ID: store.FormatID(ss.ID), ScheduledAt: mastoTime(ss.ScheduledAt), MediaAttachments: []MediaAttachment{},
		Params: ScheduledStatusParams{Text: p.Get("status"), MediaIDs: p["media_ids"], SpoilerText: opt("spoiler_text"),
			Visibility: opt("visibility"), InReplyToID: opt("in_reply_to_id"), Language: opt("language"),
			ApplicationID: sp.ApplicationID}}
	if _, ok := p["sensitive"]; ok {
		b := truthy(p.Get("sensitive"))
		v.Params.Sensitive = &b
	}
	if opts := p["poll[options]"]; len(opts) > 0 {
		v.Params.Poll = &ScheduledPoll{Options: opts, ExpiresIn: p.Get("poll[expires_in]"),
			Multiple: truthy(p.Get("poll[multiple]")), HideTotals: truthy(p.Get("poll[hide_totals]"))}
	}
	for _, idText := range p["media_ids"] {
		id, _ := store.ParseID(idText)
		if m, err := s.st.GetMedia(ctx, id); err == nil {
			v.MediaAttachments = append(v.MediaAttachments, s.mediaJSON(m))
		}
	}
	return v, nil
}

// getScheduledStatuses is GET /api/v1/scheduled_statuses.
func (s *Server) getScheduledStatuses(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	list, err := s.st.ListScheduledStatuses(ctx, apiPage(r.URL.Query(), 20, 40))
	if err != nil {
		return err
	}
	out := make([]*ScheduledStatus, 0, len(list))
	for _, ss := range list {
		v, err := s.scheduledJSON(ctx, ss)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	if n := len(list); n > 0 {
		s.setLinkHeader(w, r, store.FormatID(list[0].ID), store.FormatID(list[n-1].ID))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// scheduledFor loads the scheduled status {id}.
func (s *Server) scheduledFor(r *http.Request) (*store.ScheduledStatus, error) {
	id, ok := store.ParseID(r.PathValue("id"))
	if !ok {
		return nil, store.ErrNotFound
	}
	return s.st.GetScheduledStatus(r.Context(), id)
}

// getScheduledStatus is GET /api/v1/scheduled_statuses/{id}.
func (s *Server) getScheduledStatus(w http.ResponseWriter, r *http.Request) error {
	ss, err := s.scheduledFor(r)
	if err != nil {
		return err
	}
	v, err := s.scheduledJSON(r.Context(), ss)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// putScheduledStatus is PUT /api/v1/scheduled_statuses/{id}: a new
// scheduled_at.
func (s *Server) putScheduledStatus(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ss, err := s.scheduledFor(r)
	if err != nil {
		return err
	}
	p, err := params(r)
	if err != nil {
		return err
	}
	if v := p.Get("scheduled_at"); v != "" {
		at, err := s.checkScheduledAt(ctx, v, true)
		if err != nil {
			return err
		}
		if err := s.st.RescheduleStatus(ctx, ss.ID, at); err != nil {
			return err
		}
		ss.ScheduledAt = at
	}
	v, err := s.scheduledJSON(ctx, ss)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// deleteScheduledStatus is DELETE /api/v1/scheduled_statuses/{id}.
func (s *Server) deleteScheduledStatus(w http.ResponseWriter, r *http.Request) error {
	ss, err := s.scheduledFor(r)
	if err != nil {
		return err
	}
	if err := s.st.DeleteScheduledStatus(r.Context(), ss.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// ProcessScheduled posts the scheduled statuses whose time has come, as
// POST /api/v1/statuses would have, and returns how many it posted. A
// status that can no longer be posted (its media or parent gone, say) is
// dropped, as Mastodon drops it; any other error stops the round and the
// status is tried again later. The Idempotency key "scheduled/<id>"
// keeps a crash between posting and removing the row from posting twice.
func (s *Server) ProcessScheduled(ctx context.Context) (int, error) {
	due, err := s.st.ListDueScheduledStatuses(ctx, s.oauth.clock(), 50)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, ss := range due {
		posted, err := s.publishScheduled(ctx, ss)
		if err != nil {
			return n, err
		}
		if posted {
			n++
		}
	}
	return n, nil
}

// publishScheduled posts one scheduled status and removes it.
func (s *Server) publishScheduled(ctx context.Context, ss *store.ScheduledStatus) (bool, error) {
	drop := func() error {
		// The owner may have deleted it meanwhile.
		if err := s.st.DeleteScheduledStatus(ctx, ss.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return nil
	}
	key := "scheduled/" + store.FormatID(ss.ID)
	if _, err := s.st.IdempotentStatus(ctx, key); err == nil {
		return false, drop()
	}
	sp, err := decodeScheduled(ss)
	if err != nil {
		s.log.Warn("scheduled status unreadable, dropped", "scheduled_id", ss.ID, "err", err)
		return false, drop()
	}
	in, err := s.postInput(ctx, sp.Values)
	var he *httpError
	if errors.As(err, &he) && he.Code < 500 {
		s.log.Warn("scheduled status can no longer be posted, dropped", "scheduled_id", ss.ID, "reason", he.Msg)
		return false, drop()
	}
	if err != nil {
		return false, err
	}
	st, err := s.fed.Post(ctx, *in)
	if err != nil {
		return false, err
	}
	if err := s.st.RememberIdempotent(ctx, key, st.ID); err != nil {
		return true, err
	}
	s.log.Info("scheduled status posted", "scheduled_id", ss.ID, "status_id", st.ID)
	return true, drop()
}

// startScheduled starts the scheduled-status worker for Run and returns a
// function that waits until it has stopped (once ctx ends). The worker
// sleeps until the next status is due, at most scheduleMaxWait, and a
// minute after an error.
func (s *Server) startScheduled(ctx context.Context) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTimer(0)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			t.Reset(s.scheduledRound(ctx))
		}
	}()
	return func() { <-done }
}

// scheduledRound runs ProcessScheduled once and says how long to sleep.
func (s *Server) scheduledRound(ctx context.Context) time.Duration {
	if _, err := s.ProcessScheduled(ctx); err != nil {
		if ctx.Err() == nil {
			s.log.Error("posting scheduled statuses", "err", err)
		}
		return scheduleMaxWait
	}
	next, err := s.st.NextScheduledAt(ctx)
	if err != nil {
		return scheduleMaxWait
	}
	// A status still due after a round without errors is one more than a
	// round takes: go on at once.
	return min(max(next.Sub(s.oauth.clock()), 0), scheduleMaxWait)
}
