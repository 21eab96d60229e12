package markup

import (
	"strings"
	"sync"
	"testing"
)

func markdownCases() []struct{ name, in, want string } {
	return []struct{ name, in, want string }{
		{"empty", "", ""},
		{"blank", " \n\t\n", ""},
		{"paragraph", "Hello, world", "<p>Hello, world</p>"},
		{"paragraphs", "one\n\n\n\ntwo", "<p>one</p><p>two</p>"},
		{"single newline is a line break", "line one\nline two\nline three", "<p>line one<br>line two<br>line three</p>"},
		{"explicit hard breaks", "a  \nb\\\nc", "<p>a<br>b<br>c</p>"},
		{"heading becomes strong", "# Title\n\nbody", "<p><strong>Title</strong></p><p>body</p>"},
		{"setext heading becomes strong", "Title\n---\nbody", "<p><strong>Title</strong></p><p>body</p>"},
		{"level six heading", "###### small", "<p><strong>small</strong></p>"},
		{"hashtag is not a heading", "#tag at the start\n#another", "<p>#tag at the start<br>#another</p>"},
		{"emphasis", "*em* _em_ **strong** __strong__ ***both***", "<p><em>em</em> <em>em</em> <strong>strong</strong> <strong>strong</strong> <em><strong>both</strong></em></p>"},
		{"strikethrough", "~~gone~~ and ~gone~", "<p><del>gone</del> and <del>gone</del></p>"},
		{
			"bare URL linked",
			"see https://example.com/a?b=1&c=2 now",
			`<p>see <a href="https://example.com/a?b=1&amp;c=2"` + relTarget + `>https://example.com/a?b=1&amp;c=2</a> now</p>`,
		},
		{"www linked", "www.example.org", `<p><a href="http://www.example.org"` + relTarget + `>www.example.org</a></p>`},
		{"autolink", "<https://example.com/>", `<p><a href="https://example.com/"` + relTarget + `>https://example.com/</a></p>`},
		{"link", `[the docs](https://docs.example/ "Docs")`, `<p><a href="https://docs.example/"` + relTarget + `>the docs</a></p>`},
		{"mention text stays text", "hi @user@example.com", "<p>hi @user@example.com</p>"},
		{"bullet list", "- a\n- b", "<ul><li>a</li><li>b</li></ul>"},
		{"ordered list", "3. a\n4. b", `<ol start="3"><li>a</li><li>b</li></ol>`},
		{"nested list", "- a\n  - b\n- c", "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>"},
		{"loose list", "- a\n\n- b", "<ul><li><p>a</p></li><li><p>b</p></li></ul>"},
		{"blockquote", "> quoted\n> more\n\nafter", "<blockquote><p>quoted<br>more</p></blockquote><p>after</p>"},
		{"code span", "run `a < b && c`", "<p>run <code>a &lt; b &amp;&amp; c</code></p>"},
		{"fenced code keeps newlines", "```go\nif a {\n\n  b()\n}\n```", "<pre><code>if a {\n\n  b()\n}\n</code></pre>"},
		{"indented code", "    x := 1\n    y := 2", "<pre><code>x := 1\ny := 2\n</code></pre>"},
		{"thematic break dropped", "a\n\n***\n\nb", "<p>a</p><p>b</p>"},
		{"inline HTML escaped", "use <b>bold</b> here", "<p>use &lt;b&gt;bold&lt;/b&gt; here</p>"},
		{
			"HTML block escaped",
			"<script>alert(1)</script>\n\n<div onclick=\"x()\">hi</div>",
			"<p>&lt;script&gt;alert(1)&lt;/script&gt;</p><p>&lt;div onclick=&#34;x()&#34;&gt;hi&lt;/div&gt;</p>",
		},
		{"HTML comment escaped", "a <!-- b --> c", "<p>a &lt;!-- b --&gt; c</p>"},
		{"javascript link removed", "[click](javascript:alert(1))", "<p>click</p>"},
		{"mixed-case javascript link removed", "[click](JaVaScRiPt:alert(1))", "<p>click</p>"},
		{"javascript autolink removed", "<javascript:alert(1)>", "<p>javascript:alert(1)</p>"},
		{"data link removed", "[d](data:text/html;base64,PHNjcmlwdD4=)", "<p>d</p>"},
		{"relative link removed", "[me](/about)", "<p>me</p>"},
		{"image becomes link", "![a *cat*](https://example.com/cat.png)", `<p><a href="https://example.com/cat.png"` + relTarget + `>a <em>cat</em></a></p>`},
		{"image without alt", "![](https://example.com/cat.png)", `<p><a href="https://example.com/cat.png"` + relTarget + `>https://example.com/cat.png</a></p>`},
		{"javascript image removed", "![x](javascript:alert(1))", "<p>x</p>"},
		{"image in link", "[![x](https://e.example/i.png)](https://e.example/)", `<p><a href="https://e.example/"` + relTarget + `>x</a></p>`},
		{"multi-byte text", "投稿者の設定\nによるね 🦊", "<p>投稿者の設定<br>によるね 🦊</p>"},
	}
}

func TestMarkdown(t *testing.T) {
	r := New()
	for _, tc := range markdownCases() {
		t.Run(tc.name, func(t *testing.T) {
			got := r.Markdown(tc.in)
			if got != tc.want {
				t.Errorf("Markdown(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			checkSafe(t, tc.in, got)
			if strings.Contains(got, "<img") {
				t.Errorf("Markdown(%q) rendered an image: %q", tc.in, got)
			}
			// The output is already what the sanitiser keeps.
			if again := r.Sanitize(got); again != got {
				t.Errorf("Sanitize changes Markdown output\n got %q\nthen %q", got, again)
			}
		})
	}
}

// TestMarkdownFixtures renders the fixtures' texts as if the owner had typed
// them: whatever they hold, the output is safe.
func TestMarkdownFixtures(t *testing.T) {
	r := New()
	for _, in := range append(fixtureTexts(t), attacks()...) {
		checkSafe(t, in, r.Markdown(in))
	}
}

// TestRendererConcurrent shares one Renderer between goroutines, as the
// server does; run with -race it checks New leaves no shared mutable state.
func TestRendererConcurrent(t *testing.T) {
	r := New()
	md := markdownCases()
	html := fixtureTexts(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for _, tc := range md {
				if got := r.Markdown(tc.in); got != tc.want {
					t.Errorf("Markdown(%q) = %q, want %q", tc.in, got, tc.want)
				}
			}
			for _, in := range html {
				checkSafe(t, in, r.Sanitize(in))
				_ = PlainText(in)
			}
		})
	}
	wg.Wait()
}
