package handlers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"roost/store"
)

func TestInstanceV2(t *testing.T) {
	f := newEntityFixture(t)
	m := checkShape(t, "Instance", f.apiGet("/api/v2/instance", 200))
	if m["domain"] != "social.example" || m["title"] != "Alice Liddell" {
		t.Errorf("domain %v, title %v", m["domain"], m["title"])
	}
	checkVersion(t, m["version"])
	if v := m["api_versions"].(map[string]any)["mastodon"]; v != 4.0 {
		t.Errorf("api_versions.mastodon = %v, want 4 (grouped notifications, PKCE, RFC 8291 push)", v)
	}
	if u := m["thumbnail"].(map[string]any)["url"]; u != testBase+"/static/header.png" {
		t.Errorf("thumbnail.url %v", u)
	}
	contact := m["contact"].(map[string]any)
	if _, ok := contact["email"].(string); !ok {
		t.Errorf("contact.email %v", contact["email"])
	}
	if a, _ := contact["account"].(map[string]any); a == nil || a["id"] != store.FormatID(f.owner.ID) {
		t.Errorf("contact.account %v", contact["account"])
	}
	conf := m["configuration"].(map[string]any)
	if s := conf["urls"].(map[string]any)["streaming"]; s != "wss://social.example" {
		t.Errorf("streaming %v", s)
	}
	if n := conf["accounts"].(map[string]any)["max_featured_tags"]; n == nil {
		t.Error("configuration.accounts.max_featured_tags is missing (Tusky needs it)")
	}
	if n := conf["statuses"].(map[string]any)["max_characters"]; n != 5000.0 {
		t.Errorf("max_characters %v", n)
	}
	reg := m["registrations"].(map[string]any)
	if reg["enabled"] != false || reg["approval_required"] != false || reg["message"] != nil {
		t.Errorf("registrations %v", reg)
	}
}

// checkVersion asserts the version string reads as Mastodon 4.3 to the
// apps' parsers: Ice Cubes takes the first three characters as a number.
func checkVersion(t *testing.T, v any) {
	t.Helper()
	s, _ := v.(string)
	if f, err := strconv.ParseFloat(s[:min(3, len(s))], 64); err != nil || f != 4.3 {
		t.Errorf("version %q does not read as 4.3", s)
	}
	if !regexp.MustCompile(`^4\.3\.\d+ \(compatible; Roost [^)]+\)$`).MatchString(s) {
		t.Errorf("version %q", s)
	}
}

func TestInstanceV1(t *testing.T) {
	f := newEntityFixture(t)
	m := checkShape(t, "V1::Instance", f.apiGet("/api/v1/instance", 200))
	checkVersion(t, m["version"])
	if m["uri"] != "social.example" || m["registrations"] != false {
		t.Errorf("uri %v, registrations %v", m["uri"], m["registrations"])
	}
	stats := m["stats"].(map[string]any)
	if stats["user_count"] != 1.0 || stats["status_count"] != 1.0 || stats["domain_count"] != 1.0 {
		t.Errorf("stats %v", stats)
	}
	if s := m["urls"].(map[string]any)["streaming_api"]; s != "wss://social.example" {
		t.Errorf("streaming_api %v", s)
	}
	if m["thumbnail"] == nil || m["contact_account"] == nil {
		t.Errorf("thumbnail %v, contact_account %v", m["thumbnail"], m["contact_account"])
	}
}

func TestInstanceLists(t *testing.T) {
	f := newEntityFixture(t)
	for _, path := range []string{"/api/v1/instance/rules", "/api/v1/custom_emojis", "/api/v1/announcements",
		"/api/v1/trends", "/api/v1/trends/tags", "/api/v1/trends/statuses", "/api/v1/trends/links", "/api/v2/suggestions"} {
		list, ok := f.apiGet(path, 200).([]any)
		if !ok || len(list) != 0 {
			t.Errorf("GET %s = %v, want []", path, list)
		}
	}
	peers := f.apiGet("/api/v1/instance/peers", 200).([]any)
	if len(peers) != 1 || peers[0] != "remote.example" {
		t.Errorf("peers %v", peers)
	}
	d := checkShape(t, "ExtendedDescription", f.apiGet("/api/v1/instance/extended_description", 200))
	if !strings.Contains(d["content"].(string), "<em>hole</em>") {
		t.Errorf("extended description %v", d["content"])
	}
}

func TestInstanceActivity(t *testing.T) {
	f := newEntityFixture(t)
	// A public post from three weeks ago lands in the fourth week listed.
	old := time.Now().AddDate(0, 0, -21)
	if err := f.st.Update(context.Background(), func(tx *store.Tx) error {
		return tx.InsertStatus(&store.Status{AccountID: f.owner.ID, Local: true, URI: "urn:test:old",
			Visibility: store.Public, Content: "<p>old</p>", CreatedAt: old}, nil)
	}); err != nil {
		t.Fatal(err)
	}
	weeks := f.apiGet("/api/v1/instance/activity", 200).([]any)
	if len(weeks) != activityWeeks {
		t.Fatalf("%d weeks, want %d", len(weeks), activityWeeks)
	}
	var prev int64
	total := 0
	for i, w := range weeks {
		m := w.(map[string]any)
		for _, k := range []string{"week", "statuses", "logins", "registrations"} {
			if _, ok := m[k].(string); !ok {
				t.Errorf("week %d: %s = %#v, want a string", i, k, m[k])
			}
		}
		at, _ := strconv.ParseInt(m["week"].(string), 10, 64)
		start := time.Unix(at, 0).UTC()
		if start.Weekday() != time.Monday || start.Hour() != 0 {
			t.Errorf("week %d starts %v, want a Monday at midnight UTC", i, start)
		}
		if i > 0 && prev-at != 7*24*3600 {
			t.Errorf("week %d is not the week before week %d", i, i-1)
		}
		prev = at
		n, _ := strconv.Atoi(m["statuses"].(string))
		total += n
		if old.After(start) && old.Before(start.AddDate(0, 0, 7)) && n != 1 {
			t.Errorf("week %d (%v) counts %d statuses, want the old one", i, start, n)
		}
	}
	// The fixture's public post and the old one; not the private post or
	// the boost.
	if total != 2 {
		t.Errorf("%d statuses counted, want 2", total)
	}
}

func TestPreferences(t *testing.T) {
	f := newEntityFixture(t)
	resp, _ := f.get("/api/v1/preferences", "")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a token: status %d, want 401", resp.StatusCode)
	}
	ctx := context.Background()
	app := &store.OAuthApp{ClientID: "client", ClientSecretHash: store.HashSecret("secret"), Name: "Test",
		RedirectURIs: []string{"urn:ietf:wg:oauth:2.0:oob"}, Scopes: []string{"read"}}
	if err := f.st.InsertOAuthApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	if err := f.st.InsertOAuthToken(ctx, "token", &store.OAuthToken{AppID: app.ID, Scopes: []string{"read"}, Owner: true}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/preferences", nil)
	req.Header.Set("Authorization", "Bearer token")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	var m map[string]any
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	checkShape(t, "Preferences", m)

	// With the token, the owner reads their private status.
	req, _ = http.NewRequest("GET", f.srv.URL+"/api/v1/statuses/"+store.FormatID(f.private.ID), nil)
	req.Header.Set("Authorization", "Bearer token")
	res2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res2.Body.Close()
	var st map[string]any
	if err := json.NewDecoder(res2.Body).Decode(&st); err != nil || res2.StatusCode != 200 {
		t.Fatalf("private status with a token: %d, %v", res2.StatusCode, err)
	}
	checkShape(t, "Status", st)
	if st["favourited"] != false {
		t.Errorf("favourited %v, want false for the owner", st["favourited"])
	}
}

// TestVAPIDKeyIsPublished: the instance carries a stable P-256 public key
// (65 bytes, uncompressed) for Web Push.
func TestVAPIDKeyIsPublished(t *testing.T) {
	e := newTestEnv(t)
	m := e.getJSON("/api/v2/instance", "", 200, "application/json")
	key := m["configuration"].(map[string]any)["vapid"].(map[string]any)["public_key"].(string)
	raw, err := base64.RawURLEncoding.DecodeString(key)
	if err != nil || len(raw) != 65 || raw[0] != 4 {
		t.Fatalf("vapid public key %q: %d bytes, %v", key, len(raw), err)
	}
	again, err := ensureVAPID(context.Background(), e.st)
	if err != nil || again != key {
		t.Errorf("the key changed on the next start: %q", again)
	}
}
