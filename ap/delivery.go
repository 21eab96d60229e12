package ap

// The delivery worker (FEDERATION.md §4.1): every outgoing activity is first
// stored as one job per target inbox (store.Tx.EnqueueDeliveries, in the
// transaction that stores what the activity is about), then signed and
// POSTed from here, with Mastodon's retry policy.
//
// A deliverer reads the due jobs in pages and hands each to its host's
// queue. Each host gets at most deliveryPerHost workers and the deliverer
// at most deliveryInFlight requests, each with its own deadline, so a host
// that is down or hangs ties up its own workers and nothing else. The
// worker loop does not wait for the jobs it handed out before it looks for
// new ones. A host has at most deliveryHostBacklog jobs handed out, so a
// dead host with a long queue cannot take the memory budget either; its
// other jobs stay in the database until there is room.

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"roost/store"
)

const (
	// deliveryTimeout bounds one POST, from dialling to the response headers
	// and the little of the body we read.
	deliveryTimeout = 15 * time.Second
	// deliveryPerHost and deliveryInFlight bound the requests in flight to
	// one host and in all.
	deliveryPerHost  = 4
	deliveryInFlight = 16
	// deliveryMaxAttempts is Mastodon's 16 tries: about two and a half days
	// with deliveryBackoff.
	deliveryMaxAttempts = 16
	// deliveryPage is how many due jobs are read at a time; deliveryLoaded
	// bounds the jobs handed out and not yet settled, deliveryHostBacklog
	// those of one host.
	deliveryPage        = 256
	deliveryLoaded      = 1024
	deliveryHostBacklog = 64
	// deliveryMaxWait is the longest the worker sleeps between checks.
	deliveryMaxWait = time.Minute
	// maxLastError bounds the error text kept with a job.
	maxLastError = 512
)

// Deliver queues body, the activity activityID as marshalled by Marshal, for
// each of inboxes and wakes the delivery worker. Code that stores something
// together with its activity calls tx.EnqueueDeliveries in that transaction
// and then wakeDeliveries instead.
func (f *Federation) Deliver(ctx context.Context, activityID string, body []byte, inboxes []string) error {
	if _, err := f.st.EnqueueDeliveries(ctx, activityID, body, inboxes); err != nil {
		return fmt.Errorf("deliver %s: %w", activityID, err)
	}
	f.wakeDeliveries()
	return nil
}

// wakeDeliveries tells the delivery worker that jobs were queued.
func (f *Federation) wakeDeliveries() { wake(f.wakeDelivery) }

// DeliveryInboxes returns the inboxes that reach accts: each account's
// shared inbox when it has one, else its own inbox, without duplicates or
// empty strings, in the order of accts (FEDERATION.md §4.1: Mastodon uses the
// shared inbox for everything, DMs included; addressing carries visibility).
func DeliveryInboxes(accts []*store.Account) []string {
	var out []string
	seen := make(map[string]bool, len(accts))
	for _, a := range accts {
		if a == nil {
			continue
		}
		inbox := cmp.Or(a.SharedInbox, a.Inbox)
		if inbox == "" || seen[inbox] {
			continue
		}
		seen[inbox] = true
		out = append(out, inbox)
	}
	return out
}

// ProcessDeliveries tries every job due now once, concurrently, and returns
// how many it settled (delivered, dropped or rescheduled). Tests call it to
// drain the queue deterministically; runDeliveries dispatches the same way
// without waiting for the jobs to finish.
func (f *Federation) ProcessDeliveries(ctx context.Context) (int, error) {
	q := f.newDeliverer(ctx, true)
	now := f.now()
	var err error
	for full := true; ; full = false {
		// A job over a host's backlog or the memory budget waits for an
		// earlier one to settle, then comes in the next round.
		if err = q.dispatch(now, full); err != nil || !q.hasSkipped() {
			break
		}
		select {
		case <-q.changed:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	q.wg.Wait()
	n, serr := q.result()
	return n, errors.Join(err, serr)
}

// deliverer hands due jobs to per-host workers. ProcessDeliveries uses one
// for a single pass; runDeliveries keeps one for as long as it runs, so
// that new jobs go out while a slow host's requests are still pending.
type deliverer struct {
	f       *Federation
	ctx     context.Context
	log     *slog.Logger
	client  *http.Client
	slots   chan struct{} // requests in flight
	changed chan struct{} // a settled job needs the dispatcher's attention
	wg      sync.WaitGroup

	mu      sync.Mutex
	hosts   map[string]*hostQueue
	pending map[int64]bool // jobs handed out and not settled yet
	// settledIDs holds the jobs settled since the dispatch began (in a
	// single pass, since the pass began): the dispatch may have read them
	// before their row was deleted or rescheduled, and must not send them
	// again.
	settledIDs map[int64]bool
	single     bool
	active     int // len(pending)
	// The last dispatch left due jobs behind because these hosts had their
	// backlog, or because deliveryLoaded jobs were pending.
	skippedHosts  map[string]bool
	skippedBudget bool
	resume        int64            // where a partial dispatch starts reading (see dispatch)
	behind        map[string]int64 // hosts read apart, and after which id (see dispatch)
	lastFull      time.Time
	deadline      time.Time // when the worker loop dispatches next anyway
	settled       int
	err           error // the first store error since result was called
}

// hostQueue is one host's jobs and workers.
type hostQueue struct {
	jobs    []*store.Delivery
	pending int // queued or being sent
	workers int
}

func (f *Federation) newDeliverer(ctx context.Context, single bool) *deliverer {
	// Never follow a redirect: Go turns a 301/302/303 POST into a GET, and
	// resends a 307/308 with a signature made for another URL; Mastodon does
	// not follow inbox redirects either (FEDERATION.md §9.15). The 3xx comes
	// back as the status and is retried.
	c := *f.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	q := &deliverer{
		f:       f,
		ctx:     ctx,
		log:     f.log.With("queue", "delivery"),
		client:  &c,
		slots:   make(chan struct{}, deliveryInFlight),
		changed: make(chan struct{}, 1),
		hosts:   make(map[string]*hostQueue),
		pending: make(map[int64]bool),
		single:  single,

		settledIDs:   make(map[int64]bool),
		skippedHosts: make(map[string]bool),
		behind:       make(map[string]int64),
	}
	return q
}

// dispatch reads the jobs due at now, page by page, and queues those not
// handed out yet. A full dispatch reads the queue from its start; a
// partial one (after a job settled and freed room) resumes where the last
// one left jobs behind, and stops as soon as the budget is full again:
// reading a 10,000-job fan-out from the start after every settled job
// was most of the CPU of sending it. A host that had its backlog in hand
// when its jobs came up is read apart from then on: it remembers where
// its unread jobs begin (behind), each dispatch tops it up with as many
// as it has room for, and the main reading leaves it out.
func (q *deliverer) dispatch(now time.Time, full bool) error {
	q.mu.Lock()
	clear(q.skippedHosts)
	q.skippedBudget = false
	if !q.single {
		// Every job settled so far has its row updated: queries from
		// here on see that.
		clear(q.settledIDs)
	}
	after := q.resume
	if full {
		after = 0
	}
	type topUp struct {
		host  string
		after int64
		room  int
	}
	var topUps []topUp
	var excluded []string
	for host, b := range q.behind {
		excluded = append(excluded, host)
		room := deliveryHostBacklog
		if h := q.hosts[host]; h != nil {
			room -= h.pending
		}
		if room > 0 {
			topUps = append(topUps, topUp{host: host, after: b, room: room})
		} else {
			q.skippedHosts[host] = true
		}
	}
	q.mu.Unlock()
	for _, u := range topUps {
		jobs, err := q.f.st.DueDeliveriesOfHost(q.ctx, now, u.host, u.after, u.room)
		if err != nil {
			return fmt.Errorf("dispatch deliveries: %w", err)
		}
		last := u.after
		for _, d := range jobs {
			if q.add(d) != addQueued {
				break
			}
			last = d.ID
		}
		q.mu.Lock()
		if len(jobs) < u.room && (len(jobs) == 0 || last == jobs[len(jobs)-1].ID) {
			delete(q.behind, u.host) // caught up: the main reading takes it again
		} else {
			q.behind[u.host] = last
			q.skippedHosts[u.host] = true
		}
		q.mu.Unlock()
	}
	// Jobs queued from now on have larger ids than this: if the reading
	// below gets to the end of the queue, the next one may start there,
	// instead of walking again past the jobs of the hosts read apart.
	last, err := q.f.st.LastDeliveryID(q.ctx)
	if err != nil {
		return fmt.Errorf("dispatch deliveries: %w", err)
	}
	var firstSkipped int64
	end := false
	for q.ctx.Err() == nil {
		// Read no more than there is room for: after one job settles,
		// one row, not a page.
		limit := deliveryPage
		if !full {
			limit = min(limit, max(q.room(), 1))
		}
		page, err := q.f.st.DueDeliveriesAfter(q.ctx, now, after, limit, excluded...)
		if err != nil {
			return fmt.Errorf("dispatch deliveries: %w", err)
		}
		loaded := false
		for _, d := range page {
			after = d.ID
			switch q.add(d) {
			case addBudgetFull:
				if firstSkipped == 0 {
					firstSkipped = d.ID
				}
			case addHostFull:
				// From here on its jobs are read apart (above).
				if !slices.Contains(excluded, d.Host) {
					excluded = append(excluded, d.Host)
				}
			}
			if loaded = q.loaded(); loaded {
				break
			}
		}
		if loaded {
			break
		}
		if len(page) < limit {
			end = true
			break
		}
	}
	q.mu.Lock()
	q.resume = after
	if end {
		q.resume = max(after, last)
	}
	if firstSkipped != 0 {
		q.resume = firstSkipped - 1
	}
	q.mu.Unlock()
	return nil
}

// room is how many more jobs may be handed out.
func (q *deliverer) room() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return deliveryLoaded - q.active
}

// loaded reports whether deliveryLoaded jobs are handed out: nothing more
// can be added until one settles.
func (q *deliverer) loaded() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.active >= deliveryLoaded {
		q.skippedBudget = true
		return true
	}
	return false
}

// Outcomes of add.
const (
	addQueued     = iota // queued, or handed out already
	addHostFull          // its host has deliveryHostBacklog jobs pending
	addBudgetFull        // deliveryLoaded jobs are pending
)

// add queues d on its host, starting a worker for the host if it has fewer
// than deliveryPerHost. It leaves d for a later dispatch when the host has
// deliveryHostBacklog jobs pending or the deliverer deliveryLoaded: a dead
// host with a long queue must not take the memory or the turn of others.
func (q *deliverer) add(d *store.Delivery) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.pending[d.ID] || q.settledIDs[d.ID] {
		return addQueued
	}
	h := q.hosts[d.Host]
	if h == nil {
		h = &hostQueue{}
		q.hosts[d.Host] = h
	}
	// Skipping is safe from stalls: a job of this host, or some job, is
	// pending, and its settling wakes the dispatcher.
	if h.pending >= deliveryHostBacklog {
		q.skippedHosts[d.Host] = true
		if _, ok := q.behind[d.Host]; !ok {
			q.behind[d.Host] = d.ID - 1 // its jobs from here on are read apart
		}
		return addHostFull
	}
	if q.active >= deliveryLoaded {
		q.skippedBudget = true
		return addBudgetFull
	}
	q.pending[d.ID] = true
	q.active++
	h.pending++
	h.jobs = append(h.jobs, d)
	if h.workers < deliveryPerHost {
		h.workers++
		q.wg.Add(1)
		go q.drain(d.Host, h)
	}
	return addQueued
}

// drain sends h's jobs one after another until none is left.
func (q *deliverer) drain(host string, h *hostQueue) {
	defer q.wg.Done()
	for {
		q.mu.Lock()
		if len(h.jobs) == 0 || q.ctx.Err() != nil {
			h.workers--
			if h.workers == 0 && len(h.jobs) == 0 && q.hosts[host] == h {
				delete(q.hosts, host)
			}
			q.mu.Unlock()
			return
		}
		d := h.jobs[0]
		h.jobs[0] = nil
		h.jobs = h.jobs[1:]
		q.mu.Unlock()
		next, settled, err := q.deliver(d)
		q.done(d, h, next, settled, err)
	}
}

// deliver makes one attempt at d and records the outcome: next is when it
// is due again (zero if it was deleted), settled is false if shutdown
// interrupted the attempt.
func (q *deliverer) deliver(d *store.Delivery) (next time.Time, settled bool, err error) {
	select {
	case q.slots <- struct{}{}:
	case <-q.ctx.Done():
		return time.Time{}, false, nil
	}
	status, sendErr := q.f.postActivity(q.ctx, q.client, d)
	<-q.slots
	if sendErr != nil && q.ctx.Err() != nil {
		// Shutting down: this attempt does not count.
		return time.Time{}, false, nil
	}
	// Record a response even when shutdown began meanwhile, so a delivered
	// job is not sent again.
	next, err = q.f.settleDelivery(context.WithoutCancel(q.ctx), q.log, d, status, sendErr)
	return next, true, err
}

// done forgets the pending job d and wakes the dispatcher if it waits for
// room (skipped jobs) or sleeps past d's next attempt.
func (q *deliverer) done(d *store.Delivery, h *hostQueue, next time.Time, settled bool, err error) {
	q.mu.Lock()
	delete(q.pending, d.ID)
	q.active--
	h.pending--
	if settled {
		q.settled++
		q.settledIDs[d.ID] = true
	}
	if err != nil && q.err == nil {
		q.err = err
	}
	nudge := q.skippedBudget || q.skippedHosts[d.Host] ||
		!next.IsZero() && !q.deadline.IsZero() && next.Before(q.deadline)
	q.mu.Unlock()
	if nudge {
		wake(q.changed)
	}
}

func (q *deliverer) hasSkipped() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.skippedBudget || len(q.skippedHosts) > 0
}

// result returns how many jobs were settled and the first store error, and
// forgets the error.
func (q *deliverer) result() (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	err := q.err
	q.err = nil
	return q.settled, err
}

// errBadInbox marks an inbox URL that no retry will reach: not https
// (unless Insecure), or not a URL Roost may request at all.
var errBadInbox = errors.New("inbox not deliverable")

// postActivity POSTs d's body to its inbox with c, signed afresh
// (FEDERATION.md §3.1: never replay a Date), and returns the response status.
func (f *Federation) postActivity(ctx context.Context, c *http.Client, d *store.Delivery) (int, error) {
	if _, err := f.checkURL(d.Inbox); err != nil {
		return 0, fmt.Errorf("%w: %w", errBadInbox, err)
	}
	ctx, cancel := context.WithTimeout(ctx, deliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Inbox, bytes.NewReader(d.Body))
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errBadInbox, err)
	}
	req.Header.Set("Content-Type", ContentType)
	req.Header.Set("User-Agent", f.cfg.UserAgent)
	if err := SignRequest(req, d.Body, f.cfg.URLs.Key(), f.key, f.now(), true); err != nil {
		return 0, fmt.Errorf("post to %s: %w", d.Inbox, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err // *url.Error names the method and URL already
	}
	defer resp.Body.Close()
	// Read a little of the body so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	return resp.StatusCode, nil
}

// settleDelivery deletes or reschedules d after an attempt that got status
// (when sendErr is nil), and returns when d is due again (zero if deleted).
func (f *Federation) settleDelivery(ctx context.Context, log *slog.Logger, d *store.Delivery, status int, sendErr error) (time.Time, error) {
	attempt := d.Attempts + 1
	switch {
	case sendErr == nil && status >= 200 && status < 300:
		log.Debug("delivered", "activity", d.ActivityID, "inbox", d.Inbox, "status", status, "attempt", attempt)
		return time.Time{}, f.st.DeleteDelivery(ctx, d.ID)
	case sendErr == nil && unsalvageable(status):
		log.Info("delivery refused", "activity", d.ActivityID, "inbox", d.Inbox, "status", status, "attempt", attempt)
		return time.Time{}, f.st.DeleteDelivery(ctx, d.ID)
	case errors.Is(sendErr, errBadInbox) || errors.Is(sendErr, ErrForbiddenAddress):
		log.Info("delivery refused", "activity", d.ActivityID, "inbox", d.Inbox, "err", sendErr)
		return time.Time{}, f.st.DeleteDelivery(ctx, d.ID)
	}
	reason := "status " + strconv.Itoa(status)
	if sendErr != nil {
		reason = sendErr.Error()
	}
	if len(reason) > maxLastError {
		reason = reason[:maxLastError]
	}
	if attempt >= deliveryMaxAttempts {
		log.Warn("delivery given up", "activity", d.ActivityID, "inbox", d.Inbox, "attempts", attempt, "err", reason)
		return time.Time{}, f.st.DeleteDelivery(ctx, d.ID)
	}
	next := f.now().Add(deliveryBackoff(attempt, rand.Float64()))
	log.Info("delivery failed", "activity", d.ActivityID, "inbox", d.Inbox, "attempt", attempt, "next_at", next, "err", reason)
	err := f.st.RescheduleDelivery(ctx, d.ID, attempt, next, reason)
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, nil // removed meanwhile: nothing left to do
	}
	return next, err
}

// unsalvageable reports a response that retrying will not change:
// Mastodon's response_error_unsalvageable? (501, and 4xx other than 401,
// 408 and 429). A 401 is retried because the peer may be refetching our key.
func unsalvageable(status int) bool {
	switch status {
	case http.StatusNotImplemented:
		return true
	case http.StatusUnauthorized, http.StatusRequestTimeout, http.StatusTooManyRequests:
		return false
	}
	return status >= 400 && status < 500
}

// deliveryBackoff is the wait after failed attempt n (1-based): Sidekiq's
// n⁴ + 15 s, plus jitter of up to 30% (jitter in [0, 1)) so that jobs that
// failed together do not all come back together. Fifteen waits add up to
// about 2.1 days before jitter, 2.4 on average with it.
func deliveryBackoff(n int, jitter float64) time.Duration {
	base := time.Duration(n*n*n*n+15) * time.Second
	return base + time.Duration(float64(base)*0.3*jitter)
}

// runDeliveries sends queued jobs until ctx ends. After each dispatch it
// sleeps until the next job is due, new jobs are queued (wakeDeliveries), a
// settled job needs attention, or deliveryMaxWait has passed; it does not
// wait for the jobs it handed out, so a host that hangs delays nobody else.
func (f *Federation) runDeliveries(ctx context.Context) error {
	q := f.newDeliverer(ctx, false)
	defer q.wg.Wait()
	full := true
	for {
		now := f.now()
		err := q.dispatch(now, full)
		if ctx.Err() != nil {
			return nil
		}
		_, serr := q.result()
		if err = errors.Join(err, serr); err != nil {
			q.log.Error("delivery worker", "err", err)
		}
		t := time.NewTimer(q.nextWait(now, err))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-f.wakeDelivery:
			full = false // new jobs come after every older one
		case <-q.changed:
			full = false
		case <-t.C:
			full = true
		}
		t.Stop()
		// A retried job due again may lie before where partial dispatches
		// resume: read the whole queue now and then however busy it is.
		if f.now().Sub(q.lastFull) >= deliveryFullScan {
			full = true
		}
		if full {
			q.lastFull = f.now()
		}
	}
}

// deliveryFullScan is how often, at least, the worker reads the whole
// queue.
const deliveryFullScan = 5 * time.Second

// nextWait is how long the worker sleeps after a dispatch at now that
// failed with passErr. Jobs due already are pending or skipped (their
// settling wakes the worker), so it sleeps until the first job due later;
// after a failure, the full deliveryMaxWait, so that a broken store cannot
// make it spin.
func (q *deliverer) nextWait(now time.Time, passErr error) time.Duration {
	wait := deliveryMaxWait
	if passErr == nil {
		next, ok, err := q.f.st.NextDeliveryAfter(q.ctx, now)
		if err == nil && ok {
			wait = min(next.Sub(now), deliveryMaxWait)
		}
	}
	q.mu.Lock()
	q.deadline = now.Add(wait)
	q.mu.Unlock()
	return wait
}
