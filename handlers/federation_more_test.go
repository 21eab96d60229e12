package handlers

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"roost/ap"
	"roost/store"
)

// TestPrivateStatusesNeedASignedFollower: followers-only statuses are
// served at their ids only to signed requests from followers; direct ones
// only to the mentioned; deleted ones are 410 Gone.
func TestPrivateStatusesNeedASignedFollower(t *testing.T) {
	ctx := context.Background()
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	b := newInstance(t, n, "b.test", "bob", false)
	c := newInstance(t, n, "c.test", "carol", false)
	b.followHandle("alice@a.test")
	c.resolve("alice@a.test")
	settle(t, a, b, c)
	priv := a.post("<p>for followers</p>", store.Private)
	dm := a.post("<p>for carol</p>", store.Direct, a.resolve("carol@c.test"))
	gone := a.post("<p>soon gone</p>", store.Public)
	if err := a.fed.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b, c)

	if o, _, err := b.fed.Get(ctx, priv.URI); err != nil || o.Content != "<p>for followers</p>" {
		t.Errorf("a follower's signed fetch of a followers-only status: %v", err)
	}
	if _, _, err := c.fed.Get(ctx, priv.URI); err == nil {
		t.Error("a non-follower fetched a followers-only status")
	}
	if _, _, err := c.fed.Get(ctx, dm.URI); err != nil {
		t.Errorf("the mentioned account could not fetch its direct message: %v", err)
	}
	if _, _, err := b.fed.Get(ctx, dm.URI); err == nil {
		t.Error("someone not mentioned fetched a direct message")
	}
	client := &http.Client{Transport: &http.Transport{DialContext: n.dial}}
	for uri, want := range map[string]int{priv.URI: 404, dm.URI: 404, gone.URI: 410} {
		req, _ := http.NewRequest("GET", uri, nil)
		req.Header.Set("Accept", asJSON)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("unsigned GET %s: %d, want %d", uri, resp.StatusCode, want)
		}
	}
}

// TestInboxIsIdempotentAndSurvivesRestart: the same activity twice is
// applied once, and work queued before a restart is applied after it.
func TestInboxIsIdempotentAndSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	b := newInstance(t, n, "b.test", "bob", false)
	a.followHandle("bob@b.test")
	settle(t, a, b)
	note := b.urls.Status(42)
	body := []byte(fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"%s/activity","type":"Create",
		"actor":"%s","to":["https://www.w3.org/ns/activitystreams#Public"],"object":{"id":"%s","type":"Note",
		"attributedTo":"%s","content":"<p>once</p>","to":["https://www.w3.org/ns/activitystreams#Public"]}}`,
		note, b.urls.Actor(), note, b.urls.Actor()))
	like := []byte(fmt.Sprintf(`{"id":"%s#likes/1","type":"Like","actor":"%s","object":"%s"}`,
		b.urls.Actor(), b.urls.Actor(), a.post("<p>like me</p>", store.Public).URI))
	for i := 0; i < 2; i++ {
		for _, body := range [][]byte{body, like} {
			if got := signedPost(t, n, a, b.urls.Key(), b.key, body, time.Now(), nil); got != 202 {
				t.Fatalf("POST: %d", got)
			}
		}
	}
	if queued, _ := a.st.CountInbox(ctx); queued != 2 {
		t.Errorf("%d activities queued, want 2 (repeats are not queued)", queued)
	}
	// Restart alice's federation on the same data before applying.
	fresh, err := ap.New(ctx, ap.Config{URLs: a.urls, UserAgent: "Roost/test", Insecure: true, DialContext: n.dial, Now: n.now}, a.st, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	if applied, err := fresh.ProcessInbox(ctx); err != nil || applied != 2 {
		t.Fatalf("after restart: applied %d, %v", applied, err)
	}
	st := a.status(note)
	if st == nil {
		t.Fatal("the queued Create was not applied after the restart")
	}
	liked, _ := a.st.GetStatusByURI(ctx, mustField(like, "object"))
	if liked.FavouritesCount != 1 {
		t.Errorf("favourites_count = %d after the Like arrived twice", liked.FavouritesCount)
	}
}

// TestDomainBlock: a blocked domain's activities are refused and nothing
// is delivered to it.
func TestDomainBlock(t *testing.T) {
	ctx := context.Background()
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	b := newInstance(t, n, "b.test", "bob", false)
	b.followHandle("alice@a.test")
	settle(t, a, b)
	if err := a.st.BlockDomain(ctx, "b.test"); err != nil {
		t.Fatal(err)
	}
	post := a.post("<p>not for b.test</p>", store.Public)
	if queued, _ := a.st.CountDeliveries(ctx); queued != 0 {
		t.Errorf("%d deliveries queued to a blocked domain", queued)
	}
	settle(t, a, b)
	if b.status(post.URI) != nil {
		t.Error("a blocked domain received a post")
	}
	body := []byte(fmt.Sprintf(`{"id":"%s#likes/9","type":"Like","actor":"%s","object":"%s"}`, b.urls.Actor(), b.urls.Actor(), post.URI))
	if got := signedPost(t, n, a, b.urls.Key(), b.key, body, time.Now(), nil); got != 403 {
		t.Errorf("activity from a blocked domain: %d, want 403", got)
	}
}

// TestDeleteFloodShortcut: a Delete of an unknown actor by itself is
// answered 202 without any fetch (its key is gone).
func TestDeleteFloodShortcut(t *testing.T) {
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	body := []byte(`{"id":"https://gone.test/users/x#delete","type":"Delete","actor":"https://gone.test/users/x","object":"https://gone.test/users/x"}`)
	// Unsigned, and gone.test does not exist: only the shortcut answers 202.
	client := &http.Client{Transport: &http.Transport{DialContext: n.dial}}
	resp, err := client.Post(a.urls.SharedInbox(), "application/activity+json", bytesReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Errorf("Delete flood: %d, want 202", resp.StatusCode)
	}
	if queued, _ := a.st.CountInbox(context.Background()); queued != 0 {
		t.Error("the Delete flood was queued")
	}
}

// TestProfileUpdateAndBoostedEdit: an actor Update refreshes the profile;
// an edit of a status the owner boosted notifies the owner.
func TestProfileUpdateAndBoostedEdit(t *testing.T) {
	ctx := context.Background()
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	b := newInstance(t, n, "b.test", "bob", false)
	b.followHandle("alice@a.test")
	settle(t, a, b)
	a.owner.DisplayName = "Alice in Wonderland"
	if err := a.st.UpdateAccount(ctx, a.owner); err != nil {
		t.Fatal(err)
	}
	if err := a.fed.UpdateProfile(ctx, a.urls.Static("avatar.png"), "image/png", a.urls.Static("header.png"), "image/png"); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b)
	if got := b.accountOf(a); got.DisplayName != "Alice in Wonderland" {
		t.Errorf("bob sees alice as %q after her profile update", got.DisplayName)
	}
	post := a.post("<p>first version</p>", store.Public)
	settle(t, a, b)
	if _, err := b.fed.Boost(ctx, b.status(post.URI)); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b)
	n.advance(2 * time.Second)
	if _, err := a.fed.Edit(ctx, post, "<p>second version</p>", "", "", false); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b)
	if len(b.notifications(store.NotifyUpdate)) != 1 {
		t.Error("bob was not told that a status he boosted was edited")
	}
}

// TestUnknownParentsAreFetched: a reply whose parent is unknown brings the
// parent along, fetched from its origin.
func TestUnknownParentsAreFetched(t *testing.T) {
	ctx := context.Background()
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	b := newInstance(t, n, "b.test", "bob", false)
	c := newInstance(t, n, "c.test", "carol", false)
	a.followHandle("bob@b.test")
	b.followHandle("carol@c.test")
	settle(t, a, b, c)
	root := c.post("<p>carol starts a thread</p>", store.Public)
	settle(t, a, b, c)
	if a.status(root.URI) != nil {
		t.Fatal("alice, who does not follow carol, has carol's post already")
	}
	reply, err := b.fed.Post(ctx, ap.PostInput{Content: "<p>bob chimes in</p>", Visibility: store.Public, InReplyTo: b.status(root.URI)})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, a, b, c)
	parent, child := a.status(root.URI), a.status(reply.URI)
	if parent == nil || child == nil {
		t.Fatalf("alice has parent %v and reply %v", parent != nil, child != nil)
	}
	if child.InReplyToID == nil || *child.InReplyToID != parent.ID {
		t.Error("the fetched parent is not linked to the reply")
	}
	if parent.Content != root.Content {
		t.Errorf("fetched parent content %q", parent.Content)
	}
}
