// Node's own HTTP/2 server without TLS (node:http2), for tests/guard.rs:
// answers every request with JSON of the HTTP version and the headers it
// received. Prints its port, then serves until standard input closes.
import http2 from 'node:http2';

const server = http2.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ version: req.httpVersion, headers: req.headers }));
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () =>
  process.stdout.write(`${server.address().port}\n`),
);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
