import { readFileSync, readdirSync } from 'node:fs';

const POLL_MS = 50;
/** Time allowed for the kernel to end a group after SIGKILL before termination gives up waiting. */
const SIGKILL_WAIT_MS = 5_000;

/** Sends a signal to every process of a process group; returns false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') {
      return false;
    }
    throw error;
  }
}

/**
 * Tells whether a process of the group still runs. kill(-pgid, 0) also succeeds while the group's
 * processes are zombies, which can last seconds where the init process reaps orphans slowly, so on
 * Linux /proc is read to skip zombies.
 */
export function groupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) {
    return false;
  }

  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    // Without /proc, as on macOS, a zombie counts as alive; termination then waits a little longer.
    return true;
  }

  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) {
      continue;
    }

    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The fields after the command name start with the state, the parent pid and the process group.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3);
      if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') {
        return true;
      }
    } catch {
      // The process ended while /proc was read.
    }
  }

  return false;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Terminates a process group: SIGTERM now, SIGKILL once `graceMs` has passed with a process still
 * running. Resolves when no process of the group runs, so the caller can report that nothing of the
 * step is left. A process that moved itself to another group or session escapes it.
 */
export async function terminateGroup(pgid: number, graceMs: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) {
    return;
  }

  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await pause(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
    if (!groupAlive(pgid)) {
      return;
    }
  }

  signalGroup(pgid, 'SIGKILL');
  const killDeadline = Date.now() + SIGKILL_WAIT_MS;
  while (groupAlive(pgid) && Date.now() < killDeadline) {
    await pause(POLL_MS / 2);
  }
}
