package handlers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"roost/ap"
	"roost/store"
)

// fedNet maps test host names (a.test, b.test…) to loopback listeners, so
// that several real Roost instances federate over real HTTP in one test.
type fedNet struct {
	mu    sync.Mutex
	addrs map[string]string
	clock time.Time // shared fake clock; zero means real time
}

func newFedNet() *fedNet { return &fedNet{addrs: map[string]string{}} }

func (n *fedNet) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	real, ok := n.addrs[host]
	n.mu.Unlock()
	if !ok {
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			real = addr // a loopback listener of the test itself (a push service)
		} else {
			return nil, fmt.Errorf("no test host %s", host)
		}
	}
	return (&net.Dialer{}).DialContext(ctx, network, real)
}

func (n *fedNet) now() time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.clock.IsZero() {
		return time.Now()
	}
	return n.clock
}

// advance moves every instance's clock forward.
func (n *fedNet) advance(d time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.clock.IsZero() {
		n.clock = time.Now()
	}
	n.clock = n.clock.Add(d)
}

// instance is one Roost: store, federation and HTTP server.
type instance struct {
	t     testing.TB
	host  string
	st    *store.Store
	fed   *ap.Federation
	urls  ap.URLs
	owner *store.Account
	key   string // the owner's private key PEM
	net   *fedNet
	hub   *Hub
	addr  string // the listener, for clients that dial it directly
}

func newInstance(t testing.TB, n *fedNet, host, username string, locked bool) *instance {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Path: filepath.Join(t.TempDir(), "roost.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	urls := ap.URLs{Base: "http://" + host, Username: username}
	o, err := ap.CreateOwner(ctx, st, urls, testKey(t), "x", func(a *store.Account) {
		a.DisplayName = strings.ToUpper(username[:1]) + username[1:]
		a.Locked = locked
	})
	if err != nil {
		t.Fatal(err)
	}
	owner, priv := o.Account, o.PrivateKeyPEM
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := NewHub()
	fed, err := ap.New(ctx, ap.Config{URLs: urls, UserAgent: "Roost/test", Insecure: true, DialContext: n.dial, Now: n.now, Events: hub}, st, log)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(ctx, Config{BaseURL: urls.Base, Version: "test", Streaming: hub, MediaDir: filepath.Join(t.TempDir(), "media")}, st, fed, log)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	t.Cleanup(func() { hub.Close(); hs.Close() })
	n.mu.Lock()
	n.addrs[host] = ln.Addr().String()
	n.mu.Unlock()
	return &instance{t: t, host: host, st: st, fed: fed, urls: urls, owner: owner, key: priv, net: n, hub: hub, addr: ln.Addr().String()}
}

// settle drains every instance's delivery and inbox queues until nothing
// moves: the whole conversation has been carried over HTTP.
func settle(t testing.TB, insts ...*instance) {
	t.Helper()
	ctx := context.Background()
	for round := 0; round < 50; round++ {
		moved := 0
		for _, in := range insts {
			d, err := in.fed.ProcessDeliveries(ctx)
			if err != nil {
				t.Fatalf("%s deliveries: %v", in.host, err)
			}
			i, err := in.fed.ProcessInbox(ctx)
			if err != nil {
				t.Fatalf("%s inbox: %v", in.host, err)
			}
			moved += d + i
		}
		if moved == 0 {
			return
		}
	}
	t.Fatal("federation did not settle")
}

// resolve makes in know the account handle, as a search would.
func (in *instance) resolve(handle string) *store.Account {
	in.t.Helper()
	a, err := in.fed.ResolveHandle(context.Background(), handle)
	if err != nil {
		in.t.Fatalf("%s resolving %s: %v", in.host, handle, err)
	}
	return a
}

// followHandle makes in's owner follow handle (found by WebFinger).
func (in *instance) followHandle(handle string) {
	in.t.Helper()
	if err := in.fed.Follow(context.Background(), in.resolve(handle)); err != nil {
		in.t.Fatalf("%s following %s: %v", in.host, handle, err)
	}
}

func (in *instance) accountOf(other *instance) *store.Account {
	in.t.Helper()
	a, err := in.st.GetAccountByURI(context.Background(), other.urls.Actor())
	if err != nil {
		in.t.Fatalf("%s does not know %s: %v", in.host, other.urls.Actor(), err)
	}
	return a
}

// status returns in's copy of the status with uri, or nil.
func (in *instance) status(uri string) *store.Status {
	st, err := in.st.GetStatusByURI(context.Background(), uri)
	if err != nil {
		return nil
	}
	return st
}

func (in *instance) notifications(typ string) []*store.Notification {
	in.t.Helper()
	ns, err := in.st.ListNotifications(context.Background(), []string{typ}, store.Page{Limit: 40})
	if err != nil {
		in.t.Fatal(err)
	}
	return ns
}

func (in *instance) post(html, visibility string, mentions ...*store.Account) *store.Status {
	in.t.Helper()
	st, err := in.fed.Post(context.Background(), ap.PostInput{Content: html, Visibility: visibility, Mentions: mentions})
	if err != nil {
		in.t.Fatal(err)
	}
	return st
}

func (in *instance) follows(a, b int64) bool {
	ok, err := in.st.Follows(context.Background(), a, b)
	if err != nil {
		in.t.Fatal(err)
	}
	return ok
}

// TestFederatedConversation carries a whole conversation between three
// Roosts over loopback HTTP and checks what each side stored.
func TestFederatedConversation(t *testing.T) {
	ctx := context.Background()
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	b := newInstance(t, n, "b.test", "bob", true) // locked: approves followers
	c := newInstance(t, n, "c.test", "carol", false)

	// Alice asks to follow Bob, who approves.
	bobAtA := a.resolve("bob@b.test")
	if err := a.fed.Follow(ctx, bobAtA); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b, c)
	if a.follows(a.owner.ID, bobAtA.ID) {
		t.Fatal("following a locked account before approval")
	}
	if len(b.notifications(store.NotifyFollowRequest)) != 1 {
		t.Fatal("bob has no follow request")
	}
	aliceAtB := b.accountOf(a)
	if err := b.fed.AnswerFollowRequest(ctx, aliceAtB, true); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b, c)
	if !a.follows(a.owner.ID, bobAtA.ID) || !b.follows(aliceAtB.ID, b.owner.ID) {
		t.Fatal("approved follow not accepted on both sides")
	}

	// Bob follows Alice (not locked: accepted at once).
	b.resolve("alice@a.test")
	if err := b.fed.Follow(ctx, aliceAtB); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b, c)
	bobAtA = a.accountOf(b)
	if !b.follows(b.owner.ID, aliceAtB.ID) || !a.follows(bobAtA.ID, a.owner.ID) {
		t.Fatal("bob's follow of alice not accepted")
	}
	if len(a.notifications(store.NotifyFollow)) != 1 {
		t.Error("alice was not notified of her new follower")
	}
	carolAtA := a.resolve("carol@c.test")

	// Posts in every visibility.
	pub := a.post("<p>public hello</p>", store.Public)
	unl := a.post("<p>unlisted hello</p>", store.Unlisted)
	priv := a.post("<p>followers only</p>", store.Private)
	dmBob := a.post("<p>psst bob</p>", store.Direct, bobAtA)
	dmCarol := a.post("<p>psst carol</p>", store.Direct, carolAtA)
	settle(t, a, b, c)
	for _, st := range []*store.Status{pub, unl, priv, dmBob} {
		got := b.status(st.URI)
		if got == nil {
			t.Errorf("bob did not receive %q", st.Content)
			continue
		}
		if got.Visibility != st.Visibility || got.Content != st.Content {
			t.Errorf("bob's copy: %s %q, want %s %q", got.Visibility, got.Content, st.Visibility, st.Content)
		}
	}
	if b.status(dmCarol.URI) != nil {
		t.Error("a direct message to carol reached bob")
	}
	for _, st := range []*store.Status{pub, unl, priv, dmBob} {
		if c.status(st.URI) != nil {
			t.Errorf("carol, who follows nobody, received %q", st.Content)
		}
	}
	if c.status(dmCarol.URI) == nil || len(c.notifications(store.NotifyMention)) != 1 {
		t.Error("carol did not get her direct message with a notification")
	}
	if len(b.notifications(store.NotifyMention)) != 1 {
		t.Error("bob was not notified of his direct message")
	}

	// A reply thread.
	pubAtB := b.status(pub.URI)
	reply, err := b.fed.Post(ctx, ap.PostInput{Content: "<p>hi alice</p>", Visibility: store.Public, InReplyTo: pubAtB})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, a, b, c)
	replyAtA := a.status(reply.URI)
	if replyAtA == nil || replyAtA.InReplyToID == nil || *replyAtA.InReplyToID != pub.ID {
		t.Fatalf("alice's copy of bob's reply: %+v", replyAtA)
	}
	if got, _ := a.st.GetStatus(ctx, pub.ID); got.RepliesCount != 1 {
		t.Errorf("replies_count = %d", got.RepliesCount)
	}
	if len(a.notifications(store.NotifyMention)) != 1 {
		t.Error("alice was not notified of the reply")
	}
	answer, err := a.fed.Post(ctx, ap.PostInput{Content: "<p>hi bob</p>", Visibility: store.Public, InReplyTo: replyAtA})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, a, b, c)
	if got := b.status(answer.URI); got == nil || got.InReplyToID == nil || *got.InReplyToID != reply.ID {
		t.Error("bob did not get alice's answer in the thread")
	}

	// Boost and like, and their undoing.
	if _, err := b.fed.Boost(ctx, pubAtB); err != nil {
		t.Fatal(err)
	}
	if err := b.fed.Favourite(ctx, pubAtB); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b, c)
	got, _ := a.st.GetStatus(ctx, pub.ID)
	if got.ReblogsCount != 1 || got.FavouritesCount != 1 {
		t.Errorf("after boost and like: reblogs %d favourites %d", got.ReblogsCount, got.FavouritesCount)
	}
	if len(a.notifications(store.NotifyReblog)) != 1 || len(a.notifications(store.NotifyFavourite)) != 1 {
		t.Error("alice was not notified of the boost and the like")
	}
	if err := b.fed.Unfavourite(ctx, pubAtB); err != nil {
		t.Fatal(err)
	}
	if err := b.fed.Unboost(ctx, pubAtB); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b, c)
	got, _ = a.st.GetStatus(ctx, pub.ID)
	if got.ReblogsCount != 0 || got.FavouritesCount != 0 {
		t.Errorf("after undo: reblogs %d favourites %d", got.ReblogsCount, got.FavouritesCount)
	}

	// Edit and delete.
	if _, err := a.fed.Edit(ctx, pub, "<p>public hello, edited</p>", "", "", false); err != nil {
		t.Fatal(err)
	}
	if err := a.fed.Delete(ctx, unl); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b, c)
	if got := b.status(pub.URI); got == nil || got.Content != "<p>public hello, edited</p>" || got.EditedAt == nil {
		t.Errorf("bob's copy after the edit: %+v", got)
	} else if edits, _ := b.st.ListStatusEdits(ctx, got.ID); len(edits) != 2 {
		t.Errorf("bob keeps %d versions, want 2", len(edits))
	}
	if b.status(unl.URI) != nil {
		t.Error("the deleted status is still at bob's")
	}

	// Unfollow.
	if err := b.fed.Unfollow(ctx, aliceAtB); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b, c)
	if a.follows(bobAtA.ID, a.owner.ID) {
		t.Error("alice still counts bob as a follower after his unfollow")
	}
}

// TestFederatedPoll: a poll with votes from another server and its final
// results when it ends.
func TestFederatedPoll(t *testing.T) {
	ctx := context.Background()
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	b := newInstance(t, n, "b.test", "bob", false)
	aliceAtB := b.resolve("alice@a.test")
	if err := b.fed.Follow(ctx, aliceAtB); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b)
	ends := n.now().Add(time.Hour)
	poll, err := a.fed.Post(ctx, ap.PostInput{Content: "<p>tea or coffee?</p>", Visibility: store.Public,
		Poll: &store.Poll{Options: []store.PollOption{{Title: "tea"}, {Title: "coffee"}}, ExpiresAt: &ends}})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, a, b)
	pollAtB := b.status(poll.URI)
	if pollAtB == nil {
		t.Fatal("bob did not receive the poll")
	}
	if err := b.fed.Vote(ctx, pollAtB, []int{1}); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b)
	p, err := a.st.GetPoll(ctx, poll.ID)
	if err != nil || p.Options[1].VotesCount != 1 || p.VotersCount != 1 {
		t.Fatalf("alice's poll after bob's vote: %+v %v", p, err)
	}
	n.advance(2 * time.Hour)
	if closed, err := a.fed.ClosePolls(ctx); err != nil || closed != 1 {
		t.Fatalf("ClosePolls = %d, %v", closed, err)
	}
	settle(t, a, b)
	final, err := b.st.GetPoll(ctx, pollAtB.ID)
	if err != nil || !final.Closed || final.Options[1].VotesCount != 1 || final.Options[0].VotesCount != 0 {
		t.Errorf("bob's copy of the ended poll: %+v %v", final, err)
	}
	if len(a.notifications(store.NotifyPoll)) != 1 {
		t.Error("alice was not told her poll ended")
	}
	if len(b.notifications(store.NotifyPoll)) != 1 {
		t.Error("bob, who voted, was not told the poll ended")
	}
}

// TestFederatedBlockAndMove: a block severs follows; a Move carries
// followers to the new account when it confirms the old one.
func TestFederatedBlockAndMove(t *testing.T) {
	ctx := context.Background()
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	b := newInstance(t, n, "b.test", "bob", false)
	c := newInstance(t, n, "c.test", "carol", false)
	d := newInstance(t, n, "d.test", "alice2", false)
	for _, in := range []*instance{b, c} {
		in.followHandle("alice@a.test")
	}
	settle(t, a, b, c, d)
	carolAtA := a.accountOf(c)
	if err := a.fed.Block(ctx, carolAtA); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b, c, d)
	if a.follows(carolAtA.ID, a.owner.ID) || c.follows(c.owner.ID, c.accountOf(a).ID) {
		t.Error("the block did not end carol's follow on both sides")
	}
	post := a.post("<p>after the block</p>", store.Public)
	settle(t, a, b, c, d)
	if c.status(post.URI) != nil || b.status(post.URI) == nil {
		t.Error("after the block: carol got the post or bob did not")
	}

	// Alice moves to alice2@d.test, which names her old account.
	d.owner.AlsoKnownAs = []string{a.urls.Actor()}
	if err := d.st.UpdateAccount(ctx, d.owner); err != nil {
		t.Fatal(err)
	}
	if err := a.fed.MoveTo(ctx, a.resolve("alice2@d.test")); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b, c, d)
	newAtB, err := b.st.GetAccountByURI(ctx, d.urls.Actor())
	if err != nil {
		t.Fatal("bob does not know alice's new account")
	}
	if !b.follows(b.owner.ID, newAtB.ID) || b.follows(b.owner.ID, b.accountOf(a).ID) {
		t.Error("bob's follow did not move to the new account")
	}
	if !d.follows(d.accountOf(b).ID, d.owner.ID) {
		t.Error("the new account did not get bob as a follower")
	}
	if len(b.notifications(store.NotifyMove)) != 1 {
		t.Error("bob was not told of the move")
	}
}

// signedPost sends body to in's shared inbox signed by signer's key (or
// key, if given) at time at.
func signedPost(t *testing.T, n *fedNet, to *instance, keyID, keyPEM string, body []byte, at time.Time, tamper func(*http.Request)) int {
	t.Helper()
	key, err := ap.ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", to.urls.SharedInbox(), bytes.NewReader(body))
	if err := ap.SignRequest(req, body, keyID, key, at, true); err != nil {
		t.Fatal(err)
	}
	if tamper != nil {
		tamper(req)
	}
	client := &http.Client{Transport: &http.Transport{DialContext: n.dial}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestForgeryIsRejected: every forged request is refused and changes
// nothing.
func TestForgeryIsRejected(t *testing.T) {
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	b := newInstance(t, n, "b.test", "bob", false)
	c := newInstance(t, n, "c.test", "carol", false)
	for _, in := range []*instance{b, c} {
		a.followHandle(in.owner.Username + "@" + in.host)
	}
	settle(t, a, b, c)
	carolPost := c.post("<p>carol's words</p>", store.Public)
	settle(t, a, b, c)
	carolAtA := a.status(carolPost.URI)
	if carolAtA == nil {
		t.Fatal("alice did not receive carol's post")
	}
	other, _ := ap.GenerateKey()
	otherPEM, _ := ap.EncodePrivateKeyPEM(other)
	create := func(id, actor, attributed string) []byte {
		return []byte(fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"%s/activity","type":"Create","actor":"%s",
			"to":["https://www.w3.org/ns/activitystreams#Public"],"object":{"id":"%s","type":"Note","attributedTo":"%s",
			"content":"<p>forged</p>","to":["https://www.w3.org/ns/activitystreams#Public"]}}`, id, actor, id, attributed))
	}
	bobKey := b.urls.Key()
	good := create(b.urls.Status(1), b.urls.Actor(), b.urls.Actor())
	cases := []struct {
		name   string
		keyID  string
		key    string
		body   []byte
		at     time.Time
		tamper func(*http.Request)
		status int
	}{
		{"tampered body", bobKey, b.key, good, time.Now(), func(r *http.Request) {
			forged := bytes.Replace(good, []byte("forged"), []byte("FORGED"), 1)
			r.Body = io.NopCloser(bytes.NewReader(forged))
			r.ContentLength = int64(len(forged))
		}, 401},
		{"wrong key", bobKey, otherPEM, good, time.Now(), nil, 401},
		{"date outside the window", bobKey, b.key, good, time.Now().Add(-2 * time.Hour), nil, 401},
		{"unsigned", "", "", good, time.Now(), func(r *http.Request) { r.Header.Del("Signature") }, 401},
		{"signed by bob, carol's activity", bobKey, b.key, create(c.urls.Status(2), c.urls.Actor(), c.urls.Actor()), time.Now(), nil, 202},
		{"bob's Create of a note attributed to carol", bobKey, b.key, create(b.urls.Status(3), b.urls.Actor(), c.urls.Actor()), time.Now(), nil, 202},
		{"bob deletes carol's status", bobKey, b.key, []byte(fmt.Sprintf(`{"id":"%s#del","type":"Delete","actor":"%s","object":"%s"}`,
			b.urls.Actor(), b.urls.Actor(), carolPost.URI)), time.Now(), nil, 202},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			keyPEM, keyID := tc.key, tc.keyID
			if keyPEM == "" {
				keyPEM, keyID = b.key, bobKey
			}
			if got := signedPost(t, n, a, keyID, keyPEM, tc.body, tc.at, tc.tamper); got != tc.status {
				t.Errorf("status %d, want %d", got, tc.status)
			}
			settle(t, a, b, c)
			for _, uri := range []string{b.urls.Status(1), c.urls.Status(2), b.urls.Status(3)} {
				if a.status(uri) != nil {
					t.Errorf("forged status %s was stored", uri)
				}
			}
			if got := a.status(carolPost.URI); got == nil || got.Content != carolAtA.Content {
				t.Error("carol's status was changed or deleted")
			}
		})
	}
	// The genuine request is accepted and applied.
	if got := signedPost(t, n, a, bobKey, b.key, good, time.Now(), nil); got != 202 {
		t.Fatalf("genuine request: %d", got)
	}
	settle(t, a, b, c)
	if a.status(b.urls.Status(1)) == nil {
		t.Error("the genuine request was not applied")
	}
}
