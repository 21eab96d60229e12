package store

import (
	"context"
	"fmt"
	"strings"
)

// IntegrityCheck runs SQLite's integrity check on the database and returns
// its report: "ok" for a sound file, else one problem per line.
func (s *Store) IntegrityCheck(ctx context.Context) (string, error) {
	rows, err := s.r.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return "", fmt.Errorf("integrity check: %w", err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", fmt.Errorf("integrity check: %w", err)
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("integrity check: %w", err)
	}
	return strings.Join(lines, "\n"), nil
}
