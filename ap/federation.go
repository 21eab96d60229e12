package ap

import (
	"context"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"roost/markup"
	"roost/store"
)

// Config is what the federation layer needs to know.
type Config struct {
	// URLs lays out the owner's ids.
	URLs URLs
	// UserAgent is sent with every request, e.g.
	// "Roost/0.1.0 (+https://social.example.org/)".
	UserAgent string
	// Insecure (--insecure-federation) allows plain http peers and private,
	// loopback and link-local addresses: for local development and tests.
	Insecure bool
	// DialContext replaces the network dialer; tests map host names to
	// loopback listeners with it. The address guard still applies unless
	// Insecure is set.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Events receives committed statuses, notifications, edits and
	// deletes for streaming; nil publishes nothing.
	Events Events
}

// Federation is Roost's ActivityPub engine: it verifies and queues what
// peers send, applies it, and signs and delivers what the owner does.
type Federation struct {
	cfg    Config
	st     *store.Store
	log    *slog.Logger
	key    *rsa.PrivateKey
	client *http.Client
	md     *markup.Renderer // sanitises remote HTML
	// refetches limits key refetches after failed verifications.
	refetches refetchLimiter
	// decoded hands activities the inbox decoded to the worker.
	decoded decodedActivities
	// keys are the keys that verified signatures lately.
	keys keyCache
	// wake tells the workers that new work was queued.
	wakeInbox    chan struct{}
	wakeDelivery chan struct{}
}

// New builds the federation layer for the owner stored in st. It starts
// nothing; Run does.
func New(ctx context.Context, cfg Config, st *store.Store, log *slog.Logger) (*Federation, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	owner, err := st.GetOwner(ctx)
	if err != nil {
		return nil, fmt.Errorf("load owner: %w", err)
	}
	key, err := ParsePrivateKeyPEM(owner.PrivateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("owner key: %w", err)
	}
	f := &Federation{
		cfg:          cfg,
		st:           st,
		log:          log.With("component", "federation"),
		key:          key,
		md:           markup.New(),
		wakeInbox:    make(chan struct{}, 1),
		wakeDelivery: make(chan struct{}, 1),
	}
	f.client = f.newHTTPClient()
	return f, nil
}

// URLs returns the layout of the owner's ids.
func (f *Federation) URLs() URLs { return f.cfg.URLs }

func (f *Federation) now() time.Time { return f.cfg.Now() }

// wake nudges a worker without blocking.
func wake(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
