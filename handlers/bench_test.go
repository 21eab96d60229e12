package handlers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"roost/ap"
	"roost/store"
)

// BenchmarkInboxCreate measures signed Create activities from a followed
// actor: POSTed to the shared inbox (verified and queued, answered 202)
// and then applied by the inbox worker. It reports both rates.
//
//	go test ./handlers -run XXX -bench InboxCreate -benchtime 2000x
func BenchmarkInboxCreate(b *testing.B) {
	ctx := context.Background()
	n := newFedNet()
	a := newInstance(b, n, "a.test", "alice", false)
	peer := newInstance(b, n, "b.test", "bob", false)
	a.followHandle("bob@b.test")
	settle(b, a, peer)
	key, err := ap.ParsePrivateKeyPEM(peer.key)
	if err != nil {
		b.Fatal(err)
	}
	reqs := make([]*http.Request, b.N)
	for i := range reqs {
		id := peer.urls.Status(int64(1000 + i))
		body := []byte(fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"%s/activity","type":"Create",
			"actor":"%s","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["%s"],"object":{"id":"%s","type":"Note",
			"attributedTo":"%s","content":"<p>post number %d with a <a href=\"https://example.org\">link</a></p>",
			"published":"%s","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["%s"]}}`,
			id, peer.urls.Actor(), peer.urls.Followers(), id, peer.urls.Actor(), i,
			time.Now().UTC().Format(time.RFC3339), peer.urls.Followers()))
		req, _ := http.NewRequest("POST", a.urls.SharedInbox(), bytes.NewReader(body))
		if err := ap.SignRequest(req, body, peer.urls.Key(), key, time.Now(), true); err != nil {
			b.Fatal(err)
		}
		reqs[i] = req
	}
	client := &http.Client{Transport: &http.Transport{DialContext: n.dial, MaxIdleConnsPerHost: 8}}
	b.ResetTimer()
	start := time.Now()
	for _, req := range reqs {
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 202 {
			b.Fatalf("inbox answered %d", resp.StatusCode)
		}
	}
	accepted := time.Since(start)
	start = time.Now()
	for {
		done, err := a.fed.ProcessInbox(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if done == 0 {
			break
		}
	}
	applied := time.Since(start)
	b.StopTimer()
	if got, _ := a.st.CountStatuses(ctx, a.accountOf(peer).ID, store.Public); got != b.N {
		b.Fatalf("%d statuses stored, want %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/accepted.Seconds(), "accepted/s")
	b.ReportMetric(float64(b.N)/applied.Seconds(), "applied/s")
}

// BenchmarkHomeTimeline measures GET /api/v1/timelines/home?limit=40 over
// HTTP with 100,000 statuses stored (from 50 followed accounts and the
// owner), and reports the median and p99 latency. ROOST_BENCH_STATUSES
// sets another count.
//
//	go test ./handlers -run XXX -bench HomeTimeline -benchtime 2000x
//	ROOST_BENCH_STATUSES=1000000 go test ./handlers -run XXX -bench HomeTimeline -benchtime 2000x
func BenchmarkHomeTimeline(b *testing.B) {
	const authors = 50
	total := 100_000
	if v := os.Getenv("ROOST_BENCH_STATUSES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("ROOST_BENCH_STATUSES=%q: want a positive count", v)
		}
		total = n
	}
	e := newTestEnv(b)
	ctx := context.Background()
	var accts []*store.Account
	for i := 0; i < authors; i++ {
		a := &store.Account{URI: fmt.Sprintf("https://r%d.test/users/u", i), Username: "u", Domain: fmt.Sprintf("r%d.test", i),
			FollowersURL: fmt.Sprintf("https://r%d.test/users/u/followers", i)}
		if err := e.st.InsertAccount(ctx, a); err != nil {
			b.Fatal(err)
		}
		if err := e.st.InsertFollow(ctx, &store.Follow{AccountID: e.owner.ID, TargetAccountID: a.ID, ShowReblogs: true}); err != nil {
			b.Fatal(err)
		}
		accts = append(accts, a)
	}
	start := time.Now().Add(-time.Duration(total) * time.Second)
	for done := 0; done < total; {
		err := e.st.Update(ctx, func(tx *store.Tx) error {
			for j := 0; j < 1000 && done < total; j, done = j+1, done+1 {
				a := accts[done%authors]
				st := &store.Status{URI: fmt.Sprintf("%s/s/%d", a.URI, done), AccountID: a.ID, Visibility: store.Public,
					Content:   "<p>a status of ordinary length, with a <a href=\"https://example.org\">link</a> in it</p>",
					CreatedAt: start.Add(time.Duration(done) * time.Second)}
				if err := tx.InsertStatus(st, nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	token := e.oauthToken("read")
	client := &http.Client{}
	get := func() time.Duration {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/timelines/home?limit=40", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("home: %d", resp.StatusCode)
		}
		return time.Since(t0)
	}
	get() // warm the caches once
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		lat = append(lat, get())
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
