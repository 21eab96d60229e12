package store

import (
	"context"
	"database/sql"
)

// Tx is one write transaction: every change made through it is committed
// together or not at all. Federation uses it to store a status with its
// delivery jobs, so that a crash never keeps one without the other.
type Tx struct {
	tx       *sql.Tx
	ctx      context.Context
	s        *Store
	onCommit []func()
}

// Update runs fn in one write transaction; an error from fn rolls back.
// Functions registered with OnCommit run after a successful commit.
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) error {
	t := &Tx{ctx: ctx, s: s}
	err := s.write(ctx, func(tx *sql.Tx) error {
		t.tx, t.onCommit = tx, nil // a write may be run again (see committer)
		return fn(t)
	})
	if err == nil {
		for _, f := range t.onCommit {
			f()
		}
	}
	return err
}

// OnCommit runs fn once the transaction has committed (say, to wake a
// worker that must see the new rows); never if it rolls back.
func (tx *Tx) OnCommit(fn func()) { tx.onCommit = append(tx.onCommit, fn) }

// NewID returns a fresh time-sortable id for a row made now.
func (s *Store) NewID() int64 { return s.ids.next(timeNow()) }
