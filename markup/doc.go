// Package markup turns text into safe HTML: the owner's Markdown (goldmark)
// rendered for statuses and the profile, and remote HTML sanitised to the set
// of elements Mastodon keeps. It is its own package because both ap (remote
// content) and handlers (the owner's posts) need it, and neither may import
// the other. It imports only the standard library, goldmark and bluemonday.
package markup
