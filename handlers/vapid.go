package handlers

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"roost/store"
)

// Settings holding the Web Push (VAPID, RFC 8292) key pair: a P-256 key,
// as base64url of the private scalar and of the uncompressed public point,
// which is the form apps and push services use.
const (
	settingVAPIDPrivate = "vapid_private_key"
	settingVAPIDPublic  = "vapid_public_key"
)

// ensureVAPID makes the server's VAPID key pair on first start and returns
// its public key, which the instance entity publishes.
func ensureVAPID(ctx context.Context, st *store.Store) (string, error) {
	pub, err := st.GetSetting(ctx, settingVAPIDPublic)
	if err == nil {
		return pub, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return "", fmt.Errorf("generate VAPID key: %w", err)
	}
	pub = base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes())
	if err := st.SetSetting(ctx, settingVAPIDPrivate, base64.RawURLEncoding.EncodeToString(key.Bytes())); err != nil {
		return "", err
	}
	if err := st.SetSetting(ctx, settingVAPIDPublic, pub); err != nil {
		return "", err
	}
	return pub, nil
}
