package markup

import (
	"html"
	"strings"
	"testing"
)

const relTarget = ` rel="nofollow noopener noreferrer" target="_blank"`

func TestSanitize(t *testing.T) {
	r := New()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", ""},
		{"text is escaped", `a < b & "c"`, `a &lt; b &amp; &#34;c&#34;`},
		{
			"allowed inline elements kept",
			`<p><em>a</em> <strong>b</strong> <b>c</b> <i>d</i> <u>e</u> <del>f</del> <code>g</code></p>`,
			`<p><em>a</em> <strong>b</strong> <b>c</b> <i>d</i> <u>e</u> <del>f</del> <code>g</code></p>`,
		},
		{
			"blocks kept",
			"<blockquote><p>q</p></blockquote><pre><code>x\n  y</code></pre><ul><li>a</li></ul>",
			"<blockquote><p>q</p></blockquote><pre><code>x\n  y</code></pre><ul><li>a</li></ul>",
		},
		{
			"list attributes kept",
			`<ol start="3" reversed><li value="9">a</li><li value="x">b</li></ol>`,
			`<ol start="3" reversed><li value="9">a</li><li>b</li></ol>`,
		},
		{"s becomes del", `<s>a</s><strike>b</strike>`, `<del>a</del><del>b</del>`},
		{"heading becomes strong paragraph", `<h1>Title</h1><p>body</p>`, `<p><strong>Title</strong></p><p>body</p>`},
		{"heading inside paragraph", `<p>a<h2 id="x">b</h2>c</p>`, `<p>a</p><p><strong>b</strong></p>c`},
		{"empty heading dropped", `<h3></h3>x`, `x`},
		{"block element unwrapped into spaces", `<div>a</div><div>b</div>`, ` a  b `},
		{"inline element unwrapped", `x<abbr title="t">y</abbr><small>z</small>`, `xyz`},
		{"script and style contents dropped", `a<script>alert(1)</script><style>p{color:red}</style>b`, `ab`},
		{"iframe, img, object dropped", `a<iframe src="https://e.example/">in</iframe><img src="https://e.example/x.png" alt="pic"><object>o</object>b`, `ab`},
		{"event attributes dropped", `<p onclick="alert(1)" ONMOUSEOVER=alert(2)>x</p>`, `<p>x</p>`},
		{"style and data attributes dropped", `<span style="color:red" data-x="1" translate="no">x</span>`, `<span>x</span>`},
		{"comment dropped", `a<!-- <script>x</script> -->b`, `ab`},
		{
			"classes filtered one by one",
			`<span class="invisible  h-card evil p-name e-content dt-published u-photo x-y ellipsis">x</span>`,
			`<span class="invisible h-card p-name e-content dt-published u-photo ellipsis">x</span>`,
		},
		{"class only on span and a", `<p class="h-entry">x</p>`, `<p>x</p>`},
		{"odd microformat class dropped", `<span class="h- u-&quot;x">x</span>`, `<span>x</span>`},
		{
			"link gets rel and target",
			`<a href="https://example.com/a?b=1&amp;c=2" rel="me ugc" target="_top">x</a>`,
			`<a href="https://example.com/a?b=1&amp;c=2"` + relTarget + `>x</a>`,
		},
		{
			"rel tag kept for hashtags",
			`<a href="https://example.com/tags/x" class="mention hashtag" rel="tag">#<span>x</span></a>`,
			`<a href="https://example.com/tags/x" class="mention hashtag" rel="nofollow noopener noreferrer tag" target="_blank">#<span>x</span></a>`,
		},
		{"scheme is case-insensitive", `<a href="HTTPS://example.com/">x</a>`, `<a href="https://example.com/"` + relTarget + `>x</a>`},
		{"gemini link", `<a href="gemini://example.com/">x</a>`, `<a href="gemini://example.com/"` + relTarget + `>x</a>`},
		{"magnet link", `<a href="magnet:?xt=urn:btih:abc">x</a>`, `<a href="magnet:?xt=urn:btih:abc"` + relTarget + `>x</a>`},
		{"xmpp link", `<a href="xmpp:someone@example.com">x</a>`, `<a href="xmpp:someone@example.com"` + relTarget + `>x</a>`},
		{"javascript link becomes text", `<a href="javascript:alert(1)">x</a>`, `x`},
		{"entity-encoded javascript link becomes text", `<a href="JaVaScRiPt&#58;alert(1)">x</a>`, `x`},
		{"tab-split javascript link becomes text", `<a href="java&#x09;script:alert(1)">x</a>`, `x`},
		{"data link becomes text", `<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>`, `x`},
		{"vbscript link becomes text", `<a href="vbscript:msgbox(1)">x</a>`, `x`},
		{"mailto link becomes text", `<a href="mailto:a@example.com">x</a>`, `x`},
		{"relative link becomes text", `<a href="/users/a" class="mention">x</a>`, `x`},
		{"link without href becomes text", `<a name="top" class="mention">x</a>`, `x`},
		{
			"link inside link unwrapped",
			`<a href="https://a.example/">x<a href="https://b.example/">y</a>z</a>`,
			`<a href="https://a.example/"` + relTarget + `>xyz</a>`,
		},
		{"unclosed element closed", `<strong>bold`, `<strong>bold</strong>`},
		{"stray end tag dropped", `</em>x</p>`, `x`},
		{"misnested elements balanced", `<b><i>x</b>y</i>`, `<b><i>x</i></b>y`},
		{"paragraphs do not nest", `<p>a<p>b</p></p>`, `<p>a</p><p>b</p>`},
		{"list items close each other", `<ul><li>a<li>b</ul>`, `<ul><li>a</li><li>b</li></ul>`},
		{"nested list items", `<ul><li>a<ul><li>b</ul></ul>`, `<ul><li>a<ul><li>b</li></ul></li></ul>`},
		{"self-closing p is empty", `<p/>x`, `x`},
		{"end br is a br", `a</br>b<br/>c`, `a<br>b<br>c`},
		{"end tag attributes dropped", `<p>x</p onclick="alert(1)">`, `<p>x</p>`},
		{"attribute injected through end tag", `</p <script>alert(1)</script>`, `alert(1)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := r.Sanitize(tc.in)
			if got != tc.want {
				t.Errorf("Sanitize(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			checkSafe(t, tc.in, got)
		})
	}
}

// fixtureCases are remote contents from the shared fixtures with what
// Sanitize must make of them, and the mention or hashtag markup that has to
// survive.
func fixtureCases() []struct{ fixture, want, keep string } {
	return []struct{ fixture, want, keep string }{
		{
			"mastodon_create_note_hashtag.json",
			`<p><span class="h-card"><a href="http://localtesting.pleroma.lol/users/lain" class="u-url mention"` + relTarget + `>@<span>lain</span></a></span> #moo</p>`,
			`<span class="h-card"><a href="http://localtesting.pleroma.lol/users/lain" class="u-url mention"`,
		},
		{
			"gotosocial_note_mentions.json",
			`<p>hi <span class="h-card"><a href="http://localhost:8080/@1happyturtle" class="u-url mention"` + relTarget + `>@<span>the_mighty_zork</span></a></span> welcome to the instance!</p>`,
			`<span class="h-card"><a href="http://localhost:8080/@1happyturtle" class="u-url mention"`,
		},
		{
			"gotosocial_note_emoji_hashtag.json",
			`<p>hello world! <a href="http://localhost:8080/tags/welcome" class="mention hashtag" rel="nofollow noopener noreferrer tag" target="_blank">#<span>welcome</span></a> ! first post on the instance :rainbow: !</p>`,
			`<a href="http://localhost:8080/tags/welcome" class="mention hashtag" rel="nofollow noopener noreferrer tag"`,
		},
		{
			// data-user and rel="ugc" go; the mention stays.
			"pleroma_create_note_litepub.json",
			`<span class="h-card"><a href="https://enterprise.lemmy.ml/u/picard" class="u-url mention"` + relTarget + `>@<span>lanodan</span></a></span> test`,
			`<span class="h-card"><a href="https://enterprise.lemmy.ml/u/picard" class="u-url mention"`,
		},
		{
			"misskey_note_quote.json",
			`<p><span>投稿者の設定によるね<br>Fanboxについても投稿者によっては過去の投稿は高額なプランに移動してることがある<br><br>RE: </span><a href="https://misskey.io/notes/8vs6wxufd0"` + relTarget + `>https://misskey.io/notes/8vs6wxufd0</a></p>`,
			`<a href="https://misskey.io/notes/8vs6wxufd0"`,
		},
		{
			// Single-quoted attributes.
			"sharkey_create_note_direct.json",
			`<p><a href="https://as2.blueb.me/users/690d0271-4147-4302-ac50-7806f3ad8f87" class="u-url mention"` + relTarget + `>@breen@as2.blueb.me</a> 2</p>`,
			`class="u-url mention"`,
		},
		{
			// Mastodon's link shortening classes stay; Fedibird's own go.
			"fedibird_note_quote_uri.json",
			`<p>public quote<span><br>QT: <a href="https://example.com/objects/24d9f2e1-32d2-4bd5-bdf2-8ea61d3fb5e8"` + relTarget + `><span class="invisible">https://</span><span class="ellipsis">example.com/objects/24d9f</span><span class="invisible">2e1-32d2-4bd5-bdf2-8ea61d3fb5e8</span></a></span><span> <a href="https://fedibird.com/@akkoma_ap_integration_tester/108707679228362674/references"` + relTarget + `>[参照]</a></span></p>`,
			`<span class="ellipsis">example.com/objects/24d9f</span>`,
		},
		{
			"wafrn_note_hashtags_no_context.json",
			`<p>im not testing (im not)</p><p>this account has more purposes than testing</p>  <a href="https://app.wafrn.net/dashboard/search/im%20not%20lying" class="hashtag" rel="nofollow noopener noreferrer tag" target="_blank">#imNotLying</a>  <a href="https://app.wafrn.net/dashboard/search/i%20swear" class="hashtag" rel="nofollow noopener noreferrer tag" target="_blank">#iSwear</a>  <a href="https://app.wafrn.net/dashboard/search/i%20am%20not" class="hashtag" rel="nofollow noopener noreferrer tag" target="_blank">#iAmNot</a>`,
			`class="hashtag" rel="nofollow noopener noreferrer tag"`,
		},
	}
}

func TestSanitizeFixtures(t *testing.T) {
	r := New()
	for _, tc := range fixtureCases() {
		t.Run(tc.fixture, func(t *testing.T) {
			in := fixtureContent(t, tc.fixture)
			got := r.Sanitize(in)
			if got != tc.want {
				t.Errorf("Sanitize(%q)\n got %q\nwant %q", in, got, tc.want)
			}
			if !strings.Contains(got, tc.keep) {
				t.Errorf("output lost %q", tc.keep)
			}
			checkSafe(t, in, got)
		})
	}
}

// TestSanitizeFixturesWithAttacks plants hostile markup in real remote
// content: the attack must go and the mentions and hashtags must stay.
func TestSanitizeFixturesWithAttacks(t *testing.T) {
	r := New()
	const tail = `<script>alert(1)</script><style>*{display:none}</style>` +
		`<iframe src="https://evil.example/">frame</iframe><img src="https://evil.example/p.png" onerror="alert(1)">` +
		`<a href="javascript:alert(1)">js</a><a href="data:text/html;base64,PHNjcmlwdD4=">data</a>` +
		`<a href="https://ok.example/" onclick="alert(1)" style="color:red">ok</a>`
	const tailWant = `jsdata<a href="https://ok.example/"` + relTarget + `>ok</a>`
	for _, tc := range fixtureCases() {
		t.Run(tc.fixture, func(t *testing.T) {
			clean := fixtureContent(t, tc.fixture)
			// Every case has a link; give the first one an event handler.
			in := strings.Replace(clean, "<a ", `<a onclick="steal(document.cookie)" onmouseover='x()' style="position:fixed" `, 1) + tail
			if in == clean+tail {
				t.Fatalf("no link to attack in %q", clean)
			}
			got := r.Sanitize(in)
			if want := tc.want + tailWant; got != want {
				t.Errorf("Sanitize(%q)\n got %q\nwant %q", in, got, want)
			}
			if !strings.Contains(got, tc.keep) {
				t.Errorf("output lost %q", tc.keep)
			}
			for _, bad := range []string{"script", "style", "onclick", "onmouseover", "onerror", "iframe", "<img", "evil.example", "javascript:", "data:"} {
				if strings.Contains(got, bad) {
					t.Errorf("output keeps %q: %q", bad, got)
				}
			}
			checkSafe(t, in, got)
		})
	}
}

// TestSanitizeMarkdownContent: PeerTube sends Markdown as content; read as
// HTML it is plain text and must come through as that text, escaped.
func TestSanitizeMarkdownContent(t *testing.T) {
	r := New()
	in := fixtureContent(t, "peertube_video.json")
	got := r.Sanitize(in)
	// The HTML tokenizer normalises line endings, as browsers do.
	want := html.EscapeString(strings.ReplaceAll(in, "\r\n", "\n"))
	if got != want {
		t.Errorf("Sanitize(%q)\n got %q\nwant %q", in, got, want)
	}
}

// TestSanitizeAllFixtures runs every text in the fixtures through Sanitize:
// the output is safe, and sanitising it again changes nothing.
func TestSanitizeAllFixtures(t *testing.T) {
	r := New()
	for _, in := range fixtureTexts(t) {
		got := r.Sanitize(in)
		checkSafe(t, in, got)
		if again := r.Sanitize(got); again != got {
			t.Errorf("Sanitize is not idempotent on %q\nonce  %q\ntwice %q", in, got, again)
		}
	}
}

func TestSanitizeAttacks(t *testing.T) {
	r := New()
	for _, in := range attacks() {
		got := r.Sanitize(in)
		checkSafe(t, in, got)
		if strings.Contains(got, "<a") && strings.Contains(in, "javascript") {
			t.Errorf("Sanitize(%q) kept a link: %q", in, got)
		}
	}
}

// TestUnsafeMarkup makes sure the checker used by the tests and fuzz targets
// catches what it is meant to catch.
func TestUnsafeMarkup(t *testing.T) {
	for _, out := range []string{
		`<script>alert(1)</script>`,
		`<SCRIPT>`,
		`<p onclick="x()">a</p>`,
		`<p>a`,
		`</p>`,
		`<b><i>x</b></i>`,
		`<img src="https://e.example/x.png">`,
		`<div>a</div>`,
		`<p class="mention">a</p>`,
		`<span class="evil">a</span>`,
		`<a href="javascript:alert(1)"` + relTarget + `>a</a>`,
		`<a href=" JAVA&#x09;SCRIPT:alert(1)"` + relTarget + `>a</a>`,
		`<a href="data:text/html,x"` + relTarget + `>a</a>`,
		`<a href="ftp://e.example/"` + relTarget + `>a</a>`,
		`<a href="https://e.example/">a</a>`,
		`<a href="https://e.example/" rel="nofollow" target="_blank">a</a>`,
		`<a href='https://e.example/'>a</a>`,
		`a < b`,
		`a > b`,
	} {
		if unsafeMarkup(out) == "" {
			t.Errorf("unsafeMarkup(%q) found nothing", out)
		}
	}
	for _, out := range []string{
		``,
		`a &lt;script&gt; javascript:alert(1) turn on the lights`,
		`<p>a<br><span class="h-card"><a href="https://e.example/@a" class="u-url mention"` + relTarget + `>@<span>a</span></a></span></p>`,
		`<ol start="3" reversed><li value="2">x</li></ol>`,
	} {
		if problem := unsafeMarkup(out); problem != "" {
			t.Errorf("unsafeMarkup(%q) = %q, want none", out, problem)
		}
	}
}
