import { existsSync } from 'node:fs';

import type { Labels } from '@ects/domain';

export const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Address of the agent's metrics and health HTTP server. */
export interface MetricsAddress {
  host: string;
  port: number;
}

/** Default address of the metrics server: loopback only, so nothing is exposed without a choice. */
export const DEFAULT_METRICS_ADDRESS: MetricsAddress = { host: '127.0.0.1', port: 9464 };

/** The agent's settings, read once at boot from flags and `ECTS_*` variables. */
export interface AgentSettings {
  apiUrl: string;
  etcdEndpoints: string[];
  etcdNamespace: string;
  etcdUsername: string | undefined;
  etcdPassword: string | undefined;
  /** CA certificate (PEM) that signed the etcd servers' certificates, for https endpoints. */
  etcdCaFile: string | undefined;
  stateDir: string;
  name: string;
  labels: Labels;
  maxConcurrentRuns: number;
  enrollToken: string | undefined;
  leaseTtlSeconds: number;
  shutdownGraceSeconds: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** Address of the server for /metrics, /health and /health/ready; null turns the server off. */
  metricsAddress: MetricsAddress | null;
  /** Whether run metrics carry a `pipeline` label with the pipeline id. */
  metricsPipelineLabels: boolean;
}

export const AGENT_SETTINGS = Symbol('AGENT_SETTINGS');

/** Outcome of reading the command line and the environment. */
export type SettingsResult =
  | { kind: 'settings'; settings: AgentSettings }
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'invalid'; problems: string[] };

interface SettingDefinition<K extends keyof AgentSettings = keyof AgentSettings> {
  key: K;
  /** Command-line flag; settings that hold secrets other than the enrollment token have none, so they stay out of `ps`. */
  flag: string | undefined;
  variable: string;
  placeholder: string;
  description: string;
  /** Default as shown in the help, or undefined when the setting is required or optional without one. */
  defaultText: string | undefined;
  required: boolean;
  /** Converts the text to the value; returns an error message when the text is invalid. */
  parse(text: string): { value: AgentSettings[K] } | { problem: string };
}

function definition<K extends keyof AgentSettings>(spec: SettingDefinition<K>): SettingDefinition {
  return spec;
}

const HTTP_URL = /^https?:\/\/[^\s/]+(\/\S*)?$/;

function integer(minimum: number, unit: string) {
  return (text: string): { value: number } | { problem: string } => {
    const value = Number(text);

    return Number.isInteger(value) && value >= minimum && /^\d+$/.test(text.trim())
      ? { value }
      : { problem: `expected a whole number of ${unit} of at least ${minimum}, got "${text}"` };
  };
}

/** Parses `host:port`, `[ipv6]:port` or `off`. */
export function parseMetricsAddress(text: string): { value: MetricsAddress | null } | { problem: string } {
  if (text.trim().toLowerCase() === 'off') {
    return { value: null };
  }

  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || port > 65_535) {
    return { problem: `expected host:port such as 127.0.0.1:9464 or [::1]:9464, or off, got "${text}"` };
  }

  return { value: { host: match[1] ?? match[2], port } };
}

function parseBoolean(text: string): { value: boolean } | { problem: string } {
  const normalized = text.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(normalized)) {
    return { value: true };
  }
  if (['0', 'false', 'no', 'off'].includes(normalized)) {
    return { value: false };
  }

  return { problem: `expected true or false, got "${text}"` };
}

function parseLabels(text: string): { value: Labels } | { problem: string } {
  const labels: Labels = {};

  for (const pair of text.split(',').map((part) => part.trim())) {
    if (pair === '') {
      continue;
    }

    const separator = pair.indexOf('=');
    const key = separator > 0 ? pair.slice(0, separator).trim() : '';
    if (key === '') {
      return { problem: `expected key=value pairs separated by commas, got "${pair}"` };
    }
    labels[key] = pair.slice(separator + 1).trim();
  }

  return { value: labels };
}

/**
 * Returns every setting with its flag, variable, default and meaning, in the order the help lists
 * them. `hostname` is the default node name.
 */
export function settingDefinitions(hostname: string): SettingDefinition[] {
  return [
    definition({
      key: 'apiUrl',
      flag: '--api-url',
      variable: 'ECTS_API_URL',
      placeholder: 'URL',
      description: 'Base URL of the ECTS API, such as https://ects.example.com; runs are reported there',
      defaultText: undefined,
      required: true,
      parse: (text) =>
        HTTP_URL.test(text)
          ? { value: text.replace(/\/+$/, '') }
          : { problem: `expected an http or https URL, got "${text}"` },
    }),
    definition({
      key: 'etcdEndpoints',
      flag: '--etcd-endpoints',
      variable: 'ECTS_ETCD_ENDPOINTS',
      placeholder: 'URLS',
      description: 'Comma-separated etcd client URLs, such as http://10.0.0.1:2379,http://10.0.0.2:2379',
      defaultText: undefined,
      required: true,
      parse: (text) => {
        const endpoints = text
          .split(',')
          .map((endpoint) => endpoint.trim())
          .filter((endpoint) => endpoint !== '');
        const invalid = endpoints.find((endpoint) => !/^https?:\/\/[^\s/]+$/.test(endpoint));

        if (endpoints.length === 0 || invalid !== undefined) {
          return { problem: `expected URLs like http://10.0.0.1:2379 separated by commas, got "${invalid ?? text}"` };
        }

        return { value: endpoints };
      },
    }),
    definition({
      key: 'etcdNamespace',
      flag: '--etcd-namespace',
      variable: 'ECTS_ETCD_NAMESPACE',
      placeholder: 'PREFIX',
      description: 'Key prefix of every ECTS key in etcd; must match the API',
      defaultText: '/ects',
      required: false,
      parse: (text) =>
        /^(\/[^/\s]+)+$/.test(text)
          ? { value: text }
          : { problem: `expected a prefix like /ects or /ects/staging, got "${text}"` },
    }),
    definition({
      key: 'etcdUsername',
      flag: undefined,
      variable: 'ECTS_ETCD_USERNAME',
      placeholder: 'NAME',
      description: 'User for etcd authentication',
      defaultText: undefined,
      required: false,
      parse: (text) => ({ value: text }),
    }),
    definition({
      key: 'etcdPassword',
      flag: undefined,
      variable: 'ECTS_ETCD_PASSWORD',
      placeholder: 'SECRET',
      description: 'Password for etcd authentication',
      defaultText: undefined,
      required: false,
      parse: (text) => ({ value: text }),
    }),
    definition({
      key: 'etcdCaFile',
      flag: '--etcd-ca-file',
      variable: 'ECTS_ETCD_CA_FILE',
      placeholder: 'FILE',
      description: 'CA certificate (PEM) of etcd servers reached over https',
      defaultText: undefined,
      required: false,
      parse: (text) =>
        existsSync(text) ? { value: text } : { problem: `${text} does not exist; give the path of the CA certificate` },
    }),
    definition({
      key: 'stateDir',
      flag: '--state-dir',
      variable: 'ECTS_STATE_DIR',
      placeholder: 'DIR',
      description: 'Directory for the node identity, the event spool, fire times and the assignment cache',
      defaultText: '/var/lib/ects-agent',
      required: false,
      parse: (text) => (text.trim() === '' ? { problem: 'expected a directory path' } : { value: text }),
    }),
    definition({
      key: 'name',
      flag: '--name',
      variable: 'ECTS_NODE_NAME',
      placeholder: 'NAME',
      description: 'Node name shown in the console; used when enrolling',
      defaultText: hostname,
      required: false,
      parse: (text) => (text.trim() === '' ? { problem: 'expected a non-empty name' } : { value: text.trim() }),
    }),
    definition({
      key: 'labels',
      flag: '--labels',
      variable: 'ECTS_NODE_LABELS',
      placeholder: 'K=V,...',
      description: 'Node labels as key=value pairs separated by commas, matched by pipeline label selectors',
      defaultText: 'none',
      required: false,
      parse: parseLabels,
    }),
    definition({
      key: 'maxConcurrentRuns',
      flag: '--max-concurrent-runs',
      variable: 'ECTS_MAX_CONCURRENT_RUNS',
      placeholder: 'N',
      description: 'Runs executing at once on this node; further fires wait in arrival order',
      defaultText: '16',
      required: false,
      parse: integer(1, 'runs'),
    }),
    definition({
      key: 'enrollToken',
      flag: '--enroll-token',
      variable: 'ECTS_ENROLL_TOKEN',
      placeholder: 'TOKEN',
      description: 'Enrollment token from the console, used once when the state directory has no identity yet',
      defaultText: undefined,
      required: false,
      parse: (text) => ({ value: text.trim() }),
    }),
    definition({
      key: 'leaseTtlSeconds',
      flag: '--lease-ttl',
      variable: 'ECTS_LEASE_TTL_SECONDS',
      placeholder: 'SECONDS',
      description: 'TTL of the registration lease; the node shows offline this long after the agent dies',
      defaultText: '10',
      required: false,
      parse: integer(2, 'seconds'),
    }),
    definition({
      key: 'shutdownGraceSeconds',
      flag: '--shutdown-grace',
      variable: 'ECTS_SHUTDOWN_GRACE_SECONDS',
      placeholder: 'SECONDS',
      description: 'Time running steps get to finish on SIGTERM or SIGINT before they are killed',
      defaultText: '30',
      required: false,
      parse: integer(0, 'seconds'),
    }),
    definition({
      key: 'logLevel',
      flag: '--log-level',
      variable: 'ECTS_LOG_LEVEL',
      placeholder: 'LEVEL',
      description: `Lowest level logged: ${LOG_LEVELS.join(', ')}`,
      defaultText: 'log',
      required: false,
      parse: (text) =>
        (LOG_LEVELS as readonly string[]).includes(text)
          ? { value: text as LogLevel }
          : { problem: `expected one of ${LOG_LEVELS.join(', ')}, got "${text}"` },
    }),
    definition({
      key: 'logFormat',
      flag: '--log-format',
      variable: 'ECTS_LOG_FORMAT',
      placeholder: 'FORMAT',
      description: 'json for one JSON object per line, text for readable lines',
      defaultText: 'json when NODE_ENV is production, text otherwise',
      required: false,
      parse: (text) =>
        (LOG_FORMATS as readonly string[]).includes(text)
          ? { value: text as LogFormat }
          : { problem: `expected one of ${LOG_FORMATS.join(', ')}, got "${text}"` },
    }),
    definition({
      key: 'metricsAddress',
      flag: '--metrics-address',
      variable: 'ECTS_METRICS_ADDRESS',
      placeholder: 'HOST:PORT',
      description: 'Address of the Prometheus /metrics and the /health and /health/ready endpoints, or off',
      defaultText: `${DEFAULT_METRICS_ADDRESS.host}:${DEFAULT_METRICS_ADDRESS.port}`,
      required: false,
      parse: parseMetricsAddress,
    }),
    definition({
      key: 'metricsPipelineLabels',
      flag: '--metrics-pipeline-labels',
      variable: 'ECTS_METRICS_PIPELINE_LABELS',
      placeholder: 'BOOL',
      description: 'Label run metrics with the pipeline id; adds series for every pipeline',
      defaultText: 'false',
      required: false,
      parse: parseBoolean,
    }),
  ];
}

/** Names of the environment variables the agent reads, so it can keep them out of its steps' environment. */
export function settingVariables(): string[] {
  return settingDefinitions('').map((setting) => setting.variable);
}

/** Splits `--flag value` and `--flag=value` arguments; returns problems for unknown or incomplete flags. */
function readFlags(
  argv: string[],
  known: Set<string>,
): { values: Map<string, string>; problems: string[]; help: boolean; version: boolean } {
  const values = new Map<string, string>();
  const problems: string[] = [];
  let help = false;
  let version = false;

  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index];
    if (argument === '--help' || argument === '-h') {
      help = true;
      continue;
    }
    if (argument === '--version' || argument === '-v') {
      version = true;
      continue;
    }

    const equals = argument.indexOf('=');
    const flag = equals > 0 ? argument.slice(0, equals) : argument;
    if (!known.has(flag)) {
      problems.push(`${flag}: unknown option; run with --help to list the options`);
      continue;
    }

    if (equals > 0) {
      values.set(flag, argument.slice(equals + 1));
    } else if (index + 1 < argv.length && !argv[index + 1].startsWith('--')) {
      values.set(flag, argv[index + 1]);
      index += 1;
    } else {
      problems.push(`${flag}: missing value`);
    }
  }

  return { values, problems, help, version };
}

/**
 * Reads the settings from command-line arguments (without the node and script paths) and the
 * environment. A flag wins over its variable. Every invalid or missing setting is listed.
 */
export function parseSettings(
  argv: string[],
  env: Record<string, string | undefined>,
  hostname: string,
): SettingsResult {
  const definitions = settingDefinitions(hostname);
  const flags = readFlags(
    argv,
    new Set(definitions.flatMap((setting) => (setting.flag === undefined ? [] : [setting.flag]))),
  );

  if (flags.help) {
    return { kind: 'help' };
  }
  if (flags.version) {
    return { kind: 'version' };
  }

  const problems = [...flags.problems];
  const settings: Partial<Record<keyof AgentSettings, unknown>> = {
    etcdNamespace: '/ects',
    etcdUsername: undefined,
    etcdPassword: undefined,
    etcdCaFile: undefined,
    stateDir: '/var/lib/ects-agent',
    name: hostname,
    labels: {},
    maxConcurrentRuns: 16,
    enrollToken: undefined,
    leaseTtlSeconds: 10,
    shutdownGraceSeconds: 30,
    logLevel: 'log',
    logFormat: env['NODE_ENV'] === 'production' ? 'json' : 'text',
    metricsAddress: DEFAULT_METRICS_ADDRESS,
    metricsPipelineLabels: false,
  };

  for (const setting of definitions) {
    const fromFlag = setting.flag === undefined ? undefined : flags.values.get(setting.flag);
    const fromVariable = env[setting.variable];
    const text = fromFlag ?? (fromVariable !== undefined && fromVariable !== '' ? fromVariable : undefined);
    const source = fromFlag !== undefined ? setting.flag : setting.variable;

    if (text === undefined) {
      if (setting.required) {
        problems.push(`${setting.flag ?? setting.variable} / ${setting.variable}: missing (${setting.description})`);
      }
      continue;
    }

    const parsed = setting.parse(text);
    if ('problem' in parsed) {
      problems.push(`${source}: ${parsed.problem}`);
    } else {
      settings[setting.key] = parsed.value;
    }
  }

  if ((settings.etcdUsername === undefined) !== (settings.etcdPassword === undefined)) {
    problems.push('ECTS_ETCD_USERNAME and ECTS_ETCD_PASSWORD: set both or neither');
  }

  return problems.length > 0
    ? { kind: 'invalid', problems }
    : { kind: 'settings', settings: settings as unknown as AgentSettings };
}

/** Returns the text printed by `--help`. */
export function helpText(hostname: string): string {
  const definitions = settingDefinitions(hostname);
  const rows = definitions.map((setting) => {
    const names =
      setting.flag === undefined ? setting.variable : `${setting.flag} ${setting.placeholder}, ${setting.variable}`;
    let defaultText = setting.defaultText === undefined ? 'not set' : `default ${setting.defaultText}`;
    if (setting.required) {
      defaultText = 'required';
    }

    return `  ${names}\n      ${setting.description} (${defaultText})`;
  });

  return [
    'Usage: ects-agent [options]',
    '',
    'Runs the ECTS agent of this node: it registers in etcd, fires the pipelines assigned to the node,',
    'and reports every run to the API. A flag wins over its environment variable.',
    '',
    'Options:',
    ...rows,
    '  --help, -h',
    '      Print this help and exit',
    '  --version, -v',
    '      Print the agent version and exit',
    '',
  ].join('\n');
}
