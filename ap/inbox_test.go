package ap

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestKeyRefetchIsLimited(t *testing.T) {
	var l refetchLimiter
	now := time.Now()
	if !l.allow("https://x.test/users/a#main-key", now) {
		t.Fatal("first refetch refused")
	}
	if l.allow("https://x.test/users/a#main-key", now.Add(time.Minute)) {
		t.Error("second refetch within five minutes allowed")
	}
	if !l.allow("https://x.test/users/b#main-key", now.Add(time.Minute)) {
		t.Error("another key's refetch refused")
	}
	if !l.allow("https://x.test/users/a#main-key", now.Add(6*time.Minute)) {
		t.Error("refetch after five minutes refused")
	}
	for i := 0; i < 1500; i++ {
		l.allow(string(rune('a'+i%26))+time.Duration(i).String(), now.Add(20*time.Minute))
	}
	if len(l.last) > 1100 {
		t.Errorf("limiter holds %d keys; old ones are not forgotten", len(l.last))
	}
}

// TestUnsignedCreatedDoesNotRefreshAnOldRequest: a captured hs2019
// request that signs Date cannot be replayed later by adding a fresh,
// unsigned created parameter.
func TestUnsignedCreatedDoesNotRefreshAnOldRequest(t *testing.T) {
	key := sigTestKey(t)
	body := []byte(`{"type":"Like"}`)
	sum := sha256.Sum256(body)
	r := httptest.NewRequest("POST", "/users/me/inbox", bytes.NewReader(body))
	r.Host = "roost.example"
	r.Header.Set("Date", sigNow.Add(-2*time.Hour).Format(http.TimeFormat))
	r.Header.Set("Digest", "sha-256="+base64.StdEncoding.EncodeToString(sum[:]))
	sigSignCavage(t, r, key, sigCavageSpec{alg: "hs2019", headers: "(request-target) host date digest", created: fmt.Sprint(sigNow.Unix())})
	if _, err := RequestSignature(r, body, sigNow); err == nil {
		t.Error("an old request was accepted on the strength of an unsigned created parameter")
	}
}

// TestGuardedClientRefusesPrivateAddresses: clients for app-chosen URLs
// (Web Push) keep federation's address guard.
func TestGuardedClientRefusesPrivateAddresses(t *testing.T) {
	f, _, _ := newOfflineFederation(t)
	f.cfg.DialContext = nil
	c := f.GuardedClient(time.Second)
	for _, u := range []string{"https://127.0.0.1:9/", "https://10.1.2.3/", "https://169.254.169.254/latest"} {
		if _, err := c.Get(u); err == nil || !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("GET %s: %v, want ErrForbiddenAddress", u, err)
		}
	}
}
