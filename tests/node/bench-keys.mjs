// Keys and tokens for bench/guard-vs-peers (here for its node_modules): one
// RS256 and one ES256 key, their JWKS and PEM public keys (HAProxy's
// jwt_verify reads PEM), the issuer's discovery document, and a token per
// algorithm (an hour long, scope orders:read). Writes into DIR; prints
// "rs256_token es256_token".
import { generateKeyPair, exportJWK, exportSPKI, SignJWT } from 'jose';
import { writeFileSync } from 'node:fs';

const [, , dir, issuer, audience] = process.argv;
const keys = [];
const tokens = [];
for (const alg of ['RS256', 'ES256']) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: alg.toLowerCase(), alg, use: 'sig' };
  keys.push(jwk);
  writeFileSync(`${dir}/${alg.toLowerCase()}.pem`, await exportSPKI(publicKey));
  const now = Math.floor(Date.now() / 1000);
  tokens.push(await new SignJWT({ scope: 'orders:read', client_id: 'bench' })
    .setProtectedHeader({ alg, kid: jwk.kid, typ: 'at+jwt' })
    .setIssuer(issuer).setAudience(audience).setSubject('bench-user')
    .setIssuedAt(now).setExpirationTime(now + 3600).sign(privateKey));
}
writeFileSync(`${dir}/jwks.json`, JSON.stringify({ keys }));
writeFileSync(`${dir}/openid-configuration`, JSON.stringify({
  issuer, jwks_uri: `${issuer}/jwks.json`,
  id_token_signing_alg_values_supported: ['RS256', 'ES256'],
}));
process.stdout.write(`${tokens.join(' ')}\n`);
