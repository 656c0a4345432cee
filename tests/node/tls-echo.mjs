// Node's own HTTPS server (node:http2's secure server, HTTP/1.1 allowed),
// for tests/guard.rs as an upstream over TLS: answers every request with
// JSON of the HTTP version, the protocol ALPN chose and the headers it
// received. Arguments: port (0: any), certificate chain and key (PEM).
// Prints its port, then serves until standard input closes.
import http2 from 'node:http2';
import fs from 'node:fs';

const [port, cert, key] = process.argv.slice(2);
const server = http2.createSecureServer(
  { cert: fs.readFileSync(cert), key: fs.readFileSync(key), allowHTTP1: true },
  (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      version: req.httpVersion,
      alpn: req.socket.alpnProtocol ?? null,
      headers: req.headers,
    }));
  },
);
server.listen(Number(port ?? 0), '127.0.0.1', () =>
  process.stdout.write(`${server.address().port}\n`),
);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
