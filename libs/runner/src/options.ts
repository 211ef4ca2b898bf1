import type { Coordination, EtcdKeys } from '@ects/etcd';
import type { Labels } from '@ects/domain';

import type { Clock } from './clock';
import { InvalidAgentOptionsError } from './errors';
import type { RunnerLogger } from './logger';
import { NO_RUNNER_METRICS, type RunnerMetrics } from './metrics/runner-metrics';

/** The node this agent runs as: its id and the credential it presents to the API. */
export interface AgentIdentity {
  nodeId: string;
  credential: string;
}

export interface AgentOptions {
  coordination: Coordination;
  keys: EtcdKeys;
  logger: RunnerLogger;
  /** Base URL of the API, such as `http://127.0.0.1:3000`; events go to its `/agents` Socket.IO namespace. */
  apiUrl: string;
  identity: AgentIdentity;
  name: string;
  host: string;
  labels: Labels;
  version: string;
  os: string;
  /** Directory for the event spool, fire times, the assignment cache and handled commands; created with mode 0700. */
  stateDir: string;
  /** Runs executing at once across all pipelines; more wait in arrival order. Defaults to 16. */
  maxConcurrentRuns?: number;
  /** TTL of the registration lease in seconds. Defaults to 10. */
  leaseTtlSeconds?: number;
  /** Time stop() lets running steps finish before killing them, in seconds. Defaults to 30. */
  shutdownGraceSeconds?: number;
  /** Time between SIGTERM and SIGKILL when a step times out or its run is replaced, in seconds. Defaults to 5. */
  killGraceSeconds?: number;
  /** Time between SIGTERM and SIGKILL for a kill command, in seconds. Defaults to 1. */
  killCommandGraceSeconds?: number;
  /** Output bytes sent per step; the rest is counted but not sent. Defaults to 8 MiB. */
  maxOutputBytesPerStep?: number;
  /**
   * Environment that shell steps start from. Defaults to process.env; an embedding process should
   * pass a copy without its own secrets, such as database URLs.
   */
  baseEnvironment?: NodeJS.ProcessEnv;
  /** Time source for fire times and timestamps; tests shift it to simulate downtime. */
  clock?: Clock;
  /** Time stop() waits for the API to acknowledge the spool, in milliseconds. Defaults to 5000. */
  spoolFlushTimeoutMs?: number;
  /** Sink for fire lateness, run and step durations and the other engine measurements; none by default. */
  metrics?: RunnerMetrics;
}

export type ResolvedAgentOptions = Required<Omit<AgentOptions, 'clock'>> & { clock: Clock };

export const AGENT_DEFAULTS = {
  maxConcurrentRuns: 16,
  leaseTtlSeconds: 10,
  shutdownGraceSeconds: 30,
  killGraceSeconds: 5,
  killCommandGraceSeconds: 1,
  maxOutputBytesPerStep: 8 * 1024 * 1024,
  spoolFlushTimeoutMs: 5_000,
} as const;

function checkNumber(problems: string[], name: string, value: number, minimum: number, integer: boolean): void {
  if (!Number.isFinite(value) || value < minimum || (integer && !Number.isInteger(value))) {
    problems.push(`${name} must be ${integer ? 'an integer' : 'a number'} of at least ${minimum}, got ${value}`);
  }
}

/** Fills in defaults and checks every option; throws InvalidAgentOptionsError listing all problems. */
export function resolveAgentOptions(options: AgentOptions, clock: Clock): ResolvedAgentOptions {
  const resolved: ResolvedAgentOptions = {
    ...options,
    maxConcurrentRuns: options.maxConcurrentRuns ?? AGENT_DEFAULTS.maxConcurrentRuns,
    leaseTtlSeconds: options.leaseTtlSeconds ?? AGENT_DEFAULTS.leaseTtlSeconds,
    shutdownGraceSeconds: options.shutdownGraceSeconds ?? AGENT_DEFAULTS.shutdownGraceSeconds,
    killGraceSeconds: options.killGraceSeconds ?? AGENT_DEFAULTS.killGraceSeconds,
    killCommandGraceSeconds: options.killCommandGraceSeconds ?? AGENT_DEFAULTS.killCommandGraceSeconds,
    maxOutputBytesPerStep: options.maxOutputBytesPerStep ?? AGENT_DEFAULTS.maxOutputBytesPerStep,
    spoolFlushTimeoutMs: options.spoolFlushTimeoutMs ?? AGENT_DEFAULTS.spoolFlushTimeoutMs,
    baseEnvironment: options.baseEnvironment ?? process.env,
    metrics: options.metrics ?? NO_RUNNER_METRICS,
    clock,
  };

  const problems: string[] = [];
  if (!/^https?:\/\/\S+$/.test(resolved.apiUrl)) {
    problems.push(`apiUrl must be an http or https URL, got "${resolved.apiUrl}"`);
  }
  if (resolved.identity.nodeId.length === 0 || resolved.identity.nodeId.includes('/')) {
    problems.push('identity.nodeId must be a non-empty id without "/"');
  }
  if (resolved.identity.credential.length === 0) {
    problems.push('identity.credential must not be empty');
  }
  if (resolved.stateDir.length === 0) {
    problems.push('stateDir must not be empty');
  }
  checkNumber(problems, 'maxConcurrentRuns', resolved.maxConcurrentRuns, 1, true);
  checkNumber(problems, 'leaseTtlSeconds', resolved.leaseTtlSeconds, 1, true);
  checkNumber(problems, 'shutdownGraceSeconds', resolved.shutdownGraceSeconds, 0, false);
  checkNumber(problems, 'killGraceSeconds', resolved.killGraceSeconds, 0, false);
  checkNumber(problems, 'killCommandGraceSeconds', resolved.killCommandGraceSeconds, 0, false);
  checkNumber(problems, 'maxOutputBytesPerStep', resolved.maxOutputBytesPerStep, 1024, true);
  checkNumber(problems, 'spoolFlushTimeoutMs', resolved.spoolFlushTimeoutMs, 0, true);

  if (problems.length > 0) {
    throw new InvalidAgentOptionsError(problems);
  }

  return resolved;
}
