// An Express app deployed behind a proxy, as its guide has it (`trust
// proxy`: it believes X-Forwarded-For, -Host and -Proto): answers what it
// makes of a request's origin (req.ip, req.hostname, req.protocol, and the
// link it would mail, built from them). Prints its port, then serves until
// standard input closes.
import express from 'express';

const app = express();
app.set('trust proxy', true);
app.get('*', (req, res) => res.json({
  ip: req.ip,
  hostname: req.hostname,
  protocol: req.protocol,
  link: `${req.protocol}://${req.get('x-forwarded-host') ?? req.get('host')}/reset?code=1`,
}));
const s = app.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => process.stdout.write(`${s.address().port}\n`));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
