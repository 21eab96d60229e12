package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"roost/ap"
	"roost/store"
)

// TestCrashSafety kills the real binary with SIGKILL twenty times while an
// app posts statuses and a peer delivers Notes, restarts it on the same
// data each time, and checks that nothing acknowledged was lost: every
// status answered 200 is readable, every activity answered 202 is applied,
// every status reaches the peer (at least once, at most twice), and the
// file is sound and the delivery queue empty at the end.
func TestCrashSafety(t *testing.T) {
	const (
		iterations = 20
		bound      = 10 * time.Second // every wait below fails the test past this
	)
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := mrand.New(mrand.NewSource(seed))

	data := filepath.Join(t.TempDir(), "data")
	addr := freePort(t)
	_, port, _ := net.SplitHostPort(addr)
	env := cleanEnv("ROOST_DATA="+data, "ROOST_URL=http://localhost:"+port, "ROOST_USERNAME=me", "ROOST_PASSWORD=crash-safety-password")
	if code, out, stderr := run(t, env, "init"); code != 0 {
		t.Fatalf("init: exit %d %q %q", code, out, stderr)
	}
	app := &crashApp{base: "http://" + addr, token: crashToken(t, filepath.Join(data, "roost.db")), c: &http.Client{Timeout: 5 * time.Second}}
	peer := newCrashPeer(t, "http://"+addr+"/inbox", "localhost:"+port)
	owner := "http://localhost:" + port + "/users/me"
	serve := func() *server { return startServeAt(t, addr, env, "--insecure-federation") }
	srv := serve()

	// The peer follows the owner, so that every post is delivered to it.
	follow := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"%s/follows/1","type":"Follow","actor":"%s","object":"%s"}`,
		peer.base, peer.actor, owner)
	if code, err := peer.post([]byte(follow)); err != nil || code != http.StatusAccepted {
		t.Fatalf("peer's Follow: %d %v", code, err)
	}
	waitUntil(t, bound, "the owner's followers to show the peer", func() (bool, string) {
		total, _ := srv.getJSON(t, "/users/me/followers", "application/activity+json")["totalItems"].(float64)
		return total == 1, fmt.Sprintf("totalItems %v", total)
	})
	// The owner follows the peer, so that the peer's Notes are relevant and
	// applied; the peer accepts.
	app.followPeer(t, peer.handle(), bound)

	var (
		statuses []*crashStatus // answered 200
		notes    []*crashNote   // answered 202
	)
	started := time.Now()
	for i := range iterations {
		stop := make(chan struct{})
		var mu sync.Mutex
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { // the app
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				text := fmt.Sprintf("crash post %d-%d", i, n)
				st, code, err := app.postStatus(text)
				if err != nil {
					return // killed
				}
				if code != http.StatusOK {
					t.Errorf("POST /api/v1/statuses: %d", code)
					return
				}
				mu.Lock()
				statuses = append(statuses, st)
				mu.Unlock()
			}
		}()
		go func() { // the peer
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				note := &crashNote{id: fmt.Sprintf("%s/notes/%d-%d", peer.base, i, n), iter: i}
				code, err := peer.post(peer.create(note.id, fmt.Sprintf("peer note %d-%d", i, n)))
				if err != nil {
					return // killed
				}
				if code != http.StatusAccepted {
					t.Errorf("POST /inbox: %d", code)
					return
				}
				mu.Lock()
				notes = append(notes, note)
				mu.Unlock()
			}
		}()
		time.Sleep(time.Duration(10+rng.Intn(70)) * time.Millisecond)
		srv.cmd.Process.Signal(syscall.SIGKILL)
		select {
		case <-srv.done:
		case <-time.After(bound):
			t.Fatal("roost serve did not die of SIGKILL")
		}
		close(stop)
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		app.c.CloseIdleConnections()
		peer.client.CloseIdleConnections()
		srv = serve()
		t.Logf("iteration %d: %d statuses, %d notes acknowledged so far", i, len(statuses), len(notes))

		// Acknowledged statuses are there at once, with their text.
		for _, st := range statuses {
			if err := app.checkStatus(st); err != nil {
				t.Fatalf("after restart %d: status %s (posted in iteration %d): %v", i, st.id, st.iter, err)
			}
		}
		// Acknowledged activities are applied by the inbox worker, and
		// every status reaches the peer: jobs that the kill interrupted
		// are due still and go out at once.
		waitUntil(t, bound, fmt.Sprintf("after restart %d, every acknowledged Note to be applied", i), func() (bool, string) {
			for _, n := range notes {
				if !n.applied {
					ok, err := app.knows(n.id)
					if err != nil {
						return false, err.Error()
					}
					if !ok {
						return false, fmt.Sprintf("%s (iteration %d) not applied", n.id, n.iter)
					}
					n.applied = true
				}
			}
			return true, ""
		})
		waitUntil(t, bound, fmt.Sprintf("after restart %d, every status to reach the peer", i), func() (bool, string) {
			for _, st := range statuses {
				if peer.received(st.uri) == 0 {
					return false, fmt.Sprintf("%s (iteration %d) not delivered", st.uri, st.iter)
				}
			}
			return true, ""
		})
	}
	// Applied Notes stay applied across later crashes.
	for _, n := range notes {
		if ok, err := app.knows(n.id); err != nil || !ok {
			t.Errorf("note %s (iteration %d) was applied, then lost (%v)", n.id, n.iter, err)
		}
	}
	t.Logf("%d crashes in %v: %d statuses, %d notes", iterations, time.Since(started).Round(time.Millisecond), len(statuses), len(notes))

	// Let the last deliveries settle, then stop cleanly.
	waitUntil(t, bound, "the peer's inbox to fall quiet", func() (bool, string) {
		idle := peer.idleFor()
		return idle > 500*time.Millisecond, fmt.Sprintf("last POST %v ago", idle)
	})
	srv.stop(t)
	peer.accepts.Wait()
	if fi, err := os.Stat(filepath.Join(data, "roost.db-wal")); err == nil && fi.Size() > 0 {
		t.Errorf("WAL of %d bytes left after SIGTERM", fi.Size())
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Path: filepath.Join(data, "roost.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if report, err := st.IntegrityCheck(ctx); err != nil || report != "ok" {
		t.Errorf("integrity check: %q %v", report, err)
	}
	left, err := st.DueDeliveries(ctx, time.Now().Add(365*24*time.Hour), 20)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range left {
		t.Errorf("delivery of %s to %s left: attempts %d, next at %v (in %v), last error %q",
			d.ActivityID, d.Inbox, d.Attempts, d.NextAt, time.Until(d.NextAt).Round(time.Second), d.LastError)
	}

	// At least once, and at most twice: a job the kill caught between the
	// peer's 202 and the row's deletion is sent again, once.
	twice := 0
	peer.mu.Lock()
	for id, n := range peer.activities {
		if n > 2 {
			t.Errorf("activity %s was delivered %d times", id, n)
		}
		if n == 2 {
			twice++
		}
	}
	received := len(peer.activities)
	peer.mu.Unlock()
	for _, s := range statuses {
		if n := peer.received(s.uri); n < 1 || n > 2 {
			t.Errorf("status %s was delivered %d times", s.uri, n)
		}
	}
	t.Logf("peer received %d activities, %d of them twice", received, twice)
}

// crashStatus is a status the app was answered 200 for.
type crashStatus struct {
	id, uri, text string
	iter          int
}

// crashNote is a Note the peer was answered 202 for.
type crashNote struct {
	id      string
	iter    int
	applied bool
}

// waitUntil polls cond until it holds, failing the test after bound with
// cond's last explanation.
func waitUntil(t *testing.T, bound time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s: %s", bound, what, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// crashToken writes an OAuth app and an owner token into the database at
// path, as the OAuth flow would, and returns the token.
func crashToken(t *testing.T, path string) string {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := &store.OAuthApp{ClientID: "crash", ClientSecretHash: store.HashSecret("s"), Name: "crash",
		RedirectURIs: []string{"urn:ietf:wg:oauth:2.0:oob"}, Scopes: []string{"read", "write", "follow"}}
	if err := st.InsertOAuthApp(ctx, a); err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 16)
	rand.Read(raw)
	token := hex.EncodeToString(raw)
	if err := st.InsertOAuthToken(ctx, token, &store.OAuthToken{AppID: a.ID, Scopes: a.Scopes, Owner: true}); err != nil {
		t.Fatal(err)
	}
	return token
}

// crashApp is a Mastodon app using the owner's token.
type crashApp struct {
	base, token string
	c           *http.Client
}

func (a *crashApp) do(method, path string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, b, nil
}

// postStatus posts a public status; the status is nil unless the answer
// is a complete 200.
func (a *crashApp) postStatus(text string) (*crashStatus, int, error) {
	code, b, err := a.do("POST", "/api/v1/statuses", map[string]string{"status": text, "visibility": "public"})
	if err != nil || code != http.StatusOK {
		return nil, code, err
	}
	var v struct{ ID, URI string }
	if err := json.Unmarshal(b, &v); err != nil || v.ID == "" || v.URI == "" {
		return nil, code, fmt.Errorf("status answer %q: %v", b, err)
	}
	var iter int
	fmt.Sscanf(text, "crash post %d-", &iter)
	return &crashStatus{id: v.ID, uri: v.URI, text: text, iter: iter}, code, nil
}

// checkStatus reads st back through the API.
func (a *crashApp) checkStatus(st *crashStatus) error {
	code, b, err := a.do("GET", "/api/v1/statuses/"+st.id, nil)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("GET: %d %s", code, b)
	}
	var v struct{ Content, URI string }
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if !strings.Contains(v.Content, st.text) || v.URI != st.uri {
		return fmt.Errorf("got uri %s content %q, want %s %q", v.URI, v.Content, st.uri, st.text)
	}
	return nil
}

// knows reports whether Roost has the status with uri, without fetching.
func (a *crashApp) knows(uri string) (bool, error) {
	code, b, err := a.do("GET", "/api/v2/search?type=statuses&resolve=false&q="+url.QueryEscape(uri), nil)
	if err != nil {
		return false, err
	}
	if code != http.StatusOK {
		return false, fmt.Errorf("search: %d %s", code, b)
	}
	var v struct{ Statuses []struct{ URI string } }
	if err := json.Unmarshal(b, &v); err != nil {
		return false, err
	}
	return len(v.Statuses) == 1 && v.Statuses[0].URI == uri, nil
}

// followPeer resolves handle, follows it and waits until the peer's Accept
// is applied.
func (a *crashApp) followPeer(t *testing.T, handle string, bound time.Duration) {
	t.Helper()
	code, b, err := a.do("GET", "/api/v2/search?type=accounts&resolve=true&q="+url.QueryEscape(handle), nil)
	var found struct{ Accounts []struct{ ID, Acct string } }
	if err != nil || code != http.StatusOK || json.Unmarshal(b, &found) != nil || len(found.Accounts) != 1 {
		t.Fatalf("resolve %s: %d %s %v", handle, code, b, err)
	}
	id := found.Accounts[0].ID
	if code, b, err := a.do("POST", "/api/v1/accounts/"+id+"/follow", nil); err != nil || code != http.StatusOK {
		t.Fatalf("follow %s: %d %s %v", handle, code, b, err)
	}
	waitUntil(t, bound, "the peer to accept the owner's Follow", func() (bool, string) {
		code, b, err := a.do("GET", "/api/v1/accounts/relationships?id[]="+id, nil)
		var rel []struct{ Following, Requested bool }
		if err != nil || code != http.StatusOK || json.Unmarshal(b, &rel) != nil || len(rel) != 1 {
			return false, fmt.Sprintf("relationships: %d %s %v", code, b, err)
		}
		return rel[0].Following, fmt.Sprintf("following %v requested %v", rel[0].Following, rel[0].Requested)
	})
}

// crashPeer is a fake fediverse server with one actor: it serves the actor
// and WebFinger, accepts Follows, signs what it sends, and counts what it
// receives.
type crashPeer struct {
	srv                   *httptest.Server
	base, actor           string
	key                   *rsa.PrivateKey
	roostInbox, roostHost string
	client                *http.Client
	accepts               sync.WaitGroup

	mu         sync.Mutex
	activities map[string]int // activity id → times received
	objects    map[string]int // id of a Create's object → times received
	last       time.Time      // last POST to the inbox
	posts      int            // POSTs to the inbox, numbering the Accepts
}

func newCrashPeer(t *testing.T, roostInbox, roostHost string) *crashPeer {
	t.Helper()
	key, err := ap.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	p := &crashPeer{key: key, roostInbox: roostInbox, roostHost: roostHost,
		client:     &http.Client{Timeout: 5 * time.Second},
		activities: map[string]int{}, objects: map[string]int{}, last: time.Now()}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serveHTTP))
	t.Cleanup(p.srv.Close)
	p.base = p.srv.URL
	p.actor = p.base + "/users/peer"
	return p
}

// handle is the peer's user@host.
func (p *crashPeer) handle() string { return "peer@" + strings.TrimPrefix(p.base, "http://") }

func (p *crashPeer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == "GET" && r.URL.Path == "/users/peer":
		pem, _ := ap.EncodePublicKeyPEM(&p.key.PublicKey)
		doc, _ := json.Marshal(map[string]any{
			"@context":          []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":                p.actor,
			"type":              "Person",
			"preferredUsername": "peer",
			"inbox":             p.actor + "/inbox",
			"outbox":            p.actor + "/outbox",
			"followers":         p.actor + "/followers",
			"following":         p.actor + "/following",
			"publicKey":         map[string]string{"id": p.actor + "#main-key", "owner": p.actor, "publicKeyPem": pem},
		})
		w.Header().Set("Content-Type", "application/activity+json")
		w.Write(doc)
	case r.Method == "GET" && r.URL.Path == "/.well-known/webfinger":
		doc, _ := json.Marshal(map[string]any{
			"subject": "acct:" + p.handle(),
			"links":   []map[string]string{{"rel": "self", "type": "application/activity+json", "href": p.actor}},
		})
		w.Header().Set("Content-Type", "application/jrd+json")
		w.Write(doc)
	case r.Method == "POST" && r.URL.Path == "/users/peer/inbox":
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var act struct {
			ID, Type string
			Object   json.RawMessage
		}
		if err := json.Unmarshal(body, &act); err != nil || act.ID == "" {
			http.Error(w, "not an activity", http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		p.activities[act.ID]++
		p.last = time.Now()
		if act.Type == "Create" {
			var obj struct{ ID string }
			if json.Unmarshal(act.Object, &obj) == nil && obj.ID != "" {
				p.objects[obj.ID]++
			}
		}
		p.posts++
		n := p.posts
		p.mu.Unlock()
		if act.Type == "Follow" {
			// Accept, embedding the Follow, once this request is answered.
			accept := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"%s/accepts/%d","type":"Accept","actor":"%s","object":%s}`,
				p.base, n, p.actor, body)
			p.accepts.Add(1)
			go func() {
				defer p.accepts.Done()
				time.Sleep(10 * time.Millisecond)
				p.post([]byte(accept))
			}()
		}
		w.WriteHeader(http.StatusAccepted)
	default:
		http.NotFound(w, r)
	}
}

// create is a Create of a public Note by the peer.
func (p *crashPeer) create(noteID, text string) []byte {
	b, _ := json.Marshal(map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       noteID + "/activity",
		"type":     "Create",
		"actor":    p.actor,
		"to":       []string{"https://www.w3.org/ns/activitystreams#Public"},
		"cc":       []string{p.actor + "/followers"},
		"object": map[string]any{
			"id":           noteID,
			"url":          noteID,
			"type":         "Note",
			"attributedTo": p.actor,
			"content":      "<p>" + text + "</p>",
			"published":    time.Now().UTC().Format(time.RFC3339),
			"to":           []string{"https://www.w3.org/ns/activitystreams#Public"},
			"cc":           []string{p.actor + "/followers"},
		},
	})
	return b
}

// post sends body, signed by the peer, to Roost's shared inbox.
func (p *crashPeer) post(body []byte) (int, error) {
	req, err := http.NewRequest("POST", p.roostInbox, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Host = p.roostHost
	req.Header.Set("Content-Type", "application/activity+json")
	if err := ap.SignRequest(req, body, p.actor+"#main-key", p.key, time.Now(), true); err != nil {
		return 0, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// received is how many times a Create of the object uri reached the peer.
func (p *crashPeer) received(uri string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.objects[uri]
}

// idleFor is how long ago the peer's inbox was last posted to.
func (p *crashPeer) idleFor() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return time.Since(p.last)
}
