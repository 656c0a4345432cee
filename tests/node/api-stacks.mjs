// Resource servers as people build them with popular Node packages, each
// configured the way its documentation shows, each trusting the same
// issuer, audience and key set, each answering rejections with the error
// handling its documentation shows. None of them is written to please the
// doctor: they are the servers it must understand.
//
//   express + express-jwt + jwks-rsa     (jsonwebtoken's words in a JSON body)
//   fastify + @fastify/jwt + get-jwks    (fast-jwt's words, fastify's error JSON)
//   koa + koa-jwt + jwks-rsa             (a bare "Authentication Error")
//   express + passport-jwt + jwks-rsa    (a bare "Unauthorized")
//   hono + hono/jwk                      (an RFC 6750 challenge with a catch-all description)
//   express + jose (panva)               (jose's words as error_description)
//   hapi + @hapi/jwt                     (Boom's JSON, the words in a Bearer challenge)
//   express + jsonwebtoken + jwks-rsa    (the tutorials' middleware: a bare 401 without a
//                                         token, a bare 403 for any bad one)
//   express + aws-jwt-verify             (403 "Forbidden" for every failure, as its README's
//                                         Express example answers; the token after `Bearer`)
//   Apollo Server, the docs' context     (GraphQL: 401, "User is not authenticated" with code
//                                         UNAUTHENTICATED; a missing scope FORBIDDEN in a 200)
//   Apollo Server, resolvers refusing    (GraphQL: every refusal in the errors of a 200)
//   GraphQL Yoga + @graphql-yoga/plugin-jwt (GraphQL: 401, a bare "Unauthenticated")
//   NestJS + @nestjs/passport + passport-jwt + jwks-rsa (Nest's exception JSON: 401
//                                         {"message":"Unauthorized"}, a guard's 403 for the scope)
//   express + @okta/jwt-verifier (njwt)  (Okta's quickstart middleware: a bare 401 without
//                                         a token, the verifier's words as a text body)
//   MCP servers (@modelcontextprotocol/sdk: requireBearerAuth, its RFC 9728 metadata
//                                         router; one description for every bad token, the
//                                         metadata named in the challenge, or not: then only
//                                         its well-known URL tells the resource and issuer)
//
// An MCP server is its own resource (`audience`): its tokens are issued
// for its URL (RFC 8707), as the MCP authorization spec has them.
//
// A GraphQL stack is called as its clients call it: a query POSTed as
// JSON (`body`), accepted where it answers data without errors.
// startStacks(config) starts them all on loopback and returns their URLs.
import express from 'express';
import { expressjwt } from 'express-jwt';
import jwksRsa from 'jwks-rsa';
import jsonwebtoken from 'jsonwebtoken';
import Fastify from 'fastify';
import fastifyJwt from '@fastify/jwt';
import buildGetJwks from 'get-jwks';
import Koa from 'koa';
import koaJwt from 'koa-jwt';
import passport from 'passport';
import { Strategy as JwtStrategy, ExtractJwt } from 'passport-jwt';
import { Hono } from 'hono';
import { jwk } from 'hono/jwk';
import { serve } from '@hono/node-server';
import * as jose from 'jose';
import Hapi from '@hapi/hapi';
import HapiJwt from '@hapi/jwt';
import { JwtVerifier } from 'aws-jwt-verify';
import { createServer } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { GraphQLError } from 'graphql';
import { createYoga, createSchema } from 'graphql-yoga';
import { useJWT, createRemoteJwksSigningKeyProvider, extractFromHeader } from '@graphql-yoga/plugin-jwt';
import 'reflect-metadata';
import { Module, Controller, Get, Injectable, UseGuards, Req, ForbiddenException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PassportStrategy, PassportModule, AuthGuard } from '@nestjs/passport';
import OktaJwtVerifier from '@okta/jwt-verifier';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { mcpAuthMetadataRouter, getOAuthProtectedResourceMetadataUrl } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { listen } from './loopback.mjs';

const hasScope = (payload, scope) => String(payload.scope || '').split(' ').includes(scope);

async function expressJwtStack({ issuer, jwksUri, audience, scope }) {
  const app = express();
  app.use('/api', expressjwt({
    secret: jwksRsa.expressJwtSecret({ jwksUri, cache: false, rateLimit: false }),
    audience, issuer, algorithms: ['RS256'],
  }));
  app.get('/api/orders', (req, res) => {
    if (!hasScope(req.auth, scope)) return res.status(403).json({ message: `missing required scope ${scope}` });
    res.json({ sub: req.auth.sub });
  });
  // The error handler express-jwt's README shows, with the message kept.
  app.use((err, req, res, next) => {
    if (err.name === 'UnauthorizedError') return res.status(401).json({ error: err.code, message: err.message });
    res.status(500).json({ message: err.message });
  });
  const s = await listen(app);
  return { server: s, url: `http://127.0.0.1:${s.address().port}/api/orders`, enforcesScope: true };
}

// The `authenticateToken` middleware of the most-read Express JWT
// tutorials: no token is `sendStatus(401)`, any failure of
// jsonwebtoken's verify `sendStatus(403)`; the key from jwks-rsa.
async function jsonwebtokenStack({ issuer, jwksUri, audience }) {
  const client = jwksRsa({ jwksUri, cache: false, rateLimit: false });
  const getKey = (header, cb) => client.getSigningKey(header.kid, (err, key) => cb(err, key && key.getPublicKey()));
  const app = express();
  app.get('/api/orders', (req, res) => {
    const authHeader = req.headers['authorization'];
    const token = authHeader && authHeader.split(' ')[1];
    if (token == null) return res.sendStatus(401);
    jsonwebtoken.verify(token, getKey, { audience, issuer, algorithms: ['RS256'] }, (err, user) => {
      if (err) return res.sendStatus(403);
      res.json({ sub: user.sub });
    });
  });
  const s = await listen(app);
  return { server: s, url: `http://127.0.0.1:${s.address().port}/api/orders`, enforcesScope: false };
}

async function fastifyStack({ issuer, audience }) {
  const app = Fastify();
  const getJwks = buildGetJwks({ providerDiscovery: true, issuersWhitelist: [issuer] });
  app.register(fastifyJwt, {
    decode: { complete: true },
    secret: (request, token) => getJwks.getPublicKey({ kid: token.header.kid, domain: issuer, alg: token.header.alg }),
    verify: { allowedAud: audience, allowedIss: issuer, algorithms: ['RS256'] },
  });
  app.addHook('onRequest', async (request) => { await request.jwtVerify(); });
  app.get('/api/orders', async (request) => ({ sub: request.user.sub }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { server: { close: () => app.close() }, url: `http://127.0.0.1:${app.server.address().port}/api/orders`, enforcesScope: false };
}

async function koaStack({ issuer, jwksUri, audience }) {
  const app = new Koa();
  app.use(koaJwt({ secret: jwksRsa.koaJwtSecret({ jwksUri, cache: false, rateLimit: false }), audience, issuer, algorithms: ['RS256'] }));
  app.use((ctx) => { ctx.body = { sub: ctx.state.user.sub }; });
  const s = await listen(app);
  return { server: s, url: `http://127.0.0.1:${s.address().port}/api/orders`, enforcesScope: false };
}

async function passportStack({ issuer, jwksUri, audience }) {
  passport.use(new JwtStrategy({
    jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
    secretOrKeyProvider: jwksRsa.passportJwtSecret({ jwksUri, cache: false, rateLimit: false }),
    issuer, audience, algorithms: ['RS256'],
  }, (payload, done) => done(null, payload)));
  const app = express();
  app.use(passport.initialize());
  app.get('/api/orders', passport.authenticate('jwt', { session: false }), (req, res) => res.json({ sub: req.user.sub }));
  const s = await listen(app);
  return { server: s, url: `http://127.0.0.1:${s.address().port}/api/orders`, enforcesScope: false };
}

// Express with Okta's verifier, as Okta's Express quickstart writes its
// `authenticationRequired` middleware: no Bearer token is a bare 401, a
// failed verification 401 with the verifier's message as the body. The
// key set named (its default is Okta's /v1/keys path); the issuer is a
// loopback http:// one, which the verifier accepts only under its
// `testing.disableHttpsCheck`.
async function oktaStack({ issuer, jwksUri, audience }) {
  const verifier = new OktaJwtVerifier({ issuer, jwksUri, testing: { disableHttpsCheck: true } });
  const app = express();
  app.get('/api/orders', (req, res) => {
    const match = (req.headers.authorization || '').match(/Bearer (.+)/);
    if (!match) return res.status(401).end();
    verifier.verifyAccessToken(match[1], audience)
      .then((jwt) => res.json({ sub: jwt.claims.sub }))
      .catch((err) => res.status(401).send(err.message));
  });
  const s = await listen(app);
  return { server: s, url: `http://127.0.0.1:${s.address().port}/api/orders`, enforcesScope: false };
}

// NestJS as its authentication guide and Auth0's NestJS quickstart show:
// a Passport JWT strategy with jwks-rsa's key provider, AuthGuard on the
// route, and a guard of its own for the scope. Decorators applied as
// functions (this file is plain JavaScript).
async function nestStack({ issuer, jwksUri, audience, scope }) {
  class JwtStrategy2 extends PassportStrategy(JwtStrategy, 'nest-jwt') {
    constructor() {
      super({
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        secretOrKeyProvider: jwksRsa.passportJwtSecret({ jwksUri, cache: false, rateLimit: false }),
        issuer, audience, algorithms: ['RS256'],
      });
    }
    validate(payload) { return payload; }
  }
  Injectable()(JwtStrategy2);
  class ScopeGuard {
    canActivate(ctx) {
      if (!hasScope(ctx.switchToHttp().getRequest().user, scope)) throw new ForbiddenException('Insufficient scope');
      return true;
    }
  }
  Injectable()(ScopeGuard);
  class OrdersController {
    orders(req) { return { sub: req.user.sub }; }
  }
  const proto = OrdersController.prototype;
  const method = Object.getOwnPropertyDescriptor(proto, 'orders');
  Req()(proto, 'orders', 0);
  UseGuards(AuthGuard('nest-jwt'), ScopeGuard)(proto, 'orders', method);
  Get('orders')(proto, 'orders', method);
  Controller('api')(OrdersController);
  class AppModule {}
  Module({ imports: [PassportModule], controllers: [OrdersController], providers: [JwtStrategy2] })(AppModule);
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const port = app.getHttpServer().address().port;
  return { server: { close: () => app.close() }, url: `http://127.0.0.1:${port}/api/orders`, enforcesScope: true };
}

async function honoStack({ issuer, jwksUri, audience }) {
  const app = new Hono();
  app.use('/api/*', jwk({ jwks_uri: jwksUri, alg: ['RS256'], verification: { iss: issuer, aud: audience, typ: 'at+jwt' } }));
  app.get('/api/orders', (c) => c.json({ sub: c.get('jwtPayload').sub }));
  const server = await new Promise((resolve) => { const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s)); });
  return { server, url: `http://127.0.0.1:${server.address().port}/api/orders`, enforcesScope: false };
}

async function joseStack({ issuer, jwksUri, audience, scope }) {
  const jwks = jose.createRemoteJWKSet(new URL(jwksUri));
  const app = express();
  app.get('/api/orders', async (req, res) => {
    const h = req.headers.authorization || '';
    const [scheme, token, extra] = h.split(' ');
    if (!h) return res.status(401).set('WWW-Authenticate', 'Bearer realm="orders"').json({ error: 'unauthorized', error_description: 'missing bearer token' });
    if (scheme !== 'Bearer' || !token || extra !== undefined) return res.status(400).set('WWW-Authenticate', 'Bearer realm="orders", error="invalid_request"').json({ error: 'invalid_request', error_description: 'malformed Authorization header' });
    try {
      const { payload } = await jose.jwtVerify(token, jwks, { issuer, audience, algorithms: ['RS256'] });
      if (!hasScope(payload, scope)) return res.status(403).set('WWW-Authenticate', `Bearer realm="orders", error="insufficient_scope", scope="${scope}"`).json({ error: 'insufficient_scope' });
      res.json({ sub: payload.sub });
    } catch (e) {
      res.status(401).set('WWW-Authenticate', 'Bearer realm="orders", error="invalid_token"').json({ error: 'invalid_token', error_description: e.message });
    }
  });
  const s = await listen(app);
  return { server: s, url: `http://127.0.0.1:${s.address().port}/api/orders`, enforcesScope: true };
}

async function hapiStack({ issuer, jwksUri, audience }) {
  const server = Hapi.server({ port: 0, host: '127.0.0.1' });
  await server.register(HapiJwt);
  server.auth.strategy('jwt', 'jwt', {
    keys: { uri: jwksUri },
    verify: { aud: audience, iss: issuer, sub: false, nbf: true, exp: true, maxAgeSec: 3600, timeSkewSec: 0 },
    validate: () => ({ isValid: true }),
  });
  server.route({ method: 'GET', path: '/api/orders', options: { auth: 'jwt' }, handler: (req) => ({ sub: req.auth.credentials.sub }) });
  await server.start();
  return { server: { close: () => server.stop() }, url: `${server.info.uri}/api/orders`, enforcesScope: false };
}

// As aws-jwt-verify's README shows for Express (a JwtVerifier for any
// issuer; its scope option; every failure a 403 "Forbidden"), with the
// token read after `Bearer ` as most adaptations of it do. It fetches key
// sets over https only: the loopback issuer's is given to it, as its
// README shows for a key set from elsewhere (cacheJwks).
async function awsJwtVerifyStack({ issuer, jwksUri, audience, scope }) {
  const verifier = JwtVerifier.create({ issuer, audience, jwksUri, scope });
  verifier.cacheJwks(await (await fetch(jwksUri)).json());
  const app = express();
  app.get('/api/orders', async (req, res) => {
    let payload;
    try {
      payload = await verifier.verify(String(req.header('authorization') || '').split(' ')[1] || '');
    } catch (err) {
      return res.status(403).json({ statusCode: 403, message: 'Forbidden' });
    }
    res.json({ sub: payload.sub });
  });
  const s = await listen(app);
  return { server: s, url: `http://127.0.0.1:${s.address().port}/api/orders`, enforcesScope: true };
}

const ordersQuery = JSON.stringify({ query: '{ orders }' });
const typeDefs = 'type Query { orders: [String] }';
const forbidden = () => new GraphQLError('You are not authorized to perform this action.', { extensions: { code: 'FORBIDDEN' } });

// Apollo Server as its "Authentication and authorization" guide shows: the
// context function reads the token and throws UNAUTHENTICATED with HTTP
// status 401 when there is no user (its getUser says no more than that);
// a resolver refuses a missing scope with FORBIDDEN, in a 200.
async function apolloContextStack({ issuer, jwksUri, audience, scope }) {
  const jwks = jose.createRemoteJWKSet(new URL(jwksUri));
  const getUser = async (auth) => {
    try {
      const { payload } = await jose.jwtVerify(String(auth || '').replace(/^Bearer /, ''), jwks, { issuer, audience });
      return payload;
    } catch { return null; }
  };
  const server = new ApolloServer({ typeDefs, resolvers: { Query: { orders: (_, __, { user }) => {
    if (!hasScope(user, scope)) throw forbidden();
    return [user.sub];
  } } } });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' }, context: async ({ req }) => {
    const user = await getUser(req.headers.authorization);
    if (!user) throw new GraphQLError('User is not authenticated', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
    return { user };
  } });
  return { server: { close: () => server.stop() }, url, body: ordersQuery, enforcesScope: true };
}

// Apollo Server with the check in the resolvers (its guide's other
// pattern): the context carries the user or none, and a resolver throws
// UNAUTHENTICATED or FORBIDDEN, which Apollo answers in a 200's errors.
async function apolloResolverStack({ issuer, jwksUri, audience, scope }) {
  const jwks = jose.createRemoteJWKSet(new URL(jwksUri));
  const server = new ApolloServer({ typeDefs, resolvers: { Query: { orders: (_, __, { user }) => {
    if (!user) throw new GraphQLError('You must be logged in', { extensions: { code: 'UNAUTHENTICATED' } });
    if (!hasScope(user, scope)) throw forbidden();
    return [user.sub];
  } } } });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' }, context: async ({ req }) => {
    const auth = String(req.headers.authorization || '');
    if (!auth.startsWith('Bearer ')) return { user: null };
    try {
      return { user: (await jose.jwtVerify(auth.slice(7), jwks, { issuer, audience })).payload };
    } catch { return { user: null }; }
  } });
  return { server: { close: () => server.stop() }, url, body: ordersQuery, enforcesScope: true };
}

// GraphQL Yoga with its JWT plugin, configured as its documentation shows
// (a remote key set, the Bearer header, issuer and audience checked,
// missing and invalid tokens rejected); the scope checked in the resolver.
async function yogaStack({ issuer, jwksUri, audience, scope }) {
  const yoga = createYoga({
    schema: createSchema({ typeDefs, resolvers: { Query: { orders: (_, __, ctx) => {
      if (!hasScope(ctx.jwt?.payload || {}, scope)) throw forbidden();
      return [ctx.jwt.payload.sub];
    } } } }),
    plugins: [useJWT({
      signingKeyProviders: [createRemoteJwksSigningKeyProvider({ jwksUri })],
      tokenLookupLocations: [extractFromHeader({ name: 'authorization', prefix: 'Bearer' })],
      tokenVerification: { issuer: [issuer], audience, algorithms: ['RS256'] },
      reject: { missingToken: true, invalidToken: true },
    })],
  });
  const s = createServer(yoga);
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  return { server: s, url: `http://127.0.0.1:${s.address().port}/graphql`, body: ordersQuery, enforcesScope: true };
}

// An MCP call as its clients make it: JSON-RPC's initialize, POSTed to
// the streamable HTTP endpoint, which answers JSON or an event stream.
export const mcpCall = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'authdoctor-test', version: '1' } } });
export const mcpHeaders = [['Accept', 'application/json, text/event-stream']];

// The TypeScript SDK's resource server as its examples build one: the
// bearer middleware with a verifier of the app's own (jose against the
// issuer's key set, for this server's URL), which answers every bad token
// alike, and the metadata router. `named`: whether the challenge names the
// metadata (resourceMetadataUrl), which the middleware leaves to the app.
// `configured`: the URL the server is configured with, where it is not the
// one it is called at (a development default shipped): its metadata and
// its challenge name that one, and clients that check refuse them.
async function mcpStack({ issuer, jwksUri, scope }, named, configured) {
  const app = express();
  const s = await listen(app);
  const url = `http://127.0.0.1:${s.address().port}/mcp`;
  const resource = new URL(configured || url);
  const keys = jose.createRemoteJWKSet(new URL(jwksUri));
  const verifier = {
    async verifyAccessToken(token) {
      try {
        const { payload } = await jose.jwtVerify(token, keys, { issuer, audience: url, algorithms: ['RS256'] });
        return { token, clientId: String(payload.client_id || payload.sub), scopes: String(payload.scope || '').split(' ').filter(Boolean), expiresAt: payload.exp };
      } catch {
        throw new InvalidTokenError('Invalid or expired token');
      }
    },
  };
  const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  app.use(mcpAuthMetadataRouter({ oauthMetadata: discovery, resourceServerUrl: resource, scopesSupported: [scope], resourceName: 'orders' }));
  const auth = requireBearerAuth({ verifier, requiredScopes: [scope], resourceMetadataUrl: named ? getOAuthProtectedResourceMetadataUrl(resource) : undefined });
  app.post('/mcp', express.json(), auth, async (req, res) => {
    // Stateless: a server and a transport for each request.
    const server = new McpServer({ name: 'orders', version: '1.0.0' });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => { transport.close(); server.close(); });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  if (configured) {
    // Only a request without a token tells: the client never got one.
    // From it alone, that is the first cause and the metadata another;
    // with a client, a token got as the metadata says is refused too: the
    // server's matter first.
    return { server: s, url, audience: url, body: mcpCall, headers: mcpHeaders, enforcesScope: false, faults: ['credentials.missing'], expect: { cause: 'server.misconfigured', alone: 'credentials.missing' }, also: 'server.misconfigured' };
  }
  return { server: s, url, audience: url, body: mcpCall, headers: mcpHeaders, enforcesScope: true, metadata: true };
}

export async function startStacks(config) {
  const stacks = {};
  for (const [name, start] of Object.entries({
    'express-jwt': expressJwtStack,
    'jsonwebtoken (tutorial middleware)': jsonwebtokenStack,
    '@fastify/jwt': fastifyStack,
    'koa-jwt': koaStack,
    'passport-jwt': passportStack,
    'hono/jwk': honoStack,
    'jose': joseStack,
    '@hapi/jwt': hapiStack,
    'aws-jwt-verify': awsJwtVerifyStack,
    'Apollo Server (the context refuses: 401)': apolloContextStack,
    'Apollo Server (resolvers refuse: 200 with errors)': apolloResolverStack,
    'GraphQL Yoga + @graphql-yoga/plugin-jwt': yogaStack,
    'NestJS + @nestjs/passport (passport-jwt, jwks-rsa)': nestStack,
    'express + @okta/jwt-verifier (njwt)': oktaStack,
    'MCP TypeScript SDK (requireBearerAuth, metadata in the challenge)': (c) => mcpStack(c, true),
    'MCP TypeScript SDK (requireBearerAuth, metadata at its well-known URL only)': (c) => mcpStack(c, false),
    'MCP TypeScript SDK (configured with http://localhost:3000/mcp, called elsewhere)': (c) => mcpStack(c, true, 'http://localhost:3000/mcp'),
  })) {
    stacks[name] = await start(config);
  }
  return stacks;
}
