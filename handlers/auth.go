package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"roost/store"
)

// authInfo is who a request acts for: the token, its app and its scopes.
// Owner is false for client_credentials tokens, which act for the app
// alone (Mastodon's "no current_user").
type authInfo struct {
	TokenID, AppID int64
	Scopes         []string
	Owner          bool
}

// allows reports whether the token grants scope (see scopeAllows).
func (a *authInfo) allows(scope string) bool { return scopeAllows(a.Scopes, scope) }

type authKey struct{}

// authFrom returns the request's authentication, nil when anonymous.
func authFrom(ctx context.Context) *authInfo {
	a, _ := ctx.Value(authKey{}).(*authInfo)
	return a
}

// Mastodon's (Doorkeeper's) messages, which apps show as they are.
var (
	errInvalidToken = &httpError{Code: http.StatusUnauthorized, Msg: "The access token is invalid"}
	errOutOfScope   = &httpError{Code: http.StatusForbidden, Msg: "This action is outside the authorized scopes"}
	errNeedsUser    = &httpError{Code: http.StatusUnprocessableEntity, Msg: "This method requires an authenticated user"}
)

// tokenUseInterval is how stale oauth_tokens.last_used_at may be: one
// write per token per minute, not one per request.
const tokenUseInterval = time.Minute

// authed wraps h (through s.api) so that it runs only with a valid bearer
// token granting scope. scope "" accepts any valid token; "a b" accepts a
// token granting a or b (as Doorkeeper's doorkeeper_authorize! :a, :b,
// e.g. "read:accounts profile" for verify_credentials). Without a token,
// or with an unknown or revoked one, the answer is 401; with a token
// missing the scope, 403. client_credentials tokens pass: see ownerAuthed.
func (s *Server) authed(scope string, h handlerFunc) http.HandlerFunc {
	return s.withAuth(true, false, scope, h)
}

// ownerAuthed is authed for endpoints that act as the owner (timelines,
// posting, the owner's account): a client_credentials token, which has no
// user, gets 422 "This method requires an authenticated user" as from
// Mastodon's require_user!.
func (s *Server) ownerAuthed(scope string, h handlerFunc) http.HandlerFunc {
	return s.withAuth(true, true, scope, h)
}

// optionalAuth lets anonymous requests through (authFrom is nil) but, like
// authed, answers 401 to an invalid token rather than ignoring it.
func (s *Server) optionalAuth(h handlerFunc) http.HandlerFunc {
	return s.withAuth(false, false, "", h)
}

func (s *Server) withAuth(required, ownerOnly bool, scope string, h handlerFunc) http.HandlerFunc {
	return s.api(func(w http.ResponseWriter, r *http.Request) error {
		r = withParamCache(r)
		a, err := s.authenticate(r)
		if err != nil {
			if errors.Is(err, errInvalidToken) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="Doorkeeper", error="invalid_token", error_description="The access token is invalid"`)
			}
			return err
		}
		switch {
		case a == nil && required:
			w.Header().Set("WWW-Authenticate", `Bearer realm="Doorkeeper", error="invalid_token", error_description="The access token is invalid"`)
			return errInvalidToken
		case a == nil:
		case scope != "" && !anyScopeAllowed(a.Scopes, scope):
			w.Header().Set("WWW-Authenticate", `Bearer realm="Doorkeeper", error="insufficient_scope", error_description="This action is outside the authorized scopes"`)
			return errOutOfScope
		case ownerOnly && !a.Owner:
			return errNeedsUser
		}
		if a != nil {
			r = r.WithContext(context.WithValue(r.Context(), authKey{}, a))
		}
		return h(w, r)
	})
}

// authenticate finds the request's token: nil, nil without one;
// errInvalidToken for one that does not exist (or was revoked).
func (s *Server) authenticate(r *http.Request) (*authInfo, error) {
	token, err := bearerToken(r)
	if err != nil || token == "" {
		return nil, err
	}
	t, err := s.st.GetOAuthToken(r.Context(), token)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInvalidToken
	}
	if err != nil {
		return nil, err
	}
	if now := s.oauth.clock(); now.Sub(t.LastUsedAt) >= tokenUseInterval {
		if err := s.st.TouchOAuthToken(r.Context(), t.ID, now); err != nil {
			// Bookkeeping only: the request itself may go on.
			s.log.Warn("token last use not recorded", "token_id", t.ID, "err", err)
		}
	}
	return &authInfo{TokenID: t.ID, AppID: t.AppID, Scopes: t.Scopes, Owner: t.Owner}, nil
}

// bearerToken reads the token from "Authorization: Bearer", or from the
// access_token parameter as Doorkeeper also allows (query, or a form or
// JSON body; multipart bodies are not read here, so that an upload
// handler can bound its body before anything reads it).
func bearerToken(r *http.Request) (string, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			return "", errInvalidToken
		}
		return strings.TrimSpace(tok), nil
	}
	if t := r.URL.Query().Get("access_token"); t != "" {
		return t, nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" && mt != "application/json" {
		return "", nil
	}
	p, err := params(r)
	if err != nil {
		return "", err
	}
	return p.Get("access_token"), nil
}

// followScopes are what the legacy "follow" scope grants (Mastodon 3.5+).
var followScopes = []string{"read:follows", "read:blocks", "read:mutes", "write:follows", "write:blocks", "write:mutes"}

// scopeAllows reports whether the granted scopes include want, with
// Mastodon's rules: "read" grants every "read:…", "write" every
// "write:…", "admin:read" every "admin:read:…" (likewise admin:write),
// "follow" grants followScopes; "push" and "profile" grant only
// themselves. A specific scope never grants the general one.
func scopeAllows(granted []string, want string) bool {
	for _, g := range granted {
		switch {
		case g == want:
			return true
		case strings.HasPrefix(want, g+":") && (g == "read" || g == "write" || g == "admin:read" || g == "admin:write"):
			return true
		case g == "follow" && contains(followScopes, want):
			return true
		}
	}
	return false
}

// anyScopeAllowed is scopeAllows for a space-separated list of
// alternatives.
func anyScopeAllowed(granted []string, wants string) bool {
	for _, w := range strings.Fields(wants) {
		if scopeAllows(granted, w) {
			return true
		}
	}
	return false
}

// Failed logins: after loginMaxPerIP failures from one address within
// loginWindow, that address gets 429 until the window ends; after
// loginMaxGlobal failures from anywhere, everyone does (a distributed
// guesser must not get 5 tries per address; the owner waiting a quarter
// of an hour is the price).
const (
	loginWindow    = 15 * time.Minute
	loginMaxPerIP  = 5
	loginMaxGlobal = 20
)

// failWindow counts failures in a fixed window that starts at the first.
type failWindow struct {
	start time.Time
	n     int
}

func (w *failWindow) wait(now time.Time, max int) time.Duration {
	if left := loginWindow - now.Sub(w.start); left > 0 && w.n >= max {
		return left
	}
	return 0
}

func (w *failWindow) add(now time.Time) {
	if now.Sub(w.start) >= loginWindow {
		w.start, w.n = now, 0
	}
	w.n++
}

// loginWait says how long ip must wait before trying a password; 0 means
// now.
func (o *oauthState) loginWait(ip string) time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.clock()
	d := o.global.wait(now, loginMaxGlobal)
	if f := o.failures[ip]; f != nil {
		d = max(d, f.wait(now, loginMaxPerIP))
	}
	return d
}

// loginFailed records a wrong password from ip.
func (o *oauthState) loginFailed(ip string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.clock()
	if o.failures == nil {
		o.failures = map[string]*failWindow{}
	}
	if len(o.failures) > 1000 {
		for k, f := range o.failures {
			if now.Sub(f.start) >= loginWindow {
				delete(o.failures, k)
			}
		}
	}
	f := o.failures[ip]
	if f == nil {
		f = &failWindow{}
		o.failures[ip] = f
	}
	f.add(now)
	o.global.add(now)
}

// loginSucceeded forgets ip's failures.
func (o *oauthState) loginSucceeded(ip string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.failures, ip)
}

// clientIP is the address a login comes from. Behind a reverse proxy on
// the same machine (the usual set-up) that is the last X-Forwarded-For
// entry, the one the proxy itself added; otherwise the peer address.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if last := strings.TrimSpace(parts[len(parts)-1]); last != "" {
				return last
			}
		}
	}
	return host
}

// corsMiddleware lets browser clients on other origins (Elk, Phanpy,
// Pinafore) call the API, the token endpoints and discovery: a wildcard
// origin (no cookies are involved; tokens travel in headers) and an answer
// to every OPTIONS preflight.
func corsMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !corsPath(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "Link")
		if r.Method != http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key")
		h.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
	})
}

func corsPath(p string) bool {
	return strings.HasPrefix(p, "/api/") || p == "/oauth/token" || p == "/oauth/revoke" ||
		strings.HasPrefix(p, "/.well-known/") || strings.HasPrefix(p, "/nodeinfo/")
}

// maxParamBody bounds a form or JSON request body.
const maxParamBody = 1 << 20

// maxMultipartMemory is how much of a multipart body is kept in memory;
// the rest of the files goes to temporary files.
const maxMultipartMemory = 8 << 20

// maxMultipartBody bounds a multipart body read through params: room for
// an avatar and a header at the image size limit.
const maxMultipartBody = 2*limitImageSize + 1<<20

type paramsKey struct{}

// paramCache holds a request's parsed parameters, so that the auth
// middleware and the handler read the body once.
type paramCache struct {
	done bool
	v    url.Values
	err  error
}

func withParamCache(r *http.Request) *http.Request {
	if _, ok := r.Context().Value(paramsKey{}).(*paramCache); ok {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), paramsKey{}, &paramCache{}))
}

// params returns the request's parameters as Mastodon (Rails) sees them:
// the query string merged with a urlencoded, multipart or JSON-object
// body, the body winning for a key in both. Keys lose a trailing "[]"
// ("scopes[]" → "scopes"). A JSON body's strings, numbers and booleans
// become values, arrays become repeated values (an empty array is a
// present key with no values), nested objects become bracketed keys
// ({"poll": {"expires_in": 60}} → "poll[expires_in]", as forms send it),
// objects in arrays get their index ("media_attributes[0][id]"), and
// null is absent. A JSON body stays readable in r.Body afterwards.
// Form and JSON bodies are limited to 1 MiB (413 beyond); a multipart
// body is not bounded here: an upload handler wraps r.Body in
// http.MaxBytesReader first, and finds its files in r.MultipartForm. A
// body that does not parse is a 400 *httpError. Behind authed and
// optionalAuth the body is parsed once per request, however often
// params is called.
func params(r *http.Request) (url.Values, error) {
	if c, ok := r.Context().Value(paramsKey{}).(*paramCache); ok {
		if !c.done {
			c.v, c.err = parseParams(r)
			c.done = true
		}
		return c.v, c.err
	}
	return parseParams(r)
}

func parseParams(r *http.Request) (url.Values, error) {
	out := url.Values{}
	for k, vs := range r.URL.Query() {
		out[normalizeKey(k)] = append(out[normalizeKey(k)], vs...)
	}
	if r.Body == nil || r.Body == http.NoBody {
		return out, nil
	}
	body := url.Values{}
	ct := r.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	switch {
	case mt == "multipart/form-data":
		// Bound every multipart body here too, whatever the route: an
		// unauthenticated one (app registration) must not fill the disk
		// with spooled parts. Upload routes bound theirs lower first.
		r.Body = http.MaxBytesReader(nil, r.Body, maxMultipartBody)
		if err := r.ParseMultipartForm(maxMultipartMemory); err != nil {
			return nil, paramsError(err)
		}
		body = r.MultipartForm.Value
	case mt == "application/x-www-form-urlencoded":
		r.Body = http.MaxBytesReader(nil, r.Body, maxParamBody)
		if err := r.ParseForm(); err != nil {
			return nil, paramsError(err)
		}
		body = r.PostForm
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "":
		// Some clients send JSON without a Content-Type; an empty body
		// without one is simply no parameters.
		b, err := io.ReadAll(io.LimitReader(r.Body, maxParamBody+1))
		if err != nil {
			return nil, paramsError(err)
		}
		if len(b) > maxParamBody {
			return nil, paramsError(&http.MaxBytesError{Limit: maxParamBody})
		}
		// Leave the body readable for a handler that decodes it itself.
		r.Body = io.NopCloser(bytes.NewReader(b))
		if body, err = jsonParams(b); err != nil {
			if mt == "" {
				return out, nil // not JSON after all: ignore an unlabelled body
			}
			return nil, paramsError(err)
		}
	}
	for k, vs := range body {
		out[normalizeKey(k)] = vs
	}
	return out, nil
}

func normalizeKey(k string) string {
	if strings.HasSuffix(k, "[]") && len(k) > 2 {
		return k[:len(k)-2]
	}
	return k
}

func paramsError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &httpError{Code: http.StatusRequestEntityTooLarge, Msg: "Request body too large", Err: err}
	}
	return &httpError{Code: http.StatusBadRequest, Msg: "Error occurred while parsing request parameters", Err: err}
}

func jsonParams(b []byte) (url.Values, error) {
	out := url.Values{}
	if len(bytes.TrimSpace(b)) == 0 {
		return out, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("decode json body: %w", err)
	}
	if obj == nil {
		return nil, errors.New("json body is not an object")
	}
	for k, v := range obj {
		flattenJSON(out, normalizeKey(k), v)
	}
	return out, nil
}

func flattenJSON(out url.Values, key string, v any) {
	switch v := v.(type) {
	case nil:
	case map[string]any:
		for k, sub := range v {
			flattenJSON(out, key+"["+normalizeKey(k)+"]", sub)
		}
	case []any:
		if _, ok := out[key]; !ok && len(v) == 0 {
			out[key] = []string{}
		}
		for i, el := range v {
			if s, ok := jsonScalar(el); ok {
				out[key] = append(out[key], s)
			} else {
				flattenJSON(out, key+"["+strconv.Itoa(i)+"]", el)
			}
		}
	default:
		if s, ok := jsonScalar(v); ok {
			out.Add(key, s)
		}
	}
}

func jsonScalar(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}
