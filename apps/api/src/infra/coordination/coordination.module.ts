import { readFileSync } from 'node:fs';

import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Etcd3Coordination, EtcdKeys, MemoryCoordination, type Coordination } from '@ects/etcd';
import { countCoordinationErrors } from '@ects/runner';

import { APP_CONFIG, type AppConfig } from '../config/config';
import { ApiMetrics } from '../metrics/api-metrics';
import { COORDINATION } from './coordination.token';
import { LeadershipService } from './leadership.service';

export { COORDINATION } from './coordination.token';

/**
 * Provides the Coordination port: etcd when endpoints are configured, otherwise the in-process
 * adapter of embedded mode, which the local agent shares.
 */
@Global()
@Module({
  providers: [
    { provide: EtcdKeys, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new EtcdKeys(config.etcd.namespace) },
    {
      provide: COORDINATION,
      inject: [APP_CONFIG, EtcdKeys, ApiMetrics],
      useFactory: (config: AppConfig, keys: EtcdKeys, metrics: ApiMetrics): Coordination => {
        const countErrors = (coordination: Coordination): Coordination =>
          countCoordinationErrors(coordination, (operation, code) => metrics.etcdError(operation, code));

        if (config.etcd.endpoints.length === 0) {
          return countErrors(new MemoryCoordination({ keys, logger: new Logger(MemoryCoordination.name) }));
        }

        const { username, password, caFile } = config.etcd;

        return countErrors(
          new Etcd3Coordination({
            endpoints: config.etcd.endpoints,
            keys,
            logger: new Logger(Etcd3Coordination.name),
            ...(username !== null && password !== null ? { auth: { username, password } } : {}),
            ...(caFile !== null ? { caCertificate: readFileSync(caFile) } : {}),
          }),
        );
      },
    },
    LeadershipService,
  ],
  exports: [EtcdKeys, COORDINATION, LeadershipService],
})
export class CoordinationModule implements OnApplicationShutdown {
  constructor(@Inject(COORDINATION) private readonly coordination: Coordination) {}

  async onApplicationShutdown(): Promise<void> {
    await this.coordination.close();
  }
}
