package main

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"roost/ap"
)

// actors is one loopback HTTP server playing n remote actors
// (/users/aNNNN), each with its own actor document and keyId. RSA-2048
// generation is slow, so the actors share a handful of keys.
type actors struct {
	base string
	host string // 127.0.0.1:PORT, the actors' domain
	keys []*rsa.PrivateKey
	pems []string
	srv  *http.Server
	ln   net.Listener

	mu      sync.Mutex
	fetches int
}

func newActors(nkeys int) (*actors, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &actors{ln: ln, host: ln.Addr().String(), base: "http://" + ln.Addr().String()}
	for range nkeys {
		k, err := ap.GenerateKey()
		if err != nil {
			ln.Close()
			return nil, err
		}
		pem, err := ap.EncodePublicKeyPEM(&k.PublicKey)
		if err != nil {
			ln.Close()
			return nil, err
		}
		p.keys, p.pems = append(p.keys, k), append(p.pems, pem)
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serveHTTP), ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

func (p *actors) close() { p.srv.Close() }

func (p *actors) name(i int) string         { return fmt.Sprintf("a%04d", i) }
func (p *actors) actor(i int) string        { return p.base + "/users/" + p.name(i) }
func (p *actors) keyID(i int) string        { return p.actor(i) + "#main-key" }
func (p *actors) key(i int) *rsa.PrivateKey { return p.keys[i%len(p.keys)] }

func (p *actors) serveHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/users/")
	n, err := strconv.Atoi(strings.TrimPrefix(name, "a"))
	if r.Method == "POST" {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
		return
	}
	if !ok || err != nil || r.Method != "GET" {
		http.NotFound(w, r)
		return
	}
	p.mu.Lock()
	p.fetches++
	p.mu.Unlock()
	id := p.actor(n)
	doc, _ := json.Marshal(map[string]any{
		"@context":          []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":                id,
		"type":              "Person",
		"preferredUsername": p.name(n),
		"inbox":             id + "/inbox",
		"outbox":            id + "/outbox",
		"followers":         id + "/followers",
		"following":         id + "/following",
		"endpoints":         map[string]string{"sharedInbox": p.base + "/inbox"},
		"publicKey":         map[string]string{"id": p.keyID(n), "owner": id, "publicKeyPem": p.pems[n%len(p.pems)]},
	})
	w.Header().Set("Content-Type", "application/activity+json")
	w.Write(doc)
}

// create is actor i's Create of public Note number seq.
func (p *actors) create(i, seq int) []byte {
	actor := p.actor(i)
	id := fmt.Sprintf("%s/statuses/%d", actor, seq)
	b, _ := json.Marshal(map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       id + "/activity",
		"type":     "Create",
		"actor":    actor,
		"to":       []string{"https://www.w3.org/ns/activitystreams#Public"},
		"cc":       []string{actor + "/followers"},
		"object": map[string]any{
			"id":           id,
			"url":          id,
			"type":         "Note",
			"attributedTo": actor,
			"content":      fmt.Sprintf("<p>benchmark post number %d with a <a href=\"https://example.org\">link</a></p>", seq),
			"published":    time.Now().UTC().Format(time.RFC3339),
			"to":           []string{"https://www.w3.org/ns/activitystreams#Public"},
			"cc":           []string{actor + "/followers"},
		},
	})
	return b
}

// sink is one loopback listener standing for many shared inboxes
// (/inbox/N): Roost keys delivery jobs by inbox URL, so each path is a
// distinct job. It records when the last distinct path was first reached.
type sink struct {
	base string
	srv  *http.Server

	mu    sync.Mutex
	seen  map[string]bool
	last  time.Time
	total int
}

func newSink() (*sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{base: "http://" + ln.Addr().String(), seen: map[string]bool{}}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	if r.Method == "POST" && !s.seen[r.URL.Path] {
		s.seen[r.URL.Path] = true
		s.last = time.Now()
	}
	s.total++
	s.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func (s *sink) distinct() (int, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen), s.last
}

func (s *sink) reset() {
	s.mu.Lock()
	s.seen = map[string]bool{}
	s.mu.Unlock()
}

func (s *sink) close() { s.srv.Close() }
