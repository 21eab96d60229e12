package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"roost/store"
)

// seeded returns a stopped instance holding n statuses, seeding it once,
// and reports the database bytes the statuses added.
func (b *bench) seeded(ctx context.Context, n int) (*instance, error) {
	if in, ok := b.seededDirs[n]; ok {
		return in, nil
	}
	in, err := b.newInstance(ctx, fmt.Sprintf("statuses-%d", n))
	if err != nil {
		return nil, err
	}
	st, err := in.open(ctx)
	if err != nil {
		return nil, err
	}
	st.Checkpoint(ctx)
	before := in.dbBytes()
	t0 := time.Now()
	err = seedStatuses(ctx, st, n)
	if err == nil {
		err = st.Checkpoint(ctx)
	}
	after := in.dbBytes()
	st.Close()
	if err != nil {
		return nil, err
	}
	fmt.Printf("# seeded %d statuses in %v\n", n, time.Since(t0).Round(time.Millisecond))
	b.seededDirs[n] = in
	b.seedBytes[n] = after - before
	return in, nil
}

func (b *bench) figTimeline(ctx context.Context) error {
	for _, n := range b.statuses {
		in, err := b.seeded(ctx, n)
		if err != nil {
			return err
		}
		srv, err := in.start()
		if err != nil {
			return err
		}
		a := srv.app(in)
		get := func() (time.Duration, error) {
			t0 := time.Now()
			code, body, err := a.do("GET", "/api/v1/timelines/home?limit=40", "", nil)
			if err == nil && code != http.StatusOK {
				err = fmt.Errorf("home timeline: %d %.200s", code, body)
			}
			return time.Since(t0), err
		}
		if _, err := get(); err != nil { // warm the caches once
			srv.kill()
			return err
		}
		lat := make([]time.Duration, 0, b.samples)
		cpuDone := func() error { return nil }
		if n == b.statuses[len(b.statuses)-1] {
			cpuDone = in.prof.cpu(fmt.Sprintf("timeline-%d", n), 5*time.Second)
		}
		for range b.samples {
			d, err := get()
			if err != nil {
				srv.kill()
				return err
			}
			lat = append(lat, d)
		}
		if err := errors.Join(in.prof.heap(fmt.Sprintf("timeline-%d", n)), cpuDone()); err != nil {
			srv.kill()
			return fmt.Errorf("profiles: %w", err)
		}
		slices.Sort(lat)
		line(fmt.Sprintf("home_median_ms_%d", n), ms(lat[len(lat)/2]), "")
		line(fmt.Sprintf("home_p99_ms_%d", n), ms(lat[len(lat)*99/100]), fmt.Sprintf("%d sequential requests", b.samples))
		if err := srv.stop(); err != nil {
			return err
		}
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// figStartup times exec to the first answered /.well-known/nodeinfo on the
// largest seeded file, best of three.
func (b *bench) figStartup(ctx context.Context) error {
	n := b.statuses[len(b.statuses)-1]
	in, err := b.seeded(ctx, n)
	if err != nil {
		return err
	}
	var best time.Duration
	for i := range 3 {
		srv, err := in.start()
		if err != nil {
			return err
		}
		if i == 0 || srv.startup < best {
			best = srv.startup
		}
		if err := srv.stop(); err != nil {
			return err
		}
	}
	line(fmt.Sprintf("startup_ms_%d", n), ms(best), "exec to first answered /.well-known/nodeinfo, best of 3")
	return nil
}

// figFanout times one public post, from POST /api/v1/statuses to the last
// distinct shared inbox reached, for each count of followers.
func (b *bench) figFanout(ctx context.Context) error {
	for _, n := range b.fanouts {
		sk, err := newSink()
		if err != nil {
			return err
		}
		err = b.fanout(ctx, sk, n)
		sk.close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) fanout(ctx context.Context, sk *sink, n int) error {
	in, err := b.newInstance(ctx, fmt.Sprintf("fanout-%d", n))
	if err != nil {
		return err
	}
	st, err := in.open(ctx)
	if err != nil {
		return err
	}
	_, err = seedAccounts(ctx, st, n, false, func(i int) *store.Account {
		d := fmt.Sprintf("f%05d.example", i)
		u := "https://" + d + "/users/u"
		return &store.Account{URI: u, Username: "u", Domain: d, Inbox: u + "/inbox",
			SharedInbox: fmt.Sprintf("%s/inbox/%d", sk.base, i), FollowersURL: u + "/followers", FetchedAt: time.Now()}
	})
	st.Close()
	if err != nil {
		return err
	}
	srv, err := in.start()
	if err != nil {
		return err
	}
	defer srv.kill()
	a := srv.app(in)
	cpuDone := in.prof.cpu(fmt.Sprintf("fanout-%d", n), 10*time.Second)
	defer cpuDone()
	t0 := time.Now()
	code, body, err := a.do("POST", "/api/v1/statuses", "application/json",
		bytes.NewReader([]byte(`{"status":"one public post for the fan-out benchmark","visibility":"public"}`)))
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("POST /api/v1/statuses: %d %.200s", code, body)
	}
	answered := time.Since(t0)
	deadline := t0.Add(b.wait)
	for {
		got, last := sk.distinct()
		if got >= n {
			line(fmt.Sprintf("fanout_s_%d", n), last.Sub(t0).Seconds(),
				fmt.Sprintf("%d distinct shared inboxes on one loopback sink; POST answered in %.1f ms", n, ms(answered)))
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d inboxes reached after %v; server log ends:\n%s", got, n, b.wait, tail(srv.stderr.String(), 2000))
		}
		time.Sleep(10 * time.Millisecond)
	}
	return srv.stop()
}

// figDisk reports database bytes per 100,000 remote statuses (scaled from
// the largest seeded count) and bytes written per applied activity.
func (b *bench) figDisk(ctx context.Context) error {
	n := b.statuses[len(b.statuses)-1]
	if _, err := b.seeded(ctx, n); err != nil {
		return err
	}
	line("db_bytes_per_100000_statuses", float64(b.seedBytes[n])*100000/float64(n),
		fmt.Sprintf("after a WAL checkpoint, measured over %d seeded statuses", n))
	r, err := b.runInbox(ctx)
	if err != nil {
		return err
	}
	if r.appliedInPhase == 0 || r.writeBytes < 0 {
		return fmt.Errorf("no write_bytes (applied %d)", r.appliedInPhase)
	}
	line("write_bytes_per_applied_activity", float64(r.writeBytes)/float64(r.appliedInPhase),
		"write_bytes from /proc/PID/io during the inbox load with keys known")
	return nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
