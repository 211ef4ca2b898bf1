import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { API_ELECTION, describeError, type Coordination } from '@ects/etcd';

import { COORDINATION } from '../infra/coordination/coordination.token';

const TIMEOUT_MS = 2_000;

/** Reports whether etcd (or the in-process adapter) returns a read within two seconds. */
@Injectable()
export class CoordinationHealthIndicator {
  constructor(
    @Inject(COORDINATION) private readonly coordination: Coordination,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async isReachable(key: string): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`read timed out after ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    });

    try {
      await Promise.race([this.coordination.leader(API_ELECTION), timeout]);

      return indicator.up();
    } catch (error: unknown) {
      return indicator.down({ message: describeError(error) });
    } finally {
      clearTimeout(timer);
    }
  }
}
