// Package handlers is every HTTP surface of Roost: WebFinger, host-meta and
// NodeInfo, the ActivityPub documents, the public HTML pages and Atom feed,
// and (in later parts) the Mastodon client API, OAuth and streaming. It owns
// the Mastodon JSON types and the store→JSON conversion.
//
// It imports ap, store, markup, templates and static.
package handlers
