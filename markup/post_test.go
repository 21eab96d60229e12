package markup

import (
	"reflect"
	"strings"
	"testing"
)

func testLinker() Linker {
	return Linker{
		Mention: func(m Mention) (string, bool) {
			if m.Username == "nobody" {
				return "", false
			}
			host := m.Host
			if host == "" {
				host = "home.test"
			}
			return "https://" + host + "/@" + m.Username, true
		},
		Tag: func(name string) string { return "https://home.test/tags/" + name },
	}
}

func TestPostLinksMentionsAndHashtags(t *testing.T) {
	r := New()
	html, mentions, tags := r.Post("Hi @bob@example.com and @carol! #GoLang is fun, #golang #1 x#y @nobody\n\n`@code #code` [#link](https://x.org/#a)", testLinker())
	for _, want := range []string{
		`<span class="h-card"><a href="https://example.com/@bob" class="u-url mention" rel="nofollow noopener noreferrer" target="_blank">@<span>bob</span></a></span>`,
		`<a href="https://home.test/@carol" class="u-url mention"`,
		`<a href="https://home.test/tags/golang" class="mention hashtag" rel="nofollow noopener noreferrer tag" target="_blank">#<span>GoLang</span></a>`,
		`#1`, `x#y`, `@nobody`,
		`<code>@code #code</code>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("post lacks %s\n%s", want, html)
		}
	}
	if strings.Count(html, "hashtag") != 2 {
		t.Errorf("hashtags linked %d times, want 2 (not #1, x#y, in code or in a link):\n%s", strings.Count(html, "hashtag"), html)
	}
	wantM := []Mention{{Username: "bob", Host: "example.com"}, {Username: "carol"}}
	if !reflect.DeepEqual(mentions, wantM) {
		t.Errorf("mentions = %+v, want %+v", mentions, wantM)
	}
	if !reflect.DeepEqual(tags, []string{"golang"}) {
		t.Errorf("tags = %v", tags)
	}
}

func TestPostMentionWithPortAndEscaping(t *testing.T) {
	html, mentions, _ := New().Post("@ben@localhost:8082 <script>alert(1)</script> & done", testLinker())
	if len(mentions) != 1 || mentions[0].Host != "localhost:8082" {
		t.Errorf("mentions = %+v", mentions)
	}
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&amp; done") {
		t.Errorf("escaping lost: %s", html)
	}
}

func FuzzPost(f *testing.F) {
	for _, s := range []string{"@a@b.c #d", "**@x** _#y_", "`#z` @q@localhost:1", "<a href=\"#x\">@m</a>", "#ﾟ @_ #__ #٣"} {
		f.Add(s)
	}
	r := New()
	f.Fuzz(func(t *testing.T, s string) {
		out, _, _ := r.Post(s, testLinker())
		if strings.Contains(strings.ToLower(out), "<script") {
			t.Fatalf("script in output: %q", out)
		}
	})
}
