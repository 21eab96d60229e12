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
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"roost/ap"
	"roost/store"
)

// pushApp is an app's side of Web Push: its keys, and a push service
// that records what it is sent and answers with the statuses it is told.
type pushApp struct {
	t    *testing.T
	priv *ecdh.PrivateKey
	auth []byte
	srv  *httptest.Server

	mu       sync.Mutex
	got      []*http.Request
	bodies   [][]byte
	statuses []int // answers to give, in order; then 201
}

func newPushApp(t *testing.T) *pushApp {
	t.Helper()
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a := &pushApp{t: t, priv: priv, auth: make([]byte, 16)}
	rand.Read(a.auth)
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.got = append(a.got, r)
		a.bodies = append(a.bodies, body)
		code := http.StatusCreated
		if len(a.statuses) > 0 {
			code, a.statuses = a.statuses[0], a.statuses[1:]
		}
		a.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *pushApp) answer(codes ...int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.statuses = codes
}

func (a *pushApp) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.got)
}

// subscribe POSTs a subscription with extra parameters.
func (a *pushApp) subscribe(e *testEnv, token string, extra url.Values) map[string]any {
	a.t.Helper()
	form := url.Values{
		"subscription[endpoint]":       {a.srv.URL + "/push/abc"},
		"subscription[keys][p256dh]":   {b64.EncodeToString(a.priv.PublicKey().Bytes())},
		"subscription[keys][auth]":     {b64.EncodeToString(a.auth)},
		"data[alerts][mention]":        {"true"},
		"data[alerts][favourite]":      {"true"},
		"data[alerts][follow]":         {"true"},
		"data[alerts][follow_request]": {"false"},
	}
	for k, v := range extra {
		form[k] = v
	}
	code, body := pushCall(e, token, "POST", form)
	if code != http.StatusOK {
		a.t.Fatalf("subscribe: %d %s", code, body)
	}
	return body
}

// pushCall sends a request to /api/v1/push/subscription.
func pushCall(e *testEnv, token, method string, form url.Values) (int, map[string]any) {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, e.srv.URL+"/api/v1/push/subscription", body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		e.t.Fatalf("%s: %v in %s", method, err, b)
	}
	return resp.StatusCode, out
}

// received decrypts push number i, checks its headers and VAPID token,
// and returns its JSON payload.
func (a *pushApp) received(i int, serverKey string) map[string]any {
	a.t.Helper()
	a.mu.Lock()
	r, body := a.got[i], a.bodies[i]
	a.mu.Unlock()
	t := a.t
	if r.Header.Get("TTL") != "172800" || r.Header.Get("Urgency") != "normal" {
		t.Errorf("TTL %q, Urgency %q", r.Header.Get("TTL"), r.Header.Get("Urgency"))
	}
	var plain []byte
	var jwt string
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "aes128gcm":
		auth := r.Header.Get("Authorization")
		tok, key, ok := strings.Cut(strings.TrimPrefix(auth, "vapid t="), ", k=")
		if !ok || key != serverKey {
			t.Fatalf("Authorization %q, want vapid t=…, k=%s", auth, serverKey)
		}
		jwt = tok
		plain = decryptAES128GCM(t, a.priv, a.auth, body)
	case "aesgcm":
		jwt = strings.TrimPrefix(r.Header.Get("Authorization"), "WebPush ")
		ck := headerParams(r.Header.Get("Crypto-Key"))
		if ck["p256ecdsa"] != serverKey {
			t.Errorf("Crypto-Key %q, want p256ecdsa=%s", r.Header.Get("Crypto-Key"), serverKey)
		}
		plain = decryptAESGCM(t, a.priv, a.auth, ck["dh"], headerParams(r.Header.Get("Encryption"))["salt"], body)
	default:
		t.Fatalf("Content-Encoding %q", enc)
	}
	checkVAPID(t, jwt, serverKey, a.srv.URL)
	var p map[string]any
	if err := json.Unmarshal(plain, &p); err != nil {
		t.Fatalf("payload %q: %v", plain, err)
	}
	return p
}

// headerParams reads "a=b;c=d" (and "a=b, c=d").
func headerParams(h string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.FieldsFunc(h, func(r rune) bool { return r == ';' || r == ',' }) {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		out[k] = strings.Trim(v, `"`)
	}
	return out
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := decodeB64(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return b
}

func gcmOpen(t *testing.T, key, nonce, ct []byte) []byte {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := gcm.Open(nil, nonce, ct, nil)
	if err != nil {
		t.Fatalf("decrypt: %v", err)
	}
	return pt
}

// must(f())(t) is f's value, failing t on f's error.
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// decryptAES128GCM is the app's side of RFC 8291.
func decryptAES128GCM(t *testing.T, priv *ecdh.PrivateKey, auth, body []byte) []byte {
	t.Helper()
	if len(body) < 21 {
		t.Fatalf("body of %d bytes", len(body))
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if rs != 4096 || idlen != 65 {
		t.Errorf("rs %d, idlen %d", rs, idlen)
	}
	keyid, ct := body[21:21+idlen], body[21+idlen:]
	asPub := must(ecdh.P256().NewPublicKey(keyid))(t)
	secret := must(priv.ECDH(asPub))(t)
	prkKey := must(hkdf.Extract(sha256.New, secret, auth))(t)
	ikm := must(hkdf.Expand(sha256.New, prkKey, "WebPush: info\x00"+string(priv.PublicKey().Bytes())+string(keyid), 32))(t)
	prk := must(hkdf.Extract(sha256.New, ikm, salt))(t)
	cek := must(hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16))(t)
	nonce := must(hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12))(t)
	pt := gcmOpen(t, cek, nonce, ct)
	end := len(pt) - 1
	for end >= 0 && pt[end] == 0 {
		end--
	}
	if end < 0 || pt[end] != 0x02 {
		t.Fatalf("no last-record delimiter in %x", pt)
	}
	return pt[:end]
}

// decryptAESGCM is the app's side of draft-ietf-webpush-encryption-04.
func decryptAESGCM(t *testing.T, priv *ecdh.PrivateKey, auth []byte, dh, salt string, body []byte) []byte {
	t.Helper()
	asPubBytes, saltBytes := mustB64(t, dh), mustB64(t, salt)
	asPub := must(ecdh.P256().NewPublicKey(asPubBytes))(t)
	secret := must(priv.ECDH(asPub))(t)
	ikm := must(hkdf.Key(sha256.New, secret, auth, "Content-Encoding: auth\x00", 32))(t)
	ua := priv.PublicKey().Bytes()
	context := "P-256\x00\x00\x41" + string(ua) + "\x00\x41" + string(asPubBytes)
	cek := must(hkdf.Key(sha256.New, ikm, saltBytes, "Content-Encoding: aesgcm\x00"+context, 16))(t)
	nonce := must(hkdf.Key(sha256.New, ikm, saltBytes, "Content-Encoding: nonce\x00"+context, 12))(t)
	pt := gcmOpen(t, cek, nonce, body)
	pad := int(binary.BigEndian.Uint16(pt))
	return pt[2+pad:]
}

// checkVAPID verifies an RFC 8292 token: ES256 by serverKey, for the
// push service's origin, expiring within a day.
func checkVAPID(t *testing.T, jwt, serverKey, origin string) {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT %q", jwt)
	}
	var header struct{ Alg, Typ string }
	var claims struct {
		Aud, Sub string
		Exp      int64
	}
	json.Unmarshal(mustB64(t, parts[0]), &header)
	json.Unmarshal(mustB64(t, parts[1]), &claims)
	if header.Alg != "ES256" {
		t.Errorf("JWT header %+v", header)
	}
	pub := must(ecdsa.ParseUncompressedPublicKey(elliptic.P256(), mustB64(t, serverKey)))(t)
	sig := mustB64(t, parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if len(sig) != 64 || !ecdsa.Verify(pub, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Error("VAPID signature does not verify with the server key")
	}
	if claims.Aud != origin {
		t.Errorf("aud %q, want %q", claims.Aud, origin)
	}
	if exp := time.Unix(claims.Exp, 0); time.Until(exp) < 11*time.Hour || time.Until(exp) > 24*time.Hour {
		t.Errorf("exp %v is not about 12 hours away", exp)
	}
	if !strings.HasPrefix(claims.Sub, "mailto:") && !strings.HasPrefix(claims.Sub, "http") {
		t.Errorf("sub %q", claims.Sub)
	}
}

// TestWebPushRFC8291Vector encrypts the example of RFC 8291 appendix A
// with its keys and salt and gets its message byte for byte.
func TestWebPushRFC8291Vector(t *testing.T) {
	ua := must(ecdh.P256().NewPrivateKey(mustB64(t, "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94")))(t)
	as := must(ecdh.P256().NewPrivateKey(mustB64(t, "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")))(t)
	keys := must(parsePushKeys(b64.EncodeToString(ua.PublicKey().Bytes()), "BTBZMqHH6r4Tts7J_aSIgg"))(t)
	msg := must(sealAES128GCM(keys, as, mustB64(t, "DGv6ra1nlYgDCS1FRnbzlw"), []byte("When I grow up, I want to be a watermelon")))(t)
	want := "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
	if got := b64.EncodeToString(msg.body); got != want {
		t.Errorf("message\n got %s\nwant %s", got, want)
	}
	if got := decryptAES128GCM(t, ua, keys.auth, msg.body); string(got) != "When I grow up, I want to be a watermelon" {
		t.Errorf("decrypted %q", got)
	}

	// The legacy encoding round-trips through the app's side.
	legacy := must(encryptAESGCM(keys, []byte("hello")))(t)
	if got := decryptAESGCM(t, ua, keys.auth, b64.EncodeToString(legacy.dh), b64.EncodeToString(legacy.salt), legacy.body); string(got) != "hello" {
		t.Errorf("aesgcm decrypted %q", got)
	}
	if _, err := encryptAES128GCM(keys, make([]byte, maxPushPayload+1)); err == nil {
		t.Error("oversized payload encrypted")
	}
	for _, bad := range [][2]string{{"", "BTBZMqHH6r4Tts7J_aSIgg"}, {b64.EncodeToString(ua.PublicKey().Bytes()), "AAAA"}, {"BAAA", "BTBZMqHH6r4Tts7J_aSIgg"}} {
		if _, err := parsePushKeys(bad[0], bad[1]); !errors.Is(err, errPushKeys) {
			t.Errorf("keys %q: %v", bad, err)
		}
	}
}

// pushEnv is a server whose federation publishes to its hub, a remote
// account and one of the owner's statuses.
type pushEnv struct {
	*testEnv
	hub    *Hub
	bob    *store.Account
	status *store.Status
	clock  time.Time
}

func newPushEnv(t *testing.T) *pushEnv {
	t.Helper()
	e, hub := newStreamEnv(t)
	bob := &store.Account{URI: "https://remote.example/users/bob", Username: "bob", Domain: "remote.example",
		DisplayName: "Bob", URL: "https://remote.example/@bob", Inbox: "https://remote.example/users/bob/inbox",
		Note: "<p>Just <em>Bob</em></p>", AvatarURL: "https://remote.example/avatar.png"}
	if err := e.st.UpsertRemoteAccount(context.Background(), bob); err != nil {
		t.Fatal(err)
	}
	pe := &pushEnv{testEnv: e, hub: hub, bob: bob, status: e.post("<p>Hello <b>world</b></p>", nil), clock: time.Now()}
	e.s.push.now = func() time.Time { return pe.clock }
	return pe
}

// notify stores a notification as federation does and publishes it.
func (e *pushEnv) notify(typ string, from int64, status *int64) *store.Notification {
	e.t.Helper()
	n := &store.Notification{Type: typ, FromAccountID: from, StatusID: status}
	err := e.st.Update(context.Background(), func(tx *store.Tx) error {
		added, err := tx.InsertNotification(n)
		if err == nil && added {
			tx.OnCommit(func() { e.hub.Publish(ap.Event{Kind: ap.EventNotification, NotificationID: n.ID}) })
		}
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *pushEnv) process() int {
	e.t.Helper()
	n, err := e.s.ProcessPush(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestPushSubscriptionAPI(t *testing.T) {
	e := newPushEnv(t)
	app := newPushApp(t)
	token := e.oauthToken("read write push")

	if code, body := pushCall(e.testEnv, token, "GET", nil); code != 404 || body["error"] != "Record not found" {
		t.Errorf("GET before subscribing: %d %v", code, body)
	}
	if code, _ := pushCall(e.testEnv, e.oauthToken("read write"), "GET", nil); code != http.StatusForbidden {
		t.Errorf("GET without the push scope: %d", code)
	}

	got := app.subscribe(e.testEnv, token, url.Values{"subscription[standard]": {"true"}, "data[policy]": {"follower"}})
	checkShape(t, "WebPushSubscription", got)
	alerts := got["alerts"].(map[string]any)
	if got["endpoint"] != app.srv.URL+"/push/abc" || got["standard"] != true || got["policy"] != "follower" ||
		got["server_key"] != e.s.vapidPublic || alerts["mention"] != true || alerts["follow_request"] != false || alerts["reblog"] != false {
		t.Errorf("POST = %v", got)
	}
	if code, again := pushCall(e.testEnv, token, "GET", nil); code != 200 || again["id"] != got["id"] || again["policy"] != "follower" {
		t.Errorf("GET = %d %v", code, again)
	}

	// PUT changes the alerts it names (the others turn off) and keeps the
	// policy it leaves out.
	code, put := pushCall(e.testEnv, token, "PUT", url.Values{"data[alerts][reblog]": {"1"}})
	checkShape(t, "WebPushSubscription", put)
	alerts = put["alerts"].(map[string]any)
	if code != 200 || alerts["reblog"] != true || alerts["mention"] != false || put["policy"] != "follower" {
		t.Errorf("PUT = %d %v", code, put)
	}
	if code, put := pushCall(e.testEnv, token, "PUT", url.Values{"data[policy]": {"none"}}); code != 200 || put["policy"] != "none" ||
		put["alerts"].(map[string]any)["reblog"] != true {
		t.Errorf("PUT policy = %d %v", code, put)
	}

	// Subscribing again replaces the subscription; legacy is the default.
	if again := app.subscribe(e.testEnv, token, nil); again["standard"] != false || again["policy"] != "all" {
		t.Errorf("POST again = %v", again)
	}

	for name, form := range map[string]url.Values{
		"http endpoint":   {"subscription[endpoint]": {"http://push.example/x"}},
		"no endpoint":     {"subscription[endpoint]": {""}},
		"short auth":      {"subscription[keys][auth]": {"AAAA"}},
		"compressed key":  {"subscription[keys][p256dh]": {"A" + strings.Repeat("B", 43)}},
		"unknown policy":  {"data[policy]": {"friends"}},
		"ftp endpoint":    {"subscription[endpoint]": {"ftp://push.example/x"}},
		"userinfo in URL": {"subscription[endpoint]": {"https://u:p@push.example/x"}},
	} {
		base := url.Values{
			"subscription[endpoint]":     {"https://push.example/x"},
			"subscription[keys][p256dh]": {b64.EncodeToString(app.priv.PublicKey().Bytes())},
			"subscription[keys][auth]":   {b64.EncodeToString(app.auth)},
		}
		for k, v := range form {
			base[k] = v
		}
		if code, body := pushCall(e.testEnv, token, "POST", base); code != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %v", name, code, body)
		}
	}
	if code, _ := pushCall(e.testEnv, token, "POST", url.Values{"data[policy]": {"all"}}); code != http.StatusBadRequest {
		t.Errorf("POST without subscription: %d", code)
	}

	if code, body := pushCall(e.testEnv, token, "DELETE", nil); code != 200 || len(body) != 0 {
		t.Errorf("DELETE = %d %v", code, body)
	}
	if code, _ := pushCall(e.testEnv, token, "GET", nil); code != 404 {
		t.Errorf("GET after DELETE: %d", code)
	}
	if code, _ := pushCall(e.testEnv, token, "PUT", url.Values{"data[policy]": {"all"}}); code != 404 {
		t.Errorf("PUT after DELETE: %d", code)
	}
}

func TestPushDelivery(t *testing.T) {
	for _, standard := range []bool{true, false} {
		name := map[bool]string{true: "aes128gcm", false: "aesgcm"}[standard]
		t.Run(name, func(t *testing.T) {
			e := newPushEnv(t)
			app := newPushApp(t)
			token := e.oauthToken("push")
			extra := url.Values{}
			if standard {
				extra.Set("subscription[standard]", "true")
			}
			app.subscribe(e.testEnv, token, extra)

			n := e.notify(store.NotifyFavourite, e.bob.ID, &e.status.ID)
			if got := e.process(); got != 1 || app.count() != 1 {
				t.Fatalf("processed %d, sent %d; want 1, 1", got, app.count())
			}
			if r := app.got[0]; r.Header.Get("Content-Encoding") != name || r.URL.Path != "/push/abc" {
				t.Errorf("Content-Encoding %q, path %q", r.Header.Get("Content-Encoding"), r.URL.Path)
			}
			p := app.received(0, e.s.vapidPublic)
			if p["notification_id"] != float64(n.ID) || p["notification_type"] != "favourite" ||
				p["title"] != "Bob favourited your post" || p["body"] != "Hello world" ||
				p["preferred_locale"] != "en" || !strings.HasPrefix(p["icon"].(string), "http") {
				t.Errorf("payload %v", p)
			}
			if _, ok := p["access_token"]; ok {
				t.Error("the payload carries an access token")
			}

			// A follow has no status: the body is the sender's bio.
			e.notify(store.NotifyFollow, e.bob.ID, nil)
			e.process()
			if p := app.received(1, e.s.vapidPublic); p["title"] != "Bob followed you" || p["body"] != "Just Bob" {
				t.Errorf("follow payload %v", p)
			}
			if got := e.process(); got != 0 || app.count() != 2 {
				t.Errorf("pushed again: %d, %d", got, app.count())
			}
		})
	}
}

func TestPushAlertsAndPolicy(t *testing.T) {
	e := newPushEnv(t)
	app := newPushApp(t)
	token := e.oauthToken("push")
	app.subscribe(e.testEnv, token, url.Values{"data[policy]": {"followed"}})

	// follow_request is off; the mention is from a stranger.
	e.notify(store.NotifyFollowRequest, e.bob.ID, nil)
	e.notify(store.NotifyMention, e.bob.ID, &e.status.ID)
	if got := e.process(); got != 0 || app.count() != 0 {
		t.Fatalf("pushed %d (%d sent) with alerts off and a stranger", got, app.count())
	}

	// Once the owner follows Bob, his favourite comes through.
	if err := e.st.Update(context.Background(), func(tx *store.Tx) error {
		return tx.InsertFollow(&store.Follow{AccountID: e.owner.ID, TargetAccountID: e.bob.ID, URI: "urn:test:follow"})
	}); err != nil {
		t.Fatal(err)
	}
	e.notify(store.NotifyFavourite, e.bob.ID, &e.status.ID)
	if got := e.process(); got != 1 || app.count() != 1 {
		t.Fatalf("processed %d, sent %d; want 1, 1", got, app.count())
	}

	// "follower" needs Bob to follow the owner, which he does not.
	if code, _ := pushCall(e.testEnv, token, "PUT", url.Values{"data[policy]": {"follower"}}); code != 200 {
		t.Fatal(code)
	}
	e.notify(store.NotifyFollow, e.bob.ID, nil)
	if got := e.process(); got != 0 {
		t.Errorf("pushed %d past the follower policy", got)
	}
}

func TestPushRetriesAndExpiry(t *testing.T) {
	e := newPushEnv(t)
	app := newPushApp(t)
	token := e.oauthToken("push")
	app.subscribe(e.testEnv, token, url.Values{"subscription[standard]": {"true"}})
	ctx := context.Background()

	app.answer(http.StatusInternalServerError)
	e.notify(store.NotifyMention, e.bob.ID, &e.status.ID)
	if got := e.process(); got != 1 || app.count() != 1 {
		t.Fatalf("first try: %d, %d", got, app.count())
	}
	if got := e.process(); got != 0 {
		t.Errorf("retried before the backoff: %d", got)
	}
	if next, ok, _ := e.st.NextPushAt(ctx); !ok || next.Sub(e.clock) < 29*time.Second || next.Sub(e.clock) > 31*time.Second {
		t.Errorf("retry due at %v, want 30 s after %v", next, e.clock)
	}
	e.clock = e.clock.Add(31 * time.Second)
	if got := e.process(); got != 1 || app.count() != 2 {
		t.Fatalf("retry: %d, %d", got, app.count())
	}
	if n, _ := e.st.CountPushes(ctx); n != 0 {
		t.Errorf("%d pushes left after a 201", n)
	}
	if p := app.received(1, e.s.vapidPublic); p["title"] != "Bob mentioned you" {
		t.Errorf("payload %v", p)
	}

	// A 4xx other than 404/410 is dropped at once.
	app.answer(http.StatusBadRequest)
	e.notify(store.NotifyFollow, e.bob.ID, nil)
	e.process()
	if n, _ := e.st.CountPushes(ctx); n != 0 || app.count() != 3 {
		t.Errorf("after a 400: %d queued, %d sent", n, app.count())
	}

	// 410: the subscription has expired and goes.
	app.answer(http.StatusGone)
	e.notify(store.NotifyFavourite, e.bob.ID, &e.status.ID)
	e.process()
	if _, err := e.st.GetPushSubscription(ctx, tokenID(t, e.st, token)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("subscription kept after 410: %v", err)
	}
}

func TestPushGivesUp(t *testing.T) {
	e := newPushEnv(t)
	app := newPushApp(t)
	app.subscribe(e.testEnv, e.oauthToken("push"), nil)
	app.answer(503, 503, 503, 503, 503, 503, 503)
	e.notify(store.NotifyMention, e.bob.ID, &e.status.ID)
	for range len(pushBackoff) + 1 {
		if got := e.process(); got != 1 {
			t.Fatalf("processed %d", got)
		}
		e.clock = e.clock.Add(7 * time.Hour)
	}
	if n, _ := e.st.CountPushes(context.Background()); n != 0 || app.count() != len(pushBackoff)+1 {
		t.Errorf("%d queued, %d sent; want 0, %d", n, app.count(), len(pushBackoff)+1)
	}
}

func tokenID(t *testing.T, st *store.Store, token string) int64 {
	t.Helper()
	tok, err := st.GetOAuthToken(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	return tok.ID
}

// TestPushFromFederation pushes a mention that arrived over HTTP from
// another Roost, with the worker running as Server.Run runs it.
func TestPushFromFederation(t *testing.T) {
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	b := newInstance(t, n, "b.test", "bob", false)
	ctx := context.Background()

	// A server of a's own, so that the test holds it: it takes over the
	// hub's pushes from the one newInstance made.
	s, err := New(ctx, Config{BaseURL: a.urls.Base, Version: "test", Streaming: a.hub, MediaDir: filepath.Join(t.TempDir(), "media")}, a.st, a.fed, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	e := &testEnv{t: t, st: a.st, srv: srv, owner: a.owner, urls: a.urls, s: s}
	app := newPushApp(t)
	app.subscribe(e, e.oauthToken("push"), url.Values{"subscription[standard]": {"true"}})

	run, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { s.RunPush(run); close(done) }()
	t.Cleanup(func() { stop(); <-done })

	b.post(`<p>Hi <a href="http://a.test/@alice">@alice</a>, <script>x</script>look &amp; see</p>`, "public", b.resolve("alice@a.test"))
	settle(t, a, b)
	deadline := time.Now().Add(5 * time.Second)
	for app.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if app.count() != 1 {
		t.Fatalf("%d pushes sent, want 1", app.count())
	}
	p := app.received(0, s.vapidPublic)
	if p["notification_type"] != "mention" || p["title"] != "Bob mentioned you" || !strings.Contains(p["body"].(string), "look & see") {
		t.Errorf("payload %v", p)
	}
	if !bytes.Contains([]byte(p["icon"].(string)), []byte("http")) {
		t.Errorf("icon %v", p["icon"])
	}
}

func TestPushTextHelpers(t *testing.T) {
	long := strings.Repeat("é", 200)
	if got := truncateText(long, 140); len([]rune(got)) != 140 || !strings.HasSuffix(got, "…") {
		t.Errorf("truncate: %d runes", len([]rune(got)))
	}
	if got := pushTitle(store.NotifyPoll, "Bob", true); got != "A poll you created has ended" {
		t.Error(got)
	}
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://fcm.googleapis.com/fcm/send/x", true},
		{"http://127.0.0.1:8080/up", true},
		{"http://localhost/up", true},
		{"http://[::1]/up", true},
		{"http://push.example/up", false},
		{"https:///nohost", false},
		{"not a url", false},
	} {
		if got := validPushEndpoint(tc.url); got != tc.ok {
			t.Errorf("validPushEndpoint(%q) = %v", tc.url, got)
		}
	}
	if d := retryAfter("120", time.Now()); d != 2*time.Minute {
		t.Errorf("Retry-After 120 = %v", d)
	}
}
