// discord_sign.js signs a Discord interaction as Discord does, with Node's
// own crypto (an implementation independent of Go's crypto/ed25519), for
// provider/vectors_test.go.
//
// It reads one JSON object on stdin:
//   {"private_key": "<base64 PKCS#8 DER Ed25519 private key>",
//    "timestamp": "<X-Signature-Timestamp>", "body": "<raw body>"}
// and prints one JSON line:
//   {"signature": "<hex Ed25519 signature of timestamp + body>",
//    "public_key": "<hex raw 32-byte public key derived by Node>"}
'use strict';

const crypto = require('crypto');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const req = JSON.parse(input);
  const privateKey = crypto.createPrivateKey({
    key: Buffer.from(req.private_key, 'base64'),
    format: 'der',
    type: 'pkcs8',
  });
  const message = Buffer.concat([Buffer.from(req.timestamp, 'utf8'), Buffer.from(req.body, 'utf8')]);
  const signature = crypto.sign(null, message, privateKey);
  // The SPKI DER of an Ed25519 key ends with the 32 raw key bytes.
  const spki = crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  process.stdout.write(JSON.stringify({
    signature: signature.toString('hex'),
    public_key: spki.subarray(spki.length - 32).toString('hex'),
  }) + '\n');
});
