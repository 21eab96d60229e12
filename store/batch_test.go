package store

import (
	"context"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestBatchReadsMatchSingleReads checks each batch read of batch.go
// against the one-status read it replaces, over statuses with and without
// every kind of part and state.
func TestBatchReadsMatchSingleReads(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	owner := newOwner(t, st)
	bob := &Account{URI: "https://b.test/users/bob", Username: "bob", Domain: "b.test"}
	if err := st.InsertAccount(ctx, bob); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour)
	plain := &Status{URI: "https://b.test/s/1", AccountID: bob.ID, CreatedAt: at}
	full := &Status{URI: "https://b.test/s/2", AccountID: bob.ID, CreatedAt: at.Add(time.Minute), Conversation: "tag:b.test,c1"}
	mine := &Status{ID: st.NewID(), URI: "https://example.test/s/3", AccountID: owner.ID, Local: true, CreatedAt: at.Add(2 * time.Minute)}
	err := st.Update(ctx, func(tx *Tx) error {
		if err := tx.InsertStatus(plain, nil); err != nil {
			return err
		}
		parts := &StatusParts{Mentions: []int64{owner.ID, bob.ID}, Tags: []string{"zeta", "alpha"},
			Media: []*Media{{Type: "image", RemoteURL: "https://b.test/1.png"}, {Type: "video", RemoteURL: "https://b.test/2.mp4"}},
			Poll:  &Poll{Options: []PollOption{{Title: "a"}, {Title: "b"}}, Multiple: true}}
		if err := tx.InsertStatus(full, parts); err != nil {
			return err
		}
		if err := tx.InsertStatus(mine, nil); err != nil {
			return err
		}
		boost := &Status{ID: st.NewID(), URI: "https://example.test/s/4", AccountID: owner.ID, Local: true, ReblogOfID: &full.ID}
		if err := tx.InsertStatus(boost, nil); err != nil {
			return err
		}
		if _, err := tx.InsertFavourite(owner.ID, full.ID, ""); err != nil {
			return err
		}
		for _, c := range []int{1, 0} {
			if _, err := tx.InsertPollVote(full.ID, owner.ID, c, "", true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetBookmark(ctx, full.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := st.SetConversationMuted(ctx, ConversationKey(full), true); err != nil {
		t.Fatal(err)
	}
	if err := st.PutLinkCard(ctx, "https://example.org/", `{"url":"https://example.org/"}`, time.Now()); err != nil {
		t.Fatal(err)
	}
	ids := []int64{plain.ID, full.ID, mine.ID, 12345}

	statuses, err := st.GetStatuses(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(statuses) != 3 || statuses[12345] != nil {
		t.Errorf("GetStatuses found %d statuses, want 3", len(statuses))
	}
	accounts, err := st.GetAccounts(ctx, []int64{owner.ID, bob.ID, 12345})
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 2 || accounts[bob.ID].URI != bob.URI {
		t.Errorf("GetAccounts = %v", accounts)
	}
	parts, err := st.GetStatusPartsOf(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	states, err := st.GetStatusStates(ctx, owner.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	votes, err := st.GetPollVotesOf(ctx, owner.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		one, err := st.GetStatusParts(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(parts[id], one) {
			t.Errorf("status %d: GetStatusPartsOf %+v, GetStatusParts %+v", id, parts[id], one)
		}
		fav, _ := st.HasFavourited(ctx, owner.ID, id)
		boosted, _ := st.HasBoosted(ctx, owner.ID, id)
		marked, _ := st.IsBookmarked(ctx, id)
		if want := (StatusState{Favourited: fav, Boosted: boosted, Bookmarked: marked}); states[id] != want {
			t.Errorf("status %d: GetStatusStates %+v, want %+v", id, states[id], want)
		}
		v, _ := st.PollVotes(ctx, id, owner.ID)
		if got, ok := votes[id]; !ok || !reflect.DeepEqual(got, v) {
			t.Errorf("status %d: GetPollVotesOf %v, PollVotes %v", id, got, v)
		}
	}
	if s := states[full.ID]; !s.Favourited || !s.Boosted || !s.Bookmarked {
		t.Errorf("state of the favourited, boosted, bookmarked status: %+v", s)
	}
	if len(parts[full.ID].Media) != 2 || parts[full.ID].Poll == nil || len(votes[full.ID]) != 2 {
		t.Errorf("parts of the full status: %+v, votes %v", parts[full.ID], votes[full.ID])
	}

	keys := []string{ConversationKey(plain), ConversationKey(full)}
	muted, err := st.ConversationsMuted(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		one, _ := st.ConversationMuted(ctx, k)
		if got, ok := muted[k]; !ok || got != one {
			t.Errorf("conversation %s: ConversationsMuted %v, ConversationMuted %v", k, got, one)
		}
	}

	last, err := st.GetLastStatusTimes(ctx, []int64{bob.ID, 12345})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := last[12345]; !ok || !got.IsZero() {
		t.Errorf("last status of an account with none: %v, %v", got, ok)
	}
	list, _ := st.ListAccountStatuses(ctx, bob.ID, AccountStatusesFilter{Visibilities: []string{Public, Unlisted, Private, Direct}}, Page{Limit: 1})
	if !last[bob.ID].Equal(list[0].CreatedAt) {
		t.Errorf("last status of bob: %v, want %v", last[bob.ID], list[0].CreatedAt)
	}

	cards, err := st.GetLinkCards(ctx, []string{"https://example.org/", "https://never.test/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cards) != 1 || cards["https://example.org/"] == "" {
		t.Errorf("GetLinkCards = %v", cards)
	}

	n, err := st.CountLocalStatuses(ctx, Public, Unlisted, Private)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := st.CountStatuses(ctx, owner.ID, Public, Unlisted, Private); n != want || n != 1 {
		t.Errorf("CountLocalStatuses = %d, CountStatuses of the owner = %d, want 1", n, want)
	}
}

// TestTimelineQueriesUseIndexes runs the reads of a home timeline page
// and checks their plans: no table is scanned but the home timeline's own
// walk down the statuses by id (which stops after a page), and nothing is
// sorted but a page's rows within one status.
func TestTimelineQueriesUseIndexes(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	owner := newOwner(t, st)
	ids := []int64{1, 2}
	for _, p := range []Page{{Limit: 40}, {MaxID: 100, Limit: 40}, {MinID: 100, Limit: 40}} {
		if _, err := st.ListHomeTimeline(ctx, owner.ID, p); err != nil {
			t.Fatal(err)
		}
	}
	st.GetStatuses(ctx, ids)
	st.GetAccounts(ctx, ids)
	st.GetStatusPartsOf(ctx, ids)
	st.GetStatusStates(ctx, owner.ID, ids)
	st.ConversationsMuted(ctx, []string{"status:1"})
	st.GetPollVotesOf(ctx, owner.ID, ids)
	st.GetLastStatusTimes(ctx, ids)
	st.GetLinkCards(ctx, []string{"https://example.org/"})
	st.LastLocalStatusAt(ctx)
	st.CountLocalStatuses(ctx, Public, Unlisted, Private)
	st.CountFollowers(ctx, owner.ID)
	st.CountFollowing(ctx, owner.ID)

	// "SCAN s" is the home timeline's walk; json_each is the id list.
	allowed := regexp.MustCompile(`^SCAN (s|json_each VIRTUAL TABLE.*|j VIRTUAL TABLE.*|owner)$`)
	for _, p := range planSteps(t, st) {
		scan := strings.HasPrefix(p.detail, "SCAN ") && !allowed.MatchString(p.detail)
		// "USE TEMP B-TREE FOR LAST TERM OF ORDER BY" sorts the tags of one status.
		if scan || strings.Contains(p.detail, "TEMP B-TREE FOR ORDER BY") {
			t.Errorf("%s\nin the plan of\n%s", p.detail, p.query)
		}
	}
}
