package ap

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestVerifyRequestAfterRotation: a key that verified a burst of requests
// is remembered, yet a peer that rotates its key is heard at once, and its
// old key stops working.
func TestVerifyRequestAfterRotation(t *testing.T) {
	n := newTestNet(t)
	f, _ := newTestFed(t, n, true)
	ctx := context.Background()
	const alice = "https://remote.test/users/alice"
	oldKey, oldPEM := remoteKey(t)
	n.serveDoc(alice, "application/activity+json", actorDoc(t, alice, "alice", oldPEM, nil))
	signed := func(key *rsa.PrivateKey) *http.Request {
		body := []byte(`{"type":"Like"}`)
		r, _ := http.NewRequest("POST", "https://home.test/inbox", bytes.NewReader(body))
		if err := SignRequest(r, body, alice+"#main-key", key, time.Now(), true); err != nil {
			t.Fatal(err)
		}
		return r
	}
	verify := func(key *rsa.PrivateKey) error {
		r := signed(key)
		body, _ := io.ReadAll(r.Body)
		_, err := f.VerifyRequest(ctx, r, body)
		return err
	}
	for range 3 {
		if err := verify(oldKey); err != nil {
			t.Fatal(err)
		}
	}
	if got := n.hitCount(alice); got != 1 {
		t.Fatalf("%d fetches of the actor for three requests, want 1", got)
	}
	newKey, newPEM := remoteKey(t)
	n.serveDoc(alice, "application/activity+json", actorDoc(t, alice, "alice", newPEM, nil))
	if err := verify(newKey); err != nil {
		t.Fatalf("signed with the rotated key: %v", err)
	}
	if err := verify(oldKey); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("signed with the old key after rotation: %v, want ErrBadSignature", err)
	}
}
