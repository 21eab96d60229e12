package ap

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const sigFixtureDir = "../testdata/activitypub"

// sigNow is the fixed clock of the round-trip tests.
var sigNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

const sigTestKeyID = "https://roost.example/users/me#main-key"

func sigReadFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sigFixtureDir, name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

// sigMastodonPost is fx:mastodon_signed_post_create_headers_and_body.json
// rebuilt as the inbox request PeerTube received.
func sigMastodonPost(t testing.TB) (r *http.Request, body []byte, now time.Time, headers map[string]string) {
	t.Helper()
	var fx struct {
		Headers map[string]string `json:"headers"`
		Body    json.RawMessage   `json:"body"`
	}
	if err := json.Unmarshal(sigReadFixture(t, "mastodon_signed_post_create_headers_and_body.json"), &fx); err != nil {
		t.Fatal(err)
	}
	// The signing string uses "(request-target): post /accounts/ronan/inbox"
	// (FEDERATION.md §3.1): PeerTube's inbox of the mentioned account.
	r = httptest.NewRequest(http.MethodPost, "/accounts/ronan/inbox", bytes.NewReader(fx.Body))
	for k, v := range fx.Headers {
		r.Header.Set(k, v)
	}
	r.Host = fx.Headers["host"]
	r.Header.Del("Host")
	now, err := http.ParseTime(fx.Headers["date"])
	if err != nil {
		t.Fatal(err)
	}
	return r, fx.Body, now, fx.Headers
}

func sigFixtureKey(t testing.TB) crypto.PublicKey {
	t.Helper()
	var k struct {
		PublicKey string `json:"publicKey"`
	}
	if err := json.Unmarshal(sigReadFixture(t, "mastodon_publickey_pem_for_signed_post.json"), &k); err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKeyPEM(k.PublicKey)
	if err != nil {
		t.Fatalf("ParsePublicKeyPEM: %v", err)
	}
	return pub
}

func TestSigMastodonFixture(t *testing.T) {
	r, body, now, h := sigMastodonPost(t)
	pub := sigFixtureKey(t)

	p, err := ParseSignatureHeader(h["signature"])
	if err != nil {
		t.Fatalf("ParseSignatureHeader: %v", err)
	}
	wantHeaders := []string{"(request-target)", "host", "date", "digest", "content-type"}
	if p.KeyID != "http://localhost:3000/users/ronan2#main-key" || p.Algorithm != "rsa-sha256" ||
		!slices.Equal(p.Headers, wantHeaders) || len(p.Signature) != 256 || p.RFC9421 {
		t.Fatalf("parsed %+v", p)
	}

	// The signature itself is genuine: check it independently of our
	// signing-string code, then through Verify.
	msg := "(request-target): post /accounts/ronan/inbox\nhost: localhost\ndate: Mon, 22 Oct 2018 13:34:22 GMT\n" +
		"digest: " + h["digest"] + "\ncontent-type: application/activity+json"
	sum := sha256.Sum256([]byte(msg))
	if err := rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, sum[:], p.Signature); err != nil {
		t.Fatalf("fixture signature does not verify over the hand-built signing string: %v", err)
	}
	if err := p.Verify(r, pub); err != nil {
		t.Fatalf("Verify: %v", err)
	}

	// PeerTube altered the body after signing: the Digest does not match, so
	// the request as a whole must be refused (FEDERATION.md §3.2 step 3).
	bodySum := sha256.Sum256(body)
	if "SHA-256="+base64.StdEncoding.EncodeToString(bodySum[:]) == h["digest"] {
		t.Fatal("fixture body unexpectedly matches its Digest")
	}
	_, err = RequestSignature(r, body, now)
	if !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "digest does not match body") {
		t.Fatalf("RequestSignature = %v, want ErrBadSignature for the digest mismatch", err)
	}

	t.Run("wrong key", func(t *testing.T) {
		if err := p.Verify(r, &sigTestKey(t).PublicKey); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("Verify with another key = %v", err)
		}
	})
	t.Run("other inbox", func(t *testing.T) {
		r2, _, _, _ := sigMastodonPost(t)
		r2.URL.Path, r2.RequestURI = "/inbox", "/inbox"
		if err := p.Verify(r2, pub); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("Verify on another path = %v", err)
		}
	})
	t.Run("query fallback", func(t *testing.T) {
		// Signed without a query; Verify retries without it (§3.2 step 6).
		r2, _, _, _ := sigMastodonPost(t)
		r2.RequestURI = "/accounts/ronan/inbox?x=1"
		if err := p.Verify(r2, pub); err != nil {
			t.Fatalf("Verify with an unsigned query = %v", err)
		}
	})
	t.Run("too late", func(t *testing.T) {
		_, err := RequestSignature(r, body, now.Add(2*time.Hour))
		if !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("RequestSignature two hours later = %v", err)
		}
	})
}

// sigTestKey returns a fresh RSA key; 1024 bits keeps the tests fast.
func sigTestKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sigOverTheWire writes r as a client would and reads it back as a server
// does, so checks see exactly what a peer's request looks like to Roost.
func sigOverTheWire(t testing.TB, r *http.Request) (*http.Request, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatalf("write request: %v", err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatalf("read request: %v", err)
	}
	body, err := io.ReadAll(sr.Body)
	if err != nil {
		t.Fatal(err)
	}
	return sr, body
}

// sigSignedRequest builds and signs a request with SignRequest.
func sigSignedRequest(t testing.TB, key *rsa.PrivateKey, method, url string, body []byte, at time.Time, withQuery bool) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := SignRequest(r, body, sigTestKeyID, key, at, withQuery); err != nil {
		t.Fatalf("SignRequest: %v", err)
	}
	return r
}

func TestSigRoundTrip(t *testing.T) {
	key := sigTestKey(t)
	activity := []byte(`{"type":"Follow","actor":"https://roost.example/users/me"}`)
	tests := []struct {
		name, method, url string
		body              []byte
		withQuery         bool
		wantHost          string
		wantHeaders       string
		wantTarget        string
	}{
		{"GET", "GET", "https://remote.example/users/alice", nil, true, "remote.example",
			"(request-target) host date accept", "get /users/alice"},
		{"GET query signed", "GET", "https://remote.example/users/alice/outbox?page=true&min_id=1", nil, true, "remote.example",
			"(request-target) host date accept", "get /users/alice/outbox?page=true&min_id=1"},
		{"GET query unsigned", "GET", "https://remote.example/users/alice/outbox?page=true", nil, false, "remote.example",
			"(request-target) host date accept", "get /users/alice/outbox"},
		{"POST", "POST", "https://remote.example/inbox", activity, false, "remote.example",
			"(request-target) host date digest content-type", "post /inbox"},
		{"POST default port", "POST", "https://remote.example:443/users/bob/inbox", activity, true, "remote.example",
			"(request-target) host date digest content-type", "post /users/bob/inbox"},
		{"POST other port", "POST", "http://remote.example:8080/inbox", activity, true, "remote.example:8080",
			"(request-target) host date digest content-type", "post /inbox"},
		{"GET escaped path", "GET", "https://remote.example/users/%C3%A9l%20a", nil, true, "remote.example",
			"(request-target) host date accept", "get /users/%C3%A9l%20a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := sigSignedRequest(t, key, tc.method, tc.url, tc.body, sigNow, tc.withQuery)
			sr, body := sigOverTheWire(t, r)
			if sr.Host != tc.wantHost || sr.Header.Get("Date") != "Sun, 22 Nov 2026 12:00:00 GMT" {
				t.Errorf("Host %q, Date %q", sr.Host, sr.Header.Get("Date"))
			}
			if !bytes.Equal(body, tc.body) {
				t.Errorf("body %q, want %q", body, tc.body)
			}
			if tc.method == "POST" {
				sum := sha256.Sum256(tc.body)
				if sr.Header.Get("Digest") != "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]) ||
					sr.Header.Get("Content-Type") != "application/activity+json" {
					t.Errorf("Digest %q, Content-Type %q", sr.Header.Get("Digest"), sr.Header.Get("Content-Type"))
				}
			} else if sr.Header.Get("Accept") != "application/activity+json, application/ld+json" {
				t.Errorf("Accept %q", sr.Header.Get("Accept"))
			}
			p, err := RequestSignature(sr, body, sigNow.Add(30*time.Second))
			if err != nil {
				t.Fatalf("RequestSignature: %v", err)
			}
			if p.KeyID != sigTestKeyID || p.Algorithm != "rsa-sha256" || strings.Join(p.Headers, " ") != tc.wantHeaders {
				t.Errorf("params %+v", p)
			}
			if err := p.Verify(sr, &key.PublicKey); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			// The signature covers the target as the flag asked.
			msg, err := p.cavageSigningString(sr, tc.wantTarget)
			if err != nil {
				t.Fatal(err)
			}
			if verifyCavage("rsa-sha256", &key.PublicKey, []byte(msg), p.Signature) != nil {
				t.Errorf("signature does not cover %q", tc.wantTarget)
			}
		})
	}
}

func TestSigSignRequestKeepsCallerHeaders(t *testing.T) {
	key := sigTestKey(t)
	r, _ := http.NewRequest("POST", "https://remote.example/inbox", nil)
	r.Header.Set("Content-Type", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
	if err := SignRequest(r, []byte("{}"), sigTestKeyID, key, sigNow, true); err != nil {
		t.Fatal(err)
	}
	sr, body := sigOverTheWire(t, r)
	if !strings.HasPrefix(sr.Header.Get("Content-Type"), "application/ld+json") {
		t.Errorf("Content-Type overwritten: %q", sr.Header.Get("Content-Type"))
	}
	p, err := RequestSignature(sr, body, sigNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(sr, &key.PublicKey); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", `a"b`, "a\nb"} {
		r, _ := http.NewRequest("GET", "https://remote.example/", nil)
		if err := SignRequest(r, nil, bad, key, sigNow, true); err == nil {
			t.Errorf("SignRequest accepted keyId %q", bad)
		}
	}
}

func TestSigRejects(t *testing.T) {
	key := sigTestKey(t)
	other := sigTestKey(t)
	activity := []byte(`{"type":"Create","id":"https://roost.example/1"}`)
	post := func(t *testing.T) (*http.Request, []byte) {
		return sigOverTheWire(t, sigSignedRequest(t, key, "POST", "https://remote.example/inbox", activity, sigNow, true))
	}
	get := func(t *testing.T, at time.Time) (*http.Request, []byte) {
		return sigOverTheWire(t, sigSignedRequest(t, key, "GET", "https://remote.example/users/a?page=1", nil, at, true))
	}
	tests := []struct {
		name string
		req  func(t *testing.T) (*http.Request, []byte)
		pub  crypto.PublicKey
		// failsEarly: RequestSignature must refuse; otherwise Verify must.
		failsEarly bool
	}{
		{"tampered body", func(t *testing.T) (*http.Request, []byte) {
			r, body := post(t)
			return r, append(body, ' ')
		}, &key.PublicKey, true},
		{"tampered body with fresh digest", func(t *testing.T) (*http.Request, []byte) {
			r, body := post(t)
			body = bytes.Replace(body, []byte("Create"), []byte("Delete"), 1)
			sum := sha256.Sum256(body)
			r.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]))
			return r, body
		}, &key.PublicKey, false},
		{"changed content-type", func(t *testing.T) (*http.Request, []byte) {
			r, body := post(t)
			r.Header.Set("Content-Type", "application/json")
			return r, body
		}, &key.PublicKey, false},
		{"changed date", func(t *testing.T) (*http.Request, []byte) {
			r, body := post(t)
			r.Header.Set("Date", sigNow.Add(time.Second).Format(http.TimeFormat))
			return r, body
		}, &key.PublicKey, false},
		{"changed host", func(t *testing.T) (*http.Request, []byte) {
			r, body := post(t)
			r.Host = "evil.example"
			return r, body
		}, &key.PublicKey, false},
		{"changed path", func(t *testing.T) (*http.Request, []byte) {
			r, body := post(t)
			r.RequestURI = "/users/x/inbox"
			return r, body
		}, &key.PublicKey, false},
		{"changed query", func(t *testing.T) (*http.Request, []byte) {
			r, body := get(t, sigNow)
			r.RequestURI = "/users/a?page=2"
			return r, body
		}, &key.PublicKey, false},
		{"wrong key", post, &other.PublicKey, false},
		{"ed25519 key for rsa-sha256", post, make(ed25519.PublicKey, ed25519.PublicKeySize), false},
		{"nil key", post, nil, false},
		{"zero RSA key", post, &rsa.PublicKey{}, false},
		{"date 2h old", func(t *testing.T) (*http.Request, []byte) { return get(t, sigNow.Add(-2*time.Hour)) }, &key.PublicKey, true},
		{"date 2h ahead", func(t *testing.T) (*http.Request, []byte) { return get(t, sigNow.Add(2*time.Hour)) }, &key.PublicKey, true},
		{"date 66m old", func(t *testing.T) (*http.Request, []byte) { return get(t, sigNow.Add(-66*time.Minute)) }, &key.PublicKey, true},
		{"date 61m ahead", func(t *testing.T) (*http.Request, []byte) { return get(t, sigNow.Add(61*time.Minute)) }, &key.PublicKey, true},
		{"missing signed header", func(t *testing.T) (*http.Request, []byte) {
			r, body := post(t)
			r.Header.Del("Content-Type")
			return r, body
		}, &key.PublicKey, true},
		{"missing digest", func(t *testing.T) (*http.Request, []byte) {
			r, body := post(t)
			r.Header.Del("Digest")
			return r, body
		}, &key.PublicKey, true},
		{"POST without signed digest", func(t *testing.T) (*http.Request, []byte) {
			r, body := post(t)
			sigSignCavage(t, r, key, sigCavageSpec{alg: "rsa-sha256", headers: "(request-target) host date content-type"})
			return r, body
		}, &key.PublicKey, true},
		{"GET without signed host", func(t *testing.T) (*http.Request, []byte) {
			r, body := get(t, sigNow)
			sigSignCavage(t, r, key, sigCavageSpec{alg: "rsa-sha256", headers: "(request-target) date accept"})
			return r, body
		}, &key.PublicKey, true},
		{"neither date nor created", func(t *testing.T) (*http.Request, []byte) {
			r, body := get(t, sigNow)
			sigSignCavage(t, r, key, sigCavageSpec{alg: "rsa-sha256", headers: "(request-target) host accept"})
			return r, body
		}, &key.PublicKey, true},
		{"neither target nor digest", func(t *testing.T) (*http.Request, []byte) {
			r, body := get(t, sigNow)
			sigSignCavage(t, r, key, sigCavageSpec{alg: "rsa-sha256", headers: "host date accept"})
			return r, body
		}, &key.PublicKey, true},
		{"digest with sha-512 only", func(t *testing.T) (*http.Request, []byte) {
			r, body := post(t)
			sum := sha512.Sum512(body)
			r.Header.Set("Digest", "SHA-512="+base64.StdEncoding.EncodeToString(sum[:]))
			sigSignCavage(t, r, key, sigCavageSpec{alg: "rsa-sha256", headers: "(request-target) host date digest"})
			return r, body
		}, &key.PublicKey, true},
		{"(created) with rsa-sha256", func(t *testing.T) (*http.Request, []byte) {
			r, body := post(t)
			sigSignCavage(t, r, key, sigCavageSpec{alg: "rsa-sha256", headers: "(request-target) host (created) digest", created: fmt.Sprint(sigNow.Unix())})
			return r, body
		}, &key.PublicKey, true},
		{"unsupported algorithm", func(t *testing.T) (*http.Request, []byte) {
			r, body := post(t)
			sigSignCavage(t, r, key, sigCavageSpec{alg: "rsa-sha1", headers: "(request-target) host date digest"})
			return r, body
		}, &key.PublicKey, true},
		{"two signature headers", func(t *testing.T) (*http.Request, []byte) {
			r, body := post(t)
			r.Header.Add("Signature", r.Header.Get("Signature"))
			return r, body
		}, &key.PublicKey, true},
		{"header with line break", func(t *testing.T) (*http.Request, []byte) {
			r, body := post(t)
			r.Header.Set("Content-Type", "application/activity+json\ndigest: x")
			return r, body
		}, &key.PublicKey, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, body := tc.req(t)
			p, err := RequestSignature(r, body, sigNow)
			if tc.failsEarly {
				if !errors.Is(err, ErrBadSignature) {
					t.Fatalf("RequestSignature = %v, want ErrBadSignature", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("RequestSignature: %v", err)
			}
			if err := p.Verify(r, tc.pub); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("Verify = %v, want ErrBadSignature", err)
			}
		})
	}

	t.Run("unsigned", func(t *testing.T) {
		r, body := post(t)
		r.Header.Del("Signature")
		if _, err := RequestSignature(r, body, sigNow); !errors.Is(err, ErrNoSignature) {
			t.Fatalf("RequestSignature = %v, want ErrNoSignature", err)
		}
		if _, err := RequestSignature(nil, nil, sigNow); !errors.Is(err, ErrNoSignature) {
			t.Fatalf("RequestSignature(nil) = %v, want ErrNoSignature", err)
		}
	})
}

func TestSigTimeWindow(t *testing.T) {
	key := sigTestKey(t)
	for _, tc := range []struct {
		skew time.Duration // signing time relative to now
		ok   bool
	}{
		{0, true},
		{-64 * time.Minute, true},
		{-66 * time.Minute, false},
		{59 * time.Minute, true},
		{61 * time.Minute, false},
	} {
		t.Run(tc.skew.String(), func(t *testing.T) {
			r, body := sigOverTheWire(t, sigSignedRequest(t, key, "GET", "https://remote.example/a", nil, sigNow.Add(tc.skew), true))
			_, err := RequestSignature(r, body, sigNow)
			if tc.ok != (err == nil) {
				t.Fatalf("RequestSignature = %v, want ok=%v", err, tc.ok)
			}
		})
	}
	created := sigNow
	for _, tc := range []struct {
		name    string
		expires *time.Time
		now     time.Time
		ok      bool
	}{
		{"default lifetime ok", nil, created.Add(64 * time.Minute), true},
		{"default lifetime over", nil, created.Add(66 * time.Minute), false},
		{"long expires honoured", sigPtr(created.Add(6 * time.Hour)), created.Add(6*time.Hour + 59*time.Minute), true},
		{"long expires over", sigPtr(created.Add(6 * time.Hour)), created.Add(7*time.Hour + time.Minute), false},
		{"expires capped at 12h", sigPtr(created.Add(48 * time.Hour)), created.Add(13*time.Hour + time.Minute), false},
		{"capped still ok", sigPtr(created.Add(48 * time.Hour)), created.Add(12*time.Hour + 59*time.Minute), true},
		{"short expires", sigPtr(created.Add(time.Minute)), created.Add(62 * time.Minute), false},
		{"future", nil, created.Add(-61 * time.Minute), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkTimeWindow(&created, tc.expires, tc.now); tc.ok != (err == nil) {
				t.Fatalf("checkTimeWindow = %v, want ok=%v", err, tc.ok)
			}
		})
	}
	if checkTimeWindow(nil, nil, sigNow) == nil {
		t.Error("checkTimeWindow accepted no creation time")
	}
}

func sigPtr[T any](v T) *T { return &v }

// sigCavageSpec describes a cavage signature made by sigSignCavage.
type sigCavageSpec struct {
	alg, headers     string
	created, expires string // raw parameter values, "" to omit
	omitAlg          bool
}

// sigSignCavage signs r per draft-cavage-12 with any header list and
// algorithm. It is deliberately independent of SignRequest.
func sigSignCavage(t testing.TB, r *http.Request, key crypto.Signer, s sigCavageSpec) {
	t.Helper()
	var lines []string
	for _, h := range strings.Fields(s.headers) {
		var v string
		switch h {
		case "(request-target)":
			v = strings.ToLower(r.Method) + " " + r.RequestURI
			if r.RequestURI == "" {
				v = strings.ToLower(r.Method) + " " + r.URL.RequestURI()
			}
		case "(created)":
			v = s.created
		case "(expires)":
			v = s.expires
		case "host":
			v = r.Host
		default:
			v = r.Header.Get(h)
		}
		lines = append(lines, h+": "+v)
	}
	sig := sigSignBytes(t, key, s.alg, strings.Join(lines, "\n"))
	hdr := fmt.Sprintf(`keyId="%s",headers="%s",signature="%s"`, sigTestKeyID, s.headers, base64.StdEncoding.EncodeToString(sig))
	if !s.omitAlg {
		hdr = fmt.Sprintf(`algorithm="%s",`, s.alg) + hdr
	}
	if s.created != "" {
		hdr += ",created=" + s.created
	}
	if s.expires != "" {
		hdr += ",expires=" + s.expires
	}
	r.Header.Set("Signature", hdr)
}

// sigSignBytes signs msg: Ed25519 keys sign it directly; RSA keys use
// PKCS#1 v1.5 with SHA-512 for rsa-sha512, PSS-SHA512 for rsa-pss-sha512,
// SHA-256 otherwise.
func sigSignBytes(t testing.TB, key crypto.Signer, alg, msg string) []byte {
	t.Helper()
	var sig []byte
	var err error
	switch k := key.(type) {
	case ed25519.PrivateKey:
		sig = ed25519.Sign(k, []byte(msg))
	case *rsa.PrivateKey:
		switch alg {
		case "rsa-sha512":
			sum := sha512.Sum512([]byte(msg))
			sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA512, sum[:])
		case "rsa-pss-sha512":
			sum := sha512.Sum512([]byte(msg))
			sig, err = rsa.SignPSS(rand.Reader, k, crypto.SHA512, sum[:], &rsa.PSSOptions{SaltLength: 64})
		default:
			sum := sha256.Sum256([]byte(msg))
			sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
		}
	default:
		t.Fatalf("unsupported test key %T", key)
	}
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestSigAlgorithms(t *testing.T) {
	rsaKey := sigTestKey(t)
	edPub, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	created := fmt.Sprint(sigNow.Unix())
	tests := []struct {
		name string
		key  crypto.Signer
		pub  crypto.PublicKey
		spec sigCavageSpec
		ok   bool
	}{
		{"hs2019 rsa (created)", rsaKey, &rsaKey.PublicKey,
			sigCavageSpec{alg: "hs2019", headers: "(request-target) host (created) digest", created: created}, true},
		{"hs2019 rsa date", rsaKey, &rsaKey.PublicKey,
			sigCavageSpec{alg: "hs2019", headers: "(request-target) host date digest"}, true},
		{"hs2019 rsa-sha512 fallback", rsaKey, &rsaKey.PublicKey,
			sigCavageSpec{alg: "rsa-sha512", headers: "(request-target) host date digest"}, true},
		{"rsa-sha512", rsaKey, &rsaKey.PublicKey,
			sigCavageSpec{alg: "rsa-sha512", headers: "(request-target) host date digest"}, true},
		{"hs2019 ed25519", edKey, edPub,
			sigCavageSpec{alg: "hs2019", headers: "(request-target) host (created) (expires) digest", created: created, expires: fmt.Sprint(sigNow.Unix() + 300)}, true},
		{"missing algorithm is hs2019", edKey, edPub,
			sigCavageSpec{alg: "hs2019", omitAlg: true, headers: "(request-target) host (created) digest", created: created}, true},
		{"fractional created", edKey, edPub,
			sigCavageSpec{alg: "hs2019", headers: "(request-target) host (created) digest", created: created + ".25"}, true},
		{"ed25519 with rsa-sha256", edKey, edPub,
			sigCavageSpec{alg: "rsa-sha256", headers: "(request-target) host date digest"}, false},
		{"hs2019 created 2h old", edKey, edPub,
			sigCavageSpec{alg: "hs2019", headers: "(request-target) host (created) digest", created: fmt.Sprint(sigNow.Unix() - 7200)}, false},
		{"hs2019 expired", edKey, edPub,
			sigCavageSpec{alg: "hs2019", headers: "(request-target) host (created) (expires) digest", created: created, expires: fmt.Sprint(sigNow.Unix() - 3700)}, false},
		{"(created) without parameter", edKey, edPub,
			sigCavageSpec{alg: "hs2019", headers: "(request-target) host (created) date digest"}, false},
		{"(expires) without parameter", edKey, edPub,
			sigCavageSpec{alg: "hs2019", headers: "(request-target) host (created) (expires) digest", created: created}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(`{"type":"Like"}`)
			sum := sha256.Sum256(body)
			r := httptest.NewRequest("POST", "/users/me/inbox", bytes.NewReader(body))
			r.Host = "roost.example"
			r.Header.Set("Date", sigNow.Format(http.TimeFormat))
			r.Header.Set("Digest", "sha-256="+base64.StdEncoding.EncodeToString(sum[:]))
			sigSignCavage(t, r, tc.key, tc.spec)
			if tc.name == "hs2019 rsa-sha512 fallback" {
				r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "rsa-sha512", "hs2019", 1))
			}
			p, err := RequestSignature(r, body, sigNow)
			if err == nil {
				err = p.Verify(r, tc.pub)
			}
			if tc.ok != (err == nil) {
				t.Fatalf("got %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrBadSignature) {
				t.Fatalf("error %v does not wrap ErrBadSignature", err)
			}
		})
	}
}

func TestParseSignatureHeader(t *testing.T) {
	const sig = "dGVzdA==" // "test"
	tests := []struct {
		name      string
		in        string
		keyID     string
		alg       string
		headers   string
		created   int64
		expiresNS int64
	}{
		{"mastodon", `keyId="https://a.example/users/x#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="` + sig + `"`,
			"https://a.example/users/x#main-key", "rsa-sha256", "(request-target) host date digest content-type", 0, 0},
		{"spaces around separators", ` keyId = "k" ,  algorithm="rsa-sha256" ,headers= "date host"	, signature ="` + sig + `" `,
			"k", "rsa-sha256", "date host", 0, 0},
		{"bogus Signature prefix", `Signature keyId="k",algorithm="rsa-sha256",headers="date",signature="` + sig + `"`,
			"k", "rsa-sha256", "date", 0, 0},
		{"missing algorithm", `keyId="k",headers="(request-target) date",signature="` + sig + `"`,
			"k", "hs2019", "(request-target) date", 0, 0},
		{"missing headers rsa-sha256", `keyId="k",algorithm="rsa-sha256",signature="` + sig + `"`,
			"k", "rsa-sha256", "date", 0, 0},
		{"missing headers hs2019", `keyId="k",algorithm="hs2019",created=1402170695,signature="` + sig + `"`,
			"k", "hs2019", "(created)", 1402170695, 0},
		{"missing algorithm and headers", `keyId="k",signature="` + sig + `"`,
			"k", "hs2019", "(created)", 0, 0},
		{"token values", `keyId=k,algorithm=RSA-SHA256,headers="Date Host",signature="` + sig + `"`,
			"k", "rsa-sha256", "date host", 0, 0},
		{"unknown params ignored", `foo="bar",keyId="k",x-y=z,algorithm="hs2019",headers="(created)",created="1402170695",expires=1402170699.5,signature="` + sig + `"`,
			"k", "hs2019", "(created)", 1402170695, 1402170699500000000},
		{"last repeated param wins", `keyId="a",keyId="b",headers="date",signature="` + sig + `"`,
			"b", "hs2019", "date", 0, 0},
		{"quoted pair", `keyId="a\"b\\c",headers="date",signature="` + sig + `"`,
			`a"b\c`, "hs2019", "date", 0, 0},
		{"unpadded signature", `keyId="k",headers="date",signature="dGVzdA"`,
			"k", "hs2019", "date", 0, 0},
		{"empty headers", `keyId="k",headers="",signature="` + sig + `"`,
			"k", "hs2019", "", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseSignatureHeader(tc.in)
			if err != nil {
				t.Fatalf("ParseSignatureHeader: %v", err)
			}
			if p.KeyID != tc.keyID || p.Algorithm != tc.alg || strings.Join(p.Headers, " ") != tc.headers || string(p.Signature) != "test" {
				t.Errorf("got keyId %q alg %q headers %q sig %q", p.KeyID, p.Algorithm, p.Headers, p.Signature)
			}
			if (tc.created == 0) != (p.Created == nil) || p.Created != nil && p.Created.Unix() != tc.created {
				t.Errorf("created %v, want %d", p.Created, tc.created)
			}
			if (tc.expiresNS == 0) != (p.Expires == nil) || p.Expires != nil && p.Expires.UnixNano() != tc.expiresNS {
				t.Errorf("expires %v, want %d ns", p.Expires, tc.expiresNS)
			}
		})
	}
	for _, in := range sigBadHeaders {
		t.Run("bad "+in, func(t *testing.T) {
			if p, err := ParseSignatureHeader(in); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("ParseSignatureHeader(%q) = %+v, %v; want ErrBadSignature", in, p, err)
			}
		})
	}
}

// sigBadHeaders are Signature headers that must be rejected.
var sigBadHeaders = []string{
	"",
	"garbage",
	"Signature",
	`keyId="k"`,
	`signature="dGVzdA=="`,
	`keyId="",signature="dGVzdA=="`,
	`keyId="k",signature=""`,
	`keyId="k",signature="!!!!"`,
	`keyId="k",signature="dGVzdA==",`,
	`keyId="k",,signature="dGVzdA=="`,
	`keyId="k" signature="dGVzdA=="`,
	`keyId="k,signature="dGVzdA=="`,
	`keyId="k",signature=dGVz/dA==`,
	`keyId=,signature="dGVzdA=="`,
	`keyId="k",signature="dGVzdA==",created="yesterday"`,
	`keyId="k",signature="dGVzdA==",created=-5`,
	`keyId="k",signature="dGVzdA==",expires=1.`,
	`keyId="k",signature="dGVzdA==",created=99999999999999999999`,
	`=,keyId="k",signature="dGVzdA=="`,
	`keyId="k\`,
}

func TestPEMParsePublicKey(t *testing.T) {
	rsaKey := sigTestKey(t)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	spki, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	spkiPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}))
	pkcs1PEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)}))
	edDER, _ := x509.MarshalPKIXPublicKey(edPub)
	edPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: edDER}))

	tests := []struct {
		name string
		in   string
		want crypto.PublicKey
	}{
		{"SPKI", spkiPEM, &rsaKey.PublicKey},
		{"PKCS#1", pkcs1PEM, &rsaKey.PublicKey},
		{"CRLF and whitespace", "\r\n  " + strings.ReplaceAll(spkiPEM, "\n", "\r\n") + "  \n", &rsaKey.PublicKey},
		{"spaces for newlines", strings.ReplaceAll(pkcs1PEM, "\n", " "), &rsaKey.PublicKey},
		{"one line", strings.ReplaceAll(spkiPEM, "\n", ""), &rsaKey.PublicKey},
		{"blank lines and tabs", strings.ReplaceAll(spkiPEM, "\n", "\n\n\t"), &rsaKey.PublicKey},
		{"literal \\n escapes", strings.ReplaceAll(spkiPEM, "\n", `\n`), &rsaKey.PublicKey},
		{"Ed25519", edPEM, edPub},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePublicKeyPEM(tc.in)
			if err != nil {
				t.Fatalf("ParsePublicKeyPEM: %v", err)
			}
			if !got.(interface{ Equal(crypto.PublicKey) bool }).Equal(tc.want) {
				t.Fatal("wrong key")
			}
		})
	}

	t.Run("fixtures", func(t *testing.T) {
		for _, name := range []string{"mastodon_actor_person_pem_spaces.json", "gotosocial_publickey_stub.json"} {
			var actor struct {
				PublicKey struct {
					PublicKeyPem string `json:"publicKeyPem"`
				} `json:"publicKey"`
			}
			if err := json.Unmarshal(sigReadFixture(t, name), &actor); err != nil {
				t.Fatal(err)
			}
			got, err := ParsePublicKeyPEM(actor.PublicKey.PublicKeyPem)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			// The strict decoder agrees once the line breaks are restored.
			fixed := strings.ReplaceAll(strings.TrimSpace(actor.PublicKey.PublicKeyPem), " ", "\n")
			fixed = strings.Replace(strings.Replace(fixed, "BEGIN\nPUBLIC\nKEY", "BEGIN PUBLIC KEY", 1), "END\nPUBLIC\nKEY", "END PUBLIC KEY", 1)
			blk, _ := pem.Decode([]byte(fixed))
			if blk == nil {
				t.Fatalf("%s: strict decode failed", name)
			}
			want, err := x509.ParsePKIXPublicKey(blk.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if k, ok := got.(*rsa.PublicKey); !ok || !k.Equal(want) || k.N.BitLen() != 2048 {
				t.Fatalf("%s: got %T", name, got)
			}
		}
		if k, ok := sigFixtureKey(t).(*rsa.PublicKey); !ok || k.N.BitLen() != 2048 {
			t.Fatal("mastodon_publickey_pem_for_signed_post.json: not an RSA-2048 key")
		}
	})

	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	// A P-256 key is valid SPKI but not a key type ActivityPub signatures use.
	ecPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER}))
	for _, in := range []string{
		"",
		"garbage",
		"-----BEGIN PUBLIC KEY-----",
		"-----BEGIN PUBLIC KEY----- MIIB -----END PUBLIC KEY-----",
		"-----BEGIN PUBLIC KEY----- !!!! -----END PUBLIC KEY-----",
		"-----BEGIN PUBLIC KEY----- " + base64.StdEncoding.EncodeToString(spki) + " -----END RSA PUBLIC KEY-----",
		"-----BEGIN RSA PUBLIC KEY-----\n" + base64.StdEncoding.EncodeToString(spki) + "\n-----END RSA PUBLIC KEY-----",
		"-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----",
		ecPEM,
		"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
	} {
		if k, err := ParsePublicKeyPEM(in); err == nil {
			t.Errorf("ParsePublicKeyPEM(%q) = %T, want error", in, k)
		}
	}
}

func TestPEMEncodeRoundTrip(t *testing.T) {
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if key.N.BitLen() != 2048 {
		t.Fatalf("GenerateKey: %d bits", key.N.BitLen())
	}
	pubPEM, err := EncodePublicKeyPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(pubPEM, "\n"), "\n")
	if lines[0] != "-----BEGIN PUBLIC KEY-----" || lines[len(lines)-1] != "-----END PUBLIC KEY-----" ||
		!strings.HasSuffix(pubPEM, "\n") || strings.Contains(pubPEM, "\r") {
		t.Fatalf("public PEM not in Mastodon's form:\n%s", pubPEM)
	}
	for _, l := range lines[1 : len(lines)-1] {
		if len(l) > 64 {
			t.Fatalf("line longer than 64: %q", l)
		}
	}
	pub, err := ParsePublicKeyPEM(pubPEM)
	if err != nil || !key.PublicKey.Equal(pub) {
		t.Fatalf("public round trip: %v", err)
	}
	if _, err := EncodePublicKeyPEM(nil); err == nil {
		t.Error("EncodePublicKeyPEM(nil) succeeded")
	}

	privPEM, err := EncodePrivateKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(privPEM, "-----BEGIN PRIVATE KEY-----\n") {
		t.Fatalf("private PEM is not PKCS#8: %q", privPEM[:40])
	}
	back, err := ParsePrivateKeyPEM(privPEM)
	if err != nil || !key.Equal(back) {
		t.Fatalf("private round trip: %v", err)
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	if back, err := ParsePrivateKeyPEM(pkcs1); err != nil || !key.Equal(back) {
		t.Fatalf("PKCS#1 private key: %v", err)
	}
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKCS8PrivateKey(edKey)
	for _, in := range []string{"", "garbage", pubPEM, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER}))} {
		if _, err := ParsePrivateKeyPEM(in); err == nil {
			t.Errorf("ParsePrivateKeyPEM(%.30q) succeeded", in)
		}
	}
	if _, err := EncodePrivateKeyPEM(nil); err == nil {
		t.Error("EncodePrivateKeyPEM(nil) succeeded")
	}
}
