package handlers

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"testing"
)

func TestWebFinger(t *testing.T) {
	e := newTestEnv(t)
	for _, res := range []string{
		"acct:alice@social.example",
		"acct:Alice@SOCIAL.example",
		"alice@social.example",
		testBase + "/users/alice",
		testBase + "/@alice",
	} {
		t.Run(res, func(t *testing.T) {
			resp, _ := e.get("/.well-known/webfinger?resource="+url.QueryEscape(res), "")
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("CORS header %q", got)
			}
			m := e.getJSON("/.well-known/webfinger?resource="+url.QueryEscape(res), "", 200, "application/jrd+json")
			if m["subject"] != "acct:alice@social.example" {
				t.Errorf("subject = %v", m["subject"])
			}
			links := map[string]map[string]any{}
			for _, l := range m["links"].([]any) {
				lm := l.(map[string]any)
				links[lm["rel"].(string)] = lm
			}
			if self := links["self"]; self["href"] != testBase+"/users/alice" || self["type"] != "application/activity+json" {
				t.Errorf("self link = %v", self)
			}
			if p := links["http://webfinger.net/rel/profile-page"]; p["href"] != testBase+"/@alice" || p["type"] != "text/html" {
				t.Errorf("profile-page link = %v", p)
			}
			if s := links["http://ostatus.org/schema/1.0/subscribe"]; s["template"] != testBase+"/authorize_interaction?uri={uri}" {
				t.Errorf("subscribe link = %v", s)
			}
		})
	}
	for _, c := range []struct {
		resource string
		status   int
	}{
		{"acct:bob@social.example", 404},
		{"acct:alice@elsewhere.example", 404},
		{"https://elsewhere.example/users/alice", 404},
		{"", 400},
		{"alice", 400},
		{"acct:", 400},
		{"acct:@social.example", 400},
		{"acct:alice@", 400},
		{"https://social.example/about", 400},
		{"mailto:alice@social.example", 400},
	} {
		path := "/.well-known/webfinger"
		if c.resource != "" {
			path += "?resource=" + url.QueryEscape(c.resource)
		}
		if resp, body := e.get(path, ""); resp.StatusCode != c.status {
			t.Errorf("resource %q: status %d (%s), want %d", c.resource, resp.StatusCode, body, c.status)
		}
	}
}

func TestHostMeta(t *testing.T) {
	e := newTestEnv(t)
	resp, body := e.get("/.well-known/host-meta", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/xrd+xml; charset=utf-8" {
		t.Fatalf("status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var doc struct {
		XMLName xml.Name
		Links   []struct {
			Rel      string `xml:"rel,attr"`
			Template string `xml:"template,attr"`
		} `xml:"Link"`
	}
	if err := xml.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.XMLName.Space != "http://docs.oasis-open.org/ns/xri/xrd-1.0" || doc.XMLName.Local != "XRD" {
		t.Errorf("root element %v", doc.XMLName)
	}
	if len(doc.Links) != 1 || doc.Links[0].Rel != "lrdd" || doc.Links[0].Template != testBase+"/.well-known/webfinger?resource={uri}" {
		t.Errorf("links %+v", doc.Links)
	}
	m := e.getJSON("/.well-known/host-meta.json", "", 200, "application/jrd+json")
	if l := m["links"].([]any)[0].(map[string]any); l["template"] != testBase+"/.well-known/webfinger?resource={uri}" {
		t.Errorf("host-meta.json link %v", l)
	}
}

func TestNodeInfo(t *testing.T) {
	e := newTestEnv(t)
	e.post("<p>one</p>", nil)
	e.post("<p>two</p>", nil)
	m := e.getJSON("/.well-known/nodeinfo", "", 200, "application/json")
	links := m["links"].([]any)
	if len(links) != 2 {
		t.Fatalf("links %v", links)
	}
	for _, l := range links {
		lm := l.(map[string]any)
		href := lm["href"].(string)
		u, _ := url.Parse(href)
		v := u.Path[len("/nodeinfo/"):]
		if lm["rel"] != "http://nodeinfo.diaspora.software/ns/schema/"+v {
			t.Errorf("rel %v for %s", lm["rel"], href)
		}
		doc := e.getJSON(u.Path, "", 200, `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/`+v+`#"`)
		sw := doc["software"].(map[string]any)
		if doc["version"] != v || sw["name"] != "roost" || sw["version"] != "0.1.0-test" {
			t.Errorf("nodeinfo %s: version %v software %v", v, doc["version"], sw)
		}
		if doc["openRegistrations"] != false {
			t.Errorf("openRegistrations = %v", doc["openRegistrations"])
		}
		usage := doc["usage"].(map[string]any)
		if usage["localPosts"] != 2.0 || usage["users"].(map[string]any)["total"] != 1.0 {
			t.Errorf("usage = %v", usage)
		}
		if p := doc["protocols"].([]any); len(p) != 1 || p[0] != "activitypub" {
			t.Errorf("protocols = %v", p)
		}
		if _, ok := doc["metadata"].(map[string]any); !ok {
			t.Errorf("metadata is %T, want an object", doc["metadata"])
		}
	}
	if resp, _ := e.get("/nodeinfo/3.0", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/nodeinfo/3.0: %d", resp.StatusCode)
	}
}
