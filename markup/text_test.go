package markup

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPlainText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", ""},
		{"plain text unchanged", "just text", "just text"},
		{"tags stripped", `<p>Hello <b>world</b> <a href="https://e.example/">link</a></p>`, "Hello world link"},
		{"paragraphs", "<p>one</p><p>two</p>", "one\n\ntwo"},
		{"line breaks", "a<br>b<br/>c<br />d", "a\nb\nc\nd"},
		{"double line break", "a<br><br>b", "a\n\nb"},
		{"entities decoded", "&lt;3 &amp; &quot;hi&quot; it&#39;s &eacute;t&eacute; &#x1F98A;", `<3 & "hi" it's été 🦊`},
		{"non-breaking space kept", "a&nbsp;b", "a\u00a0b"},
		{"whitespace collapsed", "<p>  a \n\t b  </p>\n\n<p> c </p>", "a b\n\nc"},
		{"pre whitespace kept", "<p>x</p><pre>a\n  b</pre>", "x\n\na\n  b"},
		{"script and style dropped", "a<script>alert('x')</script><style>p{}</style>b", "ab"},
		{"comment dropped", "a<!-- hidden -->b", "ab"},
		{"list items on lines", "<ul><li>a</li><li>b</li></ul><p>c</p>", "a\nb\n\nc"},
		{"blocks on lines", "a<div>b</div>c", "a\nb\nc"},
		{"heading", "<h1>Title</h1>body", "Title\n\nbody"},
		{"trimmed", "  <p> x </p>  <br> ", "x"},
		{"unbalanced", "<p>a<b>b", "ab"},
		{"escaped markup stays text", "&lt;script&gt;", "<script>"},
		{
			"Mastodon link shortening",
			`<a href="https://example.com/a/long/path"><span class="invisible">https://</span><span class="ellipsis">example.com/a/lo</span><span class="invisible">ng/path</span></a>`,
			"https://example.com/a/long/path",
		},
		{
			"mention",
			`<p><span class="h-card"><a href="http://localtesting.pleroma.lol/users/lain" class="u-url mention">@<span>lain</span></a></span> #moo</p>`,
			"@lain #moo",
		},
		{
			"multi-byte with breaks",
			`<p><span>投稿者の設定によるね<br>Fanboxについて<br><br>RE: </span><a href="https://misskey.io/notes/8vs6wxufd0">https://misskey.io/notes/8vs6wxufd0</a></p>`,
			"投稿者の設定によるね\nFanboxについて\n\nRE: https://misskey.io/notes/8vs6wxufd0",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := PlainText(tc.in); got != tc.want {
				t.Errorf("PlainText(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestPlainTextFixture(t *testing.T) {
	in := fixtureContent(t, "mastodon_create_note_hashtag.json")
	if got, want := PlainText(in), "@lain #moo"; got != want {
		t.Errorf("PlainText(%q) = %q, want %q", in, got, want)
	}
}

func TestExcerpt(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"fits", "hello", 10, "hello"},
		{"fits exactly", "hello", 5, "hello"},
		{"empty", "", 3, ""},
		{"zero", "hello", 0, ""},
		{"negative", "hello", -1, ""},
		{"only room for the ellipsis", "hello", 1, "…"},
		{"cut at a word", "hello wonderful world", 12, "hello…"},
		{"cut right before a space", "hello world again", 12, "hello world…"},
		{"long word cut hard", "abcdefghijklmnop", 6, "abcde…"},
		{"trailing punctuation dropped", "one, two three", 6, "one…"},
		{"multi-byte runes", "投稿者の設定によるね", 5, "投稿者の…"},
		{"multi-byte fits", "投稿者の設定によるね", 10, "投稿者の設定によるね"},
		{"emoji", "🦊🦄⚧🂡ⓥ🐧", 4, "🦊🦄⚧…"},
		{"zero-width joiner sequence kept whole", "ab👩\u200d👩\u200d👧cd", 5, "ab…"},
		{"combining mark kept with its letter", "cafe\u0301s", 5, "caf…"},
		{"newline is a word boundary", "first line\nsecond line", 14, "first line…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Excerpt(tc.in, tc.n)
			if got != tc.want {
				t.Errorf("Excerpt(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
			checkExcerpt(t, tc.in, tc.n, got)
		})
	}
}

// checkExcerpt checks what holds for every Excerpt: at most n runes, valid
// UTF-8 from valid UTF-8, and either s itself or a prefix of it plus "…".
func checkExcerpt(t testing.TB, s string, n int, got string) {
	t.Helper()
	if c := utf8.RuneCountInString(got); c > max(n, 0) {
		t.Errorf("Excerpt(%q, %d) = %q has %d runes", s, n, got, c)
	}
	if utf8.ValidString(s) && !utf8.ValidString(got) {
		t.Errorf("Excerpt(%q, %d) = %q is not valid UTF-8", s, n, got)
	}
	if got != s && got != "" {
		head, ok := strings.CutSuffix(got, "…")
		if !ok || !strings.HasPrefix(s, head) {
			t.Errorf("Excerpt(%q, %d) = %q is not a prefix of s plus an ellipsis", s, n, got)
		}
	}
}
