package store

import (
	"context"
	"database/sql"
)

// Tx is one write transaction: every change made through it is committed
// together or not at all. Federation uses it to store a status with its
// delivery jobs, so that a crash never keeps one without the other.
type Tx struct {
	tx  *sql.Tx
	ctx context.Context
	s   *Store
}

// Update runs fn in one write transaction; an error from fn rolls back.
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) error {
	return s.write(ctx, func(tx *sql.Tx) error { return fn(&Tx{tx: tx, ctx: ctx, s: s}) })
}

// NewID returns a fresh time-sortable id for a row made now.
func (s *Store) NewID() int64 { return s.ids.next(timeNow()) }
