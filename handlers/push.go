package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"roost/ap"
	"roost/markup"
	"roost/store"
)

// Web Push: the subscription API and the worker that pushes new
// notifications to the apps' push services.
// https://docs.joinmastodon.org/methods/push/

const (
	// pushTTL is how long a push service keeps an undelivered message
	// (Mastodon's 48 hours).
	pushTTL = 48 * time.Hour
	// pushTimeout bounds one request to a push service.
	pushTimeout = 15 * time.Second
	// maxPushResponse is how much of a push service's answer is read.
	maxPushResponse = 64 << 10
	// maxPendingPush bounds the notifications waiting to be matched with
	// subscriptions; the worker takes them within moments.
	maxPendingPush = 1000
	// pushBatch is how many queued pushes are read at a time.
	pushBatch = 20
	// pushErrorWait is how long the worker waits after its own failure
	// (the database, say) before trying again.
	pushErrorWait = time.Minute
	// pushBodyLength is how long the body of a push may be, in
	// characters (Mastodon's truncate(length: 140)).
	pushBodyLength = 140
)

// pushBackoff is when a push that failed is tried again: after the first
// failure, the second, …; after the last it is dropped.
var pushBackoff = []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour, 6 * time.Hour}

// pushAlertTypes are the alerts a subscription has, in Mastodon's order.
var pushAlertTypes = []string{
	store.NotifyMention, "status", store.NotifyReblog, store.NotifyFollow, store.NotifyFollowRequest,
	store.NotifyFavourite, store.NotifyPoll, store.NotifyUpdate, "admin.sign_up", "admin.report",
}

// pushPolicies are whose notifications a subscription pushes.
var pushPolicies = []string{"all", "followed", "follower", "none"}

// WebPushSubscription is Mastodon's WebPushSubscription entity.
// https://docs.joinmastodon.org/entities/WebPushSubscription/
type WebPushSubscription struct {
	ID        string     `json:"id"`
	Endpoint  string     `json:"endpoint"`
	Standard  bool       `json:"standard"`
	Alerts    PushAlerts `json:"alerts"`
	ServerKey string     `json:"server_key"`
	Policy    string     `json:"policy"`
}

// PushAlerts says which notification types a subscription pushes.
type PushAlerts struct {
	Mention       bool `json:"mention"`
	Status        bool `json:"status"`
	Reblog        bool `json:"reblog"`
	Follow        bool `json:"follow"`
	FollowRequest bool `json:"follow_request"`
	Favourite     bool `json:"favourite"`
	Poll          bool `json:"poll"`
	Update        bool `json:"update"`
	AdminSignUp   bool `json:"admin.sign_up"`
	AdminReport   bool `json:"admin.report"`
}

func (s *Server) pushSubscriptionJSON(p *store.PushSubscription) *WebPushSubscription {
	a := p.Alerts
	return &WebPushSubscription{
		ID: strconv.FormatInt(p.TokenID, 10), Endpoint: p.Endpoint, Standard: p.Standard, ServerKey: s.vapidPublic, Policy: p.Policy,
		Alerts: PushAlerts{Mention: a[store.NotifyMention], Status: a["status"], Reblog: a[store.NotifyReblog],
			Follow: a[store.NotifyFollow], FollowRequest: a[store.NotifyFollowRequest], Favourite: a[store.NotifyFavourite],
			Poll: a[store.NotifyPoll], Update: a[store.NotifyUpdate], AdminSignUp: a["admin.sign_up"], AdminReport: a["admin.report"]},
	}
}

// postPushSubscription subscribes the token to Web Push, replacing its
// earlier subscription. Without data[alerts] nothing is pushed, as in
// Mastodon.
func (s *Server) postPushSubscription(w http.ResponseWriter, r *http.Request) error {
	p, err := params(r)
	if err != nil {
		return err
	}
	if !hasPrefixedParam(p, "subscription[") {
		return errorf(http.StatusBadRequest, "param is missing or the value is empty: subscription")
	}
	sub := &store.PushSubscription{
		TokenID:  authFrom(r.Context()).TokenID,
		Endpoint: strings.TrimSpace(p.Get("subscription[endpoint]")),
		P256dh:   strings.TrimSpace(p.Get("subscription[keys][p256dh]")),
		Auth:     strings.TrimSpace(p.Get("subscription[keys][auth]")),
		Standard: pushBool(p.Get("subscription[standard]")),
	}
	switch {
	case sub.Endpoint == "":
		return errorf(http.StatusUnprocessableEntity, "Validation failed: Endpoint can't be blank")
	case !validPushEndpoint(sub.Endpoint):
		return errorf(http.StatusUnprocessableEntity, "Validation failed: Endpoint is not a valid https URL")
	case sub.P256dh == "" || sub.Auth == "":
		return errorf(http.StatusUnprocessableEntity, "Validation failed: Keys can't be blank")
	}
	if _, err := parsePushKeys(sub.P256dh, sub.Auth); err != nil {
		return &httpError{Code: http.StatusUnprocessableEntity, Msg: "Validation failed: Keys are invalid", Err: err}
	}
	sub.Alerts, _ = pushAlertsParam(p)
	policy, err := pushPolicyParam(p)
	if err != nil {
		return err
	}
	sub.Policy = policy
	if err := s.st.PutPushSubscription(r.Context(), sub); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.pushSubscriptionJSON(sub))
	return nil
}

// getPushSubscription shows the token's subscription.
func (s *Server) getPushSubscription(w http.ResponseWriter, r *http.Request) error {
	sub, err := s.st.GetPushSubscription(r.Context(), authFrom(r.Context()).TokenID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.pushSubscriptionJSON(sub))
	return nil
}

// putPushSubscription changes what the token's subscription pushes.
// Mastodon replaces the whole of data; Roost keeps the alerts, or the
// policy, when the request leaves them out, so that an app changing one
// does not silently reset the other.
func (s *Server) putPushSubscription(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, err := params(r)
	if err != nil {
		return err
	}
	sub, err := s.st.GetPushSubscription(ctx, authFrom(ctx).TokenID)
	if err != nil {
		return err
	}
	if alerts, ok := pushAlertsParam(p); ok {
		sub.Alerts = alerts
	}
	if p.Has("data[policy]") {
		if sub.Policy, err = pushPolicyParam(p); err != nil {
			return err
		}
	}
	if err := s.st.UpdatePushSubscription(ctx, sub.TokenID, sub.Alerts, sub.Policy); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.pushSubscriptionJSON(sub))
	return nil
}

// deletePushSubscription unsubscribes the token; like Mastodon it answers
// {} whether or not there was a subscription.
func (s *Server) deletePushSubscription(w http.ResponseWriter, r *http.Request) error {
	if err := s.st.DeletePushSubscription(r.Context(), authFrom(r.Context()).TokenID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

func hasPrefixedParam(p url.Values, prefix string) bool {
	for k := range p {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// pushAlertsParam reads data[alerts][…]; ok is false when there is none.
func pushAlertsParam(p url.Values) (alerts map[string]bool, ok bool) {
	alerts = map[string]bool{}
	for _, t := range pushAlertTypes {
		if vs := p["data[alerts]["+t+"]"]; len(vs) > 0 {
			alerts[t] = pushBool(vs[0])
			ok = true
		}
	}
	return alerts, ok
}

// pushPolicyParam reads data[policy], "all" when absent.
func pushPolicyParam(p url.Values) (string, error) {
	policy := p.Get("data[policy]")
	if policy == "" {
		return "all", nil
	}
	if !contains(pushPolicies, policy) {
		return "", errorf(http.StatusUnprocessableEntity, "Validation failed: Policy is not included in the list")
	}
	return policy, nil
}

// pushBool casts a parameter as Rails does (ActiveModel::Type::Boolean):
// false for "0", "f", "false", "off" and blank, true otherwise.
func pushBool(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "f", "false", "off":
		return false
	}
	return true
}

// validPushEndpoint allows https push services, and plain http only to
// this machine (a local push distributor, and tests): handlers does not
// know whether federation runs insecure.
func validPushEndpoint(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" || u.User != nil {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		if u.Hostname() == "localhost" {
			return true
		}
		ip := net.ParseIP(u.Hostname())
		return ip != nil && ip.IsLoopback()
	}
	return false
}

// pushState is the Web Push worker's: notifications waiting to be matched
// with subscriptions, the wake-up channel, and what sending needs. Its
// zero value is ready.
type pushState struct {
	mu      sync.Mutex
	pending []int64
	wake    chan struct{}
	vapid   *vapidKey
	client  *http.Client
	// now is the worker's clock; nil is time.Now (tests move it).
	now func() time.Time
}

func (p *pushState) wakeChan() chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.wake == nil {
		p.wake = make(chan struct{}, 1)
	}
	return p.wake
}

func (p *pushState) clock() time.Time {
	if p.now != nil {
		return p.now()
	}
	return time.Now()
}

func (p *pushState) takePending() []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := p.pending
	p.pending = nil
	return ids
}

// setPush makes the hub hand every notification event to fn too.
func (h *Hub) setPush(fn func(ap.Event)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.push = fn
}

// pushLocked hands a notification event to Web Push; h.mu is held.
func (h *Hub) pushLocked(e ap.Event) {
	if h.push != nil {
		h.push(e)
	}
}

// queuePush notes a stored notification for the push worker and wakes
// it. It never blocks: it runs inside Hub.Publish.
func (s *Server) queuePush(e ap.Event) {
	if e.Kind != ap.EventNotification {
		return
	}
	s.push.mu.Lock()
	full := len(s.push.pending) >= maxPendingPush
	if !full {
		s.push.pending = append(s.push.pending, e.NotificationID)
	}
	s.push.mu.Unlock()
	if full {
		s.log.Warn("push backlog full, notification not pushed", "notification", e.NotificationID)
	}
	select {
	case s.push.wakeChan() <- struct{}{}:
	default:
	}
}

// startPush runs RunPush in a goroutine of its own and returns a function
// that waits until it has stopped (once ctx ends); Run starts it.
func (s *Server) startPush(ctx context.Context) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.RunPush(ctx)
	}()
	return func() { <-done }
}

// RunPush sends Web Pushes until ctx ends: it wakes when a notification
// is stored and when a retry is due.
func (s *Server) RunPush(ctx context.Context) error {
	log := s.log.With("component", "push")
	wake := s.push.wakeChan()
	for {
		wait := time.Duration(-1)
		if _, err := s.ProcessPush(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			log.Error("pushing notifications", "err", err)
			wait = pushErrorWait
		} else if next, ok, err := s.st.NextPushAt(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			log.Error("pushing notifications", "err", err)
			wait = pushErrorWait
		} else if ok {
			// Never spin: a push due already waits a second.
			wait = max(time.Until(next), time.Second)
		}
		var timer *time.Timer
		var due <-chan time.Time
		if wait >= 0 {
			timer = time.NewTimer(wait)
			due = timer.C
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-due:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// ProcessPush matches the notifications stored since the last call with
// the subscriptions, then sends every push that is due. It returns how
// many pushes it handled (sent, dropped or put back for a retry).
func (s *Server) ProcessPush(ctx context.Context) (int, error) {
	if err := s.enqueuePushes(ctx); err != nil {
		return 0, err
	}
	now := s.push.clock()
	done := 0
	var after int64
	for {
		jobs, err := s.st.DuePushes(ctx, now, after, pushBatch)
		if err != nil || len(jobs) == 0 {
			return done, err
		}
		for _, j := range jobs {
			after = j.ID
			if err := s.sendPush(ctx, j, now); err != nil {
				return done, err
			}
			done++
		}
	}
}

// enqueuePushes queues each pending notification for the subscriptions
// that want it. On failure the rest stay pending.
func (s *Server) enqueuePushes(ctx context.Context) error {
	ids := s.push.takePending()
	if len(ids) == 0 {
		return nil
	}
	subs, err := s.st.ListPushSubscriptions(ctx)
	for i, id := range ids {
		if err == nil {
			err = s.enqueuePush(ctx, id, subs)
		}
		if err != nil {
			s.push.mu.Lock()
			s.push.pending = append(ids[i:], s.push.pending...)
			s.push.mu.Unlock()
			return err
		}
	}
	return nil
}

// enqueuePush queues one notification for the subscriptions whose alerts
// include its type and whose policy lets its sender through.
func (s *Server) enqueuePush(ctx context.Context, id int64, subs []*store.PushSubscription) error {
	if len(subs) == 0 {
		return nil
	}
	n, err := s.st.GetNotification(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil // dismissed already
	}
	if err != nil {
		return err
	}
	owner, err := s.owner(ctx)
	if err != nil {
		return err
	}
	var tokens []int64
	for _, sub := range subs {
		if !sub.Alerts[n.Type] {
			continue
		}
		ok, err := s.pushPolicyAllows(ctx, sub.Policy, owner.ID, n.FromAccountID)
		if err != nil {
			return err
		}
		if ok {
			tokens = append(tokens, sub.TokenID)
		}
	}
	if len(tokens) == 0 {
		return nil
	}
	_, err = s.st.EnqueuePush(ctx, id, tokens)
	return err
}

// pushPolicyAllows applies a subscription's policy to a notification from
// fromID, as Mastodon's Web::PushSubscription#policy_allows_notification?.
func (s *Server) pushPolicyAllows(ctx context.Context, policy string, ownerID, fromID int64) (bool, error) {
	switch policy {
	case "none":
		return false, nil
	case "followed":
		return s.st.Follows(ctx, ownerID, fromID)
	case "follower":
		return s.st.Follows(ctx, fromID, ownerID)
	}
	return true, nil
}

// sendPush sends one queued push and records the outcome. It returns an
// error only when the outcome could not be recorded.
func (s *Server) sendPush(ctx context.Context, j *store.Push, now time.Time) error {
	log := s.log.With("component", "push", "notification", j.NotificationID, "token_id", j.TokenID)
	sub, err := s.st.GetPushSubscription(ctx, j.TokenID)
	if errors.Is(err, store.ErrNotFound) {
		return s.st.DeletePush(ctx, j.ID)
	}
	if err != nil {
		return err
	}
	req, err := s.pushRequest(ctx, sub, j.NotificationID, now)
	if errors.Is(err, store.ErrNotFound) {
		return s.st.DeletePush(ctx, j.ID) // the notification, or its sender or status, is gone
	}
	if err != nil {
		log.Warn("push not built", "err", err)
		return s.retryPush(ctx, j, now, 0)
	}
	log = log.With("host", req.URL.Host) // not the endpoint: it is the app's secret
	resp, err := s.pushClient().Do(req)
	if err != nil {
		log.Warn("push failed", "attempt", j.Attempts+1, "err", err)
		return s.retryPush(ctx, j, now, 0)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxPushResponse))
	resp.Body.Close()
	switch code := resp.StatusCode; {
	case code/100 == 2:
		log.Debug("push sent", "status", code)
		return s.st.DeletePush(ctx, j.ID)
	case code == http.StatusNotFound || code == http.StatusGone:
		// RFC 8030 section 7.3: the subscription has expired.
		log.Info("push subscription expired", "status", code)
		return s.st.DeletePushSubscription(ctx, j.TokenID)
	case code == http.StatusTooManyRequests || code >= 500:
		log.Warn("push failed", "status", code, "attempt", j.Attempts+1)
		return s.retryPush(ctx, j, now, retryAfter(resp.Header.Get("Retry-After"), now))
	default:
		log.Warn("push refused", "status", code)
		return s.st.DeletePush(ctx, j.ID)
	}
}

// retryPush puts a failed push back for later, or drops it after the
// last retry; a push service's Retry-After may lengthen the wait.
func (s *Server) retryPush(ctx context.Context, j *store.Push, now time.Time, after time.Duration) error {
	attempts := j.Attempts + 1
	if attempts > len(pushBackoff) {
		s.log.Warn("push dropped after retries", "component", "push", "notification", j.NotificationID, "attempts", attempts)
		return s.st.DeletePush(ctx, j.ID)
	}
	wait := min(max(pushBackoff[attempts-1], after), pushBackoff[len(pushBackoff)-1])
	err := s.st.ReschedulePush(ctx, j.ID, attempts, now.Add(wait))
	if errors.Is(err, store.ErrNotFound) {
		return nil // unsubscribed meanwhile
	}
	return err
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now)
	}
	return 0
}

// pushClient is the HTTP client for push services: bounded in time and
// never following a redirect (a push service does not send one).
func (s *Server) pushClient() *http.Client {
	s.push.mu.Lock()
	defer s.push.mu.Unlock()
	if s.push.client == nil {
		// The endpoint comes from an app: it must not reach into the
		// owner's network, so it goes through federation's address guard.
		s.push.client = s.fed.GuardedClient(pushTimeout)
	}
	return s.push.client
}

// pushVAPID is the server's VAPID key, loaded once.
func (s *Server) pushVAPID(ctx context.Context) (*vapidKey, error) {
	s.push.mu.Lock()
	k := s.push.vapid
	s.push.mu.Unlock()
	if k != nil {
		return k, nil
	}
	k, err := loadVAPID(ctx, s.st)
	if err != nil {
		return nil, err
	}
	s.push.mu.Lock()
	s.push.vapid = k
	s.push.mu.Unlock()
	return k, nil
}

// pushRequest builds the encrypted push of notification id for sub.
func (s *Server) pushRequest(ctx context.Context, sub *store.PushSubscription, id int64, now time.Time) (*http.Request, error) {
	n, err := s.st.GetNotification(ctx, id)
	if err != nil {
		return nil, err
	}
	payload, err := s.pushPayload(ctx, n)
	if err != nil {
		return nil, err
	}
	key, err := s.pushVAPID(ctx)
	if err != nil {
		return nil, err
	}
	return newPushRequest(ctx, sub, payload, key, s.cfg.BaseURL, now)
}

// pushNotification is the JSON an app decrypts: Mastodon's
// Web::NotificationSerializer without the access token, which Roost does
// not hand to push services. notification_id is a number, as Mastodon
// sends it (Ice Cubes decodes it as an Int).
type pushNotification struct {
	NotificationID   int64  `json:"notification_id"`
	NotificationType string `json:"notification_type"`
	PreferredLocale  string `json:"preferred_locale"`
	Icon             string `json:"icon"`
	Title            string `json:"title"`
	Body             string `json:"body"`
}

// pushPayload renders the push of n: a title as Mastodon's English
// notification_mailer subjects, and a plain-text excerpt of the status
// (its content warning when it has one) or of the sender's bio.
func (s *Server) pushPayload(ctx context.Context, n *store.Notification) ([]byte, error) {
	v, err := s.notificationJSON(ctx, n)
	if err != nil {
		return nil, err
	}
	name := v.Account.DisplayName
	if strings.TrimSpace(name) == "" {
		name = v.Account.Username
	}
	owner, err := s.owner(ctx)
	if err != nil {
		return nil, err
	}
	body := markup.PlainText(v.Account.Note)
	if st := v.Status; st != nil {
		body = st.SpoilerText
		if body == "" {
			body = markup.PlainText(st.Content)
		}
	}
	p := pushNotification{NotificationID: n.ID, NotificationType: n.Type, PreferredLocale: "en",
		Icon: v.Account.AvatarStatic, Title: pushTitle(n.Type, name, n.FromAccountID == owner.ID),
		Body: truncateText(body, pushBodyLength)}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("push payload of notification %d: %w", n.ID, err)
	}
	return b, nil
}

// pushTitle is the title of a push of a notification of typ from name.
func pushTitle(typ, name string, fromOwner bool) string {
	switch typ {
	case store.NotifyMention:
		return name + " mentioned you"
	case "status":
		return name + " just posted"
	case store.NotifyReblog:
		return name + " boosted your post"
	case store.NotifyFollow:
		return name + " followed you"
	case store.NotifyFollowRequest:
		return name + " has requested to follow you"
	case store.NotifyFavourite:
		return name + " favourited your post"
	case store.NotifyPoll:
		if fromOwner {
			return "A poll you created has ended"
		}
		return "A poll by " + name + " has ended"
	case store.NotifyUpdate:
		return name + " edited a post"
	}
	return "New notification from " + name
}

// truncateText shortens s to at most n characters, ending in "…" when cut.
func truncateText(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
