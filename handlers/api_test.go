package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"roost/store"
)

// apiClient calls one instance's Mastodon API with a token, over the test
// network, as an app would.
type apiClient struct {
	t     testing.TB
	in    *instance
	token string
	http  *http.Client
}

func (in *instance) api(scopes string) *apiClient {
	in.t.Helper()
	ctx := context.Background()
	a := &store.OAuthApp{ClientID: newSecret(), ClientSecretHash: store.HashSecret("s"), Name: "Test app",
		RedirectURIs: []string{oobRedirect}, Scopes: strings.Fields(scopes)}
	if err := in.st.InsertOAuthApp(ctx, a); err != nil {
		in.t.Fatal(err)
	}
	tok := newSecret()
	if err := in.st.InsertOAuthToken(ctx, tok, &store.OAuthToken{AppID: a.ID, Scopes: a.Scopes, Owner: true}); err != nil {
		in.t.Fatal(err)
	}
	return &apiClient{t: in.t, in: in, token: tok, http: &http.Client{Transport: &http.Transport{DialContext: in.net.dial}}}
}

// do sends a request with form parameters and decodes a JSON answer into
// out (when not nil); it returns the response.
func (c *apiClient) do(method, path string, form url.Values, hdr map[string]string, out any) *http.Response {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.in.urls.Base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if resp.StatusCode/100 != 2 {
			c.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp
}

type jsonObj = map[string]any

func TestClientAPIAgainstAnotherServer(t *testing.T) {
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	b := newInstance(t, n, "b.test", "bob", false)
	app := a.api("read write follow")
	ctx := context.Background()

	var me jsonObj
	app.do("GET", "/api/v1/accounts/verify_credentials", nil, nil, &me)
	if me["username"] != "alice" || me["source"] == nil || me["acct"] != "alice" {
		t.Fatalf("verify_credentials = %v", me)
	}

	// Find bob by handle and follow him.
	var found jsonObj
	app.do("GET", "/api/v2/search?resolve=true&q=%40bob%40b.test", nil, nil, &found)
	accts := found["accounts"].([]any)
	if len(accts) != 1 || accts[0].(jsonObj)["acct"] != "bob@b.test" {
		t.Fatalf("search = %v", found)
	}
	bobID := accts[0].(jsonObj)["id"].(string)
	var rel jsonObj
	app.do("POST", "/api/v1/accounts/"+bobID+"/follow", url.Values{}, nil, &rel)
	settle(t, a, b)
	var rels []jsonObj
	app.do("GET", "/api/v1/accounts/relationships?id[]="+bobID, nil, nil, &rels)
	if len(rels) != 1 || rels[0]["following"] != true {
		t.Fatalf("relationship after follow = %v", rels)
	}

	// Bob posts and mentions alice: home timeline and a notification.
	aliceAtB := b.resolve("alice@a.test")
	bobPost := b.post("<p>hello alice</p>", store.Public, aliceAtB)
	settle(t, a, b)
	var home []jsonObj
	resp := app.do("GET", "/api/v1/timelines/home", nil, nil, &home)
	if len(home) == 0 || home[0]["uri"] != bobPost.URI {
		t.Fatalf("home = %v", home)
	}
	if !strings.Contains(resp.Header.Get("Link"), `rel="next"`) || !strings.Contains(resp.Header.Get("Link"), `rel="prev"`) {
		t.Errorf("home Link header = %q", resp.Header.Get("Link"))
	}
	var notes []jsonObj
	app.do("GET", "/api/v1/notifications", nil, nil, &notes)
	if len(notes) == 0 || notes[0]["type"] != "mention" {
		t.Fatalf("notifications = %v", notes)
	}
	var unread jsonObj
	app.do("GET", "/api/v1/notifications/unread_count", nil, nil, &unread)
	if unread["count"].(float64) < 1 {
		t.Errorf("unread_count = %v", unread)
	}
	app.do("POST", "/api/v1/markers", url.Values{"notifications[last_read_id]": {notes[0]["id"].(string)}}, nil, &jsonObj{})
	app.do("GET", "/api/v1/notifications/unread_count", nil, nil, &unread)
	if unread["count"].(float64) != 0 {
		t.Errorf("unread_count after the marker = %v", unread)
	}

	// Alice posts with a mention, a hashtag and a content warning.
	var mine jsonObj
	app.do("POST", "/api/v1/statuses", url.Values{"status": {"Hi @bob@b.test, this is *Roost* #RoostTest"},
		"spoiler_text": {"greetings"}, "visibility": {"public"}}, map[string]string{"Idempotency-Key": "k1"}, &mine)
	mentions, tags := mine["mentions"].([]any), mine["tags"].([]any)
	if len(mentions) != 1 || mentions[0].(jsonObj)["acct"] != "bob@b.test" || len(tags) != 1 || tags[0].(jsonObj)["name"] != "roosttest" {
		t.Errorf("posted status mentions %v tags %v", mentions, tags)
	}
	if mine["spoiler_text"] != "greetings" || mine["sensitive"] != true || !strings.Contains(mine["content"].(string), "<em>Roost</em>") {
		t.Errorf("posted status = %v", mine)
	}
	var again jsonObj
	app.do("POST", "/api/v1/statuses", url.Values{"status": {"Hi again"}}, map[string]string{"Idempotency-Key": "k1"}, &again)
	if again["id"] != mine["id"] {
		t.Error("the same Idempotency-Key posted twice")
	}
	settle(t, a, b)
	if got := b.status(mine["uri"].(string)); got == nil || len(b.notifications(store.NotifyMention)) != 1 {
		t.Error("bob did not get alice's post with a mention notification")
	}

	// Favourite, boost and bookmark bob's post.
	var st jsonObj
	bobID2 := home[0]["id"].(string)
	app.do("POST", "/api/v1/statuses/"+bobID2+"/favourite", url.Values{}, nil, &st)
	app.do("POST", "/api/v1/statuses/"+bobID2+"/reblog", url.Values{}, nil, &st)
	app.do("POST", "/api/v1/statuses/"+bobID2+"/bookmark", url.Values{}, nil, &st)
	if st["favourited"] != true || st["reblogged"] != true || st["bookmarked"] != true {
		t.Errorf("after favourite, reblog, bookmark: %v %v %v", st["favourited"], st["reblogged"], st["bookmarked"])
	}
	settle(t, a, b)
	if got, _ := b.st.GetStatus(ctx, bobPost.ID); got.FavouritesCount != 1 || got.ReblogsCount != 1 {
		t.Errorf("bob's post: favourites %d reblogs %d", got.FavouritesCount, got.ReblogsCount)
	}

	// Edit, then delete and redraft.
	var edited jsonObj
	app.do("PUT", "/api/v1/statuses/"+mine["id"].(string), url.Values{"status": {"Hi @bob@b.test, edited"}}, nil, &edited)
	if edited["edited_at"] == nil {
		t.Error("edit has no edited_at")
	}
	var history []jsonObj
	app.do("GET", "/api/v1/statuses/"+mine["id"].(string)+"/history", nil, nil, &history)
	if len(history) != 2 {
		t.Errorf("history has %d versions", len(history))
	}
	settle(t, a, b)
	if got := b.status(mine["uri"].(string)); got == nil || !strings.Contains(got.Content, "edited") {
		t.Error("bob's copy was not edited")
	}
	var deleted jsonObj
	app.do("DELETE", "/api/v1/statuses/"+mine["id"].(string), nil, nil, &deleted)
	if deleted["text"] != "Hi @bob@b.test, edited" {
		t.Errorf("delete answered text %v", deleted["text"])
	}
	settle(t, a, b)
	if b.status(mine["uri"].(string)) != nil {
		t.Error("bob still has the deleted status")
	}

	// Profile update reaches bob, once he follows alice (actor Updates go
	// to followers).
	if err := b.fed.Follow(ctx, aliceAtB); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b)
	app.do("PATCH", "/api/v1/accounts/update_credentials", url.Values{"display_name": {"Alice A."},
		"note": {"I *like* tea"}, "fields_attributes[0][name]": {"Web"}, "fields_attributes[0][value]": {"https://alice.example"}}, nil, &me)
	if me["display_name"] != "Alice A." || !strings.Contains(me["note"].(string), "<em>like</em>") {
		t.Errorf("update_credentials = %v %v", me["display_name"], me["note"])
	}
	settle(t, a, b)
	if got := b.accountOf(a); got.DisplayName != "Alice A." {
		t.Errorf("bob sees %q", got.DisplayName)
	}

	// Mute and a private note show in the relationship.
	app.do("POST", "/api/v1/accounts/"+bobID+"/mute", url.Values{}, nil, &rel)
	app.do("POST", "/api/v1/accounts/"+bobID+"/note", url.Values{"comment": {"met at the fair"}}, nil, &rel)
	if rel["muting"] != true || rel["note"] != "met at the fair" {
		t.Errorf("relationship = %v", rel)
	}
}

func TestScopesAndPaging(t *testing.T) {
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	reader := a.api("read")
	if resp := reader.do("POST", "/api/v1/statuses", url.Values{"status": {"nope"}}, nil, nil); resp.StatusCode != 403 {
		t.Errorf("a read-only token posted: %d", resp.StatusCode)
	}
	writer := a.api("read write")
	var ids []string
	for i := 0; i < 5; i++ {
		var st jsonObj
		writer.do("POST", "/api/v1/statuses", url.Values{"status": {fmt.Sprintf("post %d", i)}}, nil, &st)
		ids = append(ids, st["id"].(string))
	}
	for _, bad := range []url.Values{{"status": {""}}, {"status": {"x"}, "visibility": {"secret"}},
		{"status": {strings.Repeat("x", 5001)}}, {"status": {"x"}, "poll[options][]": {"one"}, "poll[expires_in]": {"600"}}} {
		var e jsonObj
		resp := writer.do("POST", "/api/v1/statuses", bad, nil, nil)
		if resp.StatusCode != 422 {
			t.Errorf("invalid status %v: %d, want 422", bad, resp.StatusCode)
		}
		_ = e
	}
	var page []jsonObj
	resp := writer.do("GET", "/api/v1/timelines/home?limit=2", nil, nil, &page)
	if len(page) != 2 || page[0]["id"] != ids[4] || page[1]["id"] != ids[3] {
		t.Fatalf("first page = %v", page)
	}
	next := linkURL(resp.Header.Get("Link"), "next")
	writer.do("GET", strings.TrimPrefix(next, a.urls.Base), nil, nil, &page)
	if len(page) != 2 || page[0]["id"] != ids[2] || page[1]["id"] != ids[1] {
		t.Errorf("next page = %v", page)
	}
	writer.do("GET", "/api/v1/timelines/home?limit=2&min_id="+ids[0], nil, nil, &page)
	if len(page) != 2 || page[0]["id"] != ids[2] || page[1]["id"] != ids[1] {
		t.Errorf("min_id page = %v (want the two just after %s, newest first)", page, ids[0])
	}
}

// linkURL picks the URL of rel from a Link header.
func linkURL(header, rel string) string {
	for _, part := range strings.Split(header, ",") {
		if strings.Contains(part, `rel="`+rel+`"`) {
			u := strings.TrimSpace(part)
			return u[1:strings.Index(u, ">")]
		}
	}
	return ""
}

// TestGroupedNotifications: favourites and boosts of one status by two
// people come as one group each, with both accounts, in Mastodon 4.3's
// shape (api_versions.mastodon 2 promises this endpoint).
func TestGroupedNotifications(t *testing.T) {
	ctx := context.Background()
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	b := newInstance(t, n, "b.test", "bob", false)
	c := newInstance(t, n, "c.test", "carol", false)
	for _, in := range []*instance{b, c} {
		in.followHandle("alice@a.test")
	}
	settle(t, a, b, c)
	post := a.post("<p>like me</p>", store.Public)
	settle(t, a, b, c)
	for _, in := range []*instance{b, c} {
		st := in.status(post.URI)
		if err := in.fed.Favourite(ctx, st); err != nil {
			t.Fatal(err)
		}
		if _, err := in.fed.Boost(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, a, b, c)
	var raw any
	a.api("read").do("GET", "/api/v2/notifications", nil, nil, &raw)
	res := checkShape(t, "GroupedNotificationsResults", raw)
	groups := res["notification_groups"].([]any)
	byType := map[string]map[string]any{}
	for _, g := range groups {
		gm := checkShape(t, "NotificationGroup", g)
		byType[gm["type"].(string)] = gm
	}
	for _, typ := range []string{"favourite", "reblog", "follow"} {
		g := byType[typ]
		if g == nil {
			t.Errorf("no %s group in %v", typ, groups)
			continue
		}
		if g["notifications_count"] != 2.0 || len(g["sample_account_ids"].([]any)) != 2 {
			t.Errorf("%s group = %v", typ, g)
		}
	}
	if len(groups) != 3 || len(res["accounts"].([]any)) != 2 || len(res["statuses"].([]any)) != 1 {
		t.Errorf("groups %d, accounts %d, statuses %d; want 3, 2, 1", len(groups), len(res["accounts"].([]any)), len(res["statuses"].([]any)))
	}
}

// TestFollowRequestsThroughTheAPI: a locked owner sees requests and
// approves one; the requester's server learns it.
func TestFollowRequestsThroughTheAPI(t *testing.T) {
	ctx := context.Background()
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", true)
	b := newInstance(t, n, "b.test", "bob", false)
	c := newInstance(t, n, "c.test", "carol", false)
	for _, in := range []*instance{b, c} {
		in.followHandle("alice@a.test")
	}
	settle(t, a, b, c)
	app := a.api("read write follow")
	var reqs []jsonObj
	app.do("GET", "/api/v1/follow_requests", nil, nil, &reqs)
	if len(reqs) != 2 {
		t.Fatalf("follow requests = %v", reqs)
	}
	byAcct := map[string]string{}
	for _, r := range reqs {
		byAcct[r["acct"].(string)] = r["id"].(string)
	}
	var rel jsonObj
	app.do("POST", "/api/v1/follow_requests/"+byAcct["bob@b.test"]+"/authorize", url.Values{}, nil, &rel)
	if rel["followed_by"] != true || rel["requested_by"] == true {
		t.Errorf("after authorize: %v", rel)
	}
	app.do("POST", "/api/v1/follow_requests/"+byAcct["carol@c.test"]+"/reject", url.Values{}, nil, &rel)
	settle(t, a, b, c)
	if !b.follows(b.owner.ID, b.accountOf(a).ID) {
		t.Error("bob's follow was not accepted on his server")
	}
	if _, err := c.st.GetFollow(ctx, c.owner.ID, c.accountOf(a).ID); err == nil {
		t.Error("carol's rejected follow is still on her server")
	}
	var notes []jsonObj
	app.do("GET", "/api/v1/notifications?account_id="+byAcct["bob@b.test"], nil, nil, &notes)
	if len(notes) != 1 || notes[0]["type"] != "follow_request" {
		t.Errorf("notifications from bob = %v", notes)
	}
}

// TestNotificationPolicyEndpoints: the settings screens of apps that know
// Mastodon 4.3's notification requests get well-formed answers.
func TestNotificationPolicyEndpoints(t *testing.T) {
	n := newFedNet()
	a := newInstance(t, n, "a.test", "alice", false)
	app := a.api("read write")
	var v2, v1 any
	var reqs []any
	app.do("GET", "/api/v2/notifications/policy", nil, nil, &v2)
	app.do("GET", "/api/v1/notifications/policy", nil, nil, &v1)
	app.do("GET", "/api/v1/notifications/requests", nil, nil, &reqs)
	if m := checkShape(t, "NotificationPolicy", v2); m["for_not_following"] != "accept" {
		t.Errorf("v2 policy = %v", m)
	}
	checkShape(t, "V1_NotificationPolicy", v1)
	if len(reqs) != 0 {
		t.Errorf("requests = %v", reqs)
	}
}
