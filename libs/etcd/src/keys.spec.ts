import { describe, expect, it } from 'vitest';

import { InvalidKeyError } from './errors';
import { API_ELECTION, DEFAULT_NAMESPACE, EtcdKeys } from './keys';

describe('EtcdKeys', () => {
  const keys = new EtcdKeys();

  it('builds keys under the default namespace', () => {
    expect(DEFAULT_NAMESPACE).toBe('/ects');
    expect(keys.node('n1')).toBe('/ects/nodes/n1');
    expect(keys.assignment('n1', 'p1')).toBe('/ects/assignments/n1/p1');
    expect(keys.command('n1', 'c1')).toBe('/ects/commands/n1/c1');
    expect(keys.lock('p1', new Date('2026-03-01T12:00:00.000Z'))).toBe('/ects/locks/p1/1772366400000');
    expect(keys.lock('p1', 1_772_366_400_000)).toBe('/ects/locks/p1/1772366400000');
    expect(keys.electionCandidate(API_ELECTION, '7587')).toBe('/ects/elections/api/7587');
  });

  it('builds prefixes with a trailing slash', () => {
    expect(keys.root()).toBe('/ects/');
    expect(keys.nodesPrefix()).toBe('/ects/nodes/');
    expect(keys.allAssignmentsPrefix()).toBe('/ects/assignments/');
    expect(keys.assignmentsPrefix('n1')).toBe('/ects/assignments/n1/');
    expect(keys.allCommandsPrefix()).toBe('/ects/commands/');
    expect(keys.commandsPrefix('n1')).toBe('/ects/commands/n1/');
    expect(keys.allLocksPrefix()).toBe('/ects/locks/');
    expect(keys.locksPrefix('p1')).toBe('/ects/locks/p1/');
    expect(keys.allElectionsPrefix()).toBe('/ects/elections/');
    expect(keys.electionPrefix()).toBe('/ects/elections/api/');
    expect(keys.assignment('n10', 'p1').startsWith(keys.assignmentsPrefix('n1'))).toBe(false);
  });

  it('uses a configured namespace', () => {
    const staging = new EtcdKeys('/ects/staging');

    expect(staging.node('n1')).toBe('/ects/staging/nodes/n1');
    expect(staging.parseNode('/ects/staging/nodes/n1')).toEqual({ nodeId: 'n1' });
    expect(staging.parse('/ects/nodes/n1')).toBeUndefined();
  });

  it('rejects invalid namespaces', () => {
    for (const namespace of ['', '/', 'ects', '/ects/', '/ects//x']) {
      expect(() => new EtcdKeys(namespace), namespace).toThrow(InvalidKeyError);
    }
  });

  it('rejects empty ids and slashes', () => {
    expect(() => keys.node('')).toThrow(InvalidKeyError);
    expect(() => keys.node('a/b')).toThrow(InvalidKeyError);
    expect(() => keys.assignment('n1', '')).toThrow(InvalidKeyError);
    expect(() => keys.assignmentsPrefix('n/1')).toThrow(InvalidKeyError);
    expect(() => keys.command('n1', 'c/1')).toThrow(InvalidKeyError);
    expect(() => keys.lock('p/1', 0)).toThrow(InvalidKeyError);
    expect(() => keys.electionPrefix('')).toThrow(InvalidKeyError);
    expect(() => keys.electionCandidate('api', '')).toThrow(InvalidKeyError);

    try {
      keys.node('a/b');
      expect.unreachable();
    } catch (error: unknown) {
      expect(error).toMatchObject({ code: 'COORDINATION_KEY_INVALID' });
      expect((error as Error).message).toContain('"a/b"');
    }
  });

  it('rejects invalid fire times', () => {
    expect(() => keys.lock('p1', new Date('invalid'))).toThrow(InvalidKeyError);
    expect(() => keys.lock('p1', -1)).toThrow(InvalidKeyError);
    expect(() => keys.lock('p1', 1.5)).toThrow(InvalidKeyError);
    expect(() => keys.lock('p1', Number.NaN)).toThrow(InvalidKeyError);
  });

  it('parses every key kind back', () => {
    const fireTime = new Date('2026-03-01T12:00:00.000Z');

    expect(keys.parse(keys.node('n1'))).toEqual({ kind: 'node', nodeId: 'n1' });
    expect(keys.parse(keys.assignment('n1', 'p1'))).toEqual({ kind: 'assignment', nodeId: 'n1', pipelineId: 'p1' });
    expect(keys.parse(keys.command('n1', 'c1'))).toEqual({ kind: 'command', nodeId: 'n1', commandId: 'c1' });
    expect(keys.parse(keys.lock('p1', fireTime))).toEqual({ kind: 'lock', pipelineId: 'p1', fireTime });
    expect(keys.parse(keys.electionCandidate('api', '42'))).toEqual({
      kind: 'electionCandidate',
      election: 'api',
      leaseId: '42',
    });

    expect(keys.parseNode(keys.node('n1'))).toEqual({ nodeId: 'n1' });
    expect(keys.parseAssignment(keys.assignment('n1', 'p1'))).toEqual({ nodeId: 'n1', pipelineId: 'p1' });
    expect(keys.parseCommand(keys.command('n1', 'c1'))).toEqual({ nodeId: 'n1', commandId: 'c1' });
    expect(keys.parseLock(keys.lock('p1', fireTime))).toEqual({ pipelineId: 'p1', fireTime });
    expect(keys.parseElectionCandidate(keys.electionCandidate('api', '42'))).toEqual({
      election: 'api',
      leaseId: '42',
    });
  });

  it('rejects keys of another shape', () => {
    const malformed = [
      '/other/nodes/n1',
      '/ects/nodes/',
      '/ects/nodes/n1/extra',
      '/ects/assignments/n1',
      '/ects/assignments/n1/',
      '/ects/locks/p1/soon',
      '/ects/locks/p1/0123',
      '/ects/unknown/x',
      '/ects',
    ];

    for (const key of malformed) {
      expect(keys.parse(key), key).toBeUndefined();
    }

    expect(() => keys.parseNode(keys.assignment('n1', 'p1'))).toThrow(InvalidKeyError);
    expect(() => keys.parseAssignment('/ects/assignments/n1')).toThrow(InvalidKeyError);
    expect(() => keys.parseLock('/ects/locks/p1/soon')).toThrow(InvalidKeyError);
  });
});
