package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"strings"

	"modernc.org/sqlite"
)

// writerDriver is the driver of the writer connection: modernc's, with each
// connection keeping its statements prepared. database/sql hands a
// transaction's Exec straight to the driver, which would parse the SQL
// again every time; for the writes an incoming activity makes (a status
// row, its mentions and tags, the queue) parsing was a tenth of the CPU.
// Readers keep prepared statements through stmtCache instead.
const writerDriver = "roost-sqlite-writer"

func init() { sql.Register(writerDriver, stmtCachingDriver{}) }

// maxConnStmts bounds the statements one connection keeps prepared; a
// query beyond it runs unprepared, as before.
const maxConnStmts = 256

type stmtCachingDriver struct{}

func (stmtCachingDriver) Open(name string) (driver.Conn, error) {
	c, err := (&sqlite.Driver{}).Open(name)
	if err != nil {
		return nil, err
	}
	full, ok := c.(fullConn)
	if !ok { // a driver without the context methods: use it as it is
		return c, nil
	}
	return &cachingConn{fullConn: full, stmts: map[string]*cachedStmt{}}, nil
}

// fullConn is what modernc's connection implements and database/sql uses.
type fullConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type fullStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

type cachedStmt struct {
	fullStmt
	busy bool // rows from it are open
}

// cachingConn is used by one goroutine at a time (database/sql's rule).
type cachingConn struct {
	fullConn
	stmts map[string]*cachedStmt
}

// stmt returns q prepared, or nil when q should run unprepared: a script
// of several statements, one that fails to prepare (its error then comes
// from running it), a full cache, or the statement busy with open rows.
func (c *cachingConn) stmt(ctx context.Context, q string) *cachedStmt {
	if s, ok := c.stmts[q]; ok {
		if s.busy {
			return nil
		}
		return s
	}
	if len(c.stmts) >= maxConnStmts || strings.Contains(strings.TrimRight(q, "; \t\n"), ";") {
		return nil
	}
	ds, err := c.fullConn.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	fs, ok := ds.(fullStmt)
	if !ok {
		ds.Close()
		return nil
	}
	s := &cachedStmt{fullStmt: fs}
	c.stmts[q] = s
	return s
}

func (c *cachingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	if s := c.stmt(ctx, q); s != nil {
		return s.ExecContext(ctx, args)
	}
	return c.fullConn.ExecContext(ctx, q, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	s := c.stmt(ctx, q)
	if s == nil {
		return c.fullConn.QueryContext(ctx, q, args)
	}
	rows, err := s.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	s.busy = true
	return &cachedRows{Rows: rows, s: s}, nil
}

func (c *cachingConn) Close() error {
	for _, s := range c.stmts {
		s.Close()
	}
	c.stmts = nil
	return c.fullConn.Close()
}

// cachedRows frees its statement for the next query when closed.
type cachedRows struct {
	driver.Rows
	s *cachedStmt
}

func (r *cachedRows) Close() error {
	r.s.busy = false
	return r.Rows.Close()
}
