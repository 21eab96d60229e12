package ap

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// sigFuzzSeeds returns the Signature headers of the fixtures and of the
// parser table as fuzz seeds.
func sigFuzzSeeds(f *testing.F) []string {
	var fx struct {
		Headers map[string]string `json:"headers"`
	}
	if err := json.Unmarshal(sigReadFixture(f, "mastodon_signed_post_create_headers_and_body.json"), &fx); err != nil {
		f.Fatal(err)
	}
	seeds := []string{
		fx.Headers["signature"],
		"Signature " + fx.Headers["signature"],
		strings.ReplaceAll(fx.Headers["signature"], ",", " , "),
		`keyId="https://gts.example/users/a/main-key",algorithm="hs2019",headers="(request-target) host date digest",signature="dGVzdA=="`,
		`keyId="k",algorithm="hs2019",created=1402170695,expires=1402170699.5,headers="(request-target) (created) (expires)",signature="dGVzdA=="`,
		`keyId=k,signature="dGVzdA"`,
		`foo="bar",keyId="a\"b",signature="dGVzdA=="`,
	}
	return append(seeds, sigBadHeaders...)
}

func FuzzParseSignatureHeader(f *testing.F) {
	for _, s := range sigFuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParseSignatureHeader(in)
		if err != nil {
			if !errors.Is(err, ErrBadSignature) || p != nil {
				t.Fatalf("error %v (params %v) does not wrap ErrBadSignature", err, p)
			}
			return
		}
		if strings.TrimSpace(p.KeyID) == "" || len(p.Signature) == 0 || p.Algorithm != strings.ToLower(p.Algorithm) || p.RFC9421 {
			t.Fatalf("accepted %q as %+v", in, p)
		}
		for _, h := range p.Headers {
			if h == "" || h != strings.ToLower(h) || strings.ContainsAny(h, " \t\r\n") {
				t.Fatalf("bad header name %q from %q", h, in)
			}
		}
		again, err := ParseSignatureHeader(in)
		if err != nil || again.KeyID != p.KeyID || !bytes.Equal(again.Signature, p.Signature) {
			t.Fatalf("second parse differs: %v", err)
		}
	})
}

// FuzzParseSignature9421 checks the RFC 9421 parser never panics and that
// the @signature-params it rebuilds parses back to itself.
func FuzzParseSignature9421(f *testing.F) {
	f.Add(`sig1=("@method" "@target-uri" "content-digest");created=1618884473;keyid="k";alg="rsa-v1_5-sha256"`, `sig1=:dGVzdA==:`)
	f.Add(`sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`,
		`sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:`)
	f.Add(`a=(  "x"   "y";p=?0 );n=tok/en:1;f=1.500;b=:AAE=:;t;n=-007`, `a=:AA:, b=?1`)
	f.Add(`sig1=("a\"b\\c");created=1;created=2`, `sig1=:dGVzdA:;x=1`)
	f.Add(`sig1=()`, `sig1=:AA==:`)
	f.Fuzz(func(t *testing.T, input, signature string) {
		p, err := parseSignature9421(input, signature)
		if err != nil {
			return
		}
		if !p.RFC9421 || len(p.Signature) == 0 {
			t.Fatalf("accepted %q %q as %+v", input, signature, p)
		}
		again, err := parseSignature9421(p.Label+"="+p.sigParams, signature)
		if err != nil {
			t.Fatalf("rebuilt Signature-Input %q does not parse: %v", p.sigParams, err)
		}
		if again.sigParams != p.sigParams {
			t.Fatalf("serialization not stable: %q then %q", p.sigParams, again.sigParams)
		}
	})
}

// FuzzRequestSignature runs the whole incoming check on a request with
// fuzzed Signature, Digest and Date headers and body: no panic, every
// failure wraps a sentinel, and nothing verifies against an unrelated key.
func FuzzRequestSignature(f *testing.F) {
	key := sigTestKey(f)
	_, body, now, h := sigMastodonPost(f)
	for _, s := range sigFuzzSeeds(f) {
		f.Add("POST", "/accounts/ronan/inbox", s, h["digest"], h["date"], "", body)
	}
	signed := sigSignedRequest(f, key, "POST", "https://roost.example/inbox?a=b", []byte(`{"a":1}`), sigNow, true)
	f.Add("POST", "/inbox?a=b", signed.Header.Get("Signature"), signed.Header.Get("Digest"), signed.Header.Get("Date"), "", []byte(`{"a":1}`))
	f.Add("POST", "/inbox", `sig1=:dGVzdA==:`, "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", h["date"],
		`sig1=("@method" "@target-uri" "content-digest");created=1540215262;keyid="k"`, []byte(`{"hello": "world"}`))
	f.Fuzz(func(t *testing.T, method, target, sig, digest, date, input string, body []byte) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		r := &http.Request{Method: method, URL: u, RequestURI: target, Host: "localhost", Header: make(http.Header)}
		for k, v := range map[string]string{"Signature": sig, "Digest": digest, "Content-Digest": digest, "Date": date, "Signature-Input": input} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		r.Header.Set("Content-Type", "application/activity+json")
		p, err := RequestSignature(r, body, now)
		if err != nil {
			if !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrNoSignature) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			return
		}
		if err := p.Verify(r, &key.PublicKey); err == nil {
			t.Fatalf("signature by an unknown key verified: %+v", p)
		}
		_ = p.Verify(r, nil)
		_ = p.Verify(r, &rsa.PublicKey{})
	})
}

// FuzzParsePublicKeyPEM checks the lenient PEM decoder never panics.
func FuzzParsePublicKeyPEM(f *testing.F) {
	var k struct {
		PublicKey string `json:"publicKey"`
	}
	if err := json.Unmarshal(sigReadFixture(f, "mastodon_publickey_pem_for_signed_post.json"), &k); err != nil {
		f.Fatal(err)
	}
	f.Add(k.PublicKey)
	f.Add(strings.ReplaceAll(k.PublicKey, "\n", " "))
	f.Add("-----BEGIN RSA PUBLIC KEY----- AAAA -----END RSA PUBLIC KEY-----")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, in string) {
		if pub, err := ParsePublicKeyPEM(in); err == nil && pub == nil {
			t.Fatal("nil key without error")
		}
		_, _ = ParsePrivateKeyPEM(in)
	})
}
