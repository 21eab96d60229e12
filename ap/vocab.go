package ap

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// This file holds Roost's own ActivityStreams vocabulary: one lenient Object
// type for every object, activity, actor, link, collection, tag and
// attachment, plus Ref/Refs for properties that may hold IRIs or embedded
// objects. Decoding rules follow FEDERATION.md §8; the JSON work lives in
// vocab_json.go.

// Public is the IRI of the special collection that addresses everyone.
// Roost always emits this spelling (FEDERATION.md §6).
const Public = "https://www.w3.org/ns/activitystreams#Public"

// IsPublic reports whether iri names the Public collection in any of the
// spellings seen in the wild: the full IRI, "as:Public" or "Public".
func IsPublic(iri string) bool {
	switch iri {
	case Public, "as:Public", "Public":
		return true
	}
	return false
}

// Ref is a reference to another object: a bare IRI, or an embedded object
// whose id is copied into ID. In JSON it is a string, an object (with or
// without "id") or null.
type Ref struct {
	// ID is the referenced IRI; it is empty for an embedded object without "id".
	ID string
	// Obj is the embedded object, or nil when only the IRI was given.
	Obj *Object
}

// IRI returns a bare reference to id.
func IRI(id string) Ref { return Ref{ID: id} }

// Embed returns a reference that embeds o and carries its id.
func Embed(o *Object) Ref {
	if o == nil {
		return Ref{}
	}
	return Ref{ID: o.ID, Obj: o}
}

// IsZero reports whether r refers to nothing at all.
func (r Ref) IsZero() bool { return r.ID == "" && r.Obj == nil }

// Refs is zero or more references. In JSON it may be absent, null, a single
// string or object, or an array of those; it always marshals as an array.
type Refs []Ref

// IRIs returns bare references to each of ids.
func IRIs(ids ...string) Refs {
	if len(ids) == 0 {
		return nil
	}
	rs := make(Refs, len(ids))
	for i, id := range ids {
		rs[i] = IRI(id)
	}
	return rs
}

// IDs returns the non-empty ids of rs, in order.
func (rs Refs) IDs() []string {
	var ids []string
	for _, r := range rs {
		if r.ID != "" {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// Contains reports whether some element of rs has exactly the id given.
// IRIs are compared byte for byte (FEDERATION.md §8.4).
func (rs Refs) Contains(id string) bool {
	for _, r := range rs {
		if r.ID == id {
			return true
		}
	}
	return false
}

// HasPublic reports whether rs addresses the Public collection, in any
// spelling IsPublic accepts.
func (rs Refs) HasPublic() bool {
	for _, r := range rs {
		if IsPublic(r.ID) {
			return true
		}
	}
	return false
}

// First returns the first non-zero element of rs, or the zero Ref.
func (rs Refs) First() Ref {
	for _, r := range rs {
		if !r.IsZero() {
			return r
		}
	}
	return Ref{}
}

// URLString returns the best link target among rs: the first whose media
// type matches preferMediaType (ignoring parameters and case; "video/" or
// "video/*" match any video type), else the first target found. Bare IRIs
// count as targets of unknown type; Link objects give their href; other
// embedded objects (an Image icon, say) give the targets of their own url.
func (rs Refs) URLString(preferMediaType string) string {
	var links []linkTarget
	links = collectLinks(links, rs, "", 0)
	if len(links) == 0 {
		return ""
	}
	if preferMediaType != "" {
		for _, l := range links {
			if mediaTypeMatches(l.mediaType, preferMediaType) {
				return l.href
			}
		}
	}
	return links[0].href
}

// linkTarget is one candidate target found by URLString.
type linkTarget struct{ href, mediaType string }

// maxLinkDepth bounds how far URLString follows url inside embedded objects,
// so that hand-built cyclic objects cannot loop forever.
const maxLinkDepth = 4

func collectLinks(links []linkTarget, rs Refs, inherited string, depth int) []linkTarget {
	for _, r := range rs {
		switch {
		case r.Obj == nil:
			if r.ID != "" {
				links = append(links, linkTarget{r.ID, inherited})
			}
		case r.Obj.Href != "":
			links = append(links, linkTarget{r.Obj.Href, orDefault(r.Obj.MediaType, inherited)})
		case len(r.Obj.URL) > 0 && depth < maxLinkDepth:
			links = collectLinks(links, r.Obj.URL, orDefault(r.Obj.MediaType, inherited), depth+1)
		}
	}
	return links
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// mediaTypeMatches compares a link's media type with a preferred one.
func mediaTypeMatches(have, want string) bool {
	have, _, _ = strings.Cut(have, ";")
	want, _, _ = strings.Cut(want, ";")
	have = strings.ToLower(strings.TrimSpace(have))
	want = strings.ToLower(strings.TrimSpace(want))
	if major, ok := strings.CutSuffix(want, "*"); ok {
		want = major
	}
	if strings.HasSuffix(want, "/") {
		return strings.HasPrefix(have, want)
	}
	return have == want
}

// Object is any ActivityStreams object, activity, actor, link, collection,
// tag or attachment. Decoding is lenient (FEDERATION.md §8): keys may carry
// "as:"/"toot:"-style prefixes, single values and arrays are interchangeable,
// and a property of an unexpected JSON type is dropped (or coerced when the
// meaning is obvious, like "sensitive": "true") instead of failing the whole
// object. Unknown properties are ignored. Marshalling uses Mastodon's key
// names in a fixed order and omits empty fields. For the properties that are
// always arrays (to, cc, bto, bcc, tag, attachment, oneOf, anyOf, items,
// orderedItems, alsoKnownAs) nil is omitted and a non-nil empty slice is
// written as [], as Mastodon writes "tag": []; decoding [] gives a non-nil
// empty slice, so both survive a round trip.
type Object struct {
	// Context is the raw, compacted "@context" (distinct from ContextIRI).
	Context json.RawMessage
	ID      string
	// Type is the first type given. Types holds every type when "type" was an
	// array of more than one, and is nil otherwise; see AllTypes and HasType.
	Type  string
	Types []string

	// Activity properties.
	Actor, Object, Target, Instrument Refs
	Result                            Ref

	// Addressing and authorship.
	AttributedTo, To, CC, BTo, BCC, Audience Refs
	InReplyTo                                Ref

	// Text. An absent or null summary is "" (FEDERATION.md §8.6).
	Name, Summary, Content          string
	NameMap, SummaryMap, ContentMap map[string]string
	// MediaType is "mediaType", or Funkwhale's "mimeType" when that is absent.
	MediaType string
	Source    *Source

	// Times are kept in UTC with whatever fractional seconds were sent.
	Published, Updated, StartTime, EndTime, Closed, Deleted *time.Time
	// ClosedFlag is set when "closed" was the boolean true instead of a time.
	ClosedFlag bool

	// URL is a string, a Link object or an array of Links; see URLString.
	URL Refs
	// Href and Rel belong to Link objects; Rels holds every rel when there
	// were several, like Types.
	Href string
	Rel  string
	Rels []string

	// Tags, attachments and media. A bare-string tag becomes Object{ID: s}.
	Tag, Attachment []Object
	Icon, Image     Refs
	Sensitive       *bool
	Width, Height   int
	Blurhash        string
	FocalPoint      []float64

	// Actor properties. Collection IRIs given as embedded objects keep their
	// id. SharedInbox is Misskey's top-level copy of endpoints.sharedInbox.
	PreferredUsername                                           string
	Inbox, Outbox, Followers, Following, Featured, FeaturedTags string
	SharedInbox, MovedTo, Webfinger                             string
	Endpoints                                                   *Endpoints
	PublicKey                                                   []PublicKey
	AlsoKnownAs                                                 Refs

	// Actor flags; nil when absent or null.
	ManuallyApprovesFollowers, Discoverable, Indexable, Memorial, Suspended *bool

	// Collection properties.
	TotalItems                      *int
	First, Next, Prev, Last, PartOf Ref
	Items, OrderedItems             Refs

	// Polls and interaction counts.
	OneOf, AnyOf           []Object
	VotersCount            *int
	Replies, Likes, Shares Ref

	// Extensions. Quote is the first of "quote", "quoteUri", "quoteUrl" and
	// "_misskey_quote" (FEDERATION.md §5.6). ContextIRI is the thread
	// "context" of Pleroma, GoToSocial and Mitra, not "@context".
	Quote, QuoteAuthorization, MisskeyReaction  string
	Conversation, ContextIRI, Value, ApprovedBy string
	InteractionPolicy                           *InteractionPolicy
}

// Source is the original markup of an object's content. Pleroma sends a
// plain string, which becomes Content with an empty MediaType.
type Source struct {
	Content   string `json:"content,omitempty"`
	MediaType string `json:"mediaType,omitempty"`
}

// Endpoints holds the actor endpoints Roost uses.
type Endpoints struct {
	SharedInbox string `json:"sharedInbox,omitempty"`
}

// PublicKey is an actor's HTTP-signature key. A bare string in "publicKey"
// becomes ID, or PublicKeyPem when it is a PEM block. The PEM is kept as
// sent, spaces instead of newlines included (FEDERATION.md §8.7).
type PublicKey struct {
	ID           string `json:"id,omitempty"`
	Owner        string `json:"owner,omitempty"`
	PublicKeyPem string `json:"publicKeyPem,omitempty"`
}

// InteractionPolicy is GoToSocial's interactionPolicy, also read by Mastodon
// for canQuote (FEDERATION.md §5.6, §5.7). A nil rule means the sender said
// nothing about that interaction.
type InteractionPolicy struct {
	CanLike     *InteractionRule `json:"canLike,omitempty"`
	CanReply    *InteractionRule `json:"canReply,omitempty"`
	CanAnnounce *InteractionRule `json:"canAnnounce,omitempty"`
	CanQuote    *InteractionRule `json:"canQuote,omitempty"`
}

// InteractionRule lists who may interact without and with approval. Always
// and ApprovalRequired are the deprecated GoToSocial names of the first two.
type InteractionRule struct {
	AutomaticApproval []string `json:"automaticApproval,omitempty"`
	ManualApproval    []string `json:"manualApproval,omitempty"`
	Always            []string `json:"always,omitempty"`
	ApprovalRequired  []string `json:"approvalRequired,omitempty"`
}

// A propField maps one JSON key to the Object field holding it. ptr's type
// says how the value is read and written (see decodeValue and
// asEncoder.field); the named types below select IRI and array-always
// handling for fields that are plain strings or Refs in Object.
type propField struct {
	key string
	ptr any
}

type (
	iriString string // an IRI; an embedded object gives its id
	quoteIRI  string // written under all three quote keys
	addrRefs  Refs   // always marshalled as an array (to, cc, …)
)

// typeField is "type" or "rel": a string, or an array of strings.
type typeField struct {
	first *string
	all   *[]string
}

// closedField is "closed": a time, or true.
type closedField struct {
	t    **time.Time
	flag *bool
}

// fields lists every property of o in marshal order, roughly Mastodon's.
// Decoding and encoding share this table, so a key cannot be read one way
// and written another.
func (o *Object) fields() []propField {
	return []propField{
		{"@context", &o.Context}, {"id", &o.ID}, {"type", typeField{&o.Type, &o.Types}},
		{"actor", &o.Actor}, {"object", &o.Object}, {"target", &o.Target},
		{"result", &o.Result}, {"instrument", &o.Instrument},
		{"following", (*iriString)(&o.Following)}, {"followers", (*iriString)(&o.Followers)},
		{"inbox", (*iriString)(&o.Inbox)}, {"outbox", (*iriString)(&o.Outbox)},
		{"featured", (*iriString)(&o.Featured)}, {"featuredTags", (*iriString)(&o.FeaturedTags)},
		{"preferredUsername", &o.PreferredUsername},
		{"name", &o.Name}, {"nameMap", &o.NameMap}, {"summary", &o.Summary}, {"summaryMap", &o.SummaryMap},
		{"inReplyTo", &o.InReplyTo}, {"published", &o.Published}, {"updated", &o.Updated},
		{"startTime", &o.StartTime}, {"endTime", &o.EndTime},
		{"closed", closedField{&o.Closed, &o.ClosedFlag}}, {"deleted", &o.Deleted},
		{"url", &o.URL}, {"href", &o.Href}, {"rel", typeField{&o.Rel, &o.Rels}}, {"mediaType", &o.MediaType},
		{"attributedTo", &o.AttributedTo}, {"to", (*addrRefs)(&o.To)}, {"bto", (*addrRefs)(&o.BTo)},
		{"cc", (*addrRefs)(&o.CC)}, {"bcc", (*addrRefs)(&o.BCC)}, {"audience", &o.Audience},
		{"sensitive", &o.Sensitive}, {"content", &o.Content}, {"contentMap", &o.ContentMap},
		{"source", &o.Source}, {"quote", (*quoteIRI)(&o.Quote)},
		{"quoteAuthorization", (*iriString)(&o.QuoteAuthorization)},
		{"conversation", &o.Conversation}, {"context", (*iriString)(&o.ContextIRI)},
		{"value", &o.Value}, {"_misskey_reaction", &o.MisskeyReaction},
		{"manuallyApprovesFollowers", &o.ManuallyApprovesFollowers}, {"discoverable", &o.Discoverable},
		{"indexable", &o.Indexable}, {"memorial", &o.Memorial}, {"suspended", &o.Suspended},
		{"movedTo", (*iriString)(&o.MovedTo)}, {"alsoKnownAs", (*addrRefs)(&o.AlsoKnownAs)},
		{"webfinger", &o.Webfinger}, {"publicKey", &o.PublicKey},
		{"oneOf", &o.OneOf}, {"anyOf", &o.AnyOf}, {"votersCount", &o.VotersCount},
		{"attachment", &o.Attachment}, {"tag", &o.Tag}, {"blurhash", &o.Blurhash},
		{"focalPoint", &o.FocalPoint}, {"width", &o.Width}, {"height", &o.Height},
		{"endpoints", &o.Endpoints}, {"sharedInbox", (*iriString)(&o.SharedInbox)},
		{"icon", &o.Icon}, {"image", &o.Image},
		{"totalItems", &o.TotalItems}, {"first", &o.First}, {"next", &o.Next}, {"prev", &o.Prev},
		{"last", &o.Last}, {"partOf", &o.PartOf},
		{"items", (*addrRefs)(&o.Items)}, {"orderedItems", (*addrRefs)(&o.OrderedItems)},
		{"replies", &o.Replies}, {"likes", &o.Likes}, {"shares", &o.Shares},
		{"interactionPolicy", &o.InteractionPolicy}, {"approvedBy", (*iriString)(&o.ApprovedBy)},
	}
}

// AllTypes returns every type of o: Types when set, else Type alone.
func (o *Object) AllTypes() []string {
	if len(o.Types) > 0 {
		return o.Types
	}
	if o.Type != "" {
		return []string{o.Type}
	}
	return nil
}

// HasType reports whether t is one of o's types.
func (o *Object) HasType(t string) bool {
	for _, have := range o.AllTypes() {
		if have == t {
			return true
		}
	}
	return false
}

// URLString returns the best href of o's url for preferMediaType, as
// Refs.URLString does; "" means no url.
func (o *Object) URLString(preferMediaType string) string {
	return o.URL.URLString(preferMediaType)
}

// DeliveryInbox returns the inbox to deliver to: endpoints.sharedInbox, else
// Misskey's top-level sharedInbox, else the actor's own inbox.
func (o *Object) DeliveryInbox() string {
	if o.Endpoints != nil && o.Endpoints.SharedInbox != "" {
		return o.Endpoints.SharedInbox
	}
	if o.SharedInbox != "" {
		return o.SharedInbox
	}
	return o.Inbox
}

// Decode parses an ActivityStreams document. It fails only when data is not
// valid JSON or not a JSON object; anything odd inside is dropped property by
// property.
func Decode(data []byte) (*Object, error) {
	o := new(Object)
	if err := o.decode(data, 0); err != nil {
		return nil, fmt.Errorf("decode activitystreams object: %w", err)
	}
	return o, nil
}

// Marshal encodes o as compact ActivityStreams JSON with a stable key order
// and without HTML escaping, so that output is byte-stable for golden files.
// json.Marshal(o) gives the same document with <, > and & escaped.
func Marshal(o *Object) ([]byte, error) {
	if o == nil {
		return nil, errors.New("marshal activitystreams object: nil object")
	}
	e := newASEncoder()
	e.object(o, 0)
	if e.err != nil {
		return nil, fmt.Errorf("marshal activitystreams object %q: %w", o.ID, e.err)
	}
	return e.buf.Bytes(), nil
}
