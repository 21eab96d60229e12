package ap

// HTTP Signatures as Mastodon speaks them (FEDERATION.md §3).
//
// Outgoing requests are signed with draft-cavage-http-signatures-12 exactly as
// Mastodon signs them (app/lib/request.rb). Incoming requests are checked the
// way Mastodon checks them (app/controllers/concerns/signature_verification.rb
// and app/lib/signed_request.rb): the same parameter parser, the same coverage
// rules, the same Digest check and the same time window. RFC 9421 verification
// lives in httpsig9421.go.
//
// Verification is split in two so that a caller can look up the key between
// the steps: RequestSignature does every check that needs no key and returns
// the keyId; Verify then checks the signature against the resolved key.

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrBadSignature is wrapped by every signature verification failure: a
// malformed or insufficient signature, a Digest mismatch, a request outside the
// time window or a signature that does not match the key. Callers answer 401.
var ErrBadSignature = errors.New("bad signature")

// ErrNoSignature reports a request that carries no Signature header at all.
var ErrNoSignature = errors.New("request not signed")

// Signature algorithms of draft-cavage-http-signatures-12.
const (
	algRSASHA256 = "rsa-sha256"
	algRSASHA512 = "rsa-sha512"
	algHS2019    = "hs2019"
)

// Content types Mastodon sends on signed requests.
const (
	sigContentType = "application/activity+json"
	sigAccept      = "application/activity+json, application/ld+json"
)

// Time window of FEDERATION.md §3.2 step 4 (Mastodon's
// SignatureVerification: EXPIRATION_WINDOW_LIMIT and CLOCK_SKEW_MARGIN).
const (
	sigDefaultLifetime = 5 * time.Minute
	sigMaxLifetime     = 12 * time.Hour
	sigClockSkew       = time.Hour
)

// maxUnixSeconds bounds created/expires (the last second of year 9999) so that
// time arithmetic on hostile values cannot overflow.
const maxUnixSeconds = 253402300799

// SignatureParams is a parsed Signature header (draft-cavage) or, when
// RFC9421 is set, a parsed Signature-Input member with its Signature value.
type SignatureParams struct {
	// KeyID identifies the signing key (keyId, or keyid in RFC 9421).
	KeyID string
	// Algorithm is the lower-cased algorithm parameter; "hs2019" when a
	// cavage header omits it. Empty for an RFC 9421 signature without alg.
	Algorithm string
	// Headers lists the signed headers and pseudo-headers in order
	// (lower-cased for cavage; the covered component names for RFC 9421).
	Headers []string
	// Signature is the decoded signature value.
	Signature []byte
	// Created and Expires are the created and expires parameters, if given.
	// For cavage rsa-sha256 signatures the creation time is the Date header.
	Created, Expires *time.Time
	// RFC9421 reports an RFC 9421 HTTP Message Signature.
	RFC9421 bool
	// Label is the RFC 9421 signature label (the Signature-Input key).
	Label string

	createdRaw, expiresRaw string // cavage parameter text, for (created) and (expires)
	sigParams              string // RFC 9421 @signature-params value
}

// SignRequest signs r as Mastodon does: draft-cavage-12 with
// algorithm="rsa-sha256". It sets Host, Date (from now), and for requests
// with a body (or any POST) Digest over body and Content-Type if unset, for
// GET Accept if unset, then Signature over "(request-target) host date digest
// content-type" (POST) or "(request-target) host date accept" (GET).
// (request-target) includes the query when withQuery is true. body must be the
// exact bytes sent; if r.Body is nil and body is not empty, SignRequest sets
// r.Body to body.
func SignRequest(r *http.Request, body []byte, keyID string, key *rsa.PrivateKey, now time.Time, withQuery bool) error {
	if r == nil || r.URL == nil || key == nil {
		return errors.New("sign request: missing request or key")
	}
	if keyID == "" || strings.ContainsAny(keyID, "\"\\\r\n") {
		return fmt.Errorf("sign request: unusable keyId %q", keyID)
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	// Mastodon's Host omits the scheme's default port.
	if host = stripDefaultPort(r.URL.Scheme, host); host == "" {
		return errors.New("sign request: no host")
	}
	// Go writes r.Host on the wire and ignores Header["Host"]; set both so the
	// signed value is the one sent and the header map is complete.
	r.Host = host
	r.Header.Set("Host", host)
	r.Header.Set("Date", now.UTC().Format(http.TimeFormat))

	headers := []string{"(request-target)", "host", "date"}
	if len(body) > 0 || r.Method == http.MethodPost {
		sum := sha256.Sum256(body)
		r.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]))
		if r.Header.Get("Content-Type") == "" {
			r.Header.Set("Content-Type", sigContentType)
		}
		headers = append(headers, "digest", "content-type")
		if r.Body == nil && len(body) > 0 {
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
			r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		}
	}
	if r.Method == http.MethodGet {
		if r.Header.Get("Accept") == "" {
			r.Header.Set("Accept", sigAccept)
		}
		headers = append(headers, "accept")
	}

	p := &SignatureParams{KeyID: keyID, Algorithm: algRSASHA256, Headers: headers}
	target := r.URL.EscapedPath()
	if target == "" {
		target = "/"
	}
	if withQuery && r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	msg, err := p.cavageSigningString(r, strings.ToLower(r.Method)+" "+target)
	if err != nil {
		return fmt.Errorf("sign request: %w", err)
	}
	sum := sha256.Sum256([]byte(msg))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return fmt.Errorf("sign request: %w", err)
	}
	r.Header.Set("Signature", fmt.Sprintf(`keyId="%s",algorithm="%s",headers="%s",signature="%s"`,
		keyID, algRSASHA256, strings.Join(headers, " "), base64.StdEncoding.EncodeToString(sig)))
	return nil
}

// ParseSignatureHeader parses a draft-cavage Signature header as tolerantly as
// Mastodon's SignatureParser: a bogus leading "Signature " (old
// node-http-signature), spaces around "=" and ",", token or quoted values,
// unknown parameters ignored, the last of repeated parameters winning. A
// missing algorithm means hs2019; missing headers mean "date" (or "(created)"
// for hs2019). keyId and signature are required.
func ParseSignatureHeader(v string) (*SignatureParams, error) {
	params, err := parseCavageParams(strings.TrimPrefix(strings.TrimSpace(v), "Signature "))
	if err != nil {
		return nil, err
	}
	p := &SignatureParams{KeyID: params["keyId"]}
	if strings.TrimSpace(p.KeyID) == "" {
		return nil, fmt.Errorf("%w: missing keyId", ErrBadSignature)
	}
	if p.Signature, err = decodeBase64(params["signature"]); err != nil || len(p.Signature) == 0 {
		return nil, fmt.Errorf("%w: missing or undecodable signature value", ErrBadSignature)
	}
	p.Algorithm = algHS2019
	if a, ok := params["algorithm"]; ok {
		p.Algorithm = strings.ToLower(strings.TrimSpace(a))
	}
	h, ok := params["headers"]
	if !ok {
		h = "date"
		if p.Algorithm == algHS2019 {
			h = "(created)"
		}
	}
	p.Headers = strings.Fields(strings.ToLower(h))
	if c, ok := params["created"]; ok {
		if p.Created, err = parseUnixParam(c); err != nil {
			return nil, fmt.Errorf("%w: created: %w", ErrBadSignature, err)
		}
		p.createdRaw = c
	}
	if e, ok := params["expires"]; ok {
		if p.Expires, err = parseUnixParam(e); err != nil {
			return nil, fmt.Errorf("%w: expires: %w", ErrBadSignature, err)
		}
		p.expiresRaw = e
	}
	return p, nil
}

// RequestSignature extracts the signature of r (a cavage Signature header,
// or Signature-Input and Signature for RFC 9421) and performs every check
// that needs no key, as Mastodon does: the signature covers enough of the
// request, every signed header is present, the Digest (or Content-Digest)
// matches body, and the signature lies within the time window around now.
// The caller then resolves KeyID and calls Verify.
func RequestSignature(r *http.Request, body []byte, now time.Time) (*SignatureParams, error) {
	if r == nil || r.URL == nil {
		return nil, ErrNoSignature
	}
	if len(r.Header.Values("Signature-Input")) > 0 {
		return requestSignature9421(r, body, now)
	}
	sigs := r.Header.Values("Signature")
	switch {
	case len(sigs) == 0 || len(sigs) == 1 && strings.TrimSpace(sigs[0]) == "":
		return nil, ErrNoSignature
	case len(sigs) > 1:
		return nil, fmt.Errorf("%w: %d Signature headers", ErrBadSignature, len(sigs))
	}
	p, err := ParseSignatureHeader(sigs[0])
	if err != nil {
		return nil, err
	}
	switch p.Algorithm {
	case algRSASHA256, algRSASHA512, algHS2019:
	default:
		return nil, fmt.Errorf("%w: unsupported algorithm %q", ErrBadSignature, p.Algorithm)
	}
	created := p.Created
	// The created parameter counts only when it is signed, as
	// "(created)": otherwise a captured request could be replayed with a
	// fresh, unsigned one.
	if p.Algorithm != algHS2019 || created == nil || !slices.Contains(p.Headers, "(created)") {
		// Mastodon takes (created) only for hs2019, the Date header otherwise.
		d, err := http.ParseTime(r.Header.Get("Date"))
		if err != nil {
			return nil, fmt.Errorf("%w: no usable creation time: %w", ErrBadSignature, err)
		}
		created = &d
	}
	if err := checkTimeWindow(created, p.Expires, now); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	if err := p.checkCavage(r, body); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	return p, nil
}

// checkCavage applies Mastodon's verify_signature_strength! and
// verify_body_digest!, and requires every signed header to be present.
func (p *SignatureParams) checkCavage(r *http.Request, body []byte) error {
	signed := make(map[string]bool, len(p.Headers))
	for _, h := range p.Headers {
		signed[h] = true
	}
	switch {
	case !signed["date"] && !signed["(created)"]:
		return errors.New("neither date nor (created) is signed")
	case !signed["(request-target)"] && !signed["digest"]:
		return errors.New("neither (request-target) nor digest is signed")
	case isGetLike(r.Method) && !signed["host"]:
		return errors.New("host is not signed on a GET")
	case r.Method == http.MethodPost && !signed["digest"]:
		return errors.New("digest is not signed on a POST")
	}
	// Building the signing string checks every signed header and
	// pseudo-header is present and usable.
	if _, err := p.cavageSigningString(r, ""); err != nil {
		return err
	}
	if signed["digest"] {
		return checkDigest(r.Header.Values("Digest"), body)
	}
	return nil
}

// Verify checks the signature of r against pub, after RequestSignature has
// accepted the request. Cavage signatures take RSA PKCS#1 v1.5 with SHA-256
// (rsa-sha256, hs2019), SHA-512 (rsa-sha512, hs2019) or Ed25519 (hs2019); the
// signing string is tried with the query in (request-target) first and then
// without it, as Mastodon and GoToSocial do.
func (p *SignatureParams) Verify(r *http.Request, pub crypto.PublicKey) error {
	if p == nil || r == nil || r.URL == nil {
		return fmt.Errorf("%w: nothing to verify", ErrBadSignature)
	}
	if p.RFC9421 {
		return p.verify9421(r, pub)
	}
	if len(p.Headers) == 0 {
		return fmt.Errorf("%w: no signed headers", ErrBadSignature)
	}
	full, path := rawRequestTarget(r)
	method := strings.ToLower(r.Method)
	var err error
	for i, target := range []string{full, path} {
		if i == 1 && path == full {
			break
		}
		var msg string
		if msg, err = p.cavageSigningString(r, method+" "+target); err != nil {
			return fmt.Errorf("%w: %w", ErrBadSignature, err)
		}
		if err = verifyCavage(p.Algorithm, pub, []byte(msg), p.Signature); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%w: %w", ErrBadSignature, err)
}

// cavageSigningString builds the draft-cavage signing string: "name: value"
// lines joined by "\n". target is the (request-target) value.
func (p *SignatureParams) cavageSigningString(r *http.Request, target string) (string, error) {
	var b strings.Builder
	for i, h := range p.Headers {
		if i > 0 {
			b.WriteByte('\n')
		}
		var v string
		switch {
		case h == "(request-target)":
			v = target
		case h == "(created)" || h == "(expires)":
			raw := p.createdRaw
			if h == "(expires)" {
				raw = p.expiresRaw
			}
			if p.Algorithm != algHS2019 {
				return "", fmt.Errorf("pseudo-header %s needs hs2019", h)
			}
			if raw == "" {
				return "", fmt.Errorf("pseudo-header %s without its parameter", h)
			}
			v = raw
		case strings.HasPrefix(h, "("):
			return "", fmt.Errorf("unknown pseudo-header %q", h)
		default:
			var err error
			if v, err = headerValue(r, h); err != nil {
				return "", err
			}
		}
		b.WriteString(h)
		b.WriteString(": ")
		b.WriteString(v)
	}
	return b.String(), nil
}

// verifyCavage verifies sig over msg for a cavage algorithm.
func verifyCavage(alg string, pub crypto.PublicKey, msg, sig []byte) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		switch alg {
		case algRSASHA256:
			return verifyRSA(k, crypto.SHA256, msg, sig)
		case algRSASHA512:
			return verifyRSA(k, crypto.SHA512, msg, sig)
		case algHS2019:
			// GoToSocial's hs2019 fallbacks: RSA-SHA256, then RSA-SHA512.
			if err := verifyRSA(k, crypto.SHA256, msg, sig); err == nil {
				return nil
			}
			return verifyRSA(k, crypto.SHA512, msg, sig)
		}
	case ed25519.PublicKey:
		if alg == algHS2019 {
			return verifyEd25519(k, msg, sig)
		}
	}
	return fmt.Errorf("algorithm %q does not fit key type %T", alg, pub)
}

func verifyRSA(k *rsa.PublicKey, h crypto.Hash, msg, sig []byte) error {
	if k == nil || k.N == nil || k.N.Sign() <= 0 {
		return errors.New("invalid RSA key")
	}
	var sum []byte
	if h == crypto.SHA512 {
		s := sha512.Sum512(msg)
		sum = s[:]
	} else {
		s := sha256.Sum256(msg)
		sum = s[:]
	}
	return rsa.VerifyPKCS1v15(k, h, sum, sig)
}

func verifyEd25519(k ed25519.PublicKey, msg, sig []byte) error {
	// ed25519.Verify panics on a key of the wrong length.
	if len(k) != ed25519.PublicKeySize || !ed25519.Verify(k, msg, sig) {
		return errors.New("ed25519 verification error")
	}
	return nil
}

// checkDigest compares a Digest header with body as Mastodon does: entries
// split on ",", algorithm names case-insensitive, sha-256 required.
func checkDigest(values []string, body []byte) error {
	if len(values) == 0 {
		return errors.New("signed Digest header missing")
	}
	var offered []string
	for _, entry := range strings.Split(strings.Join(values, ","), ",") {
		alg, val, _ := strings.Cut(strings.TrimSpace(entry), "=")
		alg = strings.ToLower(strings.TrimSpace(alg))
		if alg != "sha-256" {
			offered = append(offered, alg)
			continue
		}
		got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(val))
		if err != nil || len(got) != sha256.Size {
			return errors.New("digest is not a base64 SHA-256 value")
		}
		sum := sha256.Sum256(body)
		if !bytes.Equal(got, sum[:]) {
			return errors.New("digest does not match body")
		}
		return nil
	}
	return fmt.Errorf("digest lacks sha-256 (offered %q)", offered)
}

// checkTimeWindow applies FEDERATION.md §3.2 step 4: expires defaults to
// created+5 min and is capped at created+12 h; reject created > now+1 h or
// now > expires+1 h.
func checkTimeWindow(created, expires *time.Time, now time.Time) error {
	if created == nil {
		return errors.New("no creation time")
	}
	exp := created.Add(sigDefaultLifetime)
	if expires != nil {
		exp = *expires
	}
	if limit := created.Add(sigMaxLifetime); exp.After(limit) {
		exp = limit
	}
	if created.After(now.Add(sigClockSkew)) {
		return fmt.Errorf("signature created in the future (%s)", created.UTC().Format(time.RFC3339))
	}
	if now.After(exp.Add(sigClockSkew)) {
		return fmt.Errorf("signature expired (%s)", exp.UTC().Format(time.RFC3339))
	}
	return nil
}

// parseCavageParams is Mastodon's SignatureParser: comma-separated
// key=value pairs, values tokens or quoted strings, whitespace allowed around
// "=" and ",". Quoted pairs are unescaped.
func parseCavageParams(s string) (map[string]string, error) {
	params := make(map[string]string)
	i := 0
	for {
		key := scanToken(s, i)
		if key == "" {
			return nil, fmt.Errorf("%w: malformed Signature header at offset %d", ErrBadSignature, i)
		}
		i = skipSpace(s, i+len(key))
		if i >= len(s) || s[i] != '=' {
			return nil, fmt.Errorf("%w: parameter %q without value", ErrBadSignature, key)
		}
		i = skipSpace(s, i+1)
		var val string
		if i < len(s) && s[i] == '"' {
			var n int
			var ok bool
			if val, n, ok = scanQuoted(s[i:]); !ok {
				return nil, fmt.Errorf("%w: unterminated quoted value for %q", ErrBadSignature, key)
			}
			i += n
		} else if val = scanToken(s, i); val == "" {
			return nil, fmt.Errorf("%w: parameter %q without value", ErrBadSignature, key)
		} else {
			i += len(val)
		}
		params[key] = val
		i = skipSpace(s, i)
		if i >= len(s) {
			return params, nil
		}
		if s[i] != ',' {
			return nil, fmt.Errorf("%w: expected \",\" at offset %d", ErrBadSignature, i)
		}
		i = skipSpace(s, i+1)
	}
}

// scanToken returns the RFC 7230 token starting at s[i:].
func scanToken(s string, i int) string {
	j := i
	for j < len(s) && isTchar(s[j]) {
		j++
	}
	return s[i:j]
}

func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// scanQuoted reads the quoted string at the start of s and returns its
// unescaped content and length.
func scanQuoted(s string) (string, int, bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '"':
			return b.String(), i + 1, true
		case '\\':
			if i+1 == len(s) {
				return "", 0, false
			}
			i++
		}
		b.WriteByte(s[i])
	}
	return "", 0, false
}

// skipSpace skips the whitespace Ruby's \s matches.
func skipSpace(s string, i int) int {
	for i < len(s) && strings.IndexByte(" \t\r\n\f\v", s[i]) >= 0 {
		i++
	}
	return i
}

// parseUnixParam parses a created/expires parameter: Unix seconds, possibly
// with a fraction.
func parseUnixParam(v string) (*time.Time, error) {
	v = strings.TrimSpace(v)
	whole, frac, hasFrac := strings.Cut(v, ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || len(whole) > 12 ||
		hasFrac && (frac == "" || strings.Trim(frac, "0123456789") != "") {
		return nil, fmt.Errorf("not a Unix time: %q", v)
	}
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || sec > maxUnixSeconds {
		return nil, fmt.Errorf("not a Unix time: %q", v)
	}
	var nsec int64
	if hasFrac {
		frac = (frac + "000000000")[:9]
		nsec, _ = strconv.ParseInt(frac, 10, 64)
	}
	t := time.Unix(sec, nsec).UTC()
	return &t, nil
}

// decodeBase64 decodes standard base64, padded or not, ignoring whitespace.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Join(strings.Fields(s), "")
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// headerValue returns the value of a signed header: Host from r.Host (Go
// moves it out of the header map on the server), other fields' lines trimmed
// and joined with ", ". A missing header, or a value with a line break that
// would forge extra signing-string lines, is an error.
func headerValue(r *http.Request, name string) (string, error) {
	var vals []string
	if name == "host" {
		for _, h := range []string{r.Host, r.Header.Get("Host"), r.URL.Host} {
			if h != "" {
				vals = []string{h}
				break
			}
		}
	} else {
		vals = r.Header.Values(name)
	}
	if len(vals) == 0 {
		return "", fmt.Errorf("signed header %q missing", name)
	}
	trimmed := make([]string, len(vals))
	for i, v := range vals {
		if strings.ContainsAny(v, "\r\n") {
			return "", fmt.Errorf("signed header %q has a line break", name)
		}
		trimmed[i] = strings.Trim(v, " \t")
	}
	return strings.Join(trimmed, ", "), nil
}

// rawRequestTarget returns the request target as received, with and without
// its query. It prefers the raw RequestURI a server saw over r.URL, which Go
// has decoded and handlers may have rewritten.
func rawRequestTarget(r *http.Request) (full, path string) {
	full = r.RequestURI
	if !strings.HasPrefix(full, "/") {
		full = r.URL.RequestURI()
	}
	path, _, _ = strings.Cut(full, "?")
	return full, path
}

func isGetLike(method string) bool {
	return method == http.MethodGet || method == http.MethodHead
}

// stripDefaultPort removes :443 from https and :80 from http authorities,
// as Mastodon's Host header omits them.
func stripDefaultPort(scheme, host string) string {
	scheme = strings.ToLower(scheme)
	if scheme == "https" || scheme == "" {
		host = strings.TrimSuffix(host, ":443")
	}
	if scheme == "http" {
		host = strings.TrimSuffix(host, ":80")
	}
	return host
}

// GenerateKey returns a new RSA-2048 key, the size Mastodon uses.
func GenerateKey() (*rsa.PrivateKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return k, nil
}

// EncodePublicKeyPEM returns pub as an SPKI "PUBLIC KEY" PEM block with "\n"
// line breaks, as Mastodon publishes publicKeyPem.
func EncodePublicKeyPEM(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("encode public key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// EncodePrivateKeyPEM returns key as a PKCS#8 "PRIVATE KEY" PEM block.
func EncodePrivateKeyPEM(key *rsa.PrivateKey) (string, error) {
	if key == nil {
		return "", errors.New("encode private key: nil key")
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("encode private key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// ParsePrivateKeyPEM decodes an RSA private key stored as PKCS#8 "PRIVATE
// KEY" (or, leniently, PKCS#1 "RSA PRIVATE KEY").
func ParsePrivateKeyPEM(s string) (*rsa.PrivateKey, error) {
	typ, der, err := decodePEMLenient(s)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	if typ == "RSA PRIVATE KEY" {
		k, err := x509.ParsePKCS1PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("parse private key: %w", err)
		}
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("parse private key: %T is not RSA", k)
	}
	return rk, nil
}

// ParsePublicKeyPEM decodes a publicKeyPem leniently: SPKI "PUBLIC KEY" or
// PKCS#1 "RSA PUBLIC KEY", tolerating spaces instead of newlines (as some
// stores rewrite it), surrounding whitespace, "\r\n" and literal "\n"
// escapes. It returns an *rsa.PublicKey or an ed25519.PublicKey.
func ParsePublicKeyPEM(s string) (crypto.PublicKey, error) {
	typ, der, err := decodePEMLenient(s)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	var pub crypto.PublicKey
	if typ == "RSA PUBLIC KEY" {
		pub, err = x509.ParsePKCS1PublicKey(der)
	} else if pub, err = x509.ParsePKIXPublicKey(der); err != nil && typ != "PUBLIC KEY" {
		pub, err = x509.ParsePKCS1PublicKey(der)
	}
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	switch pub.(type) {
	case *rsa.PublicKey, ed25519.PublicKey:
		return pub, nil
	}
	return nil, fmt.Errorf("parse public key: unsupported key type %T", pub)
}

// decodePEMLenient finds "-----BEGIN T-----" … "-----END T-----" in s and
// decodes the base64 between them, ignoring all whitespace, so that PEM with
// spaces for newlines, CRLF or escaped line breaks decodes.
func decodePEMLenient(s string) (typ string, der []byte, err error) {
	const begin, dashes = "-----BEGIN ", "-----"
	i := strings.Index(s, begin)
	if i < 0 {
		return "", nil, errors.New("no PEM BEGIN line")
	}
	rest := s[i+len(begin):]
	typ, rest, ok := strings.Cut(rest, dashes)
	if !ok || strings.ContainsAny(typ, "\r\n") {
		return "", nil, errors.New("malformed PEM BEGIN line")
	}
	body, _, ok := strings.Cut(rest, "-----END "+typ+dashes)
	if !ok {
		return "", nil, fmt.Errorf("no PEM END line for %q", typ)
	}
	// Base64 has no backslash, so literal "\n" left by a double JSON
	// encoding can go with the whitespace.
	body = strings.NewReplacer(`\n`, "", `\r`, "").Replace(body)
	der, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(body), ""))
	if err != nil || len(der) == 0 {
		return "", nil, errors.New("PEM body: invalid base64")
	}
	return strings.TrimSpace(typ), der, nil
}
