package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestGroupCommitKeepsEachWriteOwnFate: writes that queue behind a slow
// one are committed together, yet each keeps its own outcome: a failing
// write and a panicking one leave no rows, the others all land, and the
// panic surfaces in its own caller.
func TestGroupCommitKeepsEachWriteOwnFate(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	if err := st.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`CREATE TABLE g (n INTEGER PRIMARY KEY)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	insert := func(n int) func(*sql.Tx) error {
		return func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO g (n) VALUES (?)`, n)
			return err
		}
	}
	// A slow write holds the lead while the others queue behind it.
	release := make(chan struct{})
	slowDone := make(chan error, 1)
	go func() {
		slowDone <- st.write(ctx, func(tx *sql.Tx) error {
			<-release
			return insert(0)(tx)
		})
	}()
	waitQueued(t, st, 0)
	const writers = 40
	errs := make([]error, writers)
	panics := make([]any, writers)
	canceled, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := 1; i <= writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { panics[i-1] = recover() }()
			switch i {
			case 7: // fails after writing: its row must be undone
				errs[i-1] = st.write(ctx, func(tx *sql.Tx) error {
					insert(i)(tx)
					return errors.New("refused")
				})
			case 13: // panics after writing
				errs[i-1] = st.write(ctx, func(tx *sql.Tx) error {
					insert(i)(tx)
					panic("boom")
				})
			case 21: // its caller gave up while it waited
				errs[i-1] = st.write(canceled, insert(i))
			case 30: // a duplicate key: fails alone
				errs[i-1] = st.write(ctx, insert(0))
			default:
				errs[i-1] = st.write(ctx, insert(i))
			}
		}()
	}
	waitQueued(t, st, writers)
	cancel()
	close(release)
	wg.Wait()
	if err := <-slowDone; err != nil {
		t.Fatalf("slow write: %v", err)
	}
	for i := 1; i <= writers; i++ {
		err, p := errs[i-1], panics[i-1]
		switch i {
		case 7, 21, 30:
			if err == nil {
				t.Errorf("write %d: no error", i)
			}
		case 13:
			if p != "boom" {
				t.Errorf("write 13: recovered %v, want the panic boom", p)
			}
		default:
			if err != nil || p != nil {
				t.Errorf("write %d: %v %v", i, err, p)
			}
		}
	}
	var got []int
	rows, err := st.r.Query(`SELECT n FROM g ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n int
		rows.Scan(&n)
		got = append(got, n)
	}
	want := []int{0}
	for i := 1; i <= writers; i++ {
		if i != 7 && i != 13 && i != 21 && i != 30 {
			want = append(want, i)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
}

// waitQueued waits until n writes wait behind the one leading.
func waitQueued(t *testing.T, st *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st.commits.mu.Lock()
		q, leading := len(st.commits.queue), st.commits.leading
		st.commits.mu.Unlock()
		if leading && q == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d writes queued, want %d", q, n)
		}
		time.Sleep(time.Millisecond)
	}
}
