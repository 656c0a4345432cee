// An Express API that verifies tokens with aws-jwt-verify as its README's
// Express example does (a JwtVerifier, every failure answered 403
// "Forbidden" and printed with console.error), its requests logged by
// morgan's `combined` format; the test sends both streams to one file
// (for tests/logs.rs). aws-jwt-verify fetches key sets over https only: the
// issuer's loopback set is given to it with cacheJwks, as its README shows
// for a key set from elsewhere.
//
//   node aws-verify-logged.mjs ISSUER AUDIENCE HANDSHAKE
//
// Writes its port as JSON to HANDSHAKE; serves until stdin closes.
import express from 'express';
import morgan from 'morgan';
import { JwtVerifier } from 'aws-jwt-verify';
import { writeFileSync } from 'node:fs';

const [, , issuer, audience, handshake] = process.argv;
const jwksUri = `${issuer}/jwks`;
const jwtVerifier = JwtVerifier.create({ issuer, audience, jwksUri });
jwtVerifier.cacheJwks(await (await fetch(jwksUri)).json());

const app = express();
app.use(morgan('combined'));
app.get('/api/orders', async (req, res) => {
  try {
    // A valid JWT is expected after `Bearer ` in the header "authorization".
    await jwtVerifier.verify(String(req.header('authorization') || '').replace(/^Bearer /, ''));
  } catch (err) {
    console.error(err);
    return res.status(403).json({ statusCode: 403, message: 'Forbidden' });
  }
  res.json({ private: 'only visible to users sending a valid JWT' });
});
const s = app.listen(0, '127.0.0.1', () => writeFileSync(handshake, JSON.stringify({ port: s.address().port })));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
