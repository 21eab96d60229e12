package ap

// The outgoing HTTP client and its address guard. Every request Roost makes
// to a peer (fetches, WebFinger, deliveries) goes through f.client, so the
// guard here is the one place that keeps a hostile actor document, keyId or
// redirect from making Roost talk to its own network (SSRF).

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// ErrForbiddenAddress is returned for a request to a loopback, private,
// link-local or otherwise non-public address, whether named directly, reached
// through DNS or through a redirect. Config.Insecure lifts the rule.
var ErrForbiddenAddress = errors.New("address not allowed for federation")

// ErrInsecureURL is returned for a request, or a redirect, to a URL that is
// not https (unless Config.Insecure allows plain http).
var ErrInsecureURL = errors.New("federation needs an https URL")

// errTooManyRedirects stops a chain of more than maxRedirects redirects.
var errTooManyRedirects = errors.New("too many redirects")

// Limits of the client. Callers put an overall deadline on each request
// (fetchTimeout for documents); these bound the single steps.
const (
	dialTimeout           = 5 * time.Second
	tlsHandshakeTimeout   = 5 * time.Second
	responseHeaderTimeout = 10 * time.Second
	// maxRedirects is Mastodon's limit (HTTP.rb max_hops: 3), FEDERATION.md §1.1.
	maxRedirects = 3
)

// addrCheck decides whether Roost may connect to ip; nil means yes.
type addrCheck func(ip netip.Addr) error

// newHTTPClient builds the one client used for every outgoing request. Unless
// Config.Insecure is set, it connects only to public addresses and follows
// redirects only to https URLs.
func (f *Federation) newHTTPClient() *http.Client {
	return f.buildClient(publicAddr)
}

// buildClient is newHTTPClient with the address rule as a parameter, so that
// tests can allow their one loopback listener and check everything else.
func (f *Federation) buildClient(check addrCheck) *http.Client {
	t := &http.Transport{
		// No proxy: a proxy would make the guard see the proxy's address
		// instead of the peer's.
		Proxy:                  nil,
		DialContext:            f.dialer(check),
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    tlsHandshakeTimeout,
		ResponseHeaderTimeout:  responseHeaderTimeout,
		ExpectContinueTimeout:  time.Second,
		IdleConnTimeout:        90 * time.Second,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    4,
		MaxResponseHeaderBytes: 64 << 10,
		// A custom DialContext turns HTTP/2 off unless asked for.
		ForceAttemptHTTP2: true,
	}
	return &http.Client{Transport: t, CheckRedirect: f.checkRedirect}
}

// dialer returns the transport's DialContext. With the built-in dialer the
// guard runs in Control, on the resolved address just before each connect
// attempt, so DNS names and redirects are covered and nothing is sent to a
// forbidden address. With Config.DialContext (tests) the guard checks an IP
// literal before dialing and the connected peer address after.
func (f *Federation) dialer(check addrCheck) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if f.cfg.Insecure {
		check = nil
	}
	if f.cfg.DialContext == nil {
		d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
		if check != nil {
			d.Control = func(_, address string, _ syscall.RawConn) error {
				return checkAddrPort(check, address)
			}
		}
		return d.DialContext
	}
	dial := f.cfg.DialContext
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		ctx, cancel := context.WithTimeout(ctx, dialTimeout)
		defer cancel()
		if check != nil {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if ip, err := netip.ParseAddr(host); err == nil {
				if err := check(ip); err != nil {
					return nil, err
				}
			}
		}
		c, err := dial(ctx, network, addr)
		if err != nil || check == nil {
			return c, err
		}
		if err := checkAddrPort(check, c.RemoteAddr().String()); err != nil {
			c.Close()
			return nil, err
		}
		return c, nil
	}
}

// checkAddrPort applies check to the IP of a "host:port" address.
func checkAddrPort(check addrCheck, address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s is not an IP address", ErrForbiddenAddress, address)
	}
	return check(ap.Addr())
}

// checkRedirect follows at most maxRedirects redirects, only to https URLs
// unless Insecure, and signs a redirected GET afresh: the signature covers
// the request target and host, so the copied Signature header would not
// verify. Other signed requests (deliveries) are not redirected: the 3xx
// response is returned as it is (FEDERATION.md §9.15).
func (f *Federation) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return fmt.Errorf("%w: more than %d", errTooManyRedirects, maxRedirects)
	}
	if err := f.checkScheme(req.URL); err != nil {
		return err
	}
	if via[0].Header.Get("Signature") == "" {
		return nil
	}
	// The original method matters: Go has already turned a redirected
	// POST into a GET by the time it asks.
	if m := via[0].Method; m != http.MethodGet && m != http.MethodHead {
		return http.ErrUseLastResponse
	}
	return SignRequest(req, nil, f.cfg.URLs.Key(), f.key, f.now(), true)
}

// checkURL parses a URL Roost is about to request and refuses what the
// guard would refuse anyway, with a clearer error and without a connection:
// a non-https scheme, user info, and IP literals outside the public internet.
func (f *Federation) checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if !u.IsAbs() || u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("%q is not an absolute URL", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%q carries user info", raw)
	}
	if err := f.checkScheme(u); err != nil {
		return nil, err
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil && !f.cfg.Insecure {
		if err := publicAddr(ip); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// checkScheme allows https, and http when Insecure.
func (f *Federation) checkScheme(u *url.URL) error {
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && f.cfg.Insecure:
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInsecureURL, u.Redacted())
}

// forbiddenPrefixes are the special-purpose ranges publicAddr refuses beyond
// what netip classifies (loopback, private, link-local, multicast,
// unspecified): the list Mastodon's PrivateAddressCheck keeps, from the IANA
// special-purpose registries. It is read-only.
var forbiddenPrefixes = [...]netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // CGNAT shared address space
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // TEST-NET-1
	netip.MustParsePrefix("192.88.99.0/24"),  // 6to4 relay anycast
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // TEST-NET-2
	netip.MustParsePrefix("203.0.113.0/24"),  // TEST-NET-3
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated)
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64: reaches IPv4 behind a gateway
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("2001::/32"),       // Teredo
	netip.MustParsePrefix("2001:10::/28"),    // ORCHID (deprecated)
	netip.MustParsePrefix("2001:20::/28"),    // ORCHIDv2
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("2002::/16"),       // 6to4
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated)
}

// publicAddr allows only addresses on the public internet.
func publicAddr(ip netip.Addr) error {
	ip = ip.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	bad := !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() ||
		ip.IsMulticast()
	for _, p := range forbiddenPrefixes {
		bad = bad || p.Contains(ip)
	}
	if bad {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, ip)
	}
	return nil
}

// GuardedClient is an HTTP client for other outgoing requests the owner's
// apps cause (Web Push): the same address guard as federation (private,
// loopback and link-local addresses refused unless Insecure), a time
// bound, and no redirects.
func (f *Federation) GuardedClient(timeout time.Duration) *http.Client {
	c := f.newHTTPClient()
	c.Timeout = timeout
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}
