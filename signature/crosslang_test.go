package signature_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/heraldhq/herald/signature"
)

// crossCase is one signing input for the seed receivers' computations.
type crossCase struct {
	Secret string `json:"secret"`
	Body   string `json:"body"` // base64 of the body bytes
	ID     string `json:"id"`
	TS     int64  `json:"ts"`
}

func crossCases() []crossCase {
	bodies := [][]byte{
		nil,
		[]byte(`{"id":"evt_1","event":"agent.started","data":{"agent_id":"agt_é","tags":["a<b","x&y>z"]}}`),
		[]byte("not json at all \x00\x01\xff\xfe"),
		bytes.Repeat([]byte("0123456789abcdef"), 1000),
	}
	secrets := []string{
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"whsec_c2VjcmV0LWtleS1mb3ItdGhlLXdyb25nLXNpZGU=",
		"my-shared-secret",
		"sécret-ünïcode-🔑",
		strings.Repeat("k", 200), // longer than the SHA-256 block size
	}
	var cases []crossCase
	for i, s := range secrets {
		for j, b := range bodies {
			cases = append(cases, crossCase{s, base64.StdEncoding.EncodeToString(b), "msg_" + strings.Repeat("x", i+j), int64(1614265330 + 97*i + j)})
		}
	}
	return cases
}

// crossResult is what an interpreter computed for one crossCase: the raw
// HMAC-SHA256 of the body keyed with the secret's UTF-8 bytes in hex and
// base64, and (node only) the Standard Webhooks signature.
type crossResult struct {
	Hex      string `json:"hex"`
	Base64   string `json:"b64"`
	Standard string `json:"std"`
}

// The seed receivers' computation: crypto.createHmac('sha256', secret).
const nodeSign = `
const crypto = require('crypto');
let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const out = JSON.parse(input).map((c) => {
    const body = Buffer.from(c.body, 'base64');
    const h = crypto.createHmac('sha256', c.secret).update(body);
    const d = h.digest();
    const key = c.secret.startsWith('whsec_') ? Buffer.from(c.secret.slice(6), 'base64') : Buffer.from(c.secret, 'utf8');
    const std = crypto.createHmac('sha256', key).update(c.id + '.' + c.ts + '.').update(body).digest('base64');
    return { hex: d.toString('hex'), b64: d.toString('base64'), std: 'v1,' + std };
  });
  process.stdout.write(JSON.stringify(out));
});
`

// The seed receivers' computation: hmac.new(secret.encode(), body, sha256).
const pythonSign = `
import base64, hashlib, hmac, json, sys
out = []
for c in json.load(sys.stdin):
    d = hmac.new(c["secret"].encode(), base64.b64decode(c["body"]), hashlib.sha256).digest()
    out.append({"hex": d.hex(), "b64": base64.b64encode(d).decode()})
json.dump(out, sys.stdout)
`

func runInterpreter(t *testing.T, name string, args []string, cases []crossCase) []crossResult {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not on PATH; skipping the comparison with it", name)
	}
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("run %s: %v\n%s", name, err, stderr.String())
	}
	var res []crossResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("decode %s output %q: %v", name, out, err)
	}
	if len(res) != len(cases) {
		t.Fatalf("%s returned %d results for %d cases", name, len(res), len(cases))
	}
	return res
}

func checkCross(t *testing.T, name string, cases []crossCase, res []crossResult) {
	t.Helper()
	for i, c := range cases {
		body, _ := base64.StdEncoding.DecodeString(c.Body)
		want := map[string]string{
			signature.FormatSHA256Hex: "sha256=" + res[i].Hex,
			signature.FormatHex:       res[i].Hex,
			signature.FormatBase64:    res[i].Base64,
		}
		for format, w := range want {
			if got := signature.Sign(format, c.Secret, body); got != w {
				t.Errorf("%s, secret %q, body %d bytes, %s: Sign = %q, %s computes %q", name, c.Secret, len(body), format, got, name, w)
			}
			if !signature.Verify(format, c.Secret, body, w) {
				t.Errorf("%s, secret %q, %s: Verify rejects %s's %q", name, c.Secret, format, name, w)
			}
		}
		if res[i].Standard != "" {
			if got := signature.StandardSign(c.Secret, c.ID, c.TS, body); got != res[i].Standard {
				t.Errorf("%s, secret %q: StandardSign = %q, %s computes %q", name, c.Secret, got, name, res[i].Standard)
			}
		}
	}
}

func TestSignMatchesNode(t *testing.T) {
	cases := crossCases()
	checkCross(t, "node", cases, runInterpreter(t, "node", []string{"-e", nodeSign}, cases))
}

func TestSignMatchesPython(t *testing.T) {
	cases := crossCases()
	checkCross(t, "python3", cases, runInterpreter(t, "python3", []string{"-c", pythonSign}, cases))
}
