#!/usr/bin/env node
// `npm start`: installs dependencies when missing, builds, prepares the database and starts ECTS in
// embedded mode (SQLite under ./data, no etcd or MySQL needed). ECTS_* variables switch to MySQL and etcd.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'apps', 'api', 'dist', 'cli.js');

function step(command, args) {
  process.stderr.write(`[start] ${command} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`[start] ${command} ${args.join(' ')} failed with exit code ${result.status}\n`);
    process.exit(result.status ?? 1);
  }
}

if (!existsSync(join(root, 'node_modules'))) {
  step('npm', ['ci']);
}
step('npx', ['nx', 'run-many', '-t', 'build', '--output-style=static']);
step(process.execPath, [cli, 'init']);

const server = spawn(process.execPath, [cli, 'serve'], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.kill(signal));
}
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
