package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pruneFixture is a database with an owner, remote accounts and statuses
// old and new, and a name for each status and account to check.
type pruneFixture struct {
	st       *Store
	owner    *Account
	old      time.Time // before the cutoff
	cutoff   time.Time
	statuses map[string]int64
	accounts map[string]int64
}

func newPruneFixture(t *testing.T) *pruneFixture {
	t.Helper()
	st := newTestStore(t)
	f := &pruneFixture{st: st, owner: newOwner(t, st), cutoff: time.Now().Add(-30 * 24 * time.Hour),
		statuses: map[string]int64{}, accounts: map[string]int64{}}
	f.old = f.cutoff.Add(-10 * 24 * time.Hour)
	return f
}

// account adds a remote account last fetched at fetched.
func (f *pruneFixture) account(t *testing.T, name string, fetched time.Time) int64 {
	t.Helper()
	a := &Account{URI: "https://remote.test/users/" + name, Username: name, Domain: "remote.test", FetchedAt: fetched}
	if err := f.st.UpsertRemoteAccount(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	f.accounts[name] = a.ID
	return a.ID
}

// status adds a status; edit sets what the case needs, then do runs in the
// same transaction.
func (f *pruneFixture) status(t *testing.T, name string, author int64, at time.Time, edit func(*Status, *StatusParts), do func(tx *Tx, id int64) error) int64 {
	t.Helper()
	st := &Status{URI: "https://remote.test/s/" + name, AccountID: author, CreatedAt: at, Content: "<p>" + name + "</p>"}
	if author == f.owner.ID {
		st.Local, st.URI = true, "https://example.test/users/me/statuses/"+name
	}
	parts := &StatusParts{Media: []*Media{{AccountID: author, Type: "image", RemoteURL: "https://remote.test/m/" + name + ".png"}}}
	if edit != nil {
		edit(st, parts)
	}
	err := f.st.Update(context.Background(), func(tx *Tx) error {
		if err := tx.InsertStatus(st, parts); err != nil {
			return err
		}
		if do != nil {
			return do(tx, st.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("status %s: %v", name, err)
	}
	f.statuses[name] = st.ID
	return st.ID
}

func (f *pruneFixture) exists(t *testing.T, table string, id int64) bool {
	t.Helper()
	var n int
	if err := f.st.r.QueryRow(`SELECT count(*) FROM `+table+` WHERE id = ?`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func (f *pruneFixture) rows(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := f.st.r.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// seed builds the cases: names starting with "keep" must stay, "gone"
// must go.
func (f *pruneFixture) seed(t *testing.T) {
	ctx := context.Background()
	me := f.owner.ID
	alice := f.account(t, "alice", f.old)  // followed by the owner
	bob := f.account(t, "bob", f.old)      // a stranger with kept statuses
	carol := f.account(t, "carol", f.old)  // author of kept statuses only
	f.account(t, "gone_stranger", f.old)   // wrote only pruned statuses
	f.account(t, "keep_fresh", time.Now()) // fetched recently
	muted := f.account(t, "keep_muted", f.old)
	listed := f.account(t, "keep_listed", f.old)
	notifier := f.account(t, "keep_notifier", f.old)
	mentioned := f.account(t, "keep_mentioned", f.old)
	follower := f.account(t, "keep_follower", f.old)
	gone := f.accounts["gone_stranger"]
	err := f.st.Update(ctx, func(tx *Tx) error {
		if err := tx.InsertFollow(&Follow{AccountID: me, TargetAccountID: alice}); err != nil {
			return err
		}
		if err := tx.InsertFollow(&Follow{AccountID: follower, TargetAccountID: me}); err != nil {
			return err
		}
		_, err := tx.InsertNotification(&Notification{Type: NotifyFollow, FromAccountID: notifier})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f.accounts["keep_alice"], f.accounts["keep_bob"], f.accounts["keep_carol"] = alice, bob, carol
	delete(f.accounts, "alice")
	delete(f.accounts, "bob")
	delete(f.accounts, "carol")
	if err := f.st.SetMute(ctx, muted, &Mute{}); err != nil {
		t.Fatal(err)
	}
	l := &List{Title: "l"}
	if err := f.st.InsertList(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := f.st.AddListAccounts(ctx, l.ID, []int64{listed}); err != nil {
		t.Fatal(err)
	}

	f.status(t, "gone_followed", alice, f.old, nil, nil)
	f.status(t, "gone_stranger", bob, f.old, nil, nil)
	f.status(t, "gone_stranger2", gone, f.old, nil, nil)
	f.status(t, "keep_new", bob, time.Now().Add(-time.Hour), nil, nil)
	f.status(t, "keep_favourited", carol, f.old, nil, func(tx *Tx, id int64) error {
		_, err := tx.InsertFavourite(me, id, "")
		return err
	})
	f.status(t, "keep_bookmarked", bob, f.old, nil, nil)
	if err := f.st.SetBookmark(ctx, f.statuses["keep_bookmarked"], true); err != nil {
		t.Fatal(err)
	}
	orig := f.status(t, "keep_boosted", bob, f.old, nil, nil)
	f.status(t, "keep_owner_boost", me, f.old.Add(time.Hour), func(s *Status, p *StatusParts) { s.ReblogOfID = &orig; p.Media = nil }, nil)
	f.status(t, "keep_mentions_owner", bob, f.old, func(s *Status, p *StatusParts) { p.Mentions = []int64{me, mentioned} }, nil)
	mine := f.status(t, "keep_owner_post", me, f.old, func(s *Status, p *StatusParts) { s.Conversation = "tag:conv-1" }, nil)
	f.status(t, "keep_reply_to_owner", bob, f.old, func(s *Status, _ *StatusParts) {
		s.InReplyToID, s.InReplyToAccountID = &mine, &me
	}, nil)
	f.status(t, "keep_notified", bob, f.old, nil, func(tx *Tx, id int64) error {
		_, err := tx.InsertNotification(&Notification{Type: NotifyUpdate, FromAccountID: bob, StatusID: &id})
		return err
	})
	f.status(t, "keep_pinned", bob, f.old, nil, nil)
	if err := f.st.SetPinned(ctx, f.statuses["keep_pinned"], true); err != nil {
		t.Fatal(err)
	}
	f.status(t, "keep_voted", bob, f.old, func(s *Status, p *StatusParts) {
		p.Poll = &Poll{Options: []PollOption{{Title: "a"}, {Title: "b"}}}
	}, func(tx *Tx, id int64) error {
		_, err := tx.InsertPollVote(id, me, 1, "", false)
		return err
	})
	// A remote thread the owner replied in: the root, a sibling reply
	// and a reply to the owner's reply all stay, as does a status of the
	// same conversation.
	root := f.status(t, "keep_thread_root", bob, f.old, nil, nil)
	f.status(t, "keep_thread_sibling", bob, f.old, func(s *Status, _ *StatusParts) { s.InReplyToID = &root }, nil)
	reply := f.status(t, "keep_owner_reply", me, f.old, func(s *Status, _ *StatusParts) { s.InReplyToID = &root }, nil)
	f.status(t, "keep_thread_below", carol, f.old, func(s *Status, _ *StatusParts) { s.InReplyToID = &reply }, nil)
	f.status(t, "keep_same_conversation", bob, f.old, func(s *Status, _ *StatusParts) { s.Conversation = "tag:conv-1" }, nil)
	// An old parent of a new reply stays for context.
	parent := f.status(t, "keep_parent_of_new", bob, f.old, nil, nil)
	f.status(t, "keep_new_reply", bob, time.Now(), func(s *Status, _ *StatusParts) { s.InReplyToID = &parent }, nil)
	// Boosts: an old boost of a plain old status goes with it; an old
	// boost of a status the owner favourited stays; a new boost keeps an
	// old original.
	plain := f.status(t, "gone_boosted", alice, f.old, nil, nil)
	f.status(t, "gone_boost", bob, f.old.Add(time.Hour), func(s *Status, p *StatusParts) { s.ReblogOfID = &plain; p.Media = nil }, nil)
	fav := f.statuses["keep_favourited"]
	f.status(t, "keep_boost_of_favourited", bob, f.old.Add(time.Hour), func(s *Status, p *StatusParts) { s.ReblogOfID = &fav; p.Media = nil }, nil)
	shared := f.status(t, "keep_boosted_recently", bob, f.old, nil, nil)
	f.status(t, "keep_new_boost", alice, time.Now(), func(s *Status, p *StatusParts) { s.ReblogOfID = &shared; p.Media = nil }, nil)
}

func TestPrune(t *testing.T) {
	f := newPruneFixture(t)
	f.seed(t)
	ctx := context.Background()
	wantStatuses, wantAccounts := 0, 0
	for name := range f.statuses {
		if name[:4] == "gone" {
			wantStatuses++
		}
	}
	for name := range f.accounts {
		if name[:4] == "gone" {
			wantAccounts++
		}
	}
	before := map[string]int{}
	tables := []string{"statuses", "accounts", "media_attachments", "mentions", "polls"}
	for _, tb := range tables {
		before[tb] = f.rows(t, tb)
	}

	dry, err := f.st.Prune(ctx, PruneOptions{Before: f.cutoff, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		if n := f.rows(t, tb); n != before[tb] {
			t.Errorf("dry run changed %s: %d rows, was %d", tb, n, before[tb])
		}
	}
	// gone_followed, gone_stranger, gone_stranger2 and gone_boosted have
	// media; the boost has none.
	want := PruneResult{Statuses: wantStatuses, Media: 4, Accounts: wantAccounts}
	if dry != want {
		t.Errorf("dry run = %+v, want %+v", dry, want)
	}

	var calls, last int
	res, err := f.st.Prune(ctx, PruneOptions{Before: f.cutoff, Progress: func(done, total int) {
		calls++
		if done < last || done > total {
			t.Errorf("progress %d/%d after %d", done, total, last)
		}
		last = done
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res != want {
		t.Errorf("prune = %+v, want %+v", res, want)
	}
	if calls == 0 || last != wantStatuses+wantAccounts {
		t.Errorf("progress called %d times, last %d", calls, last)
	}
	for name, id := range f.statuses {
		t.Run("status "+name, func(t *testing.T) {
			if got, keep := f.exists(t, "statuses", id), name[:4] == "keep"; got != keep {
				t.Errorf("status %s exists = %v, want %v", name, got, keep)
			}
		})
	}
	for name, id := range f.accounts {
		t.Run("account "+name, func(t *testing.T) {
			if got, keep := f.exists(t, "accounts", id), name[:4] == "keep"; got != keep {
				t.Errorf("account %s exists = %v, want %v", name, got, keep)
			}
		})
	}
	if !f.exists(t, "accounts", f.owner.ID) {
		t.Error("the owner was pruned")
	}
	if n := f.rows(t, "media_attachments"); n != before["media_attachments"]-4 {
		t.Errorf("media rows %d, want %d", n, before["media_attachments"]-4)
	}

	// A second run finds nothing more.
	again, err := f.st.Prune(ctx, PruneOptions{Before: f.cutoff})
	if err != nil || again != (PruneResult{}) {
		t.Errorf("second prune = %+v, %v", again, err)
	}
	if err := f.st.Vacuum(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestPruneSeenActivitiesAndTombstones(t *testing.T) {
	f := newPruneFixture(t)
	ctx := context.Background()
	long := millis(time.Now().Add(-2 * TombstoneAge))
	for i, q := range []string{
		`INSERT INTO seen_activities (id, seen_at) VALUES ('https://remote.test/a/old', ?)`,
		`INSERT INTO seen_activities (id, seen_at) VALUES ('https://remote.test/a/new', ?)`,
		`INSERT INTO tombstones (uri, deleted_at) VALUES ('https://remote.test/s/old', ?)`,
		`INSERT INTO tombstones (uri, deleted_at) VALUES ('https://example.test/users/me/statuses/1', ?)`,
		`INSERT INTO tombstones (uri, deleted_at) VALUES ('https://remote.test/s/new', ?)`,
	} {
		at := long
		if i == 1 || i == 4 {
			at = millis(time.Now())
		}
		if _, err := f.st.w.Exec(q, at); err != nil {
			t.Fatal(err)
		}
	}
	for url, at := range map[string]time.Time{"https://news.test/old": f.old, "https://news.test/new": time.Now()} {
		if err := f.st.PutLinkCard(ctx, url, `{"title":"t"}`, at); err != nil {
			t.Fatal(err)
		}
	}
	res, err := f.st.Prune(ctx, PruneOptions{Before: f.cutoff})
	if err != nil {
		t.Fatal(err)
	}
	if res.SeenActivities != 1 || res.Tombstones != 1 || res.LinkCards != 1 {
		t.Errorf("prune = %+v, want 1 seen activity, 1 tombstone and 1 link preview", res)
	}
	if _, _, err := f.st.GetLinkCard(ctx, "https://news.test/old"); !errors.Is(err, ErrNotFound) {
		t.Errorf("old link preview: %v, want ErrNotFound", err)
	}
	if _, _, err := f.st.GetLinkCard(ctx, "https://news.test/new"); err != nil {
		t.Errorf("new link preview: %v", err)
	}
	for uri, want := range map[string]bool{
		"https://remote.test/s/old": false, "https://example.test/users/me/statuses/1": true, "https://remote.test/s/new": true,
	} {
		if got, _ := f.st.IsTombstone(ctx, uri); got != want {
			t.Errorf("tombstone %s = %v, want %v", uri, got, want)
		}
	}
}

// TestPruneBatches removes more than a batch of statuses and boosts.
func TestPruneBatches(t *testing.T) {
	f := newPruneFixture(t)
	ctx := context.Background()
	bob := f.account(t, "bob", f.old)
	n := PruneBatch*2 + 7
	err := f.st.Update(ctx, func(tx *Tx) error {
		for i := range n {
			st := &Status{URI: fmt.Sprintf("https://remote.test/s/%d", i), AccountID: bob, CreatedAt: f.old.Add(time.Duration(i) * time.Second),
				Content: strings.Repeat("<p>a long enough post</p>", 40)}
			if err := tx.InsertStatus(st, nil); err != nil {
				return err
			}
			if i%2 == 1 {
				b := &Status{URI: st.URI + "/boost", AccountID: bob, ReblogOfID: &st.ID, CreatedAt: st.CreatedAt.Add(time.Minute)}
				if err := tx.InsertStatus(b, nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fileSize := func() int64 {
		t.Helper()
		if err := f.st.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(f.st.path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := fileSize()
	res, err := f.st.Prune(ctx, PruneOptions{Before: f.cutoff})
	if err != nil {
		t.Fatal(err)
	}
	// The ~1 MB of posts freed goes back to the file system.
	if after := fileSize(); after > before-1<<20 {
		t.Errorf("file %d bytes after pruning, %d before: the freed pages were kept", after, before)
	}
	if want := n + n/2; res.Statuses != want || res.Accounts != 1 || f.rows(t, "statuses") != 0 {
		t.Errorf("prune = %+v, want %d statuses and 1 account; %d statuses left", res, want, f.rows(t, "statuses"))
	}
}

// TestVacuumConvertsAnOlderFile: a file made before Roost set
// auto_vacuum keeps pages it frees until `roost prune --vacuum`, which
// converts it so that later prunes return them.
func TestVacuumConvertsAnOlderFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "roost.db")
	old, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, old, migrationFiles); err != nil {
		t.Fatal(err)
	}
	old.Close()
	st, err := Open(ctx, Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	mode := func() int {
		var av int
		if err := st.w.QueryRowContext(ctx, "PRAGMA auto_vacuum").Scan(&av); err != nil {
			t.Fatal(err)
		}
		return av
	}
	if m := mode(); m != 0 {
		t.Fatalf("an older file has auto_vacuum %d, want 0 (none)", m)
	}
	if err := st.Vacuum(ctx); err != nil {
		t.Fatal(err)
	}
	if m := mode(); m != 2 {
		t.Fatalf("after Vacuum auto_vacuum is %d, want 2 (incremental)", m)
	}
}
