package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"roost/store"
)

// lfClient calls the API with a bearer token and a JSON body (nil for
// none), decoding a JSON answer into out when it is not nil.
type lfClient struct {
	e   *testEnv
	tok string
}

func (c lfClient) do(method, path string, body any, wantStatus int, out any) *http.Response {
	c.e.t.Helper()
	var ct string
	var r *strings.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.e.t.Fatal(err)
		}
		ct, r = "application/json", strings.NewReader(string(b))
	} else {
		r = strings.NewReader("")
	}
	resp, text := c.e.oaDo(method, path, ct, r, oaBearer(c.tok))
	if resp.StatusCode != wantStatus {
		c.e.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, resp.StatusCode, wantStatus, text)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(text), out); err != nil {
			c.e.t.Fatalf("%s %s: %v in %s", method, path, err, text)
		}
	}
	return resp
}

// lfRemote stores a remote account, followed by the owner when follow.
func lfRemote(e *testEnv, name string, follow bool) *store.Account {
	e.t.Helper()
	ctx := context.Background()
	a := &store.Account{URI: "https://r.test/users/" + name, Username: name, Domain: "r.test",
		Inbox: "https://r.test/users/" + name + "/inbox"}
	if err := e.st.InsertAccount(ctx, a); err != nil {
		e.t.Fatal(err)
	}
	if follow {
		if err := e.st.InsertFollow(ctx, &store.Follow{AccountID: e.owner.ID, TargetAccountID: a.ID, ShowReblogs: true}); err != nil {
			e.t.Fatal(err)
		}
	}
	return a
}

// lfPoster returns a function storing remote statuses by a, replying
// to parent when given. Remote ids come from the creation time, spaced a
// second apart here so that they sort as posted.
func lfPoster(e *testEnv) func(a *store.Account, text string, parent *store.Status) *store.Status {
	at := time.Now().Add(-time.Hour)
	return func(a *store.Account, text string, parent *store.Status) *store.Status {
		e.t.Helper()
		at = at.Add(time.Second)
		return e.post(text, func(st *store.Status) {
			st.AccountID, st.Local, st.CreatedAt = a.ID, false, at
			if parent != nil {
				st.InReplyToID, st.InReplyToAccountID = &parent.ID, &parent.AccountID
			}
		})
	}
}

func lfStatusIDs(list []Status) []string {
	out := []string{}
	for _, v := range list {
		out = append(out, v.ID)
	}
	return out
}

func lfIDs(list ...*store.Status) []string {
	out := []string{}
	for _, st := range list {
		out = append(out, store.FormatID(st.ID))
	}
	return out
}

func TestListsThroughTheAPI(t *testing.T) {
	e := newTestEnv(t)
	c := lfClient{e, e.oauthToken("read write")}
	member, other, followed, stranger := lfRemote(e, "member", true), lfRemote(e, "other", true),
		lfRemote(e, "followed", true), lfRemote(e, "stranger", false)

	var l map[string]any
	c.do("POST", "/api/v1/lists", map[string]any{"title": "Friends"}, 200, &l)
	checkShape(t, "List", l)
	if l["replies_policy"] != "list" || l["exclusive"] != false || l["title"] != "Friends" {
		t.Errorf("new list = %v", l)
	}
	id := l["id"].(string)
	c.do("POST", "/api/v1/lists", map[string]any{"title": " "}, 422, nil)
	c.do("PUT", "/api/v1/lists/"+id, map[string]any{"replies_policy": "everyone"}, 422, nil)
	c.do("PUT", "/api/v1/lists/"+id, map[string]any{"title": "Pals"}, 200, &l)
	if l["title"] != "Pals" || l["replies_policy"] != "list" {
		t.Errorf("renamed list = %v", l)
	}
	var all []map[string]any
	c.do("GET", "/api/v1/lists", nil, 200, &all)
	if len(all) != 1 || all[0]["id"] != id {
		t.Errorf("lists = %v", all)
	}
	c.do("GET", "/api/v1/lists/999", nil, 404, nil)

	// Members: only followed accounts.
	acct := func(a *store.Account) string { return store.FormatID(a.ID) }
	c.do("POST", "/api/v1/lists/"+id+"/accounts", map[string]any{"account_ids": []string{acct(stranger)}}, 422, nil)
	c.do("POST", "/api/v1/lists/"+id+"/accounts", map[string]any{"account_ids": []string{"12345"}}, 404, nil)
	c.do("POST", "/api/v1/lists/"+id+"/accounts", map[string]any{"account_ids": []string{acct(member), acct(other)}}, 200, nil)
	var members []map[string]any
	c.do("GET", "/api/v1/lists/"+id+"/accounts", nil, 200, &members)
	if len(members) != 2 {
		t.Errorf("members = %d", len(members))
	}
	c.do("GET", "/api/v1/lists/"+id+"/accounts?limit=0", nil, 200, &members)
	if len(members) != 2 {
		t.Errorf("members, limit=0 = %d", len(members))
	}
	c.do("GET", "/api/v1/accounts/"+acct(member)+"/lists", nil, 200, &all)
	if len(all) != 1 || all[0]["id"] != id {
		t.Errorf("lists of member = %v", all)
	}

	// The list timeline under each replies policy.
	post := lfPoster(e)
	top := post(member, "<p>top</p>", nil)
	otherTop := post(other, "<p>other top</p>", nil)
	followedTop := post(followed, "<p>followed top</p>", nil)
	strangerTop := post(stranger, "<p>stranger top</p>", nil)
	toOther := post(member, "<p>to other</p>", otherTop)
	toFollowed := post(member, "<p>to followed</p>", followedTop)
	post(member, "<p>to stranger</p>", strangerTop)
	for _, tc := range []struct {
		policy string
		want   []string
	}{
		{"list", lfIDs(toOther, otherTop, top)},
		{"followed", lfIDs(toFollowed, toOther, otherTop, top)},
		{"none", lfIDs(otherTop, top)},
	} {
		c.do("PUT", "/api/v1/lists/"+id, map[string]any{"replies_policy": tc.policy}, 200, nil)
		var tl []Status
		resp := c.do("GET", "/api/v1/timelines/list/"+id, nil, 200, &tl)
		if got := lfStatusIDs(tl); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: list timeline = %v, want %v", tc.policy, got, tc.want)
		}
		if !strings.Contains(resp.Header.Get("Link"), `rel="next"`) {
			t.Errorf("%s: Link = %q", tc.policy, resp.Header.Get("Link"))
		}
	}
	var page []Status
	c.do("GET", "/api/v1/timelines/list/"+id+"?limit=1&max_id="+store.FormatID(otherTop.ID), nil, 200, &page)
	if got := lfStatusIDs(page); len(got) != 1 || got[0] != store.FormatID(top.ID) {
		t.Errorf("list page = %v", got)
	}

	// Exclusive: the members leave the home timeline.
	onHome := func() bool {
		var home []Status
		c.do("GET", "/api/v1/timelines/home", nil, 200, &home)
		for _, v := range home {
			if v.Account.ID == acct(member) {
				return true
			}
		}
		return false
	}
	if !onHome() {
		t.Fatal("member not on home")
	}
	c.do("PUT", "/api/v1/lists/"+id, map[string]any{"exclusive": true}, 200, &l)
	if l["exclusive"] != true {
		t.Errorf("exclusive = %v", l["exclusive"])
	}
	if onHome() {
		t.Error("an exclusive list's member is still on home")
	}

	c.do("DELETE", "/api/v1/lists/"+id+"/accounts?account_ids[]="+acct(member), nil, 200, nil)
	c.do("GET", "/api/v1/lists/"+id+"/accounts", nil, 200, &members)
	if len(members) != 1 {
		t.Errorf("members after removal = %d", len(members))
	}
	if !onHome() {
		t.Error("a removed member stays off home")
	}
	c.do("DELETE", "/api/v1/lists/"+id, nil, 200, nil)
	c.do("GET", "/api/v1/lists/"+id, nil, 404, nil)

	// Scopes: read:lists cannot write.
	ro := lfClient{e, e.oauthToken("read:lists")}
	ro.do("GET", "/api/v1/lists", nil, 200, nil)
	ro.do("POST", "/api/v1/lists", map[string]any{"title": "x"}, 403, nil)
}
