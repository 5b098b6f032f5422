// Runs the real `emonet` binary: CLI set-up commands and `emonet annotate serve` on a
// free loopback port (port 0; the server prints "listening <port>" on stdout).
import { spawn, spawnSync } from 'node:child_process';

export function cli(emonet, args, input) {
  const result = spawnSync(emonet, args, { input: input ?? '', encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`emonet ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  }
  return result.stdout;
}

export function startServer(emonet, db, logPath, fs) {
  return new Promise((resolve, reject) => {
    const log = fs.openSync(logPath, 'w');
    const child = spawn(emonet, ['annotate', 'serve', '--db', db, '--listen', '127.0.0.1:0',
                                 '--log-requests'],
                        { stdio: ['ignore', 'pipe', log] });
    let out = '';
    const timer = setTimeout(() => reject(new Error('server did not start within 20 s')), 20000);
    child.stdout.on('data', (data) => {
      out += data;
      const match = /listening (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]), url: `http://127.0.0.1:${match[1]}` });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (${code}); see ${logPath}`));
    });
  });
}

export function stopServer(server) {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null) return resolve();
    server.child.removeAllListeners('exit');
    server.child.on('exit', () => resolve());
    server.child.kill('SIGTERM');
    setTimeout(() => server.child.kill('SIGKILL'), 5000).unref();
  });
}
