package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestListsAndListTimeline(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	owner := newOwner(t, st)
	remote := func(name string, follow bool) *Account {
		a := &Account{URI: "https://r.test/users/" + name, Username: name, Domain: "r.test"}
		if err := st.InsertAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		if follow {
			if err := st.InsertFollow(ctx, &Follow{AccountID: owner.ID, TargetAccountID: a.ID, ShowReblogs: true}); err != nil {
				t.Fatal(err)
			}
		}
		return a
	}
	member, other, followed, stranger := remote("member", true), remote("other", true), remote("followed", true), remote("stranger", false)

	l := &List{Title: "Friends", RepliesPolicy: RepliesList}
	if err := st.InsertList(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := st.AddListAccounts(ctx, l.ID, []int64{member.ID, other.ID, member.ID}); err != nil {
		t.Fatal(err)
	}
	accts, _, err := st.ListListAccounts(ctx, l.ID, Page{})
	if err != nil || len(accts) != 2 {
		t.Fatalf("members = %d, %v", len(accts), err)
	}
	in, _ := st.ListsWithAccount(ctx, member.ID)
	if len(in) != 1 || in[0].ID != l.ID {
		t.Errorf("lists of member = %v", in)
	}

	at := time.Now().Add(-time.Hour)
	next := func() time.Time { at = at.Add(time.Second); return at }
	post := func(uri string, by *Account) *Status {
		return insert(t, st, &Status{URI: uri, AccountID: by.ID, CreatedAt: next()})
	}
	reply := func(uri string, to *Status) *Status {
		return insert(t, st, &Status{URI: uri, AccountID: member.ID, InReplyToID: &to.ID,
			InReplyToAccountID: &to.AccountID, CreatedAt: next()})
	}
	top := post("u:top", member)          // a member's post
	otherTop := post("u:othertop", other) // another member's post
	ownerTop := insert(t, st, &Status{URI: "u:ownertop", AccountID: owner.ID, Local: true})
	followedTop, strangerTop := post("u:followedtop", followed), post("u:strangertop", stranger)
	self := reply("u:self", top)
	toOwner := reply("u:owner", ownerTop)
	toOther := reply("u:other", otherTop)
	toFollowed := reply("u:followed", followedTop)
	reply("u:stranger", strangerTop)
	insert(t, st, &Status{URI: "u:dm", AccountID: member.ID, Visibility: Direct, CreatedAt: next()})

	for _, tc := range []struct {
		policy string
		want   []*Status
	}{
		{RepliesList, []*Status{toOther, toOwner, self, otherTop, top}},
		{RepliesFollowed, []*Status{toFollowed, toOther, toOwner, self, otherTop, top}},
		{RepliesNone, []*Status{toOwner, self, otherTop, top}},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			l.RepliesPolicy = tc.policy
			if err := st.UpdateList(ctx, l); err != nil {
				t.Fatal(err)
			}
			got, err := st.ListListTimeline(ctx, l, owner.ID, Page{})
			if err != nil {
				t.Fatal(err)
			}
			if want := uris(tc.want); !equalStrings(uris(got), want) {
				t.Errorf("list timeline = %v, want %v", uris(got), want)
			}
		})
	}

	// Exclusive: member's statuses leave the home timeline.
	home := func() int {
		list, err := st.ListHomeTimeline(ctx, owner.ID, Page{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, s := range list {
			if s.AccountID == member.ID {
				n++
			}
		}
		return n
	}
	if home() == 0 {
		t.Fatal("member not on home before the list is exclusive")
	}
	l.Exclusive = true
	if err := st.UpdateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	if n := home(); n != 0 {
		t.Errorf("%d statuses of an exclusive list member on home", n)
	}
	if ok, _ := st.InExclusiveList(ctx, member.ID); !ok {
		t.Error("InExclusiveList = false")
	}

	if err := st.RemoveListAccounts(ctx, l.ID, []int64{member.ID}); err != nil {
		t.Fatal(err)
	}
	if home() == 0 {
		t.Error("member still off home after removal")
	}
	if err := st.DeleteList(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetList(ctx, l.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted list: %v", err)
	}
	if err := st.DeleteList(ctx, l.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
}
