import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const DOCKER = join(ROOT, 'docker');

/** Returns docker-compose, installing Debian's package when it is missing. */
function dockerCompose(): string {
  const found = spawnSync('which', ['docker-compose'], { encoding: 'utf8' });
  if (found.status === 0) {
    return found.stdout.trim();
  }
  execFileSync('apt-get', ['install', '-y', 'docker-compose'], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });

  return 'docker-compose';
}

function copySources(dockerfile: string): string[] {
  return readFileSync(join(DOCKER, dockerfile), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
    .flatMap((line) =>
      line
        .replace(/^COPY\s+(--\S+\s+)*/, '')
        .split(/\s+/)
        .slice(0, -1),
    );
}

describe('packaging', () => {
  let compose: string;

  beforeAll(() => {
    compose = dockerCompose();
  });

  it('compose file passes docker-compose config', () => {
    const result = spawnSync(compose, ['-f', join(DOCKER, 'compose.yaml'), 'config', '-q'], {
      encoding: 'utf8',
      env: { ...process.env, ECTS_ENROLL_TOKEN: 'ectse_example' },
    });

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('compose file has the documented topology', () => {
    const file = parse(readFileSync(join(DOCKER, 'compose.yaml'), 'utf8')) as {
      services: Record<string, { command?: string[] }>;
    };
    const services = Object.keys(file.services).sort();

    expect(services).toEqual(['agent-1', 'agent-2', 'api-1', 'api-2', 'etcd-1', 'etcd-2', 'etcd-3', 'init', 'mysql', 'redis']);
    expect(file.services['init'].command).toEqual(['init']);
  });

  it.each(['Dockerfile.api', 'Dockerfile.agent'])('%s copies only paths that exist', (dockerfile) => {
    const missing = copySources(dockerfile).filter((source) => !existsSync(join(ROOT, source)));

    expect(missing).toEqual([]);
  });

  it.each(['Dockerfile.api', 'Dockerfile.agent'])('%s runs as a non-root user with a health check', (dockerfile) => {
    const text = readFileSync(join(DOCKER, dockerfile), 'utf8');

    expect(text).toMatch(/^USER ects$/m);
    expect(text).toMatch(/^HEALTHCHECK /m);
    expect(text).toMatch(/^FROM node:20-bookworm-slim AS build$/m);
  });

  it('agent unit restarts on failure as a dedicated user', () => {
    const unit = readFileSync(join(DOCKER, 'systemd', 'ects-agent.service'), 'utf8');

    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^User=ects$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/ects\/apps\/agent\/dist\/main\.js$/m);
  });

  it('agent install script parses and explains its usage', () => {
    const script = join(ROOT, 'tools', 'install-agent.sh');
    const syntax = spawnSync('bash', ['-n', script], { encoding: 'utf8' });
    const usage = spawnSync('bash', [script], { encoding: 'utf8' });

    expect(syntax.status).toBe(0);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('--api-url, --etcd-endpoints and --enroll-token are required');
  });
});
