// Package store is Roost's SQLite database: opening it with pragmas chosen
// for an SD card (one writer connection and a small reader pool), the
// numbered schema migrations embedded in the binary, row types, time-sortable
// ids and one file of queries per aggregate.
//
// It imports only the standard library and modernc.org/sqlite.
package store
