package handlers

import (
	"context"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"roost/ap"
	"roost/markup"
	"roost/static"
	"roost/store"
	"roost/templates"
)

// Config is what the HTTP layer needs to know about the deployment.
type Config struct {
	// BaseURL is the public URL, e.g. https://social.example.org.
	BaseURL string
	// Version is Roost's version, shown in nodeinfo and pages.
	Version string
	// MediaDir is where uploaded media files are kept (DATA/media).
	MediaDir string
	// Templates and Static override the embedded files (live reload in
	// development); nil means embedded.
	Templates fs.FS
	Static    fs.FS
	// Streaming is the hub that federation publishes to (ap.Config.Events)
	// and streaming clients read from; nil means a hub of its own.
	Streaming *Hub
	// PruneAfter is the age after which Run prunes, once a day, remote
	// content the owner never interacted with (store.Prune); 0: never.
	PruneAfter time.Duration
}

// Server serves every HTTP surface of Roost.
type Server struct {
	cfg    Config
	st     *store.Store
	fed    *ap.Federation
	log    *slog.Logger
	urls   ap.URLs
	md     *markup.Renderer
	tmpl   map[string]*template.Template
	static fs.FS
	// vapidPublic is the Web Push server key, published in the instance.
	vapidPublic string
	oauth       oauthState // login limiter, consent page, clock (oauth.go)
	push        pushState  // Web Push worker (push.go)
}

// New builds the server for the owner stored in st, federating through
// fed. It starts nothing.
func New(ctx context.Context, cfg Config, st *store.Store, fed *ap.Federation, log *slog.Logger) (*Server, error) {
	owner, err := st.GetOwner(ctx)
	if err != nil {
		return nil, fmt.Errorf("load owner: %w", err)
	}
	if cfg.Templates == nil {
		cfg.Templates = templates.FS
	}
	if cfg.Static == nil {
		cfg.Static = static.FS
	}
	if cfg.Streaming == nil {
		cfg.Streaming = NewHub()
	}
	s := &Server{
		cfg:    cfg,
		st:     st,
		fed:    fed,
		log:    log.With("component", "http"),
		urls:   ap.URLs{Base: cfg.BaseURL, Username: owner.Account.Username},
		md:     markup.New(),
		static: cfg.Static,
	}
	if s.tmpl, err = parseTemplates(cfg.Templates); err != nil {
		return nil, err
	}
	if s.vapidPublic, err = ensureVAPID(ctx, st); err != nil {
		return nil, err
	}
	cfg.Streaming.setPush(s.queuePush)
	return s, nil
}

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.routes(mux)
	return s.recoverer(corsMiddleware(mux))
}

// recoverer turns a panic in a handler into a logged 500 instead of a
// dropped connection.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", v)
				http.Error(w, "Internal server error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// owner loads the owner's account as it is now (the profile can change
// while Roost runs).
func (s *Server) owner(ctx context.Context) (*store.Account, error) {
	o, err := s.st.GetOwner(ctx)
	if err != nil {
		return nil, err
	}
	return o.Account, nil
}

// Run does the server's housekeeping until ctx ends: uploads never
// attached to a status are removed after a day, and scheduled statuses
// are posted when due.
func (s *Server) Run(ctx context.Context) error {
	defer s.startScheduled(ctx)() // posts scheduled statuses (api_scheduled.go)
	defer s.startPush(ctx)()      // sends Web Pushes (push.go)
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	nextPrune := time.Now().Add(time.Hour) // not while starting: a Pi has enough to do then
	for {
		if n, err := s.RemoveUnattachedMedia(ctx, time.Now().Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
			s.log.Error("removing unattached media", "err", err)
		} else if n > 0 {
			s.log.Info("removed unattached media", "count", n)
		}
		if s.cfg.PruneAfter > 0 && time.Now().After(nextPrune) {
			nextPrune = time.Now().Add(24 * time.Hour)
			res, err := s.st.Prune(ctx, store.PruneOptions{Before: time.Now().Add(-s.cfg.PruneAfter)})
			if err == nil {
				err = s.st.Checkpoint(ctx) // freed pages are reused; the WAL is truncated
			}
			if err != nil && ctx.Err() == nil {
				s.log.Error("pruning", "err", err)
			} else if err == nil {
				s.log.Info("pruned", "statuses", res.Statuses, "accounts", res.Accounts, "media", res.Media)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
