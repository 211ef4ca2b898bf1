#!/usr/bin/env node
// The `ects` command: `ects agent …` starts the agent, every other command goes to the API's CLI
// (init, serve, openapi). Both are built into dist folders by `npm run build`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [command, ...rest] = process.argv.slice(2);
const entry =
  command === 'agent' ? join(root, 'apps', 'agent', 'dist', 'main.js') : join(root, 'apps', 'api', 'dist', 'cli.js');
const args = command === 'agent' ? rest : process.argv.slice(2);

if (!existsSync(entry)) {
  process.stderr.write(`ects: ${entry} is missing; run \`npm run build\` in ${root} first\n`);
  process.exit(1);
}

const child = spawn(process.execPath, [entry, ...args], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
