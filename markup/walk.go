package markup

import "strings"

// WalkTags reads HTML as the sanitiser writes it: text gets each run of
// text between tags (entities not decoded), tag the inside of each tag
// without its angle brackets. It stops early, returning false, when tag
// returns false or a "<" has no ">" after it.
func WalkTags(s string, text func(string), tag func(raw string) bool) bool {
	for s != "" {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			text(s)
			break
		}
		text(s[:i])
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			return false
		}
		if !tag(s[i+1 : i+j]) {
			return false
		}
		s = s[i+j+1:]
	}
	return true
}
