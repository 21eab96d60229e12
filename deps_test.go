package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportDirection keeps dependencies pointing one way:
// main → handlers → ap → store (handlers may also read store), with markup
// below ap and handlers, and nothing importing upward.
func TestImportDirection(t *testing.T) {
	forbidden := map[string][]string{
		"roost/store":    {"roost/ap", "roost/handlers", "roost/markup", "roost/templates", "roost/static"},
		"roost/markup":   {"roost/ap", "roost/handlers", "roost/store"},
		"roost/media":    {"roost/ap", "roost/handlers", "roost/store", "roost/markup"},
		"roost/ap":       {"roost/handlers", "roost/templates", "roost/static"},
		"roost/handlers": {"roost"},
	}
	for pkg, bad := range forbidden {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		deps := map[string]bool{}
		for _, d := range strings.Fields(string(out)) {
			deps[d] = true
		}
		for _, b := range bad {
			if deps[b] {
				t.Errorf("%s depends on %s", pkg, b)
			}
		}
	}
}
