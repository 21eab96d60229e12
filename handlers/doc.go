// Package handlers is every HTTP surface of Roost: WebFinger, host-meta and
// NodeInfo, the ActivityPub documents, the public HTML pages and Atom feed,
// and the Mastodon client API with OAuth, media uploads and streaming. It owns
// the Mastodon JSON types and the store→JSON conversion.
//
// It imports ap, store, markup, media, templates and static.
package handlers
