package jsjson_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/heraldhq/herald/jsjson"
)

type canonCase struct {
	name, in, want string
}

func runCanon(t *testing.T, cases []canonCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := jsjson.Canonicalize([]byte(c.in))
			if err != nil {
				t.Fatalf("Canonicalize(%q): %v", c.in, err)
			}
			if string(got) != c.want {
				t.Errorf("Canonicalize(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestCanonicalizeLayout(t *testing.T) {
	runCanon(t, []canonCase{
		{"compact", " { \"a\" : [ 1 , 2 , { } , [ ] ] ,\n\t\"b\" : true\r\n } ", `{"a":[1,2,{},[]],"b":true}`},
		{"literals", `[true,false,null]`, `[true,false,null]`},
		{"top-level string", "\n\"x\"\n", `"x"`},
		{"top-level number", ` 42 `, `42`},
		{"top-level null", `null`, `null`},
		{"empty object", `{}`, `{}`},
		{"empty array spaced", `[ ]`, `[]`},
		{"nested", `{"a":{"b":{"c":[{"d":null}]}}}`, `{"a":{"b":{"c":[{"d":null}]}}}`},
	})
}

func TestCanonicalizeStrings(t *testing.T) {
	runCanon(t, []canonCase{
		{"html not escaped", `"<a href='x'>&amp;</a>"`, `"<a href='x'>&amp;</a>"`},
		{"html escapes decoded", `"\u003c\u003e\u0026"`, `"<>&"`},
		{"utf8 kept", `"é中😀"`, `"é中😀"`},
		{"unicode escapes decoded", `"\u00e9\u00E9\u4e2d"`, `"éé中"`},
		{"surrogate pair escape", `"\ud83d\ude00"`, `"😀"`},
		{"surrogate pair upper hex", `"\uD83D\uDE00"`, `"😀"`},
		{"lone high surrogate", `"\ud800"`, `"\ud800"`},
		{"lone high surrogate upper", `"\uD800"`, `"\ud800"`},
		{"lone low surrogate", `"\udfff"`, `"\udfff"`},
		{"high then non-low", `"\ud800\u0041"`, `"\ud800A"`},
		{"two highs", `"\ud800\ud800\udc00"`, `"\ud800𐀀"`},
		{"low then high", `"\udc00\ud800"`, `"\udc00\ud800"`},
		{"high then text", `"\ud800x"`, `"\ud800x"`},
		{"high at end of escape run", `"a\ud83d"`, `"a\ud83d"`},
		{"line separators", `"\u2028\u2029"`, "\"\u2028\u2029\""},
		{"raw line separators", "\"\u2028\u2029\"", "\"\u2028\u2029\""},
		{"short escapes", `"\b\f\n\r\t"`, `"\b\f\n\r\t"`},
		{"short escapes via u", `"\u0008\u000C\u000a\u000D\u0009"`, `"\b\f\n\r\t"`},
		{"other controls lowercase hex", `"\u0000\u0001\u001F\u001b"`, `"\u0000\u0001\u001f\u001b"`},
		{"del not escaped", `"\u007f"`, "\"\x7f\""},
		{"quote and backslash", `"\"\\"`, `"\"\\"`},
		{"quote via u", `"\u0022\u005C"`, `"\"\\"`},
		{"solidus unescaped", `"\/a/b"`, `"/a/b"`},
		{"bom char kept", `"\ufeff"`, "\"\ufeff\""},
		{"replacement char kept", "\"\uFFFD\"", "\"\uFFFD\""},
		{"key escapes", `{"\u0041\n":1}`, `{"A\n":1}`},
	})
}

func TestCanonicalizeNumbers(t *testing.T) {
	runCanon(t, []canonCase{
		{"integer", `123`, `123`},
		{"negative", `-45`, `-45`},
		{"1.0", `1.0`, `1`},
		{"1.50", `1.50`, `1.5`},
		{"0.1", `0.1`, `0.1`},
		{"-0", `-0`, `0`},
		{"-0.0", `-0.0`, `0`},
		{"-0e5", `-0e5`, `0`},
		{"0e0", `0E0`, `0`},
		{"1e21", `1e21`, `1e+21`},
		{"1e20", `1e20`, `100000000000000000000`},
		{"999999999999999999999", `999999999999999999999`, `1e+21`},
		{"1e-7", `1e-7`, `1e-7`},
		{"1e-6", `1e-6`, `0.000001`},
		{"1.5e-7", `1.5e-7`, `1.5e-7`},
		{"1.25e-6", `0.00000125`, `0.00000125`},
		{"big integer", `123456789012345678901`, `123456789012345680000`},
		{"2^53+1", `9007199254740993`, `9007199254740992`},
		{"16 digits", `1234567890123456`, `1234567890123456`},
		{"15 digits", `-999999999999999`, `-999999999999999`},
		{"exponent plus", `1E+2`, `100`},
		{"fraction exponent", `12.5e-1`, `1.25`},
		{"0.30000000000000004", `0.30000000000000004`, `0.30000000000000004`},
		{"1.5e300", `1.5e300`, `1.5e+300`},
		{"max float", `1.7976931348623157e308`, `1.7976931348623157e+308`},
		{"min denormal", `5e-324`, `5e-324`},
		{"below min denormal", `2e-324`, `0`},
		{"underflow", `1e-400`, `0`},
		{"negative underflow", `-1e-400`, `0`},
		{"overflow", `1e400`, `null`},
		{"negative overflow", `-1e400`, `null`},
		{"overflow in array", `[1e999,1]`, `[null,1]`},
		{"long zero fraction", `1.000000000000000000000000000001`, `1`},
		{"leading zero fraction", `0.000123`, `0.000123`},
		{"123e-20", `123e-20`, `1.23e-18`},
	})
}

func TestAppendNumber(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "0"}, {1, "1"}, {-1.5, "-1.5"},
		{1e21, "1e+21"}, {1e-7, "1e-7"}, {123e-20, "1.23e-18"}, {-1e300, "-1e+300"},
		{math.Inf(1), "null"}, {math.Inf(-1), "null"}, {math.NaN(), "null"},
		{math.MaxFloat64, "1.7976931348623157e+308"}, {5e-324, "5e-324"},
		{100, "100"}, {0.5, "0.5"}, {123456.789, "123456.789"},
	} {
		if got := string(jsjson.AppendNumber([]byte("x"), c.f)); got != "x"+c.want {
			t.Errorf("AppendNumber(%v) = %q, want %q", c.f, got, "x"+c.want)
		}
	}
}

func TestCanonicalizeKeyOrder(t *testing.T) {
	runCanon(t, []canonCase{
		{"insertion order kept", `{"b":1,"a":2,"c":3}`, `{"b":1,"a":2,"c":3}`},
		{"indices first ascending", `{"b":1,"2":2,"a":3,"1":4,"10":5}`, `{"1":4,"2":2,"10":5,"b":1,"a":3}`},
		{"zero is an index", `{"x":1,"0":2}`, `{"0":2,"x":1}`},
		{"non-canonical numbers are names", `{"x":1,"01":2,"-1":3,"1.0":4,"1e3":5,"+1":6," 1":7,"1":8}`, `{"1":8,"x":1,"01":2,"-1":3,"1.0":4,"1e3":5,"+1":6," 1":7}`},
		{"largest index", `{"a":1,"4294967295":2,"4294967294":3}`, `{"4294967294":3,"a":1,"4294967295":2}`},
		{"beyond 32 bits", `{"a":1,"99999999999":2,"5":3}`, `{"5":3,"a":1,"99999999999":2}`},
		{"escaped digit key", `{"a":1,"\u0031":2}`, `{"1":2,"a":1}`},
		{"duplicate keeps first position last value", `{"a":1,"b":2,"a":3}`, `{"a":3,"b":2}`},
		{"duplicate index", `{"a":1,"3":1,"3":2}`, `{"3":2,"a":1}`},
		{"duplicate with object value", `{"a":{"x":1},"b":2,"a":[1]}`, `{"a":[1],"b":2}`},
		{"triple duplicate", `{"a":1,"b":2,"a":3,"c":4,"a":5}`, `{"a":5,"b":2,"c":4}`},
		{"duplicate by escape", `{"é":1,"\u00e9":2}`, `{"é":2}`},
		{"duplicate surrogate pair forms", `{"😀":1,"\ud83d\ude00":2}`, `{"😀":2}`},
		{"distinct lone surrogates", `{"\ud800":1,"\udc00":2,"\ud800":3}`, `{"\ud800":3,"\udc00":2}`},
		{"nested reorder", `{"z":{"2":1,"1":2},"1":{"b":1,"b":2}}`, `{"1":{"b":2},"z":{"1":2,"2":1}}`},
		{"reorder inside array", `[{"b":1,"0":2},{"a":1,"a":2}]`, `[{"0":2,"b":1},{"a":2}]`},
		{"proto is a plain key", `{"__proto__":1,"a":2}`, `{"__proto__":1,"a":2}`},
	})
}

func TestCanonicalizeManyKeys(t *testing.T) {
	// More than 16 members exercises the sorted and map-based paths.
	obj := func(n int, member func(i int) string, extra string) string {
		var b strings.Builder
		b.WriteString("{")
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(member(i))
		}
		b.WriteString(extra + "}")
		return b.String()
	}
	plain := func(i int) string { return fmt.Sprintf(`"k%02d":%d`, i, i) }

	// Distinct keys are left as they are.
	distinct := obj(40, plain, "")
	got, err := jsjson.Canonicalize([]byte(distinct))
	if err != nil || string(got) != distinct {
		t.Errorf("distinct keys: got %s, %v\nwant %s", got, err, distinct)
	}

	// A late duplicate replaces the value in place.
	in := obj(40, plain, `,"k07":"dup"`)
	want := obj(40, func(i int) string {
		if i == 7 {
			return `"k07":"dup"`
		}
		return plain(i)
	}, "")
	got, err = jsjson.Canonicalize([]byte(in))
	if err != nil || string(got) != want {
		t.Errorf("duplicate among many: got %s, %v\nwant %s", got, err, want)
	}

	// Index keys in descending order come out ascending, before the names.
	in = obj(30, func(i int) string { return fmt.Sprintf(`"%d":%d,"n%d":%d`, 29-i, i, i, i) }, "")
	want = obj(30, func(i int) string { return fmt.Sprintf(`"%d":%d`, i, 29-i) }, "")
	want = want[:len(want)-1] + "," + obj(30, func(i int) string { return fmt.Sprintf(`"n%d":%d`, i, i) }, "")[1:]
	got, err = jsjson.Canonicalize([]byte(in))
	if err != nil || string(got) != want {
		t.Errorf("many indices: got %s, %v\nwant %s", got, err, want)
	}
}

func TestCanonicalizeErrors(t *testing.T) {
	for _, in := range []string{
		``, ` `, `{`, `}`, `[`, `[1,]`, `[,1]`, `{"a":1,}`, `{"a"}`, `{"a" 1}`, `{a:1}`, `{'a':1}`,
		`{1:1}`, `[1 2]`, `"abc`, `"\x"`, `"\u12"`, `"\u12g4"`, `"\`, "\"\x01\"", "\"a\tb\"",
		"\"\xff\"", "\"\xc3\"", "\"\xed\xa0\x80\"", "[\"ok\",\"\xe2\x82\"]", `01`, `-`, `-a`, `1.`, `.5`,
		`+1`, `1e`, `1e+`, `1.e3`, `0x10`, `NaN`, `Infinity`, `-Infinity`, `tru`, `nul`, `True`,
		`1 2`, `{} {}`, `[]x`, `null,`, "\ufeff{}", "{}\x00", `"a"b`, "\v1", "1\f",
	} {
		got, err := jsjson.Canonicalize([]byte(in))
		if err == nil {
			t.Errorf("Canonicalize(%q) = %q, want an error", in, got)
			continue
		}
		if !errors.Is(err, jsjson.ErrSyntax) {
			t.Errorf("Canonicalize(%q) error %v does not wrap ErrSyntax", in, err)
		}
	}
}

func TestCanonicalizeDepth(t *testing.T) {
	nest := func(n int, open, close string) string {
		return strings.Repeat(open, n) + strings.Repeat(close, n)
	}
	ok := nest(jsjson.MaxDepth, "[", "]")
	got, err := jsjson.Canonicalize([]byte(ok))
	if err != nil || string(got) != ok {
		t.Fatalf("depth %d: %v", jsjson.MaxDepth, err)
	}
	objOK := strings.Repeat(`{"a":`, jsjson.MaxDepth-1) + "[]" + strings.Repeat("}", jsjson.MaxDepth-1)
	if _, err := jsjson.Canonicalize([]byte(objOK)); err != nil {
		t.Fatalf("object depth %d: %v", jsjson.MaxDepth, err)
	}
	for _, in := range []string{
		nest(jsjson.MaxDepth+1, "[", "]"),
		strings.Repeat(`{"a":`, jsjson.MaxDepth+1) + "1" + strings.Repeat("}", jsjson.MaxDepth+1),
		strings.Repeat("[", 1_000_000), // must not overflow the stack
	} {
		if _, err := jsjson.Canonicalize([]byte(in)); !errors.Is(err, jsjson.ErrTooDeep) {
			t.Errorf("len %d: error %v, want ErrTooDeep", len(in), err)
		}
	}
}

func TestCanonicalizeDoesNotAlias(t *testing.T) {
	in := []byte(`{"a":"b"}`)
	out, err := jsjson.Canonicalize(in)
	if err != nil {
		t.Fatal(err)
	}
	out[2] = 'X'
	if string(in) != `{"a":"b"}` {
		t.Errorf("input modified through output: %s", in)
	}
}

func TestAppendString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{`<a href="x">&</a>`, `"<a href=\"x\">&</a>"`},
		{"back\\slash/", `"back\\slash/"`},
		{"\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"\x00\x01\x1f\x7f", "\"\\u0000\\u0001\\u001f\x7f\""},
		{"é中😀", `"é中😀"`},
		{"\u2028\u2029", "\"\u2028\u2029\""},
		{"a\xffb", "\"a\uFFFDb\""},
		{"\xed\xa0\x80", "\"\uFFFD\uFFFD\uFFFD\""},
		{"\xe2\x82", "\"\uFFFD\uFFFD\""},
		{"x\xc3", "\"x\uFFFD\""},
		{"\uFFFD", "\"\uFFFD\""},
	} {
		got := jsjson.AppendString([]byte("pre:"), c.in)
		if string(got) != "pre:"+c.want {
			t.Errorf("AppendString(%q) = %q, want %q", c.in, got, "pre:"+c.want)
		}
		// The literal is canonical: Canonicalize leaves it unchanged.
		canon, err := jsjson.Canonicalize(got[4:])
		if err != nil || string(canon) != c.want {
			t.Errorf("Canonicalize(AppendString(%q)) = %q, %v", c.in, canon, err)
		}
	}
}
