import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

import { CliError, messageOf } from './errors';

/** Server base URL and API token, as `ectsctl login` stores them. */
export interface StoredConfig {
  server: string;
  token: string;
}

/** Server and token in effect for one command, and where each came from, for error messages. */
export interface Connection {
  server: string;
  token: string;
  serverSource: string;
  tokenSource: string;
}

/**
 * Path of the config file: $ECTSCTL_CONFIG when set, else `ectsctl/config.json` under
 * $XDG_CONFIG_HOME or ~/.config.
 */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['ECTSCTL_CONFIG'];
  if (explicit) {
    return explicit;
  }

  const base = env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config');

  return join(base, 'ectsctl', 'config.json');
}

export function readConfig(path: string): StoredConfig | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return null;
    }
    throw new CliError('CONFIG_INVALID', `Cannot read the config file ${path}: ${messageOf(error)}`);
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error: unknown) {
    throw new CliError(
      'CONFIG_INVALID',
      `The config file ${path} is not valid JSON (${messageOf(error)}); run ectsctl login again to rewrite it`,
    );
  }

  const config = parsed as Partial<StoredConfig> | null;
  if (typeof config?.server !== 'string' || typeof config.token !== 'string') {
    throw new CliError(
      'CONFIG_INVALID',
      `The config file ${path} needs "server" and "token" strings; run ectsctl login again to rewrite it`,
    );
  }

  return { server: config.server, token: config.token };
}

/**
 * Writes the config readable by its owner only (mode 0600, directory 0700). The file is written
 * beside its final path and renamed over it, so a reader never sees half a token.
 */
export function writeConfig(path: string, config: StoredConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });

  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // The mode given to writeFileSync is masked by the umask, and an existing file keeps its mode.
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/** Checks a server URL and returns it without a trailing slash. */
export function normalizeServer(server: string, source: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new CliError(
      'CONFIG_INVALID',
      `The server address "${server}" from ${source} is not a URL; use one such as http://127.0.0.1:8080`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(
      'CONFIG_INVALID',
      `The server address "${server}" from ${source} must start with http:// or https://`,
    );
  }

  return url.toString().replace(/\/+$/, '');
}

/**
 * Resolves the server and token of a command: the --server option, then ECTS_SERVER and ECTS_TOKEN,
 * then the config file written by `ectsctl login`.
 */
export function resolveConnection(options: { server?: string }, env: NodeJS.ProcessEnv = process.env): Connection {
  const path = configPath(env);
  const stored = readConfig(path);

  const serverCandidates: Array<[string | undefined, string]> = [
    [options.server, 'the --server option'],
    [env['ECTS_SERVER'], 'ECTS_SERVER'],
    [stored?.server, path],
  ];
  const tokenCandidates: Array<[string | undefined, string]> = [
    [env['ECTS_TOKEN'], 'ECTS_TOKEN'],
    [stored?.token, path],
  ];
  const [server, serverSource] = serverCandidates.find(([value]) => value) ?? [undefined, ''];
  const [token, tokenSource] = tokenCandidates.find(([value]) => value) ?? [undefined, ''];

  if (!server) {
    throw new CliError(
      'CREDENTIALS_MISSING',
      'No ECTS server is configured; run ectsctl login --server URL, or set ECTS_SERVER and ECTS_TOKEN',
    );
  }
  if (!token) {
    throw new CliError(
      'CREDENTIALS_MISSING',
      'No API token is configured; run ectsctl login, or set ECTS_TOKEN to a token an admin created',
    );
  }

  return { server: normalizeServer(server, serverSource), token, serverSource, tokenSource };
}

/** Returns the server `login` checks: the --server option, then ECTS_SERVER, then the stored config. */
export function loginServer(optionServer: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const path = configPath(env);
  const candidates: Array<[string | undefined, string]> = [
    [optionServer, 'the --server option'],
    [env['ECTS_SERVER'], 'ECTS_SERVER'],
    [readConfig(path)?.server, path],
  ];
  const [server, source] = candidates.find(([value]) => value) ?? [undefined, ''];
  if (!server) {
    throw new CliError('USAGE', 'Say which server to log in to: ectsctl login --server https://ects.example.com');
  }

  return normalizeServer(server, source);
}
