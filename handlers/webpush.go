package handlers

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"roost/store"
)

// Web Push message encryption and VAPID, with the standard library:
//   - RFC 8291 (Message Encryption for Web Push) over RFC 8188
//     (aes128gcm), which apps ask for with subscription[standard]=true;
//   - the legacy "aesgcm" encoding of draft-ietf-webpush-encryption-04 over
//     draft-ietf-httpbis-encryption-encoding-03, which Mastodon still uses
//     for every other subscription;
//   - RFC 8292 (VAPID) JWTs signed with ES256.

// pushRecordSize is the aes128gcm record size: the whole message is one
// record, so it also bounds the payload.
const pushRecordSize = 4096

// maxPushPayload is the largest plaintext Roost pushes: RFC 8291 section
// 4 says push services need only accept 4096 bytes of message, and the
// aes128gcm header, delimiter and tag take 103 of them.
const maxPushPayload = pushRecordSize - 86 - 17

// vapidTTL is how long a VAPID JWT is valid (RFC 8292 section 2: at most
// 24 hours).
const vapidTTL = 12 * time.Hour

var errPushKeys = errors.New("invalid push subscription keys")

// pushKeys are an app's subscription keys: its P-256 public key and its
// authentication secret.
type pushKeys struct {
	pub  *ecdh.PublicKey
	auth []byte
}

// decodeB64 decodes base64url as apps send it, with or without padding;
// some send the standard alphabet, which is accepted too.
func decodeB64(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	s = strings.NewReplacer("+", "-", "/", "_").Replace(s)
	return base64.RawURLEncoding.DecodeString(s)
}

var b64 = base64.RawURLEncoding

// parsePushKeys checks the keys of a subscription: p256dh an uncompressed
// P-256 point (65 bytes), auth 16 bytes.
func parsePushKeys(p256dh, auth string) (*pushKeys, error) {
	pb, err := decodeB64(p256dh)
	if err != nil || len(pb) != 65 {
		return nil, fmt.Errorf("%w: p256dh is not a P-256 public key", errPushKeys)
	}
	pub, err := ecdh.P256().NewPublicKey(pb)
	if err != nil {
		return nil, fmt.Errorf("%w: p256dh: %w", errPushKeys, err)
	}
	ab, err := decodeB64(auth)
	if err != nil || len(ab) != 16 {
		return nil, fmt.Errorf("%w: auth is not 16 bytes", errPushKeys)
	}
	return &pushKeys{pub: pub, auth: ab}, nil
}

// pushMessage is an encrypted push: the body and, for aesgcm, what goes
// in the Encryption and Crypto-Key headers.
type pushMessage struct {
	body     []byte
	encoding string // aes128gcm or aesgcm
	// salt and dh (the server's ephemeral public key) are sent in headers
	// for aesgcm; aes128gcm carries them in the body.
	salt, dh []byte
}

// pushEphemeral makes what each message needs afresh: the server's
// ephemeral key pair and a random salt.
func pushEphemeral() (*ecdh.PrivateKey, []byte, error) {
	eph, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	return eph, salt, nil
}

// encryptAES128GCM encrypts plaintext for k as RFC 8291 says.
func encryptAES128GCM(k *pushKeys, plaintext []byte) (*pushMessage, error) {
	eph, salt, err := pushEphemeral()
	if err != nil {
		return nil, err
	}
	return sealAES128GCM(k, eph, salt, plaintext)
}

// sealAES128GCM is encryptAES128GCM with a given ephemeral key and salt:
// one record whose header carries the salt, the record size and the
// ephemeral public key as key id.
func sealAES128GCM(k *pushKeys, eph *ecdh.PrivateKey, salt, plaintext []byte) (*pushMessage, error) {
	if len(plaintext) > maxPushPayload {
		return nil, fmt.Errorf("push payload of %d bytes is too large", len(plaintext))
	}
	secret, err := eph.ECDH(k.pub)
	if err != nil {
		return nil, err
	}
	asPub := eph.PublicKey().Bytes()
	// RFC 8291 section 3.4: IKM from the ECDH secret, keyed by the auth
	// secret, with both public keys in the info.
	prkKey, err := hkdf.Extract(sha256.New, secret, k.auth)
	if err != nil {
		return nil, err
	}
	keyInfo := "WebPush: info\x00" + string(k.pub.Bytes()) + string(asPub)
	ikm, err := hkdf.Expand(sha256.New, prkKey, keyInfo, 32)
	if err != nil {
		return nil, err
	}
	// RFC 8188 sections 2.2 and 2.3: the content key and nonce.
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	// The only record is the last: its padding delimiter is 0x02.
	record := append(append([]byte{}, plaintext...), 0x02)
	sealed, err := gcmSeal(cek, nonce, record)
	if err != nil {
		return nil, err
	}
	var body bytes.Buffer
	body.Write(salt)
	binary.Write(&body, binary.BigEndian, uint32(pushRecordSize))
	body.WriteByte(byte(len(asPub)))
	body.Write(asPub)
	body.Write(sealed)
	return &pushMessage{body: body.Bytes(), encoding: "aes128gcm"}, nil
}

// encryptAESGCM encrypts plaintext for k in the legacy aesgcm encoding.
func encryptAESGCM(k *pushKeys, plaintext []byte) (*pushMessage, error) {
	eph, salt, err := pushEphemeral()
	if err != nil {
		return nil, err
	}
	return sealAESGCM(k, eph, salt, plaintext)
}

// sealAESGCM is encryptAESGCM with a given ephemeral key and salt, as
// draft-ietf-webpush-encryption-04 says: the keys are derived with a
// "P-256" context naming both public keys, the record starts with a
// two-byte padding length, and the salt and the ephemeral public key
// travel in the Encryption and Crypto-Key headers.
func sealAESGCM(k *pushKeys, eph *ecdh.PrivateKey, salt, plaintext []byte) (*pushMessage, error) {
	if len(plaintext) > maxPushPayload {
		return nil, fmt.Errorf("push payload of %d bytes is too large", len(plaintext))
	}
	secret, err := eph.ECDH(k.pub)
	if err != nil {
		return nil, err
	}
	asPub := eph.PublicKey().Bytes()
	ikm, err := hkdf.Key(sha256.New, secret, k.auth, "Content-Encoding: auth\x00", 32)
	if err != nil {
		return nil, err
	}
	ctx := aesgcmContext(k.pub.Bytes(), asPub)
	cek, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aesgcm\x00"+ctx, 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00"+ctx, 12)
	if err != nil {
		return nil, err
	}
	record := append([]byte{0, 0}, plaintext...) // no padding
	sealed, err := gcmSeal(cek, nonce, record)
	if err != nil {
		return nil, err
	}
	return &pushMessage{body: sealed, encoding: "aesgcm", salt: salt, dh: asPub}, nil
}

// aesgcmContext is the context of the legacy encoding: the curve name,
// then the receiver's and the sender's public keys, each with a two-byte
// length.
func aesgcmContext(uaPub, asPub []byte) string {
	var b bytes.Buffer
	b.WriteString("P-256\x00")
	binary.Write(&b, binary.BigEndian, uint16(len(uaPub)))
	b.Write(uaPub)
	binary.Write(&b, binary.BigEndian, uint16(len(asPub)))
	b.Write(asPub)
	return b.String()
}

func gcmSeal(key, nonce, plaintext []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return gcm.Seal(nil, nonce, plaintext, nil), nil
}

// vapidKey is the server's VAPID key pair: the private key signs JWTs,
// the public key (base64url of the uncompressed point) is what apps are
// given as server_key.
type vapidKey struct {
	priv *ecdsa.PrivateKey
	pub  string
}

// parseVAPID reads the key pair as ensureVAPID stores it.
func parseVAPID(privB64, pubB64 string) (*vapidKey, error) {
	d, err := decodeB64(privB64)
	if err != nil {
		return nil, fmt.Errorf("VAPID private key: %w", err)
	}
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		return nil, fmt.Errorf("VAPID private key: %w", err)
	}
	return &vapidKey{priv: priv, pub: pubB64}, nil
}

// loadVAPID reads the server's VAPID key pair from the settings.
func loadVAPID(ctx context.Context, st *store.Store) (*vapidKey, error) {
	priv, err := st.GetSetting(ctx, settingVAPIDPrivate)
	if err != nil {
		return nil, fmt.Errorf("load VAPID key: %w", err)
	}
	pub, err := st.GetSetting(ctx, settingVAPIDPublic)
	if err != nil {
		return nil, fmt.Errorf("load VAPID key: %w", err)
	}
	return parseVAPID(priv, pub)
}

// jwt signs the RFC 8292 token for a push service: aud is the origin of
// the endpoint, sub how to reach the sender.
func (k *vapidKey) jwt(aud, sub string, exp time.Time) (string, error) {
	header := b64.EncodeToString([]byte(`{"typ":"JWT","alg":"ES256"}`))
	claims, err := json.Marshal(struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}{aud, exp.Unix(), sub})
	if err != nil {
		return "", err
	}
	signed := header + "." + b64.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signed))
	r, s, err := ecdsa.Sign(rand.Reader, k.priv, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign VAPID token: %w", err)
	}
	// JWS ES256 signatures are r and s as 32 bytes each, not ASN.1.
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signed + "." + b64.EncodeToString(sig), nil
}

// endpointOrigin is the audience of a VAPID token: the endpoint's scheme
// and host.
func endpointOrigin(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("push endpoint %q is not a URL", endpoint)
	}
	return u.Scheme + "://" + u.Host, nil
}

// newPushRequest builds the POST of payload to sub's endpoint: encrypted
// as the subscription asks, with Mastodon's headers and a VAPID token
// from key naming contact (a mailto: or https: URL).
func newPushRequest(ctx context.Context, sub *store.PushSubscription, payload []byte, key *vapidKey, contact string, now time.Time) (*http.Request, error) {
	keys, err := parsePushKeys(sub.P256dh, sub.Auth)
	if err != nil {
		return nil, err
	}
	aud, err := endpointOrigin(sub.Endpoint)
	if err != nil {
		return nil, err
	}
	var msg *pushMessage
	if sub.Standard {
		msg, err = encryptAES128GCM(keys, payload)
	} else {
		msg, err = encryptAESGCM(keys, payload)
	}
	if err != nil {
		return nil, err
	}
	token, err := key.jwt(aud, contact, now.Add(vapidTTL))
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.Endpoint, bytes.NewReader(msg.body))
	if err != nil {
		return nil, err
	}
	h := req.Header
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Encoding", msg.encoding)
	h.Set("TTL", strconv.Itoa(int(pushTTL/time.Second)))
	h.Set("Urgency", "normal")
	if sub.Standard {
		// RFC 8292 section 3.
		h.Set("Authorization", "vapid t="+token+", k="+key.pub)
	} else {
		// The pre-RFC form that Mastodon (the webpush gem) sends with
		// aesgcm.
		h.Set("Authorization", "WebPush "+token)
		h.Set("Crypto-Key", "dh="+b64.EncodeToString(msg.dh)+";p256ecdsa="+key.pub)
		h.Set("Encryption", "salt="+b64.EncodeToString(msg.salt))
	}
	return req, nil
}
