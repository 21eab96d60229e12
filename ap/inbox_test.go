package ap

import (
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
