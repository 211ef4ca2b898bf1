#!/usr/bin/env node
// The test command: prepares MariaDB and etcd, builds the workspace, runs every Vitest project, cleans up,
// and ends with the line "tests: N passed, N failed". Extra arguments go to Vitest (a file filter, say).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ensureEtcdInstalled, startEtcd } from './etcd.mjs';
import { dropDatabases, ensureMariaDb } from './mariadb.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const resultsDir = join(root, '.ects-test');
const resultsFile = join(resultsDir, 'vitest.json');
const runId = `ects_t_${Date.now().toString(36)}_`;

function log(message) {
  process.stderr.write(`[test] ${message}\n`);
}

function runStep(command, args) {
  log(`${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
  }
}

/** Installs Debian's Chromium, which the browser tests drive, and a CJK font for Chinese pages. */
function ensureChromium() {
  if (existsSync('/usr/bin/chromium')) {
    return;
  }
  log('Chromium is missing; installing chromium and fonts-wqy-microhei with apt-get');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
  const result = spawnSync('apt-get', ['install', '-y', 'chromium', 'fonts-wqy-microhei'], { stdio: 'inherit', env });
  if (result.status !== 0) {
    throw new Error('Installing chromium failed; install it with apt-get install -y chromium and run the tests again');
  }
}

async function main() {
  if (!existsSync(join(root, 'node_modules'))) {
    runStep('npm', ['ci']);
  }

  const mysql = await ensureMariaDb();
  log(`MariaDB on ${mysql.host}:${mysql.port} as ${mysql.user}; databases of this run start with ${runId}`);

  await ensureEtcdInstalled();
  ensureChromium();
  const etcd = await startEtcd({ name: 'ects-test' });
  log(`etcd on ${etcd.endpoint}`);

  let exitCode = 1;
  let lintFailed = false;
  try {
    runStep('npx', ['nx', 'run-many', '-t', 'build', '--output-style=static']);

    // Lint counts as one test, so a lint error fails the run and shows in the summary.
    log('npx eslint . && npm run lint -w @ects/frontend');
    lintFailed =
      spawnSync('npx', ['eslint', '.'], { cwd: root, stdio: 'inherit' }).status !== 0 ||
      spawnSync('npm', ['run', 'lint', '-w', '@ects/frontend'], { cwd: root, stdio: 'inherit' }).status !== 0;

    mkdirSync(resultsDir, { recursive: true });
    rmSync(resultsFile, { force: true });
    exitCode = await new Promise((resolve) => {
      const child = spawn(
        'npx',
        [
          'vitest',
          'run',
          '--reporter=default',
          '--reporter=json',
          `--outputFile.json=${resultsFile}`,
          ...process.argv.slice(2),
        ],
        {
          cwd: root,
          stdio: 'inherit',
          env: {
            ...process.env,
            ECTS_TEST_MYSQL_URL: `mariadb://${encodeURIComponent(mysql.user)}:${encodeURIComponent(mysql.password)}@${mysql.host}:${mysql.port}`,
            ECTS_TEST_DB_PREFIX: runId,
            ECTS_TEST_ETCD_ENDPOINTS: etcd.endpoint,
          },
        },
      );
      child.on('exit', (code) => resolve(code ?? 1));
    });
  } finally {
    await etcd.destroy().catch((error) => log(`stopping etcd failed: ${error.message}`));
    await dropDatabases(mysql, runId).catch((error) => log(`dropping test databases failed: ${error.message}`));
  }

  let passed = 0;
  let failed = 0;
  if (existsSync(resultsFile)) {
    const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
    passed = results.numPassedTests ?? 0;
    failed = results.numFailedTests ?? 0;
    if (exitCode !== 0 && failed === 0) {
      // A file that fails to load fails no test; count those files, so the summary never looks green.
      failed = Math.max(1, results.numFailedTestSuites ?? 0);
    }
  } else if (exitCode !== 0) {
    failed = 1;
  }

  if (lintFailed) {
    failed += 1;
  } else {
    passed += 1;
  }
  process.stdout.write(`tests: ${passed} passed, ${failed} failed\n`);

  return lintFailed && exitCode === 0 ? 1 : exitCode;
}

main()
  .then((code) => process.exit(code))
  .catch((error) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.stdout.write('tests: 0 passed, 1 failed\n');
    process.exit(1);
  });
