package markup

import "testing"

func BenchmarkSanitize(b *testing.B) {
	r := New()
	in := fixtureContent(b, "fedibird_note_quote_uri.json")
	b.ReportAllocs()
	for b.Loop() {
		r.Sanitize(in)
	}
}

func BenchmarkMarkdown(b *testing.B) {
	r := New()
	in := "# Title\n\nHello *world*, see https://example.com/x\nand `code`\n\n- a\n- b\n"
	b.ReportAllocs()
	for b.Loop() {
		r.Markdown(in)
	}
}

func BenchmarkPlainText(b *testing.B) {
	in := fixtureContent(b, "fedibird_note_quote_uri.json")
	b.ReportAllocs()
	for b.Loop() {
		PlainText(in)
	}
}
