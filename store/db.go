package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNotFound is returned when a row does not exist; it wraps sql.ErrNoRows.
var ErrNotFound = fmt.Errorf("not found: %w", sql.ErrNoRows)

// ErrConflict is returned when a write would break a uniqueness rule.
var ErrConflict = errors.New("already exists")

// ErrNewerSchema is returned by Open for a data file written by a newer Roost.
var ErrNewerSchema = errors.New("data file was written by a newer version of roost")

// ErrNotRoost is returned by Open for an SQLite file that is not a Roost data file.
var ErrNotRoost = errors.New("not a roost data file")

// Config says where the database lives.
type Config struct {
	// Path is the SQLite file; it is created if missing.
	Path string
	// Readers is the size of the reader pool (default 4).
	Readers int
}

// Store is the database: one writer connection and a pool of readers.
type Store struct {
	w       *sql.DB // exactly one connection: SQLite has one writer at a time
	r       *sql.DB // read-only pool
	ids     *idGen
	path    string
	stmts   stmtCache
	commits committer
}

// Open opens (creating if needed) the database at cfg.Path and applies
// pending migrations. A file from a newer Roost is refused untouched.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Readers <= 0 {
		cfg.Readers = 4
	}
	wdsn := dsn(cfg.Path, false)
	if fi, err := os.Stat(cfg.Path); errors.Is(err, os.ErrNotExist) || (err == nil && fi.Size() == 0) {
		// A new file gives the pages pruning frees back to the file
		// system (see Prune). This must come before anything is written,
		// the switch to WAL included; on an existing file the pragma
		// would write to it, so it is set only here.
		wdsn = strings.Replace(wdsn, "?", "?_pragma=auto_vacuum%28INCREMENTAL%29&", 1)
	}
	w, err := sql.Open(writerDriver, wdsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", cfg.Path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w, migrationFiles); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn(cfg.Path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", cfg.Path, err)
	}
	r.SetMaxOpenConns(cfg.Readers)
	r.SetMaxIdleConns(cfg.Readers)
	return &Store{w: w, r: r, ids: newIDGen(), path: cfg.Path}, nil
}

// dsn builds the connection string. Pragmas go in the DSN so that every
// connection the pool opens gets them (an Exec'd pragma applies to one
// connection only).
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	// busy_timeout MUST BE SET BEFORE the journal mode: switching to WAL
	// takes a lock, and without a timeout a second connection opening at
	// the same moment fails with SQLITE_BUSY instead of waiting.
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	// NORMAL in WAL mode is crash safe (a power cut may lose the last
	// transactions, never corrupt the file) and saves an fsync per commit,
	// which an SD card feels.
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	// 2 MiB page cache per connection keeps memory small on a Pi.
	q.Add("_pragma", "cache_size(-2048)")
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		// BEGIN IMMEDIATE: take the write lock at the start of every
		// transaction, so read-then-write transactions never fail with
		// SQLITE_BUSY half way.
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// Close checkpoints the WAL into the main file, so that the next start has
// no recovery work, and closes every connection.
func (s *Store) Close() error {
	_, cerr := s.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	s.stmts.close()
	rerr := s.r.Close()
	werr := s.w.Close()
	return errors.Join(cerr, rerr, werr)
}

// Checkpoint folds the WAL into the database file and truncates it. Busy
// readers can otherwise let the WAL grow without bound.
func (s *Store) Checkpoint(ctx context.Context) error {
	_, err := s.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

// Backup writes a consistent copy of the database to path (VACUUM INTO),
// safe to run while Roost serves.
func (s *Store) Backup(ctx context.Context, path string) error {
	// VACUUM INTO only reads this database, but the reader pool is
	// query_only and the writer must stay free for the server: use a
	// connection of its own.
	db, err := sql.Open("sqlite", dsn(s.path, false))
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "VACUUM INTO ?", path)
	if err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

// notFound turns sql.ErrNoRows into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// conflict turns a uniqueness violation into ErrConflict.
func conflict(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %s", ErrConflict, strings.TrimPrefix(se.Error(), "constraint failed: "))
		}
	}
	return err
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}
