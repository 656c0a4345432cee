// The peer of bench/guard-vs-peers (here for its node_modules): Auth0's express-oauth2-jwt-bearer in
// front of a handler that answers "ok", trusting the same issuer and
// audience as the guard. Prints its port, serves until stdin closes.
import express from 'express';
import { auth } from 'express-oauth2-jwt-bearer';

const [, , issuer, audience, alg] = process.argv;
const app = express();
app.use(auth({ issuerBaseURL: issuer, audience, tokenSigningAlg: alg || 'RS256' }));
app.get('/orders', (req, res) => res.send('ok'));
const s = app.listen(0, '127.0.0.1', () => process.stdout.write(`${s.address().port}\n`));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
