package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"roost/ap"
	"roost/store"
)

// inboxResult is what one inbox load measured.
type inboxResult struct {
	sent, accepted, applied   int
	firstPerS                 float64 // first contact: each POST needs its actor's key fetched
	acceptedPerS, appliedPerS float64 // then, with every key known
	rssPeakMB                 float64
	writeBytes                int64 // during the second phase
	appliedInPhase            int
	actorFetches              int
	runs                      []*inboxResult // every run, for the spread
}

// runInbox starts a roost following b.actors remote actors known by URI
// only, and sends b.activities signed Creates to /inbox with b.workers
// senders, in two phases. First one Create per actor: each needs the
// actor's key fetched from the tool (a signed GET), as when a server first
// hears from someone. Then the rest, with every key known, as in steady
// operation. After each phase it waits (at most b.wait) for the inbox queue
// to drain.
func (b *bench) runInbox(ctx context.Context) (*inboxResult, error) {
	if b.inbox != nil {
		return b.inbox, nil
	}
	var runs []*inboxResult
	for i := range b.runs {
		r, err := b.inboxOnce(ctx, fmt.Sprintf("inbox-%d", i+1), i == 0)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	// Each rate is the median of the runs, and the notes give the spread;
	// the rest comes from the run with the median accepted/s. Memory is
	// the largest peak of any run.
	slices.SortFunc(runs, func(x, y *inboxResult) int { return cmp.Compare(x.acceptedPerS, y.acceptedPerS) })
	r := *runs[len(runs)/2]
	r.runs = runs
	r.firstPerS = median(runs, func(o *inboxResult) float64 { return o.firstPerS })
	r.appliedPerS = median(runs, func(o *inboxResult) float64 { return o.appliedPerS })
	for _, o := range runs {
		r.rssPeakMB = max(r.rssPeakMB, o.rssPeakMB)
	}
	b.inbox = &r
	return b.inbox, nil
}

func median(runs []*inboxResult, f func(*inboxResult) float64) float64 {
	v := make([]float64, len(runs))
	for i, o := range runs {
		v[i] = f(o)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// spread is "min–max over N runs" of one figure.
func (r *inboxResult) spread(f func(*inboxResult) float64) string {
	lo, hi := f(r.runs[0]), f(r.runs[0])
	for _, o := range r.runs {
		lo, hi = min(lo, f(o)), max(hi, f(o))
	}
	return fmt.Sprintf("median of %d runs, %.0f–%.0f", len(r.runs), lo, hi)
}

// inboxOnce is one inbox load on a fresh data directory; it saves
// profiles when profile is set.
func (b *bench) inboxOnce(ctx context.Context, name string, profile bool) (*inboxResult, error) {
	peers, err := newActors(b.keys)
	if err != nil {
		return nil, err
	}
	defer peers.close()
	in, err := b.newInstance(ctx, name)
	if err != nil {
		return nil, err
	}
	st, err := in.open(ctx)
	if err != nil {
		return nil, err
	}
	_, err = seedAccounts(ctx, st, b.actors, true, func(i int) *store.Account {
		u := peers.actor(i)
		return &store.Account{URI: u, Username: peers.name(i), Domain: peers.host, Inbox: u + "/inbox",
			SharedInbox: peers.base + "/inbox", FollowersURL: u + "/followers"}
	})
	st.Close()
	if err != nil {
		return nil, err
	}
	reqs, err := b.signCreates(peers, "http://"+in.addr+"/inbox")
	if err != nil {
		return nil, err
	}
	srv, err := in.start()
	if err != nil {
		return nil, err
	}
	defer srv.kill()
	mon, err := in.open(ctx)
	if err != nil {
		return nil, err
	}
	defer mon.Close()
	r := &inboxResult{sent: len(reqs)}
	samp := sampleRSS(srv.pid)
	drain := func() error {
		deadline := time.Now().Add(b.wait)
		for {
			n, err := mon.CountInbox(ctx)
			if err != nil || n == 0 {
				return err
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("inbox queue still holds %d activities after %v; server log ends:\n%s",
					n, b.wait, tail(srv.stderr.String(), 2000))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	first := min(b.actors, len(reqs))
	n, d := b.post(reqs[:first])
	r.accepted += n
	r.firstPerS = float64(n) / d.Seconds()
	if err := drain(); err != nil {
		return nil, err
	}
	applied0, err := b.countApplied(ctx, mon, peers)
	if err != nil {
		return nil, err
	}
	w0 := writeBytes(srv.pid)
	if !profile {
		in.prof.dir = ""
	}
	cpuDone := in.prof.cpu("inbox", 10*time.Second)
	start := time.Now()
	n, d = b.post(reqs[first:])
	r.accepted += n
	r.acceptedPerS = float64(n) / d.Seconds()
	if err := drain(); err != nil {
		return nil, err
	}
	applyTime := time.Since(start)
	r.writeBytes = writeBytes(srv.pid) - w0
	if err := errors.Join(in.prof.heap("inbox"), cpuDone()); err != nil {
		return nil, fmt.Errorf("profiles: %w", err)
	}
	r.rssPeakMB = samp.peak()
	if r.applied, err = b.countApplied(ctx, mon, peers); err != nil {
		return nil, err
	}
	r.appliedInPhase = r.applied - applied0
	r.appliedPerS = float64(r.appliedInPhase) / applyTime.Seconds()
	peers.mu.Lock()
	r.actorFetches = peers.fetches
	peers.mu.Unlock()
	if err := srv.stop(); err != nil {
		return nil, err
	}
	return r, nil
}

// signCreates signs every Create beforehand, so that signing is not
// measured; Create i comes from actor i % b.actors.
func (b *bench) signCreates(peers *actors, inbox string) ([]*http.Request, error) {
	reqs := make([]*http.Request, b.activities)
	var wg sync.WaitGroup
	var signErr atomic.Value
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(reqs); i += 8 {
				a := i % b.actors
				body := peers.create(a, i)
				req, _ := http.NewRequest("POST", inbox, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/activity+json")
				if err := ap.SignRequest(req, body, peers.keyID(a), peers.key(a), time.Now(), true); err != nil {
					signErr.Store(err)
				}
				reqs[i] = req
			}
		}()
	}
	wg.Wait()
	if err, _ := signErr.Load().(error); err != nil {
		return nil, err
	}
	return reqs, nil
}

// post sends reqs with b.workers senders and returns how many were
// answered 202 and how long sending took.
func (b *bench) post(reqs []*http.Request) (int, time.Duration) {
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: b.workers}}
	var next, accepted atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range b.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(reqs) {
					return
				}
				resp, err := client.Do(reqs[i])
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted {
					accepted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return int(accepted.Load()), time.Since(start)
}

// countApplied counts the statuses stored from the tool's actors.
func (b *bench) countApplied(ctx context.Context, mon *store.Store, peers *actors) (int, error) {
	total := 0
	for i := range b.actors {
		a, err := mon.GetAccountByURI(ctx, peers.actor(i))
		if err != nil {
			return 0, err
		}
		n, err := mon.CountStatuses(ctx, a.ID, store.Public)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

func (b *bench) figInbox(ctx context.Context) error {
	r, err := b.runInbox(ctx)
	if err != nil {
		return err
	}
	line("inbox_first_contact_per_s", r.firstPerS, fmt.Sprintf("one Create from each of %d actors, each answered after fetching its key (%d signed GETs); %s",
		b.actors, r.actorFetches, r.spread(func(o *inboxResult) float64 { return o.firstPerS })))
	line("inbox_accepted_per_s", r.acceptedPerS, fmt.Sprintf("%d Creates from the same actors, keys known; %d/%d answered 202 in all; %d actors sharing %d RSA keys, %d workers; %s",
		r.sent-min(b.actors, r.sent), r.accepted, r.sent, b.actors, b.keys, b.workers, r.spread(func(o *inboxResult) float64 { return o.acceptedPerS })))
	line("inbox_applied_per_s", r.appliedPerS, fmt.Sprintf("%d statuses stored, from the first of those POSTs to an empty inbox queue (%d in all); %s",
		r.appliedInPhase, r.applied, r.spread(func(o *inboxResult) float64 { return o.appliedPerS })))
	return nil
}
