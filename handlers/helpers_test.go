package handlers

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"roost/ap"
	"roost/store"
)

const testBase = "https://social.example"

// testEnv is a real server on a real SQLite file.
type testEnv struct {
	t     testing.TB
	st    *store.Store
	srv   *httptest.Server
	owner *store.Account
	urls  ap.URLs
	s     *Server
}

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Path: filepath.Join(t.TempDir(), "roost.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	urls := ap.URLs{Base: testBase, Username: "alice"}
	o, err := ap.CreateOwner(ctx, st, urls, testKey(t), "x", func(a *store.Account) {
		a.DisplayName = "Alice Liddell"
		a.NoteSource = "I live in a *hole*."
		a.Note = "<p>I live in a <em>hole</em>.</p>"
		a.Fields = []store.Field{{Name: "Site", Value: `<a href="https://alice.example/" rel="me">https://alice.example/</a>`}}
	})
	if err != nil {
		t.Fatal(err)
	}
	owner := o.Account
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	fed, err := ap.New(ctx, ap.Config{URLs: urls, UserAgent: "Roost/test"}, st, log)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(ctx, Config{BaseURL: testBase, Version: "0.1.0-test"}, st, fed, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &testEnv{t: t, st: st, srv: srv, owner: owner, urls: urls, s: s}
}

// post seeds one of the owner's statuses through the store, as the client
// API will.
func (e *testEnv) post(content string, mod func(*store.Status)) *store.Status {
	e.t.Helper()
	st := &store.Status{AccountID: e.owner.ID, Local: true, Content: content, Visibility: store.Public, CreatedAt: time.Now()}
	if mod != nil {
		mod(st)
	}
	// The uri depends on the id, so insert first with a placeholder.
	st.URI = "urn:pending:" + content + time.Now().String()
	if err := e.st.InsertStatus(context.Background(), st); err != nil {
		e.t.Fatal(err)
	}
	st.URI, st.URL = e.urls.Status(st.ID), e.urls.StatusPage(st.ID)
	return st
}

// get requests path with an Accept header and returns the response and
// its body.
func (e *testEnv) get(path, accept string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// getJSON requests path and decodes a JSON answer into a map, checking the
// status and content type.
func (e *testEnv) getJSON(path, accept string, wantStatus int, wantType string) map[string]any {
	e.t.Helper()
	resp, body := e.get(path, accept)
	if resp.StatusCode != wantStatus {
		e.t.Fatalf("GET %s: status %d, want %d; body %s", path, resp.StatusCode, wantStatus, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, wantType) {
		e.t.Fatalf("GET %s: Content-Type %q, want %q", path, ct, wantType)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		e.t.Fatalf("GET %s: %v in %s", path, err, body)
	}
	return m
}

const asJSON = "application/activity+json"

// testKeys hands out RSA keys made ahead of need: generating one takes
// tens of milliseconds, and the federation tests need many.
var testKeys = sync.OnceValue(func() []*rsa.PrivateKey {
	keys := make([]*rsa.PrivateKey, 8)
	for i := range keys {
		k, err := ap.GenerateKey()
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
})

var testKeyNext atomic.Int64

// testKey returns one of a few keys, in turn: instances in one test never
// share one, since a test makes fewer than eight.
func testKey(t testing.TB) *rsa.PrivateKey {
	keys := testKeys()
	return keys[int(testKeyNext.Add(1))%len(keys)]
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// mustField reads a top-level string field of a JSON document.
func mustField(doc []byte, key string) string {
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		panic(err)
	}
	s, _ := m[key].(string)
	return s
}
