import { InvalidKeyError } from './errors';

/** Namespace under which every ECTS key lives unless configured otherwise. */
export const DEFAULT_NAMESPACE = '/ects';

/** Name of the election that API replicas run for their singleton duties. */
export const API_ELECTION = 'api';

/** A key taken apart into its kind and ids. */
export type ParsedKey =
  | { kind: 'node'; nodeId: string }
  | { kind: 'assignment'; nodeId: string; pipelineId: string }
  | { kind: 'command'; nodeId: string; commandId: string }
  | { kind: 'lock'; pipelineId: string; fireTime: Date }
  | { kind: 'electionCandidate'; election: string; leaseId: string };

type ParsedKeyOf<K extends ParsedKey['kind']> = Omit<Extract<ParsedKey, { kind: K }>, 'kind'>;

const FIRE_TIME_PATTERN = /^(0|[1-9][0-9]*)$/;

/**
 * Checks one path segment of a key: ids must be non-empty and contain no slash, or they would
 * split into extra segments and collide with other keys.
 */
function assertSegment(label: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidKeyError(`Invalid ${label}: expected a non-empty string`);
  }

  if (value.includes('/')) {
    throw new InvalidKeyError(`Invalid ${label} "${value}": it must not contain "/"`);
  }
}

/**
 * Formats a fire time as the lock key segment: epoch milliseconds in decimal. Epoch milliseconds
 * name the same instant on every agent whatever its time zone, and are what the cron evaluator
 * returns from Date.getTime().
 */
function formatFireTime(fireTime: Date | number): string {
  const milliseconds = fireTime instanceof Date ? fireTime.getTime() : fireTime;

  if (!Number.isSafeInteger(milliseconds) || milliseconds < 0) {
    throw new InvalidKeyError(`Invalid fire time ${String(fireTime)}: expected a valid date at or after 1970`);
  }

  return String(milliseconds);
}

/** Checks a namespace: it starts with a slash, has no trailing slash and no empty segment. */
function assertNamespace(namespace: string): void {
  const valid =
    namespace.startsWith('/') && namespace.length > 1 && !namespace.endsWith('/') && !namespace.includes('//');

  if (!valid) {
    throw new InvalidKeyError(`Invalid namespace "${namespace}": expected a form like "/ects" or "/ects/staging"`);
  }
}

/**
 * Builds and parses every etcd key that ECTS uses. No other code concatenates key strings, so the
 * layout can change in one place. Keys look like this, with `<ns>` the namespace (`/ects` by default):
 *
 * - `<ns>/nodes/<nodeId>`: node registration, bound to the agent's lease.
 * - `<ns>/assignments/<nodeId>/<pipelineId>`: pipeline snapshot assigned to a node.
 * - `<ns>/commands/<nodeId>/<commandId>`: run-now and kill requests for a node.
 * - `<ns>/locks/<pipelineId>/<fireTime>`: fire lock in `one` mode, fire time in epoch milliseconds.
 * - `<ns>/elections/<name>/<leaseId>`: one candidate of an election, such as `api`.
 *
 * Prefix builders end with a slash, so `/ects/nodes/a/` never matches the keys of node `ab`.
 */
export class EtcdKeys {
  constructor(readonly namespace: string = DEFAULT_NAMESPACE) {
    assertNamespace(namespace);
  }

  /** Prefix of everything ECTS stores, for a full reset. */
  root(): string {
    return `${this.namespace}/`;
  }

  nodesPrefix(): string {
    return `${this.namespace}/nodes/`;
  }

  node(nodeId: string): string {
    assertSegment('node id', nodeId);

    return `${this.nodesPrefix()}${nodeId}`;
  }

  /** Prefix of the assignments of every node, for the API's reconcile. */
  allAssignmentsPrefix(): string {
    return `${this.namespace}/assignments/`;
  }

  /** Prefix of one node's assignments, which that node's agent reads and watches. */
  assignmentsPrefix(nodeId: string): string {
    assertSegment('node id', nodeId);

    return `${this.allAssignmentsPrefix()}${nodeId}/`;
  }

  assignment(nodeId: string, pipelineId: string): string {
    assertSegment('pipeline id', pipelineId);

    return `${this.assignmentsPrefix(nodeId)}${pipelineId}`;
  }

  allCommandsPrefix(): string {
    return `${this.namespace}/commands/`;
  }

  commandsPrefix(nodeId: string): string {
    assertSegment('node id', nodeId);

    return `${this.allCommandsPrefix()}${nodeId}/`;
  }

  command(nodeId: string, commandId: string): string {
    assertSegment('command id', commandId);

    return `${this.commandsPrefix(nodeId)}${commandId}`;
  }

  allLocksPrefix(): string {
    return `${this.namespace}/locks/`;
  }

  locksPrefix(pipelineId: string): string {
    assertSegment('pipeline id', pipelineId);

    return `${this.allLocksPrefix()}${pipelineId}/`;
  }

  /** Lock key of one fire of a pipeline; the fire time is written in epoch milliseconds. */
  lock(pipelineId: string, fireTime: Date | number): string {
    return `${this.locksPrefix(pipelineId)}${formatFireTime(fireTime)}`;
  }

  allElectionsPrefix(): string {
    return `${this.namespace}/elections/`;
  }

  /** Prefix under which the candidates of one election keep their keys. */
  electionPrefix(election: string = API_ELECTION): string {
    assertSegment('election name', election);

    return `${this.allElectionsPrefix()}${election}/`;
  }

  /** Key of one candidate, named by the lease that keeps it alive. */
  electionCandidate(election: string, leaseId: string): string {
    assertSegment('lease id', leaseId);

    return `${this.electionPrefix(election)}${leaseId}`;
  }

  /** Takes a key apart, or returns undefined when it is not an ECTS key of a known kind. */
  parse(key: string): ParsedKey | undefined {
    const root = this.root();
    if (!key.startsWith(root)) {
      return undefined;
    }

    const segments = key.slice(root.length).split('/');
    if (segments.some((segment) => segment.length === 0)) {
      return undefined;
    }

    const [kind, first, second] = segments;

    if (kind === 'nodes' && segments.length === 2) {
      return { kind: 'node', nodeId: first };
    }

    if (kind === 'assignments' && segments.length === 3) {
      return { kind: 'assignment', nodeId: first, pipelineId: second };
    }

    if (kind === 'commands' && segments.length === 3) {
      return { kind: 'command', nodeId: first, commandId: second };
    }

    if (kind === 'locks' && segments.length === 3 && FIRE_TIME_PATTERN.test(second)) {
      const fireTime = new Date(Number(second));

      return Number.isNaN(fireTime.getTime()) ? undefined : { kind: 'lock', pipelineId: first, fireTime };
    }

    if (kind === 'elections' && segments.length === 3) {
      return { kind: 'electionCandidate', election: first, leaseId: second };
    }

    return undefined;
  }

  /** Returns the node id of a registration key; throws InvalidKeyError for any other key. */
  parseNode(key: string): ParsedKeyOf<'node'> {
    const { nodeId } = this.parseKind(key, 'node');

    return { nodeId };
  }

  /** Returns the node and pipeline ids of an assignment key; throws InvalidKeyError for any other key. */
  parseAssignment(key: string): ParsedKeyOf<'assignment'> {
    const { nodeId, pipelineId } = this.parseKind(key, 'assignment');

    return { nodeId, pipelineId };
  }

  /** Returns the node and command ids of a command key; throws InvalidKeyError for any other key. */
  parseCommand(key: string): ParsedKeyOf<'command'> {
    const { nodeId, commandId } = this.parseKind(key, 'command');

    return { nodeId, commandId };
  }

  /** Returns the pipeline id and fire time of a lock key; throws InvalidKeyError for any other key. */
  parseLock(key: string): ParsedKeyOf<'lock'> {
    const { pipelineId, fireTime } = this.parseKind(key, 'lock');

    return { pipelineId, fireTime };
  }

  /** Returns the election and lease id of a candidate key; throws InvalidKeyError for any other key. */
  parseElectionCandidate(key: string): ParsedKeyOf<'electionCandidate'> {
    const { election, leaseId } = this.parseKind(key, 'electionCandidate');

    return { election, leaseId };
  }

  private parseKind<K extends ParsedKey['kind']>(key: string, kind: K): Extract<ParsedKey, { kind: K }> {
    const parsed = this.parse(key);

    if (parsed === undefined || parsed.kind !== kind) {
      throw new InvalidKeyError(`Invalid ${kind} key "${key}" for namespace ${this.namespace}`);
    }

    return parsed as Extract<ParsedKey, { kind: K }>;
  }
}
