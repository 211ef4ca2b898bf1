import type { HealthCheckState, NodeHealth } from '@ects/domain';

/** Lifecycle state of an agent engine. */
export type AgentState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/** Snapshot of an agent engine, read when metrics are scraped or health is checked. */
export interface AgentStatus {
  state: AgentState;
  /** Whether the node's registration key is written and its lease alive. */
  registered: boolean;
  /** Whether the Socket.IO connection to the API is open. */
  apiConnected: boolean;
  /** Pipelines assigned to this node, from etcd or, until etcd responds, from the assignment cache. */
  assignments: number;
  /** Runs accepted and not yet finished, including those waiting for a slot. */
  activeRuns: number;
  spool: {
    /** Events not yet acknowledged by the API. */
    events: number;
    /** Milliseconds since the oldest of them was appended; 0 when there is none. */
    oldestEventAgeMs: number;
  };
}

function check(up: boolean, downMessage: string): HealthCheckState {
  return up ? { status: 'up' } : { status: 'down', message: downMessage };
}

/** Liveness: the engine is started and not stopped. */
export function agentLiveness(status: AgentStatus, since: Date): NodeHealth {
  const alive = status.state === 'starting' || status.state === 'running' || status.state === 'stopping';
  const engine = check(alive, `the agent engine is ${status.state}`);

  return { status: alive ? 'ok' : 'error', details: { engine }, since: since.toISOString() };
}

/**
 * Readiness: the engine runs, the node is registered in etcd with a live lease, and the API
 * connection is open. A closed API connection alone does not stop runs, which wait in the spool,
 * but their results are not visible until it is back.
 */
export function agentReadiness(status: AgentStatus, since: Date): NodeHealth {
  const details: Record<string, HealthCheckState> = {
    engine: check(status.state === 'running', `the agent engine is ${status.state}`),
    etcd: check(status.registered, 'the node is not registered in etcd; etcd is unreachable or the lease was lost'),
    api: check(status.apiConnected, 'the API is not connected; runs are reported once it is back'),
  };
  const ok = Object.values(details).every((state) => state.status === 'up');

  return { status: ok ? 'ok' : 'error', details, since: since.toISOString() };
}

/** Describes a readiness report for a log line, such as `not ready: engine up, etcd down (…)`. */
export function describeHealth(health: NodeHealth): string {
  const checks = Object.entries(health.details).map(([name, state]) => {
    const reason = state.message === undefined ? '' : ` (${state.message})`;

    return `${name} ${state.status}${reason}`;
  });

  return `${health.status === 'ok' ? 'ready' : 'not ready'}: ${checks.join(', ')}`;
}

/** Tells whether two health reports differ in anything but their time. */
export function healthChanged(previous: NodeHealth | undefined, next: NodeHealth): boolean {
  if (previous === undefined) {
    return true;
  }

  const essence = (health: NodeHealth): string => JSON.stringify({ status: health.status, details: health.details });

  return essence(previous) !== essence(next);
}
