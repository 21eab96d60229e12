package ap

import (
	"crypto"
	"sync"
	"time"

	"roost/store"
)

// keyCacheTTL is how long a key that verified a signature is used again
// without reading its account; keyCacheMax bounds the keys kept.
const (
	keyCacheTTL = 5 * time.Minute
	keyCacheMax = 1024
)

// keyCache remembers the keys that verified signatures lately, with their
// account, so that a peer delivering a burst is not looked up and its PEM
// not parsed for every request (together a quarter of accepting one).
// A signature the cached key does not verify goes the long way, through
// the stored account and, if need be, a refetch: a rotated key is picked
// up as before. An actor deleted meanwhile verifies until its entry ages
// out, as it would have while its account was still stored.
type keyCache struct {
	mu sync.Mutex
	m  map[string]cachedKey
}

type cachedKey struct {
	acct *store.Account
	key  crypto.PublicKey
	at   time.Time
}

// get returns a copy of the account, which callers may change.
func (c *keyCache) get(keyID string, now time.Time) (*store.Account, crypto.PublicKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[keyID]
	if !ok || now.Sub(e.at) > keyCacheTTL {
		return nil, nil, false
	}
	a := *e.acct
	return &a, e.key, true
}

func (c *keyCache) put(keyID string, acct *store.Account, key crypto.PublicKey, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cachedKey{}
	}
	makeRoom(c.m, keyCacheMax-1, func(e cachedKey) bool { return now.Sub(e.at) > keyCacheTTL })
	a := *acct
	c.m[keyID] = cachedKey{acct: &a, key: key, at: now}
}

// makeRoom keeps a bounded map bounded before an insertion: over max
// entries, it drops the stale ones, and if that is not enough (a flood of
// distinct keys) all of them: memory first.
func makeRoom[K comparable, V any](m map[K]V, max int, stale func(V) bool) {
	if len(m) <= max {
		return
	}
	for k, v := range m {
		if stale(v) {
			delete(m, k)
		}
	}
	if len(m) > max {
		clear(m)
	}
}
