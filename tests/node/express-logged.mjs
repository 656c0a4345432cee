// An Express API as it is commonly logged (for tests/logs.rs): morgan's
// `dev` lines for the requests (coloured), and the errors express-jwt
// raises printed by the error handler with console.error, stack and all;
// the test sends both streams to one file. Writes its port and two HS256
// tokens (one valid, one expired) as JSON to the file named second;
// serves until stdin closes.
import express from 'express';
import morgan from 'morgan';
import { expressjwt } from 'express-jwt';
import { SignJWT } from 'jose';
import { writeFileSync } from 'node:fs';

const [, , secret, handshake] = process.argv;
const key = new TextEncoder().encode(secret);
const now = Math.floor(Date.now() / 1000);
const sign = (iat, exp) =>
  new SignJWT({ sub: 'svc-orders' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(iat).setExpirationTime(exp).sign(key);
const [valid, expired] = await Promise.all([sign(now, now + 3600), sign(now - 7200, now - 3600)]);

const app = express();
app.use(morgan('dev'));
app.use('/api', expressjwt({ secret, algorithms: ['HS256'] }));
app.get('/api/orders', (req, res) => res.send('ok'));
app.use((err, req, res, next) => {
  console.error(err);
  res.status(err.status || 500).send(err.message);
});
const s = app.listen(0, '127.0.0.1', () =>
  writeFileSync(handshake, JSON.stringify({ port: s.address().port, valid, expired })));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
