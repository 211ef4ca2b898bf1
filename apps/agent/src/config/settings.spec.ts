import { describe, expect, it } from 'vitest';

import { helpText, parseSettings, settingVariables, type AgentSettings } from './settings';

const REQUIRED = { ECTS_API_URL: 'http://127.0.0.1:3000', ECTS_ETCD_ENDPOINTS: 'http://127.0.0.1:2379' };

function settingsOf(argv: string[], env: Record<string, string> = REQUIRED): AgentSettings {
  const result = parseSettings(argv, env, 'host-1');
  if (result.kind !== 'settings') {
    throw new Error(`Expected settings, got ${JSON.stringify(result)}`);
  }

  return result.settings;
}

function problemsOf(argv: string[], env: Record<string, string>): string[] {
  const result = parseSettings(argv, env, 'host-1');

  return result.kind === 'invalid' ? result.problems : [];
}

describe('parseSettings', () => {
  it('applies the defaults', () => {
    expect(settingsOf([])).toEqual({
      apiUrl: 'http://127.0.0.1:3000',
      etcdEndpoints: ['http://127.0.0.1:2379'],
      etcdNamespace: '/ects',
      etcdUsername: undefined,
      etcdPassword: undefined,
      stateDir: '/var/lib/ects-agent',
      name: 'host-1',
      labels: {},
      maxConcurrentRuns: 16,
      enrollToken: undefined,
      leaseTtlSeconds: 10,
      shutdownGraceSeconds: 30,
      logLevel: 'log',
      logFormat: 'text',
      metricsAddress: { host: '127.0.0.1', port: 9464 },
      metricsPipelineLabels: false,
    });
  });

  it('logs JSON in production', () => {
    expect(settingsOf([], { ...REQUIRED, NODE_ENV: 'production' }).logFormat).toBe('json');
    expect(settingsOf(['--log-format', 'text'], { ...REQUIRED, NODE_ENV: 'production' }).logFormat).toBe('text');
  });

  it('reads the metrics address', () => {
    expect(settingsOf(['--metrics-address', '0.0.0.0:9500']).metricsAddress).toEqual({ host: '0.0.0.0', port: 9500 });
    expect(settingsOf(['--metrics-address=[::1]:9464']).metricsAddress).toEqual({ host: '::1', port: 9464 });
    expect(settingsOf([], { ...REQUIRED, ECTS_METRICS_ADDRESS: 'off' }).metricsAddress).toBeNull();
    expect(settingsOf([], { ...REQUIRED, ECTS_METRICS_PIPELINE_LABELS: 'true' }).metricsPipelineLabels).toBe(true);
  });

  it('rejects an invalid metrics address', () => {
    expect(problemsOf(['--metrics-address', '9464'], REQUIRED)).toEqual([
      '--metrics-address: expected host:port such as 127.0.0.1:9464 or [::1]:9464, or off, got "9464"',
    ]);
    expect(problemsOf(['--metrics-address', 'localhost:70000'], REQUIRED)).toHaveLength(1);
    expect(problemsOf([], { ...REQUIRED, ECTS_METRICS_PIPELINE_LABELS: 'maybe' })).toEqual([
      'ECTS_METRICS_PIPELINE_LABELS: expected true or false, got "maybe"',
    ]);
  });

  it('reads every variable', () => {
    const settings = settingsOf([], {
      ECTS_API_URL: 'https://ects.example.com/',
      ECTS_ETCD_ENDPOINTS: 'http://10.0.0.1:2379, http://10.0.0.2:2379',
      ECTS_ETCD_NAMESPACE: '/ects/staging',
      ECTS_STATE_DIR: '/tmp/agent',
      ECTS_NODE_NAME: 'web-1',
      ECTS_NODE_LABELS: 'env=prod, zone=eu-1',
      ECTS_MAX_CONCURRENT_RUNS: '4',
      ECTS_ENROLL_TOKEN: 'ectse_abc',
      ECTS_LEASE_TTL_SECONDS: '15',
      ECTS_SHUTDOWN_GRACE_SECONDS: '0',
      ECTS_LOG_LEVEL: 'debug',
    });

    expect(settings.apiUrl).toBe('https://ects.example.com');
    expect(settings.etcdEndpoints).toEqual(['http://10.0.0.1:2379', 'http://10.0.0.2:2379']);
    expect(settings.etcdNamespace).toBe('/ects/staging');
    expect(settings.stateDir).toBe('/tmp/agent');
    expect(settings.name).toBe('web-1');
    expect(settings.labels).toEqual({ env: 'prod', zone: 'eu-1' });
    expect(settings.maxConcurrentRuns).toBe(4);
    expect(settings.enrollToken).toBe('ectse_abc');
    expect(settings.leaseTtlSeconds).toBe(15);
    expect(settings.shutdownGraceSeconds).toBe(0);
    expect(settings.logLevel).toBe('debug');
  });

  it('prefers flags over variables', () => {
    const settings = settingsOf(
      ['--name', 'from-flag', '--max-concurrent-runs=3', '--api-url', 'http://10.1.1.1:8080'],
      {
        ...REQUIRED,
        ECTS_NODE_NAME: 'from-env',
        ECTS_MAX_CONCURRENT_RUNS: '8',
      },
    );

    expect(settings.name).toBe('from-flag');
    expect(settings.maxConcurrentRuns).toBe(3);
    expect(settings.apiUrl).toBe('http://10.1.1.1:8080');
  });

  it('lists every problem at once', () => {
    const problems = problemsOf(['--bogus', '--lease-ttl', '1', '--labels', '=x', '--log-level'], {
      ECTS_MAX_CONCURRENT_RUNS: 'many',
      ECTS_ETCD_NAMESPACE: 'ects/',
      ECTS_ETCD_USERNAME: 'root',
    });

    expect(problems).toEqual([
      '--bogus: unknown option; run with --help to list the options',
      '--log-level: missing value',
      '--api-url / ECTS_API_URL: missing (Base URL of the ECTS API, such as https://ects.example.com; runs are reported there)',
      '--etcd-endpoints / ECTS_ETCD_ENDPOINTS: missing (Comma-separated etcd client URLs, such as http://10.0.0.1:2379,http://10.0.0.2:2379)',
      'ECTS_ETCD_NAMESPACE: expected a prefix like /ects or /ects/staging, got "ects/"',
      '--labels: expected key=value pairs separated by commas, got "=x"',
      'ECTS_MAX_CONCURRENT_RUNS: expected a whole number of runs of at least 1, got "many"',
      '--lease-ttl: expected a whole number of seconds of at least 2, got "1"',
      'ECTS_ETCD_USERNAME and ECTS_ETCD_PASSWORD: set both or neither',
    ]);
  });

  it('rejects invalid URLs', () => {
    const problems = problemsOf([], {
      ECTS_API_URL: 'ftp://x',
      ECTS_ETCD_ENDPOINTS: 'http://10.0.0.1:2379,10.0.0.2:2379',
    });

    expect(problems).toEqual([
      'ECTS_API_URL: expected an http or https URL, got "ftp://x"',
      'ECTS_ETCD_ENDPOINTS: expected URLs like http://10.0.0.1:2379 separated by commas, got "10.0.0.2:2379"',
    ]);
  });

  it('recognises help and version', () => {
    expect(parseSettings(['--help'], {}, 'h').kind).toBe('help');
    expect(parseSettings(['-h', '--bogus'], {}, 'h').kind).toBe('help');
    expect(parseSettings(['--version'], {}, 'h').kind).toBe('version');
  });
});

describe('helpText', () => {
  it('lists every setting with its default', () => {
    const text = helpText('host-1');

    for (const variable of settingVariables()) {
      expect(text).toContain(variable);
    }
    expect(text).toContain('--api-url URL, ECTS_API_URL');
    expect(text).toContain('(required)');
    expect(text).toContain('--state-dir DIR, ECTS_STATE_DIR\n      Directory for the node identity');
    expect(text).toContain('(default /var/lib/ects-agent)');
    expect(text).toContain('(default host-1)');
    expect(text).toContain('--max-concurrent-runs N, ECTS_MAX_CONCURRENT_RUNS');
    expect(text).toContain('(default 16)');
    expect(text).toContain('--shutdown-grace SECONDS, ECTS_SHUTDOWN_GRACE_SECONDS');
    expect(text).not.toContain('--etcd-password');
  });
});
