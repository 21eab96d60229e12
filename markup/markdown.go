package markup

import (
	"bytes"
	"html"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	ghtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// Renderer turns the owner's Markdown and remote HTML into the HTML subset
// that Mastodon keeps. Build it once with New; it holds no per-call state and
// is safe for concurrent use.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// New returns a Renderer with the Markdown dialect and the sanitising policy
// described on Markdown and Sanitize.
func New() *Renderer {
	return &Renderer{
		md:     newMarkdown(),
		policy: newPolicy(),
	}
}

// Markdown renders the owner's Markdown (CommonMark with GFM strikethrough
// and bare-URL links) to HTML that Mastodon would accept. Single newlines
// become <br>, as people expect when typing a post; headings become
// <p><strong>…</strong></p>; raw HTML is shown as text, never passed through;
// images become links to the image. The result goes through the same
// sanitiser as remote HTML, so the two can never disagree about what is safe.
// goldmark's parsing time grows faster than linearly on some hostile inputs
// (tens of milliseconds for 5,000 characters of "[a](" repeated): callers
// cap src at the status length limit.
func (r *Renderer) Markdown(src string) string {
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(src), &buf); err != nil {
		// Convert only fails when the writer does, which a bytes.Buffer never
		// does; still, never lose the owner's words: fall back to plain text.
		return "<p>" + html.EscapeString(src) + "</p>"
	}
	return rewrite(r.policy.Sanitize(buf.String()), true)
}

// newMarkdown builds the goldmark instance behind Renderer.Markdown.
//
// Raw HTML is handled by dropping goldmark's HTML parsers rather than by its
// default "<!-- raw HTML omitted -->": a post that says "use <b> for bold"
// keeps its words, escaped. Tables, footnotes and the other GFM extensions are
// left out because Mastodon would strip their elements anyway.
func newMarkdown() goldmark.Markdown {
	blocks := util.PrioritizedSlice(parser.DefaultBlockParsers()).Remove(parser.NewHTMLBlockParser())
	inlines := util.PrioritizedSlice(parser.DefaultInlineParsers()).Remove(parser.NewRawHTMLParser())
	p := parser.NewParser(
		parser.WithBlockParsers(blocks...),
		parser.WithInlineParsers(inlines...),
		parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
	)
	return goldmark.New(
		goldmark.WithParser(p),
		goldmark.WithExtensions(
			extension.Strikethrough,
			extension.NewLinkify(extension.WithLinkifyAllowedProtocols([]string{"http:", "https:"})),
		),
		goldmark.WithRendererOptions(
			ghtml.WithHardWraps(),
			// Lower numbers win: this replaces the default <img> renderer.
			renderer.WithNodeRenderers(util.Prioritized(imageLinkRenderer{}, 100)),
		),
	)
}

// imageLinkRenderer renders a Markdown image as a link to it. Mastodon drops
// <img> from status HTML (images travel as attachments), and a bare <img>
// would lose even the alt text, so ![alt](url) becomes <a href="url">alt</a>.
type imageLinkRenderer struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (imageLinkRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindImage, renderImageLink)
}

func renderImageLink(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n, ok := node.(*ast.Image)
	if !ok {
		return ast.WalkContinue, nil
	}
	if !entering {
		_, _ = w.WriteString("</a>")
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString(`<a href="`)
	if !ghtml.IsDangerousURL(n.Destination) {
		_, _ = w.Write(util.EscapeHTML(util.URLEscape(n.Destination, true)))
	}
	_, _ = w.WriteString(`">`)
	if !n.HasChildren() {
		// ![](url): without alt text the URL is the only label there is.
		_, _ = w.Write(util.EscapeHTML(n.Destination))
	}
	return ast.WalkContinue, nil
}
