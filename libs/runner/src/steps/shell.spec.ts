import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { shellTask } from '../../test/support/fixtures';
import { stepHarness } from '../../test/support/step-context';
import { runShellStep } from './shell';
import { StopReason } from './step';

/** Pids of live processes in a process group, read from /proc. */
function processesInGroup(pgid: number): number[] {
  const pids: number[] = [];

  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }

    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name: state, ppid, pgrp.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') {
        pids.push(Number(entry));
      }
    } catch {
      // The process exited while the directory was read.
    }
  }

  return pids;
}

describe('runShellStep', () => {
  it('succeeds on exit code 0', async () => {
    const harness = stepHarness(shellTask('echo hello; echo oops >&2'));

    const outcome = await runShellStep(harness.context);

    expect(outcome).toEqual({ status: 'succeeded', exitCode: 0, httpStatus: null, errorMessage: null });
    expect(harness.text()).toBe('hello\noops\n');
  });

  it('fails with the exit code', async () => {
    const harness = stepHarness(shellTask('exit 3'));

    const outcome = await runShellStep(harness.context);

    expect(outcome.status).toBe('failed');
    expect(outcome.exitCode).toBe(3);
    expect(outcome.errorMessage).toBe('exited with code 3');
  });

  it('layers task, step and run environment', async () => {
    const task = shellTask('echo "$A $B $C $ECTS_RUN_ID"', 'env', { A: 'task', B: 'task' });
    const harness = stepHarness(task, { env: { B: 'step', C: 'step' } });

    await runShellStep(harness.context);

    expect(harness.text()).toBe('task step step run-1\n');
  });

  it('runs in the working directory', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'ects-cwd-'));
    const harness = stepHarness(shellTask('pwd'), { workingDirectory: directory });

    await runShellStep(harness.context);

    expect(harness.text()).toBe(`${directory}\n`);
    rmSync(directory, { recursive: true });
  });

  it('fails clearly on a missing working directory', async () => {
    const harness = stepHarness(shellTask('true'), { workingDirectory: '/nonexistent/ects' });

    const outcome = await runShellStep(harness.context);

    expect(outcome.status).toBe('failed');
    expect(outcome.errorMessage).toContain('/nonexistent/ects');
  });

  it('masks secret variables in output', async () => {
    const harness = stepHarness(shellTask('echo "token is $TOKEN"'), {
      env: { TOKEN: 'tok-123456' },
      secretEnvNames: ['TOKEN'],
    });

    await runShellStep(harness.context);

    expect(harness.text()).toBe('token is ********\n');
  });

  it('runs as another user', async () => {
    const harness = stepHarness(shellTask('id -un; echo "$USER"'), { runAsUser: 'nobody' });

    const outcome = await runShellStep(harness.context);

    expect(outcome.status).toBe('succeeded');
    expect(harness.text()).toBe('nobody\nnobody\n');
  });

  it('fails for an unknown run-as user', async () => {
    const harness = stepHarness(shellTask('true'), { runAsUser: 'no-such-user-ects' });

    const outcome = await runShellStep(harness.context);

    expect(outcome.status).toBe('failed');
    expect(outcome.errorMessage).toContain('Cannot run as user no-such-user-ects');
  });

  it('leaves no process behind after a timeout', async () => {
    const harness = stepHarness(shellTask("sh -c 'sleep 300 & sleep 300'"));
    let pgid = 0;
    const started = Date.now();

    setTimeout(() => {
      pgid = pgidOfSleep();
      harness.controller.abort(new StopReason('timed_out', 'timed out after 1 s (step timeout)', 5_000));
    }, 1_000);

    const outcome = await runShellStep(harness.context);

    expect(outcome.status).toBe('timed_out');
    expect(outcome.errorMessage).toBe('timed out after 1 s (step timeout)');
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(pgid).toBeGreaterThan(0);
    expect(processesInGroup(pgid)).toEqual([]);
  });

  it('escalates to SIGKILL after the grace', async () => {
    const harness = stepHarness(shellTask("trap '' TERM; echo ready; while true; do sleep 0.1; done"));
    setTimeout(() => harness.controller.abort(new StopReason('killed', 'killed by alice', 500)), 500);
    const started = Date.now();

    const outcome = await runShellStep(harness.context);

    expect(outcome.status).toBe('killed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('ends when background children hold its output', async () => {
    const harness = stepHarness(shellTask('sleep 300 & echo started'));
    const started = Date.now();

    const outcome = await runShellStep(harness.context);

    expect(outcome.status).toBe('succeeded');
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(harness.text()).toContain('still hold its output open');
  });
});

/** Process group of the newest `sleep 300` started by this test process's children. */
function pgidOfSleep(): number {
  let best = 0;
  let group = 0;

  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }

    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (cmdline === 'sleep 300' && Number(entry) > best) {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        best = Number(entry);
        group = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      }
    } catch {
      // The process exited while the directory was read.
    }
  }

  return group;
}
