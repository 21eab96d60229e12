package ap

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"roost/store"
)

// errOffline is what every outgoing connection gets in the fixture test:
// the fixtures' servers are not reachable from here.
var errOffline = errors.New("offline")

// newOfflineFederation is a Federation for https://home.test/users/me
// whose network refuses every connection.
func newOfflineFederation(t *testing.T) (*Federation, *store.Store, *store.Account) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Path: filepath.Join(t.TempDir(), "roost.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	urls := URLs{Base: "https://home.test", Username: "me"}
	key, err := testOwnerKey()
	if err != nil {
		t.Fatal(err)
	}
	o, err := CreateOwner(ctx, st, urls, key, "x", nil)
	if err != nil {
		t.Fatal(err)
	}
	owner := o.Account
	f, err := New(ctx, Config{URLs: urls, UserAgent: "Roost/test",
		DialContext: func(context.Context, string, string) (net.Conn, error) { return nil, errOffline },
	}, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return f, st, owner
}

// activityTypes are the fixture types the inbox applies.
var activityTypes = map[string]bool{
	"Create": true, "Update": true, "Delete": true, "Follow": true, "Accept": true, "Reject": true,
	"Undo": true, "Announce": true, "Like": true, "EmojiReact": true, "Block": true, "Move": true,
	"Flag": true, "Add": true, "Remove": true, "Dislike": true, "Bite": true,
}

// TestFixturesAreProcessed applies every activity among the real payloads
// as the inbox worker would, from a signer the owner follows. Each must be
// applied, or refused on purpose (errPermanent), or wait for a fetch the
// offline network refuses; never anything else. Creates of same-origin
// objects must leave a status behind.
func TestFixturesAreProcessed(t *testing.T) {
	ctx := context.Background()
	applied := 0
	for _, path := range vocabFixtureFiles(t) {
		name := filepath.Base(path)
		act := vocabDecodeFixture(t, path)
		if !activityTypes[act.Type] || act.Actor.First().ID == "" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			f, st, owner := newOfflineFederation(t)
			actorID := act.Actor.First().ID
			signer := &store.Account{URI: actorID, Username: "signer", Domain: hostOf(actorID),
				Inbox: actorID + "/inbox", FetchedAt: time.Now()}
			if err := st.InsertAccount(ctx, signer); err != nil {
				t.Fatal(err)
			}
			if err := st.InsertFollow(ctx, &store.Follow{AccountID: owner.ID, TargetAccountID: signer.ID}); err != nil {
				t.Fatal(err)
			}
			err := f.apply(ctx, signer, act)
			switch {
			case err == nil:
				applied++
			case isPermanent(err), errors.Is(err, errOffline):
				t.Logf("%s: %v", act.Type, err)
			default:
				t.Fatalf("%s: unexpected error %v", act.Type, err)
			}
			if act.Type == "Delete" && act.Object.First().ID == actorID {
				// An actor deleting itself takes everything of it along.
				if _, err := st.GetAccountByURI(ctx, actorID); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("deleted actor still stored (%v)", err)
				}
				if gone, _ := st.IsTombstone(ctx, actorID); !gone {
					t.Error("deleted actor not remembered as gone")
				}
			}
			if act.Type != "Create" {
				return
			}
			o := act.Object.First().Obj
			if o == nil || !statusTypes[o.Type] || hostOf(o.ID) != hostOf(actorID) || authorOf(o) != actorID || isVote(o) ||
				visibilityOf(o, "") == store.Direct {
				return // not ours to store: a vote, or a message to someone else
			}
			got, gerr := st.GetStatusByURI(ctx, o.ID)
			if gerr != nil {
				t.Fatalf("Create of %s %s stored nothing (apply: %v)", o.Type, o.ID, err)
			}
			if got.Content == "" && strings.TrimSpace(o.Content+o.Name) != "" {
				t.Errorf("stored %s has no content", o.ID)
			}
			if o.Summary != "" && got.SpoilerText == "" {
				t.Errorf("content warning %q lost", o.Summary)
			}
		})
	}
	if applied < 10 {
		t.Errorf("only %d fixtures applied cleanly", applied)
	}
}
