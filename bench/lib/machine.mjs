// Describes where and from what a benchmark ran: the commit, the date, the machine and the command.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem, type } from 'node:os';

import { ROOT } from './cluster.mjs';

function git(args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch (error) {
    process.stderr.write(`[bench] git ${args.join(' ')} failed: ${error instanceof Error ? error.message : error}\n`);
    return '';
  }
}

function versionOf(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      .split('\n')[0]
      .trim();
  } catch {
    // A missing tool is reported as such in the result header.
    return 'not installed';
  }
}

/**
 * Returns the commit (with whether the work tree had changes), the date, the machine and the command.
 * @param {string[]} argv the arguments the benchmark was started with
 */
export function describeRun(argv) {
  const commit = git(['rev-parse', 'HEAD']) || 'unknown';
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
  const processors = cpus();

  return {
    commit,
    shortCommit: commit.slice(0, 7),
    dirty,
    date: new Date().toISOString(),
    command: ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '),
    machine: {
      cores: processors.length,
      cpuModel: processors[0]?.model ?? 'unknown',
      memoryGiB: Number((totalmem() / 1024 ** 3).toFixed(1)),
      os: `${type()} ${release()}`,
      node: process.version,
      mariadb: versionOf('mariadb', ['--version']).replace(/^.*Distrib ([0-9.]+)[^,]*,.*$/, 'MariaDB $1'),
      etcd: versionOf('etcd', ['--version']).replace(/^etcd Version: /, 'etcd '),
      loadAverageAtStart: loadavg().map((value) => Number(value.toFixed(2))),
    },
  };
}
