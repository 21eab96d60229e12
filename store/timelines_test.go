package store

import (
	"context"
	"testing"
	"time"
)

func TestHomeAndPublicTimelines(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	owner := newOwner(t, st)
	remote := func(name string) *Account {
		a := &Account{URI: "https://r.test/users/" + name, Username: name, Domain: "r.test"}
		if err := st.InsertAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	followed, quiet, stranger := remote("followed"), remote("quiet"), remote("stranger")
	if err := st.InsertFollow(ctx, &Follow{AccountID: owner.ID, TargetAccountID: followed.ID, ShowReblogs: true}); err != nil {
		t.Fatal(err)
	}
	if err := st.InsertFollow(ctx, &Follow{AccountID: owner.ID, TargetAccountID: quiet.ID, ShowReblogs: false}); err != nil {
		t.Fatal(err)
	}
	// Remote ids come from their published time: space them apart.
	at := time.Now().Add(-time.Hour)
	next := func() time.Time { at = at.Add(time.Second); return at }
	mine := insert(t, st, &Status{URI: "u:mine", AccountID: owner.ID, Local: true}) // local: id from now
	theirs := insert(t, st, &Status{URI: "u:theirs", AccountID: followed.ID, CreatedAt: next()})
	strangers := insert(t, st, &Status{URI: "u:stranger", AccountID: stranger.ID, CreatedAt: next()})
	boost := insert(t, st, &Status{URI: "u:boost", AccountID: followed.ID, ReblogOfID: &strangers.ID, CreatedAt: next()})
	insert(t, st, &Status{URI: "u:quietboost", AccountID: quiet.ID, ReblogOfID: &strangers.ID, CreatedAt: next()})
	quietPost := insert(t, st, &Status{URI: "u:quiet", AccountID: quiet.ID, Visibility: Private, CreatedAt: next()})

	home, err := st.ListHomeTimeline(ctx, owner.ID, Page{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := uris(home), []string{mine.URI, quietPost.URI, boost.URI, theirs.URI}; !equalStrings(got, want) {
		t.Errorf("home = %v, want %v", got, want)
	}
	page, _ := st.ListHomeTimeline(ctx, owner.ID, Page{MaxID: boost.ID, Limit: 1})
	if len(page) != 1 || page[0].ID != theirs.ID {
		t.Errorf("home max_id page = %v", uris(page))
	}
	local, _ := st.ListPublicTimeline(ctx, PublicFilter{Local: true}, Page{})
	if !equalStrings(uris(local), []string{mine.URI}) {
		t.Errorf("local = %v", uris(local))
	}
	remoteTL, _ := st.ListPublicTimeline(ctx, PublicFilter{Remote: true}, Page{})
	if !equalStrings(uris(remoteTL), []string{strangers.URI, theirs.URI}) {
		t.Errorf("remote = %v", uris(remoteTL))
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
