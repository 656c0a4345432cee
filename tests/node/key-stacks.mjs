// Servers that take credentials of their own (a password, an API key, an
// opaque token they look up), built with popular npm packages as their
// READMEs show:
//
//   express-basic-auth                   a bare 401 (no challenge, no body) by
//                                        default; `challenge: true` asks for Basic
//   @fastify/basic-auth                  Basic, with its own words for the rest
//   @fastify/bearer-auth                 a fixed set of API keys as Bearer tokens;
//                                        "invalid authorization header" for every
//                                        failure, no challenge
//   @node-oauth/express-oauth-server     node-oauth2-server's resource side: opaque
//                                        tokens looked up in its store, RFC 6750
//                                        error codes in a JSON body, no challenge
//
// Prints one JSON line of scenarios (each a request, the fault made in
// it, and whether the doctor must name that cause first or among its
// readings, where the request alone cannot settle it), then serves on
// loopback until standard input closes.
import express from 'express';
import basicAuth from 'express-basic-auth';
import Fastify from 'fastify';
import fastifyBasic from '@fastify/basic-auth';
import bearerAuth from '@fastify/bearer-auth';
import OAuthServer from '@node-oauth/express-oauth-server';

const listen = (app) => new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
const url = (s) => `http://127.0.0.1:${s.address().port}/api/orders`;
const basic = (user, password) => [['Authorization', `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`]];
const bearer = (t) => [['Authorization', `Bearer ${t}`]];
const servers = [];
const scenarios = [];
// `rank`: 'first' where the cause must lead the report; 'named' where the
// request alone leaves two readings and the right one must be among them.
const add = (stack, target, cases) => {
  for (const [cause, headers, rank = 'first'] of cases) scenarios.push({ stack, cause, url: target, headers, rank });
};
const PASSWORD = 'orders-password-0123';
const KEY = 'orders-key-0123456789abcdef';
const ok = (q, r) => r.json({ orders: [] });

{
  const a = express();
  a.use(basicAuth({ users: { admin: PASSWORD } }));
  a.get('/api/orders', ok);
  const s = await listen(a);
  servers.push(s);
  add('express-basic-auth (no challenge)', url(s), [
    [null, basic('admin', PASSWORD)],
    ['credentials.missing', []],
    ['credentials.invalid', basic('admin', 'a-wrong-password')],
    ['credentials.invalid', basic('nobody', PASSWORD)],
  ]);
}
{
  const a = express();
  a.use(basicAuth({ users: { admin: PASSWORD }, challenge: true, realm: 'orders' }));
  a.get('/api/orders', ok);
  const s = await listen(a);
  servers.push(s);
  add('express-basic-auth (challenge: true)', url(s), [
    ['credentials.missing', []],
    ['credentials.invalid', basic('admin', 'a-wrong-password')],
    ['scheme.mismatch', bearer(KEY)],
  ]);
}
{
  const f = Fastify();
  await f.register(fastifyBasic, {
    validate: async (user, password) => { if (user !== 'admin' || password !== PASSWORD) return new Error('Winter is coming'); },
    authenticate: { realm: 'orders' },
  });
  f.after(() => { f.addHook('onRequest', f.basicAuth); f.get('/api/orders', async () => ({ orders: [] })); });
  await f.listen({ port: 0, host: '127.0.0.1' });
  servers.push(f.server);
  add('@fastify/basic-auth', url(f.server), [
    [null, basic('admin', PASSWORD)],
    ['credentials.missing', []],
    ['credentials.invalid', basic('admin', 'a-wrong-password')],
    ['scheme.mismatch', bearer(KEY)],
  ]);
}
{
  const f = Fastify();
  await f.register(bearerAuth, { keys: new Set([KEY]) });
  f.get('/api/orders', async () => ({ orders: [] }));
  await f.listen({ port: 0, host: '127.0.0.1' });
  servers.push(f.server);
  add('@fastify/bearer-auth (API keys)', url(f.server), [
    [null, bearer(KEY)],
    ['credentials.missing', []],
    ['scheme.mismatch', basic('admin', PASSWORD)],
    // An unknown key and a JWT-only API's refusal of an opaque token
    // read alike here: both readings are owed.
    ['credentials.invalid', bearer('orders-key-retired-0123456789'), 'named'],
  ]);
}
{
  // node-oauth2-server's model: tokens in a store, one expired, one
  // without the route's scope.
  const tokens = new Map();
  const keep = (accessToken, ms, scope) => tokens.set(accessToken, { accessToken, accessTokenExpiresAt: new Date(Date.now() + ms), scope, client: { id: 'orders-cli' }, user: { id: 'alice' } });
  keep('nos-good-0123456789abcdef', 3600_000, ['read']);
  keep('nos-expired-0123456789abcdef', -60_000, ['read']);
  keep('nos-writer-0123456789abcdef', 3600_000, ['write']);
  const model = {
    getAccessToken: async (t) => tokens.get(t) || null,
    verifyScope: async (t, wanted) => [].concat(wanted).every((x) => (t.scope || []).includes(x)),
  };
  const oauth = new OAuthServer({ model });
  const a = express();
  a.get('/api/orders', oauth.authenticate({ scope: ['read'] }), ok);
  const s = await listen(a);
  servers.push(s);
  add('@node-oauth/express-oauth-server (opaque tokens it looks up)', url(s), [
    [null, bearer('nos-good-0123456789abcdef')],
    ['credentials.missing', []],
    ['token.expired', bearer('nos-expired-0123456789abcdef')],
    ['token.scope_insufficient', bearer('nos-writer-0123456789abcdef')],
    ['scheme.mismatch', basic('orders-cli', PASSWORD)],
    ['credentials.invalid', bearer('nos-unknown-0123456789abcdef'), 'named'],
  ]);
}

process.stdout.write(`${JSON.stringify({ scenarios })}\n`);
process.stdin.resume();
process.stdin.on('end', () => { for (const s of servers) s.close(); setTimeout(() => process.exit(0), 100); });
