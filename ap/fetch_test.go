package ap

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"roost/store"
)

// testNet is a small fake fediverse on real sockets: every host name dials
// one of two loopback listeners, TLS for port 443 and plain HTTP for any
// other port, and the shared handler routes on host and path. Hosts listed
// in plainOnly get the plain listener on port 443 too, so that their https
// attempts fail as they do against a local instance without TLS.
type testNet struct {
	t         *testing.T
	tls       *httptest.Server
	plain     *httptest.Server
	mu        sync.Mutex
	routes    map[string]http.HandlerFunc // canonical host + path
	hits      map[string]int
	plainOnly map[string]bool
}

func newTestNet(t *testing.T) *testNet {
	t.Helper()
	n := &testNet{t: t, routes: map[string]http.HandlerFunc{}, hits: map[string]int{}, plainOnly: map[string]bool{}}
	n.tls = httptest.NewTLSServer(http.HandlerFunc(n.serve))
	n.plain = httptest.NewServer(http.HandlerFunc(n.serve))
	t.Cleanup(n.tls.Close)
	t.Cleanup(n.plain.Close)
	return n
}

// routeKey is how serve finds a handler: the host as sent (default port
// left out by Go's client) and the path.
func routeKey(host, path string) string { return strings.ToLower(host) + path }

func (n *testNet) serve(w http.ResponseWriter, r *http.Request) {
	key := routeKey(r.Host, r.URL.Path)
	n.mu.Lock()
	h := n.routes[key]
	n.hits[key]++
	n.mu.Unlock()
	if h == nil {
		http.NotFound(w, r)
		return
	}
	h(w, r)
}

// handle routes rawURL (scheme and query ignored) to h.
func (n *testNet) handle(rawURL string, h http.HandlerFunc) {
	u, err := url.Parse(rawURL)
	if err != nil {
		n.t.Fatal(err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.routes[routeKey(canonicalHost(u), u.Path)] = h
}

// serveDoc serves body at rawURL with the given Content-Type.
func (n *testNet) serveDoc(rawURL, contentType string, body []byte) {
	n.handle(rawURL, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Write(body)
	})
}

// hitCount is how many requests reached rawURL's host and path.
func (n *testNet) hitCount(rawURL string) int {
	u, err := url.Parse(rawURL)
	if err != nil {
		n.t.Fatal(err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.hits[routeKey(canonicalHost(u), u.Path)]
}

func (n *testNet) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	target := n.plain.Listener.Addr().String()
	n.mu.Lock()
	if port == "443" && !n.plainOnly[host] {
		target = n.tls.Listener.Addr().String()
	}
	n.mu.Unlock()
	return (&net.Dialer{}).DialContext(ctx, network, target)
}

// testOwnerKey is the owner's key, made once: RSA-2048 generation is slow.
var testOwnerKey = sync.OnceValues(GenerateKey)

// newTestFed builds a Federation for the owner me@home.test on a fresh
// store, dialing through n. The test TLS listener's certificate names no
// test host, so the client skips verification; nothing else is changed.
func newTestFed(t testing.TB, n *testNet, insecure bool) (*Federation, *store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Path: filepath.Join(t.TempDir(), "roost.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := testOwnerKey()
	if err != nil {
		t.Fatal(err)
	}
	urls := URLs{Base: "https://home.test", Username: "me"}
	if _, err := CreateOwner(ctx, st, urls, key, "x", nil); err != nil {
		t.Fatal(err)
	}
	cfg := Config{URLs: urls, Insecure: insecure, UserAgent: "Roost/test"}
	if n != nil {
		cfg.DialContext = n.dial
	}
	f, err := New(ctx, cfg, st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	skipVerify(f.client)
	return f, st
}

func skipVerify(c *http.Client) {
	c.Transport.(*http.Transport).TLSClientConfig.InsecureSkipVerify = true
}

// checkSigned fails the test unless r carries a valid signature by the
// owner of home.test. It returns the parsed signature.
func checkSigned(t *testing.T, r *http.Request) *SignatureParams {
	t.Helper()
	key, err := testOwnerKey()
	if err != nil {
		t.Fatal(err)
	}
	p, err := RequestSignature(r, nil, time.Now())
	if err != nil {
		t.Errorf("request signature: %v", err)
		return nil
	}
	if p.KeyID != "https://home.test/users/me#main-key" {
		t.Errorf("keyId = %q", p.KeyID)
	}
	if err := p.Verify(r, &key.PublicKey); err != nil {
		t.Errorf("verify: %v", err)
	}
	return p
}

// noteJSON is a minimal Note with the given id.
func noteJSON(id string) []byte {
	return []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"` + id +
		`","type":"Note","content":"hello"}`)
}

func TestGetSignedRequest(t *testing.T) {
	n := newTestNet(t)
	f, _ := newTestFed(t, n, true)
	const id = "https://remote.test/notes/1"
	n.handle(id, func(w http.ResponseWriter, r *http.Request) {
		p := checkSigned(t, r)
		if p != nil && strings.Join(p.Headers, " ") != "(request-target) host date accept" {
			t.Errorf("signed headers = %q", p.Headers)
		}
		if got := r.Header.Get("Accept"); got != acceptActivity {
			t.Errorf("Accept = %q", got)
		}
		if got := r.Header.Get("User-Agent"); got != "Roost/test" {
			t.Errorf("User-Agent = %q", got)
		}
		if r.Host != "remote.test" {
			t.Errorf("Host = %q", r.Host)
		}
		w.Header().Set("Content-Type", "application/activity+json; charset=utf-8")
		w.Write(noteJSON(id))
	})
	o, body, err := f.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if o.ID != id || o.Type != "Note" || o.Content != "hello" || string(body) != string(noteJSON(id)) {
		t.Errorf("got %+v, body %s", o, body)
	}
	if n.hitCount(id) != 1 {
		t.Errorf("%d requests, want 1", n.hitCount(id))
	}
}

// TestGetRetriesWithoutQuery checks FEDERATION.md §3.1: sign with the query,
// and on 401 retry once signed over the path alone.
func TestGetRetriesWithoutQuery(t *testing.T) {
	n := newTestNet(t)
	f, _ := newTestFed(t, n, true)
	const id = "https://remote.test/outbox?page=true"
	var attempts atomic.Int32
	n.handle(id, func(w http.ResponseWriter, r *http.Request) {
		checkSigned(t, r)
		// Verify checks the target with the query, then without; a
		// request whose target has no query checks only the path.
		key, _ := testOwnerKey()
		p, _ := RequestSignature(r, nil, time.Now())
		pathOnly := r.Clone(r.Context())
		pathOnly.RequestURI = r.URL.Path
		overPath := p != nil && p.Verify(pathOnly, &key.PublicKey) == nil
		if attempts.Add(1) == 1 {
			if overPath {
				t.Error("first attempt was signed without the query")
			}
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if !overPath {
			t.Error("retry was signed with the query")
		}
		w.Header().Set("Content-Type", "application/activity+json")
		w.Write(noteJSON(id))
	})
	if _, _, err := f.Get(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if attempts.Load() != 2 {
		t.Errorf("%d attempts, want 2", attempts.Load())
	}

	// Without a query there is nothing to retry: one 401 is the answer.
	const noQuery = "https://remote.test/private"
	n.handle(noQuery, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	if _, _, err := f.Get(context.Background(), noQuery); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("err = %v, want a 401 error", err)
	}
	if n.hitCount(noQuery) != 1 {
		t.Errorf("%d requests for a 401 without query, want 1", n.hitCount(noQuery))
	}
}

func TestGetRejects(t *testing.T) {
	n := newTestNet(t)
	f, _ := newTestFed(t, n, true)
	big := make([]byte, maxDocumentSize+1)
	for i := range big {
		big[i] = ' '
	}
	copy(big, noteJSON("https://remote.test/big"))
	tests := []struct {
		name    string
		handler func(id string) http.HandlerFunc
		want    error // nil: must succeed
		wantMsg string
	}{
		{"activity+json", doc("application/activity+json", nil), nil, ""},
		{"ld+json with profile", doc(`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, nil), nil, ""},
		{"ld+json without profile", doc("application/ld+json", nil), nil, ""},
		{"plain json", doc("application/json", nil), ErrNotActivityJSON, ""},
		{"html", doc("text/html; charset=utf-8", nil), ErrNotActivityJSON, ""},
		{"no content type", doc("", nil), ErrNotActivityJSON, ""},
		{"id mismatch", doc("application/activity+json", noteJSON("https://remote.test/other")), errIDMismatch, ""},
		{"id of another host", doc("application/activity+json", noteJSON("https://evil.test/x")), errIDMismatch, ""},
		{"no id", doc("application/activity+json", []byte(`{"type":"Note"}`)), errIDMismatch, ""},
		{"not json", doc("application/activity+json", []byte(`<html>`)), nil, "decode"},
		{"too large, with length", func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/activity+json")
				w.Header().Set("Content-Length", fmt.Sprint(len(big)))
				w.Write(big)
			}
		}, errTooLarge, ""},
		{"declared too large", func(id string) http.HandlerFunc {
			// Refused on the header alone: the short body never arrives
			// in full, so reading it would fail differently.
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/activity+json")
				w.Header().Set("Content-Length", fmt.Sprint(2*maxDocumentSize))
				w.Write(noteJSON(id))
			}
		}, errTooLarge, ""},
		{"too large, chunked", func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/activity+json")
				w.(http.Flusher).Flush() // no Content-Length from here on
				w.Write(big)
			}
		}, errTooLarge, ""},
		{"gone", status(http.StatusGone), ErrGone, ""},
		{"not found", status(http.StatusNotFound), nil, "404"},
		{"server error", status(http.StatusInternalServerError), nil, "500"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := fmt.Sprintf("https://remote.test/rejects/%d", i)
			n.handle(id, tc.handler(id))
			o, _, err := f.Get(context.Background(), id)
			switch {
			case tc.want == nil && tc.wantMsg == "":
				if err != nil || o.ID != id {
					t.Fatalf("Get: %v", err)
				}
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("err = %v, want %v", err, tc.want)
			case tc.wantMsg != "" && (err == nil || !strings.Contains(err.Error(), tc.wantMsg)):
				t.Fatalf("err = %v, want one mentioning %q", err, tc.wantMsg)
			}
		})
	}
}

// doc serves body (a Note with the requested id when nil) as contentType.
func doc(contentType string, body []byte) func(id string) http.HandlerFunc {
	return func(id string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if contentType != "" {
				w.Header().Set("Content-Type", contentType)
			} else {
				w.Header()["Content-Type"] = nil // stop Go sniffing one
			}
			if body == nil {
				w.Write(noteJSON(id))
				return
			}
			w.Write(body)
		}
	}
}

func status(code int) func(string) http.HandlerFunc {
	return func(string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) }
	}
}

// TestGetRedirects checks the redirect rules: up to three are followed,
// each hop is signed afresh for its own URL, and the document must carry
// the id of the last URL.
func TestGetRedirects(t *testing.T) {
	n := newTestNet(t)
	f, _ := newTestFed(t, n, true)
	// /hop/N redirects to /hop/N-1 on another host each time; /hop/0 is
	// the document.
	hosts := []string{"a.test", "b.test", "c.test", "d.test", "e.test"}
	for i, h := range hosts {
		u := fmt.Sprintf("https://%s/hop/%d", h, i)
		if i == 0 {
			n.handle(u, func(w http.ResponseWriter, r *http.Request) {
				checkSigned(t, r)
				w.Header().Set("Content-Type", "application/activity+json")
				w.Write(noteJSON(u))
			})
			continue
		}
		next := fmt.Sprintf("https://%s/hop/%d", hosts[i-1], i-1)
		n.handle(u, func(w http.ResponseWriter, r *http.Request) {
			checkSigned(t, r)
			http.Redirect(w, r, next, http.StatusFound)
		})
	}
	ctx := context.Background()
	o, _, err := f.Get(ctx, "https://d.test/hop/3")
	if err != nil {
		t.Fatalf("three redirects: %v", err)
	}
	if o.ID != "https://a.test/hop/0" {
		t.Errorf("id = %q", o.ID)
	}
	if _, _, err := f.Get(ctx, "https://e.test/hop/4"); !errors.Is(err, errTooManyRedirects) {
		t.Errorf("four redirects: err = %v, want %v", err, errTooManyRedirects)
	}
	if n.hitCount("https://a.test/hop/0") != 1 {
		t.Errorf("the fourth redirect was followed")
	}

	// A document that keeps the id of the first URL after a redirect is
	// not believed (Friendica's /display → /objects, FEDERATION.md §9.2).
	n.handle("https://f.test/display/1", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://f.test/objects/1", http.StatusMovedPermanently)
	})
	n.serveDoc("https://f.test/objects/1", "application/activity+json", noteJSON("https://f.test/display/1"))
	if _, _, err := f.Get(ctx, "https://f.test/display/1"); !errors.Is(err, errIDMismatch) {
		t.Errorf("redirected id: err = %v, want %v", err, errIDMismatch)
	}
}

func TestPublicAddr(t *testing.T) {
	for _, s := range []string{"1.1.1.1", "8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "2a01:4f8::1"} {
		if err := publicAddr(netip.MustParseAddr(s)); err != nil {
			t.Errorf("%s refused: %v", s, err)
		}
	}
	for _, s := range []string{
		"127.0.0.1", "127.1.2.3", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
		"100.64.0.1", "100.127.255.254", "0.0.0.0", "0.1.2.3", "224.0.0.1", "255.255.255.255",
		"240.0.0.1", "192.0.2.1", "198.18.0.1", "::", "::1", "fe80::1", "fc00::1", "fd12:3456::1",
		"ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:a00:1::1",
		"2001:db8::1", "::127.0.0.1",
	} {
		if err := publicAddr(netip.MustParseAddr(s)); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s: err = %v, want %v", s, err, ErrForbiddenAddress)
		}
	}
}

// acceptCounter is a plain TCP listener counting connections, to prove the
// guard refuses before connecting.
func acceptCounter(t *testing.T, network, addr string) (net.Listener, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("listen %s %s: %v", network, addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	var n atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	return ln, &n
}

// TestAddressGuard runs the production client (Insecure off, the system
// dialer) against addresses it must never reach.
func TestAddressGuard(t *testing.T) {
	f, _ := newTestFed(t, nil, false)
	ctx := context.Background()
	ln, accepted := acceptCounter(t, "tcp4", "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(ln.Addr().String())

	for _, tc := range []struct {
		url  string
		want error
	}{
		{"http://remote.example/users/a", ErrInsecureURL},
		{"ftp://remote.example/users/a", ErrInsecureURL},
		{"https://127.0.0.1:" + port + "/users/a", ErrForbiddenAddress},
		{"https://10.1.2.3/users/a", ErrForbiddenAddress},
		{"https://[::1]:" + port + "/users/a", ErrForbiddenAddress},
		{"https://169.254.169.254/latest/meta-data/", ErrForbiddenAddress},
		{"https://100.64.1.1/", ErrForbiddenAddress},
		{"https://[::ffff:127.0.0.1]:" + port + "/", ErrForbiddenAddress},
		{"https://0.0.0.0:" + port + "/", ErrForbiddenAddress},
		// A name resolving to loopback is refused at dial time.
		{"https://localhost:" + port + "/users/a", ErrForbiddenAddress},
	} {
		if _, _, err := f.Get(ctx, tc.url); !errors.Is(err, tc.want) {
			t.Errorf("Get %s: err = %v, want %v", tc.url, err, tc.want)
		}
	}
	if _, err := f.ResolveHandle(ctx, "a@localhost:"+port); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("webfinger at localhost: err = %v, want %v", err, ErrForbiddenAddress)
	}

	// The dialer itself, below checkURL: IP literals and names alike.
	dial := f.dialer(publicAddr)
	for _, addr := range []string{"127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port, "10.0.0.1:443"} {
		c, err := dial(ctx, "tcp", addr)
		if err == nil {
			c.Close()
		}
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("dial %s: err = %v, want %v", addr, err, ErrForbiddenAddress)
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("the guard let %d connections through to loopback", n)
	}
}

// TestAddressGuardCustomDial checks that the guard still holds when
// Config.DialContext (as the federation tests use) maps a name to loopback
// but Insecure is off: the connected address is checked before any byte is
// sent.
func TestAddressGuardCustomDial(t *testing.T) {
	n := newTestNet(t)
	f, _ := newTestFed(t, n, false)
	const id = "https://remote.test/users/a"
	n.serveDoc(id, "application/activity+json", noteJSON(id))
	if _, _, err := f.Get(context.Background(), id); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("err = %v, want %v", err, ErrForbiddenAddress)
	}
	if n.hitCount(id) != 0 {
		t.Error("the request reached the loopback server")
	}
}

// TestAddressGuardRedirect lets the guard allow exactly the test server's
// 127.0.0.1 and checks that redirects from it to private addresses or to
// plain http are refused. Without the guard the redirect to [::1] would
// fail differently (connection refused) or reach the counting listener.
func TestAddressGuardRedirect(t *testing.T) {
	f, _ := newTestFed(t, nil, false)
	loopback := netip.MustParseAddr("127.0.0.1")
	f.client = f.buildClient(func(ip netip.Addr) error {
		if ip.Unmap() == loopback {
			return nil
		}
		return publicAddr(ip)
	})
	skipVerify(f.client)
	otherPort, accepted := "1", new(atomic.Int32)
	if ln, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		ln.Close()
		var other net.Listener
		other, accepted = acceptCounter(t, "tcp6", "[::1]:0")
		_, otherPort, _ = net.SplitHostPort(other.Addr().String())
	}
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
		switch r.URL.Path {
		case "/doc":
			w.Header().Set("Content-Type", "application/activity+json")
			w.Write(noteJSON("https://localhost:" + port + "/doc"))
		case "/to-loopback6":
			http.Redirect(w, r, "https://[::1]:"+otherPort+"/doc", http.StatusFound)
		case "/to-metadata":
			http.Redirect(w, r, "https://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/to-private":
			http.Redirect(w, r, "https://10.1.2.3/doc", http.StatusFound)
		case "/to-http":
			http.Redirect(w, r, "http://localhost:"+port+"/doc", http.StatusFound)
		}
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	base := "https://localhost:" + port
	ctx := context.Background()
	// The allowed address works, so the failures below are the redirects'.
	if _, _, err := f.Get(ctx, base+"/doc"); err != nil {
		t.Fatalf("allowed address: %v", err)
	}
	for path, want := range map[string]error{
		"/to-loopback6": ErrForbiddenAddress,
		"/to-metadata":  ErrForbiddenAddress,
		"/to-private":   ErrForbiddenAddress,
		"/to-http":      ErrInsecureURL,
	} {
		if _, _, err := f.Get(ctx, base+path); !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", path, err, want)
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("%d connections reached [::1]", n)
	}
}

// TestCheckURL covers the scheme rule with Insecure on and off.
func TestCheckURL(t *testing.T) {
	secure, _ := newTestFed(t, nil, false)
	insecure, _ := newTestFed(t, nil, true)
	for _, tc := range []struct {
		url             string
		secureOK, anyOK bool
		secureErr       error
	}{
		{"https://remote.example/a", true, true, nil},
		{"http://remote.example/a", false, true, ErrInsecureURL},
		{"https://user:pw@remote.example/a", false, false, nil},
		{"/relative", false, false, nil},
		{"https://10.0.0.1/", false, true, ErrForbiddenAddress},
	} {
		_, err := secure.checkURL(tc.url)
		if (err == nil) != tc.secureOK || tc.secureErr != nil && !errors.Is(err, tc.secureErr) {
			t.Errorf("secure %s: err = %v", tc.url, err)
		}
		if _, err := insecure.checkURL(tc.url); (err == nil) != tc.anyOK {
			t.Errorf("insecure %s: err = %v", tc.url, err)
		}
	}
}

// jsonBody marshals v for a test handler.
func jsonBody(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// remoteKey is a test peer's key pair; 1024 bits keeps tests fast.
func remoteKey(t testing.TB) (*rsa.PrivateKey, string) {
	t.Helper()
	k := sigTestKey(t)
	pem, err := EncodePublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return k, pem
}
