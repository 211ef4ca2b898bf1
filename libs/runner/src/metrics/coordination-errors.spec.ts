import { EtcdKeys, MemoryCoordination } from '@ects/etcd';
import { describe, expect, it } from 'vitest';

import { TestLogger } from '../../test/support/test-logger';
import { countCoordinationErrors } from './coordination-errors';

describe('countCoordinationErrors', () => {
  it('passes successful requests through', async () => {
    const keys = new EtcdKeys('/ects-test');
    const errors: string[] = [];
    const coordination = countCoordinationErrors(
      new MemoryCoordination({ keys, logger: new TestLogger() }),
      (operation, code) => errors.push(`${operation} ${code}`),
    );

    await coordination.put(keys.node('node-1'), 'value');

    expect((await coordination.get(keys.node('node-1')))?.value).toBe('value');
    expect(errors).toEqual([]);
    await coordination.close();
  });

  it('counts rejected requests by code', async () => {
    const keys = new EtcdKeys('/ects-test');
    const errors: string[] = [];
    const coordination = countCoordinationErrors(
      new MemoryCoordination({ keys, logger: new TestLogger() }),
      (operation, code) => errors.push(`${operation} ${code}`),
    );
    await coordination.close();

    await expect(coordination.get(keys.node('node-1'))).rejects.toThrow();
    await expect(coordination.put(keys.node('node-1'), 'value')).rejects.toThrow();

    expect(errors).toEqual(['get COORDINATION_CLOSED', 'put COORDINATION_CLOSED']);
  });
});
