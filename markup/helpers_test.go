package markup

import (
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// fixtureDir holds the real ActivityPub payloads shared by every package
// (the module's copy of shared/fixtures/activitypub).
const fixtureDir = "../testdata/activitypub"

// fixtureContent returns the content of a fixture: the object's for an
// activity, the fixture's own for an object.
func fixtureContent(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	var doc struct {
		Content string          `json:"content"`
		Object  json.RawMessage `json:"object"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	if doc.Content == "" && len(doc.Object) > 0 {
		if err := json.Unmarshal(doc.Object, &doc); err != nil {
			t.Fatalf("decode %s object: %v", name, err)
		}
	}
	if doc.Content == "" {
		t.Fatalf("%s has no content", name)
	}
	return doc.Content
}

// fixtureTexts returns every distinct content, contentMap, summary and
// source text in all fixtures, sorted: the fuzz seeds.
func fixtureTexts(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s (err %v)", fixtureDir, err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("read fixture: %v", err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("decode %s: %v", f, err)
		}
		collectTexts(v, "", seen)
	}
	delete(seen, "")
	texts := make([]string, 0, len(seen))
	for s := range seen {
		texts = append(texts, s)
	}
	slices.Sort(texts)
	return texts
}

func collectTexts(v any, key string, seen map[string]bool) {
	switch v := v.(type) {
	case string:
		switch key {
		case "content", "summary", "source", "_misskey_content", "contentMap":
			seen[v] = true
		}
	case map[string]any:
		for k, x := range v {
			if key == "contentMap" {
				k = "contentMap" // values of the language map
			}
			collectTexts(x, k, seen)
		}
	case []any:
		for _, x := range v {
			collectTexts(x, key, seen)
		}
	}
}

// attacks are hostile inputs used as seeds and cases.
func attacks() []string {
	return []string{
		`<script>alert(1)</script>`,
		`<SCRIPT SRC=https://evil.example/x.js></SCRIPT>`,
		`<img src=x onerror=alert(1)>`,
		`<a href="javascript:alert(1)">x</a>`,
		`<a href="JaVaScRiPt&#58;alert(1)">x</a>`,
		`<a href="java&#x09;script:alert(1)">x</a>`,
		`<a href=" javascript:alert(1)">x</a>`,
		`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`,
		`<a href="vbscript:msgbox(1)">x</a>`,
		`<p onclick="alert(1)" ONMOUSEOVER=alert(2)>x</p>`,
		`<iframe src="https://evil.example/"></iframe>`,
		`<style>*{display:none}</style>`,
		`<svg><script>alert(1)</script></svg>`,
		`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
		`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
		`</p <script>alert(1)</script>`,
		`<p/onclick=alert(1)>x</p>`,
		`<a href="https://ok.example/" onclick="alert(1)" style="x">ok</a>`,
		`<!--<script>alert(1)</script>-->`,
		`<![CDATA[<script>alert(1)</script>]]>`,
		`<span class="invisible h-card evil" style="color:red">x</span>`,
		`[x](javascript:alert(1))`,
		`<javascript:alert(1)>`,
		`![x](javascript:alert(1))`,
		"<h1>t</h1><p>a<h2>b</h2>c</p><div>d</div><ol start=3 reversed><li value=9>e",
	}
}

var (
	tagRE   = regexp.MustCompile(`<[^<>]*>`)
	canonRE = regexp.MustCompile(`^<(/?)([a-z0-9]+)((?: [a-z]+(?:="[^"<>]*")?)*)>$`)
	attrRE  = regexp.MustCompile(` ([a-z]+)(?:="([^"]*)")?`)
)

// allowedOutput maps each element the package may write to its attributes.
func allowedOutput() map[string][]string {
	return map[string][]string{
		"p": nil, "br": nil, "del": nil, "pre": nil, "code": nil, "em": nil, "strong": nil,
		"b": nil, "i": nil, "u": nil, "ul": nil, "blockquote": nil,
		"span": {"class"},
		"a":    {"href", "class", "rel", "target"},
		"ol":   {"start", "reversed"},
		"li":   {"value"},
	}
}

// checkSafe fails t unless out is made only of Mastodon's allowed elements,
// attributes, classes and link schemes, properly nested, with no <script,
// no event attribute and no javascript:, vbscript: or data: URL. Those words
// are looked for in the markup: in the text (escaped, as this also checks)
// they are a post talking about them, not an attack.
func checkSafe(t testing.TB, in, out string) {
	t.Helper()
	if problem := unsafeMarkup(out); problem != "" {
		t.Errorf("input %q\noutput %q\n%s", in, out, problem)
	}
}

// unsafeMarkup describes the first way out breaks the rules checkSafe
// enforces, or returns "".
func unsafeMarkup(out string) string {
	if strings.Contains(strings.ToLower(out), "<script") {
		return "output contains <script"
	}
	tags := tagRE.FindAllString(out, -1)
	if n := strings.Count(out, "<"); n != len(tags) || strings.Count(out, ">") != len(tags) {
		return "unescaped < or > in text"
	}
	allowed := allowedOutput()
	var stack []string
	for _, tg := range tags {
		if strings.Contains(strings.ToLower(tg), " on") {
			return fmt.Sprintf("tag %s has an event attribute", tg)
		}
		m := canonRE.FindStringSubmatch(tg)
		if m == nil {
			return fmt.Sprintf("tag %s is not canonical", tg)
		}
		end, name, attrs := m[1] == "/", m[2], m[3]
		attrNames, ok := allowed[name]
		if !ok {
			return fmt.Sprintf("element %s not allowed", name)
		}
		if end {
			if attrs != "" {
				return fmt.Sprintf("end tag %s has attributes", tg)
			}
			if len(stack) == 0 || stack[len(stack)-1] != name {
				return fmt.Sprintf("end tag %s does not close %v", tg, stack)
			}
			stack = stack[:len(stack)-1]
			continue
		}
		if name != "br" {
			stack = append(stack, name)
		}
		for _, a := range attrRE.FindAllStringSubmatch(attrs, -1) {
			key, val := a[1], html.UnescapeString(a[2])
			squeezed := strings.ToLower(strings.Map(func(r rune) rune {
				if r <= ' ' {
					return -1
				}
				return r
			}, val))
			for _, bad := range []string{"javascript:", "vbscript:", "data:"} {
				if strings.HasPrefix(squeezed, bad) {
					return fmt.Sprintf("attribute %s=%q is a %s URL", key, val, bad)
				}
			}
			if !slices.Contains(attrNames, key) {
				return fmt.Sprintf("attribute %s not allowed on %s", key, name)
			}
			switch key {
			case "href":
				scheme, _, _ := strings.Cut(val, ":")
				if !slices.Contains(linkSchemes(), strings.ToLower(scheme)) {
					return fmt.Sprintf("href scheme %q not allowed", scheme)
				}
			case "class":
				for _, c := range strings.Fields(val) {
					if !allowedClass(c) {
						return fmt.Sprintf("class %q not allowed", c)
					}
				}
			case "rel":
				if !strings.HasPrefix(val, "nofollow noopener noreferrer") {
					return fmt.Sprintf("rel %q lacks nofollow noopener noreferrer", val)
				}
			case "target":
				if val != "_blank" {
					return fmt.Sprintf("target %q", val)
				}
			}
		}
		if name == "a" && (!strings.Contains(tg, ` rel="nofollow noopener noreferrer`) || !strings.Contains(tg, ` target="_blank"`)) {
			return fmt.Sprintf("link %s lacks rel or target", tg)
		}
	}
	if len(stack) != 0 {
		return fmt.Sprintf("unclosed elements %v", stack)
	}
	return ""
}
