package handlers

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"roost/store"
)

// OAuth 2 as Mastodon speaks it (Doorkeeper underneath): app registration,
// the authorization-code grant with optional PKCE (S256 only), the
// client-credentials grant, revocation and RFC 8414 metadata.
// https://docs.joinmastodon.org/methods/oauth/ and /methods/apps/

const (
	oobRedirect = "urn:ietf:wg:oauth:2.0:oob"
	codeTTL     = 10 * time.Minute
)

// knownScopes are the scopes an app may register or request (Mastodon
// 4.3's list, plus the admin ones so that registering an admin-capable
// client does not fail; no endpoint here grants them anything).
var knownScopes = []string{
	"read", "write", "follow", "push", "profile",
	"read:accounts", "read:blocks", "read:bookmarks", "read:favourites", "read:filters", "read:follows",
	"read:lists", "read:mutes", "read:notifications", "read:search", "read:statuses",
	"write:accounts", "write:blocks", "write:bookmarks", "write:conversations", "write:favourites",
	"write:filters", "write:follows", "write:lists", "write:media", "write:mutes", "write:notifications",
	"write:reports", "write:statuses",
	"admin:read", "admin:write",
}

func knownScope(s string) bool {
	return contains(knownScopes, s) || strings.HasPrefix(s, "admin:read:") || strings.HasPrefix(s, "admin:write:")
}

// parseScopes splits scope strings on whitespace and "+", dropping
// repeats; it returns the first
// unknown scope, if any.
func parseScopes(vals []string) (scopes []string, unknown string) {
	for _, v := range vals {
		// A "+" is never part of a scope: some apps send it literally.
		for _, sc := range strings.FieldsFunc(v, func(r rune) bool { return r == '+' || unicode.IsSpace(r) }) {
			if !knownScope(sc) {
				return nil, sc
			}
			if !contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
	}
	return scopes, ""
}

// newSecret returns 32 random bytes, base64url: client ids and secrets,
// codes and tokens.
func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// oauthApplication is Mastodon's Application entity.
type oauthApplication struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Website      *string  `json:"website"`
	Scopes       []string `json:"scopes"`
	RedirectURI  string   `json:"redirect_uri"`
	RedirectURIs []string `json:"redirect_uris"`
	VapidKey     string   `json:"vapid_key"`
}

// oauthCredentialApplication is Mastodon's CredentialApplication: the app
// with its credentials, sent once, at registration.
type oauthCredentialApplication struct {
	oauthApplication
	ClientID              string `json:"client_id"`
	ClientSecret          string `json:"client_secret"`
	ClientSecretExpiresAt int64  `json:"client_secret_expires_at"`
}

func (s *Server) oauthApplicationOf(a *store.OAuthApp) oauthApplication {
	out := oauthApplication{
		VapidKey:     s.vapidPublic,
		ID:           strconv.FormatInt(a.ID, 10),
		Name:         a.Name,
		Scopes:       a.Scopes,
		RedirectURI:  strings.Join(a.RedirectURIs, "\n"),
		RedirectURIs: a.RedirectURIs,
	}
	if a.Website != "" {
		out.Website = &a.Website
	}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	return out
}

// postApp registers an app: POST /api/v1/apps. Parameters come as JSON,
// a form or the query string (Ice Cubes).
func (s *Server) postApp(w http.ResponseWriter, r *http.Request) error {
	p, err := params(r)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(p.Get("client_name"))
	switch {
	case name == "":
		return errorf(http.StatusUnprocessableEntity, "Validation failed: Application name can't be blank")
	case len([]rune(name)) > 60:
		return errorf(http.StatusUnprocessableEntity, "Validation failed: Application name is too long (maximum is 60 characters)")
	}
	redirects, err := parseRedirectURIs(p["redirect_uris"])
	if err != nil {
		return err
	}
	scopes, unknown := parseScopes(p["scopes"])
	if unknown != "" {
		return errorf(http.StatusUnprocessableEntity, "Validation failed: Scopes contain an unknown scope: %s", unknown)
	}
	if len(scopes) == 0 {
		scopes = []string{"read"}
	}
	website := strings.TrimSpace(p.Get("website"))
	if website != "" {
		u, err := url.Parse(website)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(website) > 2000 {
			return errorf(http.StatusUnprocessableEntity, "Validation failed: Website is invalid")
		}
	}
	secret := newSecret()
	a := &store.OAuthApp{ClientID: newSecret(), ClientSecretHash: store.HashSecret(secret), Name: name,
		Website: website, RedirectURIs: redirects, Scopes: scopes}
	if err := s.st.InsertOAuthApp(r.Context(), a); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, oauthCredentialApplication{
		oauthApplication: s.oauthApplicationOf(a),
		ClientID:         a.ClientID,
		ClientSecret:     secret,
	})
	return nil
}

// parseRedirectURIs accepts one string of whitespace-separated URIs or an
// array. Apps use custom schemes (mastodon://…, icecubesapp://), http for
// local development, and the out-of-band urn; never a script or data URL,
// and never a fragment (RFC 6749 3.1.2).
func parseRedirectURIs(vals []string) ([]string, error) {
	var out []string
	for _, v := range vals {
		for _, u := range strings.Fields(v) {
			if !contains(out, u) {
				out = append(out, u)
			}
		}
	}
	if len(out) == 0 {
		return nil, errorf(http.StatusUnprocessableEntity, "Validation failed: Redirect URI can't be blank")
	}
	if len(out) > 10 {
		return nil, errorf(http.StatusUnprocessableEntity, "Validation failed: Redirect URI has too many values")
	}
	for _, raw := range out {
		if !validRedirectURI(raw) {
			return nil, errorf(http.StatusUnprocessableEntity, "Validation failed: Redirect URI must be an absolute URI.")
		}
	}
	return out, nil
}

func validRedirectURI(raw string) bool {
	if raw == oobRedirect {
		return true
	}
	u, err := url.Parse(raw)
	if err != nil || len(raw) > 2000 || u.Scheme == "" || u.Fragment != "" || strings.Contains(raw, "#") {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "javascript", "data", "vbscript", "file", "blob", "about":
		return false
	case "http", "https":
		return u.Host != ""
	}
	return true
}

// getAppCredentials answers GET /api/v1/apps/verify_credentials with the
// token's app (any token, including an app-only one).
func (s *Server) getAppCredentials(w http.ResponseWriter, r *http.Request) error {
	a, err := s.st.GetOAuthApp(r.Context(), authFrom(r.Context()).AppID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.oauthApplicationOf(a))
	return nil
}

// oauthError is an RFC 6749 5.2 error from the token endpoints, worded as
// Doorkeeper words it.
type oauthError struct {
	Code int
	Name string
	Desc string
}

func (e *oauthError) Error() string { return e.Name + ": " + e.Desc }

var (
	errInvalidClient = &oauthError{http.StatusUnauthorized, "invalid_client",
		"Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."}
	errInvalidGrant = &oauthError{http.StatusBadRequest, "invalid_grant",
		"The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."}
	errInvalidScope = &oauthError{http.StatusBadRequest, "invalid_scope",
		"The requested scope is invalid, unknown, or malformed."}
	errUnsupportedGrant = &oauthError{http.StatusBadRequest, "unsupported_grant_type",
		"The authorization grant type is not supported by the authorization server."}
)

func errMissingParam(name string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_request", "Missing required parameter: " + name + "."}
}

// oauthJSON adapts the token endpoints: an *oauthError becomes
// {"error", "error_description"}, anything else goes the s.api way.
func (s *Server) oauthJSON(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// RFC 6749 5.1: token responses must not be cached.
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		err := h(w, r)
		var oe *oauthError
		switch {
		case err == nil:
		case errors.As(err, &oe):
			if oe.Code == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="Doorkeeper", error="`+oe.Name+`"`)
			}
			writeJSON(w, oe.Code, map[string]string{"error": oe.Name, "error_description": oe.Desc})
		default:
			code, msg := s.classify(r, err)
			writeJSON(w, code, map[string]string{"error": msg})
		}
	}
}

// clientApp authenticates the client by HTTP Basic (client_secret_basic)
// or by client_id and client_secret parameters (client_secret_post).
func (s *Server) clientApp(r *http.Request, p url.Values) (*store.OAuthApp, error) {
	id, secret := p.Get("client_id"), p.Get("client_secret")
	if u, pw, ok := r.BasicAuth(); ok {
		// RFC 6749 2.3.1: both are form-encoded inside the header.
		id, _ = url.QueryUnescape(u)
		secret, _ = url.QueryUnescape(pw)
	}
	if id == "" || secret == "" {
		return nil, errInvalidClient
	}
	a, err := s.st.GetOAuthAppByClientID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInvalidClient
	}
	if err != nil {
		return nil, err
	}
	if !a.CheckSecret(secret) {
		return nil, errInvalidClient
	}
	return a, nil
}

// tokenResponse is Mastodon's Token entity.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	Scope       string `json:"scope"`
	CreatedAt   int64  `json:"created_at"`
}

// postToken answers POST /oauth/token for the authorization_code and
// client_credentials grants.
func (s *Server) postToken(w http.ResponseWriter, r *http.Request) error {
	p, err := params(r)
	if err != nil {
		return err
	}
	grant := p.Get("grant_type")
	if grant == "" {
		return errMissingParam("grant_type")
	}
	if grant != "authorization_code" && grant != "client_credentials" {
		return errUnsupportedGrant
	}
	app, err := s.clientApp(r, p)
	if err != nil {
		return err
	}
	t := &store.OAuthToken{AppID: app.ID, CreatedAt: s.oauth.clock()}
	if grant == "authorization_code" {
		if t.Scopes, err = s.redeemCode(r, p, app); err != nil {
			return err
		}
		t.Owner = true
	} else {
		// An app-only token, for the few endpoints that need no user.
		scopes, unknown := parseScopes(p["scope"])
		if len(scopes) == 0 && unknown == "" {
			scopes = []string{"read"}
		}
		if unknown != "" || !allScopesIn(scopes, app.Scopes) {
			return errInvalidScope
		}
		t.Scopes = scopes
	}
	token := newSecret()
	if err := s.st.InsertOAuthToken(r.Context(), token, t); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: token, TokenType: "Bearer",
		Scope: strings.Join(t.Scopes, " "), CreatedAt: t.CreatedAt.Unix()})
	return nil
}

// redeemCode checks and uses up an authorization code, returning the
// scopes it grants. The code is gone once presented, even when the
// exchange then fails: a code that leaked can be tried only once.
func (s *Server) redeemCode(r *http.Request, p url.Values, app *store.OAuthApp) ([]string, error) {
	code := p.Get("code")
	if code == "" {
		return nil, errMissingParam("code")
	}
	c, err := s.st.TakeOAuthCode(r.Context(), code)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInvalidGrant
	}
	if err != nil {
		return nil, err
	}
	if c.AppID != app.ID || !s.oauth.clock().Before(c.ExpiresAt) {
		return nil, errInvalidGrant
	}
	// RFC 6749 4.1.3: the same redirect_uri as in the authorization
	// request. Some apps leave it out; the client secret is proof enough.
	if ru := p.Get("redirect_uri"); ru != "" && ru != c.RedirectURI {
		return nil, errInvalidGrant
	}
	if c.Challenge != "" {
		verifier := p.Get("code_verifier")
		if verifier == "" {
			return nil, errMissingParam("code_verifier")
		}
		if !pkceMatches(c.Challenge, verifier) {
			return nil, errInvalidGrant
		}
	}
	return c.Scopes, nil
}

// pkceMatches checks an RFC 7636 S256 verifier against its challenge.
func pkceMatches(challenge, verifier string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

func allScopesIn(want, allowed []string) bool {
	for _, w := range want {
		if !contains(allowed, w) {
			return false
		}
	}
	return true
}

// postRevoke answers POST /oauth/revoke (RFC 7009 as Doorkeeper does it):
// an unknown token is a success, another app's token is refused.
func (s *Server) postRevoke(w http.ResponseWriter, r *http.Request) error {
	p, err := params(r)
	if err != nil {
		return err
	}
	token := p.Get("token")
	if token == "" {
		return errMissingParam("token")
	}
	app, err := s.clientApp(r, p)
	if err != nil {
		return err
	}
	t, err := s.st.GetOAuthToken(r.Context(), token)
	if errors.Is(err, store.ErrNotFound) {
		writeJSON(w, http.StatusOK, struct{}{})
		return nil
	}
	if err != nil {
		return err
	}
	if t.AppID != app.ID {
		return &oauthError{http.StatusForbidden, "unauthorized_client", "You are not authorized to revoke this token"}
	}
	if err := s.st.DeleteOAuthToken(r.Context(), t.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// oauthMetadata is the RFC 8414 document, with the fields Mastodon 4.3
// serves.
type oauthMetadata struct {
	Issuer                            string   `json:"issuer"`
	ServiceDocumentation              string   `json:"service_documentation"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	AppRegistrationEndpoint           string   `json:"app_registration_endpoint"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
}

// getOAuthMetadata serves /.well-known/oauth-authorization-server.
func (s *Server) getOAuthMetadata(w http.ResponseWriter, r *http.Request) error {
	base := strings.TrimSuffix(s.cfg.BaseURL, "/")
	writeJSON(w, http.StatusOK, oauthMetadata{
		Issuer:                            base + "/",
		ServiceDocumentation:              "https://docs.joinmastodon.org/",
		AuthorizationEndpoint:             base + "/oauth/authorize",
		TokenEndpoint:                     base + "/oauth/token",
		AppRegistrationEndpoint:           base + "/api/v1/apps",
		RevocationEndpoint:                base + "/oauth/revoke",
		ScopesSupported:                   slices.Clone(knownScopes),
		ResponseTypesSupported:            []string{"code"},
		ResponseModesSupported:            []string{"query"},
		CodeChallengeMethodsSupported:     []string{"S256"},
		GrantTypesSupported:               []string{"authorization_code", "client_credentials"},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post"},
	})
	return nil
}

// oauthState is the OAuth server's memory: the login limiter, the consent
// page template and the clock. Its zero value is ready to use.
type oauthState struct {
	// now is the clock; nil means time.Now. Tests set it to age codes.
	now func() time.Time

	mu       sync.Mutex
	failures map[string]*failWindow // by client IP
	global   failWindow

	tmplOnce sync.Once
	tmpl     *template.Template
	tmplErr  error
}

func (o *oauthState) clock() time.Time {
	if o.now != nil {
		return o.now()
	}
	return time.Now()
}

// authzRequest is a checked authorization request.
type authzRequest struct {
	App         *store.OAuthApp
	RedirectURI string
	Scopes      []string
	State       string
	Challenge   string
	Method      string
	Lang        string
}

// authorizeRequest checks the parameters of /oauth/authorize. With an
// unknown client or redirect URI it returns no request: the error is for
// our page, never a redirect to an unverified URI (RFC 6749 4.1.2.1).
// Otherwise an *oauthError comes with the request, to send back to the app.
func (s *Server) authorizeRequest(r *http.Request, p url.Values) (*authzRequest, error) {
	if p.Get("client_id") == "" {
		return nil, errInvalidClient
	}
	app, err := s.st.GetOAuthAppByClientID(r.Context(), p.Get("client_id"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInvalidClient
	}
	if err != nil {
		return nil, err
	}
	req := &authzRequest{App: app, RedirectURI: p.Get("redirect_uri"), State: p.Get("state"),
		Challenge: p.Get("code_challenge"), Method: p.Get("code_challenge_method"), Lang: "en"}
	if req.RedirectURI == "" && len(app.RedirectURIs) == 1 {
		req.RedirectURI = app.RedirectURIs[0]
	}
	if !contains(app.RedirectURIs, req.RedirectURI) {
		return nil, &oauthError{http.StatusBadRequest, "invalid_redirect_uri", "The redirect URI included is not valid."}
	}
	if l := p.Get("lang"); validLang(l) {
		req.Lang = l
	}
	if rt := p.Get("response_type"); rt != "code" {
		return req, &oauthError{http.StatusBadRequest, "unsupported_response_type",
			"The authorization server does not support this response type."}
	}
	// Mastodon's default scope is "read".
	scopes, unknown := parseScopes([]string{cmpOr(p.Get("scope"), "read")})
	if unknown != "" || !allScopesIn(scopes, app.Scopes) {
		return req, errInvalidScope
	}
	req.Scopes = scopes
	if req.Challenge != "" || req.Method != "" {
		// RFC 7636: "plain" would defeat the point; S256 is all we take.
		if req.Method != "S256" {
			return req, &oauthError{http.StatusBadRequest, "invalid_request", "Code challenge method must be S256."}
		}
		if len(req.Challenge) < 43 || len(req.Challenge) > 128 {
			return req, &oauthError{http.StatusBadRequest, "invalid_request", "Code challenge is malformed."}
		}
	}
	return req, nil
}

func cmpOr(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func validLang(l string) bool {
	if len(l) < 2 || len(l) > 16 {
		return false
	}
	for _, c := range l {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// authorizeView is what templates/authorize.html shows: the consent form,
// an out-of-band code, or a final Message.
type authorizeView struct {
	Lang, Title, Handle, Version string
	AppName, AppWebsite          string
	Scopes                       []scopeView
	Hidden                       []hiddenField
	CSRF                         string
	Error                        string
	Code                         string
	Message                      string
}

type scopeView struct{ Name, Description string }

type hiddenField struct{ Name, Value string }

var scopeDescriptions = map[string]string{
	"read":    "Read all your account's data",
	"write":   "Change all your account's data: post, follow, edit your profile",
	"follow":  "Change who you follow, block and mute",
	"push":    "Receive your push notifications",
	"profile": "Read your profile only",
}

func describeScope(sc string) string {
	if d, ok := scopeDescriptions[sc]; ok {
		return d
	}
	kind, what, _ := strings.Cut(sc, ":")
	what = strings.ReplaceAll(what, ":", " ")
	switch kind {
	case "read":
		return "Read your " + what
	case "write":
		return "Change your " + what
	}
	return "Administration: " + what
}

func (s *Server) newAuthorizeView(req *authzRequest) *authorizeView {
	v := &authorizeView{Lang: "en", Title: "Authorize", Handle: s.urls.Handle(), Version: s.cfg.Version}
	if req == nil {
		return v
	}
	v.Lang = req.Lang
	v.AppName, v.AppWebsite = req.App.Name, req.App.Website
	v.Title = "Authorize " + req.App.Name
	for _, sc := range req.Scopes {
		v.Scopes = append(v.Scopes, scopeView{sc, describeScope(sc)})
	}
	v.Hidden = []hiddenField{
		{"response_type", "code"}, {"client_id", req.App.ClientID}, {"redirect_uri", req.RedirectURI},
		{"scope", strings.Join(req.Scopes, " ")}, {"state", req.State},
		{"code_challenge", req.Challenge}, {"code_challenge_method", req.Method}, {"lang", req.Lang},
	}
	return v
}

func (s *Server) authorizeTemplate() (*template.Template, error) {
	o := &s.oauth
	o.tmplOnce.Do(func() {
		o.tmpl, o.tmplErr = template.ParseFS(s.cfg.Templates, "authorize.html")
	})
	return o.tmpl, o.tmplErr
}

// renderAuthorize writes the page. It must not be framed (clickjacking a
// consent page), cached, or leak its URL (state, code) as a referrer.
func (s *Server) renderAuthorize(w http.ResponseWriter, code int, v *authorizeView) error {
	t, err := s.authorizeTemplate()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "authorize", v); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
	return nil
}

const csrfCookie = "roost_csrf"

// csrfToken returns the browser's CSRF token, setting a new cookie if it
// has none. The form echoes it in a hidden field (double submit); the
// cookie is HttpOnly and SameSite=Lax, so another site can neither read
// it nor send it with a cross-site POST.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	tok := newSecret()
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/oauth/authorize", MaxAge: 86400,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: strings.HasPrefix(s.cfg.BaseURL, "https:")})
	return tok
}

func csrfOK(r *http.Request, form string) bool {
	c, err := r.Cookie(csrfCookie)
	return err == nil && c.Value != "" && subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) == 1
}

// redirectURL appends q to a registered redirect URI as it was
// registered: url.URL would rewrite "icecubesapp://" as "icecubesapp:".
func redirectURL(uri string, q url.Values) string {
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	return uri + sep + q.Encode()
}

// authorizeFailed shows err on our page, or sends it to the app when the
// request names a verified redirect URI.
func (s *Server) authorizeFailed(w http.ResponseWriter, r *http.Request, req *authzRequest, err error) error {
	var oe *oauthError
	if !errors.As(err, &oe) {
		return err
	}
	if req != nil && req.RedirectURI != oobRedirect {
		q := url.Values{"error": {oe.Name}, "error_description": {oe.Desc}}
		if req.State != "" {
			q.Set("state", req.State)
		}
		http.Redirect(w, r, redirectURL(req.RedirectURI, q), http.StatusFound)
		return nil
	}
	v := s.newAuthorizeView(req)
	v.Message = oe.Desc
	return s.renderAuthorize(w, oe.Code, v)
}

// getAuthorize serves the login-and-consent page. Roost has one user and
// no sessions, so the password is asked every time and force_login
// changes nothing.
func (s *Server) getAuthorize(w http.ResponseWriter, r *http.Request) error {
	p, err := params(r)
	if err != nil {
		return err
	}
	req, err := s.authorizeRequest(r, p)
	if err != nil {
		return s.authorizeFailed(w, r, req, err)
	}
	v := s.newAuthorizeView(req)
	v.CSRF = s.csrfToken(w, r)
	return s.renderAuthorize(w, http.StatusOK, v)
}

// postAuthorize takes the consent form: Deny sends access_denied to the
// app; Authorize checks the password (rate-limited) and sends a code.
func (s *Server) postAuthorize(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return errorf(http.StatusBadRequest, "The form could not be read.")
	}
	p := r.PostForm
	if !csrfOK(r, p.Get("csrf")) {
		v := s.newAuthorizeView(nil)
		v.Message = "This form has expired or was not sent from this site. Go back to the app and sign in again."
		return s.renderAuthorize(w, http.StatusForbidden, v)
	}
	req, err := s.authorizeRequest(r, p)
	if err != nil {
		return s.authorizeFailed(w, r, req, err)
	}
	if p.Get("deny") != "" {
		return s.authorizeFailed(w, r, req, &oauthError{http.StatusForbidden, "access_denied",
			"The resource owner or authorization server denied the request."})
	}
	ip := clientIP(r)
	if wait := s.oauth.loginWait(ip); wait > 0 {
		mins := int(wait.Minutes()) + 1
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		v := s.newAuthorizeView(req)
		v.Message = "Too many wrong passwords. Try again in " + strconv.Itoa(mins) + " minutes."
		return s.renderAuthorize(w, http.StatusTooManyRequests, v)
	}
	owner, err := s.st.GetOwner(r.Context())
	if err != nil {
		return err
	}
	if !CheckPassword(owner.PasswordHash, p.Get("password")) {
		s.oauth.loginFailed(ip)
		s.log.Warn("wrong password on the authorize page", "ip", ip, "app", req.App.Name)
		v := s.newAuthorizeView(req)
		v.CSRF = p.Get("csrf")
		v.Error = "Wrong password."
		return s.renderAuthorize(w, http.StatusOK, v)
	}
	s.oauth.loginSucceeded(ip)
	code := newSecret()
	err = s.st.InsertOAuthCode(r.Context(), code, &store.OAuthCode{AppID: req.App.ID, Scopes: req.Scopes,
		RedirectURI: req.RedirectURI, Challenge: req.Challenge, ChallengeMethod: req.Method,
		ExpiresAt: s.oauth.clock().Add(codeTTL)})
	if err != nil {
		return err
	}
	s.log.Info("app authorized", "app", req.App.Name, "scopes", strings.Join(req.Scopes, " "))
	if req.RedirectURI == oobRedirect {
		v := s.newAuthorizeView(req)
		v.Code = code
		return s.renderAuthorize(w, http.StatusOK, v)
	}
	q := url.Values{"code": {code}}
	if req.State != "" {
		q.Set("state", req.State)
	}
	http.Redirect(w, r, redirectURL(req.RedirectURI, q), http.StatusFound)
	return nil
}
