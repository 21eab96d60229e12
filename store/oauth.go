package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// OAuthApp is a client application registered through POST /api/v1/apps.
// Its secret is kept only as a hash.
type OAuthApp struct {
	ID               int64
	ClientID         string
	ClientSecretHash string
	Name             string
	Website          string
	RedirectURIs     []string
	Scopes           []string
	CreatedAt        time.Time
}

// CheckSecret reports whether secret is the app's client secret, in
// constant time.
func (a *OAuthApp) CheckSecret(secret string) bool {
	h := HashSecret(secret)
	return subtle.ConstantTimeCompare([]byte(h), []byte(a.ClientSecretHash)) == 1
}

// OAuthCode is an authorization code waiting to be exchanged for a token.
type OAuthCode struct {
	AppID           int64
	Scopes          []string
	RedirectURI     string
	Challenge       string // PKCE code_challenge; "" without PKCE
	ChallengeMethod string // "S256" or ""
	ExpiresAt       time.Time
}

// OAuthToken is an access token. Owner is false for client_credentials
// tokens, which act for the app alone.
type OAuthToken struct {
	ID         int64
	AppID      int64
	Scopes     []string
	Owner      bool
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// HashSecret returns the hex SHA-256 of a client secret, code or token: the
// only form in which they are stored. The secrets are 32 random bytes, so
// a fast unsalted hash is enough (nothing to brute-force).
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// InsertOAuthApp stores a new app, setting a.ID and a.CreatedAt.
func (s *Store) InsertOAuthApp(ctx context.Context, a *OAuthApp) error {
	if a.CreatedAt.IsZero() {
		a.CreatedAt = timeNow()
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO oauth_apps
			(client_id, client_secret_hash, name, website, redirect_uris, scopes, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			a.ClientID, a.ClientSecretHash, a.Name, a.Website,
			strings.Join(a.RedirectURIs, "\n"), strings.Join(a.Scopes, " "), millis(a.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert oauth app %q: %w", a.Name, conflict(err))
		}
		a.ID, err = res.LastInsertId()
		return err
	})
}

const oauthAppColumns = `id, client_id, client_secret_hash, name, website, redirect_uris, scopes, created_at`

func scanOAuthApp(sc scanner) (*OAuthApp, error) {
	var a OAuthApp
	var redirects, scopes string
	var created int64
	err := sc.Scan(&a.ID, &a.ClientID, &a.ClientSecretHash, &a.Name, &a.Website, &redirects, &scopes, &created)
	if err != nil {
		return nil, notFound(err)
	}
	a.RedirectURIs = strings.Split(redirects, "\n")
	a.Scopes = strings.Fields(scopes)
	a.CreatedAt = fromMillis(created)
	return &a, nil
}

// GetOAuthApp returns the app with the given id.
func (s *Store) GetOAuthApp(ctx context.Context, id int64) (*OAuthApp, error) {
	a, err := scanOAuthApp(s.r.QueryRowContext(ctx,
		`SELECT `+oauthAppColumns+` FROM oauth_apps WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("get oauth app %d: %w", id, err)
	}
	return a, nil
}

// GetOAuthAppByClientID returns the app with the given client_id.
func (s *Store) GetOAuthAppByClientID(ctx context.Context, clientID string) (*OAuthApp, error) {
	a, err := scanOAuthApp(s.r.QueryRowContext(ctx,
		`SELECT `+oauthAppColumns+` FROM oauth_apps WHERE client_id = ?`, clientID))
	if err != nil {
		return nil, fmt.Errorf("get oauth app by client id: %w", err)
	}
	return a, nil
}

// InsertOAuthCode stores an authorization code under the hash of code.
// Expired codes are swept in the same transaction, so the table stays
// small without a janitor.
func (s *Store) InsertOAuthCode(ctx context.Context, code string, c *OAuthCode) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM oauth_codes WHERE expires_at < ?`, millis(timeNow())); err != nil {
			return fmt.Errorf("sweep oauth codes: %w", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO oauth_codes
			(code_hash, app_id, scopes, redirect_uri, code_challenge, challenge_method, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			HashSecret(code), c.AppID, strings.Join(c.Scopes, " "), c.RedirectURI,
			c.Challenge, c.ChallengeMethod, millis(c.ExpiresAt))
		if err != nil {
			return fmt.Errorf("insert oauth code: %w", conflict(err))
		}
		return nil
	})
}

// TakeOAuthCode deletes the code and returns what it granted: a code can
// be presented once, whether or not the exchange then succeeds. Expiry is
// the caller's to check. ErrNotFound if there is no such code.
func (s *Store) TakeOAuthCode(ctx context.Context, code string) (*OAuthCode, error) {
	var c OAuthCode
	err := s.write(ctx, func(tx *sql.Tx) error {
		var scopes string
		var expires int64
		err := tx.QueryRowContext(ctx, `DELETE FROM oauth_codes WHERE code_hash = ?
			RETURNING app_id, scopes, redirect_uri, code_challenge, challenge_method, expires_at`,
			HashSecret(code)).Scan(&c.AppID, &scopes, &c.RedirectURI, &c.Challenge, &c.ChallengeMethod, &expires)
		if err != nil {
			return fmt.Errorf("take oauth code: %w", notFound(err))
		}
		c.Scopes = strings.Fields(scopes)
		c.ExpiresAt = fromMillis(expires)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// InsertOAuthToken stores an access token under the hash of token,
// setting t.ID and t.CreatedAt.
func (s *Store) InsertOAuthToken(ctx context.Context, token string, t *OAuthToken) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = timeNow()
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO oauth_tokens (token_hash, app_id, scopes, owner, created_at)
			VALUES (?, ?, ?, ?, ?)`,
			HashSecret(token), t.AppID, strings.Join(t.Scopes, " "), t.Owner, millis(t.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert oauth token: %w", conflict(err))
		}
		t.ID, err = res.LastInsertId()
		return err
	})
}

// GetOAuthToken returns the token whose plaintext is token.
func (s *Store) GetOAuthToken(ctx context.Context, token string) (*OAuthToken, error) {
	var t OAuthToken
	var scopes string
	var created, used int64
	err := s.queryRow(ctx, `SELECT id, app_id, scopes, owner, created_at, last_used_at
		FROM oauth_tokens WHERE token_hash = ?`, HashSecret(token)).
		Scan(&t.ID, &t.AppID, &scopes, &t.Owner, &created, &used)
	if err != nil {
		return nil, fmt.Errorf("get oauth token: %w", notFound(err))
	}
	t.Scopes = strings.Fields(scopes)
	t.CreatedAt = fromMillis(created)
	if used != 0 {
		t.LastUsedAt = fromMillis(used)
	}
	return &t, nil
}

// TouchOAuthToken records that token id was used at.
func (s *Store) TouchOAuthToken(ctx context.Context, id int64, at time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE oauth_tokens SET last_used_at = ? WHERE id = ?`, millis(at), id)
		if err != nil {
			return fmt.Errorf("touch oauth token %d: %w", id, err)
		}
		return nil
	})
}

// DeleteOAuthToken revokes token id.
func (s *Store) DeleteOAuthToken(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM oauth_tokens WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete oauth token %d: %w", id, err)
		}
		return mustAffect(res, "oauth token", id)
	})
}
