package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestFeaturedAndFollowedTags(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t)
	owner := newOwner(t, st)
	id, err := st.InsertFeaturedTag(ctx, "cats")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.InsertFeaturedTag(ctx, "Cats"); !errors.Is(err, ErrConflict) {
		t.Errorf("featuring twice (other case): %v, want ErrConflict", err)
	}
	list, err := st.ListFeaturedTags(ctx, owner.ID)
	if err != nil || len(list) != 1 || list[0].StatusesCount != 0 || !list[0].LastStatusAt.IsZero() {
		t.Fatalf("featured = %v, %v", list, err)
	}
	if err := st.DeleteFeaturedTag(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteFeaturedTag(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}

	if err := st.FollowTag(ctx, "birds", true); err != nil {
		t.Fatal(err)
	}
	for names, want := range map[string]bool{"birds": true, "Birds": true, "cats": false} {
		if got, err := st.FollowsAnyTag(ctx, []string{names}); err != nil || got != want {
			t.Errorf("FollowsAnyTag(%s) = %v, %v", names, got, err)
		}
	}
	tag, err := st.EnsureTag(ctx, "birds")
	if err != nil || !tag.Following || tag.Featuring {
		t.Errorf("tag = %+v, %v", tag, err)
	}
	days, err := st.TagHistory(ctx, "birds", 7, time.Now())
	if err != nil || len(days) != 7 || days[0].Uses != 0 {
		t.Errorf("history = %v, %v", days, err)
	}
}

func TestConversationReadsAndMutes(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t)
	owner := newOwner(t, st)
	post := func(conv string) *Status {
		s := &Status{URI: "https://example.test/s/" + time.Now().String(), AccountID: owner.ID, Local: true,
			Visibility: Direct, Conversation: conv, CreatedAt: time.Now()}
		if err := st.InsertStatus(ctx, s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	post("tag:a")
	last := post("tag:a")
	lone := post("")
	list, err := st.ListConversations(ctx, owner.ID, Page{})
	if err != nil || len(list) != 2 || list[0].Key != ConversationKey(lone) || list[1].LastStatusID != last.ID {
		t.Fatalf("conversations = %v, %v", list, err)
	}
	if err := st.HideConversation(ctx, "tag:a", last.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ = st.ListConversations(ctx, owner.ID, Page{}); len(list) != 1 {
		t.Fatalf("after hiding: %v", list)
	}
	newer := post("tag:a")
	if list, _ = st.ListConversations(ctx, owner.ID, Page{}); len(list) != 2 || list[0].LastStatusID != newer.ID || list[0].LastReadID != last.ID {
		t.Fatalf("after a new status: %+v", list[0])
	}

	if err := st.SetConversationMuted(ctx, "tag:a", true); err != nil {
		t.Fatal(err)
	}
	if m, err := st.ConversationMuted(ctx, ConversationKey(newer)); err != nil || !m {
		t.Errorf("muted = %v, %v", m, err)
	}
}

func TestBlockDomainAndSever(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t)
	owner := newOwner(t, st)
	var remote []*Account
	for _, d := range []string{"bad.example", "sub.bad.example", "good.example"} {
		a := &Account{URI: "https://" + d + "/u", Username: "u", Domain: d}
		if err := st.InsertAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		remote = append(remote, a)
		for _, f := range []*Follow{{AccountID: owner.ID, TargetAccountID: a.ID}, {AccountID: a.ID, TargetAccountID: owner.ID}} {
			if err := st.InsertFollow(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
	}
	n, err := st.BlockDomainAndSever(ctx, owner.ID, "Bad.Example")
	if err != nil || n != 4 {
		t.Fatalf("removed %d, %v; want 4", n, err)
	}
	if ok, _ := st.Follows(ctx, owner.ID, remote[2].ID); !ok {
		t.Error("the follow on another domain went too")
	}
	domains, _, err := st.ListDomainBlocks(ctx, Page{})
	if err != nil || len(domains) != 1 || domains[0] != "bad.example" {
		t.Errorf("domain blocks = %v, %v", domains, err)
	}
}
