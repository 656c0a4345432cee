// What the test servers of tests/node share: serving on loopback, waiting
// for a child server to listen, and Debian's Apache behind one auth module.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, chmodSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';

// An express (or http) app listening on a free loopback port.
export const listen = (app) => new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
export const port = (s) => s.address().port;
// A port free on loopback now, for a server that takes one as an argument.
export const freePort = () => new Promise((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
// Resolves once something accepts on `p` (a child server has started).
export const accepting = async (p) => {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => { const c = net.connect(p, '127.0.0.1', () => { c.end(); resolve(true); }).on('error', () => resolve(false)); });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing accepts on port ${p}`);
};

// Debian's Apache serving /api/orders (a JSON file) behind `modules`
// (besides the core authn/authz ones): its folder, with the files
// `prepare` writes there, and the configuration `lines` (given the
// folder), stopped when standard input closes. The URL of /api/orders,
// or null where Apache or a module is not installed.
const MODULES = '/usr/lib/apache2/modules';
export const apache = async (name, modules, prepare, lines) => {
  if (!existsSync('/usr/sbin/apache2') || !modules.every((m) => existsSync(`${MODULES}/mod_${m}.so`))) return null;
  const dir = mkdtempSync(join(tmpdir(), `authdoctor-${name}-`));
  chmodSync(dir, 0o777);
  prepare(dir);
  writeFileSync(join(dir, 'orders.json'), '{"orders":[]}');
  const ap = await freePort();
  const conf = join(dir, 'httpd.conf');
  writeFileSync(conf, [
    `ServerRoot "${dir}"`, 'ServerName localhost', `Listen 127.0.0.1:${ap}`, `PidFile ${dir}/httpd.pid`,
    `ErrorLog ${dir}/error.log`, 'LogLevel warn', 'User www-data', 'Group www-data',
    ...['mpm_event', 'authn_core', 'authz_core', 'authz_user', 'alias', ...modules].map((n) => `LoadModule ${n}_module ${MODULES}/mod_${n}.so`),
    `Alias /api/orders ${dir}/orders.json`,
    ...lines(dir), '',
  ].join('\n'));
  const httpd = spawn('apache2', ['-f', conf, '-D', 'FOREGROUND'], { stdio: 'ignore' });
  process.stdin.on('end', () => {
    try { execFileSync('apache2', ['-f', conf, '-k', 'stop']); } catch {}
    httpd.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  await accepting(ap);
  return `http://127.0.0.1:${ap}/api/orders`;
};
