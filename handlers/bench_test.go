package handlers

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
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
	if err := a.fed.Follow(ctx, a.resolve("bob@b.test")); err != nil {
		b.Fatal(err)
	}
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
