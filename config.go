package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// config is the deployment configuration from flags and ROOST_* variables.
// Settings the owner changes at run time live in the database instead.
type config struct {
	dataDir  string
	username string
	url      string
	listen   string
	insecure bool
	// pruneAfter is the age in days of remote content serve prunes; 0: never.
	pruneAfter int
	// pprof is the address serving Go's profiles; "" serves none.
	pprof string
	// memoryLimit is the Go runtime's soft memory limit in MiB; 0: none.
	memoryLimit int
}

// envName is the ROOST_* twin of a flag: --data → ROOST_DATA.
func envName(flag string) string {
	return "ROOST_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyEnv fills every flag not given on the command line from its ROOST_*
// variable, so that a flag always wins over the environment.
func applyEnv(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "help" {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = fmt.Errorf("%s=%q: %w", envName(f.Name), v, serr)
			}
		}
	})
	return err
}

// decorateEnvHelp adds "(env ROOST_…)" to every flag's help text.
func decorateEnvHelp(root *cobra.Command) {
	seen := map[*pflag.Flag]bool{}
	decorate := func(f *pflag.Flag) {
		if seen[f] || f.Name == "help" {
			return
		}
		seen[f] = true
		f.Usage += " (env " + envName(f.Name) + ")"
	}
	root.PersistentFlags().VisitAll(decorate)
	for _, c := range root.Commands() {
		c.Flags().VisitAll(decorate)
	}
}

var usernameRE = regexp.MustCompile(`^[A-Za-z0-9_]{1,30}$`)

// validate checks the configuration and normalises the URL; every problem
// is one sentence.
func (c *config) validate() error {
	if !usernameRE.MatchString(c.username) {
		return fmt.Errorf("username %q is not valid: use 1 to 30 letters, digits or underscores", c.username)
	}
	u, err := url.Parse(c.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("--url %q is not a valid public URL: give the scheme and host, like https://social.example.org", c.url)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("--url %q must be only a scheme and host (Roost is served from the root of its domain)", c.url)
	}
	c.url = u.Scheme + "://" + strings.ToLower(u.Host)
	if c.pruneAfter < 0 {
		return fmt.Errorf("--prune-after %d is not a number of days; give 0 (never prune) or more", c.pruneAfter)
	}
	if c.listen != "" {
		if _, _, err := net.SplitHostPort(c.listen); err != nil {
			return fmt.Errorf("--listen %q is not a host:port address", c.listen)
		}
	}
	return nil
}
