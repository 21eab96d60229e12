package handlers

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"roost/store"
)

// TestPageRenderingMatchesOneByOne renders the entity fixture's statuses
// and notifications (with a bookmark, a muted conversation, a vote and a
// cached link card added) as a page, from data loaded for the whole page,
// and one by one, where the renderer looks each thing up itself, and wants
// the same JSON both ways, for the owner and for an anonymous reader.
func TestPageRenderingMatchesOneByOne(t *testing.T) {
	f := newEntityFixture(t)
	ctx := context.Background()
	linked := &store.Status{AccountID: f.bob.ID, URI: "https://remote.example/users/bob/statuses/2", Visibility: store.Public,
		Content: `<p>Read <a href="https://news.example/story">this</a></p>`, CreatedAt: time.Now().Add(-5 * time.Minute)}
	mention := &store.Notification{Type: store.NotifyMention, FromAccountID: f.bob.ID, StatusID: &f.reply.ID}
	follow := &store.Notification{Type: store.NotifyFollow, FromAccountID: f.bob.ID}
	err := f.st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.InsertStatus(linked, nil); err != nil {
			return err
		}
		if _, err := tx.InsertPollVote(f.local.ID, f.owner.ID, 1, "", false); err != nil {
			return err
		}
		for _, n := range []*store.Notification{mention, follow} {
			if _, err := tx.InsertNotification(n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetBookmark(ctx, f.local.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetConversationMuted(ctx, store.ConversationKey(f.reply), true); err != nil {
		t.Fatal(err)
	}
	if err := f.st.PutLinkCard(ctx, "https://news.example/story", `{"url":"https://news.example/story","title":"Story"}`, time.Now()); err != nil {
		t.Fatal(err)
	}
	list := []*store.Status{linked, f.private, f.boost, f.reply, f.local}

	for _, owner := range []bool{true, false} {
		page, err := f.s.statusesView(ctx, owner, list)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != len(list) {
			t.Fatalf("owner view %v: %d statuses rendered, want %d", owner, len(page), len(list))
		}
		for i, st := range list {
			one := f.s.statusJSON
			if !owner {
				one = f.s.publicStatusJSON
			}
			v, err := one(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, "status "+st.URI, page[i], v)
		}
		if owner && (page[0].Card == nil || page[4].Bookmarked == nil || !*page[4].Bookmarked || page[3].Muted == nil || !*page[3].Muted) {
			t.Errorf("the page lost the card, the bookmark or the mute: %+v", page)
		}
	}

	notes, err := f.st.ListNotificationsFrom(ctx, 0, allNotificationTypes, store.Page{Limit: 40})
	if err != nil {
		t.Fatal(err)
	}
	page, err := f.s.notificationsJSON(ctx, notes)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 3 {
		t.Fatalf("%d notifications rendered, want 3", len(page))
	}
	for i, n := range notes {
		v, err := f.s.notificationJSON(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "notification "+n.Type, page[i], v)
	}
}

func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(g) != string(w) {
		t.Errorf("%s rendered in a page:\n%s\nalone:\n%s", what, g, w)
	}
}
