package handlers

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"roost/ap"
	"roost/store"
)

// TestPrivateStatusesStayPrivate: search, favourited_by and account
// statuses never show followers-only statuses or direct messages to
// anonymous readers.
func TestPrivateStatusesStayPrivate(t *testing.T) {
	e := newTestEnv(t)
	dm := e.post("<p>secret words here</p>", func(s *store.Status) { s.Visibility = store.Direct })
	e.post("<p>secret words for followers</p>", func(s *store.Status) { s.Visibility = store.Private })
	e.post("<p>public words</p>", nil)
	for _, path := range []string{
		"/api/v2/search?q=secret",
		"/api/v2/search?q=secret&type=statuses",
		"/api/v2/search?q=" + e.urls.Status(dm.ID),
	} {
		_, body := e.get(path, "")
		if strings.Contains(body, "secret") {
			t.Errorf("anonymous %s shows a private status: %s", path, body)
		}
	}
	for _, path := range []string{
		fmt.Sprintf("/api/v1/statuses/%d/favourited_by", dm.ID),
		fmt.Sprintf("/api/v1/statuses/%d/reblogged_by", dm.ID),
	} {
		if resp, _ := e.get(path, ""); resp.StatusCode != 404 {
			t.Errorf("anonymous %s: %d, want 404", path, resp.StatusCode)
		}
	}
	// The owner still finds them.
	tok := e.oauthToken("read")
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v2/search?q=secret&type=statuses", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"visibility":"direct"`) || !strings.Contains(string(b), `"visibility":"private"`) {
		t.Errorf("the owner's search did not find both: %s", b)
	}
}

// TestBoostOfPrivateStatusIsRefused: a followed account's public boost of
// a followers-only status is not stored, so it cannot republish it.
func TestBoostOfPrivateStatusIsRefused(t *testing.T) {
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	b := newInstance(t, n, "b.test", "bob", false)
	c := newInstance(t, n, "c.test", "carol", false)
	a.followHandle("bob@b.test")
	a.followHandle("carol@c.test")
	settle(t, a, b, c)
	private := c.post("<p>carol for followers</p>", store.Private)
	settle(t, a, b, c)
	body := []byte(fmt.Sprintf(`{"id":"%s/boost/1","type":"Announce","actor":"%s","to":["https://www.w3.org/ns/activitystreams#Public"],"object":"%s"}`,
		b.urls.Actor(), b.urls.Actor(), private.URI))
	if got := signedPost(t, n, a, b.urls.Key(), b.key, body, time.Now(), nil); got != 202 {
		t.Fatalf("POST: %d", got)
	}
	settle(t, a, b, c)
	if st := a.status(b.urls.Actor() + "/boost/1"); st != nil {
		t.Error("a public boost of a followers-only status was stored")
	}
}

// TestForeignActivityIDsAndVotes: an activity whose id names another
// server is dropped; votes on a followers-only poll need a follower.
func TestForeignActivityIDsAndVotes(t *testing.T) {
	ctx := context.Background()
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	b := newInstance(t, n, "b.test", "bob", false)
	a.followHandle("bob@b.test")
	settle(t, a, b)
	pub := a.post("<p>a public post</p>", store.Public)
	// Bob boosts it with an id on a.test: dropped.
	body := []byte(fmt.Sprintf(`{"id":"%s/shadow","type":"Announce","actor":"%s","to":["https://www.w3.org/ns/activitystreams#Public"],"object":"%s"}`,
		a.urls.Base, b.urls.Actor(), pub.URI))
	if got := signedPost(t, n, a, b.urls.Key(), b.key, body, time.Now(), nil); got != 202 {
		t.Fatalf("POST: %d", got)
	}
	settle(t, a, b)
	if got, _ := a.st.GetStatus(ctx, pub.ID); got.ReblogsCount != 0 {
		t.Error("an Announce with a foreign id was applied")
	}
	// A followers-only poll; bob does not follow alice.
	ends := time.Now().Add(time.Hour)
	poll, err := a.fed.Post(ctx, apPostPoll("<p>private poll</p>", store.Private, &ends))
	if err != nil {
		t.Fatal(err)
	}
	vote := []byte(fmt.Sprintf(`{"id":"%s#votes/1/activity","type":"Create","actor":"%s","to":"%s","object":{"id":"%s#votes/1",
		"type":"Note","name":"yes","attributedTo":"%s","inReplyTo":"%s","to":"%s"}}`,
		b.urls.Actor(), b.urls.Actor(), a.urls.Actor(), b.urls.Actor(), b.urls.Actor(), poll.URI, a.urls.Actor()))
	if got := signedPost(t, n, a, b.urls.Key(), b.key, vote, time.Now(), nil); got != 202 {
		t.Fatalf("POST vote: %d", got)
	}
	settle(t, a, b)
	if p, _ := a.st.GetPoll(ctx, poll.ID); p.VotersCount != 0 {
		t.Error("a non-follower voted on a followers-only poll")
	}
}

func apPostPoll(html, visibility string, ends *time.Time) ap.PostInput {
	return ap.PostInput{Content: html, Visibility: visibility,
		Poll: &store.Poll{Options: []store.PollOption{{Title: "yes"}, {Title: "no"}}, ExpiresAt: ends}}
}
