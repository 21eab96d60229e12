package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestOAuthAppRoundTrip(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	a := &OAuthApp{ClientID: "cid", ClientSecretHash: HashSecret("secret"), Name: "Tusky",
		Website: "https://tusky.app", RedirectURIs: []string{"app://cb", "urn:ietf:wg:oauth:2.0:oob"},
		Scopes: []string{"read", "write"}}
	if err := st.InsertOAuthApp(ctx, a); err != nil {
		t.Fatal(err)
	}
	for _, get := range []func() (*OAuthApp, error){
		func() (*OAuthApp, error) { return st.GetOAuthApp(ctx, a.ID) },
		func() (*OAuthApp, error) { return st.GetOAuthAppByClientID(ctx, "cid") },
	} {
		got, err := get()
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Tusky" || !slices.Equal(got.RedirectURIs, a.RedirectURIs) || !slices.Equal(got.Scopes, a.Scopes) {
			t.Errorf("got %+v", got)
		}
		if !got.CheckSecret("secret") || got.CheckSecret("Secret") || got.CheckSecret("") {
			t.Error("CheckSecret is wrong")
		}
	}
	if _, err := st.GetOAuthAppByClientID(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown client id: %v", err)
	}
	if err := st.InsertOAuthApp(ctx, &OAuthApp{ClientID: "cid", Name: "again"}); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate client id: %v", err)
	}
}

func TestOAuthCodeIsSingleUse(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	a := &OAuthApp{ClientID: "cid", Name: "x", RedirectURIs: []string{"app://cb"}, Scopes: []string{"read"}}
	if err := st.InsertOAuthApp(ctx, a); err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(10 * time.Minute).Truncate(time.Millisecond)
	c := &OAuthCode{AppID: a.ID, Scopes: []string{"read"}, RedirectURI: "app://cb", Challenge: "ch", ChallengeMethod: "S256", ExpiresAt: exp}
	if err := st.InsertOAuthCode(ctx, "the-code", c); err != nil {
		t.Fatal(err)
	}
	got, err := st.TakeOAuthCode(ctx, "the-code")
	if err != nil {
		t.Fatal(err)
	}
	if got.AppID != a.ID || got.Challenge != "ch" || got.ChallengeMethod != "S256" || !got.ExpiresAt.Equal(exp) || got.RedirectURI != "app://cb" {
		t.Errorf("got %+v", got)
	}
	if _, err := st.TakeOAuthCode(ctx, "the-code"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second take: %v", err)
	}
}

func TestOAuthExpiredCodesAreSwept(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	a := &OAuthApp{ClientID: "cid", Name: "x", RedirectURIs: []string{"app://cb"}, Scopes: []string{"read"}}
	if err := st.InsertOAuthApp(ctx, a); err != nil {
		t.Fatal(err)
	}
	old := &OAuthCode{AppID: a.ID, RedirectURI: "app://cb", ExpiresAt: time.Now().Add(-time.Minute)}
	if err := st.InsertOAuthCode(ctx, "old", old); err != nil {
		t.Fatal(err)
	}
	fresh := &OAuthCode{AppID: a.ID, RedirectURI: "app://cb", ExpiresAt: time.Now().Add(time.Minute)}
	if err := st.InsertOAuthCode(ctx, "fresh", fresh); err != nil {
		t.Fatal(err)
	}
	if _, err := st.TakeOAuthCode(ctx, "old"); !errors.Is(err, ErrNotFound) {
		t.Errorf("expired code survived: %v", err)
	}
}

func TestOAuthTokensAreStoredHashed(t *testing.T) {
	st := newTestStore(t)
	ctx := context.Background()
	a := &OAuthApp{ClientID: "cid", ClientSecretHash: HashSecret("client-secret-plaintext"), Name: "x",
		RedirectURIs: []string{"app://cb"}, Scopes: []string{"read"}}
	if err := st.InsertOAuthApp(ctx, a); err != nil {
		t.Fatal(err)
	}
	const plain = "token-plaintext-0123456789abcdef"
	tok := &OAuthToken{AppID: a.ID, Scopes: []string{"read", "write"}, Owner: true}
	if err := st.InsertOAuthToken(ctx, plain, tok); err != nil {
		t.Fatal(err)
	}
	if err := st.InsertOAuthCode(ctx, "code-plaintext-0123456789", &OAuthCode{AppID: a.ID, RedirectURI: "app://cb", ExpiresAt: time.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetOAuthToken(ctx, plain)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != tok.ID || !got.Owner || !slices.Equal(got.Scopes, tok.Scopes) || !got.LastUsedAt.IsZero() {
		t.Errorf("got %+v", got)
	}
	at := time.Now().Truncate(time.Millisecond)
	if err := st.TouchOAuthToken(ctx, tok.ID, at); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.GetOAuthToken(ctx, plain); !got.LastUsedAt.Equal(at) {
		t.Errorf("last used %v, want %v", got.LastUsedAt, at)
	}

	// A consistent copy of the whole file holds no plaintext secret.
	backup := filepath.Join(t.TempDir(), "copy.db")
	if err := st.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{plain, "client-secret-plaintext", "code-plaintext-0123456789"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("%q stored in plaintext", secret)
		}
	}
	if !strings.Contains(string(b), HashSecret(plain)) {
		t.Error("token hash not found in the file")
	}

	if err := st.DeleteOAuthToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetOAuthToken(ctx, plain); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoked token: %v", err)
	}
	if err := st.DeleteOAuthToken(ctx, tok.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second revoke: %v", err)
	}
}
