package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	mastodon "github.com/mattn/go-mastodon"

	"roost/ap"
	"roost/store"
)

// TestAppEndToEnd behaves like a Mastodon app, through a real client
// library (go-mastodon) and plain HTTP where the library stops: register,
// log in on the OAuth page with PKCE, post a picture with a content
// warning, read the home timeline and page through it, stream a new post
// over WebSocket, and get notified when another Roost replies and
// favourites.
func TestAppEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	b := newInstance(t, n, "b.test", "bob", false)
	hash, err := HashPassword("a long test password")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.st.SetOwnerPassword(ctx, hash); err != nil {
		t.Fatal(err)
	}
	httpClient := http.Client{Transport: &http.Transport{DialContext: n.dial}}

	// Register the app with the library.
	app, err := mastodon.RegisterApp(ctx, &mastodon.AppConfig{Client: httpClient, Server: a.urls.Base,
		ClientName: "E2E", RedirectURIs: "app://callback", Scopes: "read write follow push", Website: "https://e2e.example"})
	if err != nil {
		t.Fatalf("register app: %v", err)
	}

	// Log in on the consent page with PKCE, as a browser would.
	verifier := newSecret() + "-verifier"
	sum := sha256.Sum256([]byte(verifier))
	code := browserLogin(t, n, a.urls.Base, url.Values{"response_type": {"code"}, "client_id": {app.ClientID},
		"redirect_uri": {"app://callback"}, "scope": {"read write follow push"}, "state": {"s1"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}},
		"a long test password")
	resp, err := httpClient.PostForm(a.urls.Base+"/oauth/token", url.Values{"grant_type": {"authorization_code"},
		"client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "redirect_uri": {"app://callback"},
		"code": {code}, "code_verifier": {verifier}})
	if err != nil {
		t.Fatal(err)
	}
	tokenBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	token := regexp.MustCompile(`"access_token":"([^"]+)"`).FindStringSubmatch(string(tokenBody))
	if token == nil {
		t.Fatalf("token exchange: %s", tokenBody)
	}
	c := mastodon.NewClient(&mastodon.Config{Server: a.urls.Base, ClientID: app.ClientID, ClientSecret: app.ClientSecret, AccessToken: token[1]})
	c.Client = httpClient
	me, err := c.GetAccountCurrentUser(ctx)
	if err != nil || me.Username != "alice" {
		t.Fatalf("verify_credentials: %v %v", me, err)
	}

	// Alice follows bob through the API, so that bob's posts reach her.
	res, err := c.Search(ctx, "bob@b.test", true)
	if err != nil || len(res.Accounts) != 1 {
		t.Fatalf("search: %v %v", res, err)
	}
	if _, err := c.AccountFollow(ctx, res.Accounts[0].ID); err != nil {
		t.Fatal(err)
	}
	b.followHandle("alice@a.test")
	settle(t, a, b)

	// Post a picture with a content warning.
	pic, err := c.UploadMediaFromBytes(ctx, testPNG(t, 40, 30, 255))
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	posted, err := c.PostStatus(ctx, &mastodon.Toot{Status: "look at this", SpoilerText: "a picture", MediaIDs: []mastodon.ID{pic.ID}, Visibility: "public"})
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	if posted.SpoilerText != "a picture" || !posted.Sensitive || len(posted.MediaAttachments) != 1 {
		t.Errorf("posted %+v", posted)
	}
	settle(t, a, b)
	if got := b.status(string(posted.URI)); got == nil {
		t.Error("bob did not receive the post")
	} else if parts, _ := b.st.GetStatusParts(ctx, got.ID); len(parts.Media) != 1 {
		t.Error("bob's copy has no attachment")
	}

	// Read it back on home and page with max_id and min_id.
	for i := 0; i < 3; i++ {
		if _, err := c.PostStatus(ctx, &mastodon.Toot{Status: "filler " + string(rune('a'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	pg := &mastodon.Pagination{Limit: 2}
	first, err := c.GetTimelineHome(ctx, pg)
	if err != nil || len(first) != 2 || first[0].Content == "" {
		t.Fatalf("home page 1: %v %v", first, err)
	}
	next := &mastodon.Pagination{MaxID: pg.MaxID, Limit: 2}
	second, err := c.GetTimelineHome(ctx, next)
	if err != nil || len(second) != 2 || second[1].ID != posted.ID {
		t.Fatalf("home page 2: %v %v (want the picture post last)", ids(second), err)
	}
	newer, err := c.GetTimelineHome(ctx, &mastodon.Pagination{MinID: posted.ID, Limit: 1})
	if err != nil || len(newer) != 1 || newer[0].Content != first[1].Content && newer[0].ID == posted.ID {
		t.Errorf("min_id page: %v %v", ids(newer), err)
	}

	// Stream a new post over WebSocket.
	ws := c.NewWSClient()
	ws.NetDialContext = n.dial
	sctx, scancel := context.WithCancel(ctx)
	defer scancel()
	events, err := ws.StreamingWSUser(sctx)
	if err != nil {
		t.Fatal(err)
	}
	var live *mastodon.Status
	go func() {
		// Give the socket a moment to subscribe: poll by posting until
		// an update arrives (bounded by the test's context).
		for i := 0; i < 50 && sctx.Err() == nil; i++ {
			if _, err := c.PostStatus(ctx, &mastodon.Toot{Status: "live post"}); err != nil {
				return
			}
			select {
			case <-sctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	for ev := range events {
		if u, ok := ev.(*mastodon.UpdateEvent); ok && strings.Contains(u.Status.Content, "live post") {
			live = u.Status
			break
		}
		if e, ok := ev.(*mastodon.ErrorEvent); ok {
			t.Fatalf("stream: %v", e)
		}
	}
	scancel()
	if live == nil {
		t.Fatal("no update arrived on the stream")
	}

	// Bob replies and favourites on his server; alice is notified.
	orig := b.status(string(posted.URI))
	if _, err := b.fed.Post(ctx, ap.PostInput{Content: "<p>nice picture</p>", Visibility: store.Public, InReplyTo: orig}); err != nil {
		t.Fatal(err)
	}
	if err := b.fed.Favourite(ctx, orig); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b)
	notes, err := c.GetNotifications(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, n := range notes {
		if n.Account.Acct == "bob@b.test" {
			got[n.Type] = true
		}
	}
	if !got["mention"] || !got["favourite"] {
		t.Errorf("notifications from bob: %v", got)
	}
}

func ids(list []*mastodon.Status) []mastodon.ID {
	var out []mastodon.ID
	for _, s := range list {
		out = append(out, s.ID)
	}
	return out
}

var (
	csrfFieldRE   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	hiddenFieldRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// browserLogin loads the consent page, signs in with password and returns
// the code the page redirects to the app with.
func browserLogin(t *testing.T, n *fedNet, base string, q url.Values, password string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Transport: &http.Transport{DialContext: n.dial},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(base + "/oauth/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfFieldRE.FindStringSubmatch(string(page))
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("consent page: %d %s", resp.StatusCode, page)
	}
	form := url.Values{"csrf": {m[1]}, "password": {password}}
	for _, f := range hiddenFieldRE.FindAllStringSubmatch(string(page), -1) {
		if f[1] != "csrf" {
			form.Set(f[1], html.UnescapeString(f[2]))
		}
	}
	resp, err = browser.PostForm(base+"/oauth/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("sign-in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("code")
}
