package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// maxGroup bounds how many writes share one transaction.
const maxGroup = 128

// committer groups writes that arrive while another is being committed
// into one transaction (group commit). SQLite has one writer at a time,
// and each commit appends at least every page it touched to the WAL: a
// burst of inbox POSTs, each queueing one row, shares the pages of the
// queue's table and indexes instead of writing them again per row, and
// takes one BEGIN/COMMIT instead of dozens. A write alone is committed at
// once, as before; nobody waits for company.
//
// The first writer to find nobody committing leads: it takes the queue,
// runs every write in it inside one transaction, each under a savepoint so
// that one failing rolls back only itself, commits, and hands the lead to
// the first writer that queued meanwhile. Each caller returns only once its
// own write is committed (or failed), so an answer given after write still
// means the data is in the database.
type committer struct {
	mu      sync.Mutex
	queue   []*writeReq
	leading bool
}

type writeReq struct {
	ctx      context.Context
	fn       func(*sql.Tx) error
	wake     chan struct{} // done, or lead
	lead     bool          // set with wake: take the lead
	err      error
	panicked any  // a panic in fn, raised again in the caller
	retry    bool // its group failed as a whole: run it again alone
}

// write runs fn in an IMMEDIATE transaction on the writer connection,
// possibly together with other writes (see committer). An error from fn
// undoes fn's changes only; a panic in fn is raised again in the caller.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &writeReq{ctx: ctx, fn: fn, wake: make(chan struct{}, 1)}
	c := &s.commits
	c.mu.Lock()
	c.queue = append(c.queue, r)
	lead := !c.leading
	c.leading = true
	c.mu.Unlock()
	if !lead {
		<-r.wake
		lead = r.lead
	}
	if lead {
		c.mu.Lock()
		n := min(len(c.queue), maxGroup)
		group := c.queue[:n:n]
		c.queue = c.queue[n:]
		c.mu.Unlock()
		s.commitGroup(group)
		c.mu.Lock()
		for _, o := range group {
			if o != r {
				o.wake <- struct{}{}
			}
		}
		if len(c.queue) > 0 {
			next := c.queue[0]
			next.lead = true
			next.wake <- struct{}{}
		} else {
			c.leading = false
		}
		c.mu.Unlock()
	}
	if r.panicked != nil {
		panic(r.panicked)
	}
	return r.err
}

// commitGroup runs every write of group, in one transaction if it can.
func (s *Store) commitGroup(group []*writeReq) {
	if len(group) == 1 {
		group[0].err = s.commitAlone(group[0])
		return
	}
	s.commitTogether(group)
	for _, r := range group {
		if r.retry {
			r.retry = false
			r.err = s.commitAlone(r)
		}
	}
}

func (s *Store) commitAlone(r *writeReq) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	tx, err := s.w.BeginTx(context.Background(), nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := r.call(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// commitTogether runs group in one transaction, each write under a
// savepoint. If the transaction itself fails (a write's cancelled context
// interrupts SQLite, which rolls back everything), the writes that had not
// failed on their own are marked for a retry alone.
func (s *Store) commitTogether(group []*writeReq) {
	tx, err := s.w.BeginTx(context.Background(), nil)
	if err != nil {
		for _, r := range group {
			r.err = fmt.Errorf("begin: %w", err)
		}
		return
	}
	broken := func() {
		tx.Rollback()
		for _, r := range group {
			if r.err == nil && r.panicked == nil {
				r.retry = true
			}
		}
	}
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			continue
		}
		if _, err := tx.Exec("SAVEPOINT w"); err != nil {
			broken()
			return
		}
		if r.err = r.call(tx); r.err != nil {
			if _, err := tx.Exec("ROLLBACK TO w"); err != nil {
				broken()
				return
			}
		}
		if _, err := tx.Exec("RELEASE w"); err != nil {
			broken()
			return
		}
	}
	if err := tx.Commit(); err != nil {
		broken()
	}
}

// call runs the write's function, turning a panic into an error (the
// transaction must be ended either way) that write raises again.
func (r *writeReq) call(tx *sql.Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			r.panicked = v
			err = fmt.Errorf("panic in write: %v", v)
		}
	}()
	return r.fn(tx)
}
