package ap

// Remote actors: fetching, converting to store.Account, caching, and
// resolving the keys of HTTP signatures (FEDERATION.md §2.2, §2.3, §3.2).

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"

	"roost/store"
)

// ErrLocalURI is returned when asked to fetch, store or trust as remote an
// id (actor, keyId, handle) on the owner's own host. Roost's own actor is
// never fetched over the network nor overwritten by a peer's document.
var ErrLocalURI = errors.New("id is on this server")

var (
	// errNotActor is returned for a document that is not a usable actor.
	errNotActor = errors.New("not a usable actor")
	// errKeyNotClaimed is returned when the actor that a key names as its
	// owner does not name that key as its own.
	errKeyNotClaimed = errors.New("key not claimed by its owner")
)

const (
	// actorTTL is how long a fetched actor is used without refetching.
	actorTTL = 24 * time.Hour
	// maxFields and maxEmojis bound what one profile can store.
	maxFields = 16
	maxEmojis = 64
	// maxUsername bounds preferredUsername (Mastodon's remote limit is
	// larger than its local 30; this only stops abuse).
	maxUsername = 128
)

// actorTypes are the actor types Mastodon accepts (FEDERATION.md §2.2).
var actorTypes = [...]string{"Person", "Service", "Application", "Group", "Organization"}

// Actor returns the remote account whose actor id is uri: the stored copy
// when it was fetched within the last 24 hours and refresh is false, else a
// fresh copy fetched with Get, converted with ActorFromObject and stored.
// The document must have been served at its own id (no redirect to another
// id). An id on the owner's host gives ErrLocalURI.
func (f *Federation) Actor(ctx context.Context, uri string, refresh bool) (*store.Account, error) {
	if f.isLocalURI(uri) {
		return nil, fmt.Errorf("actor %s: %w", uri, ErrLocalURI)
	}
	if !refresh {
		a, err := f.st.GetAccountByURI(ctx, uri)
		switch {
		case err == nil && !a.Local() && f.now().Sub(a.FetchedAt) < actorTTL:
			return a, nil
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return nil, fmt.Errorf("actor %s: %w", uri, err)
		}
	}
	obj, body, err := f.Get(ctx, uri)
	if err != nil {
		return nil, fmt.Errorf("fetch actor: %w", err)
	}
	if obj.ID != uri {
		return nil, fmt.Errorf("actor %s: served as %s: %w", uri, obj.ID, errIDMismatch)
	}
	a, err := f.ActorFromObject(obj)
	if err != nil {
		return nil, err
	}
	if err := f.saveActor(ctx, a, countsFromBody(body)); err != nil {
		return nil, fmt.Errorf("actor %s: %w", uri, err)
	}
	return a, nil
}

// SaveActor stores a remote account made by ActorFromObject (from an actor
// Update, say), keeping the follower, following and status counts already
// stored: an embedded actor does not carry them.
func (f *Federation) SaveActor(ctx context.Context, a *store.Account) error {
	if err := f.saveActor(ctx, a, actorCounts{}); err != nil {
		return fmt.Errorf("save actor %s: %w", a.URI, err)
	}
	return nil
}

// saveActor upserts a, taking the counts from c where known and from the
// stored row otherwise.
func (f *Federation) saveActor(ctx context.Context, a *store.Account, c actorCounts) error {
	if a.Domain == "" || f.isLocalURI(a.URI) {
		return ErrLocalURI
	}
	old, err := f.st.GetAccountByURI(ctx, a.URI)
	switch {
	case err == nil:
		if old.Local() {
			return ErrLocalURI
		}
		a.FollowersCount, a.FollowingCount, a.StatusesCount = old.FollowersCount, old.FollowingCount, old.StatusesCount
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	c.apply(a)
	return f.st.UpsertRemoteAccount(ctx, a)
}

// ActorFromObject converts an actor document into an account, without any
// I/O and without storing it. It checks what Mastodon checks: an actor type,
// an http(s) id (https unless Insecure) off the owner's host, a
// preferredUsername, an inbox (the shared inbox will do), and that the key
// is the actor's own: the first publicKey whose owner is the actor id is
// kept, and keys naming another owner are refused. A key embedded without
// an owner counts as the actor's: the document came from the actor's id.
// HTML (summary, field values) is sanitised. The counts are left zero;
// Actor fills them from embedded collections.
func (f *Federation) ActorFromObject(o *Object) (*store.Account, error) {
	if o == nil {
		return nil, fmt.Errorf("actor: %w", errNotActor)
	}
	typ := actorType(o)
	if typ == "" {
		return nil, fmt.Errorf("actor %s: type %q: %w", o.ID, o.Type, errNotActor)
	}
	id, err := f.checkURL(o.ID)
	if err != nil {
		return nil, fmt.Errorf("actor id: %w", err)
	}
	if f.isLocalURI(o.ID) {
		return nil, fmt.Errorf("actor %s: %w", o.ID, ErrLocalURI)
	}
	username := strings.TrimSpace(o.PreferredUsername)
	if !validUsername(username) {
		return nil, fmt.Errorf("actor %s: preferredUsername %q: %w", o.ID, o.PreferredUsername, errNotActor)
	}
	inbox := webURL(o.Inbox)
	if inbox == "" {
		inbox = webURL(o.DeliveryInbox())
	}
	if inbox == "" {
		return nil, fmt.Errorf("actor %s: no inbox: %w", o.ID, errNotActor)
	}
	key, err := ownKey(o)
	if err != nil {
		return nil, fmt.Errorf("actor %s: %w", o.ID, err)
	}
	sharedInbox := ""
	if o.Endpoints != nil {
		sharedInbox = o.Endpoints.SharedInbox
	}
	if sharedInbox == "" {
		sharedInbox = o.SharedInbox // Misskey
	}
	a := &store.Account{
		URI:             o.ID,
		Username:        username,
		Domain:          canonicalHost(id),
		DisplayName:     strings.TrimSpace(o.Name),
		Note:            f.md.Sanitize(o.Summary),
		URL:             orDefault(webURL(o.URLString("text/html")), o.ID),
		AvatarURL:       webURL(o.Icon.URLString("image/")),
		HeaderURL:       webURL(o.Image.URLString("image/")),
		Inbox:           inbox,
		Outbox:          webURL(o.Outbox),
		SharedInbox:     webURL(sharedInbox),
		FollowersURL:    webURL(o.Followers),
		FollowingURL:    webURL(o.Following),
		FeaturedURL:     webURL(o.Featured),
		FeaturedTagsURL: webURL(o.FeaturedTags),
		PublicKeyID:     key.ID,
		PublicKeyPEM:    key.PublicKeyPem,
		ActorType:       typ,
		Locked:          isTrue(o.ManuallyApprovesFollowers),
		Bot:             typ == "Service" || typ == "Application",
		// Mastodon treats absent discoverable and indexable as false.
		Discoverable: isTrue(o.Discoverable),
		Indexable:    isTrue(o.Indexable),
		Fields:       f.profileFields(o),
		AlsoKnownAs:  webURLs(o.AlsoKnownAs.IDs()),
		MovedToURI:   webURL(o.MovedTo),
		Emojis:       emojis(o.Tag),
		FetchedAt:    f.now(),
	}
	if o.Published != nil {
		a.CreatedAt = *o.Published
	}
	return a, nil
}

// PublicKey resolves the keyId of an HTTP signature to its owner's account
// and parsed key. Unless refresh is set, a stored account with that key id
// answers at once; otherwise (or with refresh, after a failed verification:
// the peer may have rotated its key) keyID is fetched without its fragment.
// The document found may be the actor itself (Mastodon's …#main-key), a
// bare key object with an owner, or GoToSocial's stub at …/main-key; in the
// last two cases the owner named there is fetched. Either way the key must
// be claimed both ways: the actor's publicKey.id is keyID and its owner is
// the actor (FEDERATION.md §3.2 step 5). keyIds on the owner's host give
// ErrLocalURI.
func (f *Federation) PublicKey(ctx context.Context, keyID string, refresh bool) (*store.Account, crypto.PublicKey, error) {
	if f.isLocalURI(keyID) {
		return nil, nil, fmt.Errorf("public key %s: %w", keyID, ErrLocalURI)
	}
	if !refresh {
		a, err := f.st.GetAccountByKeyID(ctx, keyID)
		switch {
		case err == nil && !a.Local():
			if pub, err := ParsePublicKeyPEM(a.PublicKeyPEM); err == nil {
				return a, pub, nil
			}
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return nil, nil, fmt.Errorf("public key %s: %w", keyID, err)
		}
	}
	a, err := f.keyOwner(ctx, keyID)
	if err != nil {
		return nil, nil, fmt.Errorf("public key %s: %w", keyID, err)
	}
	if a.PublicKeyID != keyID {
		return nil, nil, fmt.Errorf("public key %s: %s names %q: %w", keyID, a.URI, a.PublicKeyID, errKeyNotClaimed)
	}
	pub, err := ParsePublicKeyPEM(a.PublicKeyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("public key %s: %w", keyID, err)
	}
	return a, pub, nil
}

// keyOwner fetches keyID and returns the account of the actor it belongs
// to, fetched afresh and stored.
func (f *Federation) keyOwner(ctx context.Context, keyID string) (*store.Account, error) {
	doc, err := f.fetchDocument(ctx, keyID)
	if err != nil {
		return nil, err
	}
	if doc.obj.ID == doc.url && actorType(doc.obj) != "" {
		// The key lives in the actor document, served at its own id.
		a, err := f.ActorFromObject(doc.obj)
		if err != nil {
			return nil, err
		}
		return a, f.saveActor(ctx, a, countsFromBody(doc.body))
	}
	owner := keyDocOwner(doc, keyID)
	if owner == "" {
		return nil, fmt.Errorf("%s names no owner: %w", doc.url, errKeyNotClaimed)
	}
	return f.Actor(ctx, owner, true)
}

// keyDocOwner finds the owner a key document names: a publicKey entry with
// the key's id (GoToSocial's stub), a bare key's owner (or a Multikey's
// controller), or else the id of a stub that carries keys.
func keyDocOwner(doc *document, keyID string) string {
	for _, k := range doc.obj.PublicKey {
		if k.ID == keyID && k.Owner != "" {
			return k.Owner
		}
	}
	if m := decodeMap(doc.body); m != nil {
		for _, key := range [...]string{"owner", "controller"} {
			if o := decodeIRI(m[key], true); o != "" {
				return o
			}
		}
	}
	if len(doc.obj.PublicKey) > 0 && doc.obj.ID != doc.url {
		return doc.obj.ID
	}
	return ""
}

// ownKey returns the first usable key of o owned by o (or embedded without
// an owner). An actor with keys that all belong to someone else is refused;
// one with no key at all gets an empty key.
func ownKey(o *Object) (PublicKey, error) {
	foreign := false
	for _, k := range o.PublicKey {
		if k.Owner != "" && k.Owner != o.ID {
			foreign = true
			continue
		}
		if k.PublicKeyPem == "" {
			continue
		}
		if _, err := ParsePublicKeyPEM(k.PublicKeyPem); err != nil {
			continue
		}
		return k, nil
	}
	if foreign {
		return PublicKey{}, fmt.Errorf("publicKey owned by another actor: %w", errKeyNotClaimed)
	}
	return PublicKey{}, nil
}

// actorType returns the first of o's types that is an actor type, or "".
func actorType(o *Object) string {
	for _, t := range o.AllTypes() {
		for _, at := range actorTypes {
			if t == at {
				return t
			}
		}
	}
	return ""
}

// validUsername accepts what can form a user@host handle.
func validUsername(s string) bool {
	if s == "" || len(s) > maxUsername {
		return false
	}
	for _, r := range s {
		if r == '@' || r == '/' || r == '#' || r == '?' || r == '%' || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// profileFields converts PropertyValue attachments into profile fields
// with sanitised values.
func (f *Federation) profileFields(o *Object) []store.Field {
	var fields []store.Field
	for _, att := range o.Attachment {
		if !att.HasType("PropertyValue") || strings.TrimSpace(att.Name) == "" {
			continue
		}
		fields = append(fields, store.Field{Name: strings.TrimSpace(att.Name), Value: f.md.Sanitize(att.Value)})
		if len(fields) == maxFields {
			break
		}
	}
	return fields
}

// emojis converts Emoji tags ({name: ":code:", icon: {url}}) into custom
// emoji, skipping ones without a valid shortcode or an http(s) image.
func emojis(tags []Object) []store.Emoji {
	var out []store.Emoji
	for _, t := range tags {
		if !t.HasType("Emoji") {
			continue
		}
		code := strings.Trim(strings.TrimSpace(t.Name), ":")
		img := webURL(t.Icon.URLString("image/"))
		if !validShortcode(code) || img == "" {
			continue
		}
		out = append(out, store.Emoji{Shortcode: code, URL: img})
		if len(out) == maxEmojis {
			break
		}
	}
	return out
}

// validShortcode is Mastodon's [a-zA-Z0-9_]{2,}.
func validShortcode(s string) bool {
	if len(s) < 2 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// actorCounts are the totals of an actor's collections, when the actor
// document embeds them; nil means unknown.
type actorCounts struct {
	followers, following, statuses *int
}

// countsFromBody reads totalItems of embedded followers, following and
// outbox collections from a raw actor document. Object keeps only their
// ids, so this reads the JSON again.
func countsFromBody(body []byte) actorCounts {
	m := decodeMap(body)
	total := func(key string) *int {
		c := decodeMap(m[key])
		if c == nil {
			return nil
		}
		if n, ok := decodeInt(c["totalItems"]); ok && n >= 0 {
			return &n
		}
		return nil
	}
	return actorCounts{followers: total("followers"), following: total("following"), statuses: total("outbox")}
}

// apply sets the known counts on a.
func (c actorCounts) apply(a *store.Account) {
	if c.followers != nil {
		a.FollowersCount = *c.followers
	}
	if c.following != nil {
		a.FollowingCount = *c.following
	}
	if c.statuses != nil {
		a.StatusesCount = *c.statuses
	}
}

// isLocalURI reports whether raw is on the owner's host.
func (f *Federation) isLocalURI(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	return f.isLocalHost(canonicalHost(u))
}

// isLocalHost reports whether host (with a non-default port, if any) is
// the owner's.
func (f *Federation) isLocalHost(host string) bool {
	own, err := url.Parse(f.cfg.URLs.Base)
	if err != nil || own.Host == "" {
		return false
	}
	return strings.EqualFold(canonicalHost(own), stripDefaultPort(own.Scheme, host))
}

// canonicalHost is u's lower-cased authority without the scheme's default
// port: the Domain of an account.
func canonicalHost(u *url.URL) string {
	return strings.ToLower(stripDefaultPort(u.Scheme, u.Host))
}

// webURL returns s when it is an absolute http(s) URL, else "": links a
// peer sends end up in href and src attributes.
func webURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	return s
}

// webURLs keeps the http(s) URLs of ss.
func webURLs(ss []string) []string {
	var out []string
	for _, s := range ss {
		if webURL(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

func isTrue(b *bool) bool { return b != nil && *b }
