// An Express API guarded by Auth0's express-oauth2-jwt-bearer and logged as
// Node APIs commonly are (for tests/logs.rs), one JSON line per request on
// standard output: by pino-http (the default; its response headers among
// them, the WWW-Authenticate challenge that says why a token was refused),
// or by express-winston with winston's JSON format (`winston` second: the
// request under meta.req, its headers included, the status under
// meta.res). The API serves its own key set; writes its port and test
// tokens (valid, expired, for another audience, without the scope /admin
// needs) as JSON to the file named first; serves until standard input
// closes.
import express from 'express';
import pinoHttp from 'pino-http';
import expressWinston from 'express-winston';
import winston from 'winston';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import * as jose from 'jose';
import { writeFileSync } from 'node:fs';

const [, , handshake, logger = 'pino'] = process.argv;
const { privateKey, publicKey } = await jose.generateKeyPair('RS256');
const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'pino-key-1', alg: 'RS256', use: 'sig' };

const app = express();
app.use(logger === 'winston'
  ? expressWinston.logger({ transports: [new winston.transports.Console()], format: winston.format.json() })
  : pinoHttp());
app.get('/.well-known/jwks.json', (req, res) => res.json({ keys: [jwk] }));
const s = app.listen(0, '127.0.0.1', async () => {
  const base = `http://127.0.0.1:${s.address().port}`;
  const issuer = `${base}/`;
  const audience = 'https://api.example.test/orders';
  app.use('/api', auth({ issuer, audience, jwksUri: `${base}/.well-known/jwks.json`, tokenSigningAlg: 'RS256' }));
  app.get('/api/orders', (req, res) => res.send('ok'));
  app.get('/api/admin', requiredScopes('orders:admin'), (req, res) => res.send('ok'));
  const now = Math.floor(Date.now() / 1000);
  const sign = (aud, iat, exp) =>
    new jose.SignJWT({ sub: 'svc-orders', scope: 'orders:read' })
      .setProtectedHeader({ alg: 'RS256', kid: 'pino-key-1', typ: 'at+jwt' })
      .setIssuer(issuer).setAudience(aud).setIssuedAt(iat).setExpirationTime(exp)
      .sign(privateKey);
  const [valid, expired, other] = await Promise.all([
    sign(audience, now, now + 3600),
    sign(audience, now - 7200, now - 3600),
    sign('https://api.example.test/billing', now, now + 3600),
  ]);
  writeFileSync(handshake, JSON.stringify({ port: s.address().port, valid, expired, other }));
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
