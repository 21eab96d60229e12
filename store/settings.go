package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Setting keys kept in the settings table.
const (
	// SettingBaseURL is the public URL the data file was made for; every
	// object id depends on it, so it never changes.
	SettingBaseURL = "base_url"
)

// GetSetting returns the value stored under key, or ErrNotFound.
func (s *Store) GetSetting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.queryRow(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if err != nil {
		return "", notFound(err)
	}
	return v, nil
}

// SetSetting stores value under key.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
		if err != nil {
			return fmt.Errorf("set %s: %w", key, err)
		}
		return nil
	})
}

// Posting defaults the owner sets in an app (update_credentials source[…]).
const (
	SettingDefaultPrivacy   = "default_privacy"
	SettingDefaultSensitive = "default_sensitive"
	SettingDefaultLanguage  = "default_language"
)

// PostingDefaults are the owner's defaults for new statuses.
type PostingDefaults struct {
	Privacy   string
	Sensitive bool
	Language  string
}

// GetPostingDefaults reads the owner's posting defaults (public, not
// sensitive, no language until set).
func (s *Store) GetPostingDefaults(ctx context.Context) (PostingDefaults, error) {
	d := PostingDefaults{Privacy: Public}
	rows, err := s.query(ctx, `SELECT key, value FROM settings WHERE key IN (?, ?, ?)`,
		SettingDefaultPrivacy, SettingDefaultSensitive, SettingDefaultLanguage)
	if err != nil {
		return d, err
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return d, err
		}
		switch k {
		case SettingDefaultPrivacy:
			d.Privacy = v
		case SettingDefaultSensitive:
			d.Sensitive = v == "1"
		case SettingDefaultLanguage:
			d.Language = v
		}
	}
	return d, rows.Err()
}
