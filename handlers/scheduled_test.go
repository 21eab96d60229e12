package handlers

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"roost/ap"
	"roost/store"
)

// TestScheduledStatuses schedules statuses through the API, restarts the
// server on the same data with the clock past their time, and checks that
// the worker posts the due one and that it federates to a follower.
func TestScheduledStatuses(t *testing.T) {
	ctx := context.Background()
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	b := newInstance(t, n, "b.test", "bob", false)
	b.followHandle("alice@a.test")
	settle(t, a, b)
	c := a.api("read write")

	soon := time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	if resp := c.do("POST", "/api/v1/statuses", url.Values{"status": {"too soon"}, "scheduled_at": {soon}}, nil, nil); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("scheduled in a minute: %d, want 422", resp.StatusCode)
	}
	at := time.Now().Add(10 * time.Minute).UTC().Truncate(time.Second)
	var ss jsonObj
	c.do("POST", "/api/v1/statuses", url.Values{"status": {"Written earlier"}, "visibility": {"public"},
		"scheduled_at": {at.Format(time.RFC3339)}}, nil, &ss)
	params := ss["params"].(jsonObj)
	if ss["scheduled_at"] != mastoTime(at) || params["text"] != "Written earlier" || params["visibility"] != "public" ||
		params["scheduled_at"] != nil || params["with_rate_limit"] != false || params["poll"] != nil {
		t.Errorf("scheduled status entity: %v", ss)
	}
	if m, ok := ss["media_attachments"].([]any); !ok || len(m) != 0 {
		t.Errorf("media_attachments %v, want []", ss["media_attachments"])
	}
	id := ss["id"].(string)

	// Move it, and schedule and cancel another.
	later := at.Add(5 * time.Minute)
	c.do("PUT", "/api/v1/scheduled_statuses/"+id, url.Values{"scheduled_at": {later.Format(time.RFC3339)}}, nil, &ss)
	if ss["scheduled_at"] != mastoTime(later) {
		t.Errorf("after PUT scheduled_at %v, want %s", ss["scheduled_at"], mastoTime(later))
	}
	var other jsonObj
	c.do("POST", "/api/v1/statuses", url.Values{"status": {"never"}, "scheduled_at": {later.Add(time.Hour).Format(time.RFC3339)}}, nil, &other)
	c.do("DELETE", "/api/v1/scheduled_statuses/"+other["id"].(string), nil, nil, &jsonObj{})
	if resp := c.do("GET", "/api/v1/scheduled_statuses/"+other["id"].(string), nil, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("deleted scheduled status: %d, want 404", resp.StatusCode)
	}
	var list []jsonObj
	c.do("GET", "/api/v1/scheduled_statuses", nil, nil, &list)
	if len(list) != 1 || list[0]["id"] != id {
		t.Fatalf("scheduled statuses %v, want only %s", list, id)
	}

	// Restart on the same data, the clock past the time.
	a2, srv := reopenInstance(t, a)
	if got, err := srv.ProcessScheduled(ctx); err != nil || got != 0 {
		t.Fatalf("before its time: posted %d, %v", got, err)
	}
	n.advance(20 * time.Minute)
	if got, err := srv.ProcessScheduled(ctx); err != nil || got != 1 {
		t.Fatalf("ProcessScheduled = %d, %v; want 1", got, err)
	}
	if got, err := srv.ProcessScheduled(ctx); err != nil || got != 0 {
		t.Fatalf("second round posted %d, %v", got, err)
	}
	if _, err := a2.st.GetScheduledStatus(ctx, mustID(t, id)); err == nil {
		t.Error("the posted scheduled status is still there")
	}
	settle(t, a2, b)
	sts, err := a2.st.ListAccountStatuses(ctx, a2.owner.ID, store.AccountStatusesFilter{}, store.Page{Limit: 5})
	if err != nil || len(sts) != 1 || sts[0].Source != "Written earlier" {
		t.Fatalf("alice's statuses: %v, %v", sts, err)
	}
	got := b.status(sts[0].URI)
	if got == nil || !strings.Contains(got.Content, "Written earlier") {
		t.Fatalf("bob did not get the scheduled status: %+v", got)
	}
}

func mustID(t testing.TB, s string) int64 {
	t.Helper()
	id, ok := store.ParseID(s)
	if !ok {
		t.Fatalf("bad id %q", s)
	}
	return id
}

// reopenInstance stops using in's store and serves a copy of its data
// with new federation and HTTP servers on the fake clock, as a restart
// would; the host now reaches the new server.
func reopenInstance(t *testing.T, in *instance) (*instance, *Server) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "restarted.db")
	if err := in.st.Backup(ctx, path); err != nil {
		t.Fatal(err)
	}
	in.st.Close()
	st, err := store.Open(ctx, store.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fed, err := ap.New(ctx, ap.Config{URLs: in.urls, UserAgent: "Roost/test", Insecure: true, DialContext: in.net.dial, Now: in.net.now}, st, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(ctx, Config{BaseURL: in.urls.Base, Version: "test", MediaDir: filepath.Join(t.TempDir(), "media")}, st, fed, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	srv.oauth.now = in.net.now
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	t.Cleanup(func() { srv.cfg.Streaming.Close(); hs.Close() })
	in.net.mu.Lock()
	in.net.addrs[in.host] = ln.Addr().String()
	in.net.mu.Unlock()
	out := *in
	out.st, out.fed, out.hub, out.addr = st, fed, srv.cfg.Streaming, ln.Addr().String()
	return &out, srv
}

// TestScheduledWorker checks that Server.Run posts a due status by itself
// and stops when its context ends.
func TestScheduledWorker(t *testing.T) {
	ctx := context.Background()
	a := newInstance(t, newFedNet(), "a.test", "alice", false)
	srv, err := New(ctx, Config{BaseURL: a.urls.Base, Version: "test", MediaDir: filepath.Join(t.TempDir(), "media")}, a.st, a.fed, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	ss := &store.ScheduledStatus{ScheduledAt: time.Now().Add(-time.Second), Params: `{"values":{"status":["from the worker"]}}`}
	if err := a.st.InsertScheduledStatus(ctx, ss); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx) }()
	var sts []*store.Status
	for i := 0; i < 100 && len(sts) == 0; i++ {
		time.Sleep(20 * time.Millisecond)
		sts, _ = a.st.ListAccountStatuses(ctx, a.owner.ID, store.AccountStatusesFilter{}, store.Page{Limit: 5})
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
	if len(sts) != 1 || sts[0].Source != "from the worker" {
		t.Fatalf("statuses after the worker ran: %v", sts)
	}
}
