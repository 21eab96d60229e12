package ap

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxDepth bounds how deeply embedded objects are decoded. Each level
// re-parses its own subtree, so decoding costs up to maxDepth passes over the
// input; without a bound a deeply nested document costs quadratic time.
// Deeper objects are kept as bare IRIs. Real payloads nest about six levels
// at most (Announce{Create{Note{replies{first{items}}}}}).
const maxDepth = 10

// maxEncodeDepth bounds marshalling, so a hand-built cycle of objects returns
// an error instead of recursing forever.
const maxEncodeDepth = 64

// UnmarshalJSON decodes an object leniently; see Object and Decode.
func (o *Object) UnmarshalJSON(data []byte) error { return o.decode(data, 0) }

// MarshalJSON encodes o as Marshal does. It has a value receiver so that
// Objects held by value in other structs marshal correctly too.
func (o Object) MarshalJSON() ([]byte, error) { return Marshal(&o) }

// UnmarshalJSON accepts null, a string, an object or an array (whose first
// usable element is kept); other JSON types are an error.
func (r *Ref) UnmarshalJSON(data []byte) error {
	if err := checkRefJSON(data); err != nil {
		return err
	}
	*r = decodeRef(data, 1)
	return nil
}

// MarshalJSON encodes the embedded object when there is one, else the IRI.
// The zero Ref encodes as null; Object omits zero Refs altogether.
func (r Ref) MarshalJSON() ([]byte, error) {
	if r.IsZero() {
		return []byte("null"), nil
	}
	e := newASEncoder()
	e.ref(r, 1)
	return e.buf.Bytes(), e.err
}

// UnmarshalJSON accepts null, a string, an object or an array of strings and
// objects; other JSON types are an error.
func (rs *Refs) UnmarshalJSON(data []byte) error {
	if err := checkRefJSON(data); err != nil {
		return err
	}
	*rs = decodeRefs(data, 1)
	return nil
}

// MarshalJSON always encodes an array, leaving out zero elements.
func (rs Refs) MarshalJSON() ([]byte, error) {
	e := newASEncoder()
	e.refArray(rs, 1)
	return e.buf.Bytes(), e.err
}

func checkRefJSON(data []byte) error {
	if !json.Valid(data) {
		return errors.New("invalid JSON")
	}
	switch jsonKind(data) {
	case 'n', '"', '{', '[':
		return nil
	}
	return errors.New("reference must be an IRI string or an object")
}

// decode fills o from data, an object at the given embedding depth.
func (o *Object) decode(data []byte, depth int) error {
	if jsonKind(data) != '{' {
		return errors.New("not a JSON object")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*o = Object{}
	keys := normalizeKeys(raw)
	for _, f := range o.fields() {
		if v, ok := keys[f.key]; ok {
			decodeValue(f.ptr, v, depth)
		}
	}
	// Properties fed by several keys are resolved in a fixed order.
	if o.MediaType == "" {
		o.MediaType = decodeString(keys["mimeType"]) // Funkwhale
	}
	for _, k := range [...]string{"quote", "quoteUri", "quoteUrl", "_misskey_quote"} {
		if q := decodeIRI(keys[k], true); q != "" {
			o.Quote = q // Mastodon uses the first one present (FEDERATION.md §5.6)
			break
		}
	}
	return nil
}

// decodeValue stores v in the field ptr points to, leniently: a value of an
// unexpected JSON type leaves the field empty.
func decodeValue(ptr any, v json.RawMessage, depth int) {
	switch p := ptr.(type) {
	case *string:
		*p = decodeString(v)
	case *iriString:
		*p = iriString(decodeIRI(v, true))
	case *Ref:
		*p = decodeRef(v, depth+1)
	case *Refs:
		if *p = decodeRefs(v, depth+1); len(*p) == 0 {
			*p = nil // a single-or-array property: empty is absent
		}
	case *addrRefs:
		*p = addrRefs(decodeRefs(v, depth+1))
	case *[]Object:
		*p = decodeObjects(v, depth+1)
	case **time.Time:
		*p = decodeTime(v)
	case **bool:
		*p = decodeBool(v)
	case **int:
		if n, ok := decodeInt(v); ok {
			*p = &n
		}
	case *int:
		*p, _ = decodeInt(v)
	case *map[string]string:
		*p = decodeStringMap(v)
	default:
		decodeComplex(ptr, v)
	}
}

func decodeComplex(ptr any, v json.RawMessage) {
	switch p := ptr.(type) {
	case *json.RawMessage:
		var buf bytes.Buffer
		if c := jsonKind(v); c != 'n' && c != 0 && json.Compact(&buf, v) == nil {
			*p = buf.Bytes()
		}
	case typeField:
		*p.first, *p.all = decodeStrings(v)
	case closedField:
		// Mastodon sends the time the poll closed; some servers send true.
		if *p.t = decodeTime(v); *p.t == nil {
			b := decodeBool(v)
			*p.flag = b != nil && *b
		}
	case *[]float64:
		if json.Unmarshal(v, p) != nil || len(*p) == 0 {
			*p = nil
		}
	case **Source:
		*p = decodeSource(v)
	case **Endpoints:
		if m := decodeMap(v); m != nil {
			*p = &Endpoints{SharedInbox: decodeIRI(m["sharedInbox"], true)}
		}
	case *[]PublicKey:
		*p = decodePublicKeys(v)
	case **InteractionPolicy:
		*p = decodePolicy(v)
	case *quoteIRI:
		// Resolved in decode, which weighs all four quote keys.
	}
}

// normalizeKeys maps compact-IRI and full-IRI keys ("toot:discoverable",
// "as:sensitive", FEDERATION.md §8.2) to their plain terms. A plain key wins
// over a prefixed one; among prefixed keys the first in sorted order wins.
func normalizeKeys(raw map[string]json.RawMessage) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(raw))
	var prefixed []string
	for k, v := range raw {
		if plainKey(k) != k {
			prefixed = append(prefixed, k)
			continue
		}
		out[k] = v
	}
	slices.Sort(prefixed)
	for _, k := range prefixed {
		p := plainKey(k)
		if _, dup := out[p]; !dup {
			out[p] = raw[k]
		}
	}
	return out
}

func plainKey(k string) string {
	switch k {
	case "@id":
		return "id"
	case "@type":
		return "type"
	}
	for _, prefix := range [...]string{
		"as:", "toot:", "sec:", "schema:", "ostatus:", "misskey:", "fedibird:",
		"https://www.w3.org/ns/activitystreams#", "http://joinmastodon.org/ns#",
		"https://w3id.org/security#",
	} {
		if rest, ok := strings.CutPrefix(k, prefix); ok && rest != "" {
			return rest
		}
	}
	return k
}

// jsonKind returns the first byte of a JSON value: '"', '{', '[', 'n', 't',
// 'f', '-' or a digit; 0 for an absent value.
func jsonKind(raw []byte) byte {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
		default:
			return c
		}
	}
	return 0
}

func isNumberKind(c byte) bool { return c == '-' || c >= '0' && c <= '9' }

func decodeMap(raw []byte) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if jsonKind(raw) != '{' || json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return normalizeKeys(m)
}

func decodeArray(raw []byte) []json.RawMessage {
	var a []json.RawMessage
	if jsonKind(raw) != '[' || json.Unmarshal(raw, &a) != nil {
		return nil
	}
	return a
}

// oneOrMany returns the elements of an array, or raw itself as one element.
func oneOrMany(raw []byte) []json.RawMessage {
	switch jsonKind(raw) {
	case '[':
		return decodeArray(raw)
	case 0, 'n':
		return nil
	}
	return []json.RawMessage{raw}
}

// decodeString reads a string, coercing a number to its literal text.
func decodeString(raw []byte) string {
	switch c := jsonKind(raw); {
	case c == '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case isNumberKind(c):
		return string(bytes.TrimSpace(raw))
	}
	return ""
}

// decodeIRI reads a property meant to hold one IRI: a string, an object's
// "id" (or a Link's "href") or, when array is set, the first usable element.
func decodeIRI(raw []byte, array bool) string {
	switch jsonKind(raw) {
	case '"':
		return decodeString(raw)
	case '{':
		m := decodeMap(raw)
		if id := decodeString(m["id"]); id != "" {
			return id
		}
		return decodeString(m["href"])
	case '[':
		if !array {
			return ""
		}
		for _, e := range decodeArray(raw) {
			if s := decodeIRI(e, false); s != "" {
				return s
			}
		}
	}
	return ""
}

func decodeIRIs(raw []byte) []string {
	var ids []string
	for _, e := range oneOrMany(raw) {
		if s := decodeIRI(e, false); s != "" {
			ids = append(ids, s)
		}
	}
	return ids
}

// decodeStrings reads a string or an array of strings, as "type" and "rel"
// are sent, returning the first and, when there are several, all of them.
func decodeStrings(raw []byte) (string, []string) {
	var all []string
	for _, e := range oneOrMany(raw) {
		if jsonKind(e) == '"' {
			if s := decodeString(e); s != "" {
				all = append(all, s)
			}
		}
	}
	switch len(all) {
	case 0:
		return "", nil
	case 1:
		return all[0], nil
	}
	return all[0], all
}

// decodeBool reads a boolean, coercing "true"/"false" and 1/0.
func decodeBool(raw []byte) *bool {
	var b bool
	switch c := jsonKind(raw); {
	case c == 't' || c == 'f':
		if json.Unmarshal(raw, &b) != nil {
			return nil
		}
	case c == '"' || isNumberKind(c):
		switch strings.ToLower(strings.TrimSpace(decodeString(raw))) {
		case "true", "1":
			b = true
		case "false", "0":
			b = false
		default:
			return nil
		}
	default:
		return nil
	}
	return &b
}

// decodeInt reads an integer, accepting integral floats and numeric strings.
func decodeInt(raw []byte) (int, bool) {
	s := strings.TrimSpace(decodeString(raw))
	if n, err := strconv.Atoi(s); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int(f), true
}

// decodeTime reads an RFC 3339 time with or without fractional seconds
// (Misskey sends ms, Akkoma µs), "Z" or an offset (FEDERATION.md §8.3), plus
// a few near misses. The result is in UTC; unparseable times are dropped.
func decodeTime(raw []byte) *time.Time {
	if jsonKind(raw) != '"' {
		return nil
	}
	s := strings.TrimSpace(decodeString(raw))
	for _, layout := range [...]string{
		time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05",
		"2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05",
	} {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		// RFC 3339 cannot write years outside 0000-9999, so such a time
		// would not survive re-encoding.
		if t = t.UTC(); t.Year() < 0 || t.Year() > 9999 {
			return nil
		}
		return &t
	}
	return nil
}

func decodeStringMap(raw []byte) map[string]string {
	var m map[string]json.RawMessage
	if jsonKind(raw) != '{' || json.Unmarshal(raw, &m) != nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if jsonKind(v) == '"' {
			out[k] = decodeString(v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// decodeRef reads a single reference; of an array it keeps the first usable
// element (some servers send inReplyTo as an array).
func decodeRef(raw []byte, depth int) Ref {
	for _, e := range oneOrMany(raw) {
		if r := decodeRefElem(e, depth); !r.IsZero() {
			return r
		}
	}
	return Ref{}
}

// decodeRefs reads one reference or an array of them. An array gives a
// non-nil result even when empty, so that "to": [] survives a round trip.
func decodeRefs(raw []byte, depth int) Refs {
	var rs Refs
	if jsonKind(raw) == '[' {
		rs = Refs{}
	}
	for _, e := range oneOrMany(raw) {
		if r := decodeRefElem(e, depth); !r.IsZero() {
			rs = append(rs, r)
		}
	}
	return rs
}

// decodeRefElem reads a string or an object at the given depth. Nested arrays
// and other JSON types give the zero Ref.
func decodeRefElem(raw []byte, depth int) Ref {
	switch jsonKind(raw) {
	case '"':
		return Ref{ID: decodeString(raw)}
	case '{':
		if depth > maxDepth {
			return Ref{ID: decodeIRI(raw, false)}
		}
		o := new(Object)
		if o.decode(raw, depth) != nil {
			return Ref{}
		}
		return Ref{ID: o.ID, Obj: o}
	}
	return Ref{}
}

// decodeObjects reads tag, attachment, oneOf and anyOf: an object or an array
// of objects (non-nil even when empty, like decodeRefs). A bare string
// becomes an Object with just that ID.
func decodeObjects(raw []byte, depth int) []Object {
	var out []Object
	if jsonKind(raw) == '[' {
		out = []Object{}
	}
	for _, e := range oneOrMany(raw) {
		switch r := decodeRefElem(e, depth); {
		case r.Obj != nil:
			out = append(out, *r.Obj)
		case r.ID != "":
			out = append(out, Object{ID: r.ID})
		}
	}
	return out
}

func decodeSource(raw []byte) *Source {
	switch jsonKind(raw) {
	case '"':
		return &Source{Content: decodeString(raw)} // Pleroma
	case '{':
		m := decodeMap(raw)
		return &Source{Content: decodeString(m["content"]), MediaType: decodeString(m["mediaType"])}
	}
	return nil
}

func decodePublicKeys(raw []byte) []PublicKey {
	var keys []PublicKey
	for _, e := range oneOrMany(raw) {
		switch jsonKind(e) {
		case '"':
			s := decodeString(e)
			if strings.HasPrefix(strings.TrimSpace(s), "-----BEGIN") {
				keys = append(keys, PublicKey{PublicKeyPem: s})
			} else if s != "" {
				keys = append(keys, PublicKey{ID: s})
			}
		case '{':
			m := decodeMap(e)
			keys = append(keys, PublicKey{
				ID:           decodeString(m["id"]),
				Owner:        decodeIRI(m["owner"], true),
				PublicKeyPem: decodeString(m["publicKeyPem"]),
			})
		}
	}
	return keys
}

func decodePolicy(raw []byte) *InteractionPolicy {
	m := decodeMap(raw)
	if m == nil {
		return nil
	}
	return &InteractionPolicy{
		CanLike:     decodeRule(m["canLike"]),
		CanReply:    decodeRule(m["canReply"]),
		CanAnnounce: decodeRule(m["canAnnounce"]),
		CanQuote:    decodeRule(m["canQuote"]),
	}
}

func decodeRule(raw []byte) *InteractionRule {
	m := decodeMap(raw)
	if m == nil {
		return nil
	}
	return &InteractionRule{
		AutomaticApproval: decodeIRIs(m["automaticApproval"]),
		ManualApproval:    decodeIRIs(m["manualApproval"]),
		Always:            decodeIRIs(m["always"]),
		ApprovalRequired:  decodeIRIs(m["approvalRequired"]),
	}
}

// asEncoder writes ActivityStreams JSON in the order of Object.fields.
type asEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
	err error
}

func newASEncoder() *asEncoder {
	e := new(asEncoder)
	e.enc = json.NewEncoder(&e.buf)
	// Content is HTML; Mastodon does not escape it either.
	e.enc.SetEscapeHTML(false)
	return e
}

// value writes one JSON value through encoding/json.
func (e *asEncoder) value(v any) {
	if e.err != nil {
		return
	}
	if err := e.enc.Encode(v); err != nil {
		e.err = err
		return
	}
	e.buf.Truncate(e.buf.Len() - 1) // Encode appends a newline
}

// key writes a key, preceded by a comma unless it opens the object.
func (e *asEncoder) key(k string) {
	if b := e.buf.Bytes(); len(b) > 0 && b[len(b)-1] != '{' {
		e.buf.WriteByte(',')
	}
	e.value(k)
	e.buf.WriteByte(':')
}

func (e *asEncoder) object(o *Object, depth int) {
	if depth > maxEncodeDepth {
		if e.err == nil {
			e.err = errors.New("objects nested too deeply")
		}
		return
	}
	e.buf.WriteByte('{')
	for _, f := range o.fields() {
		e.field(f.key, f.ptr, depth)
	}
	e.buf.WriteByte('}')
}

// field writes one property of an object at depth, omitting it when empty.
func (e *asEncoder) field(k string, ptr any, depth int) {
	switch p := ptr.(type) {
	case *string:
		e.opt(k, *p != "", *p)
	case *iriString:
		e.opt(k, *p != "", *p)
	case *Ref:
		if !p.IsZero() {
			e.key(k)
			e.ref(*p, depth+1)
		}
	case *Refs:
		e.refs(k, *p, false, depth+1)
	case *addrRefs:
		e.refs(k, Refs(*p), true, depth+1)
	case *[]Object:
		if *p != nil {
			e.key(k)
			e.objects(*p, depth+1)
		}
	case **time.Time:
		if *p != nil {
			e.key(k)
			e.time(**p)
		}
	case **bool:
		e.opt(k, *p != nil, *p)
	case **int:
		e.opt(k, *p != nil, *p)
	case *int:
		e.opt(k, *p != 0, *p)
	case *map[string]string:
		e.opt(k, len(*p) > 0, *p)
	case *[]float64:
		e.opt(k, len(*p) > 0, *p)
	case **Source:
		e.opt(k, *p != nil, *p)
	case **Endpoints:
		e.opt(k, *p != nil, *p)
	case **InteractionPolicy:
		e.opt(k, *p != nil, *p)
	default:
		e.specialField(k, ptr)
	}
}

func (e *asEncoder) specialField(k string, ptr any) {
	switch p := ptr.(type) {
	case *json.RawMessage:
		if len(*p) > 0 {
			e.key(k)
			if err := json.Compact(&e.buf, *p); err != nil && e.err == nil {
				e.err = err
			}
		}
	case typeField:
		e.stringOrArray(k, *p.first, *p.all)
	case closedField:
		if *p.t != nil {
			e.key(k)
			e.time(**p.t)
		} else {
			e.opt(k, *p.flag, true)
		}
	case *quoteIRI:
		// Mastodon 4.5 sends all three for compatibility (FEDERATION.md §5.6).
		for _, qk := range [...]string{"quote", "_misskey_quote", "quoteUri"} {
			e.opt(qk, *p != "", *p)
		}
	case *[]PublicKey:
		// A single key is an object, as Mastodon sends it.
		if len(*p) == 1 {
			e.opt(k, true, (*p)[0])
		} else {
			e.opt(k, len(*p) > 1, *p)
		}
	default:
		if e.err == nil {
			e.err = errors.New("unhandled field type for " + k)
		}
	}
}

// opt writes k and v when ok.
func (e *asEncoder) opt(k string, ok bool, v any) {
	if ok {
		e.key(k)
		e.value(v)
	}
}

// stringOrArray writes "type" or "rel": one value as a string, several as
// an array.
func (e *asEncoder) stringOrArray(k, first string, all []string) {
	switch {
	case len(all) > 1:
		e.key(k)
		e.value(all)
	case len(all) == 1:
		e.opt(k, all[0] != "", all[0])
	default:
		e.opt(k, first != "", first)
	}
}

// time writes t in UTC with as many fractional digits as it has, so
// Mastodon's whole seconds stay "2006-01-02T15:04:05Z".
func (e *asEncoder) time(t time.Time) {
	e.value(t.UTC().Format(time.RFC3339Nano))
}

// refs writes a Refs property, omitting zero elements. A single reference is
// written bare unless array is set: addressing, items and alsoKnownAs are
// always arrays, and for them a non-nil empty Refs is written as [].
func (e *asEncoder) refs(k string, rs Refs, array bool, depth int) {
	n := 0
	for _, r := range rs {
		if !r.IsZero() {
			n++
		}
	}
	switch {
	case n == 0 && (!array || rs == nil):
		return
	case n == 1 && !array:
		e.key(k)
		e.ref(rs.First(), depth)
	default:
		e.key(k)
		e.refArray(rs, depth)
	}
}

func (e *asEncoder) refArray(rs Refs, depth int) {
	e.buf.WriteByte('[')
	n := 0
	for _, r := range rs {
		if r.IsZero() {
			continue
		}
		if n > 0 {
			e.buf.WriteByte(',')
		}
		n++
		e.ref(r, depth)
	}
	e.buf.WriteByte(']')
}

// ref writes an embedded object, or else the IRI. An embedded object without
// an id of its own is given r.ID.
func (e *asEncoder) ref(r Ref, depth int) {
	switch {
	case r.Obj == nil:
		e.value(r.ID)
	case r.Obj.ID == "" && r.ID != "":
		o := *r.Obj
		o.ID = r.ID
		e.object(&o, depth)
	default:
		e.object(r.Obj, depth)
	}
}

func (e *asEncoder) objects(objs []Object, depth int) {
	e.buf.WriteByte('[')
	for i := range objs {
		if i > 0 {
			e.buf.WriteByte(',')
		}
		e.object(&objs[i], depth)
	}
	e.buf.WriteByte(']')
}
