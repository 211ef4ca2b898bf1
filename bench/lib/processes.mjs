// Child processes of a benchmark: the API, agents and helpers, with their output kept for error
// messages and offered line by line to listeners, and their memory and CPU read from /proc.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const LOG_TAIL_CHARS = 20_000;
/** Clock ticks per second of the CPU times in /proc/<pid>/stat, from `getconf CLK_TCK`. */
const CLOCK_TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** A child process whose output is kept, and whose lines can be watched as they arrive. */
export class ManagedProcess {
  /**
   * @param {string} name
   * @param {string} command
   * @param {string[]} args
   * @param {{ env?: NodeJS.ProcessEnv, cwd?: string }} [options]
   */
  constructor(name, command, args, options = {}) {
    this.name = name;
    this.command = command;
    this.args = args;
    this.options = options;
    this.output = '';
    /** @type {Set<(line: string, receivedAt: number) => void>} */
    this.lineListeners = new Set();
    this.spawn();
  }

  spawn() {
    this.child = spawn(this.command, this.args, {
      env: this.options.env ?? process.env,
      cwd: this.options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.follow(this.child.stdout);
    this.follow(this.child.stderr);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Keeps the tail of a stream for error messages and passes its complete lines to the listeners. */
  follow(stream) {
    let partialLine = '';
    stream.on('data', (data) => {
      const receivedAt = Date.now();
      const text = data.toString();
      this.output = (this.output + text).slice(-LOG_TAIL_CHARS);
      if (process.env.ECTS_BENCH_VERBOSE) {
        process.stderr.write(`[${this.name}] ${text}`);
      }

      const lines = (partialLine + text).split('\n');
      partialLine = lines.pop() ?? '';
      for (const line of lines) {
        for (const listener of this.lineListeners) {
          listener(line, receivedAt);
        }
      }
    });
  }

  get pid() {
    return this.child.pid ?? -1;
  }

  get running() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Returns the tail of the output, for error messages. */
  logs() {
    return this.output;
  }

  /**
   * Calls the listener with each output line and the time it arrived, until the returned function is called.
   * @param {(line: string, receivedAt: number) => void} listener
   */
  onLine(listener) {
    this.lineListeners.add(listener);

    return () => this.lineListeners.delete(listener);
  }

  /**
   * Sends a signal and waits for the exit, with SIGKILL after the timeout.
   * @param {NodeJS.Signals} [signal]
   * @param {number} [timeoutMs]
   */
  async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
    if (this.running) {
      this.child.kill(signal);
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const result = await this.exited;
    clearTimeout(timer);

    return result;
  }

  kill() {
    return this.stop('SIGKILL');
  }
}

/**
 * Runs a command to its end and returns its output; rejects with the output when it exits non-zero.
 * @param {string} command
 * @param {string[]} args
 * @param {{ env?: NodeJS.ProcessEnv, cwd?: string }} [options]
 * @returns {Promise<string>}
 */
export function runToEnd(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (data) => (output += data.toString()));
    child.stderr.on('data', (data) => (output += data.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output}`)),
    );
  });
}

/**
 * Reads the resident memory, its peak, and the CPU time used so far by one process, from /proc.
 * Returns undefined when the process is gone.
 * @param {number} pid
 * @returns {{ rssBytes: number, peakRssBytes: number, cpuSeconds: number } | undefined}
 */
export function readProcessUsage(pid) {
  let status;
  let stat;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ESRCH')) {
      return undefined;
    }
    throw error;
  }

  const kibibytes = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  // The command name in parentheses may contain spaces, so fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);

  return {
    rssBytes: kibibytes('VmRSS'),
    peakRssBytes: kibibytes('VmHWM'),
    cpuSeconds: (userTicks + systemTicks) / CLOCK_TICKS_PER_SECOND,
  };
}

/**
 * Samples a process's resident memory at an interval, so a scenario can report its peak and mean
 * over a window, and its CPU use over the same window.
 */
export class UsageSampler {
  /**
   * @param {number} pid
   * @param {number} [intervalMs]
   */
  constructor(pid, intervalMs = 200) {
    this.pid = pid;
    this.startedAt = Date.now();
    this.first = readProcessUsage(pid);
    this.last = this.first;
    /** @type {number[]} */
    this.rssSamples = [];
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.sample();
  }

  sample() {
    const usage = readProcessUsage(this.pid);
    if (usage !== undefined) {
      this.last = usage;
      this.rssSamples.push(usage.rssBytes);
    }
  }

  /** Stops sampling and returns RSS (max, mean, last) and the CPU share of one core over the window. */
  stop() {
    clearInterval(this.timer);
    this.sample();
    const seconds = (Date.now() - this.startedAt) / 1000;
    const samples = this.rssSamples;
    const cpuSeconds = this.first && this.last ? this.last.cpuSeconds - this.first.cpuSeconds : NaN;

    return {
      seconds,
      rssMaxBytes: samples.length > 0 ? Math.max(...samples) : NaN,
      rssMeanBytes: samples.length > 0 ? samples.reduce((sum, value) => sum + value, 0) / samples.length : NaN,
      rssLastBytes: samples.at(-1) ?? NaN,
      peakRssBytes: this.last?.peakRssBytes ?? NaN,
      cpuSeconds,
      cpuPercentOfOneCore: (cpuSeconds / seconds) * 100,
    };
  }
}
