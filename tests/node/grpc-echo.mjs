// gRPC over HTTP/2 with the npm @grpc/grpc-js package, for tests/guard.rs:
// `node grpc-echo.mjs PORT [CERT KEY]` (0: any) prints its port and serves
// authdoctor.test.Echo (echo.proto) until standard input closes, without
// TLS or with that certificate chain and key (PEM), answering each call
// with the text, the authorization it received and the subject the guard
// forwarded; `node grpc-echo.mjs call ADDRESS METHOD TOKEN|- [CA]` makes
// one call, over TLS trusting that CA where one is given, and prints
// {code, details, text} as JSON.
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';

const proto = grpc.loadPackageDefinition(
  protoLoader.loadSync(fileURLToPath(new URL('./echo.proto', import.meta.url))),
).authdoctor.test;
const [, , mode, ...args] = process.argv;

if (mode !== 'call') {
  const server = new grpc.Server();
  const answer = (call, done) => {
    const got = (name) => call.metadata.get(name)[0] ?? '-';
    done(null, { text: `${call.request.text} | ${got('authorization')} | ${got('x-auth-subject')}` });
  };
  server.addService(proto.Echo.service, { Say: answer, Admin: answer });
  const [cert, key] = args;
  const credentials = cert
    ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: fs.readFileSync(cert), private_key: fs.readFileSync(key) }])
    : grpc.ServerCredentials.createInsecure();
  server.bindAsync(`127.0.0.1:${Number(mode ?? 0)}`, credentials, (err, port) => {
    if (err) throw err;
    process.stdout.write(`${port}\n`);
  });
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
} else {
  const [address, method, token, ca] = args;
  const credentials = ca ? grpc.credentials.createSsl(fs.readFileSync(ca)) : grpc.credentials.createInsecure();
  const client = new proto.Echo(address, credentials);
  const md = new grpc.Metadata();
  if (token !== '-') md.set('authorization', `Bearer ${token}`);
  client[method]({ text: 'hi' }, md, { deadline: Date.now() + 10000 }, (err, res) => {
    process.stdout.write(JSON.stringify(err ? { code: err.code, details: err.details } : { code: 0, text: res.text }) + '\n');
    process.exit(0);
  });
}
