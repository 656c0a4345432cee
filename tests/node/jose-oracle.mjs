// An oracle for authdoctor's JOSE code, written against the `jose` npm
// package (panva/jose). Reads one JSON request on stdin, writes one JSON
// answer on stdout:
//   {"op":"sign","alg":"ES512","claims":{...}}      -> {"token":"…","jwks":{"keys":[…]}}
//   {"op":"verify","token":"…","jwks":{"keys":[…]}} -> {"ok":true,"payload":{…}} or {"ok":false,"error":"…"}
import * as jose from 'jose';

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const req = JSON.parse(Buffer.concat(chunks).toString('utf8'));

async function sign({ alg, claims }) {
  const kid = `node-${alg}`;
  let key, jwk;
  if (alg.startsWith('HS')) {
    const bytes = new Uint8Array(64);
    crypto.getRandomValues(bytes);
    key = bytes;
    jwk = { kty: 'oct', k: Buffer.from(bytes).toString('base64url') };
  } else {
    const pair = await jose.generateKeyPair(alg, { extractable: true, crv: alg === 'EdDSA' ? 'Ed25519' : undefined });
    key = pair.privateKey;
    jwk = await jose.exportJWK(pair.publicKey);
  }
  const token = await new jose.SignJWT(claims).setProtectedHeader({ alg, kid, typ: 'at+jwt' }).sign(key);
  return { token, jwks: { keys: [{ ...jwk, kid, alg, use: 'sig' }] } };
}

async function verify({ token, jwks }) {
  try {
    const { alg } = jose.decodeProtectedHeader(token);
    // A shared secret is not a key set entry jose will look up; use its bytes.
    const key = alg.startsWith('HS')
      ? Buffer.from(jwks.keys[0].k, 'base64url')
      : jose.createLocalJWKSet(jwks);
    const { payload } = await jose.jwtVerify(token, key, {
      algorithms: [alg.startsWith('HS') ? alg : null, 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'].filter(Boolean),
    });
    return { ok: true, payload };
  } catch (e) {
    return { ok: false, error: `${e.code ?? e.name}: ${e.message}` };
  }
}

const ops = { sign, verify };
process.stdout.write(JSON.stringify(await ops[req.op](req)) + '\n');
