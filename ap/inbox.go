package ap

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"roost/store"
)

// Errors the inbox endpoint maps to statuses.
var (
	// ErrBlocked is an activity from a blocked domain (403).
	ErrBlocked = errors.New("blocked")
	// ErrActorMismatch is an activity signed by someone other than its
	// actor; it is dropped, not applied.
	ErrActorMismatch = errors.New("activity actor is not the signer")
)

// MaxActivitySize bounds the body of a POST to an inbox, as Mastodon
// bounds what it fetches.
const MaxActivitySize = 1 << 20

// Receive verifies a POST to an inbox and queues its activity. It returns
// nil for everything that deserves a 202, including repeats and activities
// it drops on purpose; ErrBadSignature/ErrNoSignature (401), ErrBlocked
// (403) or a decode error (400) otherwise. Nothing is applied here: the
// inbox worker does that, so peers get their answer at once.
func (f *Federation) Receive(ctx context.Context, r *http.Request, body []byte) error {
	act, err := Decode(body)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	actorID := act.Actor.First().ID
	if act.ID == "" || actorID == "" || act.Type == "" {
		return fmt.Errorf("%w: activity needs id, type and actor", ErrMalformed)
	}
	if hostOf(act.ID) != hostOf(actorID) {
		// An activity's id lives on its actor's server; one that names
		// another server's id could shadow a real activity (dedupe is by
		// id) or take over a status uri. Drop it, answering 202.
		f.log.Info("dropped activity with a foreign id", "activity", act.ID, "actor", actorID)
		return nil
	}
	if blocked, err := f.st.DomainBlocked(ctx, hostOf(actorID)); err != nil {
		return err
	} else if blocked {
		return ErrBlocked
	}
	// A Delete of an actor we never knew, by that actor, is the flood a
	// deleted account sends everywhere; its key is gone (410), so answer
	// 202 without fetching anything, as Mastodon does.
	if (act.Type == "Delete" || act.Type == "Update") && act.Object.First().ID == actorID {
		if _, err := f.st.GetAccountByURI(ctx, actorID); errors.Is(err, store.ErrNotFound) {
			return nil
		}
	}
	signer, err := f.VerifyRequest(ctx, r, body)
	if err != nil {
		return err
	}
	if signer.URI != actorID {
		// A forwarded or relayed activity: without a way to trust it
		// second-hand, drop it (as Mastodon does without an LD signature).
		f.log.Info("dropped activity not signed by its actor", "activity", act.ID, "actor", actorID, "signer", signer.URI)
		return nil
	}
	// Handed over before queueing: the worker may apply it at once.
	f.decoded.put(act, signer)
	queued, err := f.st.EnqueueInbox(ctx, act.ID, signer.URI, body, f.now())
	if err != nil || !queued {
		f.decoded.take(act.ID)
		return err
	}
	wake(f.wakeInbox)
	return nil
}

// ErrMalformed is a body that is not an activity (400).
var ErrMalformed = errors.New("malformed activity")

// VerifyRequest checks the HTTP signature of r and returns the account
// that signed it. On failure it refetches the key once, in case the peer
// rotated it.
func (f *Federation) VerifyRequest(ctx context.Context, r *http.Request, body []byte) (*store.Account, error) {
	params, err := RequestSignature(r, body, f.now())
	if err != nil {
		return nil, err
	}
	if hostOf(params.KeyID) == f.cfg.URLs.Host() {
		return nil, fmt.Errorf("%w: key of this server", ErrBadSignature)
	}
	if acct, key, ok := f.keys.get(params.KeyID, f.now()); ok && params.Verify(r, key) == nil {
		return acct, nil
	}
	acct, key, err := f.PublicKey(ctx, params.KeyID, false)
	if err == nil {
		if err = params.Verify(r, key); err == nil {
			f.keys.put(params.KeyID, acct, key, f.now())
			return acct, nil
		}
	}
	// Refetch once, for key rotation, but not for every bad request: a
	// stream of forgeries naming someone's key must not make us fetch
	// their actor each time (Mastodon holds off for five minutes too).
	if !f.refetches.allow(params.KeyID, f.now()) {
		if err == nil {
			err = ErrBadSignature
		}
		return nil, fmt.Errorf("%w: key %s (refetched recently): %w", ErrBadSignature, params.KeyID, err)
	}
	acct, key, ferr := f.PublicKey(ctx, params.KeyID, true)
	if ferr != nil {
		return nil, fmt.Errorf("%w: key %s: %w", ErrBadSignature, params.KeyID, ferr)
	}
	if err := params.Verify(r, key); err != nil {
		return nil, err
	}
	f.keys.put(params.KeyID, acct, key, f.now())
	return acct, nil
}

// hostOf is the authority of an absolute URL, or "".
func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return strings.ToLower(p.Host)
}

// inboxBatch is how many queued activities one pass applies.
const inboxBatch = 64

// maxInboxAttempts bounds retries of an activity whose application failed
// for a reason that may pass (a peer being down while we fetch).
const maxInboxAttempts = 6

// inboxLanes is how many activities are applied at once. Each signer's
// activities stay in one lane, in the order they arrived, so that an
// actor's Create, Update and Delete of a note are applied in turn; lanes
// overlap one activity's fetches with another's writes, and their writes
// share commits (see store's group commit).
const inboxLanes = 4

// ProcessInbox applies every queued activity due now, once, and returns
// how many it handled. Tests call it to drain the queue deterministically.
func (f *Federation) ProcessInbox(ctx context.Context) (int, error) {
	items, err := f.st.DueInbox(ctx, f.now(), inboxBatch)
	if err != nil {
		return 0, err
	}
	var lanes [inboxLanes][]*store.InboxItem
	for _, it := range items {
		h := fnv.New32a()
		h.Write([]byte(it.Signer))
		l := h.Sum32() % inboxLanes
		lanes[l] = append(lanes[l], it)
	}
	var wg sync.WaitGroup
	errs := make([]error, inboxLanes)
	done := make([][]int64, inboxLanes)
	for l, lane := range lanes {
		if len(lane) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, it := range lane {
				finished, err := f.processQueued(ctx, it)
				if err != nil {
					errs[l] = err
					return
				}
				if finished {
					done[l] = append(done[l], it.ID)
				}
			}
		}()
	}
	wg.Wait()
	// The applied leave the queue together, in one commit rather than one
	// each. A crash before it applies them again at the next start, which
	// is harmless: applying an activity twice changes nothing (a status,
	// favourite or follow is stored once, by its id).
	if err := f.st.DeleteInbox(context.WithoutCancel(ctx), slices.Concat(done...)...); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	return len(items), nil
}

// processQueued applies one queued activity, or schedules a retry. It
// reports whether the activity is finished with, to be removed from the
// queue.
func (f *Federation) processQueued(ctx context.Context, it *store.InboxItem) (finished bool, err error) {
	err = f.applyQueued(ctx, it)
	switch {
	case err == nil || isPermanent(err):
		if err != nil {
			f.log.Info("activity not applied", "activity", it.ActivityID, "err", err)
		}
		return true, nil
	case ctx.Err() != nil:
		return false, ctx.Err()
	case it.Attempts+1 >= maxInboxAttempts:
		f.log.Warn("activity given up", "activity", it.ActivityID, "attempts", it.Attempts+1, "err", err)
		return true, nil
	default:
		delay := time.Duration(1<<(2*it.Attempts)) * 30 * time.Second // 30 s, 2 min, 8 min, 32 min…
		f.log.Info("activity retry", "activity", it.ActivityID, "attempt", it.Attempts+1, "err", err)
		return false, f.st.RetryInbox(ctx, it.ID, it.Attempts+1, f.now().Add(delay), err.Error())
	}
}

func (f *Federation) applyQueued(ctx context.Context, it *store.InboxItem) (err error) {
	// A bug in applying one activity must not take the server down: the
	// activity is dropped and the fault logged.
	defer func() {
		if v := recover(); v != nil {
			f.log.Error("panic applying activity", "activity", it.ActivityID, "panic", v)
			err = permanent(fmt.Errorf("panic: %v", v))
		}
	}()
	// Bound the work one activity may cause (fetches of parents,
	// mentions, boosted statuses).
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	act, signer, ok := f.decoded.take(it.ActivityID)
	if !ok || signer.URI != it.Signer {
		if act, err = Decode(it.Body); err != nil {
			return permanent(err)
		}
		if signer, err = f.st.GetAccountByURI(ctx, it.Signer); err != nil {
			return permanent(fmt.Errorf("signer %s: %w", it.Signer, err))
		}
	}
	return f.apply(ctx, signer, act)
}

// errPermanent marks failures that retrying cannot mend.
var errPermanent = errors.New("permanent")

func permanent(err error) error { return fmt.Errorf("%w: %w", errPermanent, err) }

// isPermanent reports whether retrying err is pointless: a refusal on
// purpose, or a fetch that no retry can make allowed.
func isPermanent(err error) bool {
	for _, e := range []error{errPermanent, ErrInsecureURL, ErrForbiddenAddress, ErrLocalURI, ErrGone, ErrNotActivityJSON} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// runInbox applies queued activities until ctx ends, sleeping until the
// next one is due or new work arrives.
func (f *Federation) runInbox(ctx context.Context) error {
	var pruned time.Time
	for {
		if now := f.now(); now.Sub(pruned) > 24*time.Hour {
			// Dedupe ids older than a month are forgotten once a day.
			if err := f.st.PruneSeenActivities(ctx, now.Add(-30*24*time.Hour)); err != nil && ctx.Err() == nil {
				f.log.Error("pruning seen activities", "err", err)
			}
			pruned = now
		}
		n, err := f.ProcessInbox(ctx)
		if err != nil && ctx.Err() == nil {
			f.log.Error("inbox worker", "err", err)
		}
		if n == inboxBatch {
			continue
		}
		wait := time.Minute
		if next, ok, err := f.st.NextInboxAt(ctx); err == nil && ok {
			if d := next.Sub(f.now()); d < wait {
				wait = max(d, 10*time.Millisecond)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-f.wakeInbox:
		case <-t.C:
		}
		t.Stop()
	}
}

// Run runs the inbox and delivery workers, and closes polls on time,
// until ctx ends.
func (f *Federation) Run(ctx context.Context) error {
	errc := make(chan error, 3)
	go func() { errc <- f.runInbox(ctx) }()
	go func() { errc <- f.runDeliveries(ctx) }()
	go func() { errc <- f.runPolls(ctx) }()
	return errors.Join(<-errc, <-errc, <-errc)
}

// runPolls closes the owner's expired polls once a minute.
func (f *Federation) runPolls(ctx context.Context) error {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if _, err := f.ClosePolls(ctx); err != nil && ctx.Err() == nil {
			f.log.Error("closing polls", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// maxDecoded bounds the activities kept decoded for the worker: about an
// inbox pass's worth, a few MB at most.
const maxDecoded = 2 * inboxBatch

// decodedActivities keeps the activities Receive decoded, with the
// account that signed each, until the inbox worker applies them, so that
// each is decoded and its signer read once, not twice (together a third
// of applying a Create). An activity missing here (the map was full, or
// Roost restarted) is decoded again from the queued body.
type decodedActivities struct {
	mu sync.Mutex
	m  map[string]decodedActivity
}

type decodedActivity struct {
	act    *Object
	signer *store.Account
}

func (d *decodedActivities) put(act *Object, signer *store.Account) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil {
		d.m = map[string]decodedActivity{}
	}
	if len(d.m) < maxDecoded {
		d.m[act.ID] = decodedActivity{act, signer}
	}
}

func (d *decodedActivities) take(id string) (*Object, *store.Account, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.m[id]
	delete(d.m, id)
	return e.act, e.signer, ok
}

// keyRefetchInterval is how long a key refetched after a failed
// verification is not refetched again.
const keyRefetchInterval = 5 * time.Minute

// refetchLimiter remembers when each key was last refetched. It forgets
// old entries, so it stays small.
type refetchLimiter struct {
	mu   sync.Mutex
	last map[string]time.Time
}

func (l *refetchLimiter) allow(keyID string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last = map[string]time.Time{}
	}
	if t, ok := l.last[keyID]; ok && now.Sub(t) < keyRefetchInterval {
		return false
	}
	makeRoom(l.last, 1000, func(t time.Time) bool { return now.Sub(t) >= keyRefetchInterval })
	l.last[keyID] = now
	return true
}
