package store

import "strings"

// Page selects a slice of an id-ordered list exactly as Mastodon pages:
// MaxID returns rows older than it, SinceID newer rows counting down from
// the newest, MinID newer rows counting up from MinID (the rows just after
// it). Results are always newest first.
type Page struct {
	MaxID   int64
	SinceID int64
	MinID   int64
	Limit   int
}

// DefaultLimit and MaxLimit bound Page.Limit as Mastodon does for statuses.
const (
	DefaultLimit = 20
	MaxLimit     = 40
)

// clause returns the WHERE fragment (beginning with " AND ") and ORDER/LIMIT
// tail for col, and whether the rows come back oldest first (min_id) and so
// must be reversed.
func (p Page) clause(col string) (where string, args []any, tail string, ascending bool) {
	var b strings.Builder
	if p.MaxID > 0 {
		b.WriteString(" AND " + col + " < ?")
		args = append(args, p.MaxID)
	}
	if p.SinceID > 0 {
		b.WriteString(" AND " + col + " > ?")
		args = append(args, p.SinceID)
	}
	if p.MinID > 0 {
		b.WriteString(" AND " + col + " > ?")
		args = append(args, p.MinID)
		ascending = true
	}
	order := " DESC"
	if ascending {
		order = " ASC"
	}
	return b.String(), append(args, p.limit()), " ORDER BY " + col + order + " LIMIT ?", ascending
}

func (p Page) limit() int {
	switch {
	case p.Limit <= 0:
		return DefaultLimit
	case p.Limit > MaxLimit:
		return MaxLimit
	}
	return p.Limit
}

// reverse puts a min_id result back into newest-first order.
func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}
