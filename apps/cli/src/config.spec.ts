import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { configPath, resolveConnection, writeConfig } from './config';
import { CliError } from './errors';

function home(): string {
  return mkdtempSync(join(tmpdir(), 'ectsctl-config-spec-'));
}

describe('configPath', () => {
  it('prefers ECTSCTL_CONFIG, then XDG_CONFIG_HOME, then HOME', () => {
    expect(configPath({ ECTSCTL_CONFIG: '/x/c.json', XDG_CONFIG_HOME: '/xdg', HOME: '/h' })).toBe('/x/c.json');
    expect(configPath({ XDG_CONFIG_HOME: '/xdg', HOME: '/h' })).toBe('/xdg/ectsctl/config.json');
    expect(configPath({ HOME: '/h' })).toBe('/h/.config/ectsctl/config.json');
  });
});

describe('writeConfig', () => {
  it('writes a file only its owner can read', () => {
    const path = join(home(), 'deep', 'ectsctl', 'config.json');
    writeConfig(path, { server: 'http://127.0.0.1:8080', token: 'ects_abc' });

    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ server: 'http://127.0.0.1:8080', token: 'ects_abc' });
  });

  it('tightens the mode of an existing file', () => {
    const path = join(home(), 'config.json');
    writeFileSync(path, '{}', { mode: 0o644 });
    writeConfig(path, { server: 'http://a', token: 't' });

    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});

describe('resolveConnection', () => {
  it('lets the option and the environment override the stored login', () => {
    const path = join(home(), 'config.json');
    writeConfig(path, { server: 'http://stored:1', token: 'stored-token' });
    const env = { ECTSCTL_CONFIG: path };

    expect(resolveConnection({}, env)).toMatchObject({ server: 'http://stored:1', token: 'stored-token' });
    expect(resolveConnection({}, { ...env, ECTS_SERVER: 'http://env:2/', ECTS_TOKEN: 'env-token' })).toMatchObject({
      server: 'http://env:2',
      token: 'env-token',
      serverSource: 'ECTS_SERVER',
      tokenSource: 'ECTS_TOKEN',
    });
    expect(resolveConnection({ server: 'https://flag:3' }, { ...env, ECTS_SERVER: 'http://env:2' }).server).toBe(
      'https://flag:3',
    );
  });

  it('says how to log in when nothing is configured', () => {
    const env = { ECTSCTL_CONFIG: join(home(), 'missing.json') };

    expect(() => resolveConnection({}, env)).toThrow(/run ectsctl login --server URL, or set ECTS_SERVER/);
    expect(() => resolveConnection({}, { ...env, ECTS_SERVER: 'http://a' })).toThrow(/No API token is configured/);
  });

  it('rejects a server address that is not an http URL', () => {
    const env = { ECTSCTL_CONFIG: join(home(), 'missing.json'), ECTS_TOKEN: 't' };

    expect(() => resolveConnection({ server: 'ects.example.com' }, env)).toThrow(
      'The server address "ects.example.com" from the --server option is not a URL',
    );
    expect(() => resolveConnection({ server: 'ftp://x' }, env)).toThrow(/must start with http:\/\/ or https:\/\//);
  });

  it('reports a broken config file', () => {
    const path = join(home(), 'config.json');
    writeFileSync(path, '{ not json');

    expect(() => resolveConnection({}, { ECTSCTL_CONFIG: path })).toThrow(CliError);
    expect(() => resolveConnection({}, { ECTSCTL_CONFIG: path })).toThrow(/is not valid JSON .*run ectsctl login/);
  });
});
