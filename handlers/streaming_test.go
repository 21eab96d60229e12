package handlers

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"roost/ap"
	"roost/store"
)

// newStreamEnv is newTestEnv with federation publishing to the server's
// streaming hub, as main wires them.
func newStreamEnv(t *testing.T) (*testEnv, *Hub) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Path: filepath.Join(t.TempDir(), "roost.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	urls := ap.URLs{Base: testBase, Username: "alice"}
	o, err := ap.CreateOwner(ctx, st, urls, testKey(t), "x", nil)
	if err != nil {
		t.Fatal(err)
	}
	hub := NewHub()
	// Insecure: the push tests' endpoints are loopback listeners.
	fed, err := ap.New(ctx, ap.Config{URLs: urls, UserAgent: "Roost/test", Events: hub, Insecure: true}, st, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(ctx, Config{BaseURL: testBase, Version: "0.1.0-test", Streaming: hub}, st, fed, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(hub.Close) // ends open streams, so that srv.Close need not wait for them
	return &testEnv{t: t, st: st, srv: srv, owner: o.Account, urls: urls, s: s}, hub
}

// newStreamInstance is newInstance with a streaming hub; it returns the
// instance and the base URL of its listener.
func newStreamInstance(t *testing.T, n *fedNet, host, username string) (*instance, *Hub, string) {
	t.Helper()
	in := newInstance(t, n, host, username, false)
	return in, in.hub, "http://" + in.addr
}

// streamToken stores an owner token with scopes.
func streamToken(t *testing.T, st *store.Store, scopes string) string {
	t.Helper()
	e := &testEnv{t: t, st: st}
	return e.oauthToken(scopes)
}

// dialStream opens a WebSocket to path on base ("http://…").
func dialStream(t *testing.T, base, path string, opts *websocket.DialOptions) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+path, opts)
	if err != nil {
		code := 0
		if resp != nil {
			code = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", path, err, code)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// readFrame reads one event frame, failing after 5 s.
func readFrame(t *testing.T, c *websocket.Conn) streamMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	typ, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read frame: %v", err)
	}
	if typ != websocket.MessageText {
		t.Fatalf("frame type %v", typ)
	}
	var m streamMessage
	if err := json.Unmarshal(b, &m); err != nil || m.Event == "" {
		t.Fatalf("frame %s: %v", b, err)
	}
	return m
}

// readFrameOf reads frames until one of event kind arrives.
func readFrameOf(t *testing.T, c *websocket.Conn, kind string) streamMessage {
	t.Helper()
	for range 20 {
		if m := readFrame(t, c); m.Event == kind {
			return m
		}
	}
	t.Fatalf("no %s frame", kind)
	return streamMessage{}
}

func sendCommand(t *testing.T, c *websocket.Conn, cmd string) {
	t.Helper()
	if err := c.Write(context.Background(), websocket.MessageText, []byte(cmd)); err != nil {
		t.Fatal(err)
	}
}

// waitSubscribed waits until the hub has n followers of s: WebSocket
// commands are applied by the connection's reader, not in the test's
// goroutine.
func waitSubscribed(t *testing.T, h *Hub, s stream, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		h.mu.Lock()
		got := len(h.streams[s])
		h.mu.Unlock()
		if got == n {
			return
		}
	}
	t.Fatalf("stream %v never had %d subscribers", s, n)
}

func postAs(t *testing.T, fed *ap.Federation, html, visibility string, tags ...string) *store.Status {
	t.Helper()
	st, err := fed.Post(context.Background(), ap.PostInput{Content: html, Visibility: visibility, Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func decodeStatus(t *testing.T, payload string) Status {
	t.Helper()
	var v Status
	if err := json.Unmarshal([]byte(payload), &v); err != nil {
		t.Fatalf("payload %q: %v", payload, err)
	}
	return v
}

func TestStreamingWebSocketUser(t *testing.T) {
	e, hub := newStreamEnv(t)
	ctx := context.Background()
	tok := streamToken(t, e.st, "read write")
	c := dialStream(t, e.srv.URL, "/api/v1/streaming", &websocket.DialOptions{Subprotocols: []string{tok}})
	if c.Subprotocol() != tok {
		t.Fatalf("protocol not echoed: %q", c.Subprotocol())
	}
	sendCommand(t, c, `{"type":"subscribe","stream":"user"}`)
	waitSubscribed(t, hub, stream{name: "user"}, 1)

	st := postAs(t, e.s.fed, "<p>hello stream</p>", store.Private)
	m := readFrame(t, c)
	if m.Event != "update" || len(m.Stream) != 1 || m.Stream[0] != "user" {
		t.Fatalf("frame %+v", m)
	}
	if v := decodeStatus(t, m.Payload); v.ID != store.FormatID(st.ID) || v.Content != "<p>hello stream</p>" {
		t.Errorf("status %s %q, want %d", v.ID, v.Content, st.ID)
	}

	if _, err := e.s.fed.Edit(ctx, st, "<p>edited</p>", "edited", "", false); err != nil {
		t.Fatal(err)
	}
	m = readFrame(t, c)
	if v := decodeStatus(t, m.Payload); m.Event != "status.update" || v.Content != "<p>edited</p>" {
		t.Errorf("edit frame %+v", m)
	}

	if err := e.s.fed.Delete(ctx, st); err != nil {
		t.Fatal(err)
	}
	m = readFrame(t, c)
	if m.Event != "delete" || m.Payload != store.FormatID(st.ID) {
		t.Errorf("delete frame %+v", m)
	}

	// Unsubscribed, the next post goes nowhere; a public one reaches a
	// public subscription, and the frame names that stream.
	sendCommand(t, c, `{"type":"unsubscribe","stream":"user"}`)
	waitSubscribed(t, hub, stream{name: "user"}, 0)
	sendCommand(t, c, `{"type":"subscribe","stream":"public:local"}`)
	waitSubscribed(t, hub, stream{name: "public:local"}, 1)
	postAs(t, e.s.fed, "<p>not streamed: private</p>", store.Private)
	pub := postAs(t, e.s.fed, "<p>public</p>", store.Public)
	m = readFrame(t, c)
	if m.Event != "update" || m.Stream[0] != "public:local" || decodeStatus(t, m.Payload).ID != store.FormatID(pub.ID) {
		t.Errorf("public frame %+v", m)
	}

	// A stream the token cannot read, or an unknown one, gets an error
	// frame and the connection stays open.
	sendCommand(t, c, `{"type":"subscribe","stream":"nonsense"}`)
	ctxr, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, b, err := c.Read(ctxr)
	if err != nil || !strings.Contains(string(b), `"status":400`) {
		t.Errorf("error frame %s, %v", b, err)
	}
}

func TestStreamingHashtagWithQueryToken(t *testing.T) {
	e, _ := newStreamEnv(t)
	tok := streamToken(t, e.st, "read:statuses")
	c := dialStream(t, e.srv.URL, "/api/v1/streaming/?stream=hashtag&tag=Cats&access_token="+tok, nil)
	// The initial subscription is in place once the dial returns.
	postAs(t, e.s.fed, "<p>no tag</p>", store.Public)
	postAs(t, e.s.fed, "<p>dogs</p>", store.Public, "dogs")
	cats := postAs(t, e.s.fed, "<p>#cats</p>", store.Public, "cats")
	m := readFrame(t, c)
	if m.Event != "update" || len(m.Stream) != 2 || m.Stream[0] != "hashtag" || m.Stream[1] != "cats" {
		t.Fatalf("frame %+v", m)
	}
	if v := decodeStatus(t, m.Payload); v.ID != store.FormatID(cats.ID) {
		t.Errorf("status %s, want %d", v.ID, cats.ID)
	}
}

func TestStreamingServerSentEvents(t *testing.T) {
	e, _ := newStreamEnv(t)
	tok := streamToken(t, e.st, "read")
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/streaming/public/local", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	rd := bufio.NewReader(resp.Body)
	line := func() string {
		s, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		return strings.TrimSuffix(s, "\n")
	}
	if l := line(); l != ":)" {
		t.Fatalf("first line %q", l)
	}
	st := postAs(t, e.s.fed, "<p>over SSE</p>", store.Public)
	if l := line(); l != "event: update" {
		t.Fatalf("event line %q", l)
	}
	data, ok := strings.CutPrefix(line(), "data: ")
	if !ok {
		t.Fatal("no data line")
	}
	if v := decodeStatus(t, data); v.ID != store.FormatID(st.ID) {
		t.Errorf("status %s, want %d", v.ID, st.ID)
	}
	if l := line(); l != "" {
		t.Errorf("event not ended by a blank line: %q", l)
	}
}

func TestStreamingHealth(t *testing.T) {
	e, _ := newStreamEnv(t)
	resp, body := e.get("/api/v1/streaming/health", "")
	if resp.StatusCode != 200 || body != "OK" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("health: %d %q %q", resp.StatusCode, body, resp.Header.Get("Content-Type"))
	}
}

func TestStreamingRefusals(t *testing.T) {
	e, _ := newStreamEnv(t)
	write := streamToken(t, e.st, "write")
	notes := streamToken(t, e.st, "read:notifications")
	for _, tc := range []struct {
		name, path, token string
		want              int
	}{
		{"no token", "/api/v1/streaming/user", "", 401},
		{"unknown token", "/api/v1/streaming/user", "nope", 401},
		{"write only", "/api/v1/streaming/user", write, 403},
		{"notifications token, public stream", "/api/v1/streaming/public", notes, 403},
		{"notifications token, notification stream", "/api/v1/streaming/user/notification", notes, 200},
		{"unknown stream", "/api/v1/streaming/everything", notes, 400},
		{"hashtag without tag", "/api/v1/streaming/hashtag", notes, 400},
		{"no stream for SSE", "/api/v1/streaming", notes, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+tc.path, nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
	// The WebSocket handshake is refused the same way.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/api/v1/streaming"
	_, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{Subprotocols: []string{write}})
	if err == nil || resp == nil || resp.StatusCode != 403 {
		t.Errorf("write-only websocket: %v, %v", err, resp)
	}
}

// TestStreamingSlowSubscriber: a client that never reads neither blocks
// posting nor keeps its place: the hub drops it once its buffer is full.
func TestStreamingSlowSubscriber(t *testing.T) {
	e, hub := newStreamEnv(t)
	tok := streamToken(t, e.st, "read")
	dialStream(t, e.srv.URL, "/api/v1/streaming?stream=user", &websocket.DialOptions{Subprotocols: []string{tok}})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 3 * streamBuffer {
			if _, err := e.s.fed.Post(context.Background(), ap.PostInput{Content: "<p>flood</p>", Visibility: store.Private}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("posting blocked behind a slow streaming client")
	}

	// The hub itself: a subscriber nobody drains is dropped, not waited
	// for.
	sub, err := hub.join(true)
	if err != nil {
		t.Fatal(err)
	}
	hub.subscribe(sub, stream{name: "user"})
	for i := range streamBuffer + 1 {
		hub.Publish(ap.Event{Kind: ap.EventUpdate, StatusID: int64(i + 1), Home: true})
	}
	select {
	case <-sub.gone:
		if sub.reason != websocket.StatusTryAgainLater {
			t.Errorf("reason %v", sub.reason)
		}
	default:
		t.Fatal("a full subscriber was not dropped")
	}
	hub.leave(sub)
}

func TestStreamingConnectionLimit(t *testing.T) {
	h := NewHub()
	for range maxStreamConns {
		if _, err := h.join(true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.join(true); err != errTooManyStreams {
		t.Errorf("connection %d: %v", maxStreamConns+1, err)
	}
	h.Close()
	if _, err := h.join(true); err != errTooManyStreams {
		t.Errorf("after close: %v", err)
	}
}

// TestStreamingFederatedEvents: what arrives from a peer reaches the
// streams: a like of the owner's post as a notification, a followed
// account's post on home, a direct message as a conversation.
func TestStreamingFederatedEvents(t *testing.T) {
	ctx := context.Background()
	n := newFedNet()
	a, hub, base := newStreamInstance(t, n, "a.test", "alice")
	b := newInstance(t, n, "b.test", "bob", false)

	// Bob follows Alice, Alice follows Bob.
	aliceAtB := b.resolve("alice@a.test")
	if err := b.fed.Follow(ctx, aliceAtB); err != nil {
		t.Fatal(err)
	}
	bobAtA := a.resolve("bob@b.test")
	if err := a.fed.Follow(ctx, bobAtA); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b)

	tok := streamToken(t, a.st, "read")
	c := dialStream(t, base, "/api/v1/streaming?stream=user:notification", &websocket.DialOptions{Subprotocols: []string{tok}})
	sendCommand(t, c, `{"type":"subscribe","stream":"user"}`)
	sendCommand(t, c, `{"type":"subscribe","stream":"direct"}`)
	waitSubscribed(t, hub, stream{name: "direct"}, 1)

	// Bob likes Alice's post.
	st := a.post("<p>like me</p>", store.Public)
	settle(t, a, b)
	m := readFrameOf(t, c, "update") // her own post, on the user stream
	if decodeStatus(t, m.Payload).ID != store.FormatID(st.ID) {
		t.Fatalf("own post frame %+v", m)
	}
	atB := b.status(st.URI)
	if atB == nil {
		t.Fatal("bob did not receive the post")
	}
	if err := b.fed.Favourite(ctx, atB); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b)
	m = readFrameOf(t, c, "notification")
	var notif Notification
	if err := json.Unmarshal([]byte(m.Payload), &notif); err != nil {
		t.Fatal(err)
	}
	if notif.Type != "favourite" || notif.Status == nil || notif.Status.ID != store.FormatID(st.ID) || notif.Account.Acct != "bob@b.test" {
		t.Errorf("notification %+v", notif)
	}

	// Bob posts: on Alice's home.
	bp := b.post("<p>from bob</p>", store.Public)
	settle(t, a, b)
	m = readFrameOf(t, c, "update")
	if v := decodeStatus(t, m.Payload); m.Stream[0] != "user" || v.URI != bp.URI {
		t.Errorf("home frame %+v", m)
	}

	// Bob writes to Alice directly: a conversation.
	dm := b.post("<p>psst</p>", store.Direct, b.accountOf(a))
	settle(t, a, b)
	m = readFrameOf(t, c, "conversation")
	var conv Conversation
	if err := json.Unmarshal([]byte(m.Payload), &conv); err != nil {
		t.Fatal(err)
	}
	if m.Stream[0] != "direct" || conv.ID == "" || !conv.Unread || conv.LastStatus == nil || conv.LastStatus.URI != dm.URI ||
		len(conv.Accounts) != 1 || conv.Accounts[0].Acct != "bob@b.test" {
		t.Errorf("conversation %s", m.Payload)
	}
}

// TestStreamingOutlivesServerTimeouts: main's http.Server has read and
// write timeouts; streams must not end when they pass.
func TestStreamingOutlivesServerTimeouts(t *testing.T) {
	e, _ := newStreamEnv(t)
	srv := httptest.NewUnstartedServer(e.s.Handler())
	srv.Config.ReadTimeout = 150 * time.Millisecond
	srv.Config.WriteTimeout = 150 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	tok := streamToken(t, e.st, "read")

	c := dialStream(t, srv.URL, "/api/v1/streaming?stream=public", &websocket.DialOptions{Subprotocols: []string{tok}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/streaming/public?access_token="+tok, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	if l, err := rd.ReadString('\n'); l != ":)\n" {
		t.Fatalf("first line %q, %v", l, err)
	}

	time.Sleep(400 * time.Millisecond)
	st := postAs(t, e.s.fed, "<p>still here</p>", store.Public)
	if m := readFrame(t, c); decodeStatus(t, m.Payload).ID != store.FormatID(st.ID) {
		t.Errorf("websocket frame %+v", m)
	}
	if l, err := rd.ReadString('\n'); l != "event: update\n" {
		t.Errorf("SSE line %q, %v", l, err)
	}
}
