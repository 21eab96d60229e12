package ap

import (
	"context"
	"crypto/rsa"

	"roost/store"
)

// CreateOwner stores the owner of a new data file: the account laid out by
// urls, with key (a fresh RSA-2048 key when nil) and the password hash.
// edit, when given, adjusts the account before it is stored.
func CreateOwner(ctx context.Context, st *store.Store, urls URLs, key *rsa.PrivateKey, passwordHash string, edit func(*store.Account)) (*store.Owner, error) {
	if key == nil {
		var err error
		if key, err = GenerateKey(); err != nil {
			return nil, err
		}
	}
	pub, err := EncodePublicKeyPEM(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	priv, err := EncodePrivateKeyPEM(key)
	if err != nil {
		return nil, err
	}
	o := &store.Owner{Account: urls.OwnerAccount(pub), PasswordHash: passwordHash, PrivateKeyPEM: priv}
	if edit != nil {
		edit(o.Account)
	}
	if err := st.CreateOwner(ctx, o); err != nil {
		return nil, err
	}
	return o, nil
}
