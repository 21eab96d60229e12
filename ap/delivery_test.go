package ap

import (
	"bytes"
	"context"
	"crypto"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"roost/store"
)

// deliveryTestWait bounds how long a test waits for something that must
// happen. It is below deliveryTimeout, so an implementation that lets a
// hanging host hold up the others fails rather than passes late.
const deliveryTestWait = 10 * time.Second

// deliveryEnv is a Federation with its owner, a movable clock, and peers
// on loopback listeners reached through host names.
type deliveryEnv struct {
	path  string
	urls  URLs
	pub   crypto.PublicKey
	clock *deliveryClock
	hosts *deliveryHosts
	logs  *deliveryLog
	st    *store.Store
	f     *Federation
}

func newDeliveryEnv(t testing.TB) *deliveryEnv {
	t.Helper()
	ctx := context.Background()
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := EncodePublicKeyPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	privPEM, err := EncodePrivateKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	e := &deliveryEnv{
		path: filepath.Join(t.TempDir(), "roost.db"),
		urls: URLs{Base: "https://home.test", Username: "me"},
		pub:  &key.PublicKey,
		// Far from the wall clock on purpose: scheduling must follow Config.Now.
		clock: &deliveryClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)},
		hosts: &deliveryHosts{addrs: map[string]string{}},
		logs:  &deliveryLog{},
	}
	st, err := store.Open(ctx, store.Config{Path: e.path})
	if err != nil {
		t.Fatal(err)
	}
	owner := &store.Owner{Account: e.urls.OwnerAccount(pubPEM), PasswordHash: "x", PrivateKeyPEM: privPEM}
	if err := st.CreateOwner(ctx, owner); err != nil {
		t.Fatal(err)
	}
	st.Close()
	e.open(t)
	return e
}

// open (re)opens the store file and builds a new Federation on it, as a
// restart does.
func (e *deliveryEnv) open(t testing.TB) {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{Path: e.path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f, err := New(context.Background(), Config{
		URLs:        e.urls,
		Insecure:    true,
		UserAgent:   "Roost/test",
		DialContext: e.hosts.dial,
		Now:         e.clock.Now,
	}, st, log)
	if err != nil {
		t.Fatal(err)
	}
	e.st, e.f = st, f
}

// deliver queues one activity to inboxes and returns its body.
func (e *deliveryEnv) deliver(t testing.TB, id string, inboxes ...string) []byte {
	t.Helper()
	body := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"` + id + `","type":"Create","actor":"` + e.urls.Actor() + `"}`)
	if err := e.f.Deliver(context.Background(), id, body, inboxes); err != nil {
		t.Fatal(err)
	}
	return body
}

func (e *deliveryEnv) process(t testing.TB) int {
	t.Helper()
	n, err := e.f.ProcessDeliveries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *deliveryEnv) jobs(t testing.TB) []*store.Delivery {
	t.Helper()
	ds, err := e.st.DueDeliveries(context.Background(), e.clock.Now().Add(1000*time.Hour), 10000)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// processAsync runs ProcessDeliveries in the background.
func (e *deliveryEnv) processAsync() <-chan int {
	done := make(chan int, 1)
	go func() {
		n, _ := e.f.ProcessDeliveries(context.Background())
		done <- n
	}()
	return done
}

type deliveryClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *deliveryClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *deliveryClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// deliveryHosts maps test host names to loopback listeners.
type deliveryHosts struct {
	mu    sync.Mutex
	addrs map[string]string
}

func (h *deliveryHosts) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	a, ok := h.addrs[host]
	h.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("dial %s: unknown test host", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, a)
}

func (h *deliveryHosts) add(name, addr string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.addrs[name] = addr
}

// serve answers requests to the names with handler.
func (h *deliveryHosts) serve(t testing.TB, handler http.Handler, names ...string) {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	for _, n := range names {
		h.add(n, srv.Listener.Addr().String())
	}
}

// hang makes name a host that accepts connections and never answers. Each
// accepted connection is reported on the returned channel; release closes
// them all (and any later ones).
func (h *deliveryHosts) hang(t testing.TB, name string) (accepted <-chan struct{}, release func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	acc := make(chan struct{}, 100)
	rel := make(chan struct{})
	release = sync.OnceFunc(func() { close(rel) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case acc <- struct{}{}:
			default:
			}
			go func() {
				<-rel
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		release()
		ln.Close()
	})
	h.add(name, ln.Addr().String())
	return acc, release
}

// deliverySink records what it receives and checks each request's signature
// against the owner's key.
type deliverySink struct {
	env    *deliveryEnv
	status func(n int, r *http.Request) int // the answer to the n-th request; 202 if nil
	// block, if set, is waited on before answering.
	block <-chan struct{}

	mu       sync.Mutex
	got      []sinkReceipt
	inFlight int
	maxIn    int
	received chan sinkReceipt
}

type sinkReceipt struct {
	method, host, path string
	contentType, agent string
	date               string
	body               []byte
	status             int
	sigErr             error
}

func newDeliverySink(e *deliveryEnv, status func(n int, r *http.Request) int) *deliverySink {
	return &deliverySink{env: e, status: status, received: make(chan sinkReceipt, 10000)}
}

func (s *deliverySink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p, err := RequestSignature(r, body, s.env.clock.Now())
	if err == nil {
		if p.KeyID != s.env.urls.Key() {
			err = fmt.Errorf("keyId %q, want %q", p.KeyID, s.env.urls.Key())
		} else {
			err = p.Verify(r, s.env.pub)
		}
	}
	rc := sinkReceipt{method: r.Method, host: r.Host, path: r.URL.Path, contentType: r.Header.Get("Content-Type"),
		agent: r.Header.Get("User-Agent"), date: r.Header.Get("Date"), body: body, status: http.StatusAccepted, sigErr: err}

	s.mu.Lock()
	s.inFlight++
	s.maxIn = max(s.maxIn, s.inFlight)
	n := len(s.got) + 1
	if s.status != nil {
		rc.status = s.status(n, r)
	}
	s.got = append(s.got, rc)
	s.mu.Unlock()
	s.received <- rc

	if s.block != nil {
		<-s.block
	}
	s.mu.Lock()
	s.inFlight--
	s.mu.Unlock()
	w.WriteHeader(rc.status)
}

func (s *deliverySink) receipts() []sinkReceipt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sinkReceipt(nil), s.got...)
}

func (s *deliverySink) concurrency() (now, peak int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight, s.maxIn
}

// check reports a sinkReceipt that is not the signed POST of body.
func (rc sinkReceipt) check(t *testing.T, e *deliveryEnv, body []byte) {
	t.Helper()
	if rc.method != http.MethodPost {
		t.Errorf("%s%s: method %s, want POST", rc.host, rc.path, rc.method)
	}
	if rc.sigErr != nil {
		t.Errorf("%s%s: signature: %v", rc.host, rc.path, rc.sigErr)
	}
	if !bytes.Equal(rc.body, body) {
		t.Errorf("%s%s: body %q, want %q", rc.host, rc.path, rc.body, body)
	}
	if rc.contentType != ContentType {
		t.Errorf("%s%s: Content-Type %q, want %q", rc.host, rc.path, rc.contentType, ContentType)
	}
	if rc.agent != "Roost/test" {
		t.Errorf("%s%s: User-Agent %q, want Roost/test", rc.host, rc.path, rc.agent)
	}
}

func waitSink(t *testing.T, s *deliverySink, what string) sinkReceipt {
	t.Helper()
	select {
	case rc := <-s.received:
		return rc
	case <-time.After(deliveryTestWait):
		t.Fatalf("%s: nothing received", what)
		return sinkReceipt{}
	}
}

func waitPass(t *testing.T, done <-chan int) int {
	t.Helper()
	select {
	case n := <-done:
		return n
	case <-time.After(deliveryTestWait):
		t.Fatal("ProcessDeliveries did not return")
		return 0
	}
}

// deliveryLog is a log sink that tests can read while workers write.
type deliveryLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *deliveryLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *deliveryLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestDeliverRetriesUntilAccepted(t *testing.T) {
	e := newDeliveryEnv(t)
	inbox := newDeliverySink(e, func(n int, _ *http.Request) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusAccepted
	})
	e.hosts.serve(t, inbox, "a.test")
	body := e.deliver(t, "https://home.test/users/me/statuses/1/activity", "http://a.test/inbox")

	if n := e.process(t); n != 1 {
		t.Fatalf("first pass handled %d jobs, want 1", n)
	}
	jobs := e.jobs(t)
	if len(jobs) != 1 {
		t.Fatalf("after a 500, %d jobs are queued, want 1", len(jobs))
	}
	j := jobs[0]
	start := e.clock.Now()
	if j.Attempts != 1 || j.LastError != "status 500" {
		t.Errorf("after a 500: attempts %d, last error %q", j.Attempts, j.LastError)
	}
	if lo, hi := start.Add(deliveryBackoff(1, 0)), start.Add(deliveryBackoff(1, 1)); j.NextAt.Before(lo) || j.NextAt.After(hi) {
		t.Errorf("retry due at %v, want between %v and %v", j.NextAt, lo, hi)
	}

	// Not due yet: nothing is sent.
	e.clock.Set(j.NextAt.Add(-time.Second))
	if n := e.process(t); n != 0 || len(inbox.receipts()) != 1 {
		t.Fatalf("before the backoff passed: handled %d, %d requests; want 0 and 1", n, len(inbox.receipts()))
	}

	e.clock.Set(j.NextAt)
	if n := e.process(t); n != 1 {
		t.Fatalf("second pass handled %d jobs, want 1", n)
	}
	got := inbox.receipts()
	if len(got) != 2 {
		t.Fatalf("received %d requests, want 2", len(got))
	}
	accepted := 0
	for _, rc := range got {
		rc.check(t, e, body)
		if rc.status/100 == 2 {
			accepted++
		}
	}
	if accepted != 1 {
		t.Errorf("activity accepted %d times, want once", accepted)
	}
	// Each attempt is signed afresh (FEDERATION.md §3.1).
	if want := j.NextAt.UTC().Format(http.TimeFormat); got[1].date != want {
		t.Errorf("retry Date %q, want %q", got[1].date, want)
	}
	if c, err := e.st.CountDeliveries(context.Background()); err != nil || c != 0 {
		t.Errorf("after delivery, %d jobs remain (%v)", c, err)
	}
	if n := e.process(t); n != 0 || len(inbox.receipts()) != 2 {
		t.Errorf("a pass after delivery handled %d, sent again: %d requests", n, len(inbox.receipts()))
	}
}

func TestDeliverDownHostDoesNotDelayOthers(t *testing.T) {
	e := newDeliveryEnv(t)
	accepted, release := e.hosts.hang(t, "down.test")
	inbox := newDeliverySink(e, nil)
	e.hosts.serve(t, inbox, "a.test")
	// The hanging host's jobs come first in the queue, and there are more
	// of them than the per-host limit.
	var down []string
	for i := range 6 {
		down = append(down, fmt.Sprintf("http://down.test/users/u%d/inbox", i))
	}
	e.deliver(t, "https://home.test/a/1", down...)
	body := e.deliver(t, "https://home.test/a/2", "http://a.test/inbox")

	done := e.processAsync()
	select {
	case <-accepted:
	case <-time.After(deliveryTestWait):
		t.Fatal("down.test was never contacted")
	}
	rc := waitSink(t, inbox, "a.test while down.test hangs")
	rc.check(t, e, body)
	select {
	case n := <-done:
		t.Fatalf("the pass returned (%d jobs) while down.test was still hanging", n)
	default:
	}

	release()
	if n := waitPass(t, done); n != 7 {
		t.Errorf("pass handled %d jobs, want 7", n)
	}
	jobs := e.jobs(t)
	if len(jobs) != 6 {
		t.Fatalf("%d jobs remain, want the 6 for down.test", len(jobs))
	}
	for _, j := range jobs {
		if j.Host != "down.test" || j.Attempts != 1 || j.LastError == "" {
			t.Errorf("remaining job %s: attempts %d, error %q", j.Inbox, j.Attempts, j.LastError)
		}
	}
}

func TestDeliverStatusCodes(t *testing.T) {
	e := newDeliveryEnv(t)
	redirected := newDeliverySink(e, nil)
	e.hosts.serve(t, redirected, "b.test")
	inbox := newDeliverySink(e, func(_ int, r *http.Request) int {
		var code int
		fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/inbox/"), "%d", &code)
		return code
	})
	e.hosts.serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/inbox/302" {
			w.Header().Set("Location", "http://b.test/inbox")
		}
		inbox.ServeHTTP(w, r)
	}), "a.test")

	cases := []struct {
		code  int
		retry bool
	}{
		{400, false}, {403, false}, {404, false}, {410, false}, {422, false}, {501, false},
		{401, true}, {408, true}, {429, true}, {500, true}, {502, true}, {503, true},
		{302, true}, // never followed (FEDERATION.md §4.1), retried as Mastodon does
	}
	var inboxes []string
	for _, tc := range cases {
		inboxes = append(inboxes, fmt.Sprintf("http://a.test/inbox/%d", tc.code))
	}
	e.deliver(t, "https://home.test/a/1", inboxes...)
	if n := e.process(t); n != len(cases) {
		t.Fatalf("first pass handled %d jobs, want %d", n, len(cases))
	}
	queued := map[string]*store.Delivery{}
	for _, j := range e.jobs(t) {
		queued[j.Inbox] = j
	}
	// Let every retry come due and try once more.
	e.clock.Set(e.clock.Now().Add(24 * time.Hour))
	e.process(t)
	sent := map[string]int{}
	for _, rc := range inbox.receipts() {
		sent["http://a.test"+rc.path]++
	}
	for i, tc := range cases {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			j, ok := queued[inboxes[i]]
			switch {
			case tc.retry && !ok:
				t.Errorf("dropped after %d, want a retry", tc.code)
			case tc.retry && (j.Attempts != 1 || j.LastError != fmt.Sprintf("status %d", tc.code)):
				t.Errorf("after %d: attempts %d, last error %q", tc.code, j.Attempts, j.LastError)
			case !tc.retry && ok:
				t.Errorf("kept after %d, want it dropped", tc.code)
			}
			want := 1
			if tc.retry {
				want = 2
			}
			if sent[inboxes[i]] != want {
				t.Errorf("sent %d times, want %d", sent[inboxes[i]], want)
			}
		})
	}
	if n := len(redirected.receipts()); n != 0 {
		t.Errorf("the redirect was followed: b.test got %d requests", n)
	}
}

func TestDeliverPerHostLimit(t *testing.T) {
	const perHost, overall = 4, 16
	e := newDeliveryEnv(t)
	unblock := make(chan struct{})
	open := sync.OnceFunc(func() { close(unblock) })
	busy := newDeliverySink(e, nil)
	busy.block = unblock
	e.hosts.serve(t, busy, "a.test")
	others := newDeliverySink(e, nil)
	others.block = unblock
	var otherHosts []string
	for i := range overall - perHost {
		otherHosts = append(otherHosts, fmt.Sprintf("b%02d.test", i))
	}
	e.hosts.serve(t, others, otherHosts...)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- e.f.runDeliveries(ctx) }()
	t.Cleanup(func() { // before the servers close: they wait for their handlers
		cancel()
		open()
		<-stopped
	})

	// Every request blocks until the end. Ten jobs for a.test go first...
	var inboxes []string
	for i := range 10 {
		inboxes = append(inboxes, fmt.Sprintf("http://a.test/users/u%d/inbox", i))
	}
	e.deliver(t, "https://home.test/a/1", inboxes...)
	for i := range perHost {
		waitSink(t, busy, fmt.Sprintf("request %d to a.test", i+1))
	}
	// ...then one for each of twelve other hosts: they all get through if,
	// and only if, a.test holds no more than its four of the sixteen slots.
	for _, h := range otherHosts {
		e.deliver(t, "https://home.test/a/1", "http://"+h+"/inbox")
	}
	timeout := time.After(deliveryTestWait)
	for range otherHosts {
		select {
		case <-others.received:
		case rc := <-busy.received:
			t.Fatalf("a.test got a request (%s) while %d were in flight", rc.path, perHost)
		case <-timeout:
			n, _ := busy.concurrency()
			t.Fatalf("the other hosts got %d requests of %d; a.test has %d in flight", len(others.receipts()), len(otherHosts), n)
		}
	}
	if now, peak := busy.concurrency(); now != perHost || peak != perHost {
		t.Errorf("a.test has %d requests in flight (peak %d), want %d", now, peak, perHost)
	}
	open()
	for i := perHost; i < 10; i++ {
		waitSink(t, busy, fmt.Sprintf("request %d to a.test", i+1))
	}
	if _, peak := busy.concurrency(); peak > perHost {
		t.Errorf("a.test saw %d concurrent requests, want at most %d", peak, perHost)
	}
}

func TestDeliverSurvivesRestart(t *testing.T) {
	e := newDeliveryEnv(t)
	a := newDeliverySink(e, func(n int, _ *http.Request) int {
		if n == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusAccepted
	})
	e.hosts.serve(t, a, "a.test")
	b := newDeliverySink(e, nil)
	e.hosts.serve(t, b, "b.test")

	bodyA := e.deliver(t, "https://home.test/a/1", "http://a.test/inbox")
	e.process(t) // a.test answers 503
	bodyB := e.deliver(t, "https://home.test/a/2", "http://b.test/inbox")

	// Restart: close the store and start over from the file.
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	e.open(t)
	jobs := e.jobs(t)
	if len(jobs) != 2 {
		t.Fatalf("after restart, %d jobs queued, want 2", len(jobs))
	}
	if j := jobs[0]; j.Inbox != "http://a.test/inbox" || j.Attempts != 1 || j.LastError != "status 503" {
		t.Errorf("retried job after restart: %s, attempts %d, error %q", j.Inbox, j.Attempts, j.LastError)
	}
	e.clock.Set(jobs[0].NextAt)
	if n := e.process(t); n != 2 {
		t.Errorf("pass after restart handled %d jobs, want 2", n)
	}
	if got := a.receipts(); len(got) != 2 || got[1].status != http.StatusAccepted {
		t.Errorf("a.test got %d requests, want a 503 and then a 202", len(got))
	} else {
		got[1].check(t, e, bodyA)
	}
	if got := b.receipts(); len(got) != 1 {
		t.Errorf("b.test got %d requests, want 1", len(got))
	} else {
		got[0].check(t, e, bodyB)
	}
	if c, err := e.st.CountDeliveries(context.Background()); err != nil || c != 0 {
		t.Errorf("%d jobs remain (%v), want none", c, err)
	}
}

func TestDeliverDeduplicates(t *testing.T) {
	e := newDeliveryEnv(t)
	inbox := newDeliverySink(e, nil)
	e.hosts.serve(t, inbox, "a.test")
	e.deliver(t, "https://home.test/a/1", "http://a.test/inbox", "http://a.test/inbox")
	e.deliver(t, "https://home.test/a/1", "http://a.test/inbox")
	if c, err := e.st.CountDeliveries(context.Background()); err != nil || c != 1 {
		t.Fatalf("queued %d jobs (%v), want 1", c, err)
	}
	e.process(t)
	if n := len(inbox.receipts()); n != 1 {
		t.Errorf("a.test got the activity %d times, want once", n)
	}
}

func TestDeliveryInboxes(t *testing.T) {
	accts := []*store.Account{
		{URI: "https://m.test/users/a", Inbox: "https://m.test/users/a/inbox", SharedInbox: "https://m.test/inbox"},
		{URI: "https://h.test/u/x", Inbox: "https://h.test/u/x/inbox"}, // honk: no shared inbox
		{URI: "https://m.test/users/b", Inbox: "https://m.test/users/b/inbox", SharedInbox: "https://m.test/inbox"},
		nil,
		{URI: "https://g.test/users/c"}, // no inbox known
		{URI: "https://k.test/users/d", Inbox: "https://k.test/users/d/inbox", SharedInbox: "https://k.test/inbox"},
		{URI: "https://h.test/u/x", Inbox: "https://h.test/u/x/inbox"},
	}
	got := DeliveryInboxes(accts)
	want := []string{"https://m.test/inbox", "https://h.test/u/x/inbox", "https://k.test/inbox"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("DeliveryInboxes = %q, want %q", got, want)
	}
	if got := DeliveryInboxes(nil); len(got) != 0 {
		t.Errorf("DeliveryInboxes(nil) = %q", got)
	}
}

func TestDeliverGivesUpAfterLastAttempt(t *testing.T) {
	e := newDeliveryEnv(t)
	inbox := newDeliverySink(e, func(int, *http.Request) int { return http.StatusInternalServerError })
	e.hosts.serve(t, inbox, "a.test")
	e.deliver(t, "https://home.test/a/1", "http://a.test/inbox")

	const attempts = 16 // Mastodon's
	start := e.clock.Now()
	for attempt := 1; ; attempt++ {
		if attempt > attempts {
			t.Fatalf("still queued after %d attempts", attempts)
		}
		if n := e.process(t); n != 1 {
			t.Fatalf("attempt %d: handled %d jobs", attempt, n)
		}
		next, ok, err := e.st.NextDeliveryAt(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			if attempt != attempts {
				t.Fatalf("given up after %d attempts, want %d", attempt, attempts)
			}
			break
		}
		now := e.clock.Now()
		if lo, hi := now.Add(deliveryBackoff(attempt, 0)), now.Add(deliveryBackoff(attempt, 1)); next.Before(lo) || next.After(hi) {
			t.Errorf("attempt %d: next at +%v, want between +%v and +%v", attempt, next.Sub(now), lo.Sub(now), hi.Sub(now))
		}
		e.clock.Set(next)
	}
	if n := len(inbox.receipts()); n != attempts {
		t.Errorf("a.test got %d requests, want %d", n, attempts)
	}
	// About two days of trying, as Mastodon does.
	if span := e.clock.Now().Sub(start); span < 48*time.Hour || span > 66*time.Hour {
		t.Errorf("tried for %v, want between 2 days and 2.75 days", span)
	}
	if logs := e.logs.String(); !strings.Contains(logs, `level=WARN msg="delivery given up"`) {
		t.Errorf("no warning on giving up; logs:\n%s", logs)
	}
}

func TestRunDeliveriesWakesAndStops(t *testing.T) {
	e := newDeliveryEnv(t)
	inbox := newDeliverySink(e, nil)
	e.hosts.serve(t, inbox, "a.test")
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- e.f.runDeliveries(ctx) }()

	// The worker sleeps on an empty queue; Deliver wakes it.
	body := e.deliver(t, "https://home.test/a/1", "http://a.test/inbox")
	waitSink(t, inbox, "a.test after Deliver").check(t, e, body)
	body = e.deliver(t, "https://home.test/a/2", "http://a.test/inbox")
	waitSink(t, inbox, "a.test after a second Deliver").check(t, e, body)

	cancel()
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("runDeliveries = %v, want nil", err)
		}
	case <-time.After(deliveryTestWait):
		t.Fatal("runDeliveries did not stop")
	}
}

func TestDeliveryWorkerWait(t *testing.T) {
	e := newDeliveryEnv(t)
	q := e.f.newDeliverer(context.Background(), false)
	now := e.clock.Now()
	if w := q.nextWait(now, nil); w != deliveryMaxWait {
		t.Errorf("empty queue: wait %v, want %v", w, deliveryMaxWait)
	}
	// Jobs due already have been handed out: they do not shorten the sleep.
	e.deliver(t, "https://home.test/a/1", "http://a.test/inbox", "http://b.test/inbox")
	if w := q.nextWait(now, nil); w != deliveryMaxWait {
		t.Errorf("only due jobs: wait %v, want %v", w, deliveryMaxWait)
	}
	j := e.jobs(t)[0]
	for _, tc := range []struct {
		in, want time.Duration
	}{{10 * time.Second, 10 * time.Second}, {time.Hour, deliveryMaxWait}} {
		if err := e.st.RescheduleDelivery(context.Background(), j.ID, 1, now.Add(tc.in), "x"); err != nil {
			t.Fatal(err)
		}
		if w := q.nextWait(now, nil); w != tc.want {
			t.Errorf("job due in %v: wait %v, want %v", tc.in, w, tc.want)
		}
	}
	if w := q.nextWait(now, fmt.Errorf("disk full")); w != deliveryMaxWait {
		t.Errorf("after a failed dispatch: wait %v, want %v", w, deliveryMaxWait)
	}
}

func TestRunDeliveriesDownHostDoesNotDelayNewJobs(t *testing.T) {
	e := newDeliveryEnv(t)
	accepted, release := e.hosts.hang(t, "down.test")
	inbox := newDeliverySink(e, nil)
	e.hosts.serve(t, inbox, "a.test")
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- e.f.runDeliveries(ctx) }()
	defer func() {
		cancel()
		release()
		<-stopped
	}()

	e.deliver(t, "https://home.test/a/1", "http://down.test/inbox")
	select {
	case <-accepted:
	case <-time.After(deliveryTestWait):
		t.Fatal("down.test was never contacted")
	}
	// down.test hangs; a job queued now goes out without waiting for it.
	body := e.deliver(t, "https://home.test/a/2", "http://a.test/inbox")
	waitSink(t, inbox, "a.test while down.test hangs").check(t, e, body)
}

func TestDeliveryBackoff(t *testing.T) {
	var total time.Duration
	for n := 1; n < deliveryMaxAttempts; n++ {
		lo, hi := deliveryBackoff(n, 0), deliveryBackoff(n, 0.999)
		if want := time.Duration(n*n*n*n+15) * time.Second; lo != want {
			t.Errorf("backoff(%d) = %v, want %v", n, lo, want)
		}
		if hi <= lo || hi > lo*13/10 {
			t.Errorf("backoff(%d) with jitter = %v, want in (%v, %v]", n, hi, lo, lo*13/10)
		}
		total += lo
	}
	if total < 2*24*time.Hour || total > 2*24*time.Hour+3*time.Hour {
		t.Errorf("retries span %v without jitter, want about two days", total)
	}
}

// BenchmarkFanOut1000 delivers one activity to 1,000 inboxes on 1,000 host
// names, all served by one loopback sink.
func BenchmarkFanOut1000(b *testing.B) {
	e := newDeliveryEnv(b)
	var mu sync.Mutex
	received := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		received++
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	b.Cleanup(srv.Close)
	inboxes := make([]string, 1000)
	for i := range inboxes {
		host := fmt.Sprintf("h%04d.test", i+1)
		e.hosts.add(host, srv.Listener.Addr().String())
		inboxes[i] = "http://" + host + "/inbox"
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e.deliver(b, fmt.Sprintf("https://home.test/a/%d", i), inboxes...)
		b.StartTimer()
		for {
			n, err := e.f.ProcessDeliveries(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if n == 0 {
				b.Fatal("jobs remain but none is due: some deliveries failed")
			}
			b.StopTimer()
			c, err := e.st.CountDeliveries(ctx)
			b.StartTimer()
			if err != nil {
				b.Fatal(err)
			}
			if c == 0 {
				break
			}
		}
	}
	b.StopTimer()
	if received != 1000*b.N {
		b.Fatalf("sink received %d requests, want %d", received, 1000*b.N)
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "deliveries/s")
}

func TestDeliverDropsForbiddenInboxes(t *testing.T) {
	e := newDeliveryEnv(t)
	// Production rules: https only, public addresses only.
	e.f.cfg.Insecure = false
	e.f.client = e.f.newHTTPClient()
	inbox := newDeliverySink(e, nil)
	e.hosts.serve(t, inbox, "a.test") // a loopback address
	e.deliver(t, "https://home.test/a/1", "http://a.test/inbox", "https://a.test/inbox")
	if n := e.process(t); n != 2 {
		t.Fatalf("handled %d jobs, want 2", n)
	}
	if jobs := e.jobs(t); len(jobs) != 0 {
		t.Errorf("%d jobs kept for retry, want both dropped: %s", len(jobs), jobs[0].LastError)
	}
	if n := len(inbox.receipts()); n != 0 {
		t.Errorf("a.test got %d requests", n)
	}
}
