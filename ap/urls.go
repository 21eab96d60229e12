package ap

import (
	"net/url"
	"strings"

	"roost/store"
)

// URLs is the layout of the owner's ids and pages under the public base
// URL. Every id Roost publishes is built here, so that they stay stable.
type URLs struct {
	Base     string // https://social.example.org, no trailing slash
	Username string
}

// Host is the authority of the base URL (with a non-default port), the
// domain part of the owner's handle.
func (u URLs) Host() string {
	p, err := url.Parse(u.Base)
	if err != nil {
		return ""
	}
	return p.Host
}

// Handle is the owner's handle without the leading @: me@social.example.org.
func (u URLs) Handle() string { return u.Username + "@" + u.Host() }

// Actor is the owner's actor id.
func (u URLs) Actor() string { return u.Base + "/users/" + u.Username }

// Key is the id of the owner's public key.
func (u URLs) Key() string { return u.Actor() + "#main-key" }

// Inbox is the owner's personal inbox.
func (u URLs) Inbox() string { return u.Actor() + "/inbox" }

// SharedInbox is the instance's shared inbox.
func (u URLs) SharedInbox() string { return u.Base + "/inbox" }

// Outbox is the owner's outbox collection.
func (u URLs) Outbox() string { return u.Actor() + "/outbox" }

// Followers is the owner's followers collection.
func (u URLs) Followers() string { return u.Actor() + "/followers" }

// Following is the owner's following collection.
func (u URLs) Following() string { return u.Actor() + "/following" }

// Featured is the collection of pinned statuses.
func (u URLs) Featured() string { return u.Actor() + "/collections/featured" }

// FeaturedTags is the collection of featured hashtags.
func (u URLs) FeaturedTags() string { return u.Actor() + "/collections/tags" }

// Profile is the owner's HTML profile page.
func (u URLs) Profile() string { return u.Base + "/@" + u.Username }

// Feed is the owner's Atom feed.
func (u URLs) Feed() string { return u.Profile() + ".atom" }

// Status is the ActivityPub id of the owner's status id.
func (u URLs) Status(id int64) string { return u.Actor() + "/statuses/" + store.FormatID(id) }

// StatusActivity is the id of the Create (or Announce) that published it.
func (u URLs) StatusActivity(id int64) string { return u.Status(id) + "/activity" }

// StatusPage is the HTML page of the owner's status id.
func (u URLs) StatusPage(id int64) string { return u.Profile() + "/" + store.FormatID(id) }

// Tag is the page of a hashtag (without #).
func (u URLs) Tag(name string) string {
	return u.Base + "/tags/" + url.PathEscape(strings.ToLower(name))
}

// Static is the URL of a file under static/.
func (u URLs) Static(name string) string { return u.Base + "/static/" + name }

// OwnerAccount returns the account row the owner starts with: the handle,
// every endpoint of the actor, and the public key.
func (u URLs) OwnerAccount(publicKeyPEM string) *store.Account {
	return &store.Account{
		URI:          u.Actor(),
		Username:     u.Username,
		URL:          u.Profile(),
		Inbox:        u.Inbox(),
		Outbox:       u.Outbox(),
		SharedInbox:  u.SharedInbox(),
		FollowersURL: u.Followers(),
		FollowingURL: u.Following(),
		FeaturedURL:  u.Featured(),
		PublicKeyID:  u.Key(),
		PublicKeyPEM: publicKeyPEM,
		ActorType:    "Person",
		Discoverable: true,
		Indexable:    true,
	}
}
