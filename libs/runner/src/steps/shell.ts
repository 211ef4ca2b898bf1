import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { promisify } from 'node:util';

import type { ShellTaskConfig } from '@ects/domain';

import { describeError } from '../errors';
import { terminateGroup } from './process-group';
import { StopReason, failed, stopped, type StepContext, type StepOutcome } from './step';

const execFileAsync = promisify(execFile);

/**
 * Time the step's output pipes may stay open after its shell exited. Processes the shell left in the
 * background that still hold them are then terminated, or the step would never end.
 */
const PIPE_CLOSE_GRACE_MS = 1_000;
const LOOKUP_TIMEOUT_MS = 5_000;

interface UserIdentity {
  uid: number;
  gid: number;
  home: string | undefined;
}

/** Resolves a user name to its uid, gid and home directory with `id` and `getent`. */
async function lookUpUser(user: string): Promise<UserIdentity> {
  const run = async (command: string, args: string[]): Promise<string> => {
    const { stdout } = await execFileAsync(command, args, { timeout: LOOKUP_TIMEOUT_MS });

    return stdout.trim();
  };

  const uid = Number(await run('id', ['-u', user]));
  const gid = Number(await run('id', ['-g', user]));
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error(`id returned no numeric uid and gid for user ${user}`);
  }

  let home: string | undefined;
  try {
    home = (await run('getent', ['passwd', user])).split(':')[5] || undefined;
  } catch {
    // Without a passwd entry the step keeps the agent's HOME, which the user may not be able to use.
    home = undefined;
  }

  return { uid, gid, home };
}

/**
 * Runs a shell task with `/bin/sh -c` in its own process group, in the step's working directory,
 * with the step's environment and, when set, as the step's user. A timeout or kill terminates the
 * whole group. Exit code 0 succeeds; any other code fails.
 */
export async function runShellStep(context: StepContext): Promise<StepOutcome> {
  const { step, output, signal } = context;
  const config = step.task.config as ShellTaskConfig;

  if (typeof config.command !== 'string' || config.command.length === 0) {
    return failed('The shell task has no command');
  }

  const env: NodeJS.ProcessEnv = {
    ...context.baseEnvironment,
    ...(config.env ?? {}),
    ...step.env,
    ...context.runEnvironment,
  };

  let identity: UserIdentity | undefined;
  if (step.runAsUser !== null && step.runAsUser.length > 0) {
    try {
      identity = await lookUpUser(step.runAsUser);
    } catch (error: unknown) {
      return failed(`Cannot run as user ${step.runAsUser}: the user was not found (${describeError(error)})`);
    }

    const ownUid = process.getuid?.();
    if (ownUid !== undefined && ownUid !== 0 && ownUid !== identity.uid) {
      return failed(
        `Cannot run as user ${step.runAsUser} (uid ${identity.uid}): the agent runs as uid ${ownUid}, and only root can switch users`,
      );
    }

    env.USER = step.runAsUser;
    env.LOGNAME = step.runAsUser;
    if (identity.home !== undefined) {
      env.HOME = identity.home;
    }
  }

  if (signal.aborted) {
    return stopped(signal);
  }

  return new Promise<StepOutcome>((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn('/bin/sh', ['-c', config.command], {
        cwd: step.workingDirectory ?? config.cwd ?? undefined,
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        uid: identity?.uid,
        gid: identity?.gid,
      });
    } catch (error: unknown) {
      resolve(failed(`Starting /bin/sh failed: ${describeError(error)}`));
      return;
    }
    context.processStarted();

    const pgid = child.pid;
    const stdout = new StringDecoder('utf8');
    const stderr = new StringDecoder('utf8');
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let termination: Promise<void> | undefined;
    let pipeTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const terminate = (graceMs: number): Promise<void> => {
      termination ??= pgid === undefined ? Promise.resolve() : terminateGroup(pgid, graceMs);

      return termination;
    };

    const onAbort = (): void => {
      const reason: unknown = signal.reason;
      const graceMs = reason instanceof StopReason ? reason.killGraceMs : 0;
      output.system(
        `[ECTS] ${reason instanceof StopReason ? reason.message : 'Stopping the step'}: sending SIGTERM to its processes`,
      );
      void terminate(graceMs);
    };

    const finish = async (): Promise<void> => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(pipeTimer);
      signal.removeEventListener('abort', onAbort);

      output.write('stdout', stdout.end());
      output.write('stderr', stderr.end());

      // A stopped step resolves only when its whole process group is gone.
      if (termination !== undefined) {
        await termination;
      }

      if (signal.aborted) {
        resolve(stopped(signal, { exitCode: exit?.code ?? null }));
      } else if (exit?.code === 0) {
        resolve({ status: 'succeeded', exitCode: 0, httpStatus: null, errorMessage: null });
      } else if (exit?.code !== null && exit?.code !== undefined) {
        resolve(failed(`exited with code ${exit.code}`, { exitCode: exit.code }));
      } else {
        resolve(failed(`was terminated by ${exit?.signal ?? 'a signal'}`));
      }
    };

    child.stdout?.on('data', (data: Buffer) => output.write('stdout', stdout.write(data)));
    child.stderr?.on('data', (data: Buffer) => output.write('stderr', stderr.write(data)));

    child.once('error', (error: NodeJS.ErrnoException) => {
      settled = true;
      signal.removeEventListener('abort', onAbort);
      const where =
        error.code === 'ENOENT'
          ? ` (does the working directory ${step.workingDirectory ?? config.cwd ?? ''} exist?)`
          : '';
      resolve(failed(`Starting /bin/sh failed: ${error.message}${where}`));
    });

    child.once('exit', (code, exitSignal) => {
      exit = { code, signal: exitSignal };
      pipeTimer = setTimeout(() => {
        output.system('[ECTS] The shell exited, but processes it started still hold its output open; terminating them');
        void terminate(PIPE_CLOSE_GRACE_MS).then(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          void finish();
        });
      }, PIPE_CLOSE_GRACE_MS);
    });

    child.once('close', () => void finish());

    if (signal.aborted) {
      onAbort();
    } else {
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}
