package ap

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// sig9421Spec describes an RFC 9421 signature made by sigSign9421.
type sig9421Spec struct {
	label      string
	components []string
	created    int64
	expires    int64 // 0 to omit
	keyID, alg string
}

// sigSign9421 is a test-only RFC 9421 signer, independent of the verifier:
// it adds Content-Digest for a body and writes Signature-Input and Signature.
func sigSign9421(t testing.TB, r *http.Request, body []byte, key crypto.Signer, s sig9421Spec) {
	t.Helper()
	if body != nil && r.Header.Get("Content-Digest") == "" {
		sum := sha256.Sum256(body)
		r.Header.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":")
	}
	var lines, ids []string
	for _, c := range s.components {
		var v string
		switch c {
		case "@method":
			v = r.Method
		case "@target-uri":
			v = "https://" + r.Host + r.URL.RequestURI()
		case "@authority":
			v = r.Host
		case "@path":
			v = r.URL.EscapedPath()
		case "@query":
			v = "?" + r.URL.RawQuery
		default:
			v = r.Header.Get(c)
		}
		lines = append(lines, fmt.Sprintf("%q: %s", c, v))
		ids = append(ids, fmt.Sprintf("%q", c))
	}
	params := "(" + strings.Join(ids, " ") + ")"
	if s.created != 0 {
		params += fmt.Sprintf(";created=%d", s.created)
	}
	if s.expires != 0 {
		params += fmt.Sprintf(";expires=%d", s.expires)
	}
	if s.keyID != "" {
		params += fmt.Sprintf(";keyid=%q", s.keyID)
	}
	if s.alg != "" {
		params += fmt.Sprintf(";alg=%q", s.alg)
	}
	lines = append(lines, `"@signature-params": `+params)
	sig := sigSignBytes(t, key, s.alg, strings.Join(lines, "\n"))
	r.Header.Set("Signature-Input", s.label+"="+params)
	r.Header.Set("Signature", s.label+"=:"+base64.StdEncoding.EncodeToString(sig)+":")
}

// TestSig9421RFCVector checks RFC 9421 Appendix B.2.6 (Ed25519, the one
// deterministic example) against both the test signer and Verify.
func TestSig9421RFCVector(t *testing.T) {
	const (
		input   = `sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`
		sigB26  = `sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:`
		pubPEM  = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n-----END PUBLIC KEY-----\n"
		seedB64 = "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU"
	)
	newReq := func() *http.Request {
		r := httptest.NewRequest("POST", "/foo?param=Value&Pet=dog", strings.NewReader(`{"hello": "world"}`))
		r.Host = "example.com"
		r.Header.Set("Date", "Tue, 20 Apr 2021 02:07:55 GMT")
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Content-Length", "18")
		return r
	}
	seed, _ := base64.RawURLEncoding.DecodeString(seedB64)
	r := newReq()
	sigSign9421(t, r, nil, ed25519.NewKeyFromSeed(seed), sig9421Spec{label: "sig-b26", created: 1618884473, keyID: "test-key-ed25519",
		components: []string{"date", "@method", "@path", "@authority", "content-type", "content-length"}})
	if r.Header.Get("Signature-Input") != input || r.Header.Get("Signature") != sigB26 {
		t.Fatalf("test signer disagrees with the RFC:\n%s\n%s", r.Header.Get("Signature-Input"), r.Header.Get("Signature"))
	}

	pub, err := ParsePublicKeyPEM(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	p, err := parseSignature9421(input, sigB26)
	if err != nil {
		t.Fatal(err)
	}
	if !p.RFC9421 || p.Label != "sig-b26" || p.KeyID != "test-key-ed25519" || p.Created.Unix() != 1618884473 || len(p.Headers) != 6 {
		t.Fatalf("parsed %+v", p)
	}
	if err := p.Verify(newReq(), pub); err != nil {
		t.Fatalf("Verify RFC vector: %v", err)
	}
	tampered := newReq()
	tampered.RequestURI = "/bar"
	if err := p.Verify(tampered, pub); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Verify with another @path = %v", err)
	}
	// Mastodon would refuse it anyway: a POST must cover content-digest.
	r = newReq()
	r.Header.Set("Signature-Input", input)
	r.Header.Set("Signature", sigB26)
	if _, err := RequestSignature(r, []byte(`{"hello": "world"}`), time.Unix(1618884473, 0)); !errors.Is(err, ErrBadSignature) ||
		!strings.Contains(err.Error(), "content-digest") {
		t.Fatalf("RequestSignature = %v, want refusal for missing content-digest", err)
	}
}

func TestSig9421RoundTrip(t *testing.T) {
	rsaKey := sigTestKey(t)
	// PSS with SHA-512 and a 64-byte salt needs more than 1024 bits.
	pssKey, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	edPub, edKey, _ := ed25519.GenerateKey(rand.Reader)
	body := []byte(`{"type":"Announce"}`)
	now := sigNow.Unix()
	tests := []struct {
		name   string
		method string
		url    string
		key    crypto.Signer
		pub    crypto.PublicKey
		spec   sig9421Spec
	}{
		{"POST rsa as Mastodon", "POST", "https://roost.example/inbox", rsaKey, &rsaKey.PublicKey,
			sig9421Spec{label: "sig1", created: now, keyID: sigTestKeyID, components: []string{"@method", "@target-uri", "content-digest"}}},
		{"POST rsa with alg and expires", "POST", "https://roost.example/users/me/inbox", rsaKey, &rsaKey.PublicKey,
			sig9421Spec{label: "mastodon", created: now, expires: now + 60, keyID: sigTestKeyID, alg: "rsa-v1_5-sha256",
				components: []string{"@method", "@target-uri", "content-digest", "content-type", "date"}}},
		{"POST rsa-pss-sha512", "POST", "https://roost.example/inbox", pssKey, &pssKey.PublicKey,
			sig9421Spec{label: "sig1", created: now, keyID: sigTestKeyID, alg: "rsa-pss-sha512", components: []string{"@method", "@target-uri", "content-digest"}}},
		{"GET authority and path", "GET", "https://roost.example/users/me/outbox?page=1", edKey, edPub,
			sig9421Spec{label: "sig1", created: now, keyID: sigTestKeyID, components: []string{"@method", "@authority", "@path", "@query"}}},
		{"GET ed25519 target-uri", "GET", "https://roost.example/users/me?x=%20y", edKey, edPub,
			sig9421Spec{label: "s", created: now, keyID: sigTestKeyID, alg: "ed25519", components: []string{"@target-uri", "@method"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b []byte
			if tc.method == "POST" {
				b = body
			}
			r, _ := http.NewRequest(tc.method, tc.url, bytes.NewReader(b))
			r.Header.Set("Date", sigNow.Format(http.TimeFormat))
			r.Header.Set("Content-Type", "application/activity+json")
			sigSign9421(t, r, b, tc.key, tc.spec)
			sr, got := sigOverTheWire(t, r)
			p, err := RequestSignature(sr, got, sigNow)
			if err != nil {
				t.Fatalf("RequestSignature: %v", err)
			}
			if !p.RFC9421 || p.KeyID != sigTestKeyID || p.Label != tc.spec.label || !slices.Equal(p.Headers, tc.spec.components) {
				t.Fatalf("params %+v", p)
			}
			if err := p.Verify(sr, tc.pub); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if err := p.Verify(sr, &sigTestKey(t).PublicKey); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("Verify with another key = %v", err)
			}
			sr.Method = "PUT"
			if err := p.Verify(sr, tc.pub); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("Verify with another method = %v", err)
			}
		})
	}
}

func TestSig9421Rejects(t *testing.T) {
	key := sigTestKey(t)
	body := []byte(`{"type":"Delete"}`)
	now := sigNow.Unix()
	mastodon := sig9421Spec{label: "sig1", created: now, keyID: sigTestKeyID, components: []string{"@method", "@target-uri", "content-digest"}}
	build := func(t *testing.T, spec sig9421Spec, edit func(r *http.Request)) (*http.Request, []byte) {
		r, _ := http.NewRequest("POST", "https://roost.example/inbox", bytes.NewReader(body))
		if edit != nil {
			edit(r)
		}
		sigSign9421(t, r, body, key, spec)
		return sigOverTheWire(t, r)
	}
	with := func(f func(s *sig9421Spec)) sig9421Spec {
		s := mastodon
		s.components = slices.Clone(s.components)
		f(&s)
		return s
	}
	tests := []struct {
		name       string
		spec       sig9421Spec
		edit       func(r *http.Request)        // before signing
		after      func(r *http.Request) []byte // after transport; returns the body
		failsEarly bool
	}{
		{name: "wrong content-digest", spec: mastodon, failsEarly: true, edit: func(r *http.Request) {
			r.Header.Set("Content-Digest", "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:")
		}},
		{name: "tampered body", spec: mastodon, failsEarly: true, after: func(r *http.Request) []byte { return []byte(`{"type":"Create"}`) }},
		{name: "tampered body with fresh content-digest", spec: mastodon, after: func(r *http.Request) []byte {
			b := []byte(`{"type":"Create"}`)
			sum := sha256.Sum256(b)
			r.Header.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":")
			return b
		}},
		{name: "content-digest sha-512 only", spec: mastodon, failsEarly: true, edit: func(r *http.Request) {
			sum := sha512.Sum512(body)
			r.Header.Set("Content-Digest", "sha-512=:"+base64.StdEncoding.EncodeToString(sum[:])+":")
		}},
		{name: "content-digest not a byte sequence", spec: mastodon, failsEarly: true, edit: func(r *http.Request) {
			r.Header.Set("Content-Digest", "sha-256=abc")
		}},
		{name: "content-digest missing", spec: mastodon, failsEarly: true, after: func(r *http.Request) []byte {
			r.Header.Del("Content-Digest")
			return body
		}},
		{name: "content-digest not covered", spec: with(func(s *sig9421Spec) { s.components = s.components[:2] }), failsEarly: true},
		{name: "@method not covered", spec: with(func(s *sig9421Spec) { s.components = s.components[1:] }), failsEarly: true},
		{name: "target not covered", spec: with(func(s *sig9421Spec) { s.components = []string{"@method", "@path", "content-digest"} }), failsEarly: true},
		{name: "missing created", spec: with(func(s *sig9421Spec) { s.created = 0 }), failsEarly: true},
		{name: "missing keyid", spec: with(func(s *sig9421Spec) { s.keyID = "" }), failsEarly: true},
		{name: "created 2h old", spec: with(func(s *sig9421Spec) { s.created = now - 7200 }), failsEarly: true},
		{name: "created 2h ahead", spec: with(func(s *sig9421Spec) { s.created = now + 7200 }), failsEarly: true},
		{name: "expired", spec: with(func(s *sig9421Spec) { s.created, s.expires = now-3500, now-3700 }), failsEarly: true},
		{name: "unsupported alg", spec: with(func(s *sig9421Spec) { s.alg = "hmac-sha256" }), failsEarly: true},
		{name: "alg for another key type", spec: with(func(s *sig9421Spec) { s.alg = "ed25519" })},
		{name: "unsupported derived component", spec: with(func(s *sig9421Spec) { s.components = append(s.components, "@status") }), failsEarly: true},
		{name: "missing covered header", spec: with(func(s *sig9421Spec) { s.components = append(s.components, "x-missing") }), failsEarly: true},
		{name: "changed covered header", spec: with(func(s *sig9421Spec) { s.components = append(s.components, "date") }),
			edit: func(r *http.Request) { r.Header.Set("Date", sigNow.Format(http.TimeFormat)) },
			after: func(r *http.Request) []byte {
				r.Header.Set("Date", sigNow.Add(time.Second).Format(http.TimeFormat))
				return body
			}},
		{name: "changed authority", spec: mastodon, after: func(r *http.Request) []byte { r.Host = "evil.example"; return body }},
		{name: "http scheme", spec: mastodon, after: func(r *http.Request) []byte { r.Header.Set("X-Forwarded-Proto", "http"); return body }},
		{name: "component parameter", spec: mastodon, failsEarly: true, after: func(r *http.Request) []byte {
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), `"content-digest"`, `"content-digest";sf`, 1))
			return body
		}},
		{name: "component twice", spec: with(func(s *sig9421Spec) { s.components = append(s.components, "@method") }), failsEarly: true},
		{name: "two signatures", spec: mastodon, failsEarly: true, after: func(r *http.Request) []byte {
			r.Header.Add("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), "sig1=", "sig2=", 1))
			return body
		}},
		{name: "signature label mismatch", spec: mastodon, failsEarly: true, after: func(r *http.Request) []byte {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "sig1=", "sig2=", 1))
			return body
		}},
		{name: "signature missing", spec: mastodon, failsEarly: true, after: func(r *http.Request) []byte {
			r.Header.Del("Signature")
			return body
		}},
		{name: "signature-input garbage", spec: mastodon, failsEarly: true, after: func(r *http.Request) []byte {
			r.Header.Set("Signature-Input", `sig1=("@method" "@target-uri"`)
			return body
		}},
		{name: "created not an integer", spec: mastodon, failsEarly: true, after: func(r *http.Request) []byte {
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), fmt.Sprintf("created=%d", now), `created="now"`, 1))
			return body
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, b := build(t, tc.spec, tc.edit)
			if tc.after != nil {
				b = tc.after(r)
			}
			p, err := RequestSignature(r, b, sigNow)
			if tc.failsEarly {
				if !errors.Is(err, ErrBadSignature) {
					t.Fatalf("RequestSignature = %v, want ErrBadSignature", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("RequestSignature: %v", err)
			}
			if err := p.Verify(r, &key.PublicKey); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("Verify = %v, want ErrBadSignature", err)
			}
		})
	}
}

func TestSigContentDigest(t *testing.T) {
	body := []byte(`{"hello": "world"}`)
	// RFC 9530 Appendix B.1.
	const want = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
	sum512 := sha512.Sum512(body)
	sha512v := "sha-512=:" + base64.StdEncoding.EncodeToString(sum512[:]) + ":"
	for _, tc := range []struct {
		in []string
		ok bool
	}{
		{[]string{want}, true},
		{[]string{"SHA-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"}, true},
		{[]string{sha512v + ", " + want}, true},
		{[]string{sha512v, want}, true},
		{[]string{sha512v}, false},
		{[]string{"sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"}, false},
		{[]string{"sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="}, false},
		{[]string{"sha-256=:X48E9q:"}, false},
		{nil, false},
	} {
		if err := checkContentDigest(tc.in, body); tc.ok != (err == nil) {
			t.Errorf("checkContentDigest(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", true},
		{"sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", true},
		{"SHA-512=abc, SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", true},
		{"SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", false},
		{"SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWx", false},
		{"MD5=abc", false},
		{"", false},
	} {
		if err := checkDigest([]string{tc.in}, body); tc.ok != (err == nil) {
			t.Errorf("checkDigest(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

func TestSigStructuredFields(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`sig1=("@method" "@target-uri" "content-digest");created=1618884473;keyid="test-key";alg="rsa-v1_5-sha256"`,
			`("@method" "@target-uri" "content-digest");created=1618884473;keyid="test-key";alg="rsa-v1_5-sha256"`},
		{`sig1=(  "a"   "b";x=?0 );nonce=tok/en:1;f=1.500;b=:AAE=:;t;n=-007`, `("a" "b";x=?0);nonce=tok/en:1;f=1.5;b=:AAE=:;t;n=-7`},
		{`sig1=("a\"b\\c");created=1;created=2`, `("a\"b\\c");created=2`},
		{`sig1=()`, `()`},
	} {
		ms, err := parseSFDictionary(tc.in)
		if err != nil || len(ms) != 1 || !ms[0].isList {
			t.Errorf("parseSFDictionary(%q) = %+v, %v", tc.in, ms, err)
			continue
		}
		if got := serializeSFInnerList(ms[0].list, ms[0].params); got != tc.want {
			t.Errorf("serialize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, in := range []string{
		`sig1=("a"`, `sig1=("a"x)`, `Sig1=("a")`, `sig1=("a"),`, `sig1=("a") sig2=("b")`, `sig1=("\x")`,
		`sig1=:AA`, `sig1=:!!:`, `sig1=?2`, `sig1=1234567890123456`, `sig1=1.2345`, `sig1=-`, `sig1=("a");=1`, `sig1="a` + "\x01" + `"`,
		`1sig=1`, `sig1=@1`,
	} {
		if ms, err := parseSFDictionary(in); err == nil {
			t.Errorf("parseSFDictionary(%q) = %+v, want error", in, ms)
		}
	}
}
