package ap

import (
	"encoding/json"
	"time"

	"roost/store"
)

// ContentType is the media type of every ActivityPub document Roost serves
// and sends.
const ContentType = "application/activity+json"

// context is the JSON-LD context of every document Roost publishes:
// Mastodon's terms, so that peers that read by compact name and those that
// expand JSON-LD both understand them. "schema" keeps Mastodon's
// "http://schema.org#" spelling on purpose (FEDERATION.md §9.18).
var ldContext = json.RawMessage(`["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1",{` +
	`"manuallyApprovesFollowers":"as:manuallyApprovesFollowers","sensitive":"as:sensitive",` +
	`"Hashtag":"as:Hashtag","movedTo":{"@id":"as:movedTo","@type":"@id"},` +
	`"alsoKnownAs":{"@id":"as:alsoKnownAs","@type":"@id"},"toot":"http://joinmastodon.org/ns#",` +
	`"Emoji":"toot:Emoji","featured":{"@id":"toot:featured","@type":"@id"},` +
	`"featuredTags":{"@id":"toot:featuredTags","@type":"@id"},"discoverable":"toot:discoverable",` +
	`"indexable":"toot:indexable","memorial":"toot:memorial","suspended":"toot:suspended",` +
	`"blurhash":"toot:blurhash","focalPoint":{"@container":"@list","@id":"toot:focalPoint"},` +
	`"votersCount":"toot:votersCount","schema":"http://schema.org#",` +
	`"PropertyValue":"schema:PropertyValue","value":"schema:value",` +
	`"ostatus":"http://ostatus.org#","conversation":"ostatus:conversation",` +
	`"webfinger":{"@id":"https://purl.archive.org/socialweb/webfinger#webfinger","@type":"xsd:string"},` +
	`"xsd":"http://www.w3.org/2001/XMLSchema#"}]`)

func ptr[T any](v T) *T { return &v }

// day truncates t to midnight UTC: Mastodon publishes an actor's creation
// day, not the moment.
func day(t time.Time) *time.Time {
	d := t.UTC().Truncate(24 * time.Hour)
	return &d
}

func image(url, mediaType string) Refs {
	return Refs{Embed(&Object{Type: "Image", MediaType: mediaType, URL: IRIs(url)})}
}

// ActorDocument is the owner's actor as peers fetch it: every field
// Mastodon reads (FEDERATION.md §2.2). avatar and header are absolute URLs
// with their media types.
func (u URLs) ActorDocument(a *store.Account, avatar, avatarType, header, headerType string) *Object {
	o := &Object{
		Context:                   ldContext,
		ID:                        u.Actor(),
		Type:                      a.ActorType,
		PreferredUsername:         a.Username,
		Name:                      a.DisplayName,
		Summary:                   a.Note,
		URL:                       IRIs(u.Profile()),
		Inbox:                     u.Inbox(),
		Outbox:                    u.Outbox(),
		Followers:                 u.Followers(),
		Following:                 u.Following(),
		Featured:                  u.Featured(),
		FeaturedTags:              u.FeaturedTags(),
		Endpoints:                 &Endpoints{SharedInbox: u.SharedInbox()},
		PublicKey:                 []PublicKey{{ID: u.Key(), Owner: u.Actor(), PublicKeyPem: a.PublicKeyPEM}},
		ManuallyApprovesFollowers: ptr(a.Locked),
		Discoverable:              ptr(a.Discoverable),
		Indexable:                 ptr(a.Indexable),
		Memorial:                  ptr(false),
		Published:                 day(a.CreatedAt),
		Icon:                      image(avatar, avatarType),
		Image:                     image(header, headerType),
		Webfinger:                 "acct:" + u.Handle(),
		Tag:                       []Object{},
		Attachment:                []Object{},
		AlsoKnownAs:               IRIs(a.AlsoKnownAs...),
		MovedTo:                   a.MovedToURI,
	}
	if a.Bot {
		o.Type = "Service"
	}
	for _, f := range a.Fields {
		o.Attachment = append(o.Attachment, Object{Type: "PropertyValue", Name: f.Name, Value: f.Value})
	}
	return o
}

// Audience is Mastodon's addressing for a visibility (FEDERATION.md §6):
// public goes to Public with followers in cc, unlisted the other way round,
// followers-only to followers alone and direct only to the mentioned.
func (u URLs) Audience(visibility string, mentioned []string) (to, cc Refs) {
	switch visibility {
	case store.Public:
		return IRIs(Public), append(IRIs(u.Followers()), IRIs(mentioned...)...)
	case store.Unlisted:
		return append(IRIs(u.Followers()), IRIs(mentioned...)...), IRIs(Public)
	case store.Private:
		return append(IRIs(u.Followers()), IRIs(mentioned...)...), nil
	default:
		return IRIs(mentioned...), nil
	}
}

// NoteDocument is one of the owner's statuses as a Note. inReplyTo is the
// parent's ActivityPub id, if any.
func (u URLs) NoteDocument(st *store.Status) *Object {
	to, cc := u.Audience(st.Visibility, nil)
	o := &Object{
		ID:           u.Status(st.ID),
		Type:         "Note",
		Summary:      st.SpoilerText,
		Content:      st.Content,
		Published:    ptr(st.CreatedAt.UTC().Truncate(time.Second)),
		URL:          IRIs(u.StatusPage(st.ID)),
		AttributedTo: IRIs(u.Actor()),
		To:           to,
		CC:           cc,
		Sensitive:    ptr(st.Sensitive),
		Conversation: st.Conversation,
		Tag:          []Object{},
		Attachment:   []Object{},
	}
	if st.InReplyToURI != "" {
		o.InReplyTo = IRI(st.InReplyToURI)
	}
	if st.Language != "" {
		o.ContentMap = map[string]string{st.Language: st.Content}
	}
	if st.EditedAt != nil {
		o.Updated = ptr(st.EditedAt.UTC().Truncate(time.Second))
	}
	return o
}

// CreateDocument wraps a Note in the Create that published it; the
// activity's audience is the Note's.
func (u URLs) CreateDocument(note *Object, published time.Time) *Object {
	return &Object{
		ID:        note.ID + "/activity",
		Type:      "Create",
		Actor:     IRIs(u.Actor()),
		Published: ptr(published.UTC().Truncate(time.Second)),
		To:        note.To,
		CC:        note.CC,
		Object:    Refs{Embed(note)},
	}
}

// AnnounceDocument is the owner's boost st of the status with id
// objectURI by authorURI.
func (u URLs) AnnounceDocument(st *store.Status, objectURI, authorURI string) *Object {
	to, cc := IRIs(Public), IRIs(authorURI, u.Followers())
	if st.Visibility == store.Unlisted {
		to, cc = IRIs(u.Followers()), IRIs(Public, authorURI)
	} else if st.Visibility == store.Private {
		to, cc = IRIs(u.Followers()), IRIs(authorURI)
	}
	return &Object{
		ID:        u.StatusActivity(st.ID),
		Type:      "Announce",
		Actor:     IRIs(u.Actor()),
		Published: ptr(st.CreatedAt.UTC().Truncate(time.Second)),
		To:        to,
		CC:        cc,
		Object:    IRIs(objectURI),
	}
}

// WithContext returns o with the JSON-LD context set, for a top-level
// document.
func WithContext(o *Object) *Object {
	o.Context = ldContext
	return o
}

// OrderedCollection is a collection whose items are on pages starting at
// first.
func OrderedCollection(id string, total int, first string) *Object {
	o := &Object{ID: id, Type: "OrderedCollection", TotalItems: ptr(total)}
	if first != "" {
		o.First = IRI(first)
	}
	return o
}

// OrderedCollectionPage is one page of the collection partOf.
func OrderedCollectionPage(id, partOf, next, prev string, items Refs) *Object {
	o := &Object{ID: id, Type: "OrderedCollectionPage", PartOf: IRI(partOf), OrderedItems: items}
	if o.OrderedItems == nil {
		o.OrderedItems = Refs{}
	}
	if next != "" {
		o.Next = IRI(next)
	}
	if prev != "" {
		o.Prev = IRI(prev)
	}
	return o
}
