package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"roost/store"
)

const oaPassword = "correct horse battery staple"

// oaPasswordHash is hashed once: bcrypt is slow on purpose.
var oaPasswordHash = sync.OnceValue(func() string {
	h, err := HashPassword(oaPassword)
	if err != nil {
		panic(err)
	}
	return h
})

// newOAuthEnv is a test server whose owner has oaPassword.
func newOAuthEnv(t *testing.T) *testEnv {
	t.Helper()
	e := newTestEnv(t)
	if err := e.st.SetOwnerPassword(context.Background(), oaPasswordHash()); err != nil {
		t.Fatal(err)
	}
	return e
}

// oauthToken makes an app and an owner token with scopes straight in the
// store, for tests of endpoints behind authed (no bcrypt, no HTTP).
func (e *testEnv) oauthToken(scopes string) string {
	e.t.Helper()
	ctx := context.Background()
	a := &store.OAuthApp{ClientID: newSecret(), ClientSecretHash: store.HashSecret("s"), Name: "Test app",
		RedirectURIs: []string{oobRedirect}, Scopes: strings.Fields(scopes)}
	if err := e.st.InsertOAuthApp(ctx, a); err != nil {
		e.t.Fatal(err)
	}
	tok := newSecret()
	if err := e.st.InsertOAuthToken(ctx, tok, &store.OAuthToken{AppID: a.ID, Scopes: a.Scopes, Owner: true}); err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// do sends a request without following redirects and returns the
// response and its body.
func (e *testEnv) oaDo(method, path, contentType string, body io.Reader, hdr http.Header) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (e *testEnv) oaPostForm(path string, form url.Values, hdr http.Header) (*http.Response, string) {
	e.t.Helper()
	return e.oaDo("POST", path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), hdr)
}

func oaDecode(t testing.TB, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	return m
}

type oaApp struct {
	ID, ClientID, ClientSecret string
}

func (e *testEnv) oauthRegister(redirect, scopes string) oaApp {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"client_name": "Roost Test", "redirect_uris": redirect,
		"scopes": scopes, "website": "https://app.example"})
	resp, b := e.oaDo("POST", "/api/v1/apps", "application/json", bytes.NewReader(body), nil)
	if resp.StatusCode != 200 {
		e.t.Fatalf("register: %d %s", resp.StatusCode, b)
	}
	m := oaDecode(e.t, b)
	return oaApp{ID: m["id"].(string), ClientID: m["client_id"].(string), ClientSecret: m["client_secret"].(string)}
}

var oaCSRFField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// authorizeForm loads the consent page for query and returns the form to
// post back (hidden fields and CSRF token) and the cookie header.
func (e *testEnv) oaAuthorizeForm(query url.Values) (url.Values, http.Header) {
	e.t.Helper()
	resp, body := e.oaDo("GET", "/oauth/authorize?"+query.Encode(), "", nil, nil)
	if resp.StatusCode != 200 {
		e.t.Fatalf("authorize page: %d %s", resp.StatusCode, body)
	}
	m := oaCSRFField.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("no CSRF field in %s", body)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == csrfCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || !cookie.Secure {
		e.t.Fatalf("CSRF cookie %+v: want HttpOnly, SameSite=Lax, Secure", cookie)
	}
	form := url.Values{"csrf": {m[1]}}
	for _, f := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(body, -1) {
		if f[1] != "csrf" {
			form.Set(f[1], html.UnescapeString(f[2]))
		}
	}
	return form, http.Header{"Cookie": {csrfCookie + "=" + cookie.Value}}
}

func oaPKCE() (verifier, challenge string) {
	verifier = newSecret() + "-verifier"
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// login runs the consent page with the right password and returns the
// code from the redirect to app://callback.
func (e *testEnv) oaLogin(app oaApp, challenge string) string {
	e.t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {"app://callback"},
		"scope": {"read write"}, "state": {"xyz"}}
	if challenge != "" {
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", "S256")
	}
	form, cookie := e.oaAuthorizeForm(q)
	form.Set("password", oaPassword)
	resp, body := e.oaPostForm("/oauth/authorize", form, cookie)
	if resp.StatusCode != http.StatusFound {
		e.t.Fatalf("authorize: %d %s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Scheme != "app" || loc.Host != "callback" || loc.Query().Get("state") != "xyz" {
		e.t.Fatalf("redirect to %q", resp.Header.Get("Location"))
	}
	return loc.Query().Get("code")
}

func (e *testEnv) oaExchange(app oaApp, code, verifier string) (int, map[string]any) {
	e.t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {app.ClientID},
		"client_secret": {app.ClientSecret}, "redirect_uri": {"app://callback"}, "code": {code}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	resp, body := e.oaPostForm("/oauth/token", form, nil)
	return resp.StatusCode, oaDecode(e.t, body)
}

func oaBearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

// oaDBCopy makes a consistent copy of the database and returns its path.
func (e *testEnv) oaDBCopy() string {
	e.t.Helper()
	path := filepath.Join(e.t.TempDir(), "copy.db")
	if err := e.st.Backup(context.Background(), path); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// oaCount runs a COUNT query on a copy of the database.
func (e *testEnv) oaCount(query string) int {
	e.t.Helper()
	db, err := sql.Open("sqlite", e.oaDBCopy())
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestOAuthFullFlowWithPKCE(t *testing.T) {
	e := newOAuthEnv(t)
	app := e.oauthRegister("app://callback", "read write follow push")
	verifier, challenge := oaPKCE()
	code := e.oaLogin(app, challenge)
	if code == "" {
		t.Fatal("no code")
	}
	status, tok := e.oaExchange(app, code, verifier)
	if status != 200 || tok["token_type"] != "Bearer" || tok["scope"] != "read write" || tok["created_at"] == nil {
		t.Fatalf("token: %d %v", status, tok)
	}
	access := tok["access_token"].(string)
	resp, body := e.oaDo("GET", "/api/v1/apps/verify_credentials", "", nil, oaBearer(access))
	if resp.StatusCode != 200 {
		t.Fatalf("verify_credentials: %d %s", resp.StatusCode, body)
	}
	m := oaDecode(t, body)
	if m["name"] != "Roost Test" || m["id"] != app.ID || m["website"] != "https://app.example" {
		t.Errorf("app = %v", m)
	}
	if got, err := e.st.GetOAuthToken(context.Background(), access); err != nil || got.LastUsedAt.IsZero() || !got.Owner {
		t.Errorf("token after use: %+v, %v", got, err)
	}

	// Neither the token, the code nor the client secret is in the database.
	b, err := os.ReadFile(e.oaDBCopy())
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{access, code, app.ClientSecret} {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("plaintext secret %q found in the database", secret)
		}
	}
	if !bytes.Contains(b, []byte(store.HashSecret(access))) {
		t.Error("token hash not in the database")
	}
}

func TestOAuthOutOfBand(t *testing.T) {
	e := newOAuthEnv(t)
	app := e.oauthRegister(oobRedirect, "read")
	form, cookie := e.oaAuthorizeForm(url.Values{"response_type": {"code"}, "client_id": {app.ClientID},
		"redirect_uri": {oobRedirect}})
	form.Set("password", oaPassword)
	resp, body := e.oaPostForm("/oauth/authorize", form, cookie)
	if resp.StatusCode != 200 || resp.Header.Get("Location") != "" {
		t.Fatalf("oob: %d %s", resp.StatusCode, body)
	}
	m := regexp.MustCompile(`readonly value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no code on the page: %s", body)
	}
	resp, body = e.oaPostForm("/oauth/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {app.ClientID},
		"client_secret": {app.ClientSecret}, "redirect_uri": {oobRedirect}, "code": {m[1]}}, nil)
	if resp.StatusCode != 200 || oaDecode(t, body)["scope"] != "read" {
		t.Fatalf("exchange: %d %s", resp.StatusCode, body)
	}
}

func TestOAuthWrongPasswordShowsFormAgain(t *testing.T) {
	e := newOAuthEnv(t)
	app := e.oauthRegister("app://callback", "read write")
	form, cookie := e.oaAuthorizeForm(url.Values{"response_type": {"code"}, "client_id": {app.ClientID},
		"redirect_uri": {"app://callback"}, "scope": {"read"}})
	form.Set("password", "guess")
	resp, body := e.oaPostForm("/oauth/authorize", form, cookie)
	if resp.StatusCode != 200 || resp.Header.Get("Location") != "" {
		t.Fatalf("wrong password: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if !strings.Contains(body, "Wrong password.") || !strings.Contains(body, `type="password"`) || !oaCSRFField.MatchString(body) {
		t.Errorf("form not shown again: %s", body)
	}
	if n := e.oaCount("SELECT count(*) FROM oauth_codes"); n != 0 {
		t.Errorf("%d codes issued", n)
	}
}

func TestOAuthCodeChecks(t *testing.T) {
	e := newOAuthEnv(t)
	app := e.oauthRegister("app://callback", "read write")
	verifier, challenge := oaPKCE()
	other := e.oauthRegister("app://callback", "read write")
	tests := []struct {
		name      string
		setup     func(code string) // before the exchange
		app       oaApp
		verifier  string
		wantCode  int
		wantError string
	}{
		{name: "missing verifier", app: app, wantCode: 400, wantError: "invalid_request"},
		{name: "wrong verifier", app: app, verifier: strings.Repeat("x", 50), wantCode: 400, wantError: "invalid_grant"},
		{name: "short verifier", app: app, verifier: "abc", wantCode: 400, wantError: "invalid_grant"},
		{name: "another app", app: other, verifier: verifier, wantCode: 400, wantError: "invalid_grant"},
		{name: "reused", app: app, verifier: verifier, wantCode: 400, wantError: "invalid_grant",
			setup: func(code string) {
				if status, _ := e.oaExchange(app, code, verifier); status != 200 {
					t.Fatalf("first exchange: %d", status)
				}
			}},
		{name: "expired", app: app, verifier: verifier, wantCode: 400, wantError: "invalid_grant",
			setup: func(string) {
				e.s.oauth.now = func() time.Time { return time.Now().Add(codeTTL + time.Second) }
			}},
		{name: "wrong secret", app: oaApp{ClientID: app.ClientID, ClientSecret: "nope"}, verifier: verifier,
			wantCode: 401, wantError: "invalid_client"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.s.oauth.now = nil
			code := e.oaLogin(app, challenge)
			if tc.setup != nil {
				tc.setup(code)
			}
			status, m := e.oaExchange(tc.app, code, tc.verifier)
			e.s.oauth.now = nil
			if status != tc.wantCode || m["error"] != tc.wantError || m["error_description"] == "" {
				t.Errorf("got %d %v, want %d %s", status, m, tc.wantCode, tc.wantError)
			}
		})
	}
}

func TestOAuthAuthorizeRequestErrors(t *testing.T) {
	e := newOAuthEnv(t)
	app := e.oauthRegister("app://callback urn:ietf:wg:oauth:2.0:oob", "read")
	base := func(kv ...string) url.Values {
		q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {"app://callback"}, "state": {"s1"}}
		for i := 0; i < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		return q
	}
	tests := []struct {
		name      string
		q         url.Values
		wantCode  int
		wantError string // in the redirect; "" means shown on our page
	}{
		{"unknown client", base("client_id", "nope"), 401, ""},
		{"unregistered redirect", base("redirect_uri", "app://evil"), 400, ""},
		{"scope beyond the app", base("scope", "read write"), 302, "invalid_scope"},
		{"unknown scope", base("scope", "read bogus"), 302, "invalid_scope"},
		{"plain PKCE", base("code_challenge", strings.Repeat("a", 43), "code_challenge_method", "plain"), 302, "invalid_request"},
		{"token response type", base("response_type", "token"), 302, "unsupported_response_type"},
		{"oob error on page", base("redirect_uri", oobRedirect, "scope", "admin:read"), 400, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.oaDo("GET", "/oauth/authorize?"+tc.q.Encode(), "", nil, nil)
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.wantCode, body)
			}
			if tc.wantError == "" {
				if resp.Header.Get("Location") != "" || oaCSRFField.MatchString(body) {
					t.Errorf("want an error page, got Location %q / a form", resp.Header.Get("Location"))
				}
				return
			}
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if !strings.HasPrefix(loc.String(), "app://callback?") || loc.Query().Get("error") != tc.wantError || loc.Query().Get("state") != "s1" {
				t.Errorf("redirect %q, want error %s", loc, tc.wantError)
			}
		})
	}
}

func TestOAuthAuthorizePage(t *testing.T) {
	e := newOAuthEnv(t)
	app := e.oauthRegister("icecubesapp://", "read write follow push")
	resp, body := e.oaDo("GET", "/oauth/authorize?"+url.Values{"response_type": {"code"}, "client_id": {app.ClientID},
		"redirect_uri": {"icecubesapp://"}, "scope": {"read write follow push"}, "force_login": {"true"}, "lang": {"de"}}.Encode(), "", nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	for _, want := range []string{"Roost Test", "@alice@social.example", `name="password"`, `lang="de"`, "<code>push</code>", `name="deny"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	h := resp.Header
	if h.Get("X-Frame-Options") != "DENY" || h.Get("Cache-Control") != "no-store" || h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("headers %v", h)
	}
	if strings.Contains(body, "<script") {
		t.Error("the consent page needs no JavaScript")
	}
}

func TestOAuthDenyAndCustomScheme(t *testing.T) {
	e := newOAuthEnv(t)
	app := e.oauthRegister("icecubesapp://", "read")
	form, cookie := e.oaAuthorizeForm(url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "state": {"st"}})
	form.Set("deny", "1")
	resp, _ := e.oaPostForm("/oauth/authorize", form, cookie)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 302 || !strings.HasPrefix(loc, "icecubesapp://?") || !strings.Contains(loc, "error=access_denied") || !strings.Contains(loc, "state=st") {
		t.Fatalf("deny: %d %q", resp.StatusCode, loc)
	}
	form.Del("deny")
	form.Set("password", oaPassword)
	resp, _ = e.oaPostForm("/oauth/authorize", form, cookie)
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "icecubesapp://?code=") {
		t.Fatalf("custom scheme redirect %q", loc)
	}
}

func TestOAuthCSRF(t *testing.T) {
	e := newOAuthEnv(t)
	app := e.oauthRegister("app://callback", "read")
	form, cookie := e.oaAuthorizeForm(url.Values{"response_type": {"code"}, "client_id": {app.ClientID}})
	form.Set("password", oaPassword)
	tests := []struct {
		name   string
		form   func() url.Values
		cookie http.Header
	}{
		{"no cookie", func() url.Values { return form }, nil},
		{"no field", func() url.Values { f := url.Values{}; oaCopyValues(f, form); f.Del("csrf"); return f }, cookie},
		{"other cookie", func() url.Values { return form }, http.Header{"Cookie": {csrfCookie + "=" + newSecret()}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.oaPostForm("/oauth/authorize", tc.form(), tc.cookie)
			if resp.StatusCode != 403 || resp.Header.Get("Location") != "" {
				t.Errorf("%d %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
		})
	}
}

func oaCopyValues(dst, src url.Values) {
	for k, v := range src {
		dst[k] = slices.Clone(v)
	}
}

func TestOAuthLoginRateLimit(t *testing.T) {
	e := newOAuthEnv(t)
	app := e.oauthRegister("app://callback", "read")
	form, cookie := e.oaAuthorizeForm(url.Values{"response_type": {"code"}, "client_id": {app.ClientID}})
	attacker := http.Header{"Cookie": cookie["Cookie"], "X-Forwarded-For": {"203.0.113.9"}}
	form.Set("password", "wrong")
	for i := 0; i < loginMaxPerIP; i++ {
		if resp, _ := e.oaPostForm("/oauth/authorize", form, attacker); resp.StatusCode != 200 {
			t.Fatalf("failure %d: status %d", i+1, resp.StatusCode)
		}
	}
	form.Set("password", oaPassword)
	resp, body := e.oaPostForm("/oauth/authorize", form, attacker)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || resp.Header.Get("Location") != "" {
		t.Fatalf("after %d failures: %d %s", loginMaxPerIP, resp.StatusCode, body)
	}
	// Another address is not blocked by one guesser.
	owner := http.Header{"Cookie": cookie["Cookie"], "X-Forwarded-For": {"198.51.100.7"}}
	if resp, _ := e.oaPostForm("/oauth/authorize", form, owner); resp.StatusCode != http.StatusFound {
		t.Errorf("other address: %d", resp.StatusCode)
	}
	// The window ends.
	e.s.oauth.now = func() time.Time { return time.Now().Add(loginWindow) }
	if resp, _ := e.oaPostForm("/oauth/authorize", form, attacker); resp.StatusCode != http.StatusFound {
		t.Errorf("after the window: %d", resp.StatusCode)
	}
}

func TestLoginLimiterGlobalCap(t *testing.T) {
	var o oauthState
	now := time.Now()
	o.now = func() time.Time { return now }
	for i := 0; i < loginMaxGlobal; i++ {
		ip := "192.0.2." + string(rune('a'+i))
		if o.loginWait(ip) != 0 {
			t.Fatalf("blocked after %d failures", i)
		}
		o.loginFailed(ip)
	}
	if o.loginWait("198.51.100.1") == 0 {
		t.Error("a fresh address is not blocked after the global cap")
	}
	now = now.Add(loginWindow)
	if d := o.loginWait("198.51.100.1"); d != 0 {
		t.Errorf("still blocked %v after the window", d)
	}
}

func TestClientIP(t *testing.T) {
	tests := []struct {
		remote, xff, want string
	}{
		{"203.0.113.1:4000", "", "203.0.113.1"},
		{"203.0.113.1:4000", "10.0.0.1", "203.0.113.1"}, // not from a local proxy: ignored
		{"127.0.0.1:4000", "1.2.3.4, 198.51.100.2", "198.51.100.2"},
		{"[::1]:4000", "198.51.100.3", "198.51.100.3"},
		{"127.0.0.1:4000", "", "127.0.0.1"},
	}
	for _, tc := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := clientIP(r); got != tc.want {
			t.Errorf("clientIP(%s, %s) = %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
}

func TestOAuthRevoke(t *testing.T) {
	e := newOAuthEnv(t)
	app := e.oauthRegister("app://callback", "read write")
	other := e.oauthRegister("app://callback", "read")
	_, tok := e.oaExchange(app, e.oaLogin(app, ""), "")
	access, _ := tok["access_token"].(string)
	if access == "" {
		t.Fatalf("no token: %v", tok)
	}
	revoke := func(a oaApp, token string) (int, map[string]any) {
		resp, body := e.oaPostForm("/oauth/revoke", url.Values{"client_id": {a.ClientID}, "client_secret": {a.ClientSecret}, "token": {token}}, nil)
		return resp.StatusCode, oaDecode(t, body)
	}
	if code, m := revoke(other, access); code != 403 || m["error"] != "unauthorized_client" {
		t.Errorf("other app revoking: %d %v", code, m)
	}
	if code, m := revoke(oaApp{ClientID: app.ClientID, ClientSecret: "x"}, access); code != 401 || m["error"] != "invalid_client" {
		t.Errorf("bad secret: %d %v", code, m)
	}
	if code, m := revoke(app, "unknown"); code != 200 || len(m) != 0 {
		t.Errorf("unknown token: %d %v", code, m)
	}
	if code, m := revoke(app, access); code != 200 || len(m) != 0 {
		t.Errorf("revoke: %d %v", code, m)
	}
	resp, body := e.oaDo("GET", "/api/v1/apps/verify_credentials", "", nil, oaBearer(access))
	if resp.StatusCode != 401 || oaDecode(t, body)["error"] != "The access token is invalid" || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("revoked token: %d %s", resp.StatusCode, body)
	}
}

func TestOAuthTokenEndpointErrors(t *testing.T) {
	e := newOAuthEnv(t)
	app := e.oauthRegister("app://callback", "read write")
	tests := []struct {
		name      string
		form      url.Values
		basic     bool
		wantCode  int
		wantError string
		wantScope string
	}{
		{"no grant type", url.Values{}, false, 400, "invalid_request", ""},
		{"password grant", url.Values{"grant_type": {"password"}}, false, 400, "unsupported_grant_type", ""},
		{"no client", url.Values{"grant_type": {"client_credentials"}}, false, 401, "invalid_client", ""},
		{"unknown client", url.Values{"grant_type": {"client_credentials"}, "client_id": {"x"}, "client_secret": {"y"}}, false, 401, "invalid_client", ""},
		{"no code", url.Values{"grant_type": {"authorization_code"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}}, false, 400, "invalid_request", ""},
		{"bad code", url.Values{"grant_type": {"authorization_code"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "code": {"x"}}, false, 400, "invalid_grant", ""},
		{"client credentials", url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}}, false, 200, "", "read"},
		{"client credentials, basic auth", url.Values{"grant_type": {"client_credentials"}, "scope": {"read write"}}, true, 200, "", "read write"},
		{"client credentials beyond the app", url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "scope": {"push"}}, false, 400, "invalid_scope", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hdr http.Header
			if tc.basic {
				hdr = http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(app.ClientID+":"+app.ClientSecret))}}
			}
			resp, body := e.oaPostForm("/oauth/token", tc.form, hdr)
			m := oaDecode(t, body)
			if resp.StatusCode != tc.wantCode || (tc.wantError != "" && m["error"] != tc.wantError) || (tc.wantScope != "" && m["scope"] != tc.wantScope) {
				t.Errorf("got %d %v", resp.StatusCode, m)
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Error("token response may be cached")
			}
		})
	}
}

func TestClientCredentialsTokenIsAppOnly(t *testing.T) {
	e := newOAuthEnv(t)
	app := e.oauthRegister("app://callback", "read write")
	resp, body := e.oaPostForm("/oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {app.ClientID}, "client_secret": {app.ClientSecret}}, nil)
	access, _ := oaDecode(t, body)["access_token"].(string)
	if resp.StatusCode != 200 || access == "" {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if resp, body := e.oaDo("GET", "/api/v1/apps/verify_credentials", "", nil, oaBearer(access)); resp.StatusCode != 200 {
		t.Errorf("verify app: %d %s", resp.StatusCode, body)
	}
	called := false
	h := e.s.ownerAuthed("read", func(w http.ResponseWriter, r *http.Request) error { called = true; return nil })
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/v1/timelines/home", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	h(rec, req)
	if rec.Code != http.StatusUnprocessableEntity || called || !strings.Contains(rec.Body.String(), "requires an authenticated user") {
		t.Errorf("owner-only endpoint with an app token: %d %s", rec.Code, rec.Body)
	}
}

func TestAuthedScopes(t *testing.T) {
	e := newOAuthEnv(t)
	read := e.oauthToken("read")
	follow := e.oauthToken("follow")
	writeStatuses := e.oauthToken("write:statuses")
	profile := e.oauthToken("profile")
	tests := []struct {
		name, scope, token string
		header             bool // Authorization header; else access_token query
		want               int
	}{
		{"read on write:statuses", "write:statuses", read, true, 403},
		{"read on read:statuses", "read:statuses", read, true, 200},
		{"read on any", "", read, true, 200},
		{"query token", "read:statuses", read, false, 200},
		{"follow on write:follows", "write:follows", follow, true, 200},
		{"follow on read:statuses", "read:statuses", follow, true, 403},
		{"write:statuses on write", "write", writeStatuses, true, 403},
		{"profile on alternatives", "read:accounts profile", profile, true, 200},
		{"no token", "read", "", true, 401},
		{"unknown token", "read", "nope", true, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got *authInfo
			h := e.s.authed(tc.scope, func(w http.ResponseWriter, r *http.Request) error {
				got = authFrom(r.Context())
				w.WriteHeader(200)
				return nil
			})
			path := "/x"
			if !tc.header && tc.token != "" {
				path += "?access_token=" + tc.token
			}
			req := httptest.NewRequest("GET", path, nil)
			if tc.header && tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			rec := httptest.NewRecorder()
			h(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
			if tc.want == 200 && (got == nil || !got.Owner || got.TokenID == 0) {
				t.Errorf("authInfo %+v", got)
			}
			if tc.want == 403 && !strings.Contains(rec.Body.String(), "outside the authorized scopes") {
				t.Errorf("body %s", rec.Body)
			}
		})
	}
}

func TestOptionalAuth(t *testing.T) {
	e := newOAuthEnv(t)
	tok := e.oauthToken("read")
	var got *authInfo
	h := e.s.optionalAuth(func(w http.ResponseWriter, r *http.Request) error {
		got = authFrom(r.Context())
		return nil
	})
	for _, tc := range []struct {
		auth     string
		want     int
		wantAuth bool
	}{{"", 200, false}, {"Bearer " + tok, 200, true}, {"Bearer wrong", 401, false}, {"Basic abc", 401, false}} {
		got = nil
		req := httptest.NewRequest("GET", "/x", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		rec := httptest.NewRecorder()
		h(rec, req)
		if rec.Code != tc.want || (got != nil) != tc.wantAuth {
			t.Errorf("%q: %d, auth %+v", tc.auth, rec.Code, got)
		}
	}
}

func TestScopeAllows(t *testing.T) {
	tests := []struct {
		granted string
		want    string
		ok      bool
	}{
		{"read", "read", true},
		{"read", "read:statuses", true},
		{"read:statuses", "read", false},
		{"read", "write:statuses", false},
		{"write", "write:media", true},
		{"follow", "read:blocks", true},
		{"follow", "write:mutes", true},
		{"follow", "read:statuses", false},
		{"follow", "follow", true},
		{"read write", "push", false},
		{"push", "push", true},
		{"admin:read", "admin:read:accounts", true},
		{"readx", "readx:y", false},
	}
	for _, tc := range tests {
		if got := scopeAllows(strings.Fields(tc.granted), tc.want); got != tc.ok {
			t.Errorf("scopeAllows(%q, %q) = %v", tc.granted, tc.want, got)
		}
	}
}

func TestRegisterApp(t *testing.T) {
	e := newOAuthEnv(t)
	multi := func() (string, io.Reader) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("client_name", "Multi")
		mw.WriteField("redirect_uris", "mastodon://joinmastodon.org/oauth")
		mw.WriteField("scopes", "read write")
		mw.Close()
		return mw.FormDataContentType(), &buf
	}
	tests := []struct {
		name         string
		ctype        string
		body         func() (string, io.Reader)
		query        string
		want         int
		wantRedirect []string
		wantScopes   []string
	}{
		{name: "json string", ctype: "application/json",
			body: func() (string, io.Reader) {
				return "", strings.NewReader(`{"client_name":"A","redirect_uris":"app://a\nurn:ietf:wg:oauth:2.0:oob","scopes":"read write follow push"}`)
			},
			want: 200, wantRedirect: []string{"app://a", oobRedirect}, wantScopes: []string{"read", "write", "follow", "push"}},
		{name: "json arrays", ctype: "application/json",
			body: func() (string, io.Reader) {
				return "", strings.NewReader(`{"client_name":"A","redirect_uris":["icecubesapp://","https://x.example/cb"],"scopes":["read","push"]}`)
			},
			want: 200, wantRedirect: []string{"icecubesapp://", "https://x.example/cb"}, wantScopes: []string{"read", "push"}},
		{name: "form, default scope", ctype: "application/x-www-form-urlencoded",
			body: func() (string, io.Reader) {
				return "", strings.NewReader("client_name=F&redirect_uris=org.joinmastodon.android-auth%3A%2F%2Fcallback")
			},
			want: 200, wantRedirect: []string{"org.joinmastodon.android-auth://callback"}, wantScopes: []string{"read"}},
		{name: "query string (Ice Cubes)", query: "client_name=Q&redirect_uris=icecubesapp://&scopes=read+write+follow+push",
			want: 200, wantRedirect: []string{"icecubesapp://"}, wantScopes: []string{"read", "write", "follow", "push"}},
		{name: "multipart", body: multi, want: 200,
			wantRedirect: []string{"mastodon://joinmastodon.org/oauth"}, wantScopes: []string{"read", "write"}},
		{name: "literal plus in scopes", query: "client_name=P&redirect_uris=app://cb&scopes=read%2Bwrite",
			want: 200, wantRedirect: []string{"app://cb"}, wantScopes: []string{"read", "write"}},
		{name: "javascript redirect", query: "client_name=X&redirect_uris=javascript:alert(1)", want: 422},
		{name: "data redirect", query: "client_name=X&redirect_uris=data:text/html,hi", want: 422},
		{name: "relative redirect", query: "client_name=X&redirect_uris=/cb", want: 422},
		{name: "fragment", query: "client_name=X&redirect_uris=app://cb%23frag", want: 422},
		{name: "no redirect", query: "client_name=X", want: 422},
		{name: "no name", query: "redirect_uris=app://cb", want: 422},
		{name: "unknown scope", query: "client_name=X&redirect_uris=app://cb&scopes=read+everything", want: 422},
		{name: "bad website", query: "client_name=X&redirect_uris=app://cb&website=javascript:x", want: 422},
		{name: "bad json", ctype: "application/json", body: func() (string, io.Reader) { return "", strings.NewReader("{") }, want: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			ctype := tc.ctype
			if tc.body != nil {
				var ct string
				ct, body = tc.body()
				if ct != "" {
					ctype = ct
				}
			}
			path := "/api/v1/apps"
			if tc.query != "" {
				path += "?" + tc.query
			}
			// A blank User-Agent (Tuba) must be accepted.
			resp, b := e.oaDo("POST", path, ctype, body, http.Header{"User-Agent": {""}})
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.want, b)
			}
			m := oaDecode(t, b)
			if tc.want != 200 {
				if s, _ := m["error"].(string); s == "" {
					t.Errorf("no error message: %s", b)
				}
				return
			}
			var app struct {
				ID                    string   `json:"id"`
				ClientID              string   `json:"client_id"`
				ClientSecret          string   `json:"client_secret"`
				ClientSecretExpiresAt *int64   `json:"client_secret_expires_at"`
				RedirectURI           string   `json:"redirect_uri"`
				RedirectURIs          []string `json:"redirect_uris"`
				Scopes                []string `json:"scopes"`
			}
			if err := json.Unmarshal([]byte(b), &app); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(app.RedirectURIs, tc.wantRedirect) || app.RedirectURI != strings.Join(tc.wantRedirect, "\n") ||
				!slices.Equal(app.Scopes, tc.wantScopes) {
				t.Errorf("app %s", b)
			}
			if app.ID == "" || len(app.ClientID) != 43 || len(app.ClientSecret) != 43 || app.ClientSecretExpiresAt == nil || *app.ClientSecretExpiresAt != 0 {
				t.Errorf("credentials %s", b)
			}
			for _, k := range []string{"vapid_key", "website", "name"} {
				if _, ok := m[k]; !ok {
					t.Errorf("no %s in %s", k, b)
				}
			}
		})
	}
}

func TestParams(t *testing.T) {
	multi := func() (string, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("status", "hello")
		mw.WriteField("media_ids[]", "1")
		mw.WriteField("media_ids[]", "2")
		fw, _ := mw.CreateFormFile("file", "a.png")
		fw.Write([]byte("png"))
		mw.Close()
		return mw.FormDataContentType(), buf.String()
	}
	mct, mbody := multi()
	tests := []struct {
		name   string
		query  string
		ctype  string
		body   string
		want   url.Values
		status int // of the error, 0 for none
	}{
		{name: "query", query: "a=1&scopes[]=read&scopes[]=write", want: url.Values{"a": {"1"}, "scopes": {"read", "write"}}},
		{name: "form over query", query: "a=1&b=2", ctype: "application/x-www-form-urlencoded", body: "a=3&c[]=x",
			want: url.Values{"a": {"3"}, "b": {"2"}, "c": {"x"}}},
		{name: "json", ctype: "application/json; charset=utf-8",
			body: `{"s":"x","n":12345678901234567890,"f":1.5,"t":true,"no":false,"nil":null,"arr":["a",2,true],"empty":[],"ids[]":["9"]}`,
			want: url.Values{"s": {"x"}, "n": {"12345678901234567890"}, "f": {"1.5"}, "t": {"true"}, "no": {"false"},
				"arr": {"a", "2", "true"}, "empty": {}, "ids": {"9"}}},
		{name: "json nested", ctype: "application/json",
			body: `{"poll":{"options":["a","b"],"expires_in":60},"data":{"alerts":{"follow":true}},"media_attributes":[{"id":"1","description":"d"}]}`,
			want: url.Values{"poll[options]": {"a", "b"}, "poll[expires_in]": {"60"}, "data[alerts][follow]": {"true"},
				"media_attributes[0][id]": {"1"}, "media_attributes[0][description]": {"d"}}},
		{name: "json without content type", body: `{"a":"b"}`, want: url.Values{"a": {"b"}}},
		{name: "json and query", query: "q=1", ctype: "application/json", body: `{"a":"b"}`, want: url.Values{"a": {"b"}, "q": {"1"}}},
		{name: "multipart", ctype: mct, body: mbody, want: url.Values{"status": {"hello"}, "media_ids": {"1", "2"}}},
		{name: "bad json", ctype: "application/json", body: `{"a":`, status: 400},
		{name: "json array", ctype: "application/json", body: `["a"]`, status: 400},
		{name: "json too big", ctype: "application/json", body: `{"a":"` + strings.Repeat("x", maxParamBody) + `"}`, status: 413},
		{name: "form too big", ctype: "application/x-www-form-urlencoded", body: "a=" + strings.Repeat("x", maxParamBody), status: 413},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			r := httptest.NewRequest("POST", "/x?"+tc.query, body)
			if tc.ctype != "" {
				r.Header.Set("Content-Type", tc.ctype)
			}
			got, err := params(r)
			if tc.status != 0 {
				he, ok := err.(*httpError)
				if !ok || he.Code != tc.status {
					t.Fatalf("err %v, want status %d", err, tc.status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				gv, ok := got[k]
				if !ok || !slices.Equal(gv, v) {
					t.Errorf("%s = %q (present %v), want %q", k, gv, ok, v)
				}
			}
		})
	}
}

func TestParamsBodyReadOnceWithAuth(t *testing.T) {
	e := newOAuthEnv(t)
	tok := e.oauthToken("write")
	var got url.Values
	h := e.s.authed("write:statuses", func(w http.ResponseWriter, r *http.Request) error {
		var err error
		got, err = params(r)
		return err
	})
	req := httptest.NewRequest("POST", "/x", strings.NewReader(`{"access_token":"`+tok+`","status":"hi"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h(rec, req)
	if rec.Code != 200 || got.Get("status") != "hi" {
		t.Errorf("%d %s, params %v", rec.Code, rec.Body, got)
	}
}

func TestCORS(t *testing.T) {
	e := newOAuthEnv(t)
	for _, path := range []string{"/api/v1/apps", "/api/v1/timelines/home", "/oauth/token", "/oauth/revoke", "/.well-known/nodeinfo", "/nodeinfo/2.0"} {
		resp, _ := e.oaDo("OPTIONS", path, "", nil, http.Header{"Origin": {"https://elk.zone"},
			"Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"authorization,content-type"}})
		h := resp.Header
		if resp.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") ||
			!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Idempotency-Key") ||
			!strings.Contains(h.Get("Access-Control-Allow-Methods"), "PATCH") {
			t.Errorf("preflight %s: %d %v", path, resp.StatusCode, h)
		}
	}
	resp, _ := e.oaDo("GET", "/api/v1/apps/verify_credentials", "", nil, http.Header{"Origin": {"https://elk.zone"}})
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Access-Control-Expose-Headers") != "Link" || resp.StatusCode != 401 {
		t.Errorf("API error response: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, _ := e.oaDo("OPTIONS", "/oauth/authorize", "", nil, nil); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("the consent page allows other origins")
	}
}

func TestOAuthMetadata(t *testing.T) {
	e := newOAuthEnv(t)
	m := e.getJSON("/.well-known/oauth-authorization-server", "", 200, "application/json")
	if m["issuer"] != testBase+"/" || m["token_endpoint"] != testBase+"/oauth/token" ||
		m["authorization_endpoint"] != testBase+"/oauth/authorize" || m["revocation_endpoint"] != testBase+"/oauth/revoke" ||
		m["app_registration_endpoint"] != testBase+"/api/v1/apps" {
		t.Errorf("endpoints %v", m)
	}
	list := func(k string) []string {
		var out []string
		for _, v := range m[k].([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	if !slices.Equal(list("code_challenge_methods_supported"), []string{"S256"}) ||
		!slices.Equal(list("response_types_supported"), []string{"code"}) ||
		!slices.Contains(list("grant_types_supported"), "client_credentials") ||
		!slices.Contains(list("scopes_supported"), "write:statuses") ||
		!slices.Contains(list("token_endpoint_auth_methods_supported"), "client_secret_post") {
		t.Errorf("metadata %v", m)
	}
}

func TestParamsLeavesJSONBodyReadable(t *testing.T) {
	r := httptest.NewRequest("POST", "/x", strings.NewReader(`{"a":"b"}`))
	r.Header.Set("Content-Type", "application/json")
	if p, err := params(r); err != nil || p.Get("a") != "b" {
		t.Fatalf("params %v, %v", p, err)
	}
	b, _ := io.ReadAll(r.Body)
	if string(b) != `{"a":"b"}` {
		t.Errorf("body after params: %q", b)
	}
}
