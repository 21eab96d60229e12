package handlers

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
)

// jrd is a WebFinger JSON Resource Descriptor (RFC 7033).
type jrd struct {
	Subject string    `json:"subject"`
	Aliases []string  `json:"aliases,omitempty"`
	Links   []jrdLink `json:"links"`
}

type jrdLink struct {
	Rel      string `json:"rel"`
	Type     string `json:"type,omitempty"`
	Href     string `json:"href,omitempty"`
	Template string `json:"template,omitempty"`
}

// getWebFinger answers acct:user@host (or the actor or profile URL) as
// Mastodon does: 400 for a missing or malformed resource, 404 for anyone
// else.
func (s *Server) getWebFinger(w http.ResponseWriter, r *http.Request) error {
	resource := r.URL.Query().Get("resource")
	if resource == "" {
		return errorf(http.StatusBadRequest, "resource parameter is required")
	}
	username, host, ok := parseResource(resource)
	if !ok {
		return errorf(http.StatusBadRequest, "resource must be acct:user@domain or a profile URL")
	}
	if !strings.EqualFold(host, s.urls.Host()) || !strings.EqualFold(username, s.urls.Username) {
		return errNotFound
	}
	a, err := s.owner(r.Context())
	if err != nil {
		return err
	}
	doc := jrd{
		Subject: "acct:" + s.urls.Handle(),
		Aliases: []string{s.urls.Profile(), s.urls.Actor()},
		Links: []jrdLink{
			{Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: s.urls.Profile()},
			{Rel: "self", Type: "application/activity+json", Href: s.urls.Actor()},
			{Rel: "http://ostatus.org/schema/1.0/subscribe", Template: s.cfg.BaseURL + "/authorize_interaction?uri={uri}"},
			{Rel: "http://webfinger.net/rel/avatar", Type: imageType(s.avatarURL(a)), Href: s.avatarURL(a)},
		},
	}
	w.Header().Set("Cache-Control", "max-age=259200, public")
	writeJSONType(w, http.StatusOK, "application/jrd+json; charset=utf-8", doc)
	return nil
}

// parseResource splits a WebFinger resource into username and host. It
// accepts acct:user@host, user@host, @user@host and the http(s) actor or
// profile URL.
func parseResource(res string) (username, host string, ok bool) {
	if strings.HasPrefix(res, "http://") || strings.HasPrefix(res, "https://") {
		u, err := url.Parse(res)
		if err != nil || u.Host == "" {
			return "", "", false
		}
		p := strings.TrimSuffix(u.Path, "/")
		switch {
		case strings.HasPrefix(p, "/users/"):
			username = strings.TrimPrefix(p, "/users/")
		case strings.HasPrefix(p, "/@"):
			username = strings.TrimPrefix(p, "/@")
		default:
			return "", "", false
		}
		if username == "" || strings.Contains(username, "/") {
			return "", "", false
		}
		return username, u.Host, true
	}
	res = strings.TrimPrefix(strings.TrimPrefix(res, "acct:"), "@")
	username, host, ok = strings.Cut(res, "@")
	if !ok || username == "" || host == "" || strings.ContainsAny(username, "/: ") || strings.ContainsAny(host, "@/ ") {
		return "", "", false
	}
	return username, host, true
}

type xrd struct {
	XMLName xml.Name  `xml:"http://docs.oasis-open.org/ns/xri/xrd-1.0 XRD"`
	Links   []xrdLink `xml:"Link"`
}

type xrdLink struct {
	Rel      string `xml:"rel,attr"`
	Type     string `xml:"type,attr,omitempty"`
	Template string `xml:"template,attr"`
}

func (s *Server) webfingerTemplate() string {
	return s.cfg.BaseURL + "/.well-known/webfinger?resource={uri}"
}

// getHostMeta serves the XRD that points at WebFinger (RFC 6415); Mastodon
// falls back to it when WebFinger answers 404.
func (s *Server) getHostMeta(w http.ResponseWriter, r *http.Request) error {
	b, err := xml.Marshal(xrd{Links: []xrdLink{{Rel: "lrdd", Type: "application/xrd+xml", Template: s.webfingerTemplate()}}})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/xrd+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=259200, public")
	w.Write([]byte(xml.Header))
	w.Write(b)
	return nil
}

// getHostMetaJSON is host-meta in its JRD form.
func (s *Server) getHostMetaJSON(w http.ResponseWriter, r *http.Request) error {
	writeJSONType(w, http.StatusOK, "application/jrd+json; charset=utf-8", map[string]any{
		"links": []jrdLink{{Rel: "lrdd", Type: "application/jrd+json", Template: s.webfingerTemplate()}},
	})
	return nil
}

const nodeInfoSchema = "http://nodeinfo.diaspora.software/ns/schema/"

// getNodeInfoLinks serves /.well-known/nodeinfo.
func (s *Server) getNodeInfoLinks(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"links": []jrdLink{
		{Rel: nodeInfoSchema + "2.0", Href: s.cfg.BaseURL + "/nodeinfo/2.0"},
		{Rel: nodeInfoSchema + "2.1", Href: s.cfg.BaseURL + "/nodeinfo/2.1"},
	}})
	return nil
}

type nodeInfo struct {
	Version           string           `json:"version"`
	Software          nodeInfoSoftware `json:"software"`
	Protocols         []string         `json:"protocols"`
	Services          nodeInfoServices `json:"services"`
	OpenRegistrations bool             `json:"openRegistrations"`
	Usage             nodeInfoUsage    `json:"usage"`
	Metadata          map[string]any   `json:"metadata"`
}

type nodeInfoSoftware struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	Repository string `json:"repository,omitempty"`
	Homepage   string `json:"homepage,omitempty"`
}

type nodeInfoServices struct {
	Inbound  []string `json:"inbound"`
	Outbound []string `json:"outbound"`
}

type nodeInfoUsage struct {
	Users      nodeInfoUsers `json:"users"`
	LocalPosts int           `json:"localPosts"`
}

type nodeInfoUsers struct {
	Total          int `json:"total"`
	ActiveMonth    int `json:"activeMonth"`
	ActiveHalfyear int `json:"activeHalfyear"`
}

// getNodeInfo serves NodeInfo 2.0 and 2.1, naming the software honestly:
// Phanpy, Misskey and Lemmy choose features by software.name.
func (s *Server) getNodeInfo(w http.ResponseWriter, r *http.Request) error {
	v := r.PathValue("version")
	if v != "2.0" && v != "2.1" {
		return errNotFound
	}
	ctx := r.Context()
	posts, err := s.st.CountLocalStatuses(ctx)
	if err != nil {
		return err
	}
	a, err := s.owner(ctx)
	if err != nil {
		return err
	}
	doc := nodeInfo{
		Version:   v,
		Software:  nodeInfoSoftware{Name: "roost", Version: s.cfg.Version},
		Protocols: []string{"activitypub"},
		Services:  nodeInfoServices{Inbound: []string{}, Outbound: []string{"atom1.0"}},
		Usage: nodeInfoUsage{
			Users:      nodeInfoUsers{Total: 1, ActiveMonth: 1, ActiveHalfyear: 1},
			LocalPosts: posts,
		},
		Metadata: map[string]any{"nodeName": displayName(a), "singleUser": true},
	}
	w.Header().Set("Cache-Control", "max-age=1800, public")
	writeJSONType(w, http.StatusOK, `application/json; profile="`+nodeInfoSchema+v+`#"`, doc)
	return nil
}
