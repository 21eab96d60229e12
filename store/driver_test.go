package store

import (
	"context"
	"database/sql"
	"testing"
)

// TestWriterStatementsStayCorrectWhenReused: the writer connection keeps
// statements prepared, so the same query run again while its rows are
// still open, a script of several statements, and a query that cannot be
// prepared must all behave as unprepared ones do.
func TestWriterStatementsStayCorrectWhenReused(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	err := st.write(ctx, func(tx *sql.Tx) error {
		// A script: both statements run.
		if _, err := tx.Exec(`CREATE TABLE d (n INTEGER); INSERT INTO d VALUES (1), (2), (3);`); err != nil {
			return err
		}
		for i := 4; i <= 6; i++ {
			if _, err := tx.Exec(`INSERT INTO d VALUES (?)`, i); err != nil {
				return err
			}
		}
		// The same query nested in its own open rows.
		outer, err := tx.Query(`SELECT n FROM d WHERE n <= ? ORDER BY n`, 6)
		if err != nil {
			return err
		}
		defer outer.Close()
		sum := 0
		for outer.Next() {
			var n int
			outer.Scan(&n)
			inner, err := tx.Query(`SELECT n FROM d WHERE n <= ? ORDER BY n`, n)
			if err != nil {
				return err
			}
			for inner.Next() {
				var m int
				inner.Scan(&m)
				sum += m
			}
			inner.Close()
		}
		if err := outer.Err(); err != nil {
			return err
		}
		// 1 + 3 + 6 + 10 + 15 + 21
		if sum != 56 {
			t.Errorf("nested sums %d, want 56", sum)
		}
		if _, err := tx.Exec(`INSERT INTO missing VALUES (1)`); err == nil {
			t.Error("insert into a missing table succeeded")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var n, total int
	if err := st.r.QueryRow(`SELECT count(*), sum(n) FROM d`).Scan(&n, &total); err != nil || n != 6 || total != 21 {
		t.Fatalf("rows %d sum %d (%v), want 6 and 21", n, total, err)
	}
}
