// Package ap is Roost's ActivityPub layer: the ActivityStreams vocabulary
// (Roost's own lenient types), conversion between those types and store rows,
// HTTP signatures, signed fetching with the private-address guard, and the
// inbox and delivery workers.
//
// It imports store and markup, never handlers.
package ap
