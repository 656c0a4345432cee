// The npm ws package's WebSocket server as an upstream behind the guard
// (tests/guard.rs): it echoes each message with the Authorization header
// and the path of the handshake it arrived on, and answers an HTTP request
// without an upgrade with 200 `plain http` (so that an upgrade the guard did
// not carry on is seen as one). Prints its port, then serves until standard
// input closes.
import http from 'node:http';
import { WebSocketServer } from 'ws';

const server = http.createServer((req, res) => {
  const body = `plain http ${req.headers.upgrade ?? '-'}`;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
const wss = new WebSocketServer({ server });
wss.on('connection', (ws, req) => {
  ws.on('message', (data) => {
    ws.send(`${data} | ${req.url} | ${req.headers.authorization ?? '-'}`);
  });
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () =>
  process.stdout.write(`${server.address().port}\n`),
);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
