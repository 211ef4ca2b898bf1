import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ApiProcess } from './processes';

const ROOT = join(__dirname, '..', '..', '..');
export const CLI_MAIN = join(ROOT, 'apps', 'cli', 'dist', 'main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running ectsctl process whose output can be read while it runs. */
export interface CliProcess {
  stdout(): string;
  stderr(): string;
  done: Promise<CliResult>;
  kill(): void;
}

/**
 * Environment for ectsctl: the API's address and a token, and a config directory of its own, so the
 * tests never read or write the config of the user running them.
 */
export function cliEnv(api: ApiProcess, token: string, extra: Record<string, string> = {}): Record<string, string> {
  const { ECTS_SERVER: _server, ECTS_TOKEN: _token, ...inherited } = process.env as Record<string, string>;

  return {
    ...inherited,
    XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'ectsctl-config-')),
    ECTS_SERVER: api.url,
    ECTS_TOKEN: token,
    ...extra,
  };
}

/** Starts `node apps/cli/dist/main.js ARGS`; the CLI must have been built. */
export function startCli(args: string[], env: Record<string, string>, input?: string): CliProcess {
  if (!existsSync(CLI_MAIN)) {
    throw new Error(`${CLI_MAIN} is missing; build the CLI first with npx nx run @ects/cli:build`);
  }

  const child = spawn(process.execPath, [CLI_MAIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  child.stdin.end(input ?? '');
  const done = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));

  return { stdout: () => stdout, stderr: () => stderr, done, kill: () => child.kill('SIGKILL') };
}

/** Runs ectsctl to its end and returns its exit code and output. */
export function runCli(args: string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return startCli(args, env, input).done;
}

/** Creates an API token with the given scopes for the admin, and returns its secret. */
export async function createApiToken(api: ApiProcess, name: string, scopes: string[]): Promise<string> {
  const token = await api.expect<{ secret: string }>(201, 'POST', '/api/tokens', { name, scopes });

  return token.secret;
}

/** Formats a CLI result for assertion messages. */
export function describeResult(result: CliResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}
