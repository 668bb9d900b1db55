package jsjson_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/heraldhq/herald/jsjson"
)

// nodeScript reads a JSON array of base64-encoded UTF-8 texts on stdin and
// prints, per text, "O<base64 of JSON.stringify(JSON.parse(text))>" or "E".
const nodeScript = `
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const out = [];
  for (const b64 of JSON.parse(input)) {
    const text = Buffer.from(b64, 'base64').toString('utf8');
    try {
      out.push('O' + Buffer.from(JSON.stringify(JSON.parse(text)), 'utf8').toString('base64'));
    } catch (e) {
      out.push('E');
    }
  }
  process.stdout.write(out.join('\n') + '\n');
});
`

// nodeCanonicalize runs every input through node's
// JSON.stringify(JSON.parse(text)); ok[i] is false where node threw.
func nodeCanonicalize(t *testing.T, inputs []string) (outs []string, ok []bool) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH; skipping the differential test against JSON.stringify(JSON.parse(...))")
	}
	enc := make([]string, len(inputs))
	for i, in := range inputs {
		enc[i] = base64.StdEncoding.EncodeToString([]byte(in))
	}
	stdin, err := json.Marshal(enc)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "-e", nodeScript)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("run node: %v\n%s", err, stderr.String())
	}
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "E" {
			outs, ok = append(outs, ""), append(ok, false)
			continue
		}
		b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(line, "O"))
		if err != nil {
			t.Fatalf("decode node output %q: %v", line, err)
		}
		outs, ok = append(outs, string(b)), append(ok, true)
	}
	if len(outs) != len(inputs) {
		t.Fatalf("node printed %d results for %d inputs", len(outs), len(inputs))
	}
	return outs, ok
}

// trickyInputs are hand-written inputs for the differential test.
func trickyInputs() []string {
	in := []string{
		`"<"`, `"&"`, `"<script>&amp;</script>"`, `"é"`, `"\u00e9"`, `"😀"`, `"\ud83d\ude00"`, `"\uD83D\uDE00"`,
		`1.0`, `1e21`, `1e20`, `0.1`, `1e-7`, `1e-6`, `-0`, `-0.0`, `0.30000000000000004`,
		`123456789012345678901`, `9007199254740993`, `1e400`, `-1e400`, `1e-400`, `5e-324`, `2e-324`,
		`1.7976931348623157e308`, `1.7976931348623159e308`, `2.2250738585072014e-308`, `1E+2`, `12.5e-1`,
		`"\u2028"`, `"\u2029"`, "\"\u2028\u2029\"", `"\ud800"`, `"\udfff"`, `"\ud800\u0041"`, `"\udc00\ud800"`,
		`"\ud800\ud800\udc00"`, `"a\ud83d"`, `"\u0000\u001f\u007f\u0080"`, `"\b\f\n\r\t\/\\\""`, `"\ufeff"`,
		`{"b":1,"2":2,"a":3,"1":4,"10":5}`, `{"x":1,"01":2,"-1":3,"1.0":4,"1":5}`,
		`{"4294967294":1,"4294967295":2,"0":3}`, `{"a":1,"b":2,"a":3}`, `{"a":1,"3":1,"3":2}`,
		`{"é":1,"\u00e9":2}`, `{"😀":1,"\ud83d\ude00":2}`, `{"\ud800":1,"\udc00":2,"\ud800":3}`,
		`{"__proto__":1,"a":2}`, `{"__proto__":{"x":1}}`, `{"constructor":1,"toString":2}`,
		`{"z":{"2":1,"1":2},"1":{"b":1,"b":2}}`, `[{"b":1,"0":2},{"a":1,"a":2}]`,
		" {\n\t\"a\" : [ 1 , 2 ] \r\n} ", `[]`, `{}`, `[[]]`, `[{}]`, `null`, `true`, `false`, `"x"`,
		// Invalid texts: both sides must reject them.
		``, ` `, `[1,]`, `{"a":1,}`, `01`, `1.`, `.5`, `+1`, `-`, `1e`, `NaN`, `Infinity`, `"\x"`, `"\u12"`,
		"\"\x01\"", "\"a\tb\"", "\ufeff{}", `[1 2]`, `{} {}`, `{a:1}`, `'a'`, "\v1", `tru`,
	}
	deep := func(n int, open, mid, close string) string {
		return strings.Repeat(open, n) + mid + strings.Repeat(close, n)
	}
	in = append(in,
		deep(500, "[", "", "]"),
		deep(500, `{"a":`, "1", "}"),
		deep(250, `[{"2":0,"1":`, "null", "}]"),
		deep(jsjson.MaxDepth, "[", "", "]"),
	)
	return in
}

// gen generates random JSON texts, valid unless mutated.
type gen struct {
	r *rand.Rand
	b strings.Builder
}

func (g *gen) space() {
	if g.r.IntN(4) == 0 {
		g.b.WriteString([]string{" ", "\n", "\t", "\r\n", "  "}[g.r.IntN(5)])
	}
}

var keyPool = []string{
	"a", "b", "id", "type", "0", "1", "2", "10", "9", "01", "-1", "1.5", "4294967294", "4294967295",
	"123", "__proto__", "é", "😀", "", " ", "A", "length",
}

func (g *gen) value(depth int) {
	g.space()
	n := 8
	if depth > 4 {
		n = 6 // scalars only
	}
	switch g.r.IntN(n) {
	case 0, 1:
		g.str()
	case 2, 3:
		g.b.WriteString(g.number())
	case 4:
		g.b.WriteString([]string{"true", "false", "null"}[g.r.IntN(3)])
	case 5:
		g.b.WriteString(g.number())
	case 6:
		g.b.WriteByte('[')
		for i := range g.r.IntN(5) {
			if i > 0 {
				g.space()
				g.b.WriteByte(',')
			}
			g.value(depth + 1)
		}
		g.space()
		g.b.WriteByte(']')
	case 7:
		g.b.WriteByte('{')
		for i := range g.r.IntN(7) {
			if i > 0 {
				g.space()
				g.b.WriteByte(',')
			}
			g.space()
			if g.r.IntN(3) == 0 {
				g.str()
			} else {
				g.b.WriteString(strconv.Quote(keyPool[g.r.IntN(len(keyPool))]))
			}
			g.space()
			g.b.WriteByte(':')
			g.value(depth + 1)
		}
		g.space()
		g.b.WriteByte('}')
	}
}

func (g *gen) str() {
	g.b.WriteByte('"')
	for range g.r.IntN(8) {
		switch g.r.IntN(12) {
		case 0:
			g.b.WriteString([]string{`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`}[g.r.IntN(8)])
		case 1:
			fmt.Fprintf(&g.b, `\u%04x`, g.r.IntN(0x80))
		case 2:
			fmt.Fprintf(&g.b, `\u%04X`, g.r.IntN(0x10000))
		case 3:
			fmt.Fprintf(&g.b, `\u%04x`, 0xd800+g.r.IntN(0x800)) // surrogate, maybe lone
		case 4:
			fmt.Fprintf(&g.b, `\u%04x\u%04x`, 0xd800+g.r.IntN(0x400), 0xdc00+g.r.IntN(0x400))
		case 5:
			g.b.WriteString([]string{"é", "中", "😀", "\u2028", "\u2029", "\ufeff", "\u00a0", "\x7f", "\uFFFD", "𝄞"}[g.r.IntN(10)])
		case 6:
			g.b.WriteString([]string{"<", ">", "&", "'", "</script>", "&amp;"}[g.r.IntN(6)])
		default:
			c := byte(' ' + g.r.IntN(95))
			if c == '"' || c == '\\' {
				g.b.WriteByte('\\')
			}
			g.b.WriteByte(c)
		}
	}
	g.b.WriteByte('"')
}

// number returns a random JSON number literal.
func (g *gen) number() string {
	r := g.r
	switch r.IntN(5) {
	case 0: // any finite float64, written various ways
		f := math.Float64frombits(r.Uint64())
		for math.IsNaN(f) || math.IsInf(f, 0) {
			f = math.Float64frombits(r.Uint64())
		}
		return strconv.FormatFloat(f, []byte{'g', 'e', 'E'}[r.IntN(3)], -1, 64)
	case 1: // a float64 printed with too many digits
		f := math.Float64frombits(r.Uint64() >> 2)
		return strconv.FormatFloat(f, 'e', r.IntN(25), 64)
	case 2: // small integers and simple decimals
		return strconv.FormatFloat(float64(r.IntN(2000000)-1000000)/[]float64{1, 10, 100, 1000, 1e7}[r.IntN(5)], 'f', -1, 64)
	}
	// Random digit strings with random exponents.
	var b strings.Builder
	if r.IntN(2) == 0 {
		b.WriteByte('-')
	}
	nd := 1 + r.IntN(25)
	if r.IntN(3) == 0 {
		b.WriteByte('0')
	} else {
		b.WriteByte(byte('1' + r.IntN(9)))
		for range nd - 1 {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
	}
	if r.IntN(2) == 0 {
		b.WriteByte('.')
		for range 1 + r.IntN(20) {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
	}
	if r.IntN(2) == 0 {
		b.WriteString([]string{"e", "E", "e+", "e-", "E-"}[r.IntN(5)])
		fmt.Fprintf(&b, "%d", r.IntN(400))
	}
	return b.String()
}

// generatedInputs returns n random texts, a tenth of them mutated by one
// byte (and so often invalid), plus numbers texts holding a single number.
func generatedInputs(seed uint64, n, numbers int) []string {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	var out []string
	for len(out) < n {
		g.b.Reset()
		g.value(0)
		g.space()
		s := g.b.String()
		if g.r.IntN(10) == 0 && len(s) > 0 {
			i := g.r.IntN(len(s))
			switch g.r.IntN(3) {
			case 0:
				s = s[:i] + s[i+1:]
			case 1:
				s = s[:i] + string(`{}[],:"\0-e.`[g.r.IntN(12)]) + s[i:]
			default:
				s = s[:i] + s[i:] + s[i:i+1]
			}
		}
		if utf8.ValidString(s) { // node would decode invalid UTF-8 differently
			out = append(out, s)
		}
	}
	for range numbers {
		out = append(out, g.number())
	}
	return out
}

func TestDifferentialNode(t *testing.T) {
	inputs := append(trickyInputs(), generatedInputs(1, 600, 3000)...)
	want, wantOK := nodeCanonicalize(t, inputs)
	valid := 0
	for i, in := range inputs {
		got, err := jsjson.Canonicalize([]byte(in))
		switch {
		case !wantOK[i] && err == nil:
			t.Errorf("input %q: node rejects it, Canonicalize gives %q", in, got)
		case wantOK[i] && err != nil:
			t.Errorf("input %q: node gives %q, Canonicalize fails: %v", in, want[i], err)
		case wantOK[i] && string(got) != want[i]:
			t.Errorf("input %q:\n got  %q\n node %q", in, got, want[i])
		}
		if wantOK[i] {
			valid++
		}
	}
	// Guard against a generator that produces only garbage.
	if valid < len(inputs)*3/4 {
		t.Errorf("only %d of %d inputs were valid JSON", valid, len(inputs))
	}
}
