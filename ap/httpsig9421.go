package ap

// RFC 9421 HTTP Message Signatures, verification only (FEDERATION.md §3.3).
//
// Mastodon verifies these since 4.4 (on by default in 4.5) and still sends
// cavage signatures, so Roost does the same: it accepts a single signature in
// Signature-Input/Signature and requires what Mastodon requires (created,
// @method, @target-uri, Content-Digest on POST), also accepting @authority
// plus @path in place of @target-uri. Component parameters (;sf, ;key, ;req,
// ;bs, ;tr) and @query-param are not supported and are rejected.
//
// The Structured Field (RFC 8941) parser below covers what these headers use:
// dictionaries of items and inner lists with parameters.

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RFC 9421 algorithm names (§6.2.2).
const (
	alg9421RSASHA256 = "rsa-v1_5-sha256"
	alg9421RSAPSS512 = "rsa-pss-sha512"
	alg9421Ed25519   = "ed25519"
)

// requestSignature9421 is RequestSignature for an RFC 9421 signature.
func requestSignature9421(r *http.Request, body []byte, now time.Time) (*SignatureParams, error) {
	sigs := r.Header.Values("Signature")
	if len(sigs) == 0 {
		return nil, fmt.Errorf("%w: Signature-Input without Signature", ErrBadSignature)
	}
	p, err := parseSignature9421(strings.Join(r.Header.Values("Signature-Input"), ", "), strings.Join(sigs, ", "))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	if p.Created == nil {
		return nil, fmt.Errorf("%w: missing created", ErrBadSignature)
	}
	if err := checkTimeWindow(p.Created, p.Expires, now); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	if err := p.check9421(r, body); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	return p, nil
}

// check9421 applies Mastodon's HttpMessageSignature checks: required
// parameters, coverage, presence of every component and Content-Digest.
func (p *SignatureParams) check9421(r *http.Request, body []byte) error {
	if p.KeyID == "" {
		return errors.New("missing keyid")
	}
	switch p.Algorithm {
	case "", alg9421RSASHA256, alg9421RSAPSS512, alg9421Ed25519:
	default:
		return fmt.Errorf("unsupported alg %q", p.Algorithm)
	}
	covered := make(map[string]bool, len(p.Headers))
	for _, c := range p.Headers {
		covered[c] = true
	}
	switch {
	case !covered["@method"]:
		return errors.New("@method not covered")
	case !covered["@target-uri"] && !(covered["@authority"] && covered["@path"]):
		return errors.New("neither @target-uri nor @authority and @path covered")
	case r.Method == http.MethodPost && !covered["content-digest"]:
		return errors.New("content-digest not covered on a POST")
	}
	if _, err := p.signatureBase9421(r); err != nil {
		return err
	}
	if covered["content-digest"] {
		return checkContentDigest(r.Header.Values("Content-Digest"), body)
	}
	return nil
}

// verify9421 checks an RFC 9421 signature. Without alg the key type decides:
// RSA means rsa-v1_5-sha256 (all Mastodon accepts), Ed25519 means ed25519.
func (p *SignatureParams) verify9421(r *http.Request, pub crypto.PublicKey) error {
	base, err := p.signatureBase9421(r)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	msg := []byte(base)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		switch p.Algorithm {
		case "", alg9421RSASHA256:
			err = verifyRSA(k, crypto.SHA256, msg, p.Signature)
		case alg9421RSAPSS512:
			if k == nil || k.N == nil || k.N.Sign() <= 0 {
				err = errors.New("invalid RSA key")
				break
			}
			sum := sha512.Sum512(msg)
			err = rsa.VerifyPSS(k, crypto.SHA512, sum[:], p.Signature, &rsa.PSSOptions{Hash: crypto.SHA512})
		default:
			err = fmt.Errorf("alg %q does not fit an RSA key", p.Algorithm)
		}
	case ed25519.PublicKey:
		if p.Algorithm != "" && p.Algorithm != alg9421Ed25519 {
			err = fmt.Errorf("alg %q does not fit an Ed25519 key", p.Algorithm)
			break
		}
		err = verifyEd25519(k, msg, p.Signature)
	default:
		err = fmt.Errorf("unsupported key type %T", pub)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	return nil
}

// parseSignature9421 parses the Signature-Input and Signature fields. Like
// Mastodon, it accepts exactly one signature.
func parseSignature9421(input, signature string) (*SignatureParams, error) {
	in, err := parseSFDictionary(input)
	if err != nil {
		return nil, fmt.Errorf("Signature-Input: %w", err)
	}
	if len(in) != 1 {
		return nil, fmt.Errorf("Signature-Input has %d signatures, want 1", len(in))
	}
	m := in[0]
	if !m.isList {
		return nil, errors.New("Signature-Input member is not an inner list")
	}
	sigs, err := parseSFDictionary(signature)
	if err != nil {
		return nil, fmt.Errorf("Signature: %w", err)
	}
	p := &SignatureParams{RFC9421: true, Label: m.key}
	for _, s := range sigs {
		if s.key == m.key && !s.isList && s.item.kind == sfBytes {
			p.Signature = s.item.bytes
		}
	}
	if len(p.Signature) == 0 {
		return nil, fmt.Errorf("no byte-sequence Signature for label %q", m.key)
	}
	seen := make(map[string]bool, len(m.list))
	for _, c := range m.list {
		switch {
		case c.kind != sfString:
			return nil, errors.New("component identifier is not a string")
		case len(c.params) > 0:
			return nil, fmt.Errorf("component parameters on %q are not supported", c.text)
		case seen[c.text]:
			return nil, fmt.Errorf("component %q covered twice", c.text)
		}
		seen[c.text] = true
		p.Headers = append(p.Headers, c.text)
	}
	for _, prm := range m.params {
		if err := p.setParam9421(prm); err != nil {
			return nil, err
		}
	}
	p.sigParams = serializeSFInnerList(m.list, m.params)
	return p, nil
}

// setParam9421 records one signature parameter; nonce, tag and unknown
// parameters are only part of @signature-params.
func (p *SignatureParams) setParam9421(prm sfParam) error {
	v := prm.value
	switch prm.key {
	case "created", "expires":
		if v.kind != sfInteger || v.num < 0 || v.num > maxUnixSeconds {
			return fmt.Errorf("%s is not a Unix time", prm.key)
		}
		t := time.Unix(v.num, 0).UTC()
		if prm.key == "created" {
			p.Created = &t
		} else {
			p.Expires = &t
		}
	case "keyid", "alg":
		if v.kind != sfString {
			return fmt.Errorf("%s is not a string", prm.key)
		}
		if prm.key == "keyid" {
			p.KeyID = v.text
		} else {
			p.Algorithm = v.text
		}
	}
	return nil
}

// signatureBase9421 builds the signature base of RFC 9421 §2.5.
func (p *SignatureParams) signatureBase9421(r *http.Request) (string, error) {
	var b strings.Builder
	for _, c := range p.Headers {
		v, err := componentValue9421(r, c)
		if err != nil {
			return "", err
		}
		b.WriteString(serializeSFString(c))
		b.WriteString(": ")
		b.WriteString(v)
		b.WriteByte('\n')
	}
	b.WriteString(`"@signature-params": `)
	b.WriteString(p.sigParams)
	return b.String(), nil
}

// componentValue9421 returns the value of one covered component (§2.1, §2.2).
func componentValue9421(r *http.Request, name string) (string, error) {
	if !strings.HasPrefix(name, "@") {
		return headerValue(r, name)
	}
	full, path := rawRequestTarget(r)
	_, query, _ := strings.Cut(full, "?")
	switch name {
	case "@method":
		return r.Method, nil
	case "@scheme":
		return requestScheme(r), nil
	case "@authority":
		return requestAuthority(r)
	case "@target-uri":
		a, err := requestAuthority(r)
		if err != nil {
			return "", err
		}
		return requestScheme(r) + "://" + a + full, nil
	case "@request-target":
		return full, nil
	case "@path":
		return path, nil
	case "@query":
		return "?" + query, nil
	}
	return "", fmt.Errorf("unsupported derived component %q", name)
}

// requestScheme is the scheme of the target URI: r.URL.Scheme when the caller
// set it, else X-Forwarded-Proto, else https, since federation runs over TLS
// and a plain-HTTP listener sits behind a TLS-terminating proxy.
func requestScheme(r *http.Request) string {
	if r.URL.Scheme != "" {
		return strings.ToLower(r.URL.Scheme)
	}
	if p := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto"))); p == "http" || p == "https" {
		return p
	}
	return "https"
}

// requestAuthority is the normalized authority (§2.2.3): lower case,
// without the scheme's default port.
func requestAuthority(r *http.Request) (string, error) {
	h, err := headerValue(r, "host")
	if err != nil {
		return "", err
	}
	return stripDefaultPort(requestScheme(r), strings.ToLower(h)), nil
}

// checkContentDigest compares an RFC 9530 Content-Digest with body. It is
// lenient like checkDigest: members split on ",", names case-insensitive,
// sha-256 required.
func checkContentDigest(values []string, body []byte) error {
	if len(values) == 0 {
		return errors.New("covered Content-Digest header missing")
	}
	var offered []string
	for _, entry := range strings.Split(strings.Join(values, ","), ",") {
		alg, val, _ := strings.Cut(strings.TrimSpace(entry), "=")
		alg = strings.ToLower(strings.TrimSpace(alg))
		if alg != "sha-256" {
			offered = append(offered, alg)
			continue
		}
		val, _, _ = strings.Cut(strings.TrimSpace(val), ";")
		val = strings.TrimSpace(val)
		if len(val) < 2 || val[0] != ':' || val[len(val)-1] != ':' {
			return errors.New("content-digest sha-256 value is not a byte sequence")
		}
		got, err := decodeBase64(val[1 : len(val)-1])
		if err != nil || len(got) != sha256.Size {
			return errors.New("content-digest is not a base64 SHA-256 value")
		}
		if sum := sha256.Sum256(body); string(got) != string(sum[:]) {
			return errors.New("content-digest does not match body")
		}
		return nil
	}
	return fmt.Errorf("content-digest lacks sha-256 (offered %q)", offered)
}

// Structured Field Values (RFC 8941), the subset RFC 9421 needs.

type sfKind uint8

const (
	sfInteger sfKind = iota + 1
	sfDecimal
	sfString
	sfToken
	sfBytes
	sfBool
)

// sfItem is a bare item with its parameters.
type sfItem struct {
	kind    sfKind
	text    string // string or token value; canonical text of a number
	num     int64  // integer value
	bytes   []byte
	boolean bool
	params  []sfParam
}

type sfParam struct {
	key   string
	value sfItem
}

// sfMember is a dictionary member: an item or an inner list.
type sfMember struct {
	key    string
	isList bool
	item   sfItem
	list   []sfItem
	params []sfParam // of the inner list
}

type sfParser struct {
	s string
	i int
}

func (p *sfParser) eof() bool { return p.i >= len(p.s) }

func (p *sfParser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.s[p.i]
}

func (p *sfParser) skip(chars string) {
	for !p.eof() && strings.IndexByte(chars, p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *sfParser) errorf(format string, args ...any) error {
	return fmt.Errorf("structured field at offset %d: %s", p.i, fmt.Sprintf(format, args...))
}

// parseSFDictionary parses a Dictionary (§4.2.2). A repeated key replaces
// the earlier value in place.
func parseSFDictionary(s string) ([]sfMember, error) {
	p := &sfParser{s: strings.Trim(s, " \t")}
	var out []sfMember
	for !p.eof() {
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		m := sfMember{key: key}
		if p.peek() == '=' {
			p.i++
			if p.peek() == '(' {
				m.isList = true
				m.list, m.params, err = p.innerList()
			} else {
				m.item, err = p.item()
			}
		} else {
			m.item = sfItem{kind: sfBool, boolean: true}
			m.item.params, err = p.params()
		}
		if err != nil {
			return nil, err
		}
		out = setSFMember(out, m)
		p.skip(" \t")
		if p.eof() {
			break
		}
		if p.peek() != ',' {
			return nil, p.errorf("expected ','")
		}
		p.i++
		p.skip(" \t")
		if p.eof() {
			return nil, p.errorf("trailing ','")
		}
	}
	return out, nil
}

func setSFMember(ms []sfMember, m sfMember) []sfMember {
	for i := range ms {
		if ms[i].key == m.key {
			ms[i] = m
			return ms
		}
	}
	return append(ms, m)
}

func (p *sfParser) key() (string, error) {
	start := p.i
	if c := p.peek(); !('a' <= c && c <= 'z' || c == '*') {
		return "", p.errorf("bad key")
	}
	for !p.eof() {
		c := p.s[p.i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("_-.*", c) >= 0) {
			break
		}
		p.i++
	}
	return p.s[start:p.i], nil
}

func (p *sfParser) innerList() ([]sfItem, []sfParam, error) {
	p.i++ // '('
	var items []sfItem
	for !p.eof() {
		p.skip(" ")
		if p.peek() == ')' {
			p.i++
			params, err := p.params()
			return items, params, err
		}
		it, err := p.item()
		if err != nil {
			return nil, nil, err
		}
		items = append(items, it)
		if c := p.peek(); c != ' ' && c != ')' {
			return nil, nil, p.errorf("bad inner list")
		}
	}
	return nil, nil, p.errorf("unterminated inner list")
}

func (p *sfParser) item() (sfItem, error) {
	it, err := p.bareItem()
	if err != nil {
		return it, err
	}
	it.params, err = p.params()
	return it, err
}

func (p *sfParser) params() ([]sfParam, error) {
	var ps []sfParam
	for p.peek() == ';' {
		p.i++
		p.skip(" ")
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		v := sfItem{kind: sfBool, boolean: true}
		if p.peek() == '=' {
			p.i++
			if v, err = p.bareItem(); err != nil {
				return nil, err
			}
		}
		ps = setSFParam(ps, sfParam{key: key, value: v})
	}
	return ps, nil
}

func setSFParam(ps []sfParam, prm sfParam) []sfParam {
	for i := range ps {
		if ps[i].key == prm.key {
			ps[i] = prm
			return ps
		}
	}
	return append(ps, prm)
}

func (p *sfParser) bareItem() (sfItem, error) {
	c := p.peek()
	switch {
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	case c == '"':
		return p.str()
	case c == ':':
		return p.byteSeq()
	case c == '?':
		if p.i+1 < len(p.s) && (p.s[p.i+1] == '0' || p.s[p.i+1] == '1') {
			p.i += 2
			return sfItem{kind: sfBool, boolean: p.s[p.i-1] == '1'}, nil
		}
		return sfItem{}, p.errorf("bad boolean")
	case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '*':
		start := p.i
		for !p.eof() && (isTchar(p.s[p.i]) || p.s[p.i] == ':' || p.s[p.i] == '/') {
			p.i++
		}
		return sfItem{kind: sfToken, text: p.s[start:p.i]}, nil
	}
	return sfItem{}, p.errorf("bad item")
}

// number parses an Integer or Decimal (§4.2.4) into its canonical text.
func (p *sfParser) number() (sfItem, error) {
	sign := ""
	if p.peek() == '-' {
		sign = "-"
		p.i++
	}
	start, dot := p.i, -1
	for !p.eof() {
		c := p.s[p.i]
		if c == '.' && dot < 0 {
			dot = p.i
		} else if c < '0' || c > '9' {
			break
		}
		p.i++
	}
	digits := p.s[start:p.i]
	if dot < 0 {
		n, err := strconv.ParseInt(sign+digits, 10, 64)
		if digits == "" || len(digits) > 15 || err != nil {
			return sfItem{}, p.errorf("bad integer")
		}
		return sfItem{kind: sfInteger, num: n, text: strconv.FormatInt(n, 10)}, nil
	}
	whole, frac := p.s[start:dot], p.s[dot+1:p.i]
	if whole == "" || len(whole) > 12 || frac == "" || len(frac) > 3 {
		return sfItem{}, p.errorf("bad decimal")
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	frac = strings.TrimRight(frac, "0")
	if frac == "" {
		frac = "0"
	}
	return sfItem{kind: sfDecimal, text: sign + strconv.FormatInt(w, 10) + "." + frac}, nil
}

func (p *sfParser) str() (sfItem, error) {
	var b strings.Builder
	for p.i++; !p.eof(); {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '"':
			return sfItem{kind: sfString, text: b.String()}, nil
		case c == '\\':
			if p.eof() || p.s[p.i] != '"' && p.s[p.i] != '\\' {
				return sfItem{}, p.errorf("bad escape")
			}
			c = p.s[p.i]
			p.i++
		case c < 0x20 || c > 0x7e:
			return sfItem{}, p.errorf("bad string character")
		}
		b.WriteByte(c)
	}
	return sfItem{}, p.errorf("unterminated string")
}

func (p *sfParser) byteSeq() (sfItem, error) {
	p.i++ // ':'
	end := strings.IndexByte(p.s[p.i:], ':')
	if end < 0 {
		return sfItem{}, p.errorf("unterminated byte sequence")
	}
	enc := p.s[p.i : p.i+end]
	p.i += end + 1
	if strings.IndexFunc(enc, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '+' || r == '/' || r == '=')
	}) >= 0 {
		return sfItem{}, p.errorf("bad byte sequence")
	}
	// RFC 8941 §4.2.7: parsers should not fail on missing padding.
	b, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(enc); err != nil {
			return sfItem{}, p.errorf("bad byte sequence")
		}
	}
	return sfItem{kind: sfBytes, bytes: b}, nil
}

// serializeSFInnerList serializes an inner list with parameters (§4.1.1.1),
// the form @signature-params takes in the signature base.
func serializeSFInnerList(items []sfItem, params []sfParam) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, it := range items {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(serializeSFBare(it))
		b.WriteString(serializeSFParams(it.params))
	}
	b.WriteByte(')')
	b.WriteString(serializeSFParams(params))
	return b.String()
}

func serializeSFParams(ps []sfParam) string {
	var b strings.Builder
	for _, prm := range ps {
		b.WriteByte(';')
		b.WriteString(prm.key)
		if prm.value.kind != sfBool || !prm.value.boolean {
			b.WriteByte('=')
			b.WriteString(serializeSFBare(prm.value))
		}
	}
	return b.String()
}

func serializeSFBare(it sfItem) string {
	switch it.kind {
	case sfString:
		return serializeSFString(it.text)
	case sfBytes:
		return ":" + base64.StdEncoding.EncodeToString(it.bytes) + ":"
	case sfBool:
		if it.boolean {
			return "?1"
		}
		return "?0"
	}
	return it.text // integer, decimal, token
}

func serializeSFString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
