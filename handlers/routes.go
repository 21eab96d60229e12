package handlers

import (
	"net/http"
)

func (s *Server) routes(mux *http.ServeMux) {
	// Discovery.
	mux.HandleFunc("GET /.well-known/webfinger", cors(s.ap(s.getWebFinger)))
	mux.HandleFunc("GET /.well-known/host-meta", cors(s.ap(s.getHostMeta)))
	mux.HandleFunc("GET /.well-known/host-meta.json", cors(s.ap(s.getHostMetaJSON)))
	mux.HandleFunc("GET /.well-known/nodeinfo", cors(s.ap(s.getNodeInfoLinks)))
	mux.HandleFunc("GET /nodeinfo/{version}", cors(s.ap(s.getNodeInfo)))

	// ActivityPub documents (HTML for browsers where a page exists).
	mux.HandleFunc("GET /users/{username}", s.ap(s.getActor))
	mux.HandleFunc("GET /users/{username}/outbox", s.ap(s.getOutbox))
	mux.HandleFunc("GET /users/{username}/followers", s.ap(s.getFollowers))
	mux.HandleFunc("GET /users/{username}/following", s.ap(s.getFollowing))
	mux.HandleFunc("GET /users/{username}/collections/featured", s.ap(s.getFeatured))
	mux.HandleFunc("GET /users/{username}/collections/tags", s.ap(s.getFeaturedTags))
	mux.HandleFunc("GET /users/{username}/statuses/{id}", s.ap(s.getStatusObject))
	mux.HandleFunc("GET /users/{username}/statuses/{id}/activity", s.ap(s.getStatusActivity))

	// Inboxes.
	mux.HandleFunc("POST /inbox", s.ap(s.postInbox))
	mux.HandleFunc("POST /users/{username}/inbox", s.ap(s.postInbox))

	// Public pages. The mux cannot match "/@{name}", so /{handle} checks
	// for the @ itself.
	mux.HandleFunc("GET /{$}", s.page(s.getHome))
	mux.HandleFunc("GET /{handle}", s.page(s.getProfileOrFeed))
	mux.HandleFunc("GET /{handle}/{id}", s.page(s.getStatusPage))
	mux.HandleFunc("GET /static/{file}", s.getStatic)
	mux.HandleFunc("GET /favicon.ico", s.getFavicon)
	mux.HandleFunc("GET /robots.txt", s.getRobots)
	mux.HandleFunc("/", s.page(func(w http.ResponseWriter, r *http.Request) error { return errNotFound }))
}

// cors allows browser clients on other origins to read a response.
func cors(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		h(w, r)
	}
}
