package store

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// IDs are time-sortable 64-bit numbers, as Mastodon's are: milliseconds since
// the Unix epoch in the high bits and 16 low bits to tell apart rows made in
// the same millisecond. Written as decimal strings they sort by length and
// then lexically in time order, which is how Tusky and Ice Cubes compare
// them, and max_id/min_id paging is a plain integer comparison.
const idShift = 16

// idGen hands out strictly increasing ids for rows made now.
type idGen struct {
	mu   sync.Mutex
	last int64
}

func newIDGen() *idGen { return &idGen{} }

// next returns an id for time t that is greater than every id it returned
// before.
func (g *idGen) next(t time.Time) int64 {
	id := t.UnixMilli() << idShift
	g.mu.Lock()
	defer g.mu.Unlock()
	if id <= g.last {
		id = g.last + 1
	}
	g.last = id
	return id
}

// IDAt returns an id for a row made at time t elsewhere (a remote status's
// published time), with random low bits; callers retry on ErrConflict.
func IDAt(t time.Time) int64 {
	return t.UnixMilli()<<idShift | int64(rand.IntN(1<<idShift))
}

// MinIDAt is the smallest id that a row made at t can have: paging by time
// ("everything since t") compares against it.
func MinIDAt(t time.Time) int64 { return t.UnixMilli() << idShift }

// IDTime is the time encoded in an id.
func IDTime(id int64) time.Time { return time.UnixMilli(id >> idShift).UTC() }

// FormatID renders an id as the API and URLs show it.
func FormatID(id int64) string { return strconv.FormatInt(id, 10) }

// ParseID reads an id from an API parameter or URL; ok is false for
// anything that is not a positive decimal number.
func ParseID(s string) (id int64, ok bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// timeNow is time.Now; ids are made from the wall clock.
func timeNow() time.Time { return time.Now() }
